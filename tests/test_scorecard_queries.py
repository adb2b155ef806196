"""考评 scorecard on a hand-made city of two counties, on SQLite and PostgreSQL."""

import io
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import insert

from data.db import get_engine
from data.schema import budget, create_schema, rebuild_closure, region, spending, station, worker_post
from queries.engine import Scope, indicators
from queries.scorecard import parse_rubric, scorecard, scorecard_csv, summary, townships_behind

CITY, K1, K2 = "370800000000", "370831000000", "370830000000"
T1, T2, T3 = "370831100000", "370831101000", "370830100000"
V1, V2, V3, V4, V5, V6 = ("370831100201", "370831100202", "370831101201", "370831101202",
                          "370830100201", "370830100202")
MONTH = "2026-06"  # 序时进度 6 / 12 = 0.5
ALL = Scope.everything()
RUBRIC = parse_rubric({"title": "测试细则", "criteria": [
    {"key": "village_director_coverage", "weight": 50, "rule": "linear", "floor": 0.5},
    {"key": "county_centre_coverage", "weight": 20, "rule": "threshold"},
    {"key": "fund_execution_rate", "weight": 30, "rule": "vs_time_progress", "floor": -0.2},
]})


def build(url: str) -> None:
    engine = get_engine(url)
    create_schema(engine)
    regions = [(CITY, "济宁市", "city", None), (K1, "泗水县", "county", CITY), (K2, "汶上县", "county", CITY),
               (T1, "泗张镇", "township", K1), (T2, "济河街道", "township", K1), (T3, "南站镇", "township", K2),
               (V1, "甲村", "village", T1), (V2, "乙村", "village", T1), (V3, "丙村", "village", T2),
               (V4, "丁村", "village", T2), (V5, "戊村", "village", T3), (V6, "己村", "village", T3)]
    with engine.begin() as conn:
        conn.execute(insert(region), [dict(code=c, name=n, level=lv, parent_code=p) for c, n, lv, p in regions])
        rebuild_closure(conn)
        conn.execute(insert(worker_post), [
            dict(person_hash=f"p{v}", post="director", region_code=v, started_on=date(2020, 1, 1), certified=False)
            for v in (V1, V2, V3, V5, V6)])
        conn.execute(insert(station), [dict(kind="centre", region_code=K1, name="泗水县中心",
                                             built_on=date(2021, 1, 1), provincial_model=False)])
        conn.execute(insert(budget), [dict(county_code=K1, year=2026, fund_type="other", amount=100000),
                                      dict(county_code=K2, year=2026, fund_type="other", amount=200000)])
        conn.execute(insert(spending), [
            dict(county_code=K1, month_start=date(2026, 3, 1), fund_type="other", amount=40000),
            dict(county_code=K1, month_start=date(2026, 7, 1), fund_type="other", amount=50000),  # after June
            dict(county_code=K2, month_start=date(2026, 6, 1), fund_type="other", amount=120000.5),
        ])
    engine.dispose()


@pytest.fixture(scope="module")
def engine(module_db_url):
    """The hand-made fixture, loaded once per backend: the tests that use it only read it."""
    build(module_db_url)
    engine = get_engine(module_db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def conn(engine):
    with engine.connect() as connection:
        yield connection


def test_scorecard_points_total_rank(conn):
    card = scorecard(conn, ALL, MONTH, RUBRIC, CITY)
    counties = card[card["level"] == "county"]
    assert counties.index.tolist() == [K2, K1]  # best first
    # 泗水县: directors 3/4 = 0.75 → (0.75 − 0.5) ÷ 0.5 × 50 = 25; centre → 20;
    #         spent 40,000 / 100,000 = 0.4, 10 points behind 序时进度 0.5 → half of 30 = 15; total 60
    # 汶上县: directors 2/2 → 50; no centre → 0; 120,000.5 / 200,000 ≥ 0.5 → 30; total 80
    assert card.loc[K1, ["pts_village_director_coverage", "pts_county_centre_coverage",
                         "pts_fund_execution_rate", "total"]].tolist() == pytest.approx([25, 20, 15, 60])
    assert card.loc[K2, "total"] == pytest.approx(80)
    assert (card.loc[K2, "rank"], card.loc[K1, "rank"]) == (1, 2)
    # 济宁市 itself (values only, no score): 5/6 directors, 1 of 2 centres, 160,000.5 / 300,000 = 0.533
    assert card.loc[CITY, "level"] == "city"
    assert card.loc[CITY, ["village_director_coverage", "county_centre_coverage", "fund_execution_rate"]].tolist() \
        == pytest.approx([5 / 6, 0.5, 160000.5 / 300000])
    assert pd.isna(card.loc[CITY, "total"]) and pd.isna(card.loc[CITY, "rank"])
    # below the city's own value: 泗水县 on directors (0.75 < 0.833) and funds (0.4 < 0.533);
    # 汶上县 only on the centre (0 < 0.5)
    below = [c for c in RUBRIC.keys if card.loc[K1, f"below_{c}"]]
    assert below == ["village_director_coverage", "fund_execution_rate"]
    assert [c for c in RUBRIC.keys if card.loc[K2, f"below_{c}"]] == ["county_centre_coverage"]
    assert (card.loc[K1, "below_count"], card.loc[K2, "below_count"]) == (2, 1)
    assert summary(card) == {"best": ("汶上县", 80.0), "worst": ("泗水县", 60.0), "mean_total": 70.0,
                             "most_below": ("泗水县", 2), "counties": 2}
    assert (card.loc[K1, "num_village_director_coverage"], card.loc[K1, "den_village_director_coverage"]) == (3, 4)
    assert card.loc[K2, "num_fund_execution_rate"] == pytest.approx(120000.5)
    assert card.loc[K1, "grade_village_director_coverage"] == "yellow"
    assert card.loc[K2, "grade_county_centre_coverage"] == "red"


def test_values_are_the_engines(conn):
    card = scorecard(conn, ALL, MONTH, RUBRIC, K1)  # a county: its city's counties are scored
    frame = indicators(conn, MONTH, "county", CITY, scope=ALL)
    for key in RUBRIC.keys:
        assert card.loc[[K1, K2], key].tolist() == pytest.approx(frame.loc[[K1, K2], key].tolist())


def test_townships_behind_a_county(conn):
    towns = townships_behind(conn, ALL, MONTH, K1, "village_director_coverage")
    # 济河街道 1 of 2 villages (0.5), 泗张镇 2 of 2 (1.0); weakest first
    assert towns.index.tolist() == [T2, T1]
    assert towns.loc[T2, ["numerator", "denominator", "village_director_coverage"]].tolist() == [1, 2, 0.5]
    assert towns.loc[T2, "status"] == "red" and towns.loc[T1, "status"] == "green"
    assert townships_behind(conn, ALL, MONTH, K1, "fund_execution_rate").empty  # county-only indicator


def test_csv_has_exact_figures(conn):
    card = scorecard(conn, ALL, MONTH, RUBRIC, CITY)
    raw = scorecard_csv(card, RUBRIC, MONTH)
    assert raw.startswith("\ufeff".encode("utf-8"))  # Excel reads the BOM as UTF-8
    table = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", dtype={"区划代码": str})
    k1 = table[table["区划代码"] == K1].iloc[0]
    assert (k1["儿童主任配备率 分子"], k1["儿童主任配备率 分母"]) == (3, 4)
    assert k1["儿童主任配备率 值（%）"] == 75.0
    assert k1["预算执行率 分子"] == 40000.0
    assert k1["预算执行率 得分（满分 30）"] == 15.0
    assert (k1["总分"], k1["排名"]) == (60.0, 2)
    k2 = table[table["区划代码"] == K2].iloc[0]
    assert k2["预算执行率 分子"] == 120000.5  # 元 to the fen
    city = table[table["区划代码"] == CITY].iloc[0]
    assert city["区划"] == "济宁市（全市，参照）" and pd.isna(city["排名"])
    assert set(table["考评细则"]) == {"测试细则"} and set(table["统计月份"]) == {MONTH}
