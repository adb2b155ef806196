"""Entry point: page setup, navigation, sidebar filters, meeting mode and the 演示数据 banner."""

import streamlit as st

st.set_page_config(page_title="未保驾驶舱", page_icon="🛡️", layout="wide")

from dashboard import engine, filters, widgets  # noqa: E402  (set_page_config must run first)

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


def main() -> None:
    # Every page is registered before anything can stop the script, so deep links always resolve.
    page = st.navigation(PAGES)
    try:
        meta = engine.meta()
    except engine.DataUnavailable as err:
        st.error(str(err))
        st.stop()
    if not meta["months"]:
        st.info("数据库中还没有数据。请先导入台账（python -m data.load）或生成演示数据（python -m data.demo）。")
        st.stop()
    engine.start_warmer()
    filters.sidebar(meta)
    widgets.page_style(filters.meeting())
    if filters.meeting():
        st.button("退出会议模式", on_click=filters.leave_meeting)
    if meta["demo"]:
        st.warning("演示数据：按公开数字校准的合成数据，仅供演示，不代表任何地区的真实情况。", icon="⚠️")
    try:
        page.run()
    except engine.DataUnavailable as err:
        st.error(str(err))


main()
