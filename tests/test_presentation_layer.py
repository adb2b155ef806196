"""One presentation layer: exports/ builds every figure without streamlit, the dashboard only draws them."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from exports import figures, maps
from queries import fmt, judge
from queries.registry import by_key

ROOT = Path(__file__).resolve().parent.parent


def _modules() -> list[str]:
    """exports, exports.job, exports.figures, exports.maps and every other exports/*.py there is today."""
    names = {"exports", "exports.job", "exports.figures", "exports.maps"}
    names |= {f"exports.{p.stem}" for p in (ROOT / "exports").glob("*.py") if p.stem not in ("__init__", "__main__")}
    return sorted(names)


def test_the_presentation_layer_does_not_import_streamlit():
    """In a fresh interpreter, importing every exports module leaves streamlit out of sys.modules."""
    names = _modules()
    assert {"exports.figures", "exports.maps"} <= set(names)
    code = ("import importlib, json, sys\n"
            f"for name in {names!r}:\n"
            "    importlib.import_module(name)\n"
            "    if 'streamlit' in sys.modules:\n"
            "        print(json.dumps(name)); break\n"
            "else:\n"
            "    print(json.dumps(None))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    culprit = json.loads(done.stdout.strip().splitlines()[-1])
    assert culprit is None, f"importing {culprit} imports streamlit"


def test_the_check_catches_streamlit():
    """The same subprocess check flags a module that does import streamlit (the check can fail)."""
    code = "import sys, dashboard.maps; print('streamlit' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip().splitlines()[-1] == "True", done.stderr


def _divisions_by_ten_thousand(source: str) -> list[int]:
    """Line numbers of `x / 10000` (or 10_000, 1e4, `/=`) in a Python source."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.BinOp, ast.AugAssign)) and isinstance(node.op, (ast.Div, ast.FloorDiv)):
            right = node.right if isinstance(node, ast.BinOp) else node.value
            if isinstance(right, ast.Constant) and isinstance(right.value, (int, float)) and right.value == 10000:
                out.append(node.lineno)
    return sorted(out)


def test_no_ten_thousand_division_under_dashboard():
    """元 → 万元 is queries.fmt.wan's job alone: no page divides by 10000 itself."""
    assert _divisions_by_ten_thousand("a = b / 10_000\nc /= 1e4\nd = e * 10000\n") == [1, 2]  # the scan sees them
    found = {str(p.relative_to(ROOT)): lines for p in sorted((ROOT / "dashboard").rglob("*.py"))
             if (lines := _divisions_by_ten_thousand(p.read_text(encoding="utf-8")))}
    assert not found, f"divide by 10000 outside queries.fmt.wan: {found}"


def test_no_figure_builder_left_in_the_dashboard():
    """The dashboard constructs no Plotly figure of its own: every go.Figure is built in exports/."""
    found = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "dashboard").rglob("*.py"))
             if "go.Figure(" in p.read_text(encoding="utf-8")]
    assert not found, found


def test_category_bars_carry_the_values_and_title_given():
    counts = {"孤儿": 12, "事实无人抚养儿童": 1288, "困境儿童": 0}
    fig = figures.category_bars(counts, "在册儿童分类（人，截至 2026年11月）")
    bar = fig.data[0]
    assert list(bar.y) == list(counts) and list(bar.x) == [12, 1288, 0]
    assert list(bar.text) == ["12", "1,288", "0"]
    assert fig.layout.title.text.startswith("在册儿童分类<br>")  # a long title wraps before its unit and date
    assert "（人，截至 2026年11月）" in fig.layout.title.text


def test_ranking_bars_and_map_colour_a_region_by_the_same_verdict():
    """A region's bar and its map class take the judge's colour of that region's value."""
    ind = by_key()["visit_completion"]
    frame = pd.DataFrame({"region_name": ["甲县", "乙县", "丙县"], ind.key: [0.97, 0.88, 0.5]},
                         index=["a", "b", "c"])
    states = judge.states(frame, [ind.key], month="2026-11")[ind.key]
    bars = figures.ranking_bars(frame, ind, states, "走访完成率").data[0]
    assert list(bars.x) == [50.0, 88.0, 97.0]  # lowest at the bottom, in percent as displayed
    assert list(bars.text) == ["50.0%", "88.0%", "97.0%"]
    expected = [fmt.STATE_COLOURS[s] for s in ("red", "yellow", "green")]
    assert list(bars.marker.color) == expected
    legend = maps.legend(ind, frame, "2026-11")
    assert [legend.classes[legend.which[c]].colour for c in ("c", "b", "a")] == expected


def test_weekly_chart_draws_the_review_numbers():
    area = pd.DataFrame({"region_name": ["甲镇", "乙镇"], "visits_this_week": [30, 5], "visits_last_week": [20, 9],
                         "visits_missing": [4, 40], "pace_needed": [2.0, 20.0], "at_this_pace": [8.0, 1.0]})
    h = {"pace_mode": "weekly", "days_left": 14}
    fig = figures.weekly_visits(area, h, "2026年第47周")
    last, this, marker = fig.data
    assert list(this.y) == ["乙镇", "甲镇"] and list(this.x) == [5, 30] and list(last.x) == [9, 20]
    assert list(marker.x) == [20.0, 2.0] and marker.name == "折合每周需"
    assert fig.layout.title.text == "本周与上周走访次数（次，2026年第47周）"


# ---- page models: one call per page, the numbers the engine gives ----------------------------------

SISHUI, CITY, MONTH = "370831000000", "370800000000", "2026-11"


@pytest.fixture(scope="module")
def county_conn(demo_url):
    """A county viewer's connection and scope (泗水县), as the pages and the county's files query."""
    from data.db import get_engine
    from queries.engine import Scope

    engine = get_engine(demo_url, read_only=True)
    with engine.connect() as conn:
        yield conn, Scope.for_viewer(conn, "county", SISHUI)
    engine.dispose()


def test_topic_models_open_with_the_reports_row(county_conn):
    """Every topic page's model reads the county at county level, and its headline row is the report's row."""
    from queries import report, topics_children, topics_funds, topics_network, topics_training, topics_visits
    from queries.periods import Month

    conn, scope = county_conn
    expected = report.report_frame(conn, Month.parse(MONTH), "county", SISHUI, scope).set_index("region_code")
    for module in (topics_children, topics_network, topics_visits, topics_training, topics_funds):
        model = module.page(conn, scope, MONTH, SISHUI)
        assert (model["level"], model["is_county"], model["early"]) == ("county", True, False), module.__name__
        for key in report.keys():
            got, want = model["now"][key], expected.at[SISHUI, key]
            assert (fmt.is_null(got) and fmt.is_null(want)) or got == pytest.approx(want), (module.__name__, key)
        assert model["prev_month"] is not None and model["prev_year"] is not None


def test_topic_models_hold_what_the_page_queries_give(county_conn):
    """The models carry the page's figures unchanged: a few of them against the queries called on their own."""
    from queries import topics_children, topics_funds, topics_network, topics_training, topics_visits

    conn, scope = county_conn
    visits = topics_visits.page(conn, scope, MONTH, SISHUI)
    assert visits["summary"] == topics_visits.visit_summary(conn, scope, MONTH, "county", SISHUI)
    assert list(visits["own"]["region_code"].unique()) == [SISHUI] and len(visits["own"]) == 12
    training = topics_training.page(conn, scope, MONTH, SISHUI)
    assert training["totals"] == topics_training.training_totals(conn, scope, MONTH, "county", SISHUI)
    children = topics_children.page(conn, scope, MONTH, SISHUI)
    pd.testing.assert_frame_equal(children["towns"], children["subs"])  # below a county: the townships
    network = topics_network.page(conn, scope, MONTH, SISHUI)
    for kind, found in network["gaps"].items():
        want = topics_network.gap_counts(conn, scope, MONTH, SISHUI, kind, found["by"]) if len(found["list"]) else None
        if want is not None:
            pd.testing.assert_frame_equal(found["counts"], want)
    funds = topics_funds.page(conn, scope, MONTH, SISHUI)
    assert funds["counties"] is None  # a county's funds are not split further
    assert funds["by_type"]["budget"].sum() == pytest.approx(children["now"]["fund_budget"])


def test_the_cockpit_model_is_what_the_page_reads(county_conn):
    """queries.cockpit.model for the county: its rows equal the engine's, its ranks are numbers only."""
    from queries import cockpit, compare

    conn, scope = county_conn
    model = cockpit.model(conn, scope, MONTH, SISHUI)
    snap = compare.snapshot(conn, scope, MONTH, SISHUI)
    pd.testing.assert_series_equal(model["now"], snap.loc["now"], check_names=False)
    assert model["has_data"] and model["is_county"] and model["city"] is not None
    assert all(isinstance(place, (int, type(None))) for place, _, _ in model["ranks"].values())


def test_the_pace_card_of_a_region_without_children_says_so_not_done():
    # A county with regions only (a partial roll-out): no visit is missing, yet nothing is "已完成".
    from datetime import date

    from queries.weekly import PACE_OVER, PACE_WEEKLY

    h = {"month_end": date(2026, 11, 30), "visits_missing": 0, "children_lacking": 0, "children_on_roll": 0,
         "days_left": 1, "pace_mode": PACE_WEEKLY, "enough": True}
    name, value, lines, state = figures.pace_card(h)
    assert (name, value, state) == ("完成本月走访（11 月）", "无在册儿童", None)
    assert lines == ["本月还剩 1 天（至 11 月 30 日）", "周日无在册儿童（儿童台账可能尚未导入）"]
    assert figures.pace_card({**h, "pace_mode": PACE_OVER})[2][0] == "本月已结束（11 月 30 日）"
    assert figures.pace_card({**h, "children_on_roll": 5})[1] == "已完成"
