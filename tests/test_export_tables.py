"""Table downloads as .xlsx (exports.tables): headers, formats, frozen header, 说明, no formulas, <5 for outsiders."""

import io
import re
import unicodedata
import zipfile

import pandas as pd
import pytest
from openpyxl import load_workbook

from tests.exporting import pinned_connection
from exports import tables
from exports.job import CONFIDENTIAL, prepare
from queries import fmt
from queries.registry import by_key, keys
from queries.report import report_frame

CITY, COUNTY, MONTH = "370800000000", "370831000000", "2026-11"
PAYLOADS = ["=cmd|' /C calc'!A0", "+1", "-1", "@x", "\t=1+1"]


@pytest.fixture(scope="module")
def conn(demo_url):
    with pinned_connection(demo_url) as connection:
        yield connection


@pytest.fixture(scope="module")
def city(conn):
    """The counties of the city, every indicator, with text that Excel would run and a negative number."""
    job = prepare(conn, "table", CITY, month=MONTH, user="测试员")
    frame = report_frame(conn, MONTH, "county", CITY, job.scope)
    tampered = frame.copy()
    tampered.loc[tampered.index[:len(PAYLOADS)], "region_name"] = PAYLOADS
    tampered["rank_change"] = [-3] + [1] * (len(tampered) - 1)
    book = load_workbook(io.BytesIO(tables.table_bytes(tampered, job, "指标总表")))
    raw = tables.table_bytes(tampered, job, "指标总表")
    return {"job": job, "frame": frame, "book": book, "raw": raw}


@pytest.fixture(scope="module")
def villages(conn):
    """The villages of 泗水县 for outside readers (many counts from 1 to 4)."""
    job = prepare(conn, "table", COUNTY, month=MONTH, user="测试员", audience="external")
    frame = report_frame(conn, MONTH, "village", COUNTY, job.scope)
    return {"job": job, "frame": frame, "book": load_workbook(io.BytesIO(tables.table_bytes(frame, job, "村")))}


def header_row(ws, first: str) -> int:
    for row in range(1, 30):
        if ws.cell(row, 1).value == first:
            return row
    raise AssertionError(f"no header {first!r} in column A")


def columns_by_header(ws, row: int) -> dict:
    return {ws.cell(row, j).value: j for j in range(1, ws.max_column + 1) if ws.cell(row, j).value}


def test_headers_are_the_registry_names_with_units(city):
    ws = city["book"]["指标总表"]
    row = header_row(ws, "区划代码")
    reg = by_key()
    shown = [ws.cell(row, j).value for j in range(1, ws.max_column + 1)]
    assert shown[:2] == ["区划代码", "区划名称"]
    assert shown[2:2 + len(keys())] == [fmt.header(reg[k]) for k in keys()]
    assert "走访完成率（%）" in shown and "年度预算（万元）" in shown and "在册儿童（人）" in shown


def test_rate_money_and_count_cells_hold_the_engine_numbers_in_excel_formats(city):
    ws = city["book"]["指标总表"]
    row = header_row(ws, "区划代码")
    cols = columns_by_header(ws, row)
    frame = city["frame"]
    reg = by_key()
    line = next(r for r in range(row + 1, ws.max_row + 1) if ws.cell(r, 1).value == frame["region_code"].iloc[-1])
    engine_row = frame.iloc[-1]
    rate = ws.cell(line, cols[fmt.header(reg["visit_completion"])])
    assert rate.number_format == "0.0%" and rate.data_type == "n"
    assert rate.value == pytest.approx(engine_row["visit_completion"], abs=1e-12)
    money = ws.cell(line, cols[fmt.header(reg["fund_budget"])])
    assert money.number_format == "#,##0.0"
    assert money.value == pytest.approx(engine_row["fund_budget"] / 10000, abs=1e-9)
    count = ws.cell(line, cols[fmt.header(reg["children_total"])])
    assert count.number_format == "#,##0" and count.value == int(engine_row["children_total"])
    code = ws.cell(line, 1)
    assert code.data_type == "s" and len(code.value) == 12  # a region code stays text, not 3.70831E+11


def test_the_header_row_is_frozen_and_prints_on_every_page(city):
    ws = city["book"]["指标总表"]
    row = header_row(ws, "区划代码")
    assert ws.freeze_panes == f"A{row + 1}"
    assert ws.print_title_rows == f"${row}:${row}"
    assert ws.page_setup.orientation == "landscape"
    assert ws.oddFooter.left.text == city["job"].footer
    assert ws.auto_filter.ref.startswith(f"A{row}:")


def test_text_that_excel_would_evaluate_is_stored_as_text(city):
    ws = city["book"]["指标总表"]
    row = header_row(ws, "区划代码")
    cols = columns_by_header(ws, row)
    names = {ws.cell(r, cols["区划名称"]).value: ws.cell(r, cols["区划名称"]) for r in range(row + 1, ws.max_row + 1)}
    for payload in PAYLOADS:
        cell = names[payload]
        assert cell.data_type == "s", payload
        assert cell.quotePrefix, payload
    change = [ws.cell(r, cols["排名变化（位）"]) for r in range(row + 1, ws.max_row + 1)]
    assert change[0].value == -3 and change[0].data_type == "n"
    # No formula anywhere in the file itself.
    with zipfile.ZipFile(io.BytesIO(city["raw"])) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert not re.search(rb"<f[ >]", z.read(name)), name


def test_explain_sheet_states_filters_as_of_and_who(city):
    job = city["job"]
    ws = city["book"]["说明"]
    pairs = {(ws.cell(r, 1).value, ws.cell(r, 2).value) for r in range(1, ws.max_row + 1)}
    for label, value in job.filters:
        assert (label, value) in pairs
    assert ("数据截至", job.as_of) in pairs and job.as_of == "截至 2026年11月末"
    assert ("导出人", "测试员") in pairs and ("导出时间", job.made_text) in pairs
    assert ("保密", CONFIDENTIAL) in pairs
    texts = {ws.cell(r, j).value for r in range(1, ws.max_row + 1) for j in range(1, 5)}
    assert by_key()["visit_completion"].definition in texts
    data = city["book"]["指标总表"]
    assert data.cell(2, 1).value == job.filters_text
    assert CONFIDENTIAL in data.cell(3, 1).value


def test_outside_readers_never_see_a_count_from_1_to_4(villages):
    ws = villages["book"]["村"]
    row = header_row(ws, "区划代码")
    cols = columns_by_header(ws, row)
    frame = villages["frame"].set_index("region_code")
    reg = by_key()
    hidden = 0
    for key in (k for k in keys() if reg[k].unit == "count"):
        j = cols[fmt.header(reg[key])]
        for r in range(row + 1, ws.max_row + 1):
            cell, engine = ws.cell(r, j), frame.loc[ws.cell(r, 1).value, key]
            if 1 <= engine <= 4:
                assert cell.value == "<5", (key, engine)
                hidden += 1
            else:
                assert cell.value == int(engine)
    assert hidden > 50
    rate = ws.cell(row + 1, cols[fmt.header(reg["visit_completion"])])
    assert rate.data_type == "n" or rate.value == fmt.NO_DATA  # rates are not counts


def test_caller_headers_and_exact_yuan(city):
    job = city["job"]
    frame = city["frame"][["region_name", "fund_budget", "fund_spent_ytd"]]
    book = load_workbook(io.BytesIO(tables.table_bytes(frame, job, "资金", columns={
        "region_name": "县区", "fund_budget": None, "fund_spent_ytd": "累计支出（元）"}, exact_money=True)))
    ws = book["资金"]
    row = header_row(ws, "县区")
    assert [ws.cell(row, j).value for j in (1, 2, 3)] == ["县区", "年度预算（元）", "累计支出（元）"]
    cell = ws.cell(row + 1, 2)
    assert cell.number_format == "#,##0.00" and cell.value == pytest.approx(frame["fund_budget"].iloc[0])


def test_a_table_laid_out_in_chinese_is_formatted_by_its_units(villages):
    job = villages["job"]
    frame = pd.DataFrame({"村（社区）": ["甲村", "乙村"], "未达要求人数（人）": [3, 12],
                          "走访完成率（%）": [87.5, 100.0], "年度预算（万元）": [12.25, 3.0]})
    ws = load_workbook(io.BytesIO(tables.table_bytes(frame, job, "名单")))["名单"]
    row = header_row(ws, "村（社区）")
    assert ws.cell(row + 1, 2).value == "<5" and ws.cell(row + 2, 2).value == 12
    assert ws.cell(row + 2, 2).number_format == "#,##0"
    assert ws.cell(row + 1, 3).value == 87.5 and ws.cell(row + 1, 3).number_format == "0.0"
    assert ws.cell(row + 1, 4).number_format == "#,##0.0"
    texts = tables.text_frame(frame, None, job)
    assert texts["未达要求人数（人）"].tolist() == ["<5", "12"]
    assert texts["走访完成率（%）"].tolist() == ["87.5", "100.0"]


def test_text_frame_matches_fmt(city):
    job, frame = city["job"], city["frame"]
    texts = tables.text_frame(frame, None, job)
    reg = by_key()
    assert texts[fmt.header(reg["visit_completion"])].tolist() == [fmt.percent(v) for v in frame["visit_completion"]]
    assert texts[fmt.header(reg["children_total"])].tolist() == [fmt.count(v) for v in frame["children_total"]]
    assert texts[fmt.header(reg["fund_budget"])].tolist() == [fmt.wan_yuan(v).removesuffix(" 万元")
                                                             for v in frame["fund_budget"]]


def test_columns_fit_chinese_text(villages):
    ws = villages["book"]["村"]
    row = header_row(ws, "区划代码")
    names = [ws.cell(r, 2).value for r in range(row + 1, ws.max_row + 1)]
    widest = max(sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in n) for n in names)
    assert ws.column_dimensions["B"].width >= widest
    assert ws.column_dimensions["A"].width >= 12  # 12 digits


def test_sheet_names_are_legal():
    taken = set()
    first = tables.sheet_name("考评/汇总:[2026]*?\\" + "很长的名字" * 8, taken)
    second = tables.sheet_name("考评/汇总:[2026]*?\\" + "很长的名字" * 8, taken)
    for name in (first, second):
        assert len(name) <= 31 and not re.search(r"[\[\]:*?/\\]", name)
    assert first != second
