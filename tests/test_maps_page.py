"""县区排名与地图 in AppTest: the city view, a county drilled by session state or by URL, and the way back."""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from data.db import get_engine
from queries import compare, fmt, judge
from queries.registry import by_key
from queries.engine import Scope, indicators
from tests.login import login
from tests.test_maps_fixture import SISHUI, build_page_fixture

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
PAGE = "views/ranking.py"


@pytest.fixture(scope="module")
def page_db(request, tmp_path_factory):
    """The city demo (built once per session by conftest) when data.demo exists, else the small fixture."""
    try:
        from data.demo import build_demo  # noqa: F401
    except ImportError:
        return build_page_fixture(f"sqlite:///{tmp_path_factory.mktemp('maps') / 'maps.sqlite'}")
    return request.getfixturevalue("demo_url")


@pytest.fixture
def at(page_db, monkeypatch):
    monkeypatch.setenv("WEIBAO_DB_URL", page_db)
    app = login(AppTest.from_file(APP, default_timeout=180))
    app.run()
    app.switch_page(PAGE)
    return app


def engine_call(url, fn, *args):
    engine = get_engine(url)
    try:
        with engine.connect() as conn:
            return fn(conn, *args)
    finally:
        engine.dispose()


def shown(app) -> str:
    return " ".join(m.value for m in [*app.markdown, *app.caption, *app.info, *app.warning])


def table(app):
    return app.dataframe[0].value


def map_spec(app) -> dict:
    return json.loads(app.get("plotly_chart")[0].proto.spec)


def assert_ok(app):
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]


def test_city_view_numbers_equal_the_engine(at, page_db):
    at.run()
    assert_ok(at)
    month, city = at.session_state["month"], at.session_state["region"]
    city_row = engine_call(page_db, lambda c: indicators(c, month, "city", city, scope=Scope.everything()).loc[city])
    league = engine_call(page_db, lambda c: compare.league(c, Scope.everything(), month, "county", city,
                                                          "visit_completion"))
    assert fmt.percent(city_row["visit_completion"]) in shown(at)
    frame = table(at)
    assert frame["县区"].tolist() == league["region_name"].tolist()
    # Shown to one decimal, half up: within 0.05 points of the engine's value.
    assert frame["走访完成率（%）"].tolist() == pytest.approx((league["visit_completion"] * 100).tolist(), abs=0.05 + 1e-9,
                                                          nan_ok=True)
    assert frame["排名"].tolist() == pytest.approx(league["rank"].astype(float).tolist(), nan_ok=True)
    located = {loc for t in map_spec(at)["data"] if t["type"] == "choropleth" for loc in t.get("locations", [])}
    assert located == set(league.index)
    # Every county's fill is the colour of the judge's verdict on it, and its 状态 cell says the same.
    fills = {loc: t["colorscale"][0][1] for t in map_spec(at)["data"] if t["type"] == "choropleth"
             for loc in t["locations"]}
    ind = by_key()["visit_completion"]
    for code, row in league.to_dict("index").items():
        state = judge.verdict(ind, row, month=month).state
        assert fills[code] == fmt.STATE_COLOURS[state], (row["region_name"], state)
        assert frame.set_index("县区").at[row["region_name"], "状态"] == fmt.STATE_LABELS[state]
    assert "返回" not in " ".join(b.label for b in at.button)


def test_drilled_county_by_session_state(at, page_db):
    at.session_state["drill"] = SISHUI
    at.run()
    assert_ok(at)
    month = at.session_state["month"]
    county_row = engine_call(page_db, lambda c: indicators(c, month, "county", SISHUI,
                                                           scope=Scope.everything()).loc[SISHUI])
    towns = engine_call(page_db, lambda c: compare.league(c, Scope.everything(), month, "township", SISHUI,
                                                         "visit_completion"))
    text = shown(at)
    assert "泗水县 · 各乡镇（街道）" in text
    assert fmt.percent(county_row["visit_completion"]) in text
    assert "乡镇边界为示意（合成）" in text
    frame = table(at)
    assert frame["乡镇（街道）"].tolist() == towns["region_name"].tolist()
    assert frame["走访完成率（%）"].tolist() == pytest.approx((towns["visit_completion"] * 100).tolist(), abs=0.05 + 1e-9,
                                                          nan_ok=True)
    located = {loc for t in map_spec(at)["data"] if t["type"] == "choropleth" for loc in t.get("locations", [])}
    assert located == set(towns.index)
    # The way back up.
    back = [b for b in at.button if "返回" in b.label][0]
    back.click().run()
    assert_ok(at)
    assert "各县区" in shown(at) and at.session_state["drill"] == ""
    assert "县区" in table(at).columns


def test_drilled_county_from_the_url(page_db, monkeypatch):
    monkeypatch.setenv("WEIBAO_DB_URL", page_db)
    app = login(AppTest.from_file(APP, default_timeout=180))
    app.query_params["drill"] = "泗水县"  # a bound selectbox with format_func keeps the label in the URL
    app.query_params["indicator"] = "在册儿童"
    app.run()
    app.switch_page(PAGE)
    app.run()
    assert_ok(app)
    assert app.session_state["drill"] == SISHUI and app.session_state["indicator"] == "children_total"
    month = app.session_state["month"]
    county_row = engine_call(page_db, lambda c: indicators(c, month, "county", SISHUI,
                                                           scope=Scope.everything()).loc[SISHUI])
    assert fmt.count(county_row["children_total"]) in shown(app)


def test_forged_drill_is_ignored(page_db, monkeypatch):
    monkeypatch.setenv("WEIBAO_DB_URL", page_db)
    app = login(AppTest.from_file(APP, default_timeout=180))
    app.query_params["drill"] = "北京市东城区"
    app.run()
    app.switch_page(PAGE)
    app.run()
    assert_ok(app)
    assert app.session_state["drill"] == "" and "各县区" in shown(app)


def test_indicator_not_defined_for_townships_is_no_data(at):
    at.session_state["drill"] = SISHUI
    at.session_state["indicator"] = "county_centre_coverage"
    at.run()
    assert_ok(at)
    assert any("不适用" in i.value for i in at.info)
    polygons = [t for t in map_spec(at)["data"] if t["type"] == "choropleth" and t.get("locations")]
    assert len(polygons) == 1 and polygons[0]["name"] == "无数据（不是 0）"


def test_township_opens_its_villages_and_comes_back(at, page_db):
    at.session_state["drill"] = SISHUI
    at.run()
    month = at.session_state["month"]
    towns = engine_call(page_db, lambda c: compare.league(c, Scope.everything(), month, "township", SISHUI,
                                                         "visit_completion"))
    town, town_name = towns.index[0], towns["region_name"].iloc[0]
    at.session_state["town"] = town  # what a click on its polygon or its table row does
    at.run()
    assert_ok(at)
    villages = engine_call(page_db, lambda c: compare.league(c, Scope.everything(), month, "village", town,
                                                            "visit_completion"))
    assert f"泗水县 · {town_name} · 各村（社区）" in shown(at)
    frame = table(at)
    assert sorted(frame["村（社区）"]) == sorted(villages["region_name"])
    assert set(frame["所属乡镇（街道）"]) == {town_name}
    assert not [t for spec in at.get("plotly_chart") for t in json.loads(spec.proto.spec)["data"]
                if t["type"] == "choropleth"]  # villages: a table, no map
    [b for b in at.button if b.label == "⬆ 返回泗水县"][0].click().run()
    assert_ok(at)
    assert "泗水县 · 各乡镇（街道）" in shown(at) and at.session_state["town"] == ""
