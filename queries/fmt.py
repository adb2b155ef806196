"""Numbers as officials read them: percentages to one decimal, money in 万元, counts with separators."""

import math
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from data import cli
from queries.periods import Month, today
from queries.registry import Indicator

STATUS_LABELS = {"green": "绿", "yellow": "黄", "red": "红"}
STATUS_COLOURS = {"green": "#1a9850", "yellow": "#f0a30a", "red": "#d73027", None: "#8c8c8c"}
# Every state a figure can be in (queries.judge): the three status colours, then the two marks that are not
# a judgement of the work. 数据异常 is purple so it can never be read as any of the three.
STATE_LABELS = {**STATUS_LABELS, "anomaly": "数据异常", "early": "进行中"}
STATE_COLOURS = {**STATUS_COLOURS, "anomaly": "#7b3294", "early": "#8c8c8c"}
NO_DATA = "—"


def is_null(value) -> bool:
    if value is None:
        return True
    try:
        return bool(math.isnan(value))
    except TypeError:
        return False


def half_up(value: float, digits: int = 1) -> float:
    """Round as officials do (0.25 → 0.3), not to even; float noise below 1e-9 is ignored first."""
    exact = Decimal(repr(round(float(value), 9)))
    return float(exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def percent(value, digits: int = 1) -> str:
    """0.9345 → '93.5%' (half up)."""
    return NO_DATA if is_null(value) else f"{half_up(value * 100, digits) + 0.0:.{digits}f}%"


def signed_percent(value, digits: int = 1) -> str:
    """0.2345 → '+23.5%'."""
    return NO_DATA if is_null(value) else f"{half_up(value * 100, digits) + 0.0:+.{digits}f}%"


def points(value, sign: bool = True) -> str:
    """A difference of rates in percentage points, half up: 0.0025 → '+0.3 个百分点'."""
    if is_null(value):
        return NO_DATA
    shown = half_up(value * 100, 1) + 0.0  # + 0.0 turns -0.0 into 0.0
    return f"{shown:+.1f} 个百分点" if sign else f"{shown:.1f} 个百分点"


def count(value) -> str:
    """12345 → '12,345'."""
    return NO_DATA if is_null(value) else f"{int(half_up(value, 0)):,}"


def wan(value) -> float:
    """元 → 万元, the one place money is scaled for leaders."""
    return value / 10000


def wan_yuan(value) -> str:
    """1234567 元 → '123.5 万元' (leaders read money in 万元)."""
    return NO_DATA if is_null(value) else f"{half_up(wan(value), 1):,.1f} 万元"


def displayed(indicator: Indicator, v: float) -> float:
    """The value a viewer reads, as a number: a status is judged on this, not on hidden digits."""
    if indicator.unit == "rate":
        return half_up(v * 100, 1) / 100
    if indicator.unit == "yuan":
        return half_up(wan(v), 1) * 10000
    return half_up(v, 0)


def yuan(value) -> str:
    """Exact yuan for inspectors: '1,234,567.00'."""
    return NO_DATA if is_null(value) else f"{value:,.2f}"


def value(indicator: Indicator, v, exact: bool = False) -> str:
    """Format by the registry unit."""
    if indicator.unit == "rate":
        return percent(v)
    if indicator.unit == "yuan":
        return yuan(v) if exact else wan_yuan(v)
    return count(v)


def unit_label(indicator: Indicator) -> str:
    """The unit as a chart axis or legend shows it."""
    return {"rate": "%", "yuan": "万元", "count": "人"}.get(indicator.unit, "")


def header(indicator: Indicator, exact: bool = False) -> str:
    """A column header with its unit: '走访完成率（%）', '年度预算（万元）', '在册儿童（人）'."""
    unit = "元" if exact and indicator.unit == "yuan" else unit_label(indicator)
    return f"{indicator.label}（{unit}）"


def change(indicator: Indicator, now, before, label: str) -> str:
    """'比上月 +1.2 个百分点' for rates, '比上月 +35 人' for counts, '比上月 +1.5 万元'; '—' without one."""
    if is_null(now) or is_null(before):
        return f"{label} —"
    diff = now - before
    if indicator.unit == "rate":
        return f"{label} {points(diff)}"
    if indicator.unit == "yuan":
        return f"{label} {half_up(wan(diff), 1) + 0.0:+,.1f} 万元"
    return f"{label} {int(half_up(diff, 0)):+,} 人"


def month_text(month: str) -> str:
    """'2026-11' → '2026年11月'."""
    m = Month.parse(month)
    return f"{m.year}年{m.month}月"


IN_PROGRESS_WORDS = "本月进行中"
IN_PROGRESS_NOTE = f"（{IN_PROGRESS_WORDS}）"  # how as_of marks the month in progress


def as_of(month: str) -> str:
    """'截至 2026年11月末', or for the month in progress '截至 12 月 1 日（本月进行中）'."""
    m = Month.parse(month)
    if m.in_progress():
        day = today()
        return f"截至 {day.month} 月 {day.day} 日{IN_PROGRESS_NOTE}"
    return f"截至 {m.year}年{m.month}月末"


def month_option(month: str) -> str:
    """A month as a picker lists it: '2026-12（进行中）' for the month in progress."""
    return f"{month}（进行中）" if Month.parse(month).in_progress() else month


def chart_title(subject: str, unit: str, month: str) -> str:
    """Every chart says what, in which unit, as of when."""
    return f"{subject}（{unit}，{as_of(month)}）"


def minute(value) -> str:
    """A timestamp in local time to the minute ('2026-11-30 08:15'); '—' when missing."""
    if is_null(value) or value == "":
        return NO_DATA
    return cli.minute(value if isinstance(value, datetime) else datetime.fromisoformat(str(value)))
