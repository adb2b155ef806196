"""`python -m queries.report` (contract §3) run as a subprocess over the tiny data set.

Expected values are worked out by hand from tests/fixtures/tiny.py (see the tally at the top of
tests/test_indicators.py); month 2024-06.
"""

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import InternalError, OperationalError

from data.db import get_engine
from tests.fixtures.direct import load_direct
from tests.fixtures.tiny import A, A1, A1a, A1b, A1c, A2, A2a, B, B1, B1a, C, MONTH, Z, Z1, Z1a

ROOT = Path(__file__).resolve().parent.parent

# Contract §3: region_code, region_name, then every key of §2 in the order of its table — typed
# here from the contract, not read from the registry.
HEADER = [
    "region_code", "region_name",
    "children_total", "children_orphan", "children_unsupported", "children_disabled_ill",
    "children_dibao", "children_other_difficulty", "children_left_behind", "children_new",
    "children_exited", "county_centre_coverage", "township_station_coverage",
    "village_home_coverage", "village_director_coverage", "township_supervisor_coverage",
    "worker_certified_rate", "visit_completion", "training_rate", "fund_budget",
    "fund_spent_ytd", "fund_execution_rate", "time_progress", "assessment_timeliness",
]
RATES = [
    "county_centre_coverage", "township_station_coverage", "village_home_coverage",
    "village_director_coverage", "township_supervisor_coverage", "worker_certified_rate",
    "visit_completion", "training_rate", "fund_execution_rate", "time_progress",
    "assessment_timeliness",
]
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """A SQLite file holding the tiny data set (direct insert)."""
    path = tmp_path_factory.mktemp("report") / "tiny.sqlite"
    engine = get_engine(f"sqlite:///{path}")
    load_direct(engine)
    engine.dispose()
    return f"sqlite:///{path}"


def run(*args, db_url=None):
    """Run the report command from the repository root; (exit code, stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if k != "WEIBAO_DB_URL"}
    env["PYTHONPATH"] = str(ROOT)
    cmd = [sys.executable, "-m", "queries.report", *args]
    if db_url:
        cmd += ["--db", db_url]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, timeout=120)
    return done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")


_REPORTS: dict = {}


def report(*args, db_url):
    """`run` of a report that must succeed, run once per module: the database is the module's read-only `db`,
    so the same command prints the same report, and the tests that read different things of it share one run."""
    key = (args, db_url)
    if key not in _REPORTS:
        code, out, err = run(*args, db_url=db_url)
        assert code == 0, err
        _REPORTS[key] = out
    return _REPORTS[key]


def csv_rows(db_url, *args):
    out = report("--month", MONTH, "--format", "csv", *args, db_url=db_url)
    rows = list(csv.reader(io.StringIO(out)))
    return rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]


def json_rows(db_url, *args):
    return json.loads(report("--month", MONTH, "--format", "json", *args, db_url=db_url))


# ------------------------------------------------------------------ CSV

@pytest.mark.parametrize("level", ["city", "county", "township", "village"])
def test_csv_header_is_exactly_the_contract_columns(db, level):
    header, _ = csv_rows(db, "--level", level)
    assert header == HEADER


def test_csv_city_row(db):
    _, rows = csv_rows(db, "--level", "city")
    assert len(rows) == 1
    row = rows[0]
    assert row["region_code"] == C
    assert row["region_name"] == "测试市"
    assert int(row["children_total"]) == 10  # c01 c02 c05 c06 c07 c08 c13 c09 c11 c12
    assert int(row["children_new"]) == 3  # c02 c06 c11
    assert int(row["children_exited"]) == 2  # c04 c10
    assert float(row["visit_completion"]) == pytest.approx(6 / 10)  # a fraction, not 60
    assert float(row["county_centre_coverage"]) == pytest.approx(1 / 3)  # A of A B Z
    assert float(row["fund_budget"]) == 1250000  # 1000000 + 200000 + 50000
    assert float(row["fund_spent_ytd"]) == 310000  # 100000 + 150000 + 50000 + 10000
    assert float(row["fund_execution_rate"]) == pytest.approx(0.248)  # 310000 / 1250000
    assert float(row["time_progress"]) == pytest.approx(0.5)  # 6 / 12
    assert float(row["assessment_timeliness"]) == pytest.approx(2 / 6)  # c07 c14 of six due


def test_csv_rates_are_fractions(db):
    for level in ["city", "county", "township", "village"]:
        _, rows = csv_rows(db, "--level", level)
        for row in rows:
            for key in RATES:
                if row[key] != "":
                    assert 0.0 <= float(row[key]) <= 1.0, (level, row["region_code"], key, row[key])


def test_csv_one_row_per_county_and_null_as_empty(db):
    _, rows = csv_rows(db, "--level", "county")
    by_code = {r["region_code"]: r for r in rows}
    assert sorted(by_code) == sorted([A, B, Z])
    z = by_code[Z]  # regions only
    assert int(z["children_total"]) == 0
    assert float(z["county_centre_coverage"]) == 0.0  # 0/1: Z exists, no centre — zero, not empty
    for key in ["worker_certified_rate", "visit_completion", "training_rate",
                "fund_execution_rate", "assessment_timeliness"]:
        assert z[key] == "", key  # 0 / 0 → null → empty cell
    assert float(by_code[B]["fund_execution_rate"]) == pytest.approx(0.2)  # 10000 / 50000
    assert int(by_code[A]["children_total"]) == 8  # includes c09 of the prefix-breaking A2a
    assert int(by_code[B]["children_total"]) == 2  # c11 c12 only


def test_csv_township_level_below_county_rows_are_empty(db):
    _, rows = csv_rows(db, "--level", "township")
    assert sorted(r["region_code"] for r in rows) == sorted([A1, A2, B1, Z1])
    for row in rows:
        for key in ["county_centre_coverage", "fund_budget", "fund_spent_ytd", "fund_execution_rate"]:
            assert row[key] == "", (row["region_code"], key)


@pytest.mark.parametrize("region, expected", [
    (A, sorted([A1, A2])),  # A2 = 370871001000 belongs to A by its parent link
    (B, [B1]),  # not A2, whatever its code prefix says
    (Z, [Z1]),
    (C, sorted([A1, A2, B1, Z1])),
    (A1, [A1]),  # a township's own row at its own level
])
def test_region_limits_rows_to_its_subtree(db, region, expected):
    header, rows = csv_rows(db, "--level", "township", "--region", region)
    assert header == HEADER
    assert sorted(r["region_code"] for r in rows) == expected


def test_region_of_a_county_at_village_level(db):
    _, rows = csv_rows(db, "--level", "village", "--region", A)
    assert sorted(r["region_code"] for r in rows) == sorted([A1a, A1b, A1c, A2a])
    by_code = {r["region_code"]: r for r in rows}
    assert int(by_code[A1b]["children_total"]) == 5  # c05 c06 c07 c08 c13
    assert float(by_code[A1b]["village_director_coverage"]) == 0.0  # P2's post ends on E
    assert by_code[A1c]["visit_completion"] == ""  # no children
    assert by_code[A1a]["township_station_coverage"] == ""  # no townships in a village


def test_csv_is_utf8_with_chinese_names(db):
    _, rows = csv_rows(db, "--level", "township", "--region", A)
    assert {r["region_name"] for r in rows} == {"甲一镇", "开发区街道"}


# ------------------------------------------------------------------ JSON

def test_json_list_of_objects_in_contract_order(db):
    rows = json_rows(db, "--level", "county")
    assert isinstance(rows, list) and len(rows) == 3
    for row in rows:
        assert list(row) == HEADER


def test_json_values(db):
    rows = {r["region_code"]: r for r in json_rows(db, "--level", "county")}
    a, z = rows[A], rows[Z]
    assert a["region_name"] == "甲县"
    assert a["children_total"] == 8
    assert a["children_orphan"] == 2  # c01 c08
    assert a["visit_completion"] == pytest.approx(5 / 8)
    assert a["worker_certified_rate"] == pytest.approx(1 / 3)  # P1 of P1 P3 P6
    assert a["fund_budget"] == 1200000
    assert a["fund_execution_rate"] == pytest.approx(0.25)  # 300000 / 1200000
    assert z["children_total"] == 0
    assert z["county_centre_coverage"] == 0  # 0/1
    for key in ["worker_certified_rate", "visit_completion", "training_rate",
                "fund_execution_rate", "assessment_timeliness"]:
        assert z[key] is None, key  # JSON null


def test_json_nulls_below_county_level(db):
    rows = json_rows(db, "--level", "village", "--region", B)
    assert [r["region_code"] for r in rows] == [B1a]
    row = rows[0]
    for key in ["county_centre_coverage", "township_station_coverage", "township_supervisor_coverage",
                "fund_budget", "fund_spent_ytd", "fund_execution_rate"]:
        assert row[key] is None, key
    assert row["children_total"] == 2  # c11 c12
    assert row["training_rate"] == pytest.approx(1.0)  # P5 trained on E
    assert row["worker_certified_rate"] == 0  # P5's certificate cell blank = 否


def test_json_rates_are_fractions(db):
    for row in json_rows(db, "--level", "village"):
        for key in RATES:
            if row[key] is not None:
                assert 0.0 <= row[key] <= 1.0, (row["region_code"], key)
    codes = [r["region_code"] for r in json_rows(db, "--level", "village")]
    assert sorted(codes) == sorted([A1a, A1b, A1c, A2a, B1a, Z1a])  # every village, even with nothing loaded


def test_csv_and_json_agree(db):
    _, csv_out = csv_rows(db, "--level", "township")
    json_out = json_rows(db, "--level", "township")
    assert [r["region_code"] for r in csv_out] == [r["region_code"] for r in json_out]
    for c, j in zip(csv_out, json_out):
        for key in HEADER[2:]:
            if j[key] is None:
                assert c[key] == "", key
            else:
                assert float(c[key]) == pytest.approx(j[key]), key


# ------------------------------------------------------------------ errors

@pytest.mark.parametrize("month", ["2024-13", "June", "2024-00", "24-06", ""])
def test_bad_month_is_a_chinese_error(db, month):
    code, out, err = run("--month", month, "--level", "county", db_url=db)
    assert code == 1
    assert err == f"错误：月份格式应为 YYYY-MM：{month}\n"
    assert out == ""


@pytest.mark.parametrize("region, message", [
    ("999999999999", "错误：区划代码 999999999999 不存在。"),
    ("37083110020", "错误：--region 应为 12 位区划代码：37083110020。"),
    ("甲县", f"错误：--region 应为 12 位区划代码：甲县（甲县 的区划代码是 {A}）。"),  # a name, not a code
])
def test_unknown_region_is_a_chinese_error(db, region, message):
    code, out, err = run("--month", MONTH, "--level", "county", "--region", region, db_url=db)
    assert (code, out, err) == (1, "", message + "\n")


@pytest.mark.parametrize("level, region, message", [
    ("township", A1a, f"甲一村（{A1a}）是村（社区），其范围内没有乡镇（街道）；--level 可选 village"),
    ("county", A1, f"甲一镇（{A1}）是乡镇（街道），其范围内没有县级单位；--level 可选 township、village"),
    ("city", A, f"甲县（{A}）是县级单位，其范围内没有市；--level 可选 county、township、village"),
])
def test_region_below_the_level_is_a_chinese_error(db, level, region, message):
    # Such a region could never have rows: say why instead of printing an empty report.
    code, out, err = run("--month", MONTH, "--level", level, "--region", region, db_url=db)
    assert code == 1 and out == ""
    assert err.startswith("错误：" + message), err


def test_missing_database_file_is_a_chinese_error(tmp_path):
    missing = tmp_path / "nowhere" / "deeper" / "none.sqlite"
    code, out, err = run("--month", MONTH, "--level", "county", db_url=f"sqlite:///{missing}")
    assert code == 1 and out == ""
    assert err.startswith(f"错误：数据库文件不存在：{missing}。"), err
    assert not (tmp_path / "nowhere").exists()  # a reader creates neither the file nor its folder


def test_reading_engine_never_creates_or_writes(tmp_path, db):
    missing = tmp_path / "nowhere" / "none.sqlite"
    engine = get_engine(f"sqlite:///{missing}", read_only=True)
    with pytest.raises(OperationalError):
        engine.connect()
    assert not (tmp_path / "nowhere").exists()
    engine = get_engine(db, read_only=True)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM region")).scalar() == 14
        with pytest.raises(OperationalError, match="readonly"):
            conn.execute(text("DELETE FROM region"))
    engine.dispose()


def test_reading_engine_on_postgresql_is_read_only(pg_url):
    writer = get_engine(pg_url)
    with writer.begin() as conn:
        conn.execute(text("CREATE TABLE probe (x integer)"))
    writer.dispose()
    engine = get_engine(pg_url, read_only=True)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM probe")).scalar() == 0
        with pytest.raises(InternalError, match="read-only"):
            conn.execute(text("INSERT INTO probe VALUES (1)"))
    engine.dispose()


def test_empty_database_file_is_a_chinese_error(tmp_path):
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    code, out, err = run("--month", MONTH, "--level", "county", db_url=f"sqlite:///{empty}")
    assert code != 0
    assert CHINESE.search(err), err
    assert "Traceback" not in err + out


def test_other_month_formats_of_the_contract_are_accepted(db):
    # contract §1 months: YYYY-MM, also YYYY/MM and YYYY年M月
    for month in ["2024/06", "2024年6月"]:
        code, out, err = run("--month", month, "--level", "city", "--format", "json", db_url=db)
        assert code == 0, err
        assert json.loads(out)[0]["children_total"] == 10
