"""Entry point: page setup, navigation, sidebar filters, meeting mode and the 演示数据 banner."""

import streamlit as st

st.set_page_config(page_title="未保驾驶舱", page_icon="🛡️", layout="wide")

from dashboard import engine, filters, widgets  # noqa: E402  (set_page_config must run first)
from dashboard.views import (  # noqa: E402
    children, cockpit, definitions, funds, network, overview, ranking, scorecard, training, visits, weekly,
)

PAGES = {
    "驾驶舱": [
        st.Page(cockpit.render, title="领导驾驶舱", url_path="cockpit", default=True),
        st.Page(ranking.render, title="县区排名与地图", url_path="ranking"),
    ],
    "专题": [
        st.Page(children.render, title="儿童底数", url_path="children"),
        st.Page(network.render, title="阵地与队伍", url_path="network"),
        st.Page(visits.render, title="走访", url_path="visits"),
        st.Page(training.render, title="培训", url_path="training"),
        st.Page(funds.render, title="资金", url_path="funds"),
    ],
    "督查与调度": [
        st.Page(scorecard.render, title="考评", url_path="scorecard"),
        st.Page(weekly.render, title="周调度", url_path="weekly"),
    ],
    "说明": [
        st.Page(overview.render, title="指标总表", url_path="table"),
        st.Page(definitions.render, title="口径说明", url_path="definitions"),
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
    filters.sidebar(meta)
    widgets.page_style(filters.meeting())
    if meta["demo"]:
        st.warning("演示数据：按公开数字校准的合成数据，仅供演示，不代表任何地区的真实情况。", icon="⚠️")
    try:
        page.run()
    except engine.DataUnavailable as err:
        st.error(str(err))


main()
