"""Sidebar filters (month, region, comparison, meeting mode) kept in the URL, and the viewer's scope."""

import re

import streamlit as st

from dashboard import engine, login
from queries.engine import Scope
from queries.periods import Month, in_progress, latest_complete_month

COMPARISONS = {"prev_month": "比上月", "prev_year": "比去年同月"}
# The filters every link carries. The widgets are not bound to the URL (bind="query-params"): a bound
# selectbox writes its label, so a link would read region=泗水县 and month=2026-12（进行中）, and it
# drops unbound parameters on a page switch. This module writes the URL itself on every run instead.
URL_KEYS = ("region", "month", "compare", "meeting")
_WRITTEN = "_url_written"  # what this session last put in the URL
_TRUE = {"true", "1", "yes", "on", "是", "开"}
_FALSE = {"false", "0", "no", "off", "否", "关", ""}


def viewer_scope() -> Scope:
    """What the logged-in viewer may see and whom they are compared with, from their account only.

    app.py re-reads the account from the auth store on every run (login.gate), so a changed role or
    region counts at once; nobody logged in sees nothing. Every cached query receives the scope as an
    argument; none reads session state itself.
    """
    user = st.session_state.get(login.VIEWER)
    if user is None:
        return Scope(roots=())
    try:
        return _scope_of(engine.db_url(), engine.version(), user.role, user.region_code)
    except ValueError as err:  # the account's region is not (or no longer) in this database
        st.error(f"{err}：本账号无法查看数据。请联系管理员核对账号区域（python -m data.users list）。")
        st.stop()


@st.cache_data(ttl=engine.TTL, max_entries=256, show_spinner=False)
def _scope_of(url: str, version: str, role: str, region: str) -> Scope:
    # By the parent links of the region table (queries.engine.Scope.for_viewer): a county sees its
    # county and is compared with its city; the other roles see everything under their region.
    return engine._read(lambda conn: Scope.for_viewer(conn, role, region))


def month_label(month: str) -> str:
    """'2026-12（进行中）' for the month still being logged, else the month itself."""
    try:
        return f"{month}（进行中）" if in_progress(month) else month
    except ValueError:
        return month


def default_month(months: list[str]) -> str:
    """The latest complete month when it has data (the current one is still being logged), else the newest."""
    complete = str(latest_complete_month())
    return complete if complete in months else months[0]


def _region_code(asked: str, names: dict[str, str]) -> str | None:
    """A region of the sidebar from a link: its 12-digit code, a 6- or 9-digit prefix, or its unique name."""
    text = asked.strip()
    if re.fullmatch(r"\d{6}|\d{9}|\d{12}", text):
        code = text.ljust(12, "0")
        return code if code in names else None
    matches = [code for code, name in names.items() if name == text]
    return matches[0] if len(matches) == 1 else None


def _from_link(key: str, asked: str, months: list[str], names: dict[str, str]):
    """(value, None) for a usable link value, else (None, what to tell the viewer about it)."""
    state = st.session_state
    if key == "region":
        code = _region_code(asked, names)
        if code:
            return code, None
        # `names` holds only the viewer's regions: another county's code or name is refused like a
        # typo, and recorded (越权访问), without telling which of the two it was.
        login.audit("denied", asked_region=asked[:100], via="link")
        shown = names.get(state.get("region")) or next(iter(names.values()), "")
        return None, f"链接中的区域“{asked}”不存在或无权查看，已显示{shown}。已记录。"
    if key == "month":
        shown = state.get("month") if state.get("month") in months else default_month(months)
        try:
            month = str(Month.parse(asked))
        except ValueError:
            return None, f"链接中的月份“{asked}”格式不对（应为 YYYY-MM），已显示 {shown}。"
        return (month, None) if month in months else (None, f"链接中的月份“{asked}”没有数据，已显示 {shown}。")
    if key == "compare":
        # Older links carry the label (比去年同月) that the bound selectbox used to write.
        by_label = {label: code for code, label in COMPARISONS.items()}
        code = asked if asked in COMPARISONS else by_label.get(asked.strip())
        shown = COMPARISONS[state.get("compare", "prev_month")]
        return (code, None) if code else (None, f"链接中的对比方式“{asked}”不存在，已显示{shown}。")
    word = asked.strip().lower()
    if word in _TRUE | _FALSE:
        return word in _TRUE, None
    return None, f"链接中的会议模式“{asked}”无法识别，已按{'开启' if state.get('meeting') else '关闭'}显示。"


def _read_link(months: list[str], names: dict[str, str]) -> list[str]:
    """Take the filters from the URL where the URL is news to this session; returns notices for bad values.

    A value this session wrote itself is an echo, and the widget may have moved on since. A missing key is
    kept from the session: Streamlit drops the parameters of unbound widgets on a page switch.
    """
    state = st.session_state
    written = state.get(_WRITTEN) or {}
    notices = []
    for key in URL_KEYS:
        asked = st.query_params.get(key)
        if asked is None or written.get(key) == asked:
            continue
        value, notice = _from_link(key, asked, months, names)
        if notice:
            notices.append(notice)
        else:
            state[key] = value
    # Whatever is still unset or no longer offered (e.g. a month removed by a re-import) falls back quietly.
    if state.get("month") not in months:
        state["month"] = default_month(months)
    if names and state.get("region") not in names:
        state["region"] = next(iter(names))
    if state.get("compare") not in COMPARISONS:
        state["compare"] = "prev_month"
    return notices


def link_params() -> dict[str, str]:
    """The URL parameters of the current view: region code and month always, comparison and meeting when set."""
    state = st.session_state
    params = {key: state[key] for key in ("region", "month") if state.get(key)}
    if state.get("compare", "prev_month") != "prev_month":
        params["compare"] = state["compare"]
    if state.get("meeting"):
        params["meeting"] = "true"
    return params


def _write_link() -> None:
    want = link_params()
    changed = {key: value for key, value in want.items() if st.query_params.get(key) != value}
    if changed:  # one update, so one browser history entry
        st.query_params.update(changed)
    for key in URL_KEYS:
        if key not in want and key in st.query_params:
            del st.query_params[key]
    st.session_state[_WRITTEN] = want


def sidebar(meta: dict) -> None:
    """Draw the filters and put them in the URL; pages read them through the functions below."""
    months = meta["months"]
    scope = viewer_scope()
    cities = engine.regions(scope, "city")
    counties = engine.regions(scope, "county")
    names = dict(zip(cities["region_code"], cities["region_name"]))
    names.update(zip(counties["region_code"], counties["region_name"]))
    user = st.session_state.get(login.VIEWER)
    if user is not None and user.role == "county":  # its own county, never the city to pick
        names = {code: name for code, name in names.items() if code == user.region_code}
    if not names:
        st.error("您账号的区域在当前数据库中不存在，无法显示数据。请联系管理员核对账号区域（python -m data.users list）。")
        st.stop()
    st.session_state["_region_names"] = names
    for notice in _read_link(months, names):
        st.warning(notice, icon=":material/link_off:")
    bar = st.sidebar
    bar.selectbox("统计月份", months, format_func=month_label, key="month",
                  help="月末在册口径；默认最近一个完整月份；标“进行中”的月份还在填报")
    if names:
        # A county account has its county only: shown, but nothing to pick.
        bar.selectbox("区域", list(names), format_func=lambda c: names.get(c, c), key="region",
                      help="全市或某一县（市、区）", disabled=len(names) == 1)
    bar.selectbox("对比", list(COMPARISONS), format_func=COMPARISONS.get, key="compare")
    bar.toggle("会议模式（大字、隐藏侧栏）", key="meeting")
    _write_link()


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
