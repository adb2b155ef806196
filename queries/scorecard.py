"""考评: the rubric (weights, targets, scoring rules from rubric.yaml) and county scorecards built on the engine."""

import io
import math
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from data import measures
from queries import judge
from queries.catalog import regions
from queries.compare import city_of, statuses
from queries.engine import Scope, _memo, indicators, scope_params, scoped
from queries.registry import Indicator, by_key, green_line

RUBRIC_PATH = Path(__file__).with_name("rubric.yaml")
RUBRIC_ENV = "WEIBAO_RUBRIC"  # a deployment may keep the bureau's rubric outside the code tree
RULES = {"linear": "线性", "threshold": "达标", "vs_time_progress": "对照序时进度"}
NO_DATA_POLICIES = {"zero": "计 0 分", "full": "计满分"}
TOTAL_WEIGHT = 100
TOP_FIELDS = {"title", "criteria"}
CRITERION_FIELDS = {"key", "label", "weight", "rule", "target", "floor", "no_data"}
TOLERANCE = 1e-9  # float noise (0.1 + 0.2) must not cost a county its full points

# What the numerators and denominators count, as inspectors read them: the measure declarations' labels.
MEASURE_LABELS = {m.name: m.label for m in measures.MEASURES if m.shown}


class RubricError(ValueError):
    """The rubric file cannot be used; carries every problem found, in Chinese."""

    def __init__(self, problems: list[str], path: Path | str = RUBRIC_PATH):
        self.problems = problems
        self.path = str(path)
        super().__init__(f"考评细则 {self.path} 有 {len(problems)} 处问题：\n" + "\n".join(problems))


@dataclass(frozen=True)
class Criterion:
    """One line of the rubric: an indicator, its points and how a value earns them."""

    key: str
    label: str
    weight: float
    rule: str
    target: float
    floor: float | None = None
    no_data: str = "zero"
    better: str = "higher"

    def fraction(self, value, time_progress=None) -> float | None:
        """Share of the weight earned, in [0, 1]; None when the value (or 序时进度) is missing."""
        if _missing(value):
            return None
        x = float(value)
        if self.rule == "vs_time_progress":
            if _missing(time_progress):
                return None
            x -= float(time_progress)  # target and floor are gaps to 序时进度
        sign = -1.0 if self.better == "lower" else 1.0
        if self.rule == "threshold":
            return 1.0 if sign * (x - self.target) >= -TOLERANCE else 0.0
        span = sign * (self.target - self.floor)
        share = sign * (x - self.floor) / span
        if share >= 1 - TOLERANCE:
            return 1.0
        return min(1.0, max(0.0, share))

    def points(self, value, time_progress=None) -> float:
        """Points earned; a missing value follows the no_data policy."""
        share = self.fraction(value, time_progress)
        if share is None:
            share = 1.0 if self.no_data == "full" else 0.0
        return self.weight * share

    def describe(self) -> str:
        """The rule in one Chinese sentence, for the page and the export."""
        if self.rule == "threshold":
            text = f"达到 {_pct(self.target)} 得 {self.weight:g} 分，否则 0 分"
        elif self.rule == "linear":
            text = f"达到 {_pct(self.target)} 得满分 {self.weight:g} 分，{_pct(self.floor)} 及以下 0 分，其间按比例"
        else:
            text = (f"执行率 ≥ 序时进度{_gap(self.target)}得满分 {self.weight:g} 分，"
                    f"≤ 序时进度{_gap(self.floor)} 0 分，其间按比例")
        return text + ("；无数据计满分" if self.no_data == "full" else "；无数据计 0 分")


@dataclass(frozen=True)
class Rubric:
    """The whole rubric file, validated."""

    title: str
    criteria: tuple[Criterion, ...]

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.criteria]


def _missing(value) -> bool:
    return value is None or bool(pd.isna(value))


def _pct(x: float) -> str:
    return f"{x * 100:g}%"


def _gap(x: float) -> str:
    """A gap to 序时进度 in percentage points: '' for 0, ' −20 个百分点' otherwise."""
    points = round(x * 100, 6)
    return "" if points == 0 else f" {points:+g} 个百分点".replace("-", "−")


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def rubric_path() -> Path:
    """The rubric in use: $WEIBAO_RUBRIC if set, else queries/rubric.yaml."""
    return Path(os.environ.get(RUBRIC_ENV) or RUBRIC_PATH)


def load_rubric(path: Path | str | None = None) -> Rubric:
    """Read and validate the rubric; RubricError lists every problem found, naming the entry."""
    path = Path(path) if path is not None else rubric_path()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RubricError([f"找不到考评细则文件 {path}"], path) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark else ""
        raise RubricError([f"YAML 格式错误{where}：{getattr(err, 'problem', err)}（检查缩进和冒号）"], path) from None
    return parse_rubric(raw, path)


def parse_rubric(raw, path: Path | str = RUBRIC_PATH) -> Rubric:
    """Validate an already-parsed rubric document."""
    if not isinstance(raw, dict):
        raise RubricError(["文件顶层应为 title 和 criteria 两项"], path)
    problems = [f"未知的顶层字段 {k}（只允许 title、criteria）" for k in raw if k not in TOP_FIELDS]
    entries = raw.get("criteria")
    if not isinstance(entries, list) or not entries:
        raise RubricError(problems + ["criteria 应为考评项目列表，且至少有一项"], path)
    registry = by_key()
    criteria, seen = [], set()
    for position, entry in enumerate(entries, start=1):
        crit = _criterion(entry, position, registry, seen, problems)
        if crit is not None:
            criteria.append(crit)
    weights = [e.get("weight") for e in entries if isinstance(e, dict)]
    if all(_number(w) for w in weights):
        total = sum(weights)
        if abs(total - TOTAL_WEIGHT) > 1e-6:
            problems.append(f"各项权重之和为 {total:g} 分，应为 {TOTAL_WEIGHT} 分")
    if problems:
        raise RubricError(problems, path)
    return Rubric(title=str(raw.get("title") or "考评"), criteria=tuple(criteria))


def _criterion(entry, position: int, registry: dict[str, Indicator], seen: set, problems: list) -> Criterion | None:
    if not isinstance(entry, dict):
        problems.append(f"第 {position} 项：应为“key: …、weight: …”形式的一组字段")
        return None
    key = entry.get("key")
    where = f"第 {position} 项（{key or '未写 key'}）"
    before = len(problems)
    for field in entry:
        if field not in CRITERION_FIELDS:
            problems.append(f"{where}：未知字段 {field}（可用字段：{'、'.join(sorted(CRITERION_FIELDS))}）")
    ind = registry.get(key) if isinstance(key, str) else None
    if not key:
        problems.append(f"{where}：缺少 key（指标键）")
    elif ind is None:
        problems.append(f"{where}：指标键 {key} 不在指标登记表 queries/indicators.yaml 中")
    elif ind.better == "none" or not ind.thresholds:
        problems.append(f"{where}：{ind.name}（{key}）是背景数，不是考核类指标，不能计分")
    elif key in seen:
        problems.append(f"{where}：指标 {key} 重复出现")
    if isinstance(key, str):
        seen.add(key)
    weight = entry.get("weight")
    if weight is None:
        problems.append(f"{where}：缺少 weight（分值）")
    elif not _number(weight):
        problems.append(f"{where}：weight 应为数字，现为 {weight!r}")
    elif weight < 0:
        problems.append(f"{where}：weight 不能为负数（{weight:g}）")
    rule = entry.get("rule")
    if rule is None:
        problems.append(f"{where}：缺少 rule（计分规则：{'、'.join(RULES)}）")
    elif rule not in RULES:
        problems.append(f"{where}：未知计分规则 {rule!r}（可用：{'、'.join(RULES)}）")
    no_data = entry.get("no_data", "zero")
    if no_data not in NO_DATA_POLICIES:
        problems.append(f"{where}：no_data 应为 zero 或 full，现为 {no_data!r}")
    label = entry.get("label")
    if label is not None and not isinstance(label, str):
        problems.append(f"{where}：label 应为文字")
    if ind is None or rule not in RULES:
        return None
    target, floor = _bounds(entry, ind, rule, where, problems)
    if len(problems) > before:
        return None
    return Criterion(key=key, label=label or ind.name, weight=float(weight), rule=rule, target=target,
                     floor=floor, no_data=no_data, better=ind.better)


def _bounds(entry: dict, ind: Indicator, rule: str, where: str, problems: list):
    relative = rule == "vs_time_progress"
    if relative and ind.thresholds.get("relative_to") != "time_progress":
        problems.append(f"{where}：规则 vs_time_progress 只适用于对照序时进度的指标（如 fund_execution_rate）")
        return None, None
    default = 0.0 if relative else ind.target
    target = entry.get("target", default)
    floor = entry.get("floor")
    if target is None:
        problems.append(f"{where}：指标登记表没有 {ind.key} 的目标值，请写 target")
        return None, None
    if not _number(target):
        problems.append(f"{where}：target 应为数字，现为 {target!r}")
        return None, None
    low, high = (-1.0, 1.0) if relative else (0.0, 1.0)
    if ind.unit == "rate" and not low <= target <= high:
        problems.append(f"{where}：target {target:g} 超出 {low:g}–{high:g}（比率写小数，如 0.95 表示 95%）")
    if rule == "threshold":
        if floor is not None:
            problems.append(f"{where}：规则 threshold 不使用 floor，请删除 floor 或改用 linear")
        return float(target), None
    if floor is None:
        problems.append(f"{where}：规则 {rule} 需要 floor（零分线）")
        return float(target), None
    if not _number(floor):
        problems.append(f"{where}：floor 应为数字，现为 {floor!r}")
        return float(target), None
    if ind.unit == "rate" and not low <= floor <= high:
        problems.append(f"{where}：floor {floor:g} 超出 {low:g}–{high:g}（比率写小数，如 0.8 表示 80%）")
    if ind.better == "lower" and floor <= target:
        problems.append(f"{where}：越低越好的指标，floor（{floor:g}）应高于 target（{target:g}）")
    elif ind.better != "lower" and floor >= target:
        problems.append(f"{where}：floor（{floor:g}）应低于 target（{target:g}）")
    return float(target), float(floor)


def grade(share: float | None) -> str | None:
    """Colour of a score: full points 绿, some points 黄, none 红, no data grey (None)."""
    if share is None:
        return None
    if share >= 1 - TOLERANCE:
        return "green"
    return "yellow" if share > 0 else "red"


def score(rubric: Rubric, frame: pd.DataFrame) -> pd.DataFrame:
    """Points, colour and weighted total per row of an indicator frame (values are never recomputed).

    An impossible value (judge.ANOMALY: a rate above 100 %, spending above budget) earns no points and is
    graded 'anomaly': a ledger error must not buy a county full marks.
    """
    out = pd.DataFrame({"region_name": frame["region_name"]}, index=frame.index)
    progress = frame["time_progress"] if "time_progress" in frame else pd.Series(None, index=frame.index)
    totals = pd.Series(0.0, index=frame.index)
    states = judge.states(frame, [crit.key for crit in rubric.criteria])
    for crit in rubric.criteria:
        values = frame[crit.key]
        bad = states[crit.key].eq(judge.ANOMALY).tolist()
        shares = [crit.fraction(v, p) for v, p in zip(values, progress)]
        out[crit.key] = values.astype(float)
        out[f"pts_{crit.key}"] = [0.0 if b else crit.points(v, p) for v, p, b in zip(values, progress, bad)]
        out[f"grade_{crit.key}"] = [judge.ANOMALY if b else grade(s) for s, b in zip(shares, bad)]
        totals += out[f"pts_{crit.key}"]
    out["total"] = totals
    return out


def _scored(conn, scope: Scope, month: str, rubric: Rubric, level: str, city: str | None) -> pd.DataFrame:
    """The regions of `level` under the city scored, with numerators, denominators and registry colours."""
    reg = by_key()
    frame = indicators(conn, month, level, city, scope=scope, with_measures=True)
    part = score(rubric, frame)
    part.insert(1, "level", level)
    part["time_progress"] = frame["time_progress"]
    colours = statuses(frame, rubric.keys, month)
    for crit in rubric.criteria:
        ind = reg[crit.key]
        part[f"num_{crit.key}"] = frame[ind.numerator] if ind.is_ratio else frame[ind.measure]
        part[f"den_{crit.key}"] = frame[ind.denominator] if ind.is_ratio else None
        part[f"status_{crit.key}"] = colours[crit.key]
    return part


def scorecard(conn, scope: Scope, month: str, rubric: Rubric, region: str | None = None) -> pd.DataFrame:
    """Every county of the region's city scored on the rubric and ranked, plus the city's own row for reference.

    Columns: region_name, level, then per criterion its value, pts_, grade_, num_, den_, status_ (the
    registry colour) and below_ (value worse than the city's own value); time_progress, total, rank,
    ranked (how many counties the rank is among), peer_mean_total (their mean total), below_count and
    below_city (any criterion below the city). The city row carries values only: a score computed from city
    totals is not comparable (a threshold on 3 of 4 centres gives 0).

    Counties are scored and ranked among the city's counties (scope.peer_scope()); for a county viewer only
    its own county's row is returned, with its rank among them, and the city's aggregate row as reference.
    """
    # Once per connection: the pack, the 通报 and the scorecard files of one export run ask the same question.
    memo = _memo(conn)
    key = ("scorecard", scope, str(month), rubric, region)
    if key not in memo:
        memo[key] = _scorecard(conn, scope, month, rubric, region)
    return memo[key].copy()


def _scorecard(conn, scope: Scope, month: str, rubric: Rubric, region: str | None) -> pd.DataFrame:
    city = city_of(conn, scope, region)
    peers = scope.peer_scope()
    counties, top = (_scored(conn, peers, month, rubric, level, city) for level in ("county", "city"))
    counties["rank"] = counties["total"].rank(ascending=False, method="min").astype("Int64")
    counties["ranked"] = len(counties)
    counties["peer_mean_total"] = counties["total"].mean() if len(counties) else float("nan")
    reference = top.iloc[0] if len(top) == 1 else None
    for crit in rubric.criteria:
        counties[f"below_{crit.key}"] = _below(counties[crit.key], reference, crit)
        top[f"below_{crit.key}"] = False
        top[f"pts_{crit.key}"] = float("nan")
        top[f"grade_{crit.key}"] = None
    counties["below_count"] = sum(counties[f"below_{c.key}"].astype(int) for c in rubric.criteria)
    counties["below_city"] = counties["below_count"] > 0
    if peers is not scope:
        # Ranked among the city's counties; only the viewer's own counties leave this function.
        own = regions(conn, "county", city, scope)["region_code"]
        counties = counties[counties.index.isin(own)]
    top["total"] = float("nan")
    top["rank"] = pd.array([None] * len(top), dtype="Int64")
    top["ranked"] = pd.array([None] * len(top), dtype="Int64")
    top["peer_mean_total"] = float("nan")
    top["below_count"] = 0
    top["below_city"] = False
    counties = counties.sort_values(["rank", "region_name"])
    return pd.concat([counties, top])


def _below(values: pd.Series, reference: pd.Series | None, crit: Criterion) -> pd.Series:
    """True where a county's value is worse than the city's own (null on either side: not below)."""
    if reference is None or _missing(reference[crit.key]):
        return pd.Series(False, index=values.index)
    sign = -1.0 if crit.better == "lower" else 1.0
    gap = (values.astype(float) - float(reference[crit.key])) * sign
    return (gap < -TOLERANCE).fillna(False).astype(bool)


def summary(card: pd.DataFrame) -> dict:
    """Headline facts of a scorecard: best and worst county, the counties' mean total, most criteria below the city.

    When the card shows only some of the counties ranked (a county viewer's own), best and worst would name
    the shown ones falsely: the facts are then `own` (name, total, rank, ranked) and the peers' mean total.
    """
    counties = card[card["level"] == "county"]
    if counties.empty:
        return {}
    laggard = counties.sort_values(["below_count", "total"], ascending=[False, True]).iloc[0]
    ranked = int(counties["ranked"].iloc[0]) if "ranked" in counties else len(counties)
    facts = {
        "mean_total": float(counties["peer_mean_total"].iloc[0]) if "peer_mean_total" in counties
        else float(counties["total"].mean()),
        "most_below": (laggard["region_name"], int(laggard["below_count"])),
        "counties": ranked,
    }
    if len(counties) < ranked:
        first = counties.iloc[0]
        facts["own"] = (first["region_name"], float(first["total"]), int(first["rank"]), ranked)
        return facts
    return {"best": (counties.iloc[0]["region_name"], float(counties.iloc[0]["total"])),
            "worst": (counties.iloc[-1]["region_name"], float(counties.iloc[-1]["total"])), **facts}


def townships_behind(conn, scope: Scope, month: str, county: str, key: str) -> pd.DataFrame:
    """The townships of a county on one indicator: numerator, denominator, value and registry colour.

    Empty when the indicator is not defined at township level (county-only indicators).
    """
    ind = by_key()[key]
    if not ind.applies_at("township"):
        return pd.DataFrame(columns=["region_name", "numerator", "denominator", key, "status"])
    frame = indicators(conn, month, "township", county, scope=scope, with_measures=True)
    out = pd.DataFrame({
        "region_name": frame["region_name"],
        "numerator": frame[ind.numerator] if ind.is_ratio else frame[ind.measure],
        "denominator": frame[ind.denominator] if ind.is_ratio else None,
        key: frame[key],
        "status": statuses(frame, [key], month)[key],
    }, index=frame.index)
    return out.sort_values([key, "region_name"], na_position="first")


def scorecard_csv(card: pd.DataFrame, rubric: Rubric, month: str) -> bytes:
    """The scorecard with exact figures (numerators, denominators, 元 to the fen) for Excel (UTF-8 with BOM)."""
    reg = by_key()
    rows = pd.DataFrame({"区划代码": card.index, "区划": card["region_name"].to_numpy()})
    rows["统计月份"] = month
    rows["考评细则"] = rubric.title
    rows["序时进度（%）"] = (card["time_progress"].astype(float) * 100).round(2).to_numpy()
    for crit in rubric.criteria:
        money = _is_money(reg[crit.key], reg)
        rows[f"{crit.label} 分子"] = _exact(card[f"num_{crit.key}"], money)
        rows[f"{crit.label} 分母"] = _exact(card[f"den_{crit.key}"], money)
        rows[f"{crit.label} 值（%）"] = (card[crit.key].astype(float) * 100).round(4).to_numpy()
        rows[f"{crit.label} 得分（满分 {crit.weight:g}）"] = card[f"pts_{crit.key}"].round(2).to_numpy()
    rows["总分"] = card["total"].round(2).to_numpy()
    rows["排名"] = card["rank"].to_numpy()
    rows.loc[(card["level"] == "city").to_numpy(), "区划"] = card.loc[card["level"] == "city", "region_name"].map(
        lambda n: f"{n}（全市，参照）").to_numpy()
    buffer = io.StringIO()
    rows.to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8-sig")


def _is_money(ind: Indicator, reg: dict[str, Indicator]) -> bool:
    """True when the indicator's numerator is a sum of 元 (budget execution), not a count."""
    numerator = reg.get(ind.numerator or "")
    return numerator is not None and numerator.unit == "yuan"


def _exact(column: pd.Series, money: bool):
    """元 to the fen, counts as whole numbers, missing as blank."""
    values = pd.to_numeric(column, errors="coerce").astype(float)
    return (values.round(2) if money else values.round(0).astype("Int64")).to_numpy()


def line_differences(rubric: Rubric) -> list[str]:
    """Criteria whose full-mark line is not the registry's green line, said plainly: a county shown 绿 on the
    cockpit may still lose points here (or the other way round)."""
    reg = by_key()
    out = []
    for crit in rubric.criteria:
        ind = reg[crit.key]
        green = green_line(ind, {ind.thresholds.get("relative_to"): 0.0}) if ind.judged else None
        if green is None or abs(green - crit.target) <= TOLERANCE:
            continue
        if ind.thresholds.get("relative_to"):
            out.append(f"{crit.label}：满分线为序时进度{_gap(crit.target) or ''}，指标登记表的绿线为不低于序时进度")
        else:
            out.append(f"{crit.label}：满分线 {_pct(crit.target)}，指标登记表的绿线 {_pct(green)}")
    return out


def measure_label(name: str | None) -> str:
    return MEASURE_LABELS.get(name or "", name or "")


def data_as_of(conn, scope: Scope) -> str | None:
    """The time of the last import of a table holding rows inside the scope, 'YYYY-MM-DD HH:MM', or None when
    nothing was logged. Import times are the whole file's: they say when, never what another region holds."""
    frame = scoped(conn, "import_times", scope_params(conn, scope, None))
    stamps = pd.to_datetime(frame["last_import"], errors="coerce").dropna() if len(frame) else []
    return None if len(stamps) == 0 else stamps.max().strftime("%Y-%m-%d %H:%M")
