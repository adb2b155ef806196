"""考评 workbook (exports.scorecard): grid, rubric, evidence and 说明 equal queries.scorecard; no other county."""

import io
import re
import sys
import types
from pathlib import Path

import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook

from tests.exporting import pinned_connection
import exports
from data.db import get_engine
from exports import scorecard as xs
from exports.job import CONFIDENTIAL, prepare
from queries import scorecard as sc
from queries.catalog import regions
from queries.engine import Scope, indicators
from queries.registry import by_key

CITY, COUNTY, MONTH = "370800000000", "370831000000", "2026-11"
ROOT = Path(__file__).resolve().parents[1]
RUBRIC_FILE = yaml.safe_load((ROOT / "queries" / "rubric.yaml").read_text(encoding="utf-8"))["criteria"]
LABELS = {e["key"]: e.get("label") or by_key()[e["key"]].name for e in RUBRIC_FILE}


@pytest.fixture(scope="module")
def conn(demo_url):
    with pinned_connection(demo_url) as connection:
        yield connection


def made(conn, region: str, audience: str = "internal", user: str = "督查员") -> dict:
    job = prepare(conn, "scorecard", region, month=MONTH, user=user, audience=audience)
    model = xs.model(conn, job)
    card = sc.scorecard(conn, job.scope, MONTH, sc.load_rubric(), region)  # the engine, asked directly
    return {"job": job, "model": model, "card": card,
            "book": load_workbook(io.BytesIO(xs.workbook_bytes(model, job)))}


@pytest.fixture(scope="module")
def city(conn):
    return made(conn, CITY)


@pytest.fixture(scope="module")
def county(conn):
    return made(conn, COUNTY)


@pytest.fixture(scope="module")
def outside(conn):
    return made(conn, COUNTY, audience="external", user="@admin")


def find_row(ws, text: str, column: int = 1) -> int:
    for row in range(1, 40):
        if ws.cell(row, column).value == text:
            return row
    raise AssertionError(f"{text!r} not in column {column}")


def headers(ws, row: int) -> dict:
    return {ws.cell(row, j).value: j for j in range(1, ws.max_column + 1) if ws.cell(row, j).value is not None}


def grid_layout(ws) -> tuple[int, int, dict]:
    """(group header row, sub-header row, {(criterion label, '数值'|'得分') or header: column})."""
    top = find_row(ws, "县级单位")
    sub = top + 1
    cols = {}
    group = None
    for j in range(1, ws.max_column + 1):
        above, below = ws.cell(top, j).value, ws.cell(sub, j).value
        if above is not None:
            group = above
        if below is None:
            cols[above] = j
        else:
            cols[(group, below)] = j
    return top, sub, cols


def evidence(ws) -> tuple[int, dict, list[dict]]:
    row = find_row(ws, "层级")
    cols = headers(ws, row)
    rows = [{h: ws.cell(r, j) for h, j in cols.items()} for r in range(row + 1, ws.max_row + 1)]
    return row, cols, rows


def hand_points(entry: dict, value: float, time_progress: float | None = None) -> float:
    """Points by the rule as rubric.yaml writes it (target defaults to the registry's target, 0 for 序时进度)."""
    ind = by_key()[entry["key"]]
    if entry["rule"] == "vs_time_progress":
        value, target = value - time_progress, entry.get("target", 0.0)
    else:
        target = entry.get("target", ind.target)
    if entry["rule"] == "threshold":
        return entry["weight"] if value >= target - 1e-9 else 0.0
    share = (value - entry["floor"]) / (target - entry["floor"])
    return entry["weight"] * min(1.0, max(0.0, share))


def test_sheets_are_the_grid_the_rubric_each_criterion_and_explanation(city):
    names = city["book"].sheetnames
    assert names == ["评分表", "评分细则", *LABELS.values(), "说明"]
    for name in names:
        assert len(name) <= 31 and not re.search(r"[\[\]:*?/\\]", name)


def test_grid_equals_the_engine(city):
    ws, card = city["book"]["评分表"], city["card"]
    top, sub, cols = grid_layout(ws)
    assert ws.freeze_panes == f"A{sub + 1}"
    for entry in RUBRIC_FILE:
        assert (f"{LABELS[entry['key']]}（{entry['weight']:g} 分）", "得分") in cols
    assert "总分（满分 100）" in cols and "排名" in cols
    first = sub + 1
    assert ws.cell(first, 1).value == "济宁市（全市，参照）" and ws.cell(first, cols["总分（满分 100）"]).value == "参照"
    counties = card[card["level"] == "county"]
    rows = {ws.cell(r, 1).value: r for r in range(first + 1, ws.max_row + 1) if ws.cell(r, 1).value}
    assert list(rows) == counties["region_name"].tolist()  # ranked order, as on the page
    for code, county in counties.iterrows():
        r = rows[county["region_name"]]
        assert ws.cell(r, cols["总分（满分 100）"]).value == pytest.approx(county["total"])
        assert ws.cell(r, cols["排名"]).value == int(county["rank"])
        for entry in RUBRIC_FILE:
            group = f"{LABELS[entry['key']]}（{entry['weight']:g} 分）"
            points, value = ws.cell(r, cols[(group, "得分")]), ws.cell(r, cols[(group, "数值（%）")])
            assert points.value == pytest.approx(county[f"pts_{entry['key']}"])
            assert points.number_format == "0.0"
            if pd.isna(county[entry["key"]]):
                assert value.value == "—"
            else:
                assert value.value == pytest.approx(county[entry["key"]]) and value.number_format == "0.0%"


def test_one_criterion_by_hand_from_numerator_and_denominator(conn, city):
    """走访完成 for every county: numerator ÷ denominator from its sheet, points by rubric.yaml's rule."""
    entry = next(e for e in RUBRIC_FILE if e["key"] == "visit_completion")
    grid, ws = city["book"]["评分表"], city["book"][LABELS["visit_completion"]]
    _, sub, grid_cols = grid_layout(grid)
    grid_rows = {grid.cell(r, 1).value: r for r in range(sub + 1, grid.max_row + 1)}
    _, cols, rows = evidence(ws)
    engine = indicators(conn, MONTH, "county", CITY, scope=city["job"].scope, with_measures=True)
    checked = 0
    for row in (r for r in rows if r["层级"].value == "县级单位"):
        name = row["县级单位"].value
        num, den = row["分子：走访达到要求的在册儿童（人）"], row["分母：在册儿童（人）"]
        assert num.number_format == "#,##0" and den.number_format == "#,##0"
        truth = engine[engine["region_name"] == name].iloc[0]
        assert (num.value, den.value) == (int(truth["children_visited"]), int(truth["children_total"]))
        expected = hand_points(entry, num.value / den.value)
        group = f"{LABELS['visit_completion']}（{entry['weight']:g} 分）"
        assert grid.cell(grid_rows[name], grid_cols[(group, "得分")]).value == pytest.approx(expected)
        assert row[f"得分（满分 {entry['weight']:g} 分）"].value == pytest.approx(expected)
        checked += 1
    assert checked == 11


def test_threshold_and_time_progress_rules_by_hand(conn, city):
    engine = indicators(conn, MONTH, "county", CITY, scope=city["job"].scope, with_measures=True)
    card = city["card"]
    for key in ("township_supervisor_coverage", "fund_execution_rate"):
        entry = next(e for e in RUBRIC_FILE if e["key"] == key)
        for code, county in card[card["level"] == "county"].iterrows():
            truth = engine.loc[code]
            if key == "fund_execution_rate":
                value = truth["fund_spent_ytd"] / truth["fund_budget"]
                expected = hand_points(entry, value, truth["months_elapsed"] / 12)
            else:
                expected = hand_points(entry, truth["townships_with_supervisor"] / truth["townships"])
            assert county[f"pts_{key}"] == pytest.approx(expected)
    ws = city["book"][LABELS["fund_execution_rate"]]
    _, cols, rows = evidence(ws)
    money = next(r for r in rows if r["层级"].value == "县级单位")["分子：累计支出（元）"]
    name = next(r for r in rows if r["层级"].value == "县级单位")["县级单位"].value
    assert money.number_format == "#,##0.00"
    assert money.value == pytest.approx(engine[engine["region_name"] == name].iloc[0]["fund_spent_ytd"])
    assert "序时进度（%）" in cols


def test_townships_behind_each_county(conn, city):
    job = city["job"]
    # Two criteria computed by township and one defined at county level only.
    keys = ["village_director_coverage", "visit_completion", "county_centre_coverage"]
    mine = xs.townships(conn, job, keys)
    assert mine["county_centre_coverage"].empty
    for key in keys:
        pd.testing.assert_frame_equal(mine[key], sc.townships_behind(conn, job.scope, MONTH, CITY, key),
                                      check_dtype=False)
    ws = city["book"][LABELS["village_director_coverage"]]
    _, cols, rows = evidence(ws)
    towns = [r for r in rows if r["层级"].value == "乡镇（街道）" and r["县级单位"].value == "泗水县"]
    truth = sc.townships_behind(conn, job.scope, MONTH, COUNTY, "village_director_coverage")
    assert [r["乡镇（街道）"].value for r in towns] == truth["region_name"].tolist()
    assert [r["分子：有在岗儿童主任的村（社区）数（个）"].value for r in towns] == truth["numerator"].tolist()
    assert [r["分母：村（社区）数（个）"].value for r in towns] == truth["denominator"].tolist()
    centre = city["book"][LABELS["county_centre_coverage"]]
    _, _, rows = evidence(centre)
    assert not [r for r in rows if r["层级"].value == "乡镇（街道）"]
    lines = [centre.cell(r, 1).value for r in range(1, 12)]
    assert any(line and "乡镇（街道）不适用" in line for line in lines)


def test_rubric_sheet_has_weights_and_rules(city):
    ws = city["book"]["评分细则"]
    row = find_row(ws, "序号")
    cols = headers(ws, row)
    shown = {ws.cell(r, cols["考评项目"]).value: r for r in range(row + 1, row + 1 + len(RUBRIC_FILE))}
    for crit in sc.load_rubric().criteria:
        r = shown[crit.label]
        assert ws.cell(r, cols["分值（分）"]).value == crit.weight
        assert ws.cell(r, cols["计分办法"]).value == crit.describe()
        assert ws.cell(r, cols["指标"]).value == by_key()[crit.key].name
    assert sum(ws.cell(r, cols["分值（分）"]).value for r in shown.values()) == 100
    visit = shown[LABELS["visit_completion"]]
    assert (ws.cell(visit, cols["满分线"]).value, ws.cell(visit, cols["零分线"]).value) == ("95.0%", "70.0%")


def test_explain_sheet_states_filters_and_as_of(conn, city):
    job, book = city["job"], city["book"]
    ws = book["说明"]
    pairs = {(ws.cell(r, 1).value, ws.cell(r, 2).value) for r in range(1, ws.max_row + 1)}
    for label, value in job.filters:
        assert (label, value) in pairs
    assert ("数据截至", "截至 2026年11月末") in pairs and ("保密", CONFIDENTIAL) in pairs
    assert ("导出人", "督查员") in pairs
    notes = " ".join(str(ws.cell(r, 2).value) for r in range(1, ws.max_row + 1))
    assert f"数据导入时间：{sc.data_as_of(conn, job.scope)}" in notes
    for name in book.sheetnames:
        assert book[name].oddFooter.left.text == job.footer
    assert book["评分表"].cell(2, 1).value == job.filters_text


def all_texts(book) -> list[str]:
    out = list(book.sheetnames)
    for ws in book.worksheets:
        out += [ws.oddHeader.left.text or "", ws.oddHeader.right.text or "", ws.oddFooter.left.text or ""]
        out += [str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    return out


def test_county_file_shows_no_other_county(conn, county):
    others = regions(conn, "county", CITY, Scope.everything())
    others = others[others["region_code"] != COUNTY]["region_name"].tolist()
    assert len(others) == 10
    texts = all_texts(county["book"])
    for frame in county["model"]["text"].values():
        texts += [str(v) for v in frame.to_numpy().ravel()]
    leaks = {name for name in others for text in texts if name in text}
    assert not leaks
    assert any("泗水县" in t for t in texts)
    ws = county["book"]["评分表"]
    _, sub, cols = grid_layout(ws)
    names = [ws.cell(r, 1).value for r in range(sub + 1, ws.max_row + 1) if ws.cell(r, 1).value]
    assert names == ["济宁市（全市，参照）", "泗水县"]
    own = county["card"].loc[COUNTY]
    assert ws.cell(sub + 2, cols["排名"]).value == int(own["rank"])
    assert f"全市第 {int(own['rank'])} / {int(own['ranked'])} 名" in ws.cell(4, 1).value
    assert int(own["ranked"]) == 11


def test_outside_readers_see_no_count_from_1_to_4(outside):
    book, card = outside["book"], outside["card"]
    hidden = 0
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "n" and cell.number_format == "#,##0" and cell.value is not None:
                    assert not 1 <= cell.value <= 4, (ws.title, cell.coordinate, cell.value)
                hidden += cell.value == "<5"
    assert hidden > 0
    assert card.loc[COUNTY, "num_county_centre_coverage"] == 1  # so the county's own centre count is hidden
    _, _, rows = evidence(book[LABELS["county_centre_coverage"]])
    own = next(r for r in rows if r["县级单位"].value == "泗水县")
    assert own["分子：有在用救助保护中心的县级单位数（个）"].value == "<5"
    text = outside["model"]["text"]["county_centre_coverage"]
    assert "<5" in text["分子：有在用救助保护中心的县级单位数（个）"].tolist()
    who = book["说明"]
    cell = next(who.cell(r, 2) for r in range(1, who.max_row + 1) if who.cell(r, 1).value == "导出人")
    assert cell.value == "@admin" and cell.data_type == "s" and cell.quotePrefix


def test_build_returns_the_workbook_and_the_pdf_from_one_model(conn, county, monkeypatch):
    seen = {}

    def pdf(conn_, job, model):
        seen["model"] = model
        return b"%PDF-stand-in"

    fake = types.ModuleType("exports.scorecard_pdf")
    fake.pdf = pdf
    monkeypatch.setitem(sys.modules, "exports.scorecard_pdf", fake)
    monkeypatch.setattr(exports, "scorecard_pdf", fake, raising=False)
    asked = []
    monkeypatch.setattr(xs, "model", lambda c, job: asked.append(job) or county["model"])
    files = xs.build(conn, county["job"])
    assert asked == [county["job"]] and seen["model"] is county["model"]
    assert [ext for ext, _ in files] == ["xlsx", "pdf"] and files[1][1] == b"%PDF-stand-in"
    assert set(seen["model"]) >= {"card", "criteria", "evidence", "tables", "text", "headline"}
    assert load_workbook(io.BytesIO(files[0][1])).sheetnames == county["book"].sheetnames


def test_partial_roll_out_says_why_points_are_missing(rollout_url):
    """泗水县 spent above budget: 数据异常, no points for 预算执行, and the workbook says so."""
    engine = get_engine(rollout_url, read_only=True)
    with engine.connect() as c:
        part = made(c, CITY)
    engine.dispose()
    card, book = part["card"], part["book"]
    assert card.loc[COUNTY, "grade_fund_execution_rate"] == "anomaly" and card.loc[COUNTY, "pts_fund_execution_rate"] == 0
    _, _, rows = evidence(book[LABELS["fund_execution_rate"]])
    own = next(r for r in rows if r["层级"].value == "县级单位" and r["县级单位"].value == "泗水县")
    assert own["得分情况"].value == "数据异常（不得分）" and own["得分（满分 10 分）"].value == 0
    ws = book["说明"]
    notes = [str(ws.cell(r, 2).value) for r in range(1, ws.max_row + 1)]
    assert any("数据异常" in n and "泗水县" in n and LABELS["fund_execution_rate"] in n for n in notes)
    assert part["book"]["评分表"].max_row == grid_layout(part["book"]["评分表"])[1] + 3  # city row and two counties
