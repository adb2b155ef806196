"""The topic pages' queries on the hand-made fixture (tests/test_topics_fixture.py), on SQLite and PostgreSQL."""

import math

import pandas as pd
import pytest

from queries import topics_children, topics_funds, topics_network, topics_training, topics_visits
from queries.engine import Scope, indicators
from queries.topics_common import time_progress
from tests.test_topics_fixture import A, A1, A1b, A2, A2a, A2z, B, B1, CITY, MONTH, build

ALL = Scope.everything()


@pytest.fixture(scope="module")
def engine(module_db_url):
    """The hand-made fixture, loaded once per backend: every test here only reads it."""
    engine = build(module_db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def conn(engine):
    with engine.connect() as c:
        yield c


def nan(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA


# ---- 儿童底数 -------------------------------------------------------------------------------------

def test_children_by_township_with_per_10k(conn):
    f = topics_children.children_by_region(conn, ALL, MONTH, "township")
    assert f.index.tolist() == [A1, A2, B1]
    # A1: c1 + c2 on the roll; c3 left on 20 June. A2: c4 (c5 left on 31 May). B1: c6 (c7 comes in July).
    assert f["children_total"].tolist() == [2, 1, 1]
    assert f.loc[A1, ["children_orphan", "children_left_behind", "children_new", "children_exited"]].tolist() \
        == [1, 1, 1, 1]
    assert f.loc[A1, "per_10k"] == pytest.approx(10.0)  # 2 ÷ 2,000 × 10,000
    assert nan(f.loc[A2, "per_10k"])  # population 0 → null
    assert nan(f.loc[B1, "per_10k"])  # population unknown → null


def test_children_by_county_and_city(conn):
    county = topics_children.children_by_region(conn, ALL, MONTH, "county")
    assert county.loc[A, "per_10k"] == pytest.approx(6.0)  # 3 ÷ 5,000 × 10,000
    assert nan(county.loc[B, "per_10k"])
    city = topics_children.children_by_region(conn, ALL, MONTH, "city", CITY)
    assert city.loc[CITY, "children_total"] == 4
    assert city.loc[CITY, "per_10k"] == pytest.approx(4.0)  # 4 ÷ 10,000 × 10,000


def test_children_monthly_for_a_county(conn):
    f = topics_children.children_monthly(conn, ALL, MONTH, "county", A)
    assert f["month"].tolist() == ["2023-07", "2023-08", "2023-09", "2023-10", "2023-11", "2023-12",
                                   "2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"]
    # 2023-07 … 2023-12: c1, c5; January adds c3; May: c4 in, c5 out; June: c2 in, c3 out.
    assert f["children_total"].tolist() == [2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3]
    assert f["children_new"].tolist() == [0] * 6 + [1, 0, 0, 0, 1, 1]
    assert f["children_exited"].tolist() == [0] * 10 + [1, 1]


def test_children_monthly_for_the_city_matches_the_engine(conn):
    f = topics_children.children_monthly(conn, ALL, MONTH, "city", None)
    # c6 (county B) from March.
    assert f["children_total"].tolist() == [2] * 6 + [3, 3, 4, 4, 4, 4]
    assert f["children_new"].tolist() == [0] * 6 + [1, 0, 1, 0, 1, 1]
    for month, row in f.set_index("month").iterrows():
        engine_row = indicators(conn, month, "city", scope=ALL).loc[CITY]
        assert row["children_total"] == engine_row["children_total"]
        assert row["children_new"] == engine_row["children_new"]
        assert row["children_exited"] == engine_row["children_exited"]


def test_children_monthly_respects_scope(conn):
    f = topics_children.children_monthly(conn, Scope((B,)), MONTH, "city", None)
    # A county-B viewer asking for the city sees no city at all: nothing, never A's children.
    assert f["children_total"].sum() == 0
    f = topics_children.children_monthly(conn, Scope((B,)), MONTH, "county", None)
    assert f["children_total"].tolist() == [0] * 8 + [1, 1, 1, 1]


# ---- 阵地与队伍 -----------------------------------------------------------------------------------

def test_coverage_by_level_for_a_county(conn):
    f = topics_network.coverage_by_level(conn, ALL, MONTH, "county", A).set_index("key")
    assert f.loc["county_centre_coverage", ["units", "covered", "missing"]].tolist() == [1, 1, 0]
    assert f.loc["township_station_coverage", ["units", "covered"]].tolist() == [2, 1]  # A2's opens in July
    assert f.loc["township_supervisor_coverage", "covered"] == 1  # A2's supervisor left on 1 June
    assert f.loc["village_home_coverage", ["units", "covered", "missing"]].tolist() == [4, 1, 3]
    assert f.loc["village_home_coverage", "rate"] == pytest.approx(0.25)  # 1 ÷ 4
    assert f.loc["village_director_coverage", "rate"] == pytest.approx(0.5)  # A1a, A2a of 4


def test_coverage_by_level_equals_the_engine_for_the_city(conn):
    f = topics_network.coverage_by_level(conn, ALL, MONTH, "city", CITY).set_index("key")
    row = indicators(conn, MONTH, "city", scope=ALL).loc[CITY]
    for key in f.index:
        assert f.loc[key, "rate"] == pytest.approx(row[key])
    assert f.loc["township_station_coverage", "rate"] == pytest.approx(1 / 3)  # only A1 of A1, A2, B1


def test_villages_without_a_home(conn):
    f = topics_network.network_gaps(conn, ALL, MONTH, None, "home")
    # A2a's home closed on E itself, so it is not active at E.
    assert f["region_code"].tolist() == [A1b, A2a, A2z]
    assert f.set_index("region_code").loc[A2z, ["parent_name", "grandparent_name"]].tolist() == ["乙镇", "任城区"]
    assert f.set_index("region_code").loc[A2a, "vacant_days"] == 0
    assert topics_network.network_gaps(conn, ALL, MONTH, B, "home").empty


def test_villages_without_a_director_and_how_long(conn):
    f = topics_network.network_gaps(conn, ALL, MONTH, A, "director").set_index("region_code")
    assert f.index.tolist() == [A1b, A2z]
    assert f.loc[A1b, "vacant_days"] == 76  # 15 April → 30 June: 15 + 31 + 30
    assert str(f.loc[A1b, "last_ended"].date()) == "2024-04-15"
    assert f.loc[A2z, "vacant_days"] is pd.NA  # never had a director


def test_townships_without_a_workstation_or_supervisor(conn):
    ws = topics_network.network_gaps(conn, ALL, MONTH, None, "workstation").set_index("region_code")
    assert ws.index.tolist() == [A2, B1]
    assert ws.loc[B1, "vacant_days"] == 121  # closed 1 March: 30 + 30 + 31 + 30
    assert ws.loc[B1, ["parent_name", "grandparent_name"]].tolist() == ["兖州区", "济宁市"]
    sup = topics_network.network_gaps(conn, ALL, MONTH, None, "supervisor").set_index("region_code")
    assert sup.index.tolist() == [A2]
    assert sup.loc[A2, "vacant_days"] == 29  # left 1 June
    # Scope: a county-B viewer asking for everything sees only B's township.
    assert topics_network.network_gaps(conn, Scope((B,)), MONTH, None, "workstation")["region_code"].tolist() == [B1]


def test_gap_counts(conn):
    # Villages without a home: A1b (甲镇), A2a and A2z (乙镇) — all in 任城区.
    by_town = topics_network.gap_counts(conn, ALL, MONTH, None, "home", "parent_name")
    assert by_town.values.tolist() == [["乙镇", 2], ["甲镇", 1]]
    by_county = topics_network.gap_counts(conn, ALL, MONTH, None, "home", "grandparent_name")
    assert by_county.values.tolist() == [["任城区", 3]]
    assert topics_network.gap_counts(conn, ALL, MONTH, None, "workstation", "parent_name").values.tolist() == [
        ["任城区", 1], ["兖州区", 1]]
    with pytest.raises(ValueError):
        topics_network.gap_counts(conn, ALL, MONTH, None, "home", "region_name")


# ---- 走访 -----------------------------------------------------------------------------------------

def test_visit_monthly_by_township(conn):
    f = topics_visits.visit_monthly(conn, ALL, MONTH, "township", A).set_index(["region_code", "month"])
    assert len(f) == 2 * 12
    # A1 in June: c1 (1 visit), c2 (2 visits); c3's visit does not count (left before E).
    assert f.loc[(A1, "2024-06"), ["children_total", "children_visited", "visits"]].tolist() == [2, 2, 3]
    # A1 in May: c1 (2 visits), c3 (none).
    assert f.loc[(A1, "2024-05"), ["children_total", "children_visited", "visits"]].tolist() == [2, 1, 2]
    assert f.loc[(A1, "2024-05"), "visit_completion"] == pytest.approx(0.5)
    assert f.loc[(A2, "2024-06"), ["children_total", "children_visited", "visits"]].tolist() == [1, 0, 0]
    assert f.loc[(A2, "2024-05"), "visit_completion"] == pytest.approx(1.0)
    assert f.loc[(A2, "2024-04"), ["children_total", "children_visited"]].tolist() == [1, 0]  # c5, unvisited


def test_visit_monthly_equals_the_engine_every_month(conn):
    f = topics_visits.visit_monthly(conn, ALL, MONTH, "county", None)
    for (code, month), row in f.set_index(["region_code", "month"]).iterrows():
        engine_row = indicators(conn, month, "county", scope=ALL).loc[code]
        assert row["children_total"] == engine_row["children_total"]
        if nan(engine_row["visit_completion"]):
            assert nan(row["visit_completion"])
        else:
            assert row["visit_completion"] == pytest.approx(engine_row["visit_completion"])
    city = topics_visits.visit_monthly(conn, ALL, MONTH, "city", None)
    assert city.iloc[-1]["visit_completion"] == pytest.approx(0.75)  # c1, c2, c6 of c1, c2, c4, c6


def test_unvisited_counted_by_village(conn):
    f = topics_visits.unvisited_by_village(conn, ALL, MONTH)
    assert f[["region_code", "region_name", "township_name", "county_name", "children_total",
              "children_unvisited"]].values.tolist() == [[A2a, "乙一村", "乙镇", "任城区", 1, 1]]
    row = indicators(conn, MONTH, "city", scope=ALL, with_measures=True).loc[CITY]
    assert f["children_unvisited"].sum() == row["children_total"] - row["children_visited"]  # 4 − 3
    assert topics_visits.unvisited_by_village(conn, ALL, MONTH, B).empty


def test_visit_summary(conn):
    # City: 4 on the roll, 3 visited → 1 missed, in one village (A2a).
    assert topics_visits.visit_summary(conn, ALL, MONTH, "city", CITY) == {"children_unvisited": 1, "villages": 1}
    assert topics_visits.visit_summary(conn, ALL, MONTH, "county", B) == {"children_unvisited": 0, "villages": 0}


def test_visit_warnings(conn):
    f = topics_visits.visit_warnings(conn, ALL, MONTH)
    # A2: a child on the roll and no visit in June. B1: 1 visit in June against 4 in May (25 %).
    assert f.index.tolist() == [A2, B1]
    assert f.loc[A2, "problem"] == "none"
    assert f.loc[B1, "problem"] == "drop"
    assert f.loc[B1, "ratio"] == pytest.approx(0.25)
    assert f.loc[B1, ["visits", "visits_before"]].tolist() == [1, 4]


# ---- 培训 -----------------------------------------------------------------------------------------

def test_training_sessions_and_person_times(conn):
    f = topics_training.training_sessions(conn, ALL, MONTH)
    # 3 sessions this year up to June; last November's and August's are outside.
    assert [(str(d), c, n) for d, c, n in f[["trained_on", "course", "person_times"]].values] == [
        ("2024-03-10", "县级儿童主任培训", 2), ("2024-04-01", "乡镇业务培训", 1), ("2024-05-01", "督导员轮训", 2)]
    # City: 5 workers in post at E (p1, p3, p4, p6, p7); p3 not trained this year.
    assert topics_training.training_totals(conn, ALL, MONTH, "city", CITY) == {
        "sessions": 3, "person_times": 5, "workers": 5, "workers_trained": 4, "workers_untrained": 1}
    # County A: p1 on 10 March, p2 (still in post) on 1 April, p4 on 1 May; in post at E: p1, p3, p4.
    assert topics_training.training_totals(conn, ALL, MONTH, "county", A) == {
        "sessions": 3, "person_times": 3, "workers": 3, "workers_trained": 2, "workers_untrained": 1}
    # County B: p7 on 10 March, p6 on 1 May.
    totals = topics_training.training_totals(conn, ALL, MONTH, "county", B)
    assert (totals["sessions"], totals["person_times"], totals["workers_untrained"]) == (2, 2, 0)
    assert topics_training.training_totals(conn, Scope((B,)), MONTH, "county", None)["person_times"] == 2


def test_training_by_month(conn):
    f = topics_training.training_by_month(conn, ALL, MONTH)
    assert f["month"].tolist() == ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"]
    assert f["sessions"].tolist() == [0, 0, 1, 1, 1, 0]
    assert f["person_times"].tolist() == [0, 0, 2, 1, 2, 0]
    assert topics_training.training_by_month(conn, ALL, "2024-02")["sessions"].tolist() == [0, 0]


def test_untrained_by_township(conn):
    f = topics_training.untrained_by_township(conn, ALL, MONTH)
    # A2: p3 in post, trained only last year (p5 left on 1 June). A1: p1, p4 trained. B1: p6, p7 trained.
    assert f.index[0] == A2
    assert f.loc[A2, ["parent_name", "workers", "workers_trained", "untrained"]].tolist() == ["任城区", 1, 0, 1]
    assert f.loc[A2, "training_rate"] == pytest.approx(0.0)
    assert f.loc[A1, "untrained"] == 0 and f.loc[B1, "untrained"] == 0
    assert f["untrained"].sum() == 1  # city: 5 workers, 4 trained


# ---- 资金 -----------------------------------------------------------------------------------------

def test_funds_by_type(conn):
    f = topics_funds.funds_by_type(conn, ALL, MONTH).set_index("fund_type")
    assert f.index.tolist() == ["living_allowance", "director_subsidy", "stations", "care_projects", "other"]
    assert f.loc["living_allowance", ["budget", "spent"]].tolist() == [1_800_000, 700_000]  # A 600k + B 100k
    assert f.loc["living_allowance", "execution_rate"] == pytest.approx(7 / 18)
    assert f.loc["director_subsidy", "execution_rate"] == pytest.approx(0.5)  # 120,000 ÷ 240,000
    assert f.loc["other", ["budget", "spent"]].tolist() == [0, 5_000]
    assert nan(f.loc["other", "execution_rate"])  # no budget → null, not infinite
    assert f.loc["living_allowance", "fund_name"] == "基本生活保障金"
    assert f["time_progress"].eq(0.5).all()


def test_funds_by_county_equals_the_engine(conn):
    f = topics_funds.funds_by_county(conn, ALL, MONTH)
    assert f.loc[A, ["budget", "spent"]].tolist() == [1_440_000, 720_000]
    assert f.loc[B, "execution_rate"] == pytest.approx(0.175)  # 105,000 ÷ 600,000
    engine = indicators(conn, MONTH, "county", scope=ALL)
    for code in (A, B):
        assert f.loc[code, "budget"] == pytest.approx(engine.loc[code, "fund_budget"])
        assert f.loc[code, "spent"] == pytest.approx(engine.loc[code, "fund_spent_ytd"])
        assert f.loc[code, "execution_rate"] == pytest.approx(engine.loc[code, "fund_execution_rate"])


def test_funds_monthly_curve(conn):
    f = topics_funds.funds_monthly(conn, ALL, MONTH)
    assert f["month"].tolist() == ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"]
    assert f["spent"].tolist() == [100_000, 100_000, 200_000, 5_000, 0, 420_000]
    assert f["cumulative"].tolist() == [100_000, 200_000, 400_000, 405_000, 405_000, 825_000]
    assert f["cumulative_rate"].iloc[-1] == pytest.approx(825_000 / 2_040_000)
    assert f["time_progress"].tolist() == pytest.approx([1 / 12, 2 / 12, 3 / 12, 4 / 12, 5 / 12, 6 / 12])
    row = indicators(conn, MONTH, "city", scope=ALL).loc[CITY]
    assert f["cumulative_rate"].iloc[-1] == pytest.approx(row["fund_execution_rate"])
    a = topics_funds.funds_monthly(conn, ALL, MONTH, A)
    assert a["cumulative_rate"].iloc[-1] == pytest.approx(0.5)  # 720,000 ÷ 1,440,000


# ---- shared helpers -------------------------------------------------------------------------------

def test_time_progress_of_whole_months_and_of_the_month_in_progress(monkeypatch):
    assert time_progress("2024-06") == pytest.approx(0.5)
    assert time_progress("2024-12") == pytest.approx(1.0)
    monkeypatch.setenv("WEIBAO_TODAY", "2024-06-15")
    # Five whole months and 15 of June's 30 days: the fund pages judge against what has elapsed.
    assert time_progress("2024-06") == pytest.approx((5 + 15 / 30) / 12)
    assert time_progress("2024-05") == pytest.approx(5 / 12)


def test_funds_in_progress_use_the_engines_time_progress(conn, monkeypatch):
    monkeypatch.setenv("WEIBAO_TODAY", "2024-06-15")
    row = indicators(conn, MONTH, "city", scope=ALL).loc[CITY]
    assert topics_funds.funds_by_type(conn, ALL, MONTH)["time_progress"].eq(row["time_progress"]).all()
    assert topics_funds.funds_monthly(conn, ALL, MONTH)["time_progress"].iloc[-1] == pytest.approx(row["time_progress"])
    assert row["time_progress"] == pytest.approx((5 + 15 / 30) / 12)


def test_a_person_with_two_posts_in_scope_attends_once(db_url):
    # One director holding two villages of one township on the day of a training (and a third post ended
    # before it): the session has one attendee, one person-time, at the township, the county and the city;
    # in the other village's county (none) it does not appear.
    from datetime import date

    from sqlalchemy import insert

    from data.db import get_engine
    from data.schema import create_schema, rebuild_closure, region, training, worker_post

    city, county, town, v1, v2, other = ("370800000000", "370811000000", "370811100000", "370811100201",
                                         "370811100202", "370812000000")
    engine = get_engine(db_url)
    create_schema(engine)
    with engine.begin() as c:
        c.execute(insert(region), [
            dict(code=city, name="市", level="city", parent_code=None, minor_population=None),
            dict(code=county, name="甲县", level="county", parent_code=city, minor_population=None),
            dict(code=other, name="乙县", level="county", parent_code=city, minor_population=None),
            dict(code=town, name="甲镇", level="township", parent_code=county, minor_population=None),
            dict(code=v1, name="一村", level="village", parent_code=town, minor_population=None),
            dict(code=v2, name="二村", level="village", parent_code=town, minor_population=None)])
        rebuild_closure(c)
        c.execute(insert(worker_post), [
            dict(person_hash="p", post="director", region_code=v1, started_on=date(2024, 1, 1), ended_on=None,
                 certified=False),
            dict(person_hash="p", post="director", region_code=v2, started_on=date(2024, 2, 1), ended_on=None,
                 certified=False),
            dict(person_hash="p", post="supervisor", region_code=town, started_on=date(2023, 1, 1),
                 ended_on=date(2024, 1, 31), certified=False)])
        c.execute(insert(training), [dict(trained_on=date(2024, 3, 5), course="轮训", person_hash="p",
                                          host_level="county", hours=4)])
    try:
        with engine.connect() as conn:
            for where in (town, county, city):
                f = topics_training.training_sessions(conn, ALL, "2024-06", where)
                assert [(str(d), n, h) for d, n, h in f[["trained_on", "person_times", "hours"]].values] == \
                    [("2024-03-05", 1, 4.0)], where
            assert topics_training.training_sessions(conn, ALL, "2024-06", other).empty
    finally:
        engine.dispose()
