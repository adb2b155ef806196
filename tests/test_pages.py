"""Every page renders on the demo database without an exception (Streamlit AppTest)."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from data.db import get_engine
from queries import fmt
from queries.engine import Scope, indicators
from tests.login import login
from tests.test_topics_pages import PAGES as HEADLINES, _page_text, engine_headline

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
PAGES = ["cockpit", "ranking", "children", "network", "visits", "training", "funds", "scorecard",
         "weekly", "overview", "definitions"]


@pytest.fixture
def app(demo_url, monkeypatch):
    monkeypatch.setenv("WEIBAO_DB_URL", demo_url)
    at = login(AppTest.from_file(APP, default_timeout=180))
    at.run()
    return at


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_without_error(app, demo_url, page):
    app.switch_page(f"views/{page}.py")
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    assert app.title, "every page has a title"
    if page in HEADLINES:
        # A topic page shows the engine's headline figure for the city (tests/test_topics_pages.py checks a
        # county's): the same render, as this is the demo city in the sidebar's default month.
        engine = get_engine(demo_url)
        with engine.connect() as conn:
            city = indicators(conn, "2026-06", "city", scope=Scope.everything()).index[0]
        engine.dispose()
        assert app.session_state["region"] == city
        expected = engine_headline(demo_url, page, app.session_state["month"], "city", city)
        assert expected != fmt.NO_DATA
        assert expected in _page_text(app), f"{page}: {expected} not on the page"


def test_cockpit_headline_equals_engine(app, demo_url):
    from data.db import get_engine
    from queries import fmt
    from queries.engine import Scope, indicators

    month = app.session_state["month"]
    region = app.session_state["region"]
    with get_engine(demo_url).connect() as conn:
        row = indicators(conn, month, "city", region, scope=Scope.everything()).loc[region]
    html = " ".join(m.value for m in app.markdown)
    assert fmt.count(row["children_total"]) in html
    assert fmt.percent(row["visit_completion"]) in html
    assert fmt.percent(row["village_director_coverage"]) in html


def test_missing_database_is_a_chinese_message(tmp_path, monkeypatch):
    monkeypatch.setenv("WEIBAO_DB_URL", f"sqlite:///{tmp_path / 'nothing' / 'none.sqlite'}")
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    shown = " ".join(e.value for e in at.error) + " ".join(i.value for i in at.info)
    assert "数据" in shown
    assert not (tmp_path / "nothing").exists(), "a reading dashboard creates no database file or folder"


def test_meeting_mode_shows_one_section_per_screen(demo_url, monkeypatch):
    from queries.registry import by_key

    def cards(at) -> set[str]:
        """The indicators whose headline cards are on screen."""
        html = " ".join(m.value for m in at.markdown)
        return {key for key in ("children_total", "visit_completion")
                if f'<div class="wb-name">{by_key()[key].label}' in html}

    monkeypatch.setenv("WEIBAO_DB_URL", demo_url)
    at = login(AppTest.from_file(APP, default_timeout=180))
    at.session_state["meeting"] = True
    at.run()
    assert not at.exception
    # The section picker names the section on screen (no subheader in meeting mode).
    assert at.button_group[0].value == "children" and cards(at) == {"children_total"}
    at.session_state["slide"] = "work"
    at.run()
    assert cards(at) == {"visit_completion"}
    assert any("退出会议模式" == b.label for b in at.button)
