"""各单位报送情况 and data freshness: latest dates and days worked out by hand from tests/fixtures/tiny.py, and the 口径说明 page.

Month under test 2024-06, as-of day E = 2024-06-30 (a past month reads up to its end); records dated
after the as-of day are left out. Per township of the fixture (A1 甲一镇, A2 开发区街道, B1 乙一镇, Z1 丙一镇):

  儿童 纳入日期   A1: c02 06-30 (c03's 07-01 is after E) · A2: c09 02-15 · B1: c11 06-01 · Z1: none
  走访 走访日期   A1: c06 06-30 · A2: c09 06-06 · B1: c11 06-20 (c12's 07-01 after E) · Z1: none
  工作人员 任职   A1: P6 2023-06-01 · A2: P3 06-30 · B1: P5 2023-01-01 · Z1: none
  阵地 建成日期   A1: 甲一村儿童之家 06-30 · A2: 工作站 2020-06-01 · B1: 工作站 2021-01-01 · Z1: none
  培训 培训日期   A1: P2 03-01 · A2: P3 2023-12-31 · B1: P5 06-30 (P4's 07-01 after E) · Z1: none
  资金支出 年月   (counties) A: 2024-06 (2024-07 after E) · B: 2024-03 · Z: none
"""

import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

from data import schema
from data.db import get_engine
from queries import fmt
from queries.catalog import TABLE_LABELS, freshness
from queries.engine import OutOfScope, Scope
from queries.registry import by_key, keys, rule_text, target_text
from queries.reporting import per_unit
from tests.fixtures.direct import load_direct
from tests.fixtures.tiny import A, A1, A2, B, B1, MONTH, SHEETS, Z, Z1, write_workbook
from tests.login import login

EVERYTHING = Scope.everything()
MINUTE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")


def d(text: str) -> date:
    return date.fromisoformat(text)


# (latest date, days to 2024-06-30) per township and kind; None for no record.
TOWNSHIPS_JUNE = {
    A1: {
        "children": (d("2024-06-30"), 0),  # c02 enrolled on E
        "visits": (d("2024-06-30"), 0),  # c06 visited on E
        "workers": (d("2023-06-01"), 395),  # P6: 366 days to 2024-06-01 (2024-02-29 between) + 29
        "stations": (d("2024-06-30"), 0),  # 甲一村儿童之家 built on E
        "training": (d("2024-03-01"), 121),  # P2 (A1b): 31 + 30 + 31 + 29
    },
    A2: {
        "children": (d("2024-02-15"), 136),  # c09: 29 (leap Feb 15 → Mar 15) + 31 + 30 + 31 + 15
        "visits": (d("2024-06-06"), 24),  # c09's second visit: 30 − 6
        "workers": (d("2024-06-30"), 0),  # P3 from E
        "stations": (d("2020-06-01"), 1490),  # 开发区工作站: 4 × 365 + 1 (2024-02-29) to 2024-06-01, + 29
        "training": (d("2023-12-31"), 182),  # P3 on the previous 31 Dec: 1 + 181
    },
    B1: {
        "children": (d("2024-06-01"), 29),  # c11
        "visits": (d("2024-06-20"), 10),  # c11; c12's 07-01 is after E
        "workers": (d("2023-01-01"), 546),  # P5: 365 to 2024-01-01 + 31 + 29 + 31 + 30 + 31 + 29
        "stations": (d("2021-01-01"), 1276),  # 乙一镇工作站: 3 × 365 to 2024-01-01 + 181
        "training": (d("2024-06-30"), 0),  # P5 on E; P4's 07-01 is after E
    },
    Z1: {kind: (None, None) for kind in ("children", "visits", "workers", "stations", "training")},
}
# visits and new children dated in 2024-06-01 … 2024-06-30
MONTH_COUNTS_JUNE = {
    A1: (5, 2),  # visits 06-01 c01, 06-15 c04, 06-30 c06, 06-10 c07, 06-12 c13 (05-31 c05 is May); new c02 c06
    A2: (2, 0),  # c09 on 06-05 and 06-06; nobody new
    B1: (1, 1),  # c11 on 06-20; new c11
    Z1: (0, 0),
}
COUNTIES_JUNE = {
    A: {"children": (d("2024-06-30"), 0), "visits": (d("2024-06-30"), 0), "workers": (d("2024-06-30"), 0),
        "stations": (d("2024-06-30"), 0), "training": (d("2024-03-01"), 121)},
    B: {"children": (d("2024-06-01"), 29), "visits": (d("2024-06-20"), 10), "workers": (d("2023-01-01"), 546),
        # 乙区中心 is built 07-01, after E: the township's workstation is the latest
        "stations": (d("2021-01-01"), 1276), "training": (d("2024-06-30"), 0)},
    Z: {kind: (None, None) for kind in ("children", "visits", "workers", "stations", "training")},
}
# 资金支出 by month: (latest 年月, whole months to 2024-06)
SPENDING_JUNE = {A: (d("2024-06-01"), 0), B: (d("2024-03-01"), 3), Z: (None, None)}
# the fixture's rows per sheet = the rows each table holds after a load (one row per record)
ROWS = {sheet: len(rows) for sheet, (_headers, rows) in SHEETS.items()}


@pytest.fixture(scope="module", params=["rows", "kept"])
def tiny_engine(module_db_url, request):
    """conftest's module_db_url (SQLite and PostgreSQL) with the tiny data set inserted directly, once per
    backend and way: `rows` reads every figure from the rows; `kept` keeps the monthly measures, so the
    month's visits, their latest day and the visit count come from them (asserted below)."""
    engine = get_engine(module_db_url)
    load_direct(engine, kept=request.param == "kept")
    yield engine
    engine.dispose()


def test_the_kept_variant_reads_the_kept_measures(tiny_engine, request):
    from queries.engine import report_parts, visit_parts
    from queries.periods import Month

    kept = "kept" in request.node.callspec.id
    with tiny_engine.connect() as conn:
        parts = visit_parts(conn, [Month.parse(MONTH).period], "township", None, EVERYTHING)
        assert (parts is not None) == kept
        # new children and training too: the hand-worked tests below then check the kept figures
        for level in ("township", "county"):
            assert (report_parts(conn, Month.parse(MONTH).period, level, None, EVERYTHING) is not None) == kept
        rows = freshness(conn, EVERYTHING).set_index("table_name")["current_rows"]
    assert rows[TABLE_LABELS["visit"]] == ROWS["走访"]  # every visit of the fixture, counted either way


def _rows(frame):
    return {row["region_code"]: row for row in frame.to_dict("records")}


def _value(v):
    """A cell as a plain value: None for a unit without a record (None, NaN or pandas' NA)."""
    return None if v is None or (not isinstance(v, date) and pd.isna(v)) else v


def test_latest_dates_and_days_per_township(tiny_engine):
    with tiny_engine.connect() as conn:
        frame = per_unit(conn, EVERYTHING, MONTH)
    rows = _rows(frame)
    assert sorted(rows) == sorted(TOWNSHIPS_JUNE)
    for code, expected in TOWNSHIPS_JUNE.items():
        row = rows[code]
        for kind, (last, days) in expected.items():
            assert (_value(row[f"{kind}_last"]), _value(row[f"{kind}_days"])) == (last, days), (code, kind)
        assert (row["visits_month"], row["children_month"]) == MONTH_COUNTS_JUNE[code], code
        assert row["as_of"] == d("2024-06-30")
    assert "spending_last" not in frame.columns  # spending is booked by county
    assert rows[A1]["parent_name"] == "甲县" and rows[A2]["parent_name"] == "甲县"  # A2 by its parent link


def test_latest_dates_per_county_with_spending(tiny_engine):
    with tiny_engine.connect() as conn:
        frame = per_unit(conn, EVERYTHING, MONTH, level="county")
    rows = _rows(frame)
    assert sorted(rows) == sorted(COUNTIES_JUNE)
    for code, expected in COUNTIES_JUNE.items():
        for kind, (last, days) in expected.items():
            assert (_value(rows[code][f"{kind}_last"]), _value(rows[code][f"{kind}_days"])) == (last, days), \
                (code, kind)
        assert (_value(rows[code]["spending_last"]), _value(rows[code]["spending_months"])) == SPENDING_JUNE[code]
    assert rows[A]["visits_month"] == 7  # A1's 5 + A2's 2


def test_silent_flags_in_june(tiny_engine):
    with tiny_engine.connect() as conn:
        frame = per_unit(conn, EVERYTHING, MONTH)
    rows = _rows(frame)
    assert {c for c, r in rows.items() if r["silent"]} == {Z1}  # nothing at all loaded under 丙县
    assert {c for c, r in rows.items() if r["no_visit"]} == {Z1}
    assert {c for c, r in rows.items() if r["no_new_child"]} == {A2, Z1}  # A2's children joined in Feb and 2023
    assert frame["region_code"].tolist()[0] == Z1  # the silent unit comes first


def test_silent_flags_in_july(tiny_engine):
    # 2024-07 (as of 07-31): c03 enrolled 07-01 in A1; c12 visited 07-01 and P4 trained 07-01 in B1;
    # 乙区中心 built 07-01 (county B's own code); A spent in 2024-07. Nothing else is dated in July.
    with tiny_engine.connect() as conn:
        towns = per_unit(conn, EVERYTHING, "2024-07")
        counties = per_unit(conn, EVERYTHING, "2024-07", level="county")
    rows = _rows(towns)
    assert {c for c, r in rows.items() if r["silent"]} == {A2, Z1}
    assert {c for c, r in rows.items() if r["no_visit"]} == {A1, A2, Z1}  # A1 has a new child, no visit
    assert towns["region_code"].tolist() == [A2, Z1, A1, B1]  # silent, then without a visit, then the rest
    assert rows[A2]["visits_days"] == 55  # last visit 06-06: 24 + 31
    assert rows[A1]["visits_days"] == 31  # 06-30 → 07-31
    county = _rows(counties)
    assert {c for c, r in county.items() if r["silent"]} == {Z}
    assert {c for c, r in county.items() if r["no_visit"]} == {A, Z}  # A: a new child and spending, no visit
    assert county[A]["spending_months"] == 0 and county[B]["spending_months"] == 4  # 2024-03 → 2024-07


def test_month_in_progress_counts_up_to_today(tiny_engine, monkeypatch):
    monkeypatch.setenv("WEIBAO_TODAY", "2024-06-20")
    with tiny_engine.connect() as conn:
        rows = _rows(per_unit(conn, EVERYTHING, MONTH))
    assert rows[A1]["as_of"] == d("2024-06-20")
    # A1: visits up to 06-20 are 06-01, 06-10, 06-12, 06-15 (06-30 not yet) → latest 06-15, 5 days
    assert (rows[A1]["visits_last"], rows[A1]["visits_days"], rows[A1]["visits_month"]) == (d("2024-06-15"), 5, 4)
    # A1: c02 (06-30) not yet enrolled → c06 on 06-10, 10 days; one new child
    assert (rows[A1]["children_last"], rows[A1]["children_days"], rows[A1]["children_month"]) == \
        (d("2024-06-10"), 10, 1)
    assert (rows[B1]["visits_last"], rows[B1]["visits_days"]) == (d("2024-06-20"), 0)  # c11 on today
    assert rows[A2]["workers_last"] is None  # P3 starts 06-30, after today


def test_region_and_scope(tiny_engine):
    with tiny_engine.connect() as conn:
        assert per_unit(conn, EVERYTHING, MONTH, B)["region_code"].tolist() == [B1]
        assert sorted(per_unit(conn, Scope((A,)), MONTH)["region_code"]) == [A1, A2]
        with pytest.raises(OutOfScope):  # B lies outside the caller's scope: refused, not an empty table
            per_unit(conn, Scope((A,)), MONTH, B)
        with pytest.raises(ValueError):
            per_unit(conn, EVERYTHING, MONTH, level="village")


# ------------------------------------------------------------------ freshness

def test_freshness_counts_current_rows_after_loading_twice(db_url, tmp_path, id_key):
    from data.load import load_files

    engine = get_engine(db_url)
    try:
        book = write_workbook(tmp_path)
        load_files([book], engine)
        load_files([book], engine)
        with engine.connect() as conn:
            frame = freshness(conn, EVERYTHING)
            counted = {TABLE_LABELS[t.name]: conn.execute(select(func.count()).select_from(t)).scalar_one()
                       for t in schema.DATA_TABLES}
            loaded = dict(conn.execute(select(schema.import_log.c.table_name, func.sum(schema.import_log.c.rows))
                                       .group_by(schema.import_log.c.table_name)).all())
            newest = conn.execute(select(func.max(schema.import_log.c.imported_at))).scalar_one()
    finally:
        engine.dispose()
    shown = dict(zip(frame["table_name"], frame["current_rows"]))
    assert list(frame["table_name"]) == ["区划", "儿童", "工作人员", "阵地", "走访", "培训", "资金预算", "资金支出"]
    assert shown == counted == ROWS  # 14 regions, 14 children, 7 posts, 8 stations, 10 visits, 6, 4, 6
    assert loaded["visit"] == 2 * ROWS["走访"]  # the import log counts each load: the old, doubled figure
    assert all(MINUTE.match(v) for v in frame["last_import"])
    assert frame["last_import"].max() == fmt.minute(newest)


def test_freshness_before_any_import(db_url):
    engine = get_engine(db_url)
    try:
        schema.create_schema(engine)
        with engine.connect() as conn:
            frame = freshness(conn, EVERYTHING)
    finally:
        engine.dispose()
    assert frame["current_rows"].tolist() == [0] * 8
    assert frame["last_import"].isna().all()


# ------------------------------------------------------------------ the 口径说明 page

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")


@pytest.fixture
def definitions_page(demo_url, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("WEIBAO_DB_URL", demo_url)
    at = login(AppTest.from_file(APP, default_timeout=180))
    at.run()
    at.switch_page("views/definitions.py")
    at.run()
    return at


def test_definitions_page_on_demo(definitions_page, demo_url):
    at = definitions_page
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    table = at.table[0].value
    assert "代码" not in table.columns
    assert not table.isin(keys()).any().any(), "indicator keys are code, not for viewers"
    visit = by_key()["visit_completion"]
    row = table[table["指标"] == visit.name].iloc[0]
    assert row["颜色规则"] == rule_text(visit)
    assert row["达标线"] == target_text(visit).removeprefix("达标线").strip()  # '95%'
    assert {"数据新鲜度", "各单位报送情况"} <= {h.value for h in at.subheader}

    fresh, towns = at.dataframe[0].value, at.dataframe[1].value
    assert list(fresh.columns) == ["表", "当前行数", "最近导入"]
    assert all(MINUTE.match(v) for v in fresh["最近导入"])

    with get_engine(demo_url).connect() as conn:
        expected = per_unit(conn, EVERYTHING, at.session_state["month"], at.session_state["region"])
    assert len(towns) == len(expected)
    assert towns["乡镇（街道）"].tolist() == expected["region_name"].tolist()  # silent units first
    assert "所属县（市、区）" in towns.columns  # the whole city: townships of several counties
    quiet = int(expected["silent"].sum()) + int((expected["no_visit"] & ~expected["silent"]).sum())
    if quiet:
        assert any("已排在表格最前" in w.value for w in at.warning)
    text = " ".join(str(v) for v in towns.columns) + " ".join(str(c) for c in table.columns)
    assert not re.search(r"[A-Za-z]", text), "headers are Chinese"
