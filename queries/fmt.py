"""Numbers as officials read them: percentages to one decimal, money in 万元, counts with separators."""

import math

from queries.registry import Indicator

STATUS_LABELS = {"green": "绿", "yellow": "黄", "red": "红"}
STATUS_COLOURS = {"green": "#1a9850", "yellow": "#f0a30a", "red": "#d73027", None: "#8c8c8c"}
NO_DATA = "—"


def is_null(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def percent(value, digits: int = 1) -> str:
    """0.9345 → '93.5%'."""
    return NO_DATA if is_null(value) else f"{value * 100:.{digits}f}%"


def count(value) -> str:
    """12345 → '12,345'."""
    return NO_DATA if is_null(value) else f"{int(round(value)):,}"


def wan_yuan(value) -> str:
    """1234567 元 → '123.5 万元' (leaders read money in 万元)."""
    return NO_DATA if is_null(value) else f"{value / 10000:,.1f} 万元"


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
