"""考评 page on the demo database (AppTest): renders, shows the queries' figures, survives a broken rubric."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from data.db import get_engine
from queries import fmt
from queries.engine import Scope
from queries.scorecard import load_rubric, scorecard
from tests.cards import cards, tags
from tests.login import login

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
MONTH = "2026-10"


def open_page(demo_url, monkeypatch, **state):
    monkeypatch.setenv("WEIBAO_DB_URL", demo_url)
    at = login(AppTest.from_file(APP, default_timeout=180))
    at.session_state["month"] = MONTH
    at.run()
    at.switch_page("views/scorecard.py")
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def expected_card(demo_url, region):
    with get_engine(demo_url).connect() as conn:
        return scorecard(conn, Scope.everything(), MONTH, load_rubric(), region)


def test_scorecard_page_shows_the_queries_figures(demo_url, monkeypatch):
    at = open_page(demo_url, monkeypatch)
    card = expected_card(demo_url, at.session_state["region"])
    counties = card[card["level"] == "county"]
    metrics = cards(at)
    best, worst = counties.iloc[0], counties.iloc[-1]
    assert metrics["第一名"] == f"{best['region_name']} {best['total']:.1f} 分"
    assert metrics["最后一名"] == f"{worst['region_name']} {worst['total']:.1f} 分"
    # The evidence panel opens on the last county and the first criterion: exact numerator and denominator.
    key = load_rubric().keys[0]
    assert metrics["分子"] == fmt.count(worst[f"num_{key}"])
    assert metrics["分母"] == fmt.count(worst[f"den_{key}"])
    assert any(fmt.percent(worst[key], 2) == v for v in metrics.values())
    crit = load_rubric().criteria[0]
    assert metrics["得分"] == f"{worst[f'pts_{key}']:.2f} / {crit.weight:g}"
    assert tags(at)["得分"] == {"green": "满分", "yellow": "部分得分", "red": "0 分"}[worst[f"grade_{key}"]]
    grid = at.dataframe[0].value
    assert len(grid) == len(counties) + 1  # the city's reference row first
    city = card[card["level"] == "city"].iloc[0]
    assert grid.iloc[0][load_rubric().criteria[0].label] == fmt.percent(city[key])
    assert at.subheader[0].value == f"{worst['region_name']}：得分依据"


def test_below_average_filter_and_a_county_only_criterion(demo_url, monkeypatch):
    at = open_page(demo_url, monkeypatch, score_below=True, score_criterion="fund_execution_rate")
    card = expected_card(demo_url, at.session_state["region"])
    below = card[(card["level"] == "county") & card["below_city"]]
    assert len(at.dataframe[0].value) == len(below) + 1
    assert any("乡镇（街道）不适用" in i.value for i in at.info)
    metrics = cards(at)
    assert "序时进度" in metrics


def test_a_broken_rubric_is_reported_not_raised(demo_url, monkeypatch, tmp_path):
    broken = tmp_path / "rubric.yaml"
    broken.write_text("criteria:\n  - key: visit_rate\n    weight: 100\n    rule: linear\n    floor: 0.5\n",
                      encoding="utf-8")
    monkeypatch.setenv("WEIBAO_RUBRIC", str(broken))
    at = open_page(demo_url, monkeypatch)
    shown = " ".join(e.value for e in at.error)
    assert "指标键 visit_rate 不在指标登记表" in shown
    assert not at.dataframe


@pytest.mark.parametrize("region", ["370831000000"])
def test_a_county_sees_its_citys_counties(demo_url, monkeypatch, region):
    at = open_page(demo_url, monkeypatch, region=region)
    card = expected_card(demo_url, region)
    assert len(at.dataframe[0].value) == len(card)
