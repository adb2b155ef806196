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


def render() -> None:
    month, region, scope = filters.month(), filters.region(), filters.viewer_scope()
    reg = by_key()
    name = filters.region_name(region)
    st.title(f"{name} 未成年人保护工作驾驶舱")
    snap = engine.ask(compare.snapshot, scope, month, region)
    if "now" not in snap.index or snap.loc["now"].isna().all():
        widgets.no_data()
        return
    now, before = snap.loc["now"], snap.loc[filters.compare()]
    cmp_label = filters.COMPARISONS[filters.compare()]
    is_county = filters.region_level(region) == "county"
    ranks = engine.ask(compare.peer_rank, scope, month, region, NETWORK_KEYS + WORK_KEYS) if is_county else {}
    st.caption(f"截至 {month} 月末 · 颜色按口径说明中的目标：绿 达标 / 黄 接近 / 红 落后 · 对比：{cmp_label}")

    def lines(key):
        ind = reg[key]
        out = [widgets.delta_text(ind, now[key], before.get(key), cmp_label)]
        if key == "fund_execution_rate":
            out.insert(0, f"序时进度 {fmt.percent(now['time_progress'])}")
        if key in ranks and ranks[key][0] is not None:
            out.append(f"全市第 {ranks[key][0]} / {ranks[key][1]} 名")
        return out

    st.subheader("儿童底数")
    left, right = st.columns([1, 2])
    with left:
        total = reg["children_total"]
        widgets.headline(total, now, [
            f"本月新增 {fmt.count(now['children_new'])} · 退出 {fmt.count(now['children_exited'])}",
            widgets.delta_text(total, now["children_total"], before.get("children_total"), cmp_label),
        ])
    with right:
        counts = {reg[k].name.replace("在册", ""): now[k] for k in CHILD_KEYS}
        st.plotly_chart(charts.category_bars(counts, widgets.chart_title("在册儿童分类", "人", month)),
                        config={"displayModeBar": False})

    st.subheader("三级阵地与队伍")
    for col, key in zip(st.columns(len(NETWORK_KEYS)), NETWORK_KEYS):
        with col:
            widgets.headline(reg[key], now, lines(key))

    st.subheader("工作落实")
    for col, key in zip(st.columns(len(WORK_KEYS)), WORK_KEYS):
        with col:
            widgets.headline(reg[key], now, lines(key))

    st.subheader("落后乡镇（红色指标）")
    reds = engine.ask(compare.red_list, scope, month, region, RED_KEYS)
    if reds.empty:
        st.success("本月没有红色指标的乡镇（街道）。")
    else:
        shown = reds.rename(columns={"region_name": "乡镇（街道）", "parent_name": "所属县区",
                                     "reds": "红色指标数", "red_indicators": "红色指标"})
        st.dataframe(shown.head(15), hide_index=True, placeholder="—")
        if len(reds) > 15:
            st.caption(f"共 {len(reds)} 个乡镇（街道）有红色指标，此处列出前 15 个；完整名单见“指标总表”。")

    st.subheader("近 12 个月趋势")
    level = "county" if is_county else "city"
    trend = engine.ask(compare.trend, scope, month, level, region)
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


render()
