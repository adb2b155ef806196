"""Every page opens on a partial roll-out and on the month in progress without an error (AppTest).

One matrix: each page is run once in each state of the roll-out cut from the demo (tests/fixtures/rollout.py),
and every check of that state is made on that one run: the clean-page checks for all pages, and the topic
pages' checks (period caption, Chinese edges, no-data lines, the month in progress) that tests/test_topics_pages.py
made on its own hand-made roll-out before the two matrices were merged. The checks that need the hand-made
fixture's hand-worked figures (序时进度 45.8 %, 兖州区 805,000 of 600,000) stay in tests/test_topics_pages.py.
"""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from queries import fmt
from queries.periods import Month, today
from tests.fixtures.rollout import CITY, FULL, MONTH_WITHOUT_VISITS, OVERSPEND_YEAR, REGIONS_ONLY
from tests.login import login

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
PAGES = ["cockpit", "ranking", "children", "network", "visits", "training", "funds", "scorecard",
         "weekly", "overview", "definitions"]
TOPIC_PAGES = {"children", "network", "visits", "training", "funds", "overview"}
NO_DATA_PAGES = {"children", "visits", "training", "funds"}  # say so in a line where a chart would be empty
ENGLISH_BOX = ("This app has encountered an error", "Ask Google", "Traceback")
COMPLETE_MONTH = f"{OVERSPEND_YEAR}-11"  # a whole month of the year 泗水县 overspent
IN_PROGRESS = "in progress"  # the month of today, resolved when the test runs

# state → (region in the link, month in the link); None leaves the sidebar's default
STATES = {
    "city": (None, None),
    "regions-only": (REGIONS_ONLY, None),
    "county": (FULL, COMPLETE_MONTH),
    "no-visits": (FULL, MONTH_WITHOUT_VISITS),
    "in-progress": (FULL, IN_PROGRESS),
    "in-progress-city": (CITY, IN_PROGRESS),
}
COMPLETE_STATES = {"city", "regions-only", "county"}


def _open(url: str, monkeypatch, page: str, month: str | None, region: str | None) -> AppTest:
    monkeypatch.setenv("WEIBAO_DB_URL", url)
    at = login(AppTest.from_file(APP, default_timeout=180))
    if month:
        at.query_params["month"] = month
    if region:
        at.query_params["region"] = region
    at.run()
    at.switch_page(f"views/{page}.py")
    at.run()
    return at


def _shown(at: AppTest, tables: bool = True) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [w.value for w in at.warning]
    parts += [i.value for i in at.info] + [s.value for s in at.success]
    if tables:
        # Tables show a missing value as their placeholder (—), which to_string would print as NaN.
        parts += [df.value.astype(object).where(df.value.notna(), fmt.NO_DATA).to_string() for df in at.dataframe]
    return "\n".join(str(p) for p in parts)


def _charts(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _title(chart: dict) -> str:
    return chart["layout"]["title"]["text"]


def _cards(at: AppTest) -> list[str]:
    return " ".join(m.value for m in at.markdown if "wb-card" in m.value).split('<div class="wb-card"')


def _assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert at.title, "every page has a title"
    text = _shown(at)
    for english in ENGLISH_BOX:
        assert english not in text


def _assert_chinese_edges(at: AppTest) -> None:
    """No indicator key, no None/nan, no English error box where a viewer reads."""
    text = _shown(at) + "".join(json.dumps(c, ensure_ascii=False) for c in _charts(at))
    for word in ("None", "nan", "NaN", "Traceback", "visit_completion", "fund_execution_rate", "children_total"):
        assert word not in text.replace("\"None\"", ""), word


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("state", list(STATES))
def test_page_opens_on_the_partial_rollout(rollout_url, monkeypatch, page, state):
    region, month = STATES[state]
    day = today()
    if month == IN_PROGRESS:
        month = str(Month.of(day))
    at = _open(rollout_url, monkeypatch, page, month, region)
    _assert_clean(at)
    assert at.session_state["region"] == (region or CITY)
    if month:
        assert at.session_state["month"] == month
    shown_month = Month.parse(at.session_state["month"])

    if page in TOPIC_PAGES and state in COMPLETE_STATES:
        assert f"截至 {shown_month.year}年{shown_month.month}月末" in at.caption[0].value
        if state == "regions-only" and page in NO_DATA_PAGES:
            assert at.info, f"{page}: no Chinese no-data line for a county with only its regions"
        _assert_chinese_edges(at)
    if page == "visits" and state == "no-visits":
        assert "本月没有任何走访记录" in _shown(at)
    if page in TOPIC_PAGES and state.startswith("in-progress"):
        first = at.caption[0].value
        assert f"截至 {day.month} 月 {day.day} 日（本月进行中）" in first and "月末" not in first
        for chart in _charts(at):
            assert "月末" not in _title(chart), _title(chart)

    if page == "cockpit" and state == "in-progress":
        # The month in progress is labelled and not red for being early.
        assert f"截至 {day.month} 月 {day.day} 日" in _shown(at, tables=False)
        assert "月末" not in " ".join(c.value for c in at.caption[:1])
        visit_card = next(part for part in _cards(at) if "走访完成率" in part)
        assert "进行中" in visit_card
        assert ">红<" not in visit_card
    if page == "cockpit" and state == "county":
        # Spending above the budget is never green.
        fund_card = next(part for part in _cards(at) if "预算执行率" in part)
        assert "数据异常" in fund_card and "累计支出超过年度预算" in fund_card
        assert ">绿<" not in fund_card
