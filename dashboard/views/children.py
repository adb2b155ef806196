"""儿童底数: children on the roll by category and by area, per 10,000 minors, and the monthly 新增/退出."""

import pandas as pd
import streamlit as st

from dashboard import charts_topics as ct, widgets
from queries import fmt, topics_children
from queries.registry import by_key, group
from queries.topics_common import level_below, region_row

TOP = 20
PER_10K = "每万名未成年人在册数"


def render() -> None:
    page = ct.open_page("儿童底数", topics_children.page)
    if page is None:
        return
    ctx, now, model = page.ctx, page.now, page.model
    month, region = ctx["month"], ctx["region"]
    reg = by_key()
    roll = "在册口径（统计至今天）" if ctx["early"] else "月末在册口径"
    st.caption(f"{fmt.as_of(month)} · {roll} · 对比：{page.label}")
    mine = region_row(model["own"], region)
    per_10k = None if mine is None else mine["per_10k"]
    population = None if mine is None else mine["minor_population"]

    cols = st.columns(4)
    for col, ind in zip(cols, group("children_cards")):
        with col:
            ct.headline(ind, page)
    with cols[3]:
        ct.card(PER_10K, fmt.NO_DATA if fmt.is_null(per_10k) else f"{fmt.half_up(per_10k, 1):,.1f}",
                [f"未成年人口 {fmt.count(population)}" if not fmt.is_null(population) else "未成年人口未填报"],
                tooltip="在册儿童 ÷ 区划表中的未成年人口 × 10,000；人口未知或为 0 时不计算。")
    if fmt.is_null(now["children_total"]) or now["children_total"] == 0:
        widgets.no_data("所选区域本月没有在册儿童。")
        return

    left, right = st.columns([2, 3])
    with left:
        categories = group("child_categories")
        values = [now[i.key] for i in categories]
        ct.plot(ct.hbars([i.label for i in categories], values, [fmt.count(v) for v in values],
                         fmt.chart_title("在册儿童分类", "人", month), height=330, axis_title="人数（人）"))
    with right:
        ct.plot(ct.monthly_flow(model["flow"], fmt.chart_title("近 12 个月新增、退出与在册", "人", month)))
        if ctx["early"]:
            st.caption("最后一个月是进行中的本月：新增、退出只统计到今天。")
    widgets.definition_note(reg["children_total"], reg["children_new"], reg["children_exited"])

    _by_area(ctx, model, reg)


def _by_area(ctx: dict, model: dict, reg: dict) -> None:
    month = ctx["month"]
    sub_level = level_below(ctx["level"])
    unit = "乡镇（街道）" if sub_level == "township" else "县区"
    st.subheader(f"分{unit}")
    subs = model["subs"]
    if subs.empty:
        widgets.no_data(f"所选区域下没有{unit}。")
        return
    total = reg["children_total"]
    known = subs["per_10k"].notna()
    left, right = st.columns(2)
    with left:
        rows = subs.sort_values("children_total", ascending=False).head(TOP)
        title = f"各{unit}{total.label}" if len(subs) <= TOP else f"{total.label}最多的 {TOP} 个{unit}"
        ct.plot(ct.hbars(rows["region_name"], rows["children_total"], [fmt.count(v) for v in rows["children_total"]],
                         fmt.chart_title(title, "人", month), axis_title=fmt.header(total)))
    with right:
        if known.any():
            rows = subs[known].sort_values("per_10k", ascending=False).head(TOP)
            ct.plot(ct.hbars(rows["region_name"], rows["per_10k"],
                             [f"{fmt.half_up(v, 1):,.1f}" for v in rows["per_10k"]],
                             fmt.chart_title(f"各{unit}每万名未成年人中{total.label}", "人", month),
                             colours=[ct.ORANGE] * len(rows), axis_title=f"{PER_10K}（人）"))
        else:
            st.info(f"各{unit}的未成年人口未填报，不计算{PER_10K}。")
    missing = int((~known).sum())
    if 0 < missing < len(subs):
        st.caption(f"{missing} 个{unit}的未成年人口未填报或为 0，不计算每万人数。")
    over = subs[(subs["minor_population"] > 0) & (subs["children_total"] > subs["minor_population"])]
    if len(over):
        st.warning("数据异常：在册儿童多于未成年人口，请核对人口或儿童所在村：" + "、".join(over["region_name"].head(10)))

    towns = model["towns"]
    if towns.empty:
        return
    table = pd.DataFrame({"乡镇（街道）": towns["region_name"], "所属县区": towns["parent_name"],
                          "区划代码": towns.index, fmt.header(total): towns["children_total"]})
    for ind in group("child_categories"):
        table[fmt.header(ind)] = towns[ind.key]
    for ind in (reg["children_new"], reg["children_exited"]):
        table[fmt.header(ind)] = towns[ind.key]
    table["未成年人口（人）"] = towns["minor_population"]
    table[f"{PER_10K}（人）"] = [None if fmt.is_null(v) else fmt.half_up(v, 1) for v in towns["per_10k"]]
    config = {c: st.column_config.NumberColumn(c, format="localized") for c in table.columns[3:-1]}
    config[table.columns[-1]] = st.column_config.NumberColumn(table.columns[-1], format="%.1f")
    with st.expander(f"分乡镇（街道）明细（{fmt.count(len(table))} 个）", expanded=ctx["is_county"]):
        st.dataframe(table, hide_index=True, column_config=config, placeholder="—")
    ct.list_button(table, "下载分乡镇儿童底数（Excel）", "儿童底数_分乡镇", key="children_xlsx")
    st.caption(f"{PER_10K} = 在册儿童 ÷ 区划表中的未成年人口 × 10,000；人口未知或为 0 时为空。")


render()
