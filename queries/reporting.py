"""各单位报送情况: per county or township, the latest record of each kind, the days since, and who was silent this month."""

from datetime import date

import pandas as pd

from data.measures import day_of
from queries.engine import Scope, report_parts, scope_params, scoped, visit_parts
from queries.periods import NO_MONTH, Month, as_date

# (column prefix, SQL file, sheet of the import format, the date it is dated by). Spending is booked by
# county, so it is asked only for counties and above.
KINDS = (
    ("children", "reporting_children", "儿童", "纳入日期"),
    ("visits", "reporting_visits", "走访", "走访日期"),
    ("workers", "reporting_workers", "工作人员", "任职日期"),
    ("stations", "reporting_stations", "阵地", "建成日期"),
    ("training", "reporting_training", "培训", "培训日期"),
    ("spending", "reporting_spending", "资金支出", "年月"),
)
COUNTY_ONLY = {"spending"}
LEVELS = ("city", "county", "township")


def kinds(level: str) -> list[tuple[str, str, str, str]]:
    """The kinds of record reported at a level (资金支出 only for counties and above)."""
    return [k for k in KINDS if level != "township" or k[0] not in COUNTY_ONLY]


def _months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def _visits_kept(conn, scope: Scope, period, region: str | None, level: str, params: dict) -> pd.DataFrame | None:
    """reporting_visits.sql's columns from the kept measures (the month's visits and their latest day), with
    the latest visit read from the rows only for units without one in the month; None when not kept."""
    parts = visit_parts(conn, [period], level, region, scope)
    if parts is None:
        return None
    parts = parts.droplevel("period_id")
    out = pd.DataFrame({"month_rows": parts["visits_dated"],
                        "last_on": [day_of(n) for n in parts["visit_last_day"]]}, index=parts.index)
    quiet = out.index[out["last_on"].isna()].tolist()
    if quiet:
        older = scoped(conn, "units_last_visit", {**params, "codes": quiet, "since": NO_MONTH,
                                                  "until": period.end}).set_index("region_code")
        out.loc[older.index, "last_on"] = older["last_visit"].map(as_date)
    return out


# Per kind answered by the kept measures (queries.engine.report_parts): its (count, latest day) columns.
KEPT_PARTS = {"children": ("children_new", "enrolled_last_day"), "training": ("trained_in_period", "training_last_day")}


def _kept(parts: pd.DataFrame | None, kind: str) -> pd.DataFrame | None:
    """A kind's month_rows and last_on from the kept parts (as its reporting_*.sql gives them), if kept."""
    if parts is None or kind not in KEPT_PARTS:
        return None
    count, latest = KEPT_PARTS[kind]
    return pd.DataFrame({"month_rows": parts[count], "last_on": [day_of(n) for n in parts[latest]]},
                        index=parts.index)


def per_unit(conn, scope: Scope, month: str, region: str | None = None, level: str = "township") -> pd.DataFrame:
    """One row per unit of `level` under `region` inside `scope`, units that reported nothing listed first.

    Columns: region_code, region_name, parent_code, parent_name (a township's county); per kind
    `{kind}_last` (latest date on or before the as-of day) and `{kind}_days` (days from it to the as-of
    day; for 资金支出, dated by month, `spending_months`: whole months from its 年月 to the as-of month);
    `visits_month` and `children_month` (visits and new children in the month so far); flags
    `no_visit`, `no_new_child` and `silent` (no record of any kind dated in the month); `as_of`.

    The as-of day is the month's end, or today (queries.periods.today) for the month in progress; records
    dated after it are left out, so a past month reads as it stood then. Counts are of the rows held now.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}")
    period = Month.parse(month).period_until()
    params = {"level": level, "month_start": period.start, "as_of": period.end,
              **scope_params(conn, scope, region)}
    frame = scoped(conn, "reporting_units", params).set_index("region_code")
    reported = pd.Series(False, index=frame.index)
    parts = report_parts(conn, period, level, region, scope)
    for kind, name, _sheet, _dated_by in kinds(level):
        part = _visits_kept(conn, scope, period, region, level, params) if kind == "visits" else _kept(parts, kind)
        if part is None:
            part = scoped(conn, name, params).set_index("region_code")
        last = part["last_on"].map(as_date).reindex(frame.index)
        last = last.astype(object).where(last.notna(), None)
        month_rows = pd.to_numeric(part["month_rows"]).reindex(frame.index).fillna(0).astype(int)
        frame[f"{kind}_last"] = last
        if kind == "spending":
            frame["spending_months"] = pd.array(
                [None if d is None or pd.isna(d) else _months_between(d, period.end) for d in last], dtype="Int64")
        else:
            frame[f"{kind}_days"] = pd.array(
                [None if d is None or pd.isna(d) else (period.end - d).days for d in last], dtype="Int64")
        frame[f"{kind}_month"] = month_rows
        reported |= month_rows > 0
    frame["no_visit"] = frame["visits_month"] == 0
    frame["no_new_child"] = frame["children_month"] == 0
    frame["silent"] = ~reported
    frame["as_of"] = period.end
    frame = frame.reset_index()
    # Silent units first, then those without a visit, each group in code order (county, then township).
    order = frame.assign(_s=~frame["silent"], _v=~frame["no_visit"]).sort_values(
        ["_s", "_v", "parent_code", "region_code"], kind="stable").index
    return frame.loc[order].reset_index(drop=True)
