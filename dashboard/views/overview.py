"""指标总表: every contract indicator for the regions of a level, as queries.report prints them."""

import streamlit as st

from dashboard import engine, filters, widgets
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
    st.caption(f"{filters.region_name(region)} · {LEVELS[level]} · {month} 月末 · "
               f"与 python -m queries.report --month {month} --level {level} --region {region} 输出一致")
    widgets.indicator_table(frame, load_registry(), exact_money=True)
    csv = frame.reset_index().to_csv(index=False).encode("utf-8-sig")
    st.download_button("下载 CSV（精确值）", csv, file_name=f"指标总表_{region}_{level}_{month}.csv",
                       mime="text/csv")


render()
