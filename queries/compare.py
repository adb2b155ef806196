"""Comparisons built on the engine: ranks among peers, rank change, trends over months, averages."""

import pandas as pd

from queries import judge
from queries.catalog import region_info, regions
from queries.engine import Scope, indicators, indicators_over
from queries.periods import Month
from queries.registry import by_key


def rank(frame: pd.DataFrame, key: str) -> pd.Series:
    """1 = best among the rows, by the indicator's direction; null values and impossible ones (数据异常:
    spending above budget is no result) get no rank."""
    ind = by_key()[key]
    ascending = ind.better == "lower"
    values = frame[key].astype(float)
    odd = judge.states(frame, [key]).eq(judge.ANOMALY)[key]
    return values.where(~odd).rank(ascending=ascending, method="min").astype("Int64")


def league(conn, scope: Scope, month: str, level: str, region: str | None, key: str) -> pd.DataFrame:
    """Regions of a level ranked on one indicator, with last month's rank and the change."""
    m = Month.parse(month)
    now = indicators(conn, m, level, region, scope=scope, with_measures=True)
    before = indicators(conn, m.shift(-1), level, region, scope=scope)
    out = now.copy()
    out["rank"] = rank(now, key)
    out["rank_before"] = rank(before, key).reindex(out.index)
    # Positive = moved up the table.
    out["rank_change"] = out["rank_before"] - out["rank"]
    out["value_before"] = before[key].reindex(out.index)
    return out.sort_values(["rank", "region_name"], na_position="last")


def peer_rank(conn, scope: Scope, month: str, region: str, keys: list[str]) -> dict:
    """For a county: its rank among the counties of its own city on each indicator, as (rank, ranked, count).

    The ranks are computed among the peers (scope.peer_scope(): a county viewer's city, whose other counties
    it may not see); only the three numbers leave this function, never another county's name or figures.
    """
    info = region_info(conn, region, scope)
    if not info or info["level"] != "county":
        return {}
    frame = indicators(conn, month, "county", info.get("parent_code"), scope=scope.peer_scope())
    if region not in frame.index:
        return {}
    out = {}
    for key in keys:
        ranks = rank(frame, key)
        r = ranks.get(region)
        # (rank, counties ranked, counties of the city): the last two differ where some have no data yet.
        out[key] = (None if pd.isna(r) else int(r), int(ranks.notna().sum()), len(frame))
    return out


def city_of(conn, scope: Scope, region: str | None) -> str | None:
    """The city a region is compared with: a county's parent (parent links), else the region itself (a city, or a
    region above the scope: checked, so never beside it); with no region, a county viewer's peer city."""
    if region is None:
        return scope.peers[0] if scope.peers else None
    info = region_info(conn, region, scope)
    if info is not None and info["level"] == "county":
        return info["parent_code"] or region
    return region


def reference(conn, scope: Scope, month: str, region: str | None = None) -> pd.DataFrame:
    """The city the viewer is compared with, as one row of indicators with measures (index: its code, level
    'city'): the 全市 value on cards and the scorecard's reference row. Empty when there is none.

    For a county viewer this is the aggregate of scope.peers, the one row of its city it may see.
    """
    city = city_of(conn, scope, region)
    if city is None:
        return pd.DataFrame(columns=["region_name", "level"])
    frame = indicators(conn, month, "city", city, scope=scope.peer_scope(), with_measures=True)
    frame = frame.loc[[city]] if city in frame.index else frame.iloc[0:0]
    return frame.assign(level="city")


def trend(conn, scope: Scope, month: str, level: str, region: str | None, months: int = 12) -> pd.DataFrame:
    """Indicators of the given region(s) for the `months` months ending at `month`, long format."""
    end = Month.parse(month)
    return indicators_over(conn, [end.shift(-back) for back in range(months - 1, -1, -1)], level, region,
                           scope=scope)


def snapshot(conn, scope: Scope, month: str, region: str) -> pd.DataFrame:
    """One region's indicators now, last month and the same month last year (rows: now/prev_month/prev_year)."""
    m = Month.parse(month)
    level = _level_of(conn, scope, region)
    rows = {}
    for label, when in (("now", m), ("prev_month", m.shift(-1)), ("prev_year", m.shift(-12))):
        f = indicators(conn, when, level, region, scope=scope, with_measures=True)
        rows[label] = f.loc[region] if region in f.index else pd.Series(dtype=float)
    return pd.DataFrame(rows).T


def _level_of(conn, scope: Scope, region: str) -> str:
    info = region_info(conn, region, scope)
    return info["level"] if info else "city"


def statuses(frame: pd.DataFrame, keys: list[str], month: str | None = None) -> pd.DataFrame:
    """The state (green/yellow/red/anomaly/early/None) of each row's value for each key (queries.judge)."""
    return judge.states(frame, keys, month=month)


def red_list(conn, scope: Scope, month: str, region: str | None, keys: list[str]) -> pd.DataFrame:
    """Townships under the region with at least one red indicator, most reds first.

    In the month in progress, monthly figures are not judged (judge.EARLY), so they put nobody on the list.
    """
    frame = indicators(conn, month, "township", region, scope=scope)
    colours = statuses(frame, keys, month)
    reg = by_key()
    reds = colours.eq("red")
    out = pd.DataFrame({
        "region_name": frame["region_name"],
        "parent_name": _parent_names(conn, scope, frame.index),
        "reds": reds.sum(axis=1),
        "red_indicators": reds.apply(lambda r: "、".join(reg[k].name for k in keys if r[k]), axis=1),
    }, index=frame.index)
    return out[out["reds"] > 0].sort_values(["reds", "region_name"], ascending=[False, True])


def _parent_names(conn, scope: Scope, codes) -> pd.Series:
    towns = regions(conn, "township", None, scope).set_index("region_code")
    counties = regions(conn, "county", None, scope).set_index("region_code")["region_name"]
    return towns.reindex(codes)["parent_code"].map(counties)

