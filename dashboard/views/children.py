"""儿童底数: children on the roll by category and by area, per 10,000 minors, and the monthly 新增/退出."""

import pandas as pd
import streamlit as st

from dashboard import charts_topics as ct, engine, widgets
from queries import fmt, topics_children
from queries.registry import by_key
from queries.topics_common import level_below, region_row

KEYS = topics_children.CATEGORY_KEYS
TOP = 20


def render() -> None:
    page = ct.open_page("儿童底数")
    if page is None:
        return
    ctx, now, before, label = page
    month, scope, region = ctx["month"], ctx["scope"], ctx["region"]
    reg = by_key()
    st.caption(f"截至 {month} 月末 · 月末在册口径 · 对比：{label}")
    own = engine.ask(topics_children.children_by_region, scope, month, ctx["level"], region)
    mine = region_row(own, region)
    per_10k = None if mine is None else mine["per_10k"]
    population = None if mine is None else mine["minor_population"]

    cols = st.columns(4)
    with cols[0]:
        ct.headline(reg["children_total"], now, before, label)
    with cols[1]:
        ct.headline(reg["children_new"], now, before, label)
    with cols[2]:
        ct.headline(reg["children_exited"], now, before, label)
    with cols[3]:
        ct.card("每万名未成年人在册数", "—" if fmt.is_null(per_10k) else f"{per_10k:,.1f}",
                [f"未成年人口 {fmt.count(population)}" if not fmt.is_null(population) else "未成年人口未填报"],
                tooltip="在册儿童 ÷ 区划表中的未成年人口 × 10,000；人口未知或为 0 时不计算。")
    if now["children_total"] == 0:
        widgets.no_data("所选区域本月没有在册儿童。")
        return

    left, right = st.columns([2, 3])
    with left:
        names = [reg[k].name.replace("在册", "") for k in KEYS]
        values = [now[k] for k in KEYS]
        ct.plot(ct.hbars(names, values, [fmt.count(v) for v in values],
                         widgets.chart_title("在册儿童分类", "人", month), height=330))
    with right:
        flow = engine.ask(topics_children.children_monthly, scope, month, ctx["level"], region)
        ct.plot(ct.monthly_flow(flow, widgets.chart_title("近 12 个月新增、退出与在册", "人", month)))
    widgets.definition_note(reg["children_total"], reg["children_new"], reg["children_exited"])

    _by_area(ctx, reg)


def _by_area(ctx: dict, reg: dict) -> None:
    month, scope, region = ctx["month"], ctx["scope"], ctx["region"]
    sub_level = level_below(ctx["level"])
    what = "各乡镇" if sub_level == "township" else "各县区"
    st.subheader(f"分{'乡镇（街道）' if sub_level == 'township' else '县区'}")
    subs = engine.ask(topics_children.children_by_region, scope, month, sub_level, region)
    known = subs["per_10k"].notna()
    left, right = st.columns(2)
    with left:
        data = subs.sort_values("children_total", ascending=False).head(TOP)
        title = f"{what}在册儿童" if len(subs) <= TOP else f"在册儿童最多的 {TOP} 个乡镇（街道）"
        ct.plot(ct.hbars(data["region_name"], data["children_total"], [fmt.count(v) for v in data["children_total"]],
                         widgets.chart_title(title, "人", month)))
    with right:
        if known.any():
            data = subs[known].sort_values("per_10k", ascending=False).head(TOP)
            ct.plot(ct.hbars(data["region_name"], data["per_10k"], [f"{v:,.1f}" for v in data["per_10k"]],
                             widgets.chart_title(f"{what}每万名未成年人中在册儿童", "人", month),
                             colours=[ct.ORANGE] * len(data)))
        else:
            st.info(f"{what}的未成年人口未填报，不计算每万名未成年人在册儿童数。")
    missing = int((~known).sum())
    if 0 < missing < len(subs):
        st.caption(f"{missing} 个{'乡镇（街道）' if sub_level == 'township' else '县区'}的未成年人口未填报或为 0，不计算每万人数。")
    over = subs[(subs["minor_population"] > 0) & (subs["children_total"] > subs["minor_population"])]
    if len(over):
        st.warning("在册儿童多于未成年人口，请核对人口或儿童所在村：" + "、".join(over["region_name"].head(10)))

    towns = subs if sub_level == "township" else engine.ask(topics_children.children_by_region, scope, month,
                                                            "township", region)
    if towns.empty:
        return
    table = pd.DataFrame({"乡镇（街道）": towns["region_name"], "所属县区": towns["parent_name"],
                          "区划代码": towns.index, "在册儿童": towns["children_total"]})
    for key in KEYS:
        table[reg[key].name.replace("在册", "")] = towns[key]
    table["本月新增"] = towns["children_new"]
    table["本月退出"] = towns["children_exited"]
    table["未成年人口"] = towns["minor_population"]
    table["每万名未成年人在册数"] = towns["per_10k"].round(1)
    with st.expander(f"分乡镇（街道）明细（{len(table):,} 个）", expanded=ctx["is_county"]):
        st.dataframe(table, hide_index=True, column_config={
            c: st.column_config.NumberColumn(c, format="localized") for c in table.columns[3:-1]}, placeholder="—")
    ct.csv_button(table, "下载分乡镇儿童底数（CSV）", f"儿童底数_分乡镇_{month}.csv", key="children_csv")
    st.caption("每万名未成年人在册数 = 在册儿童 ÷ 区划表中的未成年人口 × 10,000；人口未知或为 0 时为空。")

render()
