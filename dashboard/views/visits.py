"""走访 (placeholder until the page is built)."""

import streamlit as st


def render() -> None:
    st.title("走访")
    st.info("本页正在建设中。")


render()
