"""周调度 page on the demo database (AppTest): renders, shows the queries' and the engine's figures, reads ?week=."""

from datetime import date
from pathlib import Path

from streamlit.testing.v1 import AppTest

from data.db import get_engine
from queries import fmt, weekly
from queries.compare import statuses
from queries.engine import Scope, indicators
from queries.periods import Period
from queries.weekly import Week

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")


def open_page(demo_url, monkeypatch, week: str | None = None, **state):
    monkeypatch.setenv("WEIBAO_DB_URL", demo_url)
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.switch_page("views/weekly.py")
    for key, value in state.items():
        at.session_state[key] = value
    if week:
        at.query_params["week"] = week
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def page_text(at) -> str:
    return " ".join(m.value for m in at.markdown)


def test_weekly_page_headline_equals_the_queries(demo_url, monkeypatch):
    at = open_page(demo_url, monkeypatch)
    week = weekly.last_complete_week(date.today())
    assert at.selectbox(key="week").value == week
    region = at.session_state["region"]
    with get_engine(demo_url).connect() as conn:
        h = weekly.review(conn, Scope.everything(), week, region)["headline"]
    html = page_text(at)
    assert f"{fmt.count(h['visits_this_week'])} 次" in html
    assert f"上周 {fmt.count(h['visits_last_week'])} 次" in html
    assert f"{fmt.count(h['due_soon'])} 人" in html and f"{fmt.count(h['overdue'])} 人" in html
    assert f"{fmt.count(h['vacant'])} 个" in html and f"{fmt.count(h['silent'])} 个" in html


def test_a_short_week_in_the_link_selects_that_week(demo_url, monkeypatch):
    week = Week.parse(weekly.last_complete_week(date.today())).previous.key
    at = open_page(demo_url, monkeypatch, week=week)
    assert at.selectbox(key="week").value == week
    assert f"{Week.parse(week).label}" in " ".join(c.value for c in at.caption)


def test_colour_changes_show_the_engines_values(demo_url, monkeypatch):
    at = open_page(demo_url, monkeypatch)
    week = at.selectbox(key="week").value
    wk, region = Week.parse(week), at.session_state["region"]
    with get_engine(demo_url).connect() as conn:
        now = indicators(conn, Period.as_of(wk.sunday), "county", region, scope=Scope.everything())
        changes = weekly.colour_changes(conn, Scope.everything(), week, region)
    tables = [d.value for d in at.dataframe if "指标" in d.value.columns]
    if changes.empty:
        assert any("没有指标变色" in s.value for s in at.success)
        return
    colour_table = tables[0]
    assert len(colour_table) == len(changes)
    if len(changes):
        first = changes.iloc[0]
        value = now.loc[first["region_code"], first["key"]] if first["level"] == "county" else first["value_now"]
        assert fmt.percent(value) in colour_table.iloc[0][f"本周日 {wk.sunday:%m-%d}"]
        assert colour_table.iloc[0]["变化"] in ("↓ 变差", "↑ 变好")
        colours = statuses(now, [first["key"]])
        if first["level"] == "county":
            assert colours.loc[first["region_code"], first["key"]] == first["now"]


def test_a_county_sees_its_townships(demo_url, monkeypatch):
    county = "370831000000"
    at = open_page(demo_url, monkeypatch, region=county)
    assert at.title[0].value.endswith("周调度")
    week = at.selectbox(key="week").value
    with get_engine(demo_url).connect() as conn:
        visits = weekly.visits_by_township(conn, Scope.everything(), week, county)
    chart = at.get("plotly_chart")[0]
    assert f"{len(visits)} 个" in " ".join(e.label for e in at.expander)
    assert chart is not None
