"""Every indicator of contract §2 equals the value worked out by hand from tests/fixtures/tiny.py.

Month under test 2024-06: M = 06-01…06-30, E = 2024-06-30, Y = 2024-01-01, E − 30 = 2024-05-31.
Expected values are literals with their arithmetic beside them; none comes from the code under
test. Names (c01…c14 children, P1…P6 persons, A/B/Z counties …) are those of the fixture module.

Hand tally used throughout (see the comments in tests/fixtures/tiny.py for each row's purpose):

  on the roll at E:  A1a c01 c02 | A1b c05 c06 c07 c08 c13 | A2a c09 | B1a c11 c12   (10)
     not on the roll: c03 (enrolled E+1), c04 (exited on E), c10 (exited 06-15), c14 (exited 04-30)
  categories on roll: 孤儿 c01 c08 c12 · 事实无人抚养 c02 · 重残重病 c11 · 低保 c09 ·
                      其他困境 c05 c13 · 留守 c06 c07
  new in M:          c02 (06-30) c06 (06-10) c11 (06-01)       exited in M: c04 (06-30) c10 (06-15)
  visited in M (on roll, ≥1 visit 06-01…06-30): c01 c06 c07 c09 c11 c13
     not: c02 c08 c12 (no visit in M), c05 (only 05-31)
  assessment due (纳入 in [01-01, 05-31]): c07 c08 c09 c12 c13 c14; on time: c07 c14
  persons active at E: P1 (two posts) P3 P6 in A, P4 P5 in B — P2 ended on E
     certified: P1 (via his 督导员 row) P4       trained in [Y, E]: P1 (01-01) P5 (06-30) P6 (02-02)
  stations active at E: centre A; workstations A2 B1; homes A1a (built E) A2a (closes 07-01)
  directors at E: A1a (P1, P6) A2a (P3 from E) B1a (P5); supervisors at E: A1 (P1) B1 (P4)
"""

import pandas as pd
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from data.db import get_engine
from queries.engine import OutOfScope, Scope, VisitRule, indicators
from tests.fixtures.direct import load_direct
from tests.fixtures.tiny import (
    A, A1, A1a, A1b, A1c, A2, A2a, B, B1, B1a, C, CHILD_IDS, MONTH, WORKER_IDS, Z, Z1, Z1a, with_check,
    write_workbook,
)

NULL = None  # the expected value of a rate whose denominator is 0, or of an indicator below its level

# Contract §2, in table order, typed from the contract.
CONTRACT_KEYS = [
    "children_total", "children_orphan", "children_unsupported", "children_disabled_ill",
    "children_dibao", "children_other_difficulty", "children_left_behind", "children_new",
    "children_exited", "county_centre_coverage", "township_station_coverage",
    "village_home_coverage", "village_director_coverage", "township_supervisor_coverage",
    "worker_certified_rate", "visit_completion", "training_rate", "fund_budget",
    "fund_spent_ytd", "fund_execution_rate", "time_progress", "assessment_timeliness",
]

EXPECTED = {
    ("city", C): {
        "children_total": 10,  # c01 c02 c05 c06 c07 c08 c13 c09 c11 c12; not c03 (E+1) c04 (exit E) c10 c14
        "children_orphan": 3,  # c01 c08 c12
        "children_unsupported": 1,  # c02 (enrolled on E)
        "children_disabled_ill": 1,  # c11; c03 enrolled E+1, c10 exited 06-15
        "children_dibao": 1,  # c09; c04 exited on E
        "children_other_difficulty": 2,  # c05 (exits E+1) c13; c14 exited 04-30
        "children_left_behind": 2,  # c06 c07
        "children_new": 3,  # c02 (06-30) c06 (06-10) c11 (06-01); c03 is 07-01
        "children_exited": 2,  # c04 (06-30) c10 (06-15); c05 is 07-01, c14 is 04-30
        "county_centre_coverage": 1 / 3,  # A (centre since 2021) of A B Z; B's built 07-01 → 1/3
        "township_station_coverage": 2 / 4,  # A2 B1 of A1 (closed 2023-12-31) A2 B1 Z1 → 2/4
        "village_home_coverage": 2 / 6,  # A1a (built E) A2a (closes E+1); A1b closed on E → 2/6
        "village_director_coverage": 3 / 6,  # A1a A2a (P3 from E) B1a; A1b (P2 ends E) A1c Z1a → 3/6
        "township_supervisor_coverage": 2 / 4,  # A1 (P1) B1 (P4) of 4 → 2/4
        "worker_certified_rate": 2 / 5,  # persons P1 P3 P4 P5 P6; certified P1 (是 on one row) P4 → 2/5
        "visit_completion": 6 / 10,  # c01 c06 c07 c09 c11 c13 of 10 → 6/10
        "training_rate": 3 / 5,  # P1 (on Y) P5 (on E) P6; P3 (12-31) P4 (07-01) not → 3/5
        "fund_budget": 1250000,  # A 1000000 + 200000 + B 50000 (A 2023's 999999 excluded)
        "fund_spent_ytd": 310000,  # A 100000 + 150000 + 50000 + B 10000 (2023-12, 2024-07 excluded)
        "fund_execution_rate": 310000 / 1250000,  # = 0.248
        "time_progress": 6 / 12,
        "assessment_timeliness": 2 / 6,  # due c07 c08 c09 c12 c13 c14; on time c07 (+30) c14 → 2/6
    },
    ("county", A): {
        "children_total": 8,  # A1a c01 c02 + A1b c05 c06 c07 c08 c13 + A2a (prefix 370871!) c09
        "children_orphan": 2,  # c01 c08
        "children_unsupported": 1,  # c02
        "children_disabled_ill": 0,  # c03 not yet, c10 exited
        "children_dibao": 1,  # c09 (township A2 whose code says county B)
        "children_other_difficulty": 2,  # c05 c13
        "children_left_behind": 2,  # c06 c07
        "children_new": 2,  # c02 c06
        "children_exited": 2,  # c04 c10 (c10 is in A2a → counted under A)
        "county_centre_coverage": 1 / 1,  # A's centre
        "township_station_coverage": 1 / 2,  # A2 yes, A1 closed 2023-12-31 → 1/2
        "village_home_coverage": 2 / 4,  # A1a A2a of A1a A1b A1c A2a → 2/4
        "village_director_coverage": 2 / 4,  # A1a A2a of 4 → 2/4
        "township_supervisor_coverage": 1 / 2,  # A1 (P1); A2 none → 1/2
        "worker_certified_rate": 1 / 3,  # P1 P3 P6; certified P1 → 1/3
        "visit_completion": 5 / 8,  # c01 c06 c07 c13 c09 of 8 → 5/8
        "training_rate": 2 / 3,  # P1 P6 trained; P3 (2023-12-31) not → 2/3
        "fund_budget": 1200000,  # 1000000 + 200000
        "fund_spent_ytd": 300000,  # 100000 (01) + 150000 (06) + 50000 (06)
        "fund_execution_rate": 300000 / 1200000,  # = 0.25
        "time_progress": 6 / 12,
        "assessment_timeliness": 2 / 5,  # due c07 c08 c09 c13 c14; on time c07 c14 → 2/5
    },
    ("county", B): {
        # B = 370871000000 owns only B1/B1a; A2 (370871001000) belongs to A by its parent link
        "children_total": 2,  # c11 c12
        "children_orphan": 1,  # c12
        "children_unsupported": 0,
        "children_disabled_ill": 1,  # c11
        "children_dibao": 0,  # c09 is under A, not B
        "children_other_difficulty": 0,
        "children_left_behind": 0,
        "children_new": 1,  # c11 (06-01)
        "children_exited": 0,  # c10 is under A, not B
        "county_centre_coverage": 0 / 1,  # B's centre built 07-01, after E → 0/1
        "township_station_coverage": 1 / 1,  # B1
        "village_home_coverage": 0 / 1,  # B1a has none
        "village_director_coverage": 1 / 1,  # B1a (P5)
        "township_supervisor_coverage": 1 / 1,  # B1 (P4)
        "worker_certified_rate": 1 / 2,  # P4 是, P5 blank = 否 → 1/2
        "visit_completion": 1 / 2,  # c11 yes; c12 only 07-01 → 1/2
        "training_rate": 1 / 2,  # P5 on E yes; P4 07-01 no → 1/2
        "fund_budget": 50000,
        "fund_spent_ytd": 10000,
        "fund_execution_rate": 10000 / 50000,  # = 0.2
        "time_progress": 6 / 12,
        "assessment_timeliness": 0 / 1,  # due c12; risk on +31 → late → 0/1
    },
    ("county", Z): {
        # regions only: counts 0, coverage denominators from the region table (not null), other rates null
        "children_total": 0,
        "children_orphan": 0,
        "children_unsupported": 0,
        "children_disabled_ill": 0,
        "children_dibao": 0,
        "children_other_difficulty": 0,
        "children_left_behind": 0,
        "children_new": 0,
        "children_exited": 0,
        "county_centre_coverage": 0 / 1,  # Z exists, has no centre
        "township_station_coverage": 0 / 1,  # Z1 exists
        "village_home_coverage": 0 / 1,  # Z1a exists
        "village_director_coverage": 0 / 1,
        "township_supervisor_coverage": 0 / 1,
        "worker_certified_rate": NULL,  # 0 persons
        "visit_completion": NULL,  # 0 children
        "training_rate": NULL,  # 0 persons
        "fund_budget": 0,  # Σ over no rows
        "fund_spent_ytd": 0,
        "fund_execution_rate": NULL,  # 0 / 0
        "time_progress": 6 / 12,
        "assessment_timeliness": NULL,  # nobody due
    },
    ("township", A1): {
        "children_total": 7,  # A1a c01 c02 + A1b c05 c06 c07 c08 c13
        "children_orphan": 2,  # c01 c08
        "children_unsupported": 1,  # c02
        "children_disabled_ill": 0,
        "children_dibao": 0,  # c04 exited on E
        "children_other_difficulty": 2,  # c05 c13
        "children_left_behind": 2,  # c06 c07
        "children_new": 2,  # c02 c06
        "children_exited": 1,  # c04
        "county_centre_coverage": NULL,  # below county level
        "township_station_coverage": 0 / 1,  # A1's workstation closed 2023-12-31
        "village_home_coverage": 1 / 3,  # A1a of A1a A1b A1c
        "village_director_coverage": 1 / 3,  # A1a of 3
        "township_supervisor_coverage": 1 / 1,  # P1
        "worker_certified_rate": 1 / 2,  # P1 (posts at A1 and A1a, counted once) P6; certified P1 → 1/2
        "visit_completion": 4 / 7,  # c01 c06 c07 c13 of 7
        "training_rate": 2 / 2,  # P1 P6
        "fund_budget": NULL,
        "fund_spent_ytd": NULL,
        "fund_execution_rate": NULL,
        "time_progress": 6 / 12,
        "assessment_timeliness": 2 / 4,  # due c07 c08 c13 c14; on time c07 c14 → 2/4
    },
    ("township", A2): {
        # the prefix-breaking township: 370871001000 under county A
        "children_total": 1,  # c09
        "children_orphan": 0,
        "children_unsupported": 0,
        "children_disabled_ill": 0,  # c10 exited 06-15
        "children_dibao": 1,  # c09
        "children_other_difficulty": 0,
        "children_left_behind": 0,
        "children_new": 0,
        "children_exited": 1,  # c10
        "county_centre_coverage": NULL,
        "township_station_coverage": 1 / 1,
        "village_home_coverage": 1 / 1,  # A2a's home closes 07-01, after E
        "village_director_coverage": 1 / 1,  # P3 starts on E
        "township_supervisor_coverage": 0 / 1,
        "worker_certified_rate": 0 / 1,  # P3 否
        "visit_completion": 1 / 1,  # c09 (2 visits)
        "training_rate": 0 / 1,  # P3 trained 2023-12-31 only
        "fund_budget": NULL,
        "fund_spent_ytd": NULL,
        "fund_execution_rate": NULL,
        "time_progress": 6 / 12,
        "assessment_timeliness": 0 / 1,  # c09 due, need assessment missing
    },
    ("township", B1): {
        "children_total": 2,  # c11 c12
        "children_orphan": 1,
        "children_unsupported": 0,
        "children_disabled_ill": 1,
        "children_dibao": 0,
        "children_other_difficulty": 0,
        "children_left_behind": 0,
        "children_new": 1,  # c11
        "children_exited": 0,
        "county_centre_coverage": NULL,
        "township_station_coverage": 1 / 1,
        "village_home_coverage": 0 / 1,
        "village_director_coverage": 1 / 1,
        "township_supervisor_coverage": 1 / 1,
        "worker_certified_rate": 1 / 2,  # P4 of P4 P5
        "visit_completion": 1 / 2,  # c11 of c11 c12
        "training_rate": 1 / 2,  # P5 of P4 P5
        "fund_budget": NULL,
        "fund_spent_ytd": NULL,
        "fund_execution_rate": NULL,
        "time_progress": 6 / 12,
        "assessment_timeliness": 0 / 1,  # c12 late; c11 (E−29) not due
    },
    ("township", Z1): {
        "children_total": 0,
        "children_orphan": 0,
        "children_unsupported": 0,
        "children_disabled_ill": 0,
        "children_dibao": 0,
        "children_other_difficulty": 0,
        "children_left_behind": 0,
        "children_new": 0,
        "children_exited": 0,
        "county_centre_coverage": NULL,
        "township_station_coverage": 0 / 1,
        "village_home_coverage": 0 / 1,
        "village_director_coverage": 0 / 1,
        "township_supervisor_coverage": 0 / 1,
        "worker_certified_rate": NULL,
        "visit_completion": NULL,
        "training_rate": NULL,
        "fund_budget": NULL,
        "fund_spent_ytd": NULL,
        "fund_execution_rate": NULL,
        "time_progress": 6 / 12,
        "assessment_timeliness": NULL,
    },
    ("village", A1a): {
        "children_total": 2,  # c01 c02 (c03 E+1, c04 exit E, c14 exit 04-30)
        "children_orphan": 1,  # c01
        "children_unsupported": 1,  # c02
        "children_disabled_ill": 0,  # c03 enrolled E+1
        "children_dibao": 0,  # c04 exited on E
        "children_other_difficulty": 0,  # c14 exited
        "children_left_behind": 0,
        "children_new": 1,  # c02
        "children_exited": 1,  # c04
        "county_centre_coverage": NULL,
        "township_station_coverage": NULL,  # 0 townships in a village's scope → 0/0
        "village_home_coverage": 1 / 1,  # home built on E
        "village_director_coverage": 1 / 1,  # P1 and P6: the village counts once
        "township_supervisor_coverage": NULL,  # 0/0
        "worker_certified_rate": 1 / 2,  # P1 P6; P1's 否 row is here but his other row says 是 → 1/2
        "visit_completion": 1 / 2,  # c01 (06-01) yes, c02 no
        "training_rate": 2 / 2,  # P1 (on Y), P6
        "fund_budget": NULL,
        "fund_spent_ytd": NULL,
        "fund_execution_rate": NULL,
        "time_progress": 6 / 12,
        "assessment_timeliness": 1 / 1,  # due c14 only (exited but enrolled in [Y, E−30]); on time
    },
    ("village", A1b): {
        "children_total": 5,  # c05 c06 c07 c08 c13
        "children_orphan": 1,  # c08
        "children_unsupported": 0,
        "children_disabled_ill": 0,
        "children_dibao": 0,
        "children_other_difficulty": 2,  # c05 c13
        "children_left_behind": 2,  # c06 c07
        "children_new": 1,  # c06
        "children_exited": 0,  # c05 exits E+1
        "county_centre_coverage": NULL,
        "township_station_coverage": NULL,
        "village_home_coverage": 0 / 1,  # closed on E
        "village_director_coverage": 0 / 1,  # P2's post ends on E → vacant
        "township_supervisor_coverage": NULL,
        "worker_certified_rate": NULL,  # P2 not active → 0 persons
        "visit_completion": 3 / 5,  # c06 c07 c13; c05 (05-31) c08 not
        "training_rate": NULL,
        "fund_budget": NULL,
        "fund_spent_ytd": NULL,
        "fund_execution_rate": NULL,
        "time_progress": 6 / 12,
        "assessment_timeliness": 1 / 3,  # due c07 (on time) c08 (need +31) c13 (missing) → 1/3
    },
    ("village", A1c): {
        "children_total": 0,
        "children_orphan": 0,
        "children_unsupported": 0,
        "children_disabled_ill": 0,
        "children_dibao": 0,
        "children_other_difficulty": 0,
        "children_left_behind": 0,
        "children_new": 0,
        "children_exited": 0,
        "county_centre_coverage": NULL,
        "township_station_coverage": NULL,
        "village_home_coverage": 0 / 1,  # the village exists: 0, not null
        "village_director_coverage": 0 / 1,
        "township_supervisor_coverage": NULL,
        "worker_certified_rate": NULL,
        "visit_completion": NULL,
        "training_rate": NULL,
        "fund_budget": NULL,
        "fund_spent_ytd": NULL,
        "fund_execution_rate": NULL,
        "time_progress": 6 / 12,
        "assessment_timeliness": NULL,
    },
    ("village", A2a): {
        "children_total": 1,  # c09
        "children_orphan": 0,
        "children_unsupported": 0,
        "children_disabled_ill": 0,
        "children_dibao": 1,
        "children_other_difficulty": 0,
        "children_left_behind": 0,
        "children_new": 0,
        "children_exited": 1,  # c10
        "county_centre_coverage": NULL,
        "township_station_coverage": NULL,
        "village_home_coverage": 1 / 1,
        "village_director_coverage": 1 / 1,
        "township_supervisor_coverage": NULL,
        "worker_certified_rate": 0 / 1,
        "visit_completion": 1 / 1,
        "training_rate": 0 / 1,
        "fund_budget": NULL,
        "fund_spent_ytd": NULL,
        "fund_execution_rate": NULL,
        "time_progress": 6 / 12,
        "assessment_timeliness": 0 / 1,
    },
    ("village", B1a): {
        "children_total": 2,
        "children_orphan": 1,
        "children_unsupported": 0,
        "children_disabled_ill": 1,
        "children_dibao": 0,
        "children_other_difficulty": 0,
        "children_left_behind": 0,
        "children_new": 1,
        "children_exited": 0,
        "county_centre_coverage": NULL,
        "township_station_coverage": NULL,
        "village_home_coverage": 0 / 1,
        "village_director_coverage": 1 / 1,
        "township_supervisor_coverage": NULL,
        "worker_certified_rate": 0 / 1,  # P5's certificate cell blank = 否
        "visit_completion": 1 / 2,
        "training_rate": 1 / 1,  # P5 trained on E
        "fund_budget": NULL,
        "fund_spent_ytd": NULL,
        "fund_execution_rate": NULL,
        "time_progress": 6 / 12,
        "assessment_timeliness": 0 / 1,
    },
}

# Every region of each level (one row each, whatever was loaded for it).
LEVEL_ROWS = {
    "city": [C],
    "county": sorted([A, B, Z]),
    "township": sorted([A1, A2, B1, Z1]),
    "village": sorted([A1a, A1b, A1c, A2a, B1a, Z1a]),
}

CASES = [
    pytest.param(level, region, key, value, id=f"{level}-{region}-{key}")
    for (level, region), row in EXPECTED.items()
    for key, value in row.items()
]


def assert_value(actual, expected, what=""):
    """Null expected → null actual; otherwise equal (approx for fractions)."""
    if expected is None:
        assert pd.isna(actual), f"{what}: expected null, got {actual!r}"
    else:
        assert not pd.isna(actual), f"{what}: expected {expected!r}, got null"
        assert float(actual) == pytest.approx(expected, rel=1e-12, abs=1e-12), what


# ------------------------------------------------------------------ databases

def _pg_schema_url(base: str, schema: str) -> str:
    return make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False)


@pytest.fixture(scope="module", params=["sqlite-rows", "sqlite-kept", "postgresql-rows", "postgresql-kept"])
def tiny_frames(request, tmp_path_factory):
    """The tiny data set loaded once per backend and path; frames of every level computed once.

    Same backends as conftest's db_url (SQLite file; PostgreSQL in a scratch schema when
    WEIBAO_TEST_PG_URL is set), but module-scoped so that ~300 parametrised cases share one load. `rows`:
    the engine computes every measure from the rows; `kept`: the monthly measures are kept (data.kept) and
    the engine reads them for every level but villages (asserted, so a silent fallback cannot pass).
    """
    import os
    import uuid

    from queries.engine import DEFAULT_VISIT_RULE, keeps, kept_state
    from queries.periods import Month

    backend, path = request.param.split("-")
    admin = schema = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('tiny') / 'tiny.sqlite'}"
    else:
        base = os.environ.get("WEIBAO_TEST_PG_URL")
        if not base:
            pytest.skip("WEIBAO_TEST_PG_URL not set")
        schema = "t_" + uuid.uuid4().hex[:12]
        admin = create_engine(base)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))  # generated name
        url = _pg_schema_url(base, schema)
    engine = get_engine(url)
    try:
        load_direct(engine, kept=path == "kept")
        with engine.connect() as conn:
            state = kept_state(conn)
            assert (state is not None and keeps(state, Month.parse(MONTH).period, DEFAULT_VISIT_RULE)) == (
                path == "kept")
            frames = {level: indicators(conn, MONTH, level, scope=Scope.everything()) for level in LEVEL_ROWS}
        yield frames
    finally:
        engine.dispose()
        if admin is not None:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


@pytest.fixture(params=["rows", "kept"])
def tiny_engine(db_url, request):
    """conftest's db_url (both backends) with the tiny data set inserted directly, with or without the kept
    monthly measures (the engine reads them where they answer the period exactly)."""
    engine = get_engine(db_url)
    load_direct(engine, kept=request.param == "kept")
    yield engine
    engine.dispose()


# ------------------------------------------------------------------ the hand values

def test_fixture_check_digits_follow_the_standard():
    # the worked example of GB 11643-1999 itself: 11010519491231002X
    assert with_check("11010519491231002") == "11010519491231002X"
    assert len(set(CHILD_IDS + WORKER_IDS)) == 20 and all(len(i) == 18 for i in CHILD_IDS + WORKER_IDS)


def test_expected_rows_cover_every_contract_key():
    for where, row in EXPECTED.items():
        assert list(row) == CONTRACT_KEYS, where


@pytest.mark.parametrize("level, region, key, expected", CASES)
def test_indicator_equals_hand_value(tiny_frames, level, region, key, expected):
    frame = tiny_frames[level]
    assert region in frame.index, f"{region} missing at level {level}"
    assert_value(frame.loc[region, key], expected, f"{level} {region} {key}")


@pytest.mark.parametrize("level", list(LEVEL_ROWS))
def test_one_row_per_region_of_the_level(tiny_frames, level):
    frame = tiny_frames[level]
    assert sorted(frame.index) == LEVEL_ROWS[level]
    assert list(frame.columns[:1]) == ["region_name"]
    assert [c for c in frame.columns if c != "region_name"] == CONTRACT_KEYS


def test_region_names(tiny_frames):
    assert tiny_frames["city"].loc[C, "region_name"] == "测试市"
    assert tiny_frames["township"].loc[A2, "region_name"] == "开发区街道"
    assert tiny_frames["village"].loc[Z1a, "region_name"] == "丙一村"


@pytest.mark.parametrize("level", list(LEVEL_ROWS))
def test_rates_are_fractions(tiny_frames, level):
    rates = ["county_centre_coverage", "township_station_coverage", "village_home_coverage",
             "village_director_coverage", "township_supervisor_coverage", "worker_certified_rate",
             "visit_completion", "training_rate", "fund_execution_rate", "time_progress",
             "assessment_timeliness"]
    values = tiny_frames[level][rates].stack().dropna()
    assert ((values >= 0) & (values <= 1)).all()


def test_county_sums_add_up_to_the_city(tiny_frames):
    # counts are additive over the three counties: 8 + 2 + 0 = 10 children, 2 + 1 + 0 = 3 new …
    county, city = tiny_frames["county"], tiny_frames["city"]
    for key in ["children_total", "children_new", "children_exited", "fund_budget", "fund_spent_ytd"]:
        assert county[key].sum() == city.loc[C, key], key


# ------------------------------------------------------------------ scope

def _rows_or_refused(conn, level, region, scope):
    """The region codes returned; [] when a region beside the scope is refused (OutOfScope), never widened."""
    try:
        return sorted(indicators(conn, MONTH, level, region, scope=scope).index)
    except OutOfScope:
        return []


class TestScope:
    def test_city_level_outside_a_county_scope(self, tiny_engine):
        with tiny_engine.connect() as conn:
            assert _rows_or_refused(conn, "city", None, Scope(roots=(A,))) == []
            assert _rows_or_refused(conn, "city", C, Scope(roots=(A,))) == []

    def test_county_level_in_a_county_scope_is_that_county_only(self, tiny_engine):
        with tiny_engine.connect() as conn:
            assert _rows_or_refused(conn, "county", None, Scope(roots=(A,))) == [A]
            # asking for the whole city from inside A's scope still gives only A
            assert _rows_or_refused(conn, "county", C, Scope(roots=(A,))) == [A]
            frame = indicators(conn, MONTH, "county", scope=Scope(roots=(A,)))
        assert frame.loc[A, "children_total"] == 8  # as in the unscoped run: c01 c02 c05 c06 c07 c08 c13 c09

    def test_another_county_is_refused(self, tiny_engine):
        with tiny_engine.connect() as conn:
            for level, region in (("county", B), ("township", B), ("village", B1a)):
                with pytest.raises(OutOfScope):
                    indicators(conn, MONTH, level, region, scope=Scope(roots=(A,)))

    def test_forged_region_returns_nothing(self, tiny_engine):
        with tiny_engine.connect() as conn:
            for scope in (Scope.everything(), Scope(roots=(A,))):
                for level in LEVEL_ROWS:
                    assert _rows_or_refused(conn, level, "370899999999", scope) == []
            # a forged scope sees nothing either
            assert _rows_or_refused(conn, "county", None, Scope(roots=("110000000000",))) == []

    def test_townships_in_a_county_scope_include_the_prefix_breaking_one(self, tiny_engine):
        with tiny_engine.connect() as conn:
            assert _rows_or_refused(conn, "township", None, Scope(roots=(A,))) == sorted([A1, A2])
            assert _rows_or_refused(conn, "township", A, Scope.everything()) == sorted([A1, A2])
            # county B (whose code prefix A2 carries) does not get A2
            assert _rows_or_refused(conn, "township", B, Scope.everything()) == [B1]
            assert _rows_or_refused(conn, "village", B, Scope.everything()) == [B1a]
            frame = indicators(conn, MONTH, "village", A, scope=Scope(roots=(A,)))
        assert sorted(frame.index) == sorted([A1a, A1b, A1c, A2a])

    def test_township_scope(self, tiny_engine):
        with tiny_engine.connect() as conn:
            frame = indicators(conn, MONTH, "township", scope=Scope(roots=(A2,)))
            assert _rows_or_refused(conn, "county", None, Scope(roots=(A2,))) == []
        assert list(frame.index) == [A2]
        assert frame.loc[A2, "children_total"] == 1  # c09
        assert pd.isna(frame.loc[A2, "fund_budget"])  # below county level


# ------------------------------------------------------------------ visit rule

class TestVisitRule:
    RED2 = VisitRule(per_level={"red": 2, "orange": 1, "yellow": 1, "green": 1, "unassessed": 1})

    @pytest.mark.parametrize("level, region, expected", [
        ("city", C, 5 / 10),  # c01 (red, 1 visit) drops out: c06 c07 c09 c11 c13 → 5/10
        ("county", A, 4 / 8),  # c06 c07 c13 c09 → 4/8
        ("county", B, 1 / 2),  # unchanged: no red child in B
        ("township", A1, 3 / 7),  # c06 c07 c13 → 3/7
        ("village", A1a, 0 / 2),  # c01 incomplete, c02 no visit → 0/2
    ])
    def test_red_child_with_one_visit_is_not_complete(self, tiny_engine, level, region, expected):
        with tiny_engine.connect() as conn:
            frame = indicators(conn, MONTH, level, scope=Scope.everything(), visit_rule=self.RED2)
        assert_value(frame.loc[region, "visit_completion"], expected)

    def test_yellow_child_with_two_visits_meets_a_rule_of_two(self, tiny_engine):
        rule = VisitRule(per_level={"red": 1, "orange": 1, "yellow": 2, "green": 1, "unassessed": 1})
        with tiny_engine.connect() as conn:
            frame = indicators(conn, MONTH, "township", scope=Scope.everything(), visit_rule=rule)
        assert_value(frame.loc[A2, "visit_completion"], 1 / 1)  # c09 yellow, 2 visits in M
        assert_value(frame.loc[A1, "visit_completion"], 4 / 7)  # c05 (yellow) had no visit in M anyway

    def test_unassessed_rule_applies_to_blank_risk(self, tiny_engine):
        rule = VisitRule(per_level={"red": 1, "orange": 1, "yellow": 1, "green": 1, "unassessed": 2})
        with tiny_engine.connect() as conn:
            frame = indicators(conn, MONTH, "village", scope=Scope.everything(), visit_rule=rule)
        # A1b: c06 (blank, 1 visit) and c13 (blank, 1 visit) drop; c07 (绿) stays → 1/5
        assert_value(frame.loc[A1b, "visit_completion"], 1 / 5)


# ------------------------------------------------------------------ other months

class TestOtherMonths:
    def test_july_moves_the_boundaries(self, tiny_engine):
        # 2024-07: E = 07-31, E−30 = 07-01. c03 enrolled 07-01 → on roll and new; c05 exits 07-01 → exited.
        with tiny_engine.connect() as conn:
            frame = indicators(conn, "2024-07", "city", scope=Scope.everything())
        row = frame.loc[C]
        # on roll at 07-31: June's 10 − c05 (exit 07-01) + c03 (enrolled 07-01) = 10
        assert row["children_total"] == 10
        assert row["children_new"] == 1  # c03
        assert row["children_exited"] == 1  # c05
        # centre of B built 07-01 is now active: A and B of 3
        assert_value(row["county_centre_coverage"], 2 / 3)
        # homes: A1a only (A2a's closed 07-01) → 1/6
        assert_value(row["village_home_coverage"], 1 / 6)
        # persons at 07-31: P1 P3 P4 P5 (P6 ended 07-31) → 4; trained by 07-31: P1 P4 (07-01) P5 → 3/4
        assert_value(row["training_rate"], 3 / 4)
        # spending Jan–Jul: 310000 + A's July 88888 = 398888
        assert row["fund_spent_ytd"] == 398888
        assert_value(row["time_progress"], 7 / 12)
        # due: enrolled 01-01…07-01: the six of June + c02 (06-30) c06 (06-10) c11 (06-01) c03 (07-01) = 10
        # on time: c07 c14 + c11 (assessed 06-05, both) = 3 → 3/10
        assert_value(row["assessment_timeliness"], 3 / 10)

    def test_a_month_before_anything(self, tiny_engine):
        # 2019-01 (E = 2019-01-31): earliest enrolment 2022-01-01, earliest post 2019-05-01 → no
        # children and no persons; A1's workstation, built 2019-01-01, is the only active station.
        with tiny_engine.connect() as conn:
            frame = indicators(conn, "2019-01", "county", scope=Scope.everything())
        assert (frame["children_total"] == 0).all()
        assert frame["visit_completion"].isna().all()
        assert frame["worker_certified_rate"].isna().all()
        assert_value(frame.loc[A, "township_station_coverage"], 1 / 2)  # A1 (built 2019-01-01) of A1 A2
        assert_value(frame.loc[A, "county_centre_coverage"], 0 / 1)  # A's centre built 2021-03-01


# ------------------------------------------------------------------ the importer gives the same data

def _load_files_or_skip():
    try:
        from data.load import load_files
    except ImportError as err:
        pytest.skip(f"data.load.load_files not available yet: {err}")
    return load_files


class TestImporterGivesSameReport:
    """The workbook loaded by data.load.load_files gives exactly the report of the direct insert."""

    def _frames(self, engine):
        with engine.connect() as conn:
            return {level: indicators(conn, MONTH, level, scope=Scope.everything()) for level in LEVEL_ROWS}

    @pytest.mark.parametrize("typed", [False, True], ids=["text-cells", "date-and-number-cells"])
    def test_same_report_as_direct_insert(self, db_url, tmp_path, id_key, typed):
        load_files = _load_files_or_skip()
        book = write_workbook(tmp_path, typed=typed)
        imported = get_engine(db_url)
        load_files([book], imported)
        direct = get_engine(f"sqlite:///{tmp_path / 'direct.sqlite'}")
        load_direct(direct)
        got, want = self._frames(imported), self._frames(direct)
        imported.dispose()
        direct.dispose()
        for level in LEVEL_ROWS:
            pd.testing.assert_frame_equal(got[level], want[level], check_dtype=False, obj=level)

    def test_hand_values_through_the_importer(self, db_url, tmp_path, id_key):
        load_files = _load_files_or_skip()
        engine = get_engine(db_url)
        load_files([write_workbook(tmp_path)], engine)
        frames = self._frames(engine)
        engine.dispose()
        for (level, region), row in EXPECTED.items():
            for key, expected in row.items():
                assert_value(frames[level].loc[region, key], expected, f"{level} {region} {key}")

    def test_loading_twice_changes_nothing(self, db_url, tmp_path, id_key):
        load_files = _load_files_or_skip()
        book = write_workbook(tmp_path)
        engine = get_engine(db_url)
        load_files([book], engine)
        first = self._frames(engine)
        load_files([book], engine)
        second = self._frames(engine)
        engine.dispose()
        for level in LEVEL_ROWS:
            pd.testing.assert_frame_equal(first[level], second[level], obj=level)
