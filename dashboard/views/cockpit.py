"""领导驾驶舱: headline numbers coloured against targets, comparisons, rank, red list and trends."""

import streamlit as st

from dashboard import charts, engine, filters, widgets
from queries import compare, fmt
from queries.periods import in_progress
from queries.registry import by_key, group, group_keys

# Which indicators each section shows is the registry's `groups` (indicators.yaml), not a list typed here.
NETWORK_KEYS = group_keys("cockpit_network")
WORK_KEYS = group_keys("cockpit_work")


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
        "now": snap.loc["now"], "before": snap.loc[filters.compare()], "prev_month": snap.loc["prev_month"],
        "label": filters.COMPARISONS[filters.compare()],
        # A county is set against its city by numbers only: the city's own value and the county's rank among
        # the city's counties (a county account sees no other county).
        "ranks": engine.ask(compare.peer_rank, scope, month, region, NETWORK_KEYS + WORK_KEYS) if is_county else {},
        "city": _city_row(scope, month, region) if is_county else None,
    }
    early = " · 本月尚未结束：走访等月内累计的指标暂不评色" if in_progress(month) else ""
    st.caption(f"{fmt.as_of(month)} · 颜色按口径说明中的达标线：绿 达标 / 黄 接近 / 红 落后 / 紫 数据异常"
               f"{early} · 对比：{ctx['label']}")
    shown = list(SECTIONS)
    if filters.meeting():  # one idea per screen on the projector
        chosen = st.segmented_control("本屏内容", shown, format_func=SECTIONS.get, default="children",
                                      key="slide", bind="query-params", label_visibility="collapsed")
        shown = [chosen or "children"]
    for key in shown:
        if not filters.meeting():  # in meeting mode the section button above already names it
            st.subheader(SECTIONS[key])
        DRAW[key](ctx)


def _city_row(scope, month: str, region: str):
    reference = engine.ask(compare.reference, scope, month, region)
    return None if reference.empty else reference.iloc[0]


def _lines(ctx: dict, key: str) -> list[str]:
    ind, now, ranks = ctx["reg"][key], ctx["now"], ctx["ranks"]
    out = [fmt.change(ind, now[key], ctx["before"].get(key), ctx["label"])]
    if key == "fund_execution_rate":
        out.insert(0, f"序时进度 {fmt.percent(now['time_progress'])}")
    if ctx["city"] is not None and not fmt.is_null(ctx["city"].get(key)):
        out.append(f"全市 {fmt.value(ind, ctx['city'][key])}")
    if key in ranks and ranks[key][0] is not None:
        place, ranked, counties = ranks[key]
        unranked = f"（{counties - ranked} 县无数据）" if counties > ranked else ""
        out.append(f"全市第 {place} / {ranked} 名{unranked}")
    return out


def _children(ctx: dict) -> None:
    reg, now = ctx["reg"], ctx["now"]
    left, right = st.columns([1, 2])
    with left:
        total = reg["children_total"]
        widgets.headline(total, now, [
            f"本月新增 {fmt.count(now['children_new'])} · 退出 {fmt.count(now['children_exited'])}",
            fmt.change(total, now["children_total"], ctx["before"].get("children_total"), ctx["label"]),
        ], before=ctx["prev_month"], month=ctx["month"])
    with right:
        counts = {ind.label: now[ind.key] for ind in group("child_categories")}
        height = 260 if filters.meeting() else 300
        st.plotly_chart(charts.category_bars(counts, widgets.chart_title("在册儿童分类", "人", ctx["month"]),
                                             height=height), config={"displayModeBar": False})


def _cards(keys: list[str]):
    def draw(ctx: dict) -> None:
        widgets.card_grid([widgets.card_html(ctx["reg"][key], ctx["now"], _lines(ctx, key), before=ctx["prev_month"],
                                             month=ctx["month"]) for key in keys])
    return draw


def _reds(ctx: dict) -> None:
    reds = engine.ask(compare.red_list, ctx["scope"], ctx["month"], ctx["region"], group_keys("red_list"))
    if in_progress(ctx["month"]):
        st.caption("本月尚未结束：走访完成率等月内累计的指标不计入红色名单，月末后再评。")
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
    height = 320 if filters.meeting() else 380  # both charts and their legends on a 720-px projector
    with left:
        st.plotly_chart(charts.trend_rates(trend, group("trend_monthly"),
                                           widgets.chart_title("月度指标走势", "%", month), height=height),
                        config={"displayModeBar": False})
    with right:
        # Year-to-date rates restart every January; drawn apart so the January drop is not read as a collapse.
        st.plotly_chart(charts.trend_rates(trend, group("trend_ytd"),
                                           widgets.chart_title("本年累计指标", "%", month),
                                           height=height),
                        config={"displayModeBar": False})
    st.caption("本年累计指标每年 1 月重新起算，1 月的回落不是下滑。"
               + ("最后一个点是进行中的本月，只统计到今天，月内累计的指标偏低属正常。" if in_progress(month) else ""))
    widgets.definition_note(*group("trend_monthly"), *group("trend_ytd"))


DRAW = {"children": _children, "network": _cards(NETWORK_KEYS), "work": _cards(WORK_KEYS),
        "reds": _reds, "trend": _trend}


render()
