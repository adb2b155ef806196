"""走访 page queries: completion by region and month, unvisited children counted by village, visit-volume warnings."""

import pandas as pd

from data.measures import MAX_VISITS_KEPT
from queries.engine import (DEFAULT_VISIT_RULE, Scope, as_period, divide, indicators, indicators_over,
                            period_params, scope_params, scoped, visits_kept)
from queries.periods import Month
from queries.topics_common import head, level_below, month_window, parent_names, region_row

DROP_RATIO = 0.5  # visits this month below half of last month's are worth a question


def visit_monthly(conn, scope: Scope, month: str, level: str, region: str | None = None) -> pd.DataFrame:
    """Per region of `level` under `region` and per month of the 12 ending at `month`: children on the roll,
    children visited as required, visits logged and visit_completion (long format, months oldest first)."""
    frame = indicators_over(conn, month_window(month), level, region, scope=scope, with_measures=True,
                            families=("children", "visits"))
    frame = frame.rename(columns={"visits_logged": "visits"})
    for column in ("children_total", "children_visited", "visits"):
        frame[column] = frame[column].astype(int)
    columns = ["region_code", "region_name", "month", "children_total", "children_visited", "visits",
               "visit_completion"]
    return frame.sort_values(["region_code", "month"])[columns].reset_index(drop=True)


def unvisited_by_village(conn, scope: Scope, month: str, region: str | None = None) -> pd.DataFrame:
    """Villages under `region` with children on the roll who did not get the required visits this month,
    counted per village (never a child), most first."""
    period = as_period(month)
    params = {**period_params(period), **DEFAULT_VISIT_RULE.params(), **scope_params(conn, scope, region)}
    within_kept = max(DEFAULT_VISIT_RULE.per_level.values()) <= MAX_VISITS_KEPT  # the kept counts' reach
    if within_kept and visits_kept(conn, [period], "village") is not None:  # each village's kept counts
        frame = scoped(conn, "topic_visit_unvisited_kept",
                       {**params, "level": "village", "kept_day": Month.of(period.end).end})
    else:
        frame = scoped(conn, "topic_visit_unvisited", params)
    for column in ("children_total", "children_unvisited"):
        frame[column] = pd.to_numeric(frame[column]).astype(int)
    return frame


def visit_summary(conn, scope: Scope, month: str, level: str, region: str | None = None) -> dict:
    """For the headline: children on the roll who missed the required visits this month (the engine's
    children_total − children_visited) and how many villages they live in."""
    row = region_row(indicators(conn, month, level, region, scope=scope, with_measures=True), region)
    missed = 0 if row is None else int(row["children_total"] - row["children_visited"])
    villages = unvisited_by_village(conn, scope, month, region)
    return {"children_unvisited": missed, "villages": int(len(villages))}


def visit_warnings(conn, scope: Scope, month: str, region: str | None = None) -> pd.DataFrame:
    """Townships with children on the roll that logged no visits this month, or fewer than half of last month's."""
    months = month_window(month, 2)
    frame = indicators_over(conn, months, "township", region, scope=scope, with_measures=True,
                            families=("children", "visits"))
    frame = frame.rename(columns={"visits_logged": "visits"})
    now = frame[frame["month"] == str(months[1])].set_index("region_code")
    before = frame[frame["month"] == str(months[0])].set_index("region_code")["visits"]
    now = now.assign(visits_before=before.reindex(now.index).fillna(0).astype(int))
    now["ratio"] = divide(now["visits"], now["visits_before"])
    silent = (now["children_total"] > 0) & (now["visits"] == 0)
    dropped = ~silent & (now["ratio"] < DROP_RATIO)
    now["problem"] = None
    now.loc[silent, "problem"] = "none"
    now.loc[dropped, "problem"] = "drop"
    out = now[now["problem"].notna()].copy()
    out["parent_name"] = parent_names(conn, scope, "township", region).reindex(out.index)
    columns = ["region_name", "parent_name", "children_total", "visits", "visits_before", "ratio", "problem"]
    return out[columns].sort_values(
        ["problem", "ratio"], ascending=[False, True], na_position="first")


def page(conn, scope: Scope, month: str, region: str | None) -> dict:
    """Everything the 走访 page shows (topics_common.head, plus): own — the region's 12 months of visit_monthly;
    summary; unvisited — by village; towns — every township's indicators; grid — visit_monthly one level
    down; flagged — visit_warnings (None in the month in progress: it is not compared with whole months)."""
    out = head(conn, scope, month, region)
    if out["now"] is None:
        return out
    level = out["level"]
    own = visit_monthly(conn, scope, month, level, region)
    own = own[own["region_code"] == region] if region in set(own["region_code"]) else own
    flagged = None if out["early"] else visit_warnings(conn, scope, month, region)
    return {**out, "own": own, "summary": visit_summary(conn, scope, month, level, region),
            "unvisited": unvisited_by_village(conn, scope, month, region),
            "towns": indicators(conn, month, "township", region, scope=scope),
            "grid": visit_monthly(conn, scope, month, level_below(level), region), "flagged": flagged}
