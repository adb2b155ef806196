"""Each topic page runs without an exception and shows the engine's headline figure (Streamlit AppTest)."""

import json
import os
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import charts_topics as ct
from data.db import get_engine
from queries import fmt, judge
from queries.engine import Scope, indicators
from queries.periods import Month
from queries.registry import by_key
from tests.login import login
from tests.test_topics_fixture import A, B, CITY, build

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
# page file → the headline indicator whose formatted value must appear on the page
PAGES = {
    "children": "children_total",
    "network": "village_director_coverage",
    "visits": "visit_completion",
    "training": "training_rate",
    "funds": "fund_budget",
}


@pytest.fixture(scope="module")
def app_db(demo_url):
    """The city demo, built once per session by conftest (and shared with tests/test_pages.py)."""
    old = os.environ.get("WEIBAO_DB_URL")
    os.environ["WEIBAO_DB_URL"] = demo_url
    yield demo_url
    if old is None:
        os.environ.pop("WEIBAO_DB_URL", None)
    else:
        os.environ["WEIBAO_DB_URL"] = old


def _open(page: str, region: str) -> AppTest:
    at = login(AppTest.from_file(APP, default_timeout=180))
    at.session_state["region"] = region
    at.run()
    at.switch_page(f"views/{page}.py")
    at.run()
    return at


def _page_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [m.value for m in at.metric] + [c.value for c in at.caption]
    parts += [df.value.to_string() for df in at.dataframe]
    return "\n".join(str(p) for p in parts)


def engine_headline(url: str, page: str, month: str, where: str, region: str) -> str:
    """The page's headline figure as the engine computes and fmt formats it."""
    key = PAGES[page]
    engine = get_engine(url)
    with engine.connect() as conn:
        row = indicators(conn, month, where, region, scope=Scope.everything()).loc[region]
    engine.dispose()
    return fmt.value(by_key()[key], row[key])


# The city's headlines are checked on tests/test_pages.py's render of each page (the demo city in the sidebar's
# default month, which was this test's city state too); a county's here.
@pytest.mark.parametrize("page", list(PAGES))
def test_page_shows_the_engine_headline_for_a_county(app_db, page):
    url = app_db
    engine = get_engine(url)
    with engine.connect() as conn:
        city = indicators(conn, "2026-06", "city", scope=Scope.everything()).index[0]
        county = indicators(conn, "2026-06", "county", city, scope=Scope.everything()).index[0]
    engine.dispose()
    at = _open(page, county)
    assert not at.exception, [e.value for e in at.exception]
    expected = engine_headline(url, page, at.session_state["month"], "county", county)
    assert expected != fmt.NO_DATA
    assert expected in _page_text(at), f"{page}: {expected} not on the page"


# ---- partial roll-out and the month in progress (issue 6) ----------------------------------------
# Every topic page on a partial roll-out, on a month without visits and on the month in progress (city and
# county) is one column of the page × state matrix in tests/test_rollout_pages.py, which makes this file's former
# checks of those states (period caption, Chinese edges, no-data lines, no 月末 in the month in progress) on the
# same runs as its own. Here: what needs this hand-made fixture's hand-worked figures.

ROLLOUT_MONTH = "2026-06"  # the fixture's 2024-06 moved two years on
PINNED_TODAY = "2026-06-15"  # inside ROLLOUT_MONTH: the month in progress, 15 of 30 days gone


def _rollout(tmp_path_factory, name: str) -> str:
    """The hand-made fixture with the partial roll-out rows, two years on; one file per use, since the
    dashboard caches answers per database and a pinned today must not meet a whole month's cached answer."""
    path = tmp_path_factory.mktemp(name) / "rollout.sqlite"
    url = f"sqlite:///{path}"
    build(url, years=2, rollout=True).dispose()
    return url


@pytest.fixture(scope="module")
def rollout_db(tmp_path_factory):
    return _rollout(tmp_path_factory, "topics_rollout")


@pytest.fixture(scope="module")
def in_progress_db(tmp_path_factory):
    return _rollout(tmp_path_factory, "topics_in_progress")


def _open_at(url: str, monkeypatch, page: str, month: str, region: str) -> AppTest:
    monkeypatch.setenv("WEIBAO_DB_URL", url)
    at = login(AppTest.from_file(APP, default_timeout=180))
    at.query_params["month"] = month
    at.query_params["region"] = region
    at.run()
    at.switch_page(f"views/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert at.session_state["month"] == month and at.session_state["region"] == region
    return at


def _shown(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [w.value for w in at.warning]
    parts += [i.value for i in at.info] + [s.value for s in at.success]
    # Tables show a missing value as their placeholder (—), which to_string would print as NaN.
    parts += [df.value.astype(object).where(df.value.notna(), fmt.NO_DATA).to_string() for df in at.dataframe]
    return "\n".join(str(p) for p in parts)


def _charts(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _title(chart: dict) -> str:
    return chart["layout"]["title"]["text"]


def _assert_chinese_edges(at: AppTest) -> None:
    """No indicator key, no None/nan, no English error box where a viewer reads."""
    text = _shown(at) + "".join(json.dumps(c, ensure_ascii=False) for c in _charts(at))
    for word in ("None", "nan", "NaN", "Traceback", "visit_completion", "fund_execution_rate", "children_total"):
        assert word not in text.replace("\"None\"", ""), word


def _assert_in_progress(at: AppTest) -> None:
    """The period caption says the month is in progress, and no chart calls its figures 月末."""
    first = at.caption[0].value
    assert "截至 6 月 15 日（本月进行中）" in first and "月末" not in first
    for chart in _charts(at):
        assert "月末" not in _title(chart), _title(chart)


# These runs are also this fixture's own cells of the former matrices (visits and funds in the month in progress,
# funds on the partial roll-out), whose checks they keep.

def test_visits_in_progress_paints_no_township_red_and_says_why(in_progress_db, monkeypatch):
    monkeypatch.setenv("WEIBAO_TODAY", PINNED_TODAY)
    at = _open_at(in_progress_db, monkeypatch, "visits", ROLLOUT_MONTH, A)
    card = next(m.value for m in at.markdown if "wb-card" in m.value and "走访完成率" in m.value)
    assert "进行中" in card and ">红<" not in card
    towns = next(c for c in _charts(at) if _title(c).startswith("各乡镇（街道）本月走访完成率"))
    assert fmt.STATE_COLOURS["red"] not in towns["data"][0]["marker"]["color"]
    assert set(towns["data"][0]["marker"]["color"]) == {fmt.STATE_COLOURS["early"]}
    assert len(at.info) == 1 and "本月不评色、不标红" in at.info[0].value
    assert not any("没有任何走访记录" in w.value for w in at.warning), "an early month is not a missing report"
    _assert_in_progress(at)


def test_funds_in_progress_judge_against_the_elapsed_share(in_progress_db, monkeypatch):
    monkeypatch.setenv("WEIBAO_TODAY", PINNED_TODAY)
    at = _open_at(in_progress_db, monkeypatch, "funds", ROLLOUT_MONTH, CITY)
    pace = "序时进度 45.8%"  # (5 whole months + 15/30 of June) ÷ 12 = 0.4583
    assert pace in _shown(at)
    bars = next(c for c in _charts(at) if _title(c).startswith("各县区预算执行率"))
    assert pace in [a.get("text") for a in bars["layout"].get("annotations", [])]  # the reference line
    _assert_in_progress(at)


def test_spending_above_budget_is_never_green(rollout_db, monkeypatch):
    at = _open_at(rollout_db, monkeypatch, "funds", ROLLOUT_MONTH, CITY)
    bars = next(c for c in _charts(at) if _title(c).startswith("各县区预算执行率"))
    colours = dict(zip(bars["data"][0]["y"], bars["data"][0]["marker"]["color"]))
    assert colours["兖州区"] == fmt.STATE_COLOURS["anomaly"]  # 805,000 of 600,000
    assert "累计支出超过年度预算" in _shown(at)
    assert "截至 2026年6月末" in at.caption[0].value
    _assert_chinese_edges(at)
    at = _open_at(rollout_db, monkeypatch, "funds", ROLLOUT_MONTH, B)
    card = next(m.value for m in at.markdown if "wb-card" in m.value and "预算执行率" in m.value)
    assert "数据异常" in card and "累计支出超过年度预算" in card and ">绿<" not in card


# ---- the pieces the pages are drawn with ---------------------------------------------------------

def test_heat_cell_shows_one_decimal_and_is_coloured_on_that_value():
    ind = by_key()["visit_completion"]
    frame = pd.DataFrame({"region_code": ["a", "a", "b"], "region_name": ["甲镇", "甲镇", "乙镇"],
                          "month": ["2024-05", "2024-06", "2024-06"], ind.key: [0.94996, 0.94949, None]})
    text, state = ct.heat_cells(frame, ind)
    # 94.996 % rounds half up to 95.0, which is ≥ 95 %: green. 94.949 % reads 94.9: yellow (≥ 85 %).
    assert text.loc["甲镇", "2024-05"] == "95.0" and state.loc["甲镇", "2024-05"] == "green"
    assert text.loc["甲镇", "2024-06"] == "94.9" and state.loc["甲镇", "2024-06"] == "yellow"
    assert text.loc["乙镇", "2024-06"] == fmt.NO_DATA and state.loc["乙镇", "2024-06"] is None
    heat = ct.status_heatmap(frame, ind, "t").data[0]
    where = heat.z[0][0] / (len(ct.HEAT_STATES) - 1)  # the cell's place on the colour scale
    band = {c1 for (p1, c1), (p2, c2) in zip(heat.colorscale, heat.colorscale[1:]) if p1 < where < p2 or
            (p1 < p2 and where in (p1, p2))}
    assert band == {fmt.STATE_COLOURS["green"]}
    assert heat.text[0][0] == "95.0"


def test_rate_colours_accept_every_state():
    states = [*judge.STATES, None, "unknown"]
    colours = ct.rate_colours([0.5] * len(states), states)
    assert colours[:5] == [fmt.STATE_COLOURS[s] for s in judge.STATES]
    assert all(isinstance(c, str) and c.startswith("#") for c in colours)
    assert ct.rate_colours([None, float("nan")], ["green", "red"]) == [ct.NO_DATA_COLOUR] * 2


def test_month_labels_never_run_two_years_together():
    twelve = [str(Month(2025, 12).shift(i)) for i in range(12)]  # 2025-12 … 2026-11
    labels = ct.month_labels(twelve)
    assert labels[:2] == ["12月", "1月<br>2026年"]  # the first keeps no year: January follows at once
    for months in (twelve, [str(Month(2025, 1).shift(i)) for i in range(24)],
                   [str(Month(2024, 12).shift(i)) for i in range(24)]):
        ticks = ct.month_ticks(months)
        assert len(ticks) <= ct.MAX_MONTH_TICKS
        assert all(t in ticks for t in months if t.endswith("-01")), "every January keeps its tick"
        shown = ct.month_labels(ticks)
        with_year = [i for i, label in enumerate(shown) if "年" in label]
        assert all(b - a > 2 for a, b in zip(with_year, with_year[1:])), shown
        assert with_year and with_year[0] <= 2, "the year is named near the start"


def test_the_narrow_trend_labels_every_third_month_and_always_the_latest():
    """走访's 12-month trend sits in two fifths of the page: every third month labelled, back from the latest,
    the year named where it changes even when that month is not January."""
    from exports.figures import NARROW_MONTH_TICKS, rate_trend
    from queries.registry import by_key

    ending_in = {"2026-11": ["2026-02", "2026-05", "2026-08", "2026-11"],
                 "2026-12": ["2026-03", "2026-06", "2026-09", "2026-12"],
                 "2027-02": ["2026-05", "2026-08", "2026-11", "2027-02"]}
    for last, expected in ending_in.items():
        months = [str(Month.parse(last).shift(i - 11)) for i in range(12)]
        assert ct.month_ticks(months, NARROW_MONTH_TICKS, latest=True) == expected
    assert ct.month_labels(ending_in["2027-02"]) == ["5月<br>2026年", "8月", "11月", "2月<br>2027年"]
    ind = by_key()["visit_completion"]
    frame = pd.DataFrame({"month": [str(Month(2026, 1).shift(i)) for i in range(12)], ind.key: [0.9] * 12})
    axis = rate_trend(frame, ind, "t").layout.xaxis
    assert list(axis.tickvals) == ["2026-03", "2026-06", "2026-09", "2026-12"]
    assert list(axis.ticktext)[0] == "3月<br>2026年"


def test_the_narrow_trend_puts_the_month_in_progress_note_on_a_line_of_its_own(suite_today):
    """In two fifths of the page at 1024 px, '（%，截至 12 月 1 日（本月进行中））' on one line ran off the chart's
    edge: the note goes on a third line (and the plot down by a line); a whole month's title keeps two."""
    from exports.figures import rate_trend

    ind = by_key()["visit_completion"]
    ending = {"2026-11": "（%，截至 2026年11月末）", "2026-12": f"（%，截至 12 月 {suite_today.day} 日，<br>本月进行中）"}
    margins = {}
    for last, tail in ending.items():
        frame = pd.DataFrame({"month": [str(Month.parse(last).shift(i - 11)) for i in range(12)], ind.key: [0.9] * 12})
        layout = rate_trend(frame, ind, fmt.chart_title("近 12 个月走访完成率", "%", last)).layout
        head, _, sub = layout.title.text.partition("<br>")
        assert head == "近 12 个月走访完成率" and sub == f"<span style='font-size:14px;color:#555'>{tail}</span>"
        margins[last] = layout.margin.t
    assert margins["2026-12"] == margins["2026-11"] + 18


def test_an_impossible_rate_does_not_flatten_the_other_bars():
    fig = ct.hbars(["其他", "基本生活保障金"], [7195.3, 89.4], ["7195.3%", "89.4%"], "t",
                   colours=[fmt.STATE_COLOURS["anomaly"], fmt.STATE_COLOURS["yellow"]], suffix="%",
                   reference=(91.7, "序时进度 91.7%"))
    bar = fig.data[0]
    assert list(bar.x) == [ct.PERCENT_CAP, 89.4] and list(bar.customdata) == ["7195.3%", "89.4%"]
    assert fig.layout.xaxis.range[1] < 2 * ct.PERCENT_CAP
