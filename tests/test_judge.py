"""The one verdict on a figure: judged as displayed, 数据异常 above 100 %, 进行中 while the month runs, jumps."""

import pytest

from queries import fmt, judge
from queries.registry import by_key, load_registry, rule_text

JUDGED = [i for i in load_registry() if i.judged]


@pytest.mark.parametrize("ind", JUDGED, ids=lambda i: i.key)
def test_a_value_displayed_on_the_green_line_is_green(ind):
    row = {"time_progress": 0.5}
    green = ind.thresholds["green"] + (0.5 if ind.thresholds.get("relative_to") else 0.0)
    row[ind.key] = green - 0.0004  # shows as the green line itself (e.g. 94.96 % → "95.0%")
    assert fmt.percent(row[ind.key]) == fmt.percent(green)
    assert judge.verdict(ind, row).state == "green"
    row[ind.key] = green - 0.0006  # shows 0.1 point below it
    assert judge.verdict(ind, row).state == "yellow"


def test_visit_heat_map_case_from_the_issue():
    ind = by_key()["visit_completion"]
    assert fmt.percent(0.9496) == "95.0%"
    assert judge.verdict(ind, {"visit_completion": 0.9496}).state == "green"


@pytest.mark.parametrize("ind", [i for i in JUDGED if i.unit == "rate"], ids=lambda i: i.key)
def test_a_rate_above_100_percent_is_an_anomaly_never_green(ind):
    v = judge.verdict(ind, {ind.key: 1.225, "time_progress": 0.9})
    assert v.state == "anomaly"
    assert v.reasons and "请核对台账" in v.reasons[0]


def test_spending_above_budget_says_so():
    v = judge.verdict(by_key()["fund_execution_rate"], {"fund_execution_rate": 1.225, "time_progress": 0.9})
    assert v.reasons[0].startswith("累计支出超过年度预算")


def test_monthly_rates_of_the_month_in_progress_are_not_judged(monkeypatch):
    monkeypatch.setenv("WEIBAO_TODAY", "2026-12-01")
    reg = by_key()
    visit = judge.verdict(reg["visit_completion"], {"visit_completion": 0.034}, {"visit_completion": 0.9}, "2026-12")
    assert visit.state == "early" and not visit.warnings  # no "fell by 86.6 points" either
    # A stock (coverage at today) is judged as usual, and a finished month is judged.
    assert judge.verdict(reg["village_director_coverage"], {"village_director_coverage": 0.5},
                         month="2026-12").state == "red"
    assert judge.verdict(reg["visit_completion"], {"visit_completion": 0.034}, month="2026-11").state == "red"


def test_jumps_are_flagged_where_the_figure_is_shown():
    reg = by_key()
    count = judge.verdict(reg["children_total"], {"children_total": 1210}, {"children_total": 1000}, "2026-11")
    assert count.warnings == ("比上月变化 +21.0%，超过 ±20%，请核实",)
    assert not judge.verdict(reg["children_total"], {"children_total": 1200}, {"children_total": 1000},
                             "2026-11").warnings
    fall = judge.verdict(reg["village_director_coverage"], {"village_director_coverage": 0.6},
                         {"village_director_coverage": 0.95}, "2026-11")
    assert fall.warnings == ("比上月下降 35.0 个百分点，超过 30.0 个百分点，请核实",)
    # Year-to-date rates restart in January: no jump warning then.
    assert not judge.verdict(reg["training_rate"], {"training_rate": 0.1}, {"training_rate": 0.99},
                             "2026-01").warnings


@pytest.mark.parametrize("diff, text", [(0.0025, "+0.3 个百分点"), (-0.0025, "-0.3 个百分点"),
                                        (0.00049, "+0.0 个百分点"), (0.0, "+0.0 个百分点")])
def test_percentage_point_changes_round_half_up(diff, text):
    assert fmt.points(diff) == text


def test_rule_text_is_generated_from_the_thresholds():
    reg = by_key()
    assert rule_text(reg["visit_completion"]) == "≥95% 为绿，≥85% 为黄，低于 85% 为红"
    assert rule_text(reg["fund_execution_rate"]) == "不低于序时进度为绿，落后不超过 10 个百分点为黄，否则为红"
    assert rule_text(reg["children_total"]) == "不评色"


def test_spending_without_a_budget_is_an_anomaly():
    ind = by_key()["fund_execution_rate"]
    row = {"fund_execution_rate": float("nan"), "fund_spent_ytd": 5000.0, "fund_budget": 0.0, "time_progress": 0.5}
    v = judge.verdict(ind, row)
    assert v.state == "anomaly" and v.reasons == ("有支出但没有年度预算，请核对台账",)
    assert judge.verdict(ind, {**row, "fund_spent_ytd": 0.0}).state is None  # nothing spent, nothing budgeted
