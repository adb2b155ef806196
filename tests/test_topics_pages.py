"""Each topic page runs without an exception and shows the engine's headline figure (Streamlit AppTest)."""

import os

import pytest
from streamlit.testing.v1 import AppTest

from data.db import get_engine
from queries import fmt
from queries.engine import Scope, indicators
from queries.registry import by_key
from tests.test_topics_fixture import A, build

APP = "/work/main/dashboard/app.py" if os.path.exists("/work/main/dashboard/app.py") else "dashboard/app.py"
# page file → the headline indicator whose formatted value must appear on the page
PAGES = {
    "children": "children_total",
    "network": "village_director_coverage",
    "visits": "visit_completion",
    "training": "training_rate",
    "funds": "fund_budget",
}


@pytest.fixture(scope="module")
def app_db(tmp_path_factory):
    """The city demo when the generator exists, else the hand-made fixture moved two years on (so its months
    fall within the 24 months the sidebar offers); yields (url, month or None for the sidebar's default)."""
    path = tmp_path_factory.mktemp("topics_app") / "app.sqlite"
    url = f"sqlite:///{path}"
    try:
        from data.demo import build_demo
    except ImportError:
        build(url, years=2).dispose()
        month = "2026-06"
    else:
        engine = get_engine(url)
        build_demo(engine, scale="city", seed=20221)
        engine.dispose()
        month = None
    old = os.environ.get("WEIBAO_DB_URL")
    os.environ["WEIBAO_DB_URL"] = url
    yield url, month
    if old is None:
        os.environ.pop("WEIBAO_DB_URL", None)
    else:
        os.environ["WEIBAO_DB_URL"] = old


def _open(page: str, month: str | None, region: str | None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    if month:
        at.session_state["month"] = month
    if region:
        at.session_state["region"] = region
    at.run()
    at.switch_page(f"views/{page}.py")
    at.run()
    return at


def _page_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [m.value for m in at.metric] + [c.value for c in at.caption]
    parts += [df.value.to_string() for df in at.dataframe]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize("where", ["city", "county"])
def test_page_shows_the_engine_headline(app_db, page, where):
    url, month = app_db
    engine = get_engine(url)
    with engine.connect() as conn:
        city = indicators(conn, "2026-06", "city", scope=Scope.everything()).index[0]
        county = A if month else indicators(conn, "2026-06", "county", city, scope=Scope.everything()).index[0]
    region = city if where == "city" else county
    at = _open(page, month, region)
    assert not at.exception, [e.value for e in at.exception]
    shown_month = at.session_state["month"]
    key = PAGES[page]
    with engine.connect() as conn:
        row = indicators(conn, shown_month, where, region, scope=Scope.everything()).loc[region]
    engine.dispose()
    expected = fmt.value(by_key()[key], row[key])
    assert expected != fmt.NO_DATA
    assert expected in _page_text(at), f"{page}: {expected} not on the page"
