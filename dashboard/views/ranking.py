"""县区排名与地图 (placeholder until the page is built)."""

import streamlit as st


def render() -> None:
    st.title("县区排名与地图")
    st.info("本页正在建设中。")


render()
