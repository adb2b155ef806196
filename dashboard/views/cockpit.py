"""领导驾驶舱: headline numbers coloured against targets, comparisons, rank, red list and trends."""

import streamlit as st

from dashboard import charts, engine, filters, widgets
from queries import compare, fmt
from queries.registry import by_key

CHILD_KEYS = ["children_orphan", "children_unsupported", "children_disabled_ill", "children_dibao",
              "children_other_difficulty", "children_left_behind"]
NETWORK_KEYS = ["county_centre_coverage", "township_station_coverage", "village_home_coverage",
                "village_director_coverage", "township_supervisor_coverage"]
WORK_KEYS = ["visit_completion", "training_rate", "fund_execution_rate", "assessment_timeliness"]
# Township red list: what a township itself answers for (children's homes are built in central
# villages only, so their township coverage is structurally low and would flood the list).
RED_KEYS = ["township_station_coverage", "township_supervisor_coverage", "village_director_coverage",
            "visit_completion", "training_rate", "assessment_timeliness"]
MONTHLY_KEYS = ["visit_completion", "village_director_coverage", "village_home_coverage"]
# Year-to-date rates restart every January; drawn apart so the January drop is not read as a collapse.
YTD_KEYS = ["training_rate", "fund_execution_rate", "time_progress"]


SECTIONS = {"children": "儿童底数", "network": "三级阵地与队伍", "work": "工作落实",
            "reds": "落后乡镇（红色指标）", "trend": "近 12 个月趋势"}


def render() -> None:
    month, region, scope = filters.month(), filters.region(), filters.viewer_scope()
    name = filters.region_name(region)
    st.title(f"{name} 未成年人保护工作驾驶舱")
    snap = engine.ask(compare.snapshot, scope, month, region)
    if "now" not in snap.index or snap.loc["now"].isna().all():
        widgets.no_data()
        return
    is_county = filters.region_level(region) == "county"
    ctx = {
        "month": month, "region": region, "scope": scope, "is_county": is_county, "reg": by_key(),
        "now": snap.loc["now"], "before": snap.loc[filters.compare()],
        "label": filters.COMPARISONS[filters.compare()],
        "ranks": engine.ask(compare.peer_rank, scope, month, region, NETWORK_KEYS + WORK_KEYS) if is_county else {},
    }
    st.caption(f"截至 {month} 月末 · 颜色按口径说明中的目标：绿 达标 / 黄 接近 / 红 落后 · 对比：{ctx['label']}")
    shown = list(SECTIONS)
    if filters.meeting():  # one idea per screen on the projector
        chosen = st.segmented_control("本屏内容", shown, format_func=SECTIONS.get, default="children",
                                      key="slide", bind="query-params")
        shown = [chosen or "children"]
    for key in shown:
        st.subheader(SECTIONS[key])
        DRAW[key](ctx)


def _lines(ctx: dict, key: str) -> list[str]:
    ind, now, ranks = ctx["reg"][key], ctx["now"], ctx["ranks"]
    out = [widgets.delta_text(ind, now[key], ctx["before"].get(key), ctx["label"])]
    if key == "fund_execution_rate":
        out.insert(0, f"序时进度 {fmt.percent(now['time_progress'])}")
    if key in ranks and ranks[key][0] is not None:
        out.append(f"全市第 {ranks[key][0]} / {ranks[key][1]} 名")
    return out


def _children(ctx: dict) -> None:
    reg, now = ctx["reg"], ctx["now"]
    left, right = st.columns([1, 2])
    with left:
        total = reg["children_total"]
        widgets.headline(total, now, [
            f"本月新增 {fmt.count(now['children_new'])} · 退出 {fmt.count(now['children_exited'])}",
            widgets.delta_text(total, now["children_total"], ctx["before"].get("children_total"), ctx["label"]),
        ])
    with right:
        counts = {reg[k].name.replace("在册", ""): now[k] for k in CHILD_KEYS}
        st.plotly_chart(charts.category_bars(counts, widgets.chart_title("在册儿童分类", "人", ctx["month"])),
                        config={"displayModeBar": False})


def _cards(keys: list[str]):
    def draw(ctx: dict) -> None:
        for col, key in zip(st.columns(len(keys)), keys):
            with col:
                widgets.headline(ctx["reg"][key], ctx["now"], _lines(ctx, key))
    return draw


def _reds(ctx: dict) -> None:
    reds = engine.ask(compare.red_list, ctx["scope"], ctx["month"], ctx["region"], RED_KEYS)
    if reds.empty:
        st.success("本月没有红色指标的乡镇（街道）。")
        return
    shown = reds.rename(columns={"region_name": "乡镇（街道）", "parent_name": "所属县区",
                                 "reds": "红色指标数", "red_indicators": "红色指标"})
    st.dataframe(shown.head(15), hide_index=True, placeholder="—")
    if len(reds) > 15:
        st.caption(f"共 {len(reds)} 个乡镇（街道）有红色指标，此处列出前 15 个；完整名单见“指标总表”。")


def _trend(ctx: dict) -> None:
    reg, month, region = ctx["reg"], ctx["month"], ctx["region"]
    level = "county" if ctx["is_county"] else "city"
    trend = engine.ask(compare.trend, ctx["scope"], month, level, region)
    trend = trend[trend["region_code"] == region] if "region_code" in trend else trend
    left, right = st.columns(2)
    with left:
        st.plotly_chart(charts.trend_rates(trend, [reg[k] for k in MONTHLY_KEYS],
                                           widgets.chart_title("月度指标走势", "%", month)),
                        config={"displayModeBar": False})
    with right:
        st.plotly_chart(charts.trend_rates(trend, [reg[k] for k in YTD_KEYS],
                                           widgets.chart_title("本年累计指标（每年 1 月重新起算）", "%", month)),
                        config={"displayModeBar": False})
    widgets.definition_note(*(reg[k] for k in MONTHLY_KEYS + YTD_KEYS))


DRAW = {"children": _children, "network": _cards(NETWORK_KEYS), "work": _cards(WORK_KEYS),
        "reds": _reds, "trend": _trend}


render()
