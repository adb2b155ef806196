"""Entry point: page setup, login, navigation by role, sidebar filters, meeting mode, banners, audit and error guard."""

import streamlit as st
from streamlit.errors import FragmentHandledException

st.set_page_config(page_title="未保驾驶舱", page_icon="🛡️", layout="wide")

from dashboard import engine, filters, guard, login, widgets  # noqa: E402  (set_page_config must run first)
from queries.engine import OutOfScope  # noqa: E402  (the query layer's refusal of a region outside the scope)

PAGES = {
    "驾驶舱": [
        st.Page("views/cockpit.py", title="领导驾驶舱", url_path="cockpit", default=True),
        st.Page("views/ranking.py", title="县区排名与地图", url_path="ranking"),
    ],
    "专题": [
        st.Page("views/children.py", title="儿童底数", url_path="children"),
        st.Page("views/network.py", title="阵地与队伍", url_path="network"),
        st.Page("views/visits.py", title="走访", url_path="visits"),
        st.Page("views/training.py", title="培训", url_path="training"),
        st.Page("views/funds.py", title="资金", url_path="funds"),
    ],
    "督查与调度": [
        st.Page("views/scorecard.py", title="考评", url_path="scorecard"),
        st.Page("views/weekly.py", title="周调度", url_path="weekly"),
    ],
    "说明": [
        st.Page("views/overview.py", title="指标总表", url_path="table"),
        st.Page("views/definitions.py", title="口径说明", url_path="definitions"),
    ],
    "管理": [
        st.Page("views/audit.py", title="审计日志", url_path="audit"),
    ],
}
# Pages only some roles may use (url path → roles); every other page is for every role. A page missing
# here for a role is left out of its menu and refused when opened by URL.
PAGE_ROLES = {"audit": {"admin"}}
DENIED_PAGE = "无权使用该页面，已记录。"


def allowed(page, role: str) -> bool:
    roles = PAGE_ROLES.get(page.url_path)
    return roles is None or role in roles


def _menu(where, role: str) -> None:
    """The page menu of the viewer's role, each link carrying the current filters.

    Streamlit's own menu drops unbound URL parameters on a click; filters.py would put them back, but only
    after an extra, parameterless browser history entry (Back then seems to do nothing), and a link
    opened in a new tab would lose the region. A page link takes the parameters along.
    """
    params = filters.link_params()
    for section, pages in PAGES.items():
        mine = [entry for entry in pages if allowed(entry, role)]
        if mine:
            where.caption(section)
        for entry in mine:
            where.page_link(entry, query_params=params)


def _prepare(page, user) -> None:
    """Data check, sidebar filters, meeting mode and banners: everything every page stands on."""
    meta = engine.meta()
    if not meta["months"]:
        st.info("数据库中还没有数据。请先导入台账（python -m data.load）或生成演示数据（python -m data.demo）。")
        st.stop()
    engine.start_warmer()
    menu = st.sidebar.container()  # above the filters, filled once they are known
    filters.sidebar(meta)
    _menu(menu, user.role)
    login.sidebar_footer(user, filters.region_name(user.region_code))
    missing = guard.missing_page()
    if missing is not None:
        asked = f"“/{missing}”" if missing else ""
        st.warning(f"链接中的页面{asked}不存在，已显示{page.title}。", icon=":material/link_off:")
    widgets.page_style(filters.meeting())
    if filters.meeting():
        st.button("退出会议模式", on_click=filters.leave_meeting, key="leave_meeting")
    if meta["demo"]:
        st.warning(login.DEMO_BANNER, icon=":material/warning:")


def _viewed(page) -> None:
    """One page_view record per distinct view (page, region, month), not one per widget click."""
    view = (page.url_path or "cockpit", filters.region(), filters.month())
    if st.session_state.get("_last_view") != view:
        st.session_state["_last_view"] = view
        login.audit("page_view", region=view[1], month=view[2])


def _refused(err: Exception) -> None:
    """越权访问 raised by the query layer: a Chinese notice, and the request recorded with what was asked."""
    state = st.session_state  # (the filters may not be set yet when the sidebar itself was refused)
    guard.refused(err, via="query", region=state.get("region"), month=state.get("month"))


def main() -> None:
    guard.install()
    # Every page is registered before anything can stop the script, so deep links always resolve and
    # survive the login form (the path and ?region=…&month=… stay in the address while it is shown).
    page = st.navigation(PAGES, position="hidden")
    st.session_state[login.PAGE] = page.url_path or "cockpit"
    # `except Exception` leaves st.stop, st.rerun and st.switch_page alone: Streamlit's control-flow
    # exceptions derive from BaseException. A fragment's error has already been shown by guard.
    try:
        user = login.gate(page.url_path or "cockpit")  # logged out: the login form, then st.stop()
    except engine.DataUnavailable as err:
        st.error(str(err))
        st.stop()
    except Exception as err:  # noqa: BLE001  (e.g. the auth store unreachable: one Chinese line, no page)
        guard.report(err, "login")
        st.stop()
    try:
        _prepare(page, user)
    except engine.DataUnavailable as err:
        st.error(str(err))
        st.stop()
    except OutOfScope as err:
        _refused(err)
        st.stop()
    except FragmentHandledException:
        raise
    except Exception as err:  # noqa: BLE001  (nothing without the filters can run; say so in Chinese)
        guard.report(err, "sidebar")
        st.stop()
    if not allowed(page, user.role):
        st.error(DENIED_PAGE, icon=":material/block:")
        if st.session_state.get("_last_view") != ("denied", page.url_path):  # once, not on every click
            st.session_state["_last_view"] = ("denied", page.url_path)
            login.audit("denied", via="page", region=filters.region(), month=filters.month())
        st.stop()
    _viewed(page)
    try:
        page.run()
    except engine.DataUnavailable as err:
        st.error(str(err))
    except OutOfScope as err:
        _refused(err)
    except FragmentHandledException:
        raise
    except Exception as err:  # noqa: BLE001  (one page's bug must not show English or stop the others)
        guard.report(err, page.url_path or "cockpit")


main()
