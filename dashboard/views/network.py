"""阵地与队伍: coverage of the three-level network by level and by area, certification, and the lists of gaps."""

import pandas as pd
import streamlit as st

from dashboard import charts_topics as ct, widgets
from queries import fmt, judge, topics_network
from queries.registry import by_key, group, target_text
from queries.topics_common import level_below

# kind → (tab title, unit word, parent column, grandparent column, what "last ended" means)
GAP_TABS = {
    "home": ("无儿童之家的村（社区）", "个村（社区）", "所属乡镇（街道）", "所属县区", "原儿童之家撤销日期"),
    "director": ("无儿童主任的村（社区）", "个村（社区）", "所属乡镇（街道）", "所属县区", "上一任离任日期"),
    "workstation": ("无工作站的乡镇（街道）", "个乡镇（街道）", "所属县区", "所属市", "原工作站撤销日期"),
    "supervisor": ("无督导员的乡镇（街道）", "个乡镇（街道）", "所属县区", "所属市", "上一任离任日期"),
}


def render() -> None:
    page = ct.open_page("阵地与队伍", topics_network.page)
    if page is None:
        return
    ctx, model = page.ctx, page.model
    month = ctx["month"]
    reg = by_key()
    st.caption(f"{fmt.as_of(month)} · 县级中心、乡镇工作站、村儿童之家三级阵地与儿童主任、督导员队伍 · 对比：{page.label}")
    cards = group("network_cards")
    for col, ind in zip(st.columns(len(cards)), cards):
        with col:
            ct.headline(ind, page)

    sub_level, subs = level_below(ctx["level"]), model["subs"]
    _coverage_chart(model["levels"], reg, month)
    st.markdown(f"**分{'乡镇（街道）' if sub_level == 'township' else '县区'}覆盖与持证情况**")
    table = group("network_table")
    if subs.empty:
        widgets.no_data()
    else:
        widgets.indicator_table(subs, [i for i in table if not subs[i.key].isna().all()], key="network_table", what="阵地与队伍",
                                month=month)
        ct.warn_anomalies(subs, table, month)
    widgets.definition_note(*table)

    st.subheader("缺口名单")
    until = "今天" if ctx["early"] else "月末"
    st.caption(f"{fmt.as_of(month)} · 只列区划名称和代码，不涉及儿童个人信息。空缺天数自上一任离任（或原阵地撤销）日期算至"
               f"{until}；“从未配备”表示台账中没有记录。")
    tabs = st.tabs([f"{GAP_TABS[k][0]}" for k in GAP_TABS])
    for tab, kind in zip(tabs, GAP_TABS):
        with tab:
            _gap_list(ctx, kind, model["gaps"][kind])


def _coverage_chart(levels: pd.DataFrame, reg: dict, month: str) -> None:
    if levels.empty:
        widgets.no_data("所选区域没有区划数据，无法计算覆盖率。")
        return
    names = [f"{r.level}·{r.item}" for r in levels.itertuples()]
    values = levels["rate"].astype(float) * 100
    texts = [f"{fmt.percent(r.rate)}（{fmt.count(r.covered)}/{fmt.count(r.units)}）" for r in levels.itertuples()]
    inds = [reg[k] for k in levels["key"]]
    verdicts = [judge.verdict(i, {i.key: v}, month=month) for i, v in zip(inds, levels["rate"])]
    states = [v.state for v in verdicts]
    # Each element has its own green line (儿童之家 30 %, 儿童主任 100 % …): a mark on each bar, not one line.
    targets = [(ct.reference(i) or (None,))[0] for i in inds]
    ct.plot(ct.hbars(names, values, texts, fmt.chart_title("三级阵地与队伍覆盖", "%", month),
                     colours=ct.rate_colours(levels["rate"], states), suffix="%", height=320, targets=targets,
                     axis_title="覆盖率（%）"))
    rules = "；".join(f"{i.label}{target_text(i).removeprefix('达标线')}" for i in inds if i.judged)
    odd = [f"{i.label}（{v.reasons[0].removesuffix('，请核对台账')}）" for i, v in zip(inds, verdicts)
           if v.state == judge.ANOMALY]
    st.caption(f"黑色竖线为各项达标线（{rules}）；达到为绿，接近为黄，落后为红，规则见下方口径。"
               + (f"紫色为数据异常：{'；'.join(odd)}，请核对阵地、任职台账是否重复。" if odd else ""))


def _gap_list(ctx: dict, kind: str, found: dict) -> None:
    title, unit, parent, grandparent, ended = GAP_TABS[kind]
    gaps = found["list"]
    if gaps.empty:
        st.success(f"{fmt.as_of(ctx['month'])}，{title}：0 个。")
        return
    is_post = kind in ("director", "supervisor")
    if is_post:
        gaps = gaps.sort_values("vacant_days", ascending=False, na_position="first")
    table = pd.DataFrame({
        "区划代码": gaps["region_code"], "名称": gaps["region_name"], parent: gaps["parent_name"],
        grandparent: gaps["grandparent_name"],
        ended: gaps["last_ended"].dt.strftime("%Y-%m-%d").fillna("—"),
        "空缺时长": [f"{fmt.count(d)} 天" if not pd.isna(d) else ("从未配备" if is_post else "—") for d in gaps["vacant_days"]],
    })
    if not is_post and table[ended].eq("—").all():
        table = table.drop(columns=[ended, "空缺时长"])  # nothing ever closed: the columns would be empty
    counts = found["counts"]
    grouping = parent if found["by"] == "parent_name" else grandparent
    left, right = st.columns([3, 2])
    with left:
        st.markdown(f"**共 {fmt.count(len(gaps))} {unit}**")
        st.dataframe(table, hide_index=True, height=min(460, 38 + 35 * len(table)), placeholder="—")
        ct.list_button(table, f"下载名单（Excel，{fmt.count(len(table))} 行）", title, key=f"gap_{kind}")
    with right:
        if len(counts) < 2:
            return  # one group only: the count above says it all
        top = counts.head(15)
        ct.plot(ct.hbars(top["name"].fillna("（未知）"), top["gaps"], [fmt.count(v) for v in top["gaps"]],
                         fmt.chart_title(f"各{grouping.removeprefix('所属')}缺口数", "个", ctx["month"]),
                         colours=[ct.ORANGE] * len(top), axis_title="缺口数（个）"), key=f"gap_chart_{kind}")


render()
