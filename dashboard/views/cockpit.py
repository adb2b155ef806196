"""领导驾驶舱 (placeholder until the page is built)."""

import streamlit as st


def render() -> None:
    st.title("领导驾驶舱")
    st.info("本页正在建设中。")
