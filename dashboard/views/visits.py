"""走访: completion this month and over the year by area, unvisited children counted by village, and reporting gaps."""

import pandas as pd
import streamlit as st

from dashboard import charts_topics as ct, widgets
from queries import fmt, topics_visits
from queries.registry import by_key, rule_text
from queries.topics_common import level_below

TOP = 20


def render() -> None:
    page = ct.open_page("走访", topics_visits.page)
    if page is None:
        return
    ctx, model = page.ctx, page.model
    month, early = ctx["month"], ctx["early"]
    reg = by_key()
    ind = reg["visit_completion"]
    st.caption(f"{fmt.as_of(month)} · 在册儿童每月至少走访 1 次 · 对比：{page.label}")
    own, unvisited, summary = model["own"], model["unvisited"], model["summary"]
    this, last = own.iloc[-1], own.iloc[-2]

    cols = st.columns(4)
    with cols[0]:
        ct.headline(ind, page)
    with cols[1]:
        ct.headline(reg["children_total"], page)
    with cols[2]:
        so_far = ["本月尚未结束，统计至今天"] if early else []
        ct.card("本月尚未走访" if early else "本月未达走访要求", f"{fmt.count(summary['children_unvisited'])} 人",
                [*so_far, f"分布在 {fmt.count(summary['villages'])} 个村（社区）"],
                tooltip="在册儿童中本月走访次数未达到要求的人数")
    with cols[3]:
        ct.card("本月走访记录", f"{fmt.count(this['visits'])} 次", [*so_far, f"上月 {fmt.count(last['visits'])} 次"],
                tooltip="本月在册儿童的走访记录条数")
    if early:
        st.info(f"{fmt.as_of(month)}：{ind.label}在月内累计，现在偏低属正常，本月不评色、不标红，"
                f"月末后按“{rule_text(ind)}”评价。")
    if _no_children(page):
        widgets.no_data("所选区域本月没有在册儿童，无需走访。")
        return
    _warnings(ctx, model, ind)

    left, right = st.columns([2, 3])
    with left:
        ct.plot(ct.rate_trend(own, ind, fmt.chart_title("近 12 个月走访完成率", "%", month)))
    with right:
        _by_township(ctx, model["towns"], ind)
    sub_level, grid = level_below(ctx["level"]), model["grid"]
    if not grid.empty:
        what = "各乡镇（街道）" if sub_level == "township" else "各县区"
        ct.plot(ct.status_heatmap(grid, ind, fmt.chart_title(f"{what}逐月走访完成率", "%", month)))
        _, states = ct.heat_cells(grid, ind)
        legend = ct.colour_legend(ind, states.to_numpy().ravel()).replace("颜色：", "颜色按格中数值：", 1)
        st.caption(f"格中数字为{fmt.header(ind)}，保留一位小数；{legend}浅灰为无在册儿童。")
    widgets.definition_note(ind)

    st.subheader("本月尚未走访的儿童（按村计数，截至今天）" if early else "本月未达走访要求的儿童（按村计数）")
    if unvisited.empty:
        st.success("本月所有在册儿童均已按要求走访。")
        return
    top = unvisited.head(TOP)
    names = [f"{r.region_name}（{r.township_name}）" for r in top.itertuples()]
    ct.plot(ct.hbars(names, top["children_unvisited"], [f"{fmt.count(v)} 人" for v in top["children_unvisited"]],
                     fmt.chart_title(f"未达要求人数最多的 {min(TOP, len(unvisited))} 个村（社区）", "人", month),
                     axis_title="未达要求人数（人）"))
    table = pd.DataFrame({"区划代码": unvisited["region_code"], "村（社区）": unvisited["region_name"],
                          "所属乡镇（街道）": unvisited["township_name"], "所属县区": unvisited["county_name"],
                          fmt.header(reg["children_total"]): unvisited["children_total"],
                          "未达要求人数（人）": unvisited["children_unvisited"]})
    with st.expander(f"全部 {len(table):,} 个村（社区）"):
        st.dataframe(table, hide_index=True, placeholder="—", column_config={
            c: st.column_config.NumberColumn(c, format="localized") for c in table.columns[4:]})
    ct.list_button(table, "下载按村计数名单（Excel）", "未走访儿童_按村", key="unvisited_xlsx")
    st.caption("只统计人数，不列儿童个人信息。")


def _no_children(page: ct.Page) -> bool:
    return fmt.is_null(page.now["children_total"]) or page.now["children_total"] == 0


def _by_township(ctx: dict, towns: pd.DataFrame, ind) -> None:
    month = ctx["month"]
    towns = towns[towns["children_total"] > 0]
    if towns.empty:
        widgets.no_data("所选区域的乡镇（街道）本月都没有在册儿童。")
        return
    worst = towns.sort_values(ind.key, na_position="first").head(TOP)
    title = "各乡镇（街道）本月走访完成率" if len(towns) <= TOP else f"完成率最低的 {TOP} 个乡镇（街道）"
    states = [v.state for v in ct.verdicts(worst, ind, month)]
    labels = ct.township_labels(ctx, worst.index, worst["region_name"])
    ct.plot(ct.hbars(labels, worst[ind.key].astype(float) * 100, [fmt.percent(v) for v in worst[ind.key]],
                     fmt.chart_title(title, "%", month), colours=ct.rate_colours(worst[ind.key], states),
                     suffix="%", reference=ct.reference(ind), axis_title=fmt.header(ind)))
    st.caption(ct.colour_legend(ind, states))


def _warnings(ctx: dict, model: dict, ind) -> None:
    towns = model["towns"]
    ct.warn_anomalies(towns, [ind], ctx["month"], ct.township_labels(ctx, towns.index, towns["region_name"]))
    if ctx["early"]:
        return  # a month under way has few visits everywhere: comparing it with a whole month flags everyone
    flagged = model["flagged"]
    silent = flagged[flagged["problem"] == "none"]
    dropped = flagged[flagged["problem"] == "drop"]
    if len(silent):
        st.warning(f"{len(silent)} 个乡镇（街道）本月没有任何走访记录（有在册儿童）：" + "、".join(_named(silent.head(15), ctx))
                   + ("等" if len(silent) > 15 else "") + "。请确认是否漏报。")
    if len(dropped):
        parts = [f"{name}（{fmt.count(r.visits)} 次，上月 {fmt.count(r.visits_before)} 次）"
                 for name, r in zip(_named(dropped.head(10), ctx), dropped.head(10).itertuples())]
        st.warning(f"{len(dropped)} 个乡镇（街道）本月走访记录不足上月一半：" + "、".join(parts)
                   + ("等" if len(dropped) > 10 else "") + "。")


def _named(frame: pd.DataFrame, ctx: dict) -> list[str]:
    """Township names, with the county in front when the page covers the whole city (names repeat across counties)."""
    if ctx["is_county"]:
        return frame["region_name"].tolist()
    return [f"{p or ''}{n}" for p, n in zip(frame["parent_name"], frame["region_name"])]


render()
