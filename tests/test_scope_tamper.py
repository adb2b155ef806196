"""A 县级 viewer of 泗水县 gets no other county's rows or names — through every queries/ function a page or an
export calls, through forged region arguments, and on every page with tampered links and session state —
and is still compared with its city (全市 value, "全市第 n / 11 名")."""

import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from data.db import get_engine
from queries import catalog, compare, fmt, geo, reporting, scorecard, topics_children, topics_funds, topics_network, \
    topics_training, topics_visits, weekly
from queries.engine import OutOfScope, Scope, indicator_frame_for, indicators
from queries.registry import by_key
from tests.cards import cards
from tests.fixtures import tiny
from tests.fixtures.direct import load_direct

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
CITY, SISHUI, LIANGSHAN = "370800000000", "370831000000", "370832000000"
MONTH, WEEK = "2026-10", "2026-W43"  # a complete month and week of the demo
KEYS = ["visit_completion", "village_director_coverage", "children_total", "fund_execution_rate"]
CODE = re.compile(r"(?<![\d.])\d{12}(?!\d)")  # not the decimals of an amount
PAGES = ["cockpit", "ranking", "children", "network", "visits", "training", "funds", "scorecard", "weekly",
         "overview", "definitions"]


# ------------------------------------------------------------------ what may be seen

def as_text(value) -> str:
    """The whole returned structure as text: every frame with its index, every dict, list and scalar."""
    if isinstance(value, pd.DataFrame):
        return value.to_csv() + " ".join(map(str, value.index.names))
    if isinstance(value, pd.Series):
        return value.to_csv()
    if isinstance(value, dict):
        return " ".join(f"{k} {as_text(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple, set)):
        return " ".join(as_text(v) for v in value)
    return str(value)


class Seen:
    """The regions a county viewer may see (its subtree, by parent links) and the names it must never get."""

    def __init__(self, conn, county: str, city: str):
        regions = pd.read_sql("SELECT code, name, level, parent_code FROM region", conn)
        closure = pd.read_sql("SELECT ancestor, descendant FROM region_closure", conn)
        self.own = set(closure.loc[closure["ancestor"] == county, "descendant"])
        counties = regions[(regions["level"] == "county") & (regions["parent_code"] == city)]
        self.others = dict(zip(counties["code"], counties["name"]))
        self.others.pop(county)
        self.city, self.city_name = city, regions.set_index("code").at[city, "name"]

    def check(self, what: str, value, city_row: bool = False) -> None:
        """No other county's name, no code outside the county but the city's (the viewer's peers: a county's
        parent link, and the aggregate row's key); the city's name only where the function returns its aggregate."""
        text = as_text(value)
        named = [n for n in self.others.values() if n in text]
        assert not named, f"{what} names {named}"
        outside = set(CODE.findall(text)) - self.own - {self.city}
        assert not outside, f"{what} returns codes {sorted(outside)[:5]}"
        if not city_row:
            assert self.city_name not in text, f"{what} names the city outside an aggregate row"


def page_calls(county: str, city: str, month: str, week: str, rubric):
    """(label, call, returns the city aggregate) for every function of queries/ that a page or an export calls."""
    calls = [
        ("regions city", lambda c, s: catalog.regions_in_scope(c, s, "city"), False),
        ("regions county", lambda c, s: catalog.regions_in_scope(c, s, "county"), False),
        ("regions county under city", lambda c, s: catalog.regions_in_scope(c, s, "county", city), False),
        ("regions township", lambda c, s: catalog.regions_in_scope(c, s, "township"), False),
        ("regions village", lambda c, s: catalog.regions_in_scope(c, s, "village", county), False),
        ("region_info", lambda c, s: catalog.region_info(c, county, s), False),
        ("overview_meta", lambda c, s: catalog.overview_meta(c, s), False),
        ("freshness", lambda c, s: catalog.freshness(c, s), False),
        ("snapshot", lambda c, s: compare.snapshot(c, s, month, county), False),
        ("peer_rank", lambda c, s: compare.peer_rank(c, s, month, county, KEYS), False),
        ("league county", lambda c, s: compare.league(c, s, month, "county", city, KEYS[0]), False),
        ("league county none", lambda c, s: compare.league(c, s, month, "county", None, KEYS[0]), False),
        ("league township", lambda c, s: compare.league(c, s, month, "township", county, KEYS[0]), False),
        ("league village", lambda c, s: compare.league(c, s, month, "village", county, KEYS[0]), False),
        ("trend", lambda c, s: compare.trend(c, s, month, "county", county, 3), False),
        ("red_list", lambda c, s: compare.red_list(c, s, month, county, KEYS), False),
        ("red_list none", lambda c, s: compare.red_list(c, s, month, None, KEYS), False),
        ("reference", lambda c, s: compare.reference(c, s, month, county), True),
        ("scorecard", lambda c, s: scorecard.scorecard(c, s, month, rubric, county), True),
        ("scorecard none", lambda c, s: scorecard.scorecard(c, s, month, rubric), True),
        ("scorecard csv", lambda c, s: scorecard.scorecard_csv(scorecard.scorecard(c, s, month, rubric, county),
                                                               rubric, month).decode("utf-8-sig"), True),
        ("summary", lambda c, s: scorecard.summary(scorecard.scorecard(c, s, month, rubric, county)), False),
        ("townships_behind", lambda c, s: scorecard.townships_behind(c, s, month, county, KEYS[0]), False),
        ("data_as_of", lambda c, s: scorecard.data_as_of(c, s), False),
        ("weekly review", lambda c, s: weekly.review(c, s, week, county), False),
        ("weekly review none", lambda c, s: weekly.review(c, s, week, None), False),
        ("last_visit_day", lambda c, s: weekly.last_visit_day(c, s), False),
        ("per_unit township", lambda c, s: reporting.per_unit(c, s, month, county, level="township"), False),
        ("per_unit county", lambda c, s: reporting.per_unit(c, s, month, county, level="county"), False),
        ("per_unit none", lambda c, s: reporting.per_unit(c, s, month, None, level="county"), False),
        ("map counties", lambda c, s: geo.map_regions(c, s, "county", city), False),
        ("map townships", lambda c, s: geo.map_regions(c, s, "township", county), False),
        ("children county", lambda c, s: topics_children.children_by_region(c, s, month, "county", county), False),
        ("children township", lambda c, s: topics_children.children_by_region(c, s, month, "township", county),
         False),
        ("children monthly", lambda c, s: topics_children.children_monthly(c, s, month, "county", county), False),
        ("coverage", lambda c, s: topics_network.coverage_by_level(c, s, month, "county", county), False),
        *[(f"gaps {k}", lambda c, s, k=k: topics_network.network_gaps(c, s, month, county, k), False)
          for k in topics_network.GAPS],
        ("gap counts", lambda c, s: topics_network.gap_counts(c, s, month, county, "home", "parent_name"), False),
        # Course titles are the sessions' own (a city's course is named after the city that held it).
        ("training sessions", lambda c, s: topics_training.training_sessions(c, s, month, county), True),
        ("training totals", lambda c, s: topics_training.training_totals(c, s, month, "county", county), False),
        ("training by month", lambda c, s: topics_training.training_by_month(c, s, month, county), False),
        ("untrained", lambda c, s: topics_training.untrained_by_township(c, s, month, county), False),
        ("visit monthly", lambda c, s: topics_visits.visit_monthly(c, s, month, "township", county), False),
        ("unvisited", lambda c, s: topics_visits.unvisited_by_village(c, s, month, county), False),
        ("visit summary", lambda c, s: topics_visits.visit_summary(c, s, month, "county", county), False),
        ("visit warnings", lambda c, s: topics_visits.visit_warnings(c, s, month, county), False),
        ("funds by county type", lambda c, s: topics_funds.funds_by_county_type(c, s, month, county), False),
        ("funds by type", lambda c, s: topics_funds.funds_by_type(c, s, month, county), False),
        ("funds by county", lambda c, s: topics_funds.funds_by_county(c, s, month, None), False),
        ("funds monthly", lambda c, s: topics_funds.funds_monthly(c, s, month, county), False),
    ]
    for level in ("city", "county", "township", "village"):
        calls.append((f"indicator_frame {level}",
                      lambda c, s, lv=level: indicator_frame_for(c, s, month, lv, None, True), False))
    calls.append(("indicator_frame township of county",
                  lambda c, s: indicator_frame_for(c, s, month, "township", county), False))
    return calls


def refusals(other: str, month: str, week: str, rubric):
    """(label, call) for the functions that take a region, each asked for `other` (outside the scope)."""
    return [
        ("regions", lambda c, s: catalog.regions_in_scope(c, s, "township", other)),
        ("region_info", lambda c, s: catalog.region_info(c, other, s)),
        ("snapshot", lambda c, s: compare.snapshot(c, s, month, other)),
        ("peer_rank", lambda c, s: compare.peer_rank(c, s, month, other, KEYS)),
        ("league", lambda c, s: compare.league(c, s, month, "township", other, KEYS[0])),
        ("trend", lambda c, s: compare.trend(c, s, month, "county", other, 2)),
        ("red_list", lambda c, s: compare.red_list(c, s, month, other, KEYS)),
        ("reference", lambda c, s: compare.reference(c, s, month, other)),
        ("scorecard", lambda c, s: scorecard.scorecard(c, s, month, rubric, other)),
        ("townships_behind", lambda c, s: scorecard.townships_behind(c, s, month, other, KEYS[0])),
        ("weekly review", lambda c, s: weekly.review(c, s, week, other)),
        ("per_unit", lambda c, s: reporting.per_unit(c, s, month, other)),
        ("map", lambda c, s: geo.map_regions(c, s, "township", other)),
        ("children", lambda c, s: topics_children.children_by_region(c, s, month, "county", other)),
        ("gaps", lambda c, s: topics_network.network_gaps(c, s, month, other, "home")),
        ("training", lambda c, s: topics_training.training_sessions(c, s, month, other)),
        ("visits", lambda c, s: topics_visits.unvisited_by_village(c, s, month, other)),
        ("funds", lambda c, s: topics_funds.funds_by_county_type(c, s, month, other)),
        ("indicators", lambda c, s: indicator_frame_for(c, s, month, "county", other)),
    ]


RUBRIC = scorecard.parse_rubric({"title": "测试细则", "criteria": [
    {"key": "village_director_coverage", "weight": 50, "rule": "linear", "floor": 0.5},
    {"key": "county_centre_coverage", "weight": 20, "rule": "threshold"},
    {"key": "fund_execution_rate", "weight": 30, "rule": "vs_time_progress", "floor": -0.2},
]})


# ------------------------------------------------------------------ the demo city, through the queries

@pytest.fixture(scope="module")
def demo(demo_url):
    engine = get_engine(demo_url, read_only=True)
    with engine.connect() as conn:
        yield conn
    engine.dispose()


@pytest.fixture(scope="module")
def county(demo):
    return Scope.for_viewer(demo, "county", SISHUI)


@pytest.fixture(scope="module")
def seen(demo):
    return Seen(demo, SISHUI, CITY)


def test_a_county_login_sees_its_county_and_is_compared_with_its_city(demo, county):
    assert county == Scope(roots=(SISHUI,), peers=(CITY,))
    assert Scope.for_viewer(demo, "city", CITY) == Scope(roots=(CITY,))
    assert Scope.for_viewer(demo, "inspector", CITY) == Scope(roots=(CITY,))
    assert Scope.for_viewer(demo, "admin", CITY) == Scope(roots=(CITY,))
    with pytest.raises(ValueError, match="县级"):
        Scope.for_viewer(demo, "county", CITY)
    with pytest.raises(ValueError, match="不存在"):
        Scope.for_viewer(demo, "county", "370899999999")
    with pytest.raises(ValueError, match="角色"):
        Scope.for_viewer(demo, "mayor", CITY)


@pytest.mark.parametrize("label, call, city_row", page_calls(SISHUI, CITY, MONTH, WEEK, RUBRIC),
                         ids=[c[0] for c in page_calls(SISHUI, CITY, MONTH, WEEK, RUBRIC)])
def test_every_page_function_stays_inside_the_county(demo, county, seen, label, call, city_row):
    seen.check(label, call(demo, county), city_row)


@pytest.mark.parametrize("other", [LIANGSHAN, "梁山县", "370832100000", CITY.replace("08", "09", 1)])
def test_a_region_outside_the_scope_is_refused(demo, county, other):
    for label, call in refusals(other, MONTH, WEEK, RUBRIC):
        with pytest.raises(OutOfScope) as refused:
            call(demo, county)
        message = str(refused.value)
        assert message.startswith("无权查看该区域："), label
        assert "梁山县" not in message and "济宁市" not in message, label


def test_the_city_itself_narrows_to_the_county(demo, county):
    # Above the scope is not beside it: asked for the city, a county viewer gets its own county, never more.
    assert indicators(demo, MONTH, "county", CITY, scope=county).index.tolist() == [SISHUI]
    assert indicators(demo, MONTH, "city", CITY, scope=county).empty
    assert catalog.region_info(demo, CITY, county) is None


def test_the_rank_is_among_the_citys_eleven_counties(demo, county):
    mine = compare.peer_rank(demo, county, MONTH, SISHUI, KEYS)
    whole = compare.peer_rank(demo, Scope.everything(), MONTH, SISHUI, KEYS)
    assert mine == whole
    assert all(count == 11 for _rank, _ranked, count in mine.values())
    assert all(place is not None and 1 <= place <= ranked for place, ranked, _count in mine.values())


def test_the_reference_is_the_citys_own_aggregate(demo, county):
    ref = compare.reference(demo, county, MONTH, SISHUI)
    city = indicators(demo, MONTH, "city", CITY, scope=Scope.everything(), with_measures=True)
    assert ref.index.tolist() == [CITY] and ref.iloc[0]["level"] == "city"
    for key in KEYS:
        assert ref.at[CITY, key] == pytest.approx(city.at[CITY, key], nan_ok=True)
    assert compare.reference(demo, county, MONTH).index.tolist() == [CITY]  # no region: the peer city


def test_the_scorecard_keeps_its_city_reference_and_the_rank_among_eleven(demo, county):
    mine = scorecard.scorecard(demo, county, MONTH, RUBRIC, SISHUI)
    whole = scorecard.scorecard(demo, Scope.everything(), MONTH, RUBRIC, CITY)
    assert mine.index.tolist() == [SISHUI, CITY]
    assert mine.at[SISHUI, "rank"] == whole.at[SISHUI, "rank"] and mine.at[SISHUI, "ranked"] == 11
    assert mine.at[SISHUI, "total"] == pytest.approx(whole.at[SISHUI, "total"])
    for key in RUBRIC.keys:
        assert mine.at[CITY, key] == pytest.approx(whole.at[CITY, key], nan_ok=True)
        assert mine.at[SISHUI, f"below_{key}"] == whole.at[SISHUI, f"below_{key}"]
    facts = scorecard.summary(mine)
    assert facts["own"] == ("泗水县", pytest.approx(whole.at[SISHUI, "total"]), int(whole.at[SISHUI, "rank"]), 11)
    assert "best" not in facts and facts["mean_total"] == pytest.approx(scorecard.summary(whole)["mean_total"])
    assert scorecard.townships_behind(demo, county, MONTH, SISHUI, "village_director_coverage").index.isin(
        catalog.regions_in_scope(demo, county, "township")["region_code"]).all()


def test_months_and_last_visit_are_the_countys(demo, county):
    meta = catalog.overview_meta(demo, county)
    assert meta["months"] and MONTH in meta["months"]
    fresh = catalog.freshness(demo, county).set_index("table_name")["current_rows"]
    whole = catalog.freshness(demo, Scope.everything()).set_index("table_name")["current_rows"]
    assert (fresh <= whole).all() and (fresh["儿童"] < whole["儿童"])
    assert weekly.last_visit_day(demo, county) <= weekly.last_visit_day(demo, Scope.everything())


def test_direct_engine_calls_are_refused(demo_url, monkeypatch, county):
    """Through the dashboard's cached bridge too: a forged region reaches the page as OutOfScope, uncached."""
    from dashboard import engine

    monkeypatch.setenv("WEIBAO_DB_URL", demo_url)
    engine._recent.clear()  # other tests in this process legitimately viewed 梁山县 under a city scope
    for region in (LIANGSHAN, "梁山县"):
        with pytest.raises(OutOfScope):
            engine.ask(compare.snapshot, county, MONTH, region)
    assert not [k for k in engine._recent if LIANGSHAN in str(k)]  # a refused request is never replayed
    # The whole Scope is the cache key: the same call for a county and for the city are two entries.
    mine = engine.ask(compare.league, county, MONTH, "county", CITY, KEYS[0])
    theirs = engine.ask(compare.league, Scope((CITY,)), MONTH, "county", CITY, KEYS[0])
    assert mine.index.tolist() == [SISHUI] and len(theirs) == 11
    assert engine.ask(compare.league, Scope((SISHUI,), (CITY,)), MONTH, "county", CITY, KEYS[0]).equals(mine)


# ------------------------------------------------------------------ the tiny set, on both engines

@pytest.fixture
def tiny_conn(db_url):
    engine = get_engine(db_url)
    load_direct(engine)
    with engine.connect() as conn:
        yield conn
    engine.dispose()


def test_tiny_county_sees_only_itself_on_both_engines(tiny_conn):
    conn = tiny_conn
    scope = Scope.for_viewer(conn, "county", tiny.A)
    assert scope == Scope((tiny.A,), (tiny.C,))
    seen = Seen(conn, tiny.A, tiny.C)
    assert set(seen.others.values()) == {"乙区", "丙县"}
    for label, call, city_row in page_calls(tiny.A, tiny.C, tiny.MONTH, "2024-W26", RUBRIC):
        seen.check(label, call(conn, scope), city_row)
    for other in (tiny.B, tiny.B1a, "乙区"):
        for label, call in refusals(other, tiny.MONTH, "2024-W26", RUBRIC):
            with pytest.raises(OutOfScope):
                call(conn, scope)
    # The prefix-breaking township A2 (code 370871…, county B's prefix) is A's by its parent link.
    assert tiny.A2 in set(catalog.regions_in_scope(conn, scope, "township")["region_code"])
    ranks = compare.peer_rank(conn, scope, tiny.MONTH, tiny.A, ["children_total"])
    assert ranks["children_total"][2] == 3  # among 甲县, 乙区, 丙县, named nowhere
    card = scorecard.scorecard(conn, scope, tiny.MONTH, RUBRIC, tiny.A)
    assert card.index.tolist() == [tiny.A, tiny.C] and card.at[tiny.A, "ranked"] == 3


# ------------------------------------------------------------------ every page, tampered

@pytest.fixture(scope="module")
def other_names(demo_url):
    engine = get_engine(demo_url, read_only=True)
    with engine.connect() as conn:
        names = Seen(conn, SISHUI, CITY).others
    engine.dispose()
    return names


def _page_text(at) -> str:
    """Every element's text: markdown, titles, captions, alerts, metrics, tables, widgets and chart specs."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "success", "error",
                 "text", "code", "latex", "json", "exception"):
        parts += [str(getattr(e, "value", "")) for e in getattr(at, kind, [])]
    parts += [f"{m.label} {m.value} {m.delta}" for m in at.metric]
    for widget in ("selectbox", "multiselect", "radio", "toggle", "button", "segmented_control", "text_input"):
        for w in getattr(at, widget, []):
            parts.append(str(getattr(w, "label", "")))
            parts += [str(o) for o in (getattr(w, "options", None) or [])]
            parts.append(str(getattr(w, "value", "")))
    for frame in at.dataframe:
        parts.append(as_text(frame.value))
    for table in at.table:
        parts.append(as_text(table.value))
    for chart in at.get("plotly_chart"):
        parts.append(chart.proto.spec)
    for item in at.get("download_button"):
        parts.append(str(item.proto))
    return "\n".join(parts)


def _open(demo_url, monkeypatch, page: str, how: str):
    from tests.login import login

    monkeypatch.setenv("WEIBAO_DB_URL", demo_url)
    at = login(AppTest.from_file(APP, default_timeout=180), role="county", region=SISHUI)
    at.session_state["month"] = MONTH
    if how == "code":
        at.query_params["region"] = LIANGSHAN
    elif how == "name":
        at.query_params["region"] = "梁山县"
    elif how == "state":
        # Before the first run: once the sidebar's widget exists, AppTest itself only takes one of its options.
        at.session_state["region"] = LIANGSHAN
    at.run()
    at.switch_page(f"views/{page}.py")
    if how == "state":
        at.session_state["drill"] = LIANGSHAN
        at.session_state["town"] = "370832100000"
    elif how == "drill":
        at.query_params["drill"] = "梁山县"
        at.query_params["town"] = "370832100000"
    at.run()
    return at


@pytest.mark.parametrize("how", ["code", "name", "state", "drill"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_under_a_county_login_shows_only_the_county(demo_url, monkeypatch, other_names, page, how):
    at = _open(demo_url, monkeypatch, page, how)
    assert not at.exception, [e.value for e in at.exception]
    # A refused link says so (filters); nothing else may be an error box.
    assert not [e.value for e in at.error], [e.value for e in at.error]
    assert at.title, "the page rendered"
    text = _page_text(at)
    # The viewer's own input, echoed in the link notice (“梁山县”), is theirs, not a disclosure.
    text = text.replace("“梁山县”", "“…”")
    named = [n for n in other_names.values() if n in text]
    assert not named, f"{page} ({how}) shows {named}"
    assert at.session_state["region"] == SISHUI


def test_a_county_login_is_compared_with_its_city_on_the_pages(demo_url, monkeypatch, demo, county):
    """Its own units only, and the city by numbers: 全市 value, "全市第 n / 11 名", the city's reference row."""
    ranks = compare.peer_rank(demo, county, MONTH, SISHUI, ["visit_completion"])["visit_completion"]
    city = compare.reference(demo, county, MONTH, SISHUI).iloc[0]
    at = _open(demo_url, monkeypatch, "ranking", "none")
    heading = " ".join(m.value for m in at.markdown)
    assert "泗水县 · 各乡镇（街道）" in heading
    assert f"全市 {fmt.value(by_key()['visit_completion'], city['visit_completion'])}" in heading
    assert f"在全市 {ranks[1]} 个县区中排第 {ranks[0]} 名" in heading
    towns = set(catalog.regions_in_scope(demo, county, "township")["region_code"])
    assert set(at.dataframe[0].value.index) <= towns
    assert not [b for b in at.button if "返回" in b.label]  # no way up to the city's counties

    card = scorecard.scorecard(demo, county, MONTH, scorecard.load_rubric(), SISHUI)
    at = _open(demo_url, monkeypatch, "scorecard", "none")
    metrics = cards(at)
    assert metrics["全市排名"] == f"第 {card.at[SISHUI, 'rank']} / 11 名"
    grid = at.dataframe[0].value
    assert grid["县（市、区）"].tolist() == ["济宁市（全市）", "泗水县"]
    assert grid["排名"].tolist() == ["—", f"{card.at[SISHUI, 'rank']} / 11"]

    at = _open(demo_url, monkeypatch, "cockpit", "none")
    shown = " ".join(m.value for m in at.markdown)
    assert f"全市 {fmt.percent(city['visit_completion'])}" in shown and "/ 11 名" in shown
