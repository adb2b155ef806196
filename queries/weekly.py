"""周调度: ISO weeks, visits against pace, assessments due, vacant director posts, silent townships, colour changes."""

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from queries.catalog import region_info
from queries.compare import statuses
from queries.engine import (
    DEFAULT_VISIT_RULE, Scope, divide, indicators, run_sql, scope_params, scoped, sql,
)
from queries.periods import Period
from queries.registry import by_key, load_registry

_WEEK = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)
SILENT_DAYS = 14
LOOKBACK_DAYS = 90  # how far back the last visit of a silent township is looked for
OVERDUE_LOOKBACK_DAYS = 365  # overdue assessments older than a year are backlog, not this week's business
LEVEL_BELOW = {"city": "county", "county": "township", "township": "village"}
STATUS_ORDER = {"green": 0, "yellow": 1, "red": 2}


@dataclass(frozen=True, order=True)
class Week:
    """An ISO week: Monday to Sunday."""

    monday: date

    @classmethod
    def parse(cls, text: str) -> "Week":
        """Read '2026-W47' (also '2026W47'); ValueError otherwise."""
        m = _WEEK.match(str(text))
        if not m:
            raise ValueError(f"周的格式应为 YYYY-Www（如 2026-W47）：{text}")
        try:
            return cls(date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1))
        except ValueError:
            raise ValueError(f"没有这一周：{text}") from None

    @classmethod
    def of(cls, day: date) -> "Week":
        return cls(day - timedelta(days=day.weekday()))

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def previous(self) -> "Week":
        return Week(self.monday - timedelta(days=7))

    @property
    def key(self) -> str:
        year, number, _ = self.monday.isocalendar()
        return f"{year}-W{number:02d}"

    @property
    def label(self) -> str:
        """'2026-W47（11月16日—11月22日）'."""
        a, b = self.monday, self.sunday
        return f"{self.key}（{a.month}月{a.day}日—{b.month}月{b.day}日）"

    @property
    def month_end(self) -> date:
        """The last day of Sunday's month: the month whose visits the pace is about."""
        s = self.sunday
        return date(s.year, s.month, calendar.monthrange(s.year, s.month)[1])

    @property
    def days_left(self) -> int:
        """Days of Sunday's month after Sunday."""
        return (self.month_end - self.sunday).days

    def __str__(self) -> str:
        return self.key


def weeks_until(today: date, count: int = 26) -> list[str]:
    """ISO weeks ending on or before today, newest first."""
    newest = Week.of(today)
    if newest.sunday > today:
        newest = newest.previous
    out, week = [], newest
    for _ in range(count):
        out.append(week.key)
        week = week.previous
    return out


def last_complete_week(today: date) -> str:
    """The newest week whose Sunday is before today (on a Sunday the week is still being logged)."""
    week = Week.of(today)
    return week.previous.key


def week_params(week: Week) -> dict:
    """Bind values for the weekly SQL: the week, the week before, the month so far and look-backs."""
    return {
        "week_start": week.monday,
        "week_end": week.sunday,
        "prev_start": week.previous.monday,
        "prev_end": week.previous.sunday,
        "month_start": week.sunday.replace(day=1),
        "silent_from": week.sunday - timedelta(days=SILENT_DAYS - 1),
        "lookback_from": week.sunday - timedelta(days=LOOKBACK_DAYS - 1),
        "overdue_from": week.sunday - timedelta(days=OVERDUE_LOOKBACK_DAYS),
    }


def _params(conn, scope: Scope, week: Week, region: str | None, level: str = "township") -> dict:
    return {"level": level, **week_params(week), **DEFAULT_VISIT_RULE.params(),
            **scope_params(conn, scope, region)}


def _as_date(value) -> date | None:
    """SQLite returns MIN/MAX of a date as text, PostgreSQL as a date."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _days(later: pd.Series, earlier) -> pd.Series:
    """Whole days from `earlier` to `later` (date differences, not indicators), null where missing."""
    def one(a, b):
        a, b = _as_date(a), _as_date(b)
        return None if a is None or b is None else (a - b).days
    if isinstance(earlier, pd.Series):
        values = [one(a, b) for a, b in zip(later, earlier)]
    else:
        values = [one(a, earlier) for a in later]
    return pd.Series(values, index=later.index, dtype="Int64")


def visits_by_township(conn, scope: Scope, week: str, region: str | None = None,
                       level: str = "township") -> pd.DataFrame:
    """Per township (or per region of `level`): visits this week and last week, the change, and the pace
    needed to finish the month. county_name is the parent's name.

    pace_needed = visits_missing × 7 ÷ days left in Sunday's month (null when none are left).
    """
    wk = Week.parse(week)
    params = _params(conn, scope, wk, region, level)
    visits = scoped(conn, "weekly_visits", params).set_index("region_code")
    pace = scoped(conn, "weekly_pace", params).set_index("region_code")
    out = visits.join(pace, how="left")
    counts = ["visits_this_week", "visits_last_week", "children_on_roll", "children_lacking", "visits_missing"]
    out[counts] = out[counts].apply(pd.to_numeric, errors="coerce").fillna(0).astype(int)
    out["change"] = out["visits_this_week"] - out["visits_last_week"]
    out["days_left"] = wk.days_left
    out["pace_needed"] = divide(out["visits_missing"] * 7, out["days_left"])
    return out


def visit_totals(frame: pd.DataFrame, week: str) -> dict:
    """The region's totals from the township rows (townships partition the region's villages)."""
    wk = Week.parse(week)
    sums = {c: int(frame[c].sum()) for c in
            ("visits_this_week", "visits_last_week", "children_on_roll", "children_lacking", "visits_missing")}
    sums["change"] = sums["visits_this_week"] - sums["visits_last_week"]
    sums["days_left"] = wk.days_left
    pace = divide(pd.Series([sums["visits_missing"] * 7]), pd.Series([wk.days_left])).iloc[0]
    sums["pace_needed"] = None if pd.isna(pace) else float(pace)
    return sums


def pending_assessments(conn, scope: Scope, week: str, region: str | None = None) -> pd.DataFrame:
    """Per township with any: children awaiting assessment due soon (with the fewest days left) and overdue.

    Counts only, never child rows. days_left = earliest due − Sunday; days_overdue = Sunday − oldest due.
    """
    wk = Week.parse(week)
    params = _params(conn, scope, wk, region)
    out = scoped(conn, "weekly_assessments", params).set_index("region_code")
    for col in ("due_soon", "overdue"):
        out[col] = pd.to_numeric(out[col], errors="coerce").fillna(0).astype(int)
    out["days_left"] = _days(out["next_due"], wk.sunday)
    out["days_overdue"] = -_days(out["oldest_due"], wk.sunday)
    out = out[(out["due_soon"] > 0) | (out["overdue"] > 0)]
    out = out.drop(columns=["next_due", "oldest_due"])
    return out.sort_values(["overdue", "due_soon"], ascending=False)


def vacant_villages(conn, scope: Scope, week: str, region: str | None = None) -> pd.DataFrame:
    """Villages with no child director on Sunday: township, county, the day the last one left, days vacant.

    Villages that never had a director up to Sunday have last_left and days_vacant null.
    """
    wk = Week.parse(week)
    frame = run_sql(conn, sql("weekly_vacant"), {**week_params(wk), **scope_params(conn, scope, region)})
    frame["last_left"] = [_as_date(v) for v in frame["last_left"]]
    frame["days_vacant"] = _days(pd.Series(wk.sunday, index=frame.index), frame["last_left"])
    frame["new_this_week"] = [d is not None and d >= wk.monday for d in frame["last_left"]]
    return frame.sort_values(["days_vacant", "village_code"], ascending=[False, True], na_position="last")


def silent_townships(conn, scope: Scope, week: str, region: str | None = None) -> pd.DataFrame:
    """Townships with no visit dated in the 14 days up to Sunday, with their last visit in the look-back."""
    wk = Week.parse(week)
    frame = scoped(conn, "weekly_silent", _params(conn, scope, wk, region)).set_index("region_code")
    frame["visits_14d"] = pd.to_numeric(frame["visits_14d"]).fillna(0).astype(int)
    frame = frame[frame["visits_14d"] == 0].copy()
    frame["last_visit"] = [_as_date(v) for v in frame["last_visit"]]
    frame["days_silent"] = _days(pd.Series(wk.sunday, index=frame.index), frame["last_visit"])
    return frame.drop(columns=["visits_14d"]).sort_values("days_silent", ascending=False, na_position="first")


def _level_of(conn, scope: Scope, region: str | None) -> str:
    if region is None:
        return "city"
    info = region_info(conn, region, scope)
    return info["level"] if info else "city"


def colour_changes(conn, scope: Scope, week: str, region: str | None = None) -> pd.DataFrame:
    """Indicator/region pairs whose colour changed between last Sunday and this Sunday (month to date).

    The region itself and the regions one level below it; only pairs judged at both Sundays.
    """
    wk = Week.parse(week)
    level = _level_of(conn, scope, region)
    keys = [i.key for i in load_registry() if i.better != "none" and i.thresholds]
    reg = by_key()
    rows = []
    for lvl in (level, LEVEL_BELOW.get(level)):
        if lvl is None:
            continue
        now = indicators(conn, Period.as_of(wk.sunday), lvl, region, scope=scope)
        before = indicators(conn, Period.as_of(wk.previous.sunday), lvl, region, scope=scope)
        s_now, s_before = statuses(now, keys), statuses(before, keys).reindex(now.index)
        for code in now.index:
            for key in keys:
                a, b = s_before.at[code, key], s_now.at[code, key]
                if a is None or b is None or a == b or pd.isna(a) or pd.isna(b):
                    continue
                rows.append({
                    "region_code": code, "region_name": now.at[code, "region_name"], "level": lvl,
                    "key": key, "indicator": reg[key].name, "before": a, "now": b,
                    "value_before": before.at[code, key] if code in before.index else None,
                    "value_now": now.at[code, key],
                    "worse": STATUS_ORDER[b] > STATUS_ORDER[a],
                })
    columns = ["region_code", "region_name", "level", "key", "indicator", "before", "now",
               "value_before", "value_now", "worse"]
    out = pd.DataFrame(rows, columns=columns)
    if out.empty:
        return out
    levels = {lvl: i for i, lvl in enumerate(("city", "county", "township", "village"))}
    out["_level"] = out["level"].map(levels)
    out["_key"] = out["key"].map({k: i for i, k in enumerate(keys)})
    out = out.sort_values(["worse", "_level", "region_code", "_key"], ascending=[False, True, True, True])
    return out.drop(columns=["_level", "_key"]).reset_index(drop=True)


def last_visit_day(conn, scope: Scope) -> date | None:
    """The latest visit date in the database: weeks after it have simply not been imported yet."""
    row = run_sql(conn, sql("data_span"), {}).iloc[0]
    return _as_date(row["last_visit"])


def review(conn, scope: Scope, week: str, region: str | None = None) -> dict:
    """Everything the 周调度 page shows for one week, in one cached call.

    by_area is the visit frame one level below the region (counties of a city, townships of a county).
    """
    visits = visits_by_township(conn, scope, week, region)
    below = LEVEL_BELOW[_level_of(conn, scope, region)]
    by_area = visits if below == "township" else visits_by_township(conn, scope, week, region, below)
    pending = pending_assessments(conn, scope, week, region)
    vacant = vacant_villages(conn, scope, week, region)
    silent = silent_townships(conn, scope, week, region)
    changes = colour_changes(conn, scope, week, region)
    totals = visit_totals(visits, week)
    headline = {
        **totals,
        "due_soon": int(pending["due_soon"].sum()),
        "overdue": int(pending["overdue"].sum()),
        "vacant": int(vacant["last_left"].notna().sum()),
        "never_staffed": int(vacant["last_left"].isna().sum()),
        "vacant_new": int(vacant["new_this_week"].sum()),
        "silent": len(silent),
        "townships": len(visits),
        "colour_worse": int(changes["worse"].sum()) if len(changes) else 0,
        "colour_better": int((~changes["worse"]).sum()) if len(changes) else 0,
        "last_visit_day": last_visit_day(conn, scope),
    }
    return {"headline": headline, "visits": visits, "by_area": by_area, "pending": pending,
            "vacant": vacant, "silent": silent, "changes": changes}
