"""阵地与队伍: coverage of the three-level network by level and by area, certification, and the lists of gaps."""

import pandas as pd
import streamlit as st

from dashboard import charts_topics as ct, engine, widgets
from queries import fmt, topics_network
from queries.registry import by_key
from queries.topics_common import level_below, rates_above_one

CARD_KEYS = ["township_station_coverage", "village_home_coverage", "village_director_coverage",
             "worker_certified_rate"]
TABLE_KEYS = ["county_centre_coverage", "township_station_coverage", "township_supervisor_coverage",
              "village_home_coverage", "village_director_coverage", "worker_certified_rate"]
# kind → (tab title, unit word, parent column, grandparent column, what "last ended" means)
GAP_TABS = {
    "home": ("无儿童之家的村（社区）", "个村（社区）", "所属乡镇（街道）", "所属县区", "原儿童之家撤销日期"),
    "director": ("无儿童主任的村（社区）", "个村（社区）", "所属乡镇（街道）", "所属县区", "上一任离任日期"),
    "workstation": ("无工作站的乡镇（街道）", "个乡镇（街道）", "所属县区", "所属市", "原工作站撤销日期"),
    "supervisor": ("无督导员的乡镇（街道）", "个乡镇（街道）", "所属县区", "所属市", "上一任离任日期"),
}


def render() -> None:
    page = ct.open_page("阵地与队伍")
    if page is None:
        return
    ctx, now, before, label = page
    month, scope, region = ctx["month"], ctx["scope"], ctx["region"]
    reg = by_key()
    st.caption(f"截至 {month} 月末 · 县级中心、乡镇工作站、村儿童之家三级阵地与儿童主任、督导员队伍 · 对比：{label}")
    for col, key in zip(st.columns(len(CARD_KEYS)), CARD_KEYS):
        with col:
            ct.headline(reg[key], now, before, label)

    levels = engine.ask(topics_network.coverage_by_level, scope, month, ctx["level"], region)
    sub_level = level_below(ctx["level"])
    subs = engine.indicator_frame(scope, month, sub_level, region, with_measures=True)
    _coverage_chart(levels, reg, month)
    st.markdown(f"**分{'乡镇（街道）' if sub_level == 'township' else '县区'}覆盖与持证情况**")
    if subs.empty:
        widgets.no_data()
    else:
        widgets.indicator_table(subs, [reg[k] for k in TABLE_KEYS if not subs[k].isna().all()], key="network_table")
    widgets.definition_note(*(reg[k] for k in TABLE_KEYS))
    above = rates_above_one(subs, TABLE_KEYS, {k: reg[k].name for k in TABLE_KEYS})
    if above:
        st.warning("以下比率超过 100%，请核对阵地、任职台账是否重复：" + "；".join(above))

    st.subheader("缺口名单（月末）")
    st.caption("只列区划名称和代码，不涉及儿童个人信息。空缺天数自上一任离任（或原阵地撤销）日期算至月末；“从未配备”表示台账中没有记录。")
    tabs = st.tabs([f"{GAP_TABS[k][0]}" for k in GAP_TABS])
    for tab, kind in zip(tabs, GAP_TABS):
        with tab:
            _gap_list(ctx, kind)


def _coverage_chart(levels: pd.DataFrame, reg: dict, month: str) -> None:
    if levels.empty:
        widgets.no_data()
        return
    names = [f"{r.level}·{r.item}" for r in levels.itertuples()]
    values = levels["rate"].astype(float) * 100
    texts = [f"{fmt.percent(r.rate)}（{r.covered:,}/{r.units:,}）" for r in levels.itertuples()]
    colours = ct.rate_colours(levels["rate"], [widgets.status_of(reg[k], {k: v})
                                               for k, v in zip(levels["key"], levels["rate"])])
    ct.plot(ct.hbars(names, values, texts, widgets.chart_title("三级阵地与队伍覆盖", "%", month), colours=colours,
                     suffix="%", height=320, reference=100, reference_label="全覆盖 100%"))


def _gap_list(ctx: dict, kind: str) -> None:
    title, unit, parent, grandparent, ended = GAP_TABS[kind]
    gaps = engine.ask(topics_network.network_gaps, ctx["scope"], ctx["month"], ctx["region"], kind)
    if gaps.empty:
        st.success(f"{ctx['month']} 月末{title}：0 个。")
        return
    is_post = kind in ("director", "supervisor")
    if is_post:
        gaps = gaps.sort_values("vacant_days", ascending=False, na_position="first")
    table = pd.DataFrame({
        "区划代码": gaps["region_code"], "名称": gaps["region_name"], parent: gaps["parent_name"],
        grandparent: gaps["grandparent_name"],
        ended: gaps["last_ended"].dt.strftime("%Y-%m-%d").fillna("—"),
        "空缺时长": [f"{d:,} 天" if not pd.isna(d) else ("从未配备" if is_post else "—") for d in gaps["vacant_days"]],
    })
    if not is_post and table[ended].eq("—").all():
        table = table.drop(columns=[ended, "空缺时长"])  # nothing ever closed: the columns would be empty
    # Villages are summed by township inside a county and by county across the city.
    by = "parent_name" if (ctx["is_county"] and kind in ("home", "director")) else "grandparent_name"
    if kind in ("workstation", "supervisor"):
        by = "parent_name"
    counts = engine.ask(topics_network.gap_counts, ctx["scope"], ctx["month"], ctx["region"], kind, by)
    group = parent if by == "parent_name" else grandparent
    left, right = st.columns([3, 2])
    with left:
        st.markdown(f"**共 {len(gaps):,} {unit}**")
        st.dataframe(table, hide_index=True, height=min(460, 38 + 35 * len(table)), placeholder="—")
        ct.csv_button(table, f"下载名单（CSV，{len(table):,} 行）", f"{title}_{ctx['month']}.csv", key=f"gap_{kind}")
    with right:
        if len(counts) < 2:
            return  # one group only: the count above says it all
        top = counts.head(15)
        ct.plot(ct.hbars(top["name"].fillna("（未知）"), top["gaps"], [f"{v:,}" for v in top["gaps"]],
                         widgets.chart_title(f"各{group.replace('所属', '')}缺口数", "个", ctx["month"]),
                         colours=[ct.ORANGE] * len(top)), key=f"gap_chart_{kind}")

render()
