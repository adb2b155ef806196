"""培训 page queries: sessions and person-times in the year to date, and workers not yet trained by township."""

import pandas as pd

from data.vocab import HOST_LEVEL_LABELS
from queries.engine import Scope, indicators, scoped
from queries.periods import Month
from queries.topics_common import head, level_below, list_params, parent_names, region_row, to_dates


def training_sessions(conn, scope: Scope, month: str, region: str | None = None) -> pd.DataFrame:
    """Sessions (distinct 培训日期 + 培训名称) from 1 January to month end with attendees in scope, and their
    person-times counted over those attendees (see topic_training_sessions.sql for the scope rule)."""
    frame = scoped(conn, "topic_training_sessions", list_params(conn, scope, month, region))
    frame["trained_on"] = to_dates(frame["trained_on"]).dt.date
    frame["person_times"] = pd.to_numeric(frame["person_times"]).astype(int)
    frame["hours"] = pd.to_numeric(frame["hours"]).astype(float)
    frame["host_level_name"] = frame["host_level"].map(HOST_LEVEL_LABELS)
    return frame


def training_totals(conn, scope: Scope, month: str, level: str, region: str | None = None) -> dict:
    """The year to date for the region: sessions, person-times, and the engine's workers in post at month end,
    those trained this year and those not yet trained."""
    frame = training_sessions(conn, scope, month, region)
    row = region_row(indicators(conn, month, level, region, scope=scope, with_measures=True), region)
    workers = 0 if row is None else int(row["workers"])
    trained = 0 if row is None else int(row["workers_trained"])
    return {"sessions": int(len(frame)), "person_times": int(frame["person_times"].sum()),
            "workers": workers, "workers_trained": trained, "workers_untrained": workers - trained}


def training_by_month(conn, scope: Scope, month: str, region: str | None = None) -> pd.DataFrame:
    """Sessions and person-times per month from January to `month` (months without training show 0)."""
    frame = training_sessions(conn, scope, month, region)
    end = Month.parse(month)
    months = [str(Month(end.year, m)) for m in range(1, end.month + 1)]
    keys = frame["trained_on"].map(lambda d: f"{d.year:04d}-{d.month:02d}")
    grouped = frame.assign(month=keys).groupby("month").agg(
        sessions=("course", "size"), person_times=("person_times", "sum"))
    out = grouped.reindex(months).fillna(0).astype(int)
    return out.rename_axis("month").reset_index()


def untrained_by_township(conn, scope: Scope, month: str, region: str | None = None) -> pd.DataFrame:
    """Per township: workers in post at month end, those trained this year, those not, and the engine's 培训率."""
    frame = indicators(conn, month, "township", region, scope=scope, with_measures=True)
    out = pd.DataFrame({
        "region_name": frame["region_name"],
        "parent_name": parent_names(conn, scope, "township", region).reindex(frame.index),
        "workers": frame["workers"].astype(int),
        "workers_trained": frame["workers_trained"].astype(int),
    }, index=frame.index)
    out["untrained"] = out["workers"] - out["workers_trained"]
    out["training_rate"] = frame["training_rate"]
    return out.sort_values(["untrained", "training_rate"], ascending=[False, True])


def page(conn, scope: Scope, month: str, region: str | None) -> dict:
    """Everything the 培训 page shows (topics_common.head, plus): totals, untrained (by township), subs — the
    level below's indicators, by_month and sessions of the year so far."""
    out = head(conn, scope, month, region)
    if out["now"] is None:
        return out
    level = out["level"]
    return {**out, "totals": training_totals(conn, scope, month, level, region),
            "untrained": untrained_by_township(conn, scope, month, region),
            "subs": indicators(conn, month, level_below(level), region, scope=scope),
            "by_month": training_by_month(conn, scope, month, region),
            "sessions": training_sessions(conn, scope, month, region)}
