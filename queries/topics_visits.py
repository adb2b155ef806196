"""走访 page queries: completion by region and month, unvisited children counted by village, visit-volume warnings."""

import pandas as pd

from queries.engine import (DEFAULT_VISIT_RULE, Scope, as_period, divide, indicators, period_params, run_sql,
                            scope_params, sql)
from queries.topics_common import parent_names, region_row, run_monthly, window_labels, window_params

DROP_RATIO = 0.5  # visits this month below half of last month's are worth a question


def visit_monthly(conn, scope: Scope, month: str, level: str, region: str | None = None) -> pd.DataFrame:
    """Per region of `level` under `region` and per month of the 12 ending at `month`: children on the roll,
    children visited as required, visits logged and visit_completion (long format, months oldest first)."""
    params = {"level": level, **window_params(month), **DEFAULT_VISIT_RULE.params(),
              **scope_params(conn, scope, region)}
    counts = run_monthly(conn, "topic_visit_monthly", params)
    names = run_sql(conn, "WITH target AS (\n" + sql("targets") + "\n)\n" + sql("target_regions"), params)
    labels = window_labels(month)
    grid = pd.MultiIndex.from_product([names["region_code"], list(labels)], names=["region_code", "k"])
    counts = counts.set_index(["region_code", "k"]).reindex(grid)
    counts = counts.apply(pd.to_numeric, errors="coerce").fillna(0).astype(int).reset_index()
    counts["month"] = counts["k"].map(labels)
    counts["region_name"] = counts["region_code"].map(names.set_index("region_code")["region_name"])
    counts["visit_completion"] = divide(counts["children_visited"], counts["children_total"])
    columns = ["region_code", "region_name", "month", "children_total", "children_visited", "visits",
               "visit_completion"]
    return counts.sort_values(["region_code", "month"])[columns].reset_index(drop=True)


def unvisited_by_village(conn, scope: Scope, month: str, region: str | None = None) -> pd.DataFrame:
    """Villages under `region` with children on the roll who did not get the required visits this month,
    counted per village (never a child), most first."""
    params = {**period_params(as_period(month)), **DEFAULT_VISIT_RULE.params(),
              **scope_params(conn, scope, region)}
    frame = run_sql(conn, sql("topic_visit_unvisited"), params)
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
    frame = visit_monthly(conn, scope, month, "township", region)
    labels = window_labels(month)
    now = frame[frame["month"] == labels[12]].set_index("region_code")
    before = frame[frame["month"] == labels[11]].set_index("region_code")["visits"]
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
