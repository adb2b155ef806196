"""Sidebar filters (month, region, comparison, meeting mode) mirrored in the URL, and the viewer's scope."""

import streamlit as st

from dashboard import engine
from queries.engine import Scope
from queries.periods import latest_complete_month

COMPARISONS = {"prev_month": "比上月", "prev_year": "比去年同月"}


def viewer_scope() -> Scope:
    """What the viewer may see: the whole database until login and per-county roles arrive.

    Every cached query receives this as an argument (never reads it from session state).
    """
    return Scope.everything()


def sidebar(meta: dict) -> None:
    """Draw the filters; pages read them through the functions below."""
    months = meta["months"]
    # The current month is still being logged: default to the latest complete one.
    complete = str(latest_complete_month())
    default = months.index(complete) if complete in months else 0
    bar = st.sidebar
    bar.selectbox("统计月份", months, index=default, key="month", bind="query-params",
                  help="月末在册口径；默认最近一个完整月份")
    scope = viewer_scope()
    cities = engine.regions(scope, "city")
    counties = engine.regions(scope, "county")
    names = dict(zip(cities["region_code"], cities["region_name"]))
    names.update(zip(counties["region_code"], counties["region_name"]))
    st.session_state["_region_names"] = names
    options = list(names)
    # A bound selectbox keeps its label in the URL; accept a 区划代码 there too and turn it into the label.
    asked = st.query_params.get("region")
    if asked in names:
        st.query_params["region"] = names[asked]
        st.session_state["region"] = asked
    if options:
        bar.selectbox("区域", options, format_func=lambda c: names.get(c, c), key="region",
                      bind="query-params", help="全市或某一县（市、区）")
    bar.selectbox("对比", list(COMPARISONS), format_func=COMPARISONS.get, key="compare",
                  bind="query-params")
    bar.toggle("会议模式（大字、隐藏侧栏）", key="meeting", bind="query-params")


def month() -> str:
    return st.session_state["month"]


def region() -> str | None:
    return st.session_state.get("region")


def compare() -> str:
    return st.session_state.get("compare", "prev_month")


def meeting() -> bool:
    return bool(st.session_state.get("meeting"))


def leave_meeting() -> None:
    st.session_state["meeting"] = False


def region_name(code: str | None) -> str:
    return st.session_state.get("_region_names", {}).get(code, code or "")


def region_level(code: str | None) -> str:
    """'city' or 'county' for the regions the sidebar offers."""
    scope = viewer_scope()
    counties = engine.regions(scope, "county")
    return "county" if code in set(counties["region_code"]) else "city"
