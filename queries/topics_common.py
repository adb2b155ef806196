"""Shared pieces of the topic pages' queries: month windows, list scoping, region names, 序时进度."""

import pandas as pd

from queries.catalog import region_info, regions
from queries.engine import Scope, as_period, divide, indicators, period_params, scope_params
from queries.periods import Month, in_progress

WINDOW = 12  # months on the topic pages' trend charts


def month_window(month: str, months: int = WINDOW) -> list[Month]:
    """The `months` months ending at `month`, oldest first."""
    end = Month.parse(month)
    return [end.shift(-back) for back in range(months - 1, -1, -1)]


def list_params(conn, scope: Scope, month: str, region: str | None) -> dict:
    """Bind values for the gap lists: :roots/:scope and the dates of the month."""
    return {**period_params(as_period(month)), **scope_params(conn, scope, region)}


def level_below(level: str) -> str:
    """The level whose regions a page lists under a region of `level`."""
    return {"city": "county", "county": "township", "township": "village"}.get(level, "village")


def parent_names(conn, scope: Scope, level: str, region: str | None) -> pd.Series:
    """Region code → the name of its parent, for regions of `level` under `region` (e.g. township → county)."""
    own = regions(conn, level, region, scope)
    parents = regions(conn, level_above(level), None, scope).set_index("region_code")["region_name"]
    return own.set_index("region_code")["parent_code"].map(parents)


def level_above(level: str) -> str:
    return {"village": "township", "township": "county", "county": "city"}.get(level, "city")


def region_row(frame: pd.DataFrame, region: str | None) -> pd.Series | None:
    """The row of `region` in an engine frame; with no region, the only row there is (else None)."""
    if region is not None:
        return frame.loc[region] if region in frame.index else None
    return frame.iloc[0] if len(frame) == 1 else None


def to_dates(values: pd.Series) -> pd.Series:
    """Dates as SQLite (ISO text) and PostgreSQL (date objects) return them, as datetime64."""
    return pd.to_datetime(values, errors="coerce")


def time_progress(month: str) -> float:
    """序时进度 of a month, as the engine defines it: months elapsed ÷ 12, where the month in progress counts
    only its share of days up to today (so a fund is not judged against a month that has not happened)."""
    elapsed = as_period(month).months_elapsed
    return float(divide(pd.Series([elapsed]), pd.Series([12])).iloc[0])


def head(conn, scope: Scope, month: str, region: str | None) -> dict:
    """What every topic page's model starts with: the level the page reads the region at (county or city, as
    the sidebar offers), and the region's indicator row this month, last month and a year
    before (None where there is no row)."""
    info = region_info(conn, region, scope) or {}
    level = "county" if info.get("level") == "county" else "city"
    m = Month.parse(month)

    def row(when: Month) -> pd.Series | None:
        return region_row(indicators(conn, str(when), level, region, scope=scope), region)

    return {"month": month, "region": region, "level": level, "is_county": level == "county",
            "early": in_progress(month), "now": row(m), "prev_month": row(m.shift(-1)), "prev_year": row(m.shift(-12))}
