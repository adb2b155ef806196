"""Loads and validates the indicator registry (indicators.yaml)."""

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from data import measures
from data.vocab import LEVEL_ORDER

REGISTRY_PATH = Path(__file__).with_name("indicators.yaml")
UNITS = ("count", "rate", "yuan")
DIRECTIONS = ("higher", "lower", "none")
ACCRUALS = ("stock", "month", "year")
GROUPS = ("cockpit_children", "children_cards", "child_categories", "cockpit_network", "cockpit_work", "red_list", "trend_monthly",
          "trend_ytd", "league_table", "network_cards", "network_table", "funds_cards")
# The registry's vocabulary as viewers read it (the 口径说明 page and docs/indicators.md).
UNIT_WORDS = {"count": "人", "rate": "比率（%）", "yuan": "元（页面以万元显示）"}
DIRECTION_WORDS = {"higher": "越高越好", "lower": "越低越好", "none": "不评价"}
ACCRUAL_WORDS = {"stock": "月末时点", "month": "月内累计（本月未结束时不评色）", "year": "本年累计（1 月 1 日起）"}
# A rate falling by more than this many points from one month to the next is flagged for checking.
DEFAULT_RATE_JUMP = {"fall": 0.3}


@dataclass(frozen=True)
class Indicator:
    """One indicator as the registry declares it."""

    key: str
    name: str
    unit: str
    better: str
    definition: str
    measure: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    target: float | None = None
    thresholds: dict = field(default_factory=dict)
    min_level: str | None = None
    short: str | None = None
    accrues: str = "stock"
    jump: dict | None = None
    over_reason: str | None = None
    empty_reason: str | None = None
    same_everywhere: bool = False
    groups: tuple[str, ...] = ()

    @property
    def is_ratio(self) -> bool:
        return self.numerator is not None

    @property
    def label(self) -> str:
        """The name without its unit, for titles, axes and cards ('年度预算', '孤儿', '走访完成率')."""
        return self.short or self.name.replace("（元）", "")

    @property
    def judged(self) -> bool:
        """True when the indicator is coloured 绿/黄/红 against thresholds."""
        return bool(self.thresholds) and self.better != "none"

    @property
    def checks(self) -> dict:
        """The month-to-month plausibility check (explicit, or the default for judged rates)."""
        if self.jump is not None:
            return self.jump
        return DEFAULT_RATE_JUMP if self.unit == "rate" and self.judged else {}

    def applies_at(self, level: str) -> bool:
        """False below min_level: those rows are null by definition, not zero."""
        if self.min_level is None:
            return True
        return LEVEL_ORDER.index(level) <= LEVEL_ORDER.index(self.min_level)


class RegistryError(ValueError):
    """The registry file is malformed."""


def _validate(entry: dict, position: int) -> Indicator:
    where = f"indicators.yaml entry {position} ({entry.get('key', '?')})"
    for required in ("key", "name", "unit", "better", "definition"):
        if not entry.get(required):
            raise RegistryError(f"{where}: missing '{required}'")
    if entry["unit"] not in UNITS:
        raise RegistryError(f"{where}: unit must be one of {UNITS}")
    if entry["better"] not in DIRECTIONS:
        raise RegistryError(f"{where}: better must be one of {DIRECTIONS}")
    is_ratio = "numerator" in entry or "denominator" in entry
    if is_ratio == ("measure" in entry) or (is_ratio and not (entry.get("numerator") and entry.get("denominator"))):
        raise RegistryError(f"{where}: give either measure, or numerator and denominator")
    if entry.get("min_level") not in (None, *LEVEL_ORDER):
        raise RegistryError(f"{where}: min_level must be one of {LEVEL_ORDER}")
    if entry.get("accrues", "stock") not in ACCRUALS:
        raise RegistryError(f"{where}: accrues must be one of {ACCRUALS}")
    bad_groups = set(entry.get("groups", ())) - set(GROUPS)
    if bad_groups:
        raise RegistryError(f"{where}: unknown groups {sorted(bad_groups)}")
    t = entry.get("thresholds") or {}
    if t and not {"green", "yellow"} <= set(t):
        raise RegistryError(f"{where}: thresholds need green and yellow")
    known = {f for f in Indicator.__dataclass_fields__}
    unknown = set(entry) - known
    if unknown:
        raise RegistryError(f"{where}: unknown fields {sorted(unknown)}")
    return Indicator(**{**entry, "groups": tuple(entry.get("groups", ()))})


def _check_measures(ind: Indicator, position: int) -> None:
    # A misspelt numerator would otherwise read as a missing column and turn the indicator null everywhere.
    declared = measures.by_name()
    for role in ("measure", "numerator", "denominator"):
        name = getattr(ind, role)
        if name is not None and (name not in declared or not declared[name].shown):
            raise RegistryError(f"indicators.yaml entry {position} ({ind.key}): {role} '{name}' is not a measure "
                                f"declared in data/measures.py")


@lru_cache(maxsize=4)
def load_registry(path: Path = REGISTRY_PATH) -> tuple[Indicator, ...]:
    """All indicators in report order."""
    # libyaml's loader where installed: 3 ms against 21 ms, paid by every command's start
    entries = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    indicators = tuple(_validate(e, i + 1) for i, e in enumerate(entries))
    for i, ind in enumerate(indicators):
        _check_measures(ind, i + 1)
    keys = [i.key for i in indicators]
    if len(set(keys)) != len(keys):
        raise RegistryError("indicators.yaml: duplicate keys")
    return indicators


def keys() -> list[str]:
    """Indicator keys in report order."""
    return [i.key for i in load_registry()]


def by_key() -> dict[str, Indicator]:
    """Indicators indexed by key."""
    return {i.key: i for i in load_registry()}


def group(name: str) -> list[Indicator]:
    """The indicators a page shows together, in report order."""
    if name not in GROUPS:
        raise KeyError(name)
    return [i for i in load_registry() if name in i.groups]


def group_keys(name: str) -> list[str]:
    return [i.key for i in group(name)]


def _pct(v: float) -> str:
    """A threshold as a percentage, without a trailing '.0' ('95%', '92.5%')."""
    return f"{round(v * 100, 1):g}%"


def rule_text(ind: Indicator) -> str:
    """The colour rule in words, generated from the thresholds (every caption, legend and doc uses this)."""
    t = ind.thresholds
    if not ind.judged:
        return "不评色"
    if t.get("relative_to"):
        ref = by_key()[t["relative_to"]].name
        green, yellow = t["green"], t["yellow"]
        first = f"不低于{ref}为绿" if green == 0 else f"高于{ref} {round(green * 100, 1):g} 个百分点及以上为绿"
        return f"{first}，落后不超过 {round(-yellow * 100, 1):g} 个百分点为黄，否则为红"
    if ind.better == "higher":
        return f"≥{_pct(t['green'])} 为绿，≥{_pct(t['yellow'])} 为黄，低于 {_pct(t['yellow'])} 为红"
    return f"≤{_pct(t['green'])} 为绿，≤{_pct(t['yellow'])} 为黄，高于 {_pct(t['yellow'])} 为红"


def target_text(ind: Indicator) -> str:
    """The green line as a page shows it beside a figure ('达标线 95%', '达标线 不低于序时进度')."""
    t = ind.thresholds
    if not ind.judged:
        return ""
    if t.get("relative_to"):
        ref, gap = by_key()[t["relative_to"]].name, round(t["green"] * 100, 1)
        return f"达标线 不低于{ref}" if gap == 0 else f"达标线 {ref}{gap:+g} 个百分点"
    return f"达标线 {_pct(t['green'])}"


def green_line(ind: Indicator, row: dict | None = None) -> float | None:
    """The value at which the indicator turns green (for a relative rule, read from the row)."""
    t = ind.thresholds
    if not ind.judged:
        return None
    if t.get("relative_to"):
        ref = (row or {}).get(t["relative_to"])
        return None if ref is None or ref != ref else float(ref) + t["green"]
    return t["green"]


def status(indicator: Indicator, value: float | None, row: dict | None = None) -> str | None:
    """'green' / 'yellow' / 'red' against the registry thresholds, or None when not judged."""
    t = indicator.thresholds
    if value is None or value != value or not t or indicator.better == "none":
        return None
    base = 0.0
    if t.get("relative_to"):
        ref = (row or {}).get(t["relative_to"])
        if ref is None or ref != ref:
            return None
        base = ref
    gap = value - base
    if indicator.better == "lower":
        gap = -gap
    # A small tolerance keeps 0.1 + 0.2-style float noise from turning a met target yellow.
    if gap >= t["green"] - 1e-9:
        return "green"
    if gap >= t["yellow"] - 1e-9:
        return "yellow"
    return "red"
