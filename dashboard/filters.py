"""Sidebar filters (month, region) mirrored in the URL, and the viewer's scope."""

import streamlit as st

from dashboard import engine
from queries.engine import Scope


def viewer_scope() -> Scope:
    """What the viewer may see; everything until login and per-county roles arrive."""
    return Scope.everything()


def sidebar(meta: dict) -> None:
    """Draw the filters; pages read them through month() and region()."""
    months = meta["months"]
    # The current month is still being logged: default to the latest complete one.
    default = 1 if len(months) > 1 else 0
    st.sidebar.selectbox("统计月份", months, index=default, key="month", bind="query-params")
    scope = viewer_scope()
    cities = engine.regions(scope, "city")
    counties = engine.regions(scope, "county")
    options = cities["region_code"].tolist() + counties["region_code"].tolist()
    names = dict(zip(cities["region_code"], cities["region_name"]))
    names.update(zip(counties["region_code"], counties["region_name"]))
    st.session_state["_region_names"] = names
    st.sidebar.selectbox("区域", options, format_func=lambda c: names.get(c, c), key="region",
                         bind="query-params")


def month() -> str:
    return st.session_state["month"]


def region() -> str | None:
    return st.session_state.get("region")


def region_name(code: str) -> str:
    return st.session_state.get("_region_names", {}).get(code, code)
