"""Entry point: page setup, navigation, sidebar filters and the 演示数据 banner."""

import streamlit as st

st.set_page_config(page_title="未保驾驶舱", page_icon="🛡️", layout="wide")

from dashboard import engine, filters  # noqa: E402  (set_page_config must run first)
from dashboard.views import definitions, overview  # noqa: E402


def main() -> None:
    try:
        meta = engine.meta()
    except engine.DataUnavailable as err:
        st.error(str(err))
        st.stop()
    if meta["demo"]:
        st.warning("演示数据：本库为按公开数字校准的合成数据，仅供演示，不代表任何地区的真实情况。", icon="⚠️")
    pages = [
        st.Page(overview.render, title="县区总览", url_path="overview", default=True),
        st.Page(definitions.render, title="口径说明", url_path="definitions"),
    ]
    page = st.navigation(pages)
    filters.sidebar(meta)
    try:
        page.run()
    except engine.DataUnavailable as err:
        st.error(str(err))


main()
