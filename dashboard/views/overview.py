"""指标总表: every contract indicator for the regions of a level, as queries.report prints them."""

import streamlit as st

from dashboard import engine, filters, widgets
from queries import fmt
from queries.periods import in_progress
from queries.registry import load_registry

LEVELS = {"county": "县（市、区）", "township": "乡镇（街道）", "village": "村（社区）"}


def render() -> None:
    month, region = filters.month(), filters.region()
    scope = filters.viewer_scope()
    st.title("指标总表")
    level = st.segmented_control("层级", list(LEVELS), format_func=LEVELS.get, default="county",
                                 key="table_level") or "county"
    if filters.region_level(region) == "county" and level == "county":
        level = "township"
    frame = engine.indicator_frame(scope, month, level, region)
    if frame.empty:
        widgets.no_data()
        return
    st.caption(f"{filters.region_name(region)} · {LEVELS[level]} · {fmt.as_of(month)} · 金额为元（精确值） · "
               "与命令行导出的指标报表逐项一致",
               help=f"python -m queries.report --month {month} --level {level} --region {region}")
    if in_progress(month):
        monthly = [i for i in load_registry() if i.accrues == "month"]
        judged = "、".join(i.label for i in monthly if i.judged)
        st.caption(f"本月尚未结束：{'、'.join(i.label for i in monthly)}在月内累计，只统计到今天"
                   + (f"；{judged}月末后再评色。" if judged else "。"))
    widgets.indicator_table(frame, load_registry(), exact_money=True, month=month, what="指标总表")
    # The same values as the command-line report, under the headers a reader sees (its keys are for machines).
    named = frame.reset_index()[["region_code", "region_name", *(i.key for i in load_registry())]]
    named.columns = ["区划代码", "区划名称", *(fmt.header(i, exact=True) for i in load_registry())]
    csv = named.to_csv(index=False).encode("utf-8-sig")
    widgets.download("下载 CSV（精确值）", csv, file_name=f"指标总表_{region}_{level}_{month}.csv",
                     mime="text/csv", what="指标总表")


render()
