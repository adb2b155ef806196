"""周调度 (placeholder until the page is built)."""

import streamlit as st


def render() -> None:
    st.title("周调度")
    st.info("本页正在建设中。")


render()
