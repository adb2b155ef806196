"""Lookups around the indicators: regions in scope, months with data, freshness, demo flag."""

from datetime import date

import pandas as pd

from data import kept
from data.db import get_meta
from data.measures import day_of
from queries import fmt
from queries.engine import Scope, kept_state, scope_params, scoped
from queries import periods
from queries.periods import Month, as_date, latest_complete_month


def regions(conn, level: str, under: str | None, scope: Scope) -> pd.DataFrame:
    """Regions of a level under a region (or everywhere) inside the scope."""
    return scoped(conn, "regions", {"level": level, **scope_params(conn, scope, under)})


def regions_in_scope(conn, scope: Scope, level: str, under: str | None = None) -> pd.DataFrame:
    """regions() with the (conn, scope, ...) signature the dashboard's cache expects."""
    return regions(conn, level, under, scope)


def region_info(conn, code: str | None, scope: Scope) -> dict | None:
    """Name, level and parent of one region if the scope allows it, else None (a region above the scope has
    none of its own to show); a region beside the scope raises OutOfScope."""
    if code is None:
        return None
    frame = scoped(conn, "region_info", scope_params(conn, scope, code))
    return frame.iloc[0].to_dict() if len(frame) else None


def last_visit(conn, scope: Scope, region: str | None = None) -> date | None:
    """The latest 走访日期 under `region` (else the whole scope) inside the scope: from the kept visit rows when
    they hold one (last_visit_kept.sql), else from each child's latest visit (last_visit.sql). Both are bounded
    by the scope's size, whenever its ledger stopped."""
    params = scope_params(conn, scope, region)
    if kept_state(conn) is not None:
        found = day_of(scoped(conn, "last_visit_kept", params).iloc[0]["last_day"])
        if found is not None:
            return found
    return as_date(scoped(conn, "last_visit", params).iloc[0]["last_visit"])


def months_available(conn, scope: Scope, today: date | None = None, span: int = 36) -> list[Month]:
    """Months with data inside the scope, newest first: from the last month anything happened there (never
    after today's) back to its first enrolment, at most `span` months."""
    current = Month.of(today or periods.today())
    row = scoped(conn, "data_span", scope_params(conn, scope, None)).iloc[0]
    first = row["first_day"]
    if first is None or pd.isna(first):
        return [latest_complete_month(today)]
    last_days = [str(v)[:7] for v in (row["last_enrolment"], last_visit(conn, scope)) if v is not None and not pd.isna(v)]
    latest = min(current, max(Month.parse(d) for d in last_days))
    first = Month.parse(str(first)[:7])
    months, m = [], latest
    while m >= first and len(months) < span:
        months.append(m)
        m = m.shift(-1)
    return months


TABLE_LABELS = {"region": "区划", "child": "儿童", "worker_post": "工作人员", "station": "阵地", "visit": "走访",
                "training": "培训", "budget": "资金预算", "spending": "资金支出"}


def freshness(conn, scope: Scope) -> pd.DataFrame:
    """Per table, named as the import format names it (区划, 儿童 …): the rows it holds now inside the scope
    and its last import in local time to the minute ('2026-11-30 08:15', None if never imported).

    The import time is the whole file's (import_log keeps no region): it tells a county viewer when, never
    what another county holds.
    """
    params = scope_params(conn, scope, None)
    visit_rows, roots_kept = _visit_rows(conn, params)
    one_root = roots_kept and len(set(params["scope"])) == 1  # see freshness.sql: trainings add up per root only
    frame = scoped(conn, "freshness", {**params, "visit_rows": visit_rows, "kept": int(one_root)})
    frame["table_name"] = frame["table_name"].map(lambda name: TABLE_LABELS.get(name, name))
    frame["current_rows"] = pd.to_numeric(frame["current_rows"]).astype(int)
    # pd.isna first: a PostgreSQL timestamp column turns a missing import into NaT, which fmt cannot format.
    frame["last_import"] = [None if pd.isna(v) else fmt.minute(v) for v in frame["last_import"]]
    return frame


def _visit_rows(conn, params: dict) -> tuple[int, bool]:
    """The visits held inside the scope, and whether the kept measures (current, of this data version) cover
    the scope's roots: then the visits come from them (a province's visits counted child by child took over a
    second), else they are counted from the rows."""
    state = kept_state(conn)
    if state is not None:
        days = [Month(i // 12, i % 12 + 1).end for i in range(state.first, state.last + 1)]
        row = scoped(conn, "freshness_visits_kept", {
            **params, "days": days, "kept_from": Month(state.first // 12, state.first % 12 + 1).start,
            "kept_levels": list(kept.KEPT_LEVELS)}).iloc[0]
        if int(row["roots_kept"]) == len(set(params["scope"])) and int(row["roots_nested"]) == 0:
            return int(row["current_rows"]), True
    return int(scoped(conn, "freshness_visits", params).iloc[0]["current_rows"]), False


def data_version(conn) -> str:
    """A stamp that changes with every import: part of every cache key."""
    return get_meta(conn, "data_version") or "none"


def is_demo(conn) -> bool:
    """True when the database holds the generated demo data set (演示数据)."""
    return get_meta(conn, "is_demo") == "1"


def overview_meta(conn, scope: Scope) -> dict:
    """What every page needs once, inside the viewer's scope: the demo flag and the months with data there.

    Freshness (rows per table) is not part of it: counting the visits takes longer than every page should
    wait, so only the 口径说明 page asks for it (freshness()).
    """
    return {"demo": is_demo(conn), "months": [str(m) for m in months_available(conn, scope)]}
