"""A tiny hand-made database for the topic pages' queries; every expected value in the tests is worked out from it.

City 370800 has counties A (370811, 任城) and B (370812, 兖州). A has townships A1 and A2; A2 also
manages a development-zone village whose code (370899…) does not share A's prefix. B has B1.
The month under test is 2024-06 (E = 2024-06-30, Y = 2024-01-01).

build(..., rollout=True) adds what a partial roll-out looks like (issue 6): county Z (丁县) with a township
and a village and nothing else, township A3 (丁镇) in county A with a village but no child on the roll, and
county B spending more than its budget (a 数据异常). July has children but no visits at all.
"""

from datetime import date

import pytest
from sqlalchemy import insert

from data.db import get_engine
from data.schema import budget, child, create_schema, rebuild_closure, region, spending, station, training, \
    visit, worker_post

CITY, A, B = "370800000000", "370811000000", "370812000000"
A1, A2, B1 = "370811001000", "370811002000", "370812001000"
A1a, A1b, A2a, A2z, B1a = "370811001001", "370811001002", "370811002001", "370899001001", "370812001001"
MONTH = "2024-06"
Z, Z1, Z1a, A3, A3a = "370813000000", "370813001000", "370813001001", "370811003000", "370811003001"
MONTH_WITHOUT_VISITS = "2024-07"

ROLLOUT_REGIONS = [
    (Z, "丁县", "county", CITY, 3000),  # only its regions have been loaded
    (Z1, "丁一镇", "township", Z, None),
    (Z1a, "丁一村", "village", Z1, None),
    (A3, "丁镇", "township", A, 500),  # in a county with data, but no child on the roll
    (A3a, "丁镇一村", "village", A3, None),
]
# B's living allowance: 600,000 budgeted, 100,000 spent in February; this puts B at 800,000 (133.3 %).
ROLLOUT_SPENDING = [(B, "2024-05-01", "living_allowance", 700_000)]

REGIONS = [
    # code, name, level, parent, minor_population
    (CITY, "济宁市", "city", None, 10000),
    (A, "任城区", "county", CITY, 5000),
    (B, "兖州区", "county", CITY, None),
    (A1, "甲镇", "township", A, 2000),
    (A2, "乙镇", "township", A, 0),
    (B1, "丙街道", "township", B, None),
    (A1a, "甲一村", "village", A1, None),
    (A1b, "甲二村", "village", A1, None),
    (A2a, "乙一村", "village", A2, None),
    (A2z, "开发区村", "village", A2, None),
    (B1a, "丙一社区", "village", B1, None),
]

CHILDREN = [
    # hash, category, village, enrolled, exited
    ("c1", "orphan", A1a, "2023-03-01", None),          # on the roll throughout
    ("c2", "left_behind", A1a, "2024-06-10", None),     # new in June
    ("c3", "dibao", A1b, "2024-01-15", "2024-06-20"),   # new in January, exited in June
    ("c4", "left_behind", A2a, "2024-05-05", None),     # new in May
    ("c5", "orphan", A2z, "2022-01-01", "2024-05-31"),  # exited on the last day of May
    ("c6", "unsupported", B1a, "2024-03-01", None),     # new in March (county B)
    ("c7", "left_behind", B1a, "2024-07-01", None),     # after the month: never counted
]

POSTS = [
    # person, post, region, started, ended, certified
    ("p1", "director", A1a, "2022-01-01", None, True),
    ("p2", "director", A1b, "2022-01-01", "2024-04-15", False),  # A1b vacant since 15 April
    ("p3", "director", A2a, "2023-01-01", None, False),
    ("p4", "supervisor", A1, "2022-01-01", None, True),
    ("p5", "supervisor", A2, "2022-01-01", "2024-06-01", False),  # A2 vacant since 1 June
    ("p6", "supervisor", B1, "2022-01-01", None, False),
    ("p7", "director", B1a, "2024-02-01", None, True),
]

STATIONS = [
    # kind, region, name, built, closed
    ("centre", A, "任城区未成年人救助保护中心", "2021-01-01", None),
    ("workstation", A1, "甲镇工作站", "2021-01-01", None),
    ("workstation", A2, "乙镇工作站", "2024-07-01", None),       # built after the month
    ("workstation", B1, "丙街道工作站", "2021-01-01", "2024-03-01"),  # closed in March
    ("home", A1a, "甲一村儿童之家", "2020-01-01", None),
    ("home", A2a, "乙一村儿童之家", "2020-01-01", "2024-06-30"),   # closed on E: not active at E
    ("home", B1a, "丙一社区儿童之家", "2020-01-01", None),
]

VISITS = [
    # date, child, worker
    ("2024-05-03", "c1", "p1"), ("2024-05-25", "c1", "p1"), ("2024-05-20", "c4", "p3"),
    ("2024-05-02", "c6", "p7"), ("2024-05-10", "c6", "p7"), ("2024-05-20", "c6", "p7"), ("2024-05-28", "c6", "p7"),
    ("2024-06-05", "c1", "p1"), ("2024-06-12", "c2", "p1"), ("2024-06-20", "c2", "p1"),
    ("2024-06-02", "c3", "p1"),  # c3 left on 20 June: not on the roll at E, so not counted
    ("2024-06-01", "c6", "p7"),
]

TRAININGS = [
    # date, course, person, host level, hours
    ("2024-03-10", "县级儿童主任培训", "p1", "county", 6),
    ("2024-03-10", "县级儿童主任培训", "p7", "county", 6),
    ("2024-05-01", "督导员轮训", "p4", "city", 8),
    ("2024-05-01", "督导员轮训", "p6", "city", 8),
    ("2024-04-01", "乡镇业务培训", "p2", "township", 2),  # p2 still in post on 1 April
    ("2023-11-01", "去年培训", "p3", "county", 4),        # last year
    ("2024-08-01", "下半年培训", "p1", "county", 4),      # after the month
]

BUDGETS = [(A, 2024, "living_allowance", 1_200_000), (A, 2024, "director_subsidy", 240_000),
           (B, 2024, "living_allowance", 600_000), (A, 2023, "living_allowance", 999_999)]
SPENDING = [
    (A, "2024-01-01", "living_allowance", 100_000), (A, "2024-03-01", "living_allowance", 200_000),
    (A, "2024-06-01", "living_allowance", 300_000), (A, "2024-06-01", "director_subsidy", 120_000),
    (A, "2024-07-01", "living_allowance", 50_000),   # after the month
    (A, "2023-12-01", "living_allowance", 99_999),   # last year
    (B, "2024-02-01", "living_allowance", 100_000),
    (B, "2024-04-01", "other", 5_000),               # spent with no budget of its type
]


def build(url: str, years: int = 0, rollout: bool = False):
    """Create the schema at `url`, load the rows above (every date moved `years` years on; with `rollout` the
    partial roll-out rows too) and return the engine."""
    regions = REGIONS + (ROLLOUT_REGIONS if rollout else [])
    spending_rows = SPENDING + (ROLLOUT_SPENDING if rollout else [])

    def D(text: str) -> date:  # noqa: N802 (reads like a literal in the row tables)
        day = date.fromisoformat(text)
        return day.replace(year=day.year + years)

    engine = get_engine(url)
    create_schema(engine)
    with engine.begin() as conn:
        conn.execute(insert(region), [dict(code=c, name=n, level=lv, parent_code=p, minor_population=m)
                                      for c, n, lv, p, m in regions])
        rebuild_closure(conn)
        conn.execute(insert(child), [
            dict(id_hash=h, category=cat, village_code=v, enrolled_on=D(e), exited_on=D(x) if x else None,
                 assessment_due_on=D(e)) for h, cat, v, e, x in CHILDREN])
        conn.execute(insert(worker_post), [
            dict(person_hash=h, post=p, region_code=r, started_on=D(s), ended_on=D(e) if e else None, certified=c)
            for h, p, r, s, e, c in POSTS])
        conn.execute(insert(station), [
            dict(kind=k, region_code=r, name=n, built_on=D(b), closed_on=D(c) if c else None)
            for k, r, n, b, c in STATIONS])
        conn.execute(insert(visit), [dict(visited_on=D(d), child_hash=c, worker_hash=w, mode="home")
                                     for d, c, w in VISITS])
        conn.execute(insert(training), [dict(trained_on=D(d), course=c, person_hash=p, host_level=lv, hours=h)
                                        for d, c, p, lv, h in TRAININGS])
        conn.execute(insert(budget), [dict(county_code=c, year=y + years, fund_type=f, amount=a)
                                      for c, y, f, a in BUDGETS])
        conn.execute(insert(spending), [dict(county_code=c, month_start=D(m), fund_type=f, amount=a)
                                        for c, m, f, a in spending_rows])
    return engine


def test_fixture_follows_parent_links(tmp_path):
    """The zone village belongs to A by its parent link although its code says 370899."""
    from sqlalchemy import text
    engine = build(f"sqlite:///{tmp_path / 'f.sqlite'}")
    with engine.connect() as conn:
        ancestors = {r[0] for r in conn.execute(text("SELECT ancestor FROM region_closure WHERE descendant = :d"),
                                                {"d": A2z})}
    engine.dispose()
    assert ancestors == {A2z, A2, A, CITY}


def test_rollout_fixture_is_partial(tmp_path):
    """Z has regions and nothing else; A3 has no child; B spends above its budget; July has no visit."""
    from queries.engine import Scope, indicators
    engine = build(f"sqlite:///{tmp_path / 'r.sqlite'}", rollout=True)
    with engine.connect() as conn:
        county = indicators(conn, MONTH, "county", scope=Scope.everything(), with_measures=True)
        town = indicators(conn, MONTH, "township", A, scope=Scope.everything())
        july = indicators(conn, MONTH_WITHOUT_VISITS, "city", scope=Scope.everything(), with_measures=True)
    engine.dispose()
    assert county.loc[Z, ["children_total", "workers", "fund_budget", "fund_spent_ytd"]].tolist() == [0, 0, 0, 0]
    assert town.loc[A3, "children_total"] == 0
    assert county.loc[B, "fund_execution_rate"] == pytest.approx(805_000 / 600_000)  # with 5,000 of 其他
    assert july.iloc[0]["children_total"] > 0 and july.iloc[0]["visits_logged"] == 0
