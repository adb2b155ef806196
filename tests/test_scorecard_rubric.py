"""考评细则: every validation error has a clear Chinese message naming the entry; scoring rules by hand."""

import math

import pandas as pd
import pytest

from queries.scorecard import RUBRIC_PATH, Criterion, RubricError, load_rubric, parse_rubric, score

GOOD = [
    {"key": "village_director_coverage", "weight": 60, "rule": "linear", "floor": 0.9},
    {"key": "county_centre_coverage", "weight": 10, "rule": "threshold"},
    {"key": "fund_execution_rate", "weight": 30, "rule": "vs_time_progress", "floor": -0.2},
]


def entries(**changes):
    """GOOD with the first entry changed (a value of None removes the field)."""
    first = {**GOOD[0], **changes}
    return [{k: v for k, v in first.items() if v is not None}, *GOOD[1:]]


def problems_of(raw) -> list[str]:
    with pytest.raises(RubricError) as caught:
        parse_rubric(raw)
    return caught.value.problems


def test_the_shipped_rubric_is_valid_and_sums_to_100():
    rubric = load_rubric()
    assert sum(c.weight for c in rubric.criteria) == 100
    assert len(set(rubric.keys)) == len(rubric.keys)


def test_a_good_rubric_takes_defaults_from_the_registry():
    rubric = parse_rubric({"title": "测试", "criteria": GOOD})
    director, centre, funds = rubric.criteria
    assert (director.label, director.target, director.floor) == ("儿童主任配备率", 1.0, 0.9)
    assert (centre.target, centre.floor) == (1.0, None)  # registry target
    assert (funds.target, funds.floor) == (0.0, -0.2)    # a gap to 序时进度
    assert director.no_data == "zero"


@pytest.mark.parametrize("raw, expected", [
    ([1, 2], "文件顶层应为 title 和 criteria"),
    ({"title": "x"}, "criteria 应为考评项目列表"),
    ({"criteria": []}, "criteria 应为考评项目列表"),
    ({"criteria": GOOD, "weights": 1}, "未知的顶层字段 weights"),
    ({"criteria": ["village_director_coverage", *GOOD]}, "第 1 项：应为"),
    ({"criteria": entries(weigth=60)}, "第 1 项（village_director_coverage）：未知字段 weigth"),
    ({"criteria": entries(key=None)}, "第 1 项（未写 key）：缺少 key"),
    ({"criteria": entries(key="visit_rate")}, "第 1 项（visit_rate）：指标键 visit_rate 不在指标登记表"),
    ({"criteria": entries(key="children_total")}, "在册儿童（children_total）是背景数，不是考核类指标"),
    ({"criteria": entries(key="county_centre_coverage", rule="threshold", floor=None)},
     "第 2 项（county_centre_coverage）：指标 county_centre_coverage 重复出现"),
    ({"criteria": entries(weight=None)}, "缺少 weight"),
    ({"criteria": entries(weight="六十")}, "weight 应为数字，现为 '六十'"),
    ({"criteria": entries(weight=-60)}, "weight 不能为负数（-60）"),
    ({"criteria": entries(rule=None)}, "缺少 rule（计分规则：linear、threshold、vs_time_progress）"),
    ({"criteria": entries(rule="log")}, "未知计分规则 'log'"),
    ({"criteria": entries(no_data="half")}, "no_data 应为 zero 或 full"),
    ({"criteria": entries(target="满")}, "target 应为数字"),
    ({"criteria": entries(target=95)}, "target 95 超出 0–1（比率写小数，如 0.95 表示 95%）"),
    ({"criteria": entries(floor=None)}, "规则 linear 需要 floor（零分线）"),
    ({"criteria": entries(floor=1.0)}, "第 1 项（village_director_coverage）：floor（1）应低于 target（1）"),
    ({"criteria": entries(floor=-0.5)}, "floor -0.5 超出 0–1"),
    ({"criteria": entries(rule="threshold")}, "规则 threshold 不使用 floor"),
    ({"criteria": entries(rule="vs_time_progress")}, "规则 vs_time_progress 只适用于对照序时进度的指标"),
    ({"criteria": [*GOOD[:2], {"key": "fund_execution_rate", "weight": 30, "rule": "linear", "floor": 0.2}]},
     "指标登记表没有 fund_execution_rate 的目标值，请写 target"),
    ({"criteria": entries(weight=50)}, "各项权重之和为 90 分，应为 100 分"),
])
def test_each_problem_is_named(raw, expected):
    found = problems_of(raw)
    assert any(expected in p for p in found), found


def test_every_problem_is_reported_at_once():
    raw = {"criteria": [{"key": "nope", "weight": -1, "rule": "linear"},
                        {"key": "training_rate", "weight": 10, "rule": "step"}]}
    found = problems_of(raw)
    assert len(found) == 4, found  # unknown key, negative weight, unknown rule, and the weights' sum
    assert "第 1 项（nope）" in found[0] and "第 2 项（training_rate）" in found[2]


def test_file_errors(tmp_path):
    with pytest.raises(RubricError, match="找不到考评细则文件"):
        load_rubric(tmp_path / "none.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("criteria:\n  - key: a\n   weight: 1\n", encoding="utf-8")
    with pytest.raises(RubricError, match="YAML 格式错误第 3 行"):
        load_rubric(broken)
    assert "broken.yaml" in str(pytest.raises(RubricError, load_rubric, broken).value)


def test_the_message_names_the_file():
    err = RubricError(["a", "b"], RUBRIC_PATH)
    assert str(err).startswith(f"考评细则 {RUBRIC_PATH} 有 2 处问题")


LINEAR = Criterion("visit_completion", "走访完成率", 20, "linear", target=0.95, floor=0.7)


@pytest.mark.parametrize("value, points", [
    (0.95, 20), (1.0, 20),                  # at or above target: full points
    (0.7, 0), (0.5, 0),                     # at or below floor: nothing
    (0.825, 10),                            # halfway: (0.825 − 0.7) ÷ (0.95 − 0.7) = 0.5 → 10
    (0.8, 8),                               # (0.8 − 0.7) ÷ 0.25 = 0.4 → 8
    (0.1 + 0.85, 20),                       # 0.9500000000000001-style noise still meets the target
])
def test_linear(value, points):
    assert LINEAR.points(value) == pytest.approx(points)


def test_threshold_and_no_data():
    rule = Criterion("training_rate", "培训率", 10, "threshold", target=1.0)
    assert (rule.points(1.0), rule.points(0.999)) == (10, 0)
    assert rule.fraction(None) is None and rule.points(None) == 0
    full = Criterion("training_rate", "培训率", 10, "threshold", target=1.0, no_data="full")
    assert full.points(float("nan")) == 10


def test_vs_time_progress():
    rule = Criterion("fund_execution_rate", "预算执行率", 10, "vs_time_progress", target=0.0, floor=-0.2)
    assert rule.points(0.5, 0.5) == 10          # on pace
    assert rule.points(0.6, 0.5) == 10          # ahead
    assert rule.points(0.4, 0.5) == pytest.approx(5)   # 10 points behind of 20 → half
    assert rule.points(0.25, 0.5) == 0          # 25 points behind
    assert rule.fraction(0.4, None) is None     # no 序时进度, no judgement


def test_lower_is_better_runs_the_other_way():
    rule = Criterion("x", "x", 10, "linear", target=0.1, floor=0.3, better="lower")
    assert (rule.points(0.05), rule.points(0.2), rule.points(0.4)) == (10, pytest.approx(5), 0)


def test_score_adds_points_and_colours():
    rubric = parse_rubric({"criteria": GOOD})
    frame = pd.DataFrame({
        "region_name": ["甲县", "乙县"],
        "village_director_coverage": [0.95, 1.0],
        "county_centre_coverage": [1.0, 0.0],
        "fund_execution_rate": [0.3, math.nan],
        "time_progress": [0.5, 0.5],
    }, index=["A", "B"])
    out = score(rubric, frame)
    # 甲县: director (0.95 − 0.9) ÷ 0.1 = 0.5 → 30; centre met → 10; funds 20 points behind → 0
    # 乙县: director 60; no centre 0; funds no data → 0 (policy zero)
    assert out["total"].tolist() == [pytest.approx(40), pytest.approx(60)]
    assert out.loc["A", ["grade_village_director_coverage", "grade_county_centre_coverage",
                         "grade_fund_execution_rate"]].tolist() == ["yellow", "green", "red"]
    assert pd.isna(out.loc["B", "grade_fund_execution_rate"])  # no data: grey, not red


def test_the_documentation_lists_every_scorable_indicator():
    from pathlib import Path

    from queries.registry import load_registry

    doc = (Path(__file__).resolve().parent.parent / "docs" / "rubric.md").read_text(encoding="utf-8")
    scorable = [i.key for i in load_registry() if i.better != "none" and i.thresholds]
    missing = [k for k in scorable if f"| {k} |" not in doc]
    assert not missing, f"docs/rubric.md does not document {missing}"
    for rule in ("linear", "threshold", "vs_time_progress"):
        assert f"`{rule}`" in doc
