"""阵地与队伍 (placeholder until the page is built)."""

import streamlit as st


def render() -> None:
    st.title("阵地与队伍")
    st.info("本页正在建设中。")


render()
