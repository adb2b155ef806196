"""培训: training rate by area, workers not yet trained this year by township, sessions and person-times."""

import pandas as pd
import streamlit as st

from dashboard import charts_topics as ct, widgets
from queries import fmt, topics_training
from queries.registry import by_key
from queries.topics_common import level_below

TOP = 20


def render() -> None:
    page = ct.open_page("培训", topics_training.page)
    if page is None:
        return
    ctx, model = page.ctx, page.model
    month = ctx["month"]
    reg = by_key()
    ind = reg["training_rate"]
    year = month[:4]
    st.caption(f"本年累计（{year}年1月1日起） · {fmt.as_of(month)} · 在岗儿童主任、儿童督导员 · 对比：{page.label}")
    totals, untrained = model["totals"], model["untrained"]

    cols = st.columns(4)
    with cols[0]:
        ct.headline(ind, page)
    with cols[1]:
        ct.card("本年未参训在岗人员", f"{fmt.count(totals['workers_untrained'])} 人",
                [f"在岗 {fmt.count(totals['workers'])} 人"], tooltip="月末在岗、本年尚无参训记录的人数")
    with cols[2]:
        ct.card("本年培训场次", f"{fmt.count(totals['sessions'])} 场", ["按培训日期 + 培训名称计"],
                tooltip="本年有本区域在岗人员参加的培训场次")
    with cols[3]:
        ct.card("本年培训人次", f"{fmt.count(totals['person_times'])} 人次", ["只计本区域在岗人员"],
                tooltip="本年本区域在岗人员的参训记录条数")
    if totals["workers"] == 0:
        widgets.no_data(f"所选区域{'目前' if ctx['early'] else '月末'}没有在岗的儿童主任或督导员。")
        return
    ct.warn_anomalies(untrained, [ind], month, ct.township_labels(ctx, untrained.index, untrained["region_name"]))

    left, right = st.columns(2)
    with left:
        _rate_by_area(ctx, model["subs"], ind)
    with right:
        _untrained_chart(untrained, ctx, ind)
    widgets.definition_note(ind)

    st.subheader("培训场次与人次")
    by_month = model["by_month"]
    if by_month["sessions"].sum() == 0:
        st.info(f"{year} 年还没有本区域在岗人员的培训记录。")
    else:
        left, right = st.columns(2)
        with left:
            ct.plot(ct.month_bars(by_month, "person_times", "参训人次", "人次",
                                  fmt.chart_title(f"{year} 年各月参训人次", "人次", month)))
        with right:
            ct.plot(ct.month_bars(by_month, "sessions", "培训场次", "场",
                                  fmt.chart_title(f"{year} 年各月培训场次", "场", month), colour=ct.ORANGE))
        if ctx["early"]:
            st.caption("最后一个月是进行中的本月，只统计到今天。")
    sessions = model["sessions"]
    if not sessions.empty:
        table = pd.DataFrame({"培训日期": sessions["trained_on"].astype(str), "培训名称": sessions["course"],
                              "举办层级": sessions["host_level_name"].fillna("—"),
                              "本区域参训人次": sessions["person_times"]})
        with st.expander(f"本年培训场次明细（{fmt.count(len(table))} 场）"):
            widgets.table(table, "本年培训场次", "training_sessions", hide_index=True, placeholder="—")
    st.caption("口径：一场培训 = 同一培训日期 + 培训名称。参训人在培训当天在本区域任儿童主任或督导员即计入本区域；"
               "全市、全县集中培训按各地实际参训人员分别计人次，场次在每个有人参训的地区各计 1 场。")


def _rate_by_area(ctx: dict, subs: pd.DataFrame, ind) -> None:
    sub_level = level_below(ctx["level"])
    subs = subs[subs[ind.key].notna()]
    if subs.empty:
        widgets.no_data("所选区域的下级区域月末都没有在岗人员，不计算培训率。")
        return
    worst = subs.sort_values(ind.key).head(TOP)
    what = "各县区" if sub_level == "county" else ("各乡镇（街道）" if len(subs) <= TOP else f"培训率最低的 {TOP} 个乡镇（街道）")
    states = [v.state for v in ct.verdicts(worst, ind, ctx["month"])]
    labels = ct.township_labels(ctx, worst.index, worst["region_name"]) if sub_level == "township" \
        else worst["region_name"]
    ct.plot(ct.hbars(labels, worst[ind.key].astype(float) * 100, [fmt.percent(v) for v in worst[ind.key]],
                     fmt.chart_title(f"{what}培训率", "%", ctx["month"]),
                     colours=ct.rate_colours(worst[ind.key], states), suffix="%", reference=ct.reference(ind),
                     axis_title=fmt.header(ind)))
    st.caption(ct.colour_legend(ind, states))


def _untrained_chart(untrained: pd.DataFrame, ctx: dict, ind) -> None:
    lagging = untrained[untrained["untrained"] > 0]
    if lagging.empty:
        st.success("所有在岗人员本年均已参训。")
        return
    top = lagging.head(TOP)
    names = top["region_name"] if ctx["is_county"] else [f"{p or ''}{n}" for p, n in zip(top["parent_name"],
                                                                                       top["region_name"])]
    title = "本年未参训人数（按乡镇）" if len(lagging) <= TOP else f"本年未参训人数最多的 {TOP} 个乡镇（街道）"
    ct.plot(ct.hbars(names, top["untrained"],
                     [f"{fmt.count(u)} / {fmt.count(w)} 人" for u, w in zip(top["untrained"], top["workers"])],
                     fmt.chart_title(title, "人", ctx["month"]), colours=[ct.ORANGE] * len(top),
                     axis_title="未参训人数（人）"))
    table = pd.DataFrame({"乡镇（街道）": lagging["region_name"], "所属县区": lagging["parent_name"],
                          "区划代码": lagging.index, "在岗人数": lagging["workers"],
                          "本年已参训": lagging["workers_trained"], "未参训": lagging["untrained"],
                          fmt.header(ind): [fmt.half_up(v * 100, 1) if not fmt.is_null(v) else None
                                            for v in lagging[ind.key]]})
    ct.list_button(table, f"下载未参训乡镇名单（Excel，{fmt.count(len(table))} 行）", "未参训_按乡镇",
                   key="untrained_xlsx")


render()
