"""Entry point: page setup, navigation, sidebar filters, meeting mode, the 演示数据 banner and error guard."""

import streamlit as st
from streamlit.errors import FragmentHandledException

st.set_page_config(page_title="未保驾驶舱", page_icon="🛡️", layout="wide")

from dashboard import engine, filters, guard, widgets  # noqa: E402  (set_page_config must run first)

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
}


def _menu(where) -> None:
    """The page menu, each link carrying the current filters.

    Streamlit's own menu drops unbound URL parameters on a click; filters.py would put them back, but only
    after an extra, parameterless browser history entry (Back then seems to do nothing), and a link
    opened in a new tab would lose the region. A page link takes the parameters along.
    """
    params = filters.link_params()
    for section, pages in PAGES.items():
        where.caption(section)
        for entry in pages:
            where.page_link(entry, query_params=params)


def _prepare(page) -> None:
    """Data check, sidebar filters, meeting mode and banners: everything every page stands on."""
    meta = engine.meta()
    if not meta["months"]:
        st.info("数据库中还没有数据。请先导入台账（python -m data.load）或生成演示数据（python -m data.demo）。")
        st.stop()
    engine.start_warmer()
    menu = st.sidebar.container()  # above the filters, filled once they are known
    filters.sidebar(meta)
    _menu(menu)
    missing = guard.missing_page()
    if missing is not None:
        asked = f"“/{missing}”" if missing else ""
        st.warning(f"链接中的页面{asked}不存在，已显示{page.title}。", icon="🔗")
    widgets.page_style(filters.meeting())
    if filters.meeting():
        st.button("退出会议模式", on_click=filters.leave_meeting, key="leave_meeting")
    if meta["demo"]:
        st.warning("演示数据：按公开数字校准的合成数据，仅供演示，不代表任何地区的真实情况。", icon="⚠️")


def main() -> None:
    guard.install()
    # Every page is registered before anything can stop the script, so deep links always resolve.
    page = st.navigation(PAGES, position="hidden")
    # `except Exception` leaves st.stop, st.rerun and st.switch_page alone: Streamlit's control-flow
    # exceptions derive from BaseException. A fragment's error has already been shown by guard.
    try:
        _prepare(page)
    except engine.DataUnavailable as err:
        st.error(str(err))
        st.stop()
    except FragmentHandledException:
        raise
    except Exception as err:  # noqa: BLE001  (nothing without the filters can run; say so in Chinese)
        guard.report(err, "sidebar")
        st.stop()
    try:
        page.run()
    except engine.DataUnavailable as err:
        st.error(str(err))
    except FragmentHandledException:
        raise
    except Exception as err:  # noqa: BLE001  (one page's bug must not show English or stop the others)
        guard.report(err, page.url_path or "cockpit")


main()
