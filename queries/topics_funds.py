"""资金 page queries: budget, spending and execution by fund type and by county, and the monthly spending curve."""

import pandas as pd

from data.vocab import FUND_TYPE_LABELS
from queries.engine import Scope, divide, scoped
from queries.periods import Month
from queries.topics_common import head, list_params, time_progress

VALUE_COLUMNS = ["budget", "spent"]


def funds_by_county_type(conn, scope: Scope, month: str, region: str | None = None) -> pd.DataFrame:
    """Per county-level unit under `region` and fund type (code and 中文名): the year's budget and spending
    January … `month` (元)."""
    frame = scoped(conn, "topic_funds_by_county", list_params(conn, scope, month, region))
    frame[VALUE_COLUMNS] = frame[VALUE_COLUMNS].apply(pd.to_numeric).astype(float)
    frame.insert(3, "fund_name", frame["fund_type"].map(FUND_TYPE_LABELS))
    return frame


def _with_rates(frame: pd.DataFrame, month: str) -> pd.DataFrame:
    frame = frame.copy()
    frame["execution_rate"] = divide(frame["spent"], frame["budget"])
    frame["time_progress"] = time_progress(month)
    return frame


def funds_by_type(conn, scope: Scope, month: str, region: str | None = None) -> pd.DataFrame:
    """Per fund type (all five, in the import format's order): budget, spent, execution_rate, time_progress."""
    raw = funds_by_county_type(conn, scope, month, region)
    sums = raw.dropna(subset=["fund_type"]).groupby("fund_type")[VALUE_COLUMNS].sum()
    sums = sums.reindex(list(FUND_TYPE_LABELS)).fillna(0.0)
    out = sums.rename_axis("fund_type").reset_index()
    out.insert(1, "fund_name", out["fund_type"].map(FUND_TYPE_LABELS))
    return _with_rates(out, month)


def funds_by_county(conn, scope: Scope, month: str, region: str | None = None) -> pd.DataFrame:
    """Per county-level unit: budget, spent, execution_rate, time_progress (indexed by region code)."""
    raw = funds_by_county_type(conn, scope, month, region)
    out = raw.groupby(["region_code", "region_name"], sort=True)[VALUE_COLUMNS].sum().reset_index()
    return _with_rates(out.set_index("region_code"), month)


def funds_monthly(conn, scope: Scope, month: str, region: str | None = None) -> pd.DataFrame:
    """Per month January … `month`: spent, cumulative spent, cumulative ÷ the year's budget, and 序时进度 (k/12)."""
    end = Month.parse(month)
    frame = scoped(conn, "topic_funds_monthly", list_params(conn, scope, month, region))
    frame["month"] = frame["month_start"].map(lambda d: str(d)[:7])
    months = [str(Month(end.year, m)) for m in range(1, end.month + 1)]
    spent = pd.to_numeric(frame.set_index("month")["spent"]).reindex(months).fillna(0.0).astype(float)
    budget = funds_by_county_type(conn, scope, month, region)["budget"].sum()
    out = pd.DataFrame({"month": months, "spent": spent.to_numpy()})
    out["cumulative"] = out["spent"].cumsum()
    out["cumulative_rate"] = divide(out["cumulative"], pd.Series(budget, index=out.index))
    out["time_progress"] = [time_progress(m) for m in months]
    return out


def page(conn, scope: Scope, month: str, region: str | None) -> dict:
    """Everything the 资金 page shows (topics_common.head, plus): by_type, monthly, counties (None for a
    county: its funds are not split further) and raw — by county and fund type, in 元."""
    out = head(conn, scope, month, region)
    if out["now"] is None:
        return out
    return {**out, "by_type": funds_by_type(conn, scope, month, region),
            "monthly": funds_monthly(conn, scope, month, region),
            "counties": None if out["is_county"] else funds_by_county(conn, scope, month, region),
            "raw": funds_by_county_type(conn, scope, month, region)}
