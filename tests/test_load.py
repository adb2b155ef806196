"""The importer (python -m data.load): formats, every refusal class, all-or-nothing, idempotence, privacy."""

import csv
import hashlib
import hmac
import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import create_engine, func, inspect, select

from data import schema
from data.db import get_engine, set_meta
from data.ids import MissingKeyError
from data.load import LoadRefused, cells, load_files
from tests.fixtures.contract import CONTRACT_HEADERS

ROOT = Path(__file__).resolve().parent.parent
KEY = "test-key-for-the-loader"
PG_URL = os.environ.get("WEIBAO_TEST_PG_URL")

# Valid 身份证号, check digits worked out by hand with the GB 11643-1999 weights
# (e.g. 37083120140301002: Σ digit × weight = 210, 210 mod 11 = 1 → check character "0").
C1 = "370831201403010020"
C2 = "370831201607150033"
C3 = "37083120150505004X"
C_UNKNOWN = "370831201209090047"  # valid, but never loaded as a child
W1 = "370831198001010015"
W2 = "370831198505050029"
C1_BAD_CHECK = "370831201403010021"  # C1 with a wrong last digit

HEADERS = CONTRACT_HEADERS

CITY, COUNTY, TOWN = "370800000000", "370831000000", "370831100000"
V1, V2 = "370831100201", "370831100202"


BASE = {
    "区划": [
        [CITY, "济宁市", "市", "", "", ""],
        [COUNTY, "泗水县", "县", CITY, "", ""],
        [TOWN, "泗张镇", "乡镇", COUNTY, "", ""],
        [V1, "南陈村", "村", TOWN, "农村", "150"],
        [V2, "北陈村", "村", TOWN, "城镇", ""],
    ],
    "儿童": [
        [C1, "孤儿", V1, "2024-03-01", "", "红", "2024-03-10", "2024-03-20"],
        [C2, "农村留守儿童", V2, "2024/04/15", "", "", "", ""],
        [C3.lower(), "事实无人抚养儿童", V1, "2024.05.05", "2024-10-31", "绿", "", ""],
    ],
    "工作人员": [
        [W1, "儿童主任", V1, "2022-01-01", "", "是"],
        [W2, "儿童督导员", TOWN, "2021-06-01", "", "N"],
    ],
    "阵地": [
        ["泗水县未成年人救助保护中心", "未成年人救助保护中心", COUNTY, "2021-05-01", "", "是"],
        ["泗张镇未成年人保护工作站", "未成年人保护工作站", TOWN, "2022-03-01", "", ""],
        ["南陈村儿童之家", "儿童之家", V1, "2022-06-01", "", "0"],
    ],
    "走访": [
        ["2024-05-10", C1, W1, "入户"],
        ["2024-05-20", C2, W1, "电话"],
        ["2024-06-10", C1, W1, ""],
    ],
    "培训": [
        ["2024-04-01", "儿童主任轮训", "县", W1, "8"],
        ["2024-04-01", "儿童主任轮训", "县", W2, "8"],
    ],
    "资金预算": [
        [COUNTY, "2024", "儿童主任补贴", "1080000"],
        [COUNTY, "2024", "基本生活保障金", "2,500,000"],
    ],
    "资金支出": [
        [COUNTY, "2024-01", "儿童主任补贴", "90000"],
        [COUNTY, "2024年2月", "儿童主任补贴", "90000.5"],
    ],
}
BASE_COUNTS = {"region": 5, "child": 3, "worker_post": 2, "station": 3, "visit": 3, "training": 2,
               "budget": 2, "spending": 2}


# ---------------------------------------------------------------- helpers

def h(number: str) -> str:
    """The expected stored hash, computed here independently of data.ids."""
    return hmac.new(KEY.encode(), number.upper().encode(), hashlib.sha256).hexdigest()


def xlsx(path: Path, sheets: dict) -> Path:
    """A workbook with one sheet per table: {name: data rows}, the contract header added."""
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        ws.append(HEADERS[name])
        for row in rows:
            ws.append(row)
    book.save(path)
    return path


def sheet(path: Path, name: str, header: list, rows: list) -> Path:
    """A workbook with one sheet and an explicit header (rows may contain [] for a blank row)."""
    book = Workbook()
    ws = book.active
    ws.title = name
    ws.append(header)
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


def csv_file(path: Path, header: list, rows: list, encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def dump(engine) -> dict:
    """Every row of every loaded table, sorted: equal dumps mean nothing changed."""
    with engine.connect() as conn:
        return {t.name: sorted(tuple(map(str, row)) for row in conn.execute(select(t)))
                for t in (*schema.DATA_TABLES, schema.region_closure)}


def counts(engine) -> dict:
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (*schema.DATA_TABLES, schema.import_log, schema.meta)}


def load(engine, *paths, **kw):
    return load_files([str(p) for p in paths], engine, **kw)


@pytest.fixture(autouse=True)
def key(monkeypatch):
    monkeypatch.setenv("WEIBAO_ID_KEY", KEY)


@pytest.fixture
def engine(tmp_path):
    engine = get_engine(f"sqlite:///{tmp_path / 'weibao.sqlite'}")
    yield engine
    engine.dispose()


def _pg_engine():
    engine = create_engine(PG_URL)
    schema.metadata.drop_all(engine)
    return engine


@pytest.fixture(params=["sqlite", "postgresql"])
def any_engine(request, tmp_path):
    """SQLite always; PostgreSQL too when WEIBAO_TEST_PG_URL is set (a fresh schema each time)."""
    if request.param == "sqlite":
        engine = get_engine(f"sqlite:///{tmp_path / 'weibao.sqlite'}")
    elif not PG_URL:
        pytest.skip("WEIBAO_TEST_PG_URL not set")
    else:
        engine = _pg_engine()
    yield engine
    if request.param == "postgresql":
        schema.metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture
def loaded(engine, tmp_path):
    """A database holding the base workbook."""
    result = load(engine, xlsx(tmp_path / "base.xlsx", BASE))
    assert result.ok, [str(p) for p in result.errors]
    return engine


# ---------------------------------------------------------------- good loads

def test_base_workbook_loads_every_table(engine, tmp_path):
    result = load(engine, xlsx(tmp_path / "base.xlsx", BASE))
    assert result.ok
    assert result.counts == {"区划": 5, "儿童": 3, "工作人员": 2, "阵地": 3, "走访": 3, "培训": 2,
                             "资金预算": 2, "资金支出": 2}
    got = counts(engine)
    assert {k: got[k] for k in BASE_COUNTS} == BASE_COUNTS
    assert got["import_log"] == 8
    with engine.connect() as conn:
        rows = {r.code: r for r in conn.execute(select(schema.region))}
        assert rows[V1].level == "village" and rows[V1].parent_code == TOWN
        assert rows[V1].urban_rural == "rural" and rows[V1].minor_population == 150
        assert rows[CITY].parent_code is None
        # closure pairs: city 1 + county 2 + township 3 + two villages × 4
        assert conn.execute(select(func.count()).select_from(schema.region_closure)).scalar_one() == 14
        child = {r.id_hash: r for r in conn.execute(select(schema.child))}
        assert set(child) == {h(C1), h(C2), h(C3)}
        assert child[h(C1)].category == "orphan" and child[h(C1)].risk_level == "red"
        assert child[h(C1)].assessment_due_on == date(2024, 3, 31)  # 1 March + 30 days
        assert child[h(C2)].enrolled_on == date(2024, 4, 15) and child[h(C2)].risk_level is None
        assert child[h(C3)].exited_on == date(2024, 10, 31)
        posts = {r.person_hash: r for r in conn.execute(select(schema.worker_post))}
        assert posts[h(W1)].post == "director" and posts[h(W1)].certified is True
        assert posts[h(W2)].post == "supervisor" and posts[h(W2)].certified is False
        stations = {r.kind: r for r in conn.execute(select(schema.station))}
        assert stations["centre"].provincial_model is True
        assert stations["workstation"].provincial_model is False  # blank means 否
        modes = sorted((str(r.visited_on), r.mode) for r in conn.execute(select(schema.visit)))
        assert modes == [("2024-05-10", "home"), ("2024-05-20", "phone"), ("2024-06-10", "home")]
        budgets = {r.fund_type: r.amount for r in conn.execute(select(schema.budget))}
        assert budgets == {"director_subsidy": 1080000.0, "living_allowance": 2500000.0}
        spent = sorted((str(r.month_start), r.amount) for r in conn.execute(select(schema.spending)))
        assert spent == [("2024-01-01", 90000.0), ("2024-02-01", 90000.5)]
        log = conn.execute(select(schema.import_log).where(schema.import_log.c.table_name == "visit")).one()
        assert log.rows == 3 and log.source == "base.xlsx" and log.imported_by
        meta = dict(conn.execute(select(schema.meta.c.key, schema.meta.c.value)).all())
    assert meta["id_key_fingerprint"] == hmac.new(
        KEY.encode(), b"weibao-key-fingerprint", hashlib.sha256).hexdigest()[:16]
    assert meta["data_version"]


def test_tables_of_one_invocation_may_come_from_several_files(engine, tmp_path):
    regions = xlsx(tmp_path / "regions.xlsx", {"区划": BASE["区划"]})
    rest = xlsx(tmp_path / "rest.xlsx", {k: v for k, v in BASE.items() if k != "区划"})
    assert load(engine, rest, regions).ok  # files in any order: tables are written by dependency


# ---------------------------------------------------------------- every refusal class

def _bad(name, rows, header=None):
    return name, header or HEADERS[name], rows


BAD_CASES = {
    "bad date": (_bad("儿童", [[C1, "孤儿", V1, "2024-13-01"]]), 2, "纳入日期",
                 "bad.xlsx · 儿童 · 第2行 · 纳入日期 = “2024-13-01”：不是有效日期（应为 YYYY-MM-DD）"),
    "future date": (_bad("走访", [["2999-01-01", C1, W1, "入户"]]), 2, "走访日期", "日期晚于今天"),
    "bad month": (_bad("资金支出", [[COUNTY, "2024-13", "其他", "5"]]), 2, "年月",
                  "不是有效月份（应为 YYYY-MM）"),
    "11-digit code": (_bad("阵地", [["新站", "儿童之家", "37083110020", "2023-01-01", "", ""]]), 2,
                      "所在区划代码", "区划代码应为 12 位数字（这里是 11 位）"),
    "bad check digit": (_bad("儿童", [[C1_BAD_CHECK, "孤儿", V1, "2024-03-01"]]), 2, "身份证号",
                        "bad.xlsx · 儿童 · 第2行 · 身份证号 = “370831********0021”：身份证号校验位不正确"
                        "（GB 11643-1999），请核对号码"),
    "unknown category": (_bad("儿童", [[C1, "困境儿童", V1, "2024-03-01"]]), 2, "儿童类别", "不是允许的值"),
    "child in a township": (_bad("儿童", [[C1, "孤儿", TOWN, "2024-03-01"]]), 2, "村（社区）区划代码",
                            "应为村级区划（这个代码是乡镇级）"),
    "director in a township": (_bad("工作人员", [[W1, "儿童主任", TOWN, "2023-01-01", "", ""]]), 2,
                               "任职区划代码", "应为村级区划（这个代码是乡镇级）"),
    "centre in a village": (_bad("阵地", [["中心", "未成年人救助保护中心", V1, "2023-01-01", "", ""]]), 2,
                            "所在区划代码", "应为县级区划（这个代码是村级）"),
    "budget of a township": (_bad("资金预算", [[TOWN, "2024", "其他", "5"]]), 2, "区划代码",
                             "应为县级区划（这个代码是乡镇级）"),
    "unknown region": (_bad("儿童", [[C1, "孤儿", "370831100299", "2024-03-01"]]), 2,
                       "村（社区）区划代码", "区划代码不存在"),
    "parent not one level up": (_bad("区划", [["370831100203", "新村", "村", COUNTY, "", ""]]), 2,
                                "上级区划代码", "应为乡镇级区划（这个代码是县级）"),
    "parent missing": (_bad("区划", [["370831100203", "新村", "村", "", "", ""]]), 2,
                       "上级区划代码", "级别为“村”时必填"),
    "visit of an unknown child": (_bad("走访", [["2024-05-11", C_UNKNOWN, W1, ""]]), 2, "儿童身份证号",
                                  "bad.xlsx · 走访 · 第2行 · 儿童身份证号 = “370831********0047”：不是已导入的儿童"),
    "training of an unknown worker": (_bad("培训", [["2024-04-02", "轮训", "", C1, "2"]]), 2,
                                      "参训人身份证号", "不是已导入的工作人员"),
    "exit before enrolment": (_bad("儿童", [[C1, "孤儿", V1, "2024-03-01", "2024-02-01"]]), 2, "退出日期",
                              "不能早于纳入日期（2024-03-01）"),
    "negative amount": (_bad("资金预算", [[COUNTY, "2024", "其他", "-5"]]), 2, "预算金额（元）", "不能为负数"),
    "required blank": (_bad("走访", [["2024-05-11", C1, "", ""]]), 2, "走访人身份证号", "必填，不能为空"),
    "missing required column": (_bad("走访", [["2024-05-11", C1]], ["走访日期", "儿童身份证号"]), None,
                                "走访人身份证号", "bad.xlsx · 走访 · 列“走访人身份证号”：缺少必填列（列名见导入模板）"),
    "empty sheet": (_bad("儿童", []), None, None, "没有可导入的数据行"),
    "duplicate key with other content": (
        _bad("工作人员", [[W1, "儿童主任", V2, "2023-01-01", "", "是"],
                      [W1, "儿童主任", V2, "2023-01-01", "", "否"]]), 3, "身份证号、岗位、任职区划代码、任职日期",
        "与 bad.xlsx · 工作人员 · 第2行 的键"),
}


@pytest.mark.parametrize("case", list(BAD_CASES), ids=list(BAD_CASES))
def test_bad_input_is_refused_and_nothing_written(loaded, tmp_path, case):
    (name, header, rows), row, column, expected = BAD_CASES[case]
    before, before_counts = dump(loaded), counts(loaded)
    result = load(loaded, sheet(tmp_path / "bad.xlsx", name, header, rows))
    assert not result.ok
    assert len(result.errors) == 1, [str(p) for p in result.errors]
    problem = result.errors[0]
    assert (problem.row, problem.column) == (row, column)
    assert expected in str(problem)
    assert dump(loaded) == before and counts(loaded) == before_counts


def test_completely_blank_sheet_is_refused(loaded, tmp_path):
    book = Workbook()
    book.active.title = "儿童"
    book.save(tmp_path / "blank.xlsx")
    before = counts(loaded)
    result = load(loaded, tmp_path / "blank.xlsx")
    assert [str(p) for p in result.errors] == ["blank.xlsx · 儿童：空表：没有表头也没有数据（不需要的表请删除该工作表）"]
    assert counts(loaded) == before


def test_empty_sheet_beside_a_filled_one_is_skipped_with_a_warning(engine, tmp_path):
    result = load(engine, xlsx(tmp_path / "w.xlsx", {"区划": BASE["区划"], "儿童": []}))
    assert result.ok and result.counts == {"区划": 5}
    assert "w.xlsx · 儿童：没有数据行，已跳过" in result.warnings


def test_not_a_workbook_is_an_error(loaded, tmp_path):
    fake = tmp_path / "儿童.xlsx"
    fake.write_text("身份证号,儿童类别\n", encoding="utf-8")
    before = counts(loaded)
    result = load(loaded, fake)
    assert len(result.errors) == 1
    assert str(result.errors[0]).startswith("儿童.xlsx：不是有效的 Excel 工作簿（.xlsx），无法打开")
    assert counts(loaded) == before


def test_missing_file_and_unknown_csv_name_are_errors(loaded, tmp_path):
    other = csv_file(tmp_path / "名单.csv", ["a"], [["1"]])
    result = load(loaded, tmp_path / "nowhere.xlsx", other)
    assert [p.file for p in result.errors] == ["nowhere.xlsx", "名单.csv"]
    assert "找不到这个文件" in str(result.errors[0])
    assert "不是表名" in str(result.errors[1])


def test_workbook_without_table_sheets_is_an_error(loaded, tmp_path):
    result = load(loaded, sheet(tmp_path / "x.xlsx", "Sheet1", ["a"], [["1"]]))
    assert len(result.errors) == 1 and "没有可导入的工作表" in str(result.errors[0])
    assert any("Sheet1" in w and "已忽略" in w for w in result.warnings)


def test_identical_duplicate_rows_are_loaded_once(engine, tmp_path):
    rows = BASE["区划"] + [BASE["区划"][3]]
    result = load(engine, xlsx(tmp_path / "r.xlsx", {"区划": rows}))
    assert result.ok and result.counts == {"区划": 5}
    assert "r.xlsx · 区划：1 行与前面的行完全相同，只导入一次" in result.warnings


def test_duplicate_key_across_files_names_both(loaded, tmp_path):
    a = sheet(tmp_path / "a.xlsx", "走访", HEADERS["走访"], [["2024-07-01", C1, W1, "入户"]])
    b = csv_file(tmp_path / "走访.csv", HEADERS["走访"], [["2024-07-01", C1, W1, "电话"]])
    result = load(loaded, a, b)
    assert len(result.errors) == 1
    assert str(result.errors[0]).startswith("走访.csv · 走访 · 第2行 · ")
    assert "与 a.xlsx · 走访 · 第2行 的键" in str(result.errors[0])


# ---------------------------------------------------------------- all or nothing, every error listed

def _mixed_workbook(path: Path) -> Path:
    children = [
        [C1, "孤儿", V1, "2024-03-01"],  # row 2: good
        [C3, "孤儿", V1, "2024-02-30"],  # row 3: no 30 February
        [],  # row 4: blank, skipped but still counted by Excel
        [C1_BAD_CHECK, "孤儿童", V1, "2024-03-01"],  # row 5: two errors
        [C2, "农村留守儿童", V2, "2024-04-15"],  # row 6: good
        ["370831201209090047", "孤儿", TOWN, "2024-04-15"],  # row 7: a township, not a village
    ]
    visits = [
        ["2024-05-10", C1, W1, "入户"],  # row 2: good (C1 is in this invocation)
        ["2024-05-11", "370831201607150033", W2, "电话"],  # row 3: good
        ["2024-05-12", "370831198001010015", W1, ""],  # row 4: W1 is a worker, not a child
        ["2024-05-13", C3, W1, ""],  # row 5: C3's own row failed: not blamed twice
    ]
    book = Workbook()
    book.remove(book.active)
    for name, rows in (("儿童", children), ("走访", visits)):
        ws = book.create_sheet(name)
        ws.append(HEADERS[name])
        for row in rows:
            ws.append(row)
    book.save(path)
    return path


def test_mixed_file_writes_nothing_and_lists_every_error(any_engine, tmp_path):
    engine = any_engine
    assert load(engine, xlsx(tmp_path / "base.xlsx", {k: BASE[k] for k in ("区划", "工作人员")})).ok
    before, before_counts = dump(engine), counts(engine)
    result = load(engine, _mixed_workbook(tmp_path / "mixed.xlsx"))
    assert [(p.sheet, p.row, p.column) for p in result.errors] == [
        ("儿童", 3, "纳入日期"),
        ("儿童", 5, "身份证号"),
        ("儿童", 5, "儿童类别"),
        ("儿童", 7, "村（社区）区划代码"),
        ("走访", 4, "儿童身份证号"),
    ]
    assert str(result.errors[4]) == ("mixed.xlsx · 走访 · 第4行 · 儿童身份证号 = “370831********0015”："
                                     "不是已导入的儿童：数据库和本次导入的儿童表中都没有这个身份证号")
    assert dump(engine) == before and counts(engine) == before_counts


# ---------------------------------------------------------------- idempotence and replacement

def test_reload_changes_nothing_and_key_replaces(any_engine, tmp_path):
    engine = any_engine
    base = xlsx(tmp_path / "base.xlsx", BASE)
    assert load(engine, base).ok
    first = dump(engine)
    assert load(engine, base).ok
    assert dump(engine) == first
    assert counts(engine)["import_log"] == 16  # the log records both loads

    exit_row = [[C2, "农村留守儿童", V2, "2024-04-15", "2024-09-30", "黄", "2024-04-20", "2024-04-25"]]
    assert load(engine, sheet(tmp_path / "exit.xlsx", "儿童", HEADERS["儿童"], exit_row)).ok
    after = dump(engine)
    assert {k: v for k, v in after.items() if k != "child"} == {k: v for k, v in first.items() if k != "child"}
    with engine.connect() as conn:
        rows = {r.id_hash: r for r in conn.execute(select(schema.child))}
    assert len(rows) == 3
    assert rows[h(C2)].exited_on == date(2024, 9, 30) and rows[h(C2)].risk_level == "yellow"
    assert rows[h(C1)].exited_on is None


def test_top_regions_follow_the_loaded_parent_links(any_engine, tmp_path):
    # What full scope means, kept in meta by the load: regions whose parent is not in the table — one city,
    # then a second city with its county.
    from queries.engine import scoped_columns, top_regions

    engine = any_engine
    assert load(engine, xlsx(tmp_path / "base.xlsx", BASE)).ok
    with engine.connect() as conn:
        assert top_regions(conn) == [CITY]
    second = [["370900000000", "泰安市", "市", "", "", ""], ["370982000000", "新泰市", "县", "370900000000", "", ""]]
    assert load(engine, sheet(tmp_path / "second.xlsx", "区划", HEADERS["区划"], second)).ok
    with engine.connect() as conn:
        assert top_regions(conn) == [CITY, "370900000000"]
        assert scoped_columns(conn, "top_regions", {})["code"].tolist() == [CITY, "370900000000"]


def test_a_failed_load_after_a_good_one_keeps_the_good_data(any_engine, tmp_path):
    engine = any_engine
    assert load(engine, xlsx(tmp_path / "base.xlsx", BASE)).ok
    before = dump(engine)
    bad = dict(BASE, 走访=BASE["走访"] + [["2024-06-11", C_UNKNOWN, W1, ""]])
    result = load(engine, xlsx(tmp_path / "bad.xlsx", bad))
    assert len(result.errors) == 1 and result.errors[0].row == 5
    assert dump(engine) == before


def _visit_indexes(engine) -> dict:
    with engine.connect() as conn:
        return {i["name"]: i["column_names"] for i in inspect(conn).get_indexes("visit")}


def test_a_large_load_rebuilds_the_visit_index_and_a_small_one_keeps_it(any_engine, tmp_path, monkeypatch):
    # The loader drops the visits-by-child index for a load into an empty table (and, on SQLite, for any load of
    # at least twice what the table holds) and creates it again after its writes
    # (data.load.write._set_aside_indexes): it must be there after either kind of load, and a load that fails
    # while writing must leave the old one in place. On PostgreSQL a load into an empty table is COPYed straight
    # in, any other through the staging table's upsert: both must land the same rows.
    from data.load import write

    engine = any_engine
    declared = {"ix_visit_child_date": ["child_hash", "visited_on"]}
    set_aside, dropped, straight = [], {}, []
    real, real_copy = write._set_aside_indexes, write._copy_upsert

    def watched(conn, table, n, held):
        set_aside.append((table.name, n, held))
        out = real(conn, table, n, held)
        dropped.setdefault(table.name, []).append([ix.name for ix in out])
        return out

    def copy_watched(conn, spec, ordered, into_empty):
        straight.append((spec.table.name, into_empty))
        return real_copy(conn, spec, ordered, into_empty)

    monkeypatch.setattr(write, "_set_aside_indexes", watched)
    monkeypatch.setattr(write, "_copy_upsert", copy_watched)
    assert load(engine, xlsx(tmp_path / "base.xlsx", BASE)).ok  # into an empty table: set aside
    assert _visit_indexes(engine) == declared
    with engine.connect() as conn:
        held = conn.execute(select(func.count()).select_from(schema.visit)).scalar()
        if engine.dialect.name == "sqlite":
            plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN SELECT visited_on FROM visit WHERE child_hash = 'x'")
            assert any("ix_visit_child_date" in str(row) for row in plan.all())
    assert held == len(BASE["走访"]) >= 2
    one_more = [["2024-06-12", C1, W1, "电话"]]
    calls = len(set_aside)
    assert load(engine, sheet(tmp_path / "one.xlsx", "走访", HEADERS["走访"], one_more)).ok
    assert ("visit", 1, 1) in set_aside[calls:]  # 1 row against `held` (counted no further than 1): kept
    assert dropped["visit"] == [["ix_visit_child_date"], []]  # the first load set it aside, the top-up did not
    assert _visit_indexes(engine) == declared
    if engine.dialect.name == "postgresql":
        assert ("visit", True) in straight and straight[-1] == ("visit", False)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.visit)).scalar() == held + 1

    def fail(*_args, **_kw):
        raise RuntimeError("写入中途失败")

    before = dump(engine)
    monkeypatch.setattr(write, "_set_aside_indexes", lambda conn, table, n, held: real(conn, table, 10 ** 9, 0))
    monkeypatch.setattr(write, "_driver_call", lambda *a: ("SELECT RAISE(FAIL, 'x')", fail))
    monkeypatch.setattr(write, "_copy_upsert", fail)
    with pytest.raises(RuntimeError):
        load(engine, xlsx(tmp_path / "again.xlsx", BASE))
    assert _visit_indexes(engine) == declared and dump(engine) == before


def test_the_rows_held_are_counted_no_further_than_asked(engine, tmp_path):
    from data.load import write

    assert load(engine, xlsx(tmp_path / "base.xlsx", BASE)).ok
    with engine.connect() as conn:
        assert [write._held(conn, schema.visit, most) for most in (1, 2, 10 ** 6)] == [1, 2, len(BASE["走访"])]


# ---------------------------------------------------------------- formats

@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-8-sig", "utf-8"])
def test_csv_encodings(engine, tmp_path, encoding):
    path = csv_file(tmp_path / "区划.csv", HEADERS["区划"], BASE["区划"], encoding)
    result = load(engine, path)
    assert result.ok and result.counts == {"区划": 5}
    with engine.connect() as conn:
        assert conn.execute(select(schema.region.c.name).where(schema.region.c.code == V1)).scalar() == "南陈村"


def test_csv_table_flag_overrides_the_file_name(engine, tmp_path):
    path = csv_file(tmp_path / "export-2024.csv", HEADERS["区划"], BASE["区划"])
    assert load(engine, path, table="区划").counts == {"区划": 5}


def test_numeric_code_cells_and_real_date_cells(engine, tmp_path):
    regions = [[int(CITY), "济宁市", "市", None], [float(COUNTY), "泗水县", "县", int(CITY)],
               [int(TOWN), "泗张镇", "乡镇", float(COUNTY)], [float(V1), "南陈村", "村", TOWN]]
    children = [[C1, "孤儿", int(V1), datetime(2024, 3, 1), date(2024, 6, 30), "红",
                 datetime(2024, 3, 5), None]]
    spending = [[int(COUNTY), datetime(2024, 5, 1), "其他", 1200]]
    path = xlsx(tmp_path / "typed.xlsx", {"区划": regions, "儿童": children, "资金支出": spending})
    result = load(engine, path)
    assert result.ok, [str(p) for p in result.errors]
    with engine.connect() as conn:
        assert sorted(conn.execute(select(schema.region.c.code)).scalars()) == [
            "370800000000", "370831000000", "370831100000", "370831100201"]
        assert conn.execute(select(schema.region.c.parent_code).where(
            schema.region.c.code == COUNTY)).scalar() == CITY
        child = conn.execute(select(schema.child)).one()
        assert (child.village_code, child.enrolled_on, child.exited_on) == (V1, date(2024, 3, 1), date(2024, 6, 30))
        assert conn.execute(select(schema.spending.c.month_start)).scalar() == date(2024, 5, 1)


def test_an_id_number_stored_as_an_excel_number_is_refused(engine, tmp_path):
    assert load(engine, xlsx(tmp_path / "r.xlsx", {"区划": BASE["区划"]})).ok
    result = load(engine, xlsx(tmp_path / "c.xlsx", {"儿童": [[float(C1), "孤儿", V1, "2024-03-01"]]}))
    assert len(result.errors) == 1 and "存成了数字" in result.errors[0].reason


def test_header_variants(engine, tmp_path):
    assert load(engine, xlsx(tmp_path / "r.xlsx", {"区划": BASE["区划"]})).ok
    budget = sheet(tmp_path / "b.xlsx", "资金预算", [" 区划代码 ", "年度*", "资金类别", "预算金额(元)"],
                   [[COUNTY, "2024", "其他", "10"]])
    children = sheet(tmp_path / "c.xlsx", "儿童", ["身份证号", "儿童类别", "村(社区)区划代码", "纳入日期"],
                     [[C1, "孤儿", V1, "2024-03-01"]])
    children2 = sheet(tmp_path / "c2.xlsx", "儿童", ["身份证号", "儿童类别", "村社区区划代码", "纳入日期"],
                      [[C2, "孤儿", V1, "2024-03-01"]])
    result = load(engine, budget, children, children2)
    assert result.ok, [str(p) for p in result.errors]
    assert result.counts == {"儿童": 2, "资金预算": 1}


def test_unknown_columns_are_dropped_and_never_stored(engine, tmp_path):
    header = HEADERS["儿童"][:4] + ["姓名", "联系电话", "家庭住址"]
    rows = [[C1, "孤儿", V1, "2024-03-01", "张三丰", "13912345678", "泗水县泗张镇南陈村8号"]]
    regions = xlsx(tmp_path / "r.xlsx", {"区划": BASE["区划"]})
    result = load(engine, regions, sheet(tmp_path / "c.xlsx", "儿童", header, rows))
    assert result.ok
    assert "c.xlsx · 儿童：列 姓名、联系电话、家庭住址 不在导入格式中，已忽略（不会保存）" in result.warnings
    engine.dispose()
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("weibao.sqlite*"))
    for secret in ("张三丰", "13912345678", "南陈村8号"):
        assert secret.encode("utf-8") not in stored


def test_clear_id_numbers_are_never_stored(engine, tmp_path):
    assert load(engine, xlsx(tmp_path / "base.xlsx", BASE)).ok
    engine.dispose()
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("weibao.sqlite*"))
    assert h(C1).encode() in stored  # the hashes are there …
    for number in (C1, C2, C3, C3.lower(), W1, W2, C1[:6] + "20140301"):  # … the numbers are not
        assert number.encode() not in stored


# ---------------------------------------------------------------- key and demo guards

def test_missing_key_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("WEIBAO_ID_KEY")
    engine = get_engine(f"sqlite:///{tmp_path / 'weibao.sqlite'}")
    with pytest.raises(MissingKeyError, match="WEIBAO_ID_KEY"):
        load(engine, xlsx(tmp_path / "base.xlsx", BASE))
    assert not (tmp_path / "weibao.sqlite").exists()


def test_another_key_is_refused(loaded, tmp_path, monkeypatch):
    before = dump(loaded)
    monkeypatch.setenv("WEIBAO_ID_KEY", "a-different-key")
    with pytest.raises(LoadRefused, match="另一个密钥"):
        load(loaded, xlsx(tmp_path / "base2.xlsx", BASE))
    assert dump(loaded) == before


def _make_demo(engine):
    schema.create_schema(engine)
    with engine.begin() as conn:
        conn.execute(schema.region.insert().values(code="110000000000", name="演示市", level="city"))
        set_meta(conn, "is_demo", "1")
        set_meta(conn, "id_key_fingerprint", "demo-fingerprint")


def test_demo_database_is_refused(engine, tmp_path):
    _make_demo(engine)
    before = dump(engine)
    with pytest.raises(LoadRefused, match="--replace-demo"):
        load(engine, xlsx(tmp_path / "base.xlsx", BASE))
    assert dump(engine) == before


def test_replace_demo_deletes_the_demo_then_loads(engine, tmp_path):
    _make_demo(engine)
    bad = xlsx(tmp_path / "bad.xlsx", {"儿童": [[C1, "孤儿", V1, "2024-13-01"]]})
    assert not load(engine, bad, replace_demo=True).ok
    with engine.connect() as conn:  # a failed load keeps the demo as it was
        assert conn.execute(select(schema.region.c.name)).scalars().all() == ["演示市"]
    result = load(engine, xlsx(tmp_path / "base.xlsx", BASE), replace_demo=True)
    assert result.ok
    with engine.connect() as conn:
        assert "演示市" not in conn.execute(select(schema.region.c.name)).scalars().all()
        meta = dict(conn.execute(select(schema.meta.c.key, schema.meta.c.value)).all())
    assert "is_demo" not in meta and meta["id_key_fingerprint"] != "demo-fingerprint"
    assert {k: counts(engine)[k] for k in BASE_COUNTS} == BASE_COUNTS


def test_replace_demo_on_a_real_database_deletes_nothing(loaded, tmp_path):
    before = dump(loaded)
    result = load(loaded, xlsx(tmp_path / "more.xlsx", {"走访": [["2024-07-01", C1, W1, ""]]}),
                  replace_demo=True)
    assert result.ok and any("不是演示数据库" in w for w in result.warnings)
    after = dump(loaded)
    assert len(after["visit"]) == len(before["visit"]) + 1 and after["child"] == before["child"]


# ---------------------------------------------------------------- cell parsers (hand-worked values)

@pytest.mark.parametrize("raw, expected", [
    ("2024-05-03", date(2024, 5, 3)), ("2024/5/3", date(2024, 5, 3)), ("2024.05.03", date(2024, 5, 3)),
    ("2024年5月3日", date(2024, 5, 3)), (" 2024-05-03 00:00:00 ", date(2024, 5, 3)),
    (datetime(2024, 5, 3, 0, 0), date(2024, 5, 3)), (date(2020, 2, 29), date(2020, 2, 29)),
])
def test_dates(raw, expected):
    assert cells.DATE.parse(raw) == expected


@pytest.mark.parametrize("raw", ["2023-02-29", "2024-5", "20240503", "2024-05/03", 45292, "1949-10-01"])
def test_bad_dates(raw):
    with pytest.raises(cells.CellError):
        cells.DATE.parse(raw)


@pytest.mark.parametrize("raw, expected", [
    ("2024-05", date(2024, 5, 1)), ("2024/5", date(2024, 5, 1)), ("2024年5月", date(2024, 5, 1)),
    (datetime(2024, 5, 17), date(2024, 5, 1)), ("2024-05-17", date(2024, 5, 1)),
])
def test_months(raw, expected):
    assert cells.MONTH.parse(raw) == expected


@pytest.mark.parametrize("raw", ["2024-13", "2024", 2024.1, "2999-01", "5月"])
def test_bad_months(raw):
    with pytest.raises(cells.CellError):
        cells.MONTH.parse(raw)


@pytest.mark.parametrize("raw, expected", [
    ("是", True), ("否", False), ("Y", True), ("n", False), ("1", True), ("0", False), (1, True),
    (0.0, False), (True, True), ("YES", True),
])
def test_yes_no(raw, expected):
    assert cells.YES_NO.parse(raw) is expected


@pytest.mark.parametrize("raw, expected", [
    ("370831100201", "370831100201"), (370831100201, "370831100201"), (370831100201.0, "370831100201"),
])
def test_codes(raw, expected):
    assert cells.CODE.parse(raw) == expected


@pytest.mark.parametrize("raw", ["37083110020", "3708311002011", "37083110020A", 370831100201.5])
def test_bad_codes(raw):
    with pytest.raises(cells.CellError):
        cells.CODE.parse(raw)


@pytest.mark.parametrize("raw, expected", [("2024", 2024), (2024, 2024), (2024.0, 2024), ("2024年", 2024)])
def test_years(raw, expected):
    assert cells.YEAR.parse(raw) == expected


@pytest.mark.parametrize("raw, expected", [("1,080,000", 1080000.0), ("0", 0.0), (12.5, 12.5)])
def test_numbers(raw, expected):
    assert cells.NUMBER.parse(raw) == expected


def test_id_numbers():
    assert cells.ID_NUMBER.parse(" 37083120150505004x ") == C3
    for bad in (C1_BAD_CHECK, C1[:17], C1 + "1", "37083120140301002Y"):
        with pytest.raises(cells.CellError):
            cells.ID_NUMBER.parse(bad)


# ---------------------------------------------------------------- the command line

def _cli(*args, key=KEY, cwd=ROOT):
    env = {k: v for k, v in os.environ.items() if k not in ("WEIBAO_ID_KEY", "WEIBAO_DB_URL")}
    env["PYTHONPATH"] = str(ROOT)
    if key:
        env["WEIBAO_ID_KEY"] = key
    done = subprocess.run([sys.executable, "-m", "data.load", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout + done.stderr


def test_cli_success_and_errors(tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    code, out = _cli(xlsx(tmp_path / "base.xlsx", BASE), "--db", db)
    assert code == 0 and "导入成功" in out and "走访：3 行" in out
    code, out = _cli(_mixed_workbook(tmp_path / "mixed.xlsx"), "--db", db)
    assert code == 1
    assert "mixed.xlsx · 儿童 · 第3行 · 纳入日期 = “2024-02-30”：不是有效日期（应为 YYYY-MM-DD）" in out
    assert "共发现 5 处错误，未写入任何数据。" in out
    assert C1_BAD_CHECK not in out and "370831********0021" in out
    assert "Traceback" not in out


@pytest.mark.parametrize("make, db, key, code, expected", [
    (lambda p: (p / "x.xlsx").write_bytes(b"not a zip") and p / "x.xlsx", None, KEY, 1, "不是有效的 Excel 工作簿"),
    (lambda p: xlsx(p / "b.xlsx", BASE), None, "", 2, "WEIBAO_ID_KEY"),
    (lambda p: xlsx(p / "b.xlsx", BASE), "postgresql+psycopg://nobody@127.0.0.1:9/none", KEY, 2, "无法读写数据库"),
    (lambda p: xlsx(p / "b.xlsx", BASE), "no-such-scheme://x", KEY, 2, "无法读写数据库"),
], ids=["not a workbook", "no key", "database unreachable", "bad url"])
def test_cli_failures_are_one_chinese_line(tmp_path, make, db, key, code, expected):
    path = make(tmp_path)
    got, out = _cli(path, "--db", db or f"sqlite:///{tmp_path / 'cli.sqlite'}", key=key)
    assert got == code and expected in out and "Traceback" not in out


def test_cli_says_it_creates_a_new_database_and_where(tmp_path):
    path = tmp_path / "new" / "folder" / "county.sqlite"
    got, out = _cli(xlsx(tmp_path / "base.xlsx", BASE), "--db", f"sqlite:///{path}")
    assert got == 0 and f"新建数据库：{path}\n" in out and "导入成功" in out
    assert path.exists()
    got, out = _cli(xlsx(tmp_path / "base.xlsx", BASE), "--db", f"sqlite:///{path}")
    assert got == 0 and "新建数据库" not in out  # the second load goes into the existing one


@pytest.mark.parametrize("key", [KEY, ""], ids=["errors in the file", "refused"])
def test_cli_leaves_no_new_database_when_nothing_is_loaded(tmp_path, key):
    path = tmp_path / "new" / "folder" / "county.sqlite"
    got, out = _cli(_mixed_workbook(tmp_path / "mixed.xlsx"), "--db", f"sqlite:///{path}", key=key)
    assert got == (1 if key else 2)
    assert f"新建数据库：{path}" in out and f"已删除本次新建的空数据库：{path}" in out
    assert not (tmp_path / "new").exists()


def test_cli_counts_have_thousands_separators(tmp_path):
    rows = [[f"37083110{n:04d}", f"村{n}", "村", TOWN, "农村", ""] for n in range(201, 1301)]
    path = xlsx(tmp_path / "big.xlsx", {"区划": BASE["区划"][:3] + rows})
    got, out = _cli(path, "--db", f"sqlite:///{tmp_path / 'cli.sqlite'}")
    assert got == 0, out
    assert "写入 区划 1,103 行 …" in out and "区划：1,103 行" in out and "共 1,103 行。" in out


def test_a_date_time_cell_is_shown_to_the_minute():
    from data.load.result import show
    assert show(datetime(2031, 5, 3, 10, 11, 59, 999999)) == "2031-05-03 10:11"
    assert show(datetime(2024, 5, 3)) == "2024-05-03"
