"""Loads and validates the indicator registry (indicators.yaml)."""

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from data.vocab import LEVEL_ORDER

REGISTRY_PATH = Path(__file__).with_name("indicators.yaml")
UNITS = ("count", "rate", "yuan")
DIRECTIONS = ("higher", "lower", "none")


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

    @property
    def is_ratio(self) -> bool:
        return self.numerator is not None

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
    known = {f for f in Indicator.__dataclass_fields__}
    unknown = set(entry) - known
    if unknown:
        raise RegistryError(f"{where}: unknown fields {sorted(unknown)}")
    return Indicator(**entry)


@lru_cache(maxsize=4)
def load_registry(path: Path = REGISTRY_PATH) -> tuple[Indicator, ...]:
    """All indicators in report order."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    indicators = tuple(_validate(e, i + 1) for i, e in enumerate(entries))
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
