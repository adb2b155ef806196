"""The one verdict on a figure: 绿/黄/红 on the value as displayed, 数据异常, 进行中, and jump warnings."""

from dataclasses import dataclass

import pandas as pd

from queries import fmt
from queries.periods import Month
from queries.registry import Indicator, by_key

GREEN, YELLOW, RED = "green", "yellow", "red"
ANOMALY = "anomaly"  # an impossible value: a rate above 100 %, spending above budget
EARLY = "early"  # a monthly figure of the month in progress: not judged yet
STATES = (GREEN, YELLOW, RED, ANOMALY, EARLY)
ORDER = {GREEN: 0, YELLOW: 1, RED: 2}
TOLERANCE = 1e-9


@dataclass(frozen=True)
class Verdict:
    """What a viewer is told about one figure: its state and the reasons behind any mark."""

    state: str | None = None
    reasons: tuple[str, ...] = ()  # why it is 数据异常 or 进行中
    warnings: tuple[str, ...] = ()  # month-to-month jumps worth checking; the state stays

    @property
    def word(self) -> str:
        return fmt.STATE_LABELS.get(self.state, "")

    @property
    def colour(self) -> str:
        return fmt.STATE_COLOURS[self.state]

    @property
    def notes(self) -> tuple[str, ...]:
        return self.reasons + self.warnings


def colour_of(ind: Indicator, shown: float, row: dict | None) -> str | None:
    """绿/黄/红 of a value as displayed against the registry's thresholds; None when not judged."""
    t = ind.thresholds
    if not ind.judged:
        return None
    base = 0.0
    if t.get("relative_to"):
        ref = _num((row or {}).get(t["relative_to"]))
        if ref is None:
            return None
        base = fmt.displayed(by_key()[t["relative_to"]], ref)
    gap = shown - base if ind.better == "higher" else base - shown
    if gap >= t["green"] - TOLERANCE:
        return GREEN
    if gap >= t["yellow"] - TOLERANCE:
        return YELLOW
    return RED


def verdict(ind: Indicator, row: dict, before: dict | None = None, month: str | None = None,
            first_of_year: bool | None = None) -> Verdict:
    """The verdict on `row[ind.key]`; `before` is the previous month's row for the jump check, `month` the
    month shown ('YYYY-MM', to know whether it is still in progress)."""
    value = _num(row.get(ind.key))
    if value is None:
        # Spending with no budget: the rate is null (nothing to divide by), but the ledger is wrong all the same.
        num, den = _num(row.get(ind.numerator or "")), _num(row.get(ind.denominator or ""))
        if ind.empty_reason and num is not None and num > 0 and den == 0:
            return Verdict(ANOMALY, (f"{ind.empty_reason}，请核对台账",))
        return Verdict()
    warnings = tuple(jumps(ind, value, _num((before or {}).get(ind.key)), month))
    if ind.unit == "rate" and fmt.displayed(ind, value) > 1 + TOLERANCE:  # 100.04 % shows as 100.0 %: fine
        reason = ind.over_reason or f"{ind.label}超过 100%"
        return Verdict(ANOMALY, (f"{reason}，请核对台账",), warnings)
    if month and ind.accrues == "month" and Month.parse(month).in_progress() and ind.judged:
        return Verdict(EARLY, ("本月尚未结束，月内累计的指标不评色",), warnings)
    return Verdict(colour_of(ind, fmt.displayed(ind, value), row), (), warnings)


def jumps(ind: Indicator, now: float | None, before: float | None, month: str | None = None) -> list[str]:
    """Month-to-month changes too large to be real work (a reloaded roll, a missing ledger)."""
    check = ind.checks
    if not check or now is None or before is None:
        return []
    if month:
        m = Month.parse(month)
        # Monthly figures restart each month and year-to-date ones each January: a fall then is expected.
        if ind.accrues == "month" and m.in_progress():
            return []
        if ind.accrues == "year" and m.month == 1:
            return []
    out = []
    if "change" in check and before > 0 and abs(now - before) / before > check["change"] + TOLERANCE:
        out.append(f"比上月变化 {fmt.signed_percent((now - before) / before)}，超过 ±{fmt.percent(check['change'], 0)}，"
                   "请核实")
    if "fall" in check and before - now > check["fall"] + TOLERANCE:
        out.append(f"比上月下降 {fmt.points(before - now, sign=False)}，超过 {fmt.points(check['fall'], sign=False)}，"
                   "请核实")
    return out


def verdicts(frame: pd.DataFrame, keys: list[str], before: pd.DataFrame | None = None,
             month: str | None = None) -> pd.DataFrame:
    """A Verdict per row and key; `before` (same index) feeds the jump check."""
    reg = by_key()
    # Only the columns a verdict reads: an indicator frame has a hundred, and turning every one of them into
    # per-row dicts was most of the 考评 page's time (23 calls, 0.28 s of 0.69 s profiled on the province).
    wanted = [c for k in keys for c in (k, reg[k].numerator, reg[k].denominator, reg[k].thresholds.get("relative_to"))
              if c and c in frame.columns]
    wanted = list(dict.fromkeys(wanted))
    rows = frame[wanted].to_dict("index")
    prior = {}
    if before is not None:
        prior = before.reindex(frame.index)[[k for k in keys if k in before.columns]].to_dict("index")
    return pd.DataFrame({k: [verdict(reg[k], row, prior.get(code), month) for code, row in rows.items()]
                         for k in keys}, index=frame.index, dtype=object)


def states(frame: pd.DataFrame, keys: list[str], before: pd.DataFrame | None = None,
           month: str | None = None) -> pd.DataFrame:
    """Only the state of each verdict (green/yellow/red/anomaly/early/None)."""
    return verdicts(frame, keys, before, month).map(lambda v: v.state)


def _num(value) -> float | None:
    if value is None or fmt.is_null(value) or value is pd.NA:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
