"""县区总览: every county of the city with the report's numbers for the chosen month."""

import streamlit as st

from dashboard import engine, filters, widgets
from queries.registry import load_registry


def render() -> None:
    month = filters.month()
    scope = filters.viewer_scope()
    cities = engine.regions(scope, "city")
    st.title("县区总览")
    if cities.empty:
        st.info("数据库中还没有区划数据。请先导入区划表，或运行 python -m data.demo 生成演示数据。")
        return
    for code, name in zip(cities["region_code"], cities["region_name"]):
        frame = engine.indicator_frame(scope, month, "county", code)
        st.caption(f"{name} · {month} 月末 · 数据口径见“口径说明”")
        widgets.indicator_table(frame, load_registry())
