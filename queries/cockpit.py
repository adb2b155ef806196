"""The cockpit's model: everything the 领导驾驶舱 page, the meeting pack and the cockpit PDF show, from one call."""

import pandas as pd

from queries import compare
from queries.catalog import region_info
from queries.engine import Scope, _memo
from queries.periods import in_progress
from queries.registry import group_keys

COMPARISONS = {"prev_month": "比上月", "prev_year": "比去年同月"}


def model(conn, scope: Scope, month: str, region: str) -> dict:
    """One region's cockpit for a month (computed once per connection: the pack, the 通报 and the cockpit PDF of
    one export run share it).

    now / prev_month / prev_year: indicator rows with measures (empty Series where there is no data);
    ranks: for a county, {key: (rank, ranked, counties)} among its own city's counties (numbers only);
    city: for a county, its city's aggregate row (else None); reds: townships with red indicators;
    trend: the last 12 months of the region, long format; early: the month is still in progress.
    """
    memo = _memo(conn)
    key = ("cockpit", scope, str(month), region)
    if key not in memo:
        memo[key] = _model(conn, scope, month, region)
    # Copies: a caller that edits a frame in place must not change what the next caller reads.
    return {k: v.copy() if isinstance(v, (pd.DataFrame, pd.Series, dict)) else v for k, v in memo[key].items()}


def _model(conn, scope: Scope, month: str, region: str) -> dict:
    info = region_info(conn, region, scope) or {}
    level = info.get("level", "city")
    snap = compare.snapshot(conn, scope, month, region)
    is_county = level == "county"
    rank_keys = group_keys("cockpit_network") + group_keys("cockpit_work")
    city = None
    if is_county:
        reference = compare.reference(conn, scope, month, region)
        city = None if reference.empty else reference.iloc[0]
    trend = compare.trend(conn, scope, month, "county" if is_county else level, region)
    if "region_code" in trend:
        trend = trend[trend["region_code"] == region]

    def row(label: str) -> pd.Series:
        return snap.loc[label] if label in snap.index else pd.Series(dtype=float)

    now = row("now")
    return {
        "month": month, "region": region, "name": info.get("region_name", region), "level": level,
        "is_county": is_county, "early": in_progress(month),
        "has_data": not now.empty and not now.isna().all(),
        "now": now, "prev_month": row("prev_month"), "prev_year": row("prev_year"),
        "ranks": compare.peer_rank(conn, scope, month, region, rank_keys) if is_county else {},
        "city": city,
        "reds": compare.red_list(conn, scope, month, region, group_keys("red_list")),
        "trend": trend,
    }
