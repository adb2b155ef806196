"""阵地与队伍 page queries: coverage by level from the engine, and the gap lists (units without a station or a post)."""

import pandas as pd

from queries.engine import Scope, as_period, indicators, scoped
from queries.topics_common import head, level_below, list_params, region_row, to_dates

# (indicator key, level label, what is counted, units measure, covered measure)
LEVELS = [
    ("county_centre_coverage", "县级", "未成年人救助保护中心", "counties", "counties_with_centre"),
    ("township_station_coverage", "乡镇（街道）", "未成年人保护工作站", "townships", "townships_with_station"),
    ("township_supervisor_coverage", "乡镇（街道）", "儿童督导员", "townships", "townships_with_supervisor"),
    ("village_home_coverage", "村（社区）", "儿童之家", "villages", "villages_with_home"),
    ("village_director_coverage", "村（社区）", "儿童主任", "villages", "villages_with_director"),
]

# kind → (SQL file, level of the units listed, station kind or post bound as :kind / :post)
GAPS = {
    "home": ("topic_network_station_gaps", "village", {"kind": "home"}),
    "director": ("topic_network_post_gaps", "village", {"post": "director"}),
    "workstation": ("topic_network_station_gaps", "township", {"kind": "workstation"}),
    "supervisor": ("topic_network_post_gaps", "township", {"post": "supervisor"}),
}


def coverage_by_level(conn, scope: Scope, month: str, level: str, region: str | None = None) -> pd.DataFrame:
    """One row per element of the three-level network for the region: units, covered, missing and the engine's rate."""
    frame = indicators(conn, month, level, region, scope=scope, with_measures=True)
    row = region_row(frame, region)
    if row is None:
        return pd.DataFrame(columns=["key", "level", "item", "units", "covered", "missing", "rate"])
    records = []
    for key, label, item, units, covered in LEVELS:
        n, c = int(row[units]), int(row[covered])
        records.append({"key": key, "level": label, "item": item, "units": n, "covered": c,
                        "missing": n - c, "rate": row[key]})
    out = pd.DataFrame(records)
    # Below county level there is no centre to count: drop the row rather than show an empty bar.
    return out[out["units"] > 0].reset_index(drop=True)


def network_gaps(conn, scope: Scope, month: str, region: str | None, kind: str) -> pd.DataFrame:
    """Villages without an active 儿童之家 / 儿童主任, or townships without an active 工作站 / 督导员, at month end.

    Columns: region_code, region_name, parent_name, grandparent_name, last_ended (the last closing or
    leaving date there, NaT if never), vacant_days (days from last_ended to month end; NA if never).
    """
    name, unit_level, extra = GAPS[kind]
    params = {**list_params(conn, scope, month, region), "unit_level": unit_level, **extra}
    frame = scoped(conn, name, params)
    frame["last_ended"] = to_dates(frame["last_ended"])
    end = pd.Timestamp(as_period(month).end)
    frame["vacant_days"] = (end - frame["last_ended"]).dt.days.astype("Int64")
    return frame


def gap_counts(conn, scope: Scope, month: str, region: str | None, kind: str, by: str) -> pd.DataFrame:
    """How many units of a gap list fall in each parent ('parent_name') or grandparent ('grandparent_name'),
    most first: e.g. villages without a 儿童之家 per county."""
    if by not in ("parent_name", "grandparent_name"):
        raise ValueError(f"unknown grouping {by!r}")
    return count_gaps(network_gaps(conn, scope, month, region, kind), by)


def count_gaps(gaps: pd.DataFrame, by: str) -> pd.DataFrame:
    """gap_counts() of a gap list already read."""
    counts = gaps.groupby(by, dropna=False).size().rename("gaps").reset_index().rename(columns={by: "name"})
    return counts.sort_values(["gaps", "name"], ascending=[False, True]).reset_index(drop=True)


def gap_grouping(kind: str, is_county: bool) -> str:
    """What a gap list is summed by on the page: villages by township inside a county and by county across
    the city; townships by county."""
    if kind in ("home", "director") and not is_county:
        return "grandparent_name"
    return "parent_name"


def page(conn, scope: Scope, month: str, region: str | None) -> dict:
    """Everything the 阵地与队伍 page shows (topics_common.head, plus): levels — coverage_by_level; subs — the
    level below with measures; gaps — per kind of GAPS: {"list", "by", "counts"} (counts empty with no gap)."""
    out = head(conn, scope, month, region)
    if out["now"] is None:
        return out
    level = out["level"]
    gaps = {}
    for kind in GAPS:
        listed, by = network_gaps(conn, scope, month, region, kind), gap_grouping(kind, out["is_county"])
        gaps[kind] = {"list": listed, "by": by,
                      "counts": count_gaps(listed, by) if len(listed) else pd.DataFrame(columns=["name", "gaps"])}
    return {**out, "levels": coverage_by_level(conn, scope, month, level, region),
            "subs": indicators(conn, month, level_below(level), region, scope=scope, with_measures=True),
            "gaps": gaps}
