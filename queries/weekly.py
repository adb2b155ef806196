"""周调度: ISO weeks, visits against pace, assessments due, vacant director posts, silent townships, colour changes."""

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from data import kept, settings
from queries import judge
from queries.catalog import last_visit, region_info
from queries.engine import (DEFAULT_VISIT_RULE, Scope, divide, indicators_over, scope_params, scoped, visit_parts,
                            visit_shortfall)
from queries.periods import Month, Period, as_date
from queries.registry import by_key, load_registry

_WEEK = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)
# The thresholds, by their old constant names: data/settings.py declares each (default, bounds, help), and
# they are read when used, so an override counts without a re-import. PACE_WEEK_DAYS exists because with
# fewer days left than a week, visits-per-week is the remaining visits blown up (2,819 left with one day to
# go reads as "19,733 a week"): the page then says what is left and compares per day instead.
THRESHOLDS = {"SILENT_DAYS": "WEIBAO_WEEKLY_SILENT_DAYS", "LOOKBACK_DAYS": "WEIBAO_WEEKLY_LOOKBACK_DAYS",
              "OVERDUE_LOOKBACK_DAYS": "WEIBAO_WEEKLY_OVERDUE_LOOKBACK_DAYS",
              "PACE_WEEK_DAYS": "WEIBAO_WEEKLY_PACE_MIN_DAYS"}
LEVEL_BELOW = {"city": "county", "county": "township", "township": "village"}
PACE_WEEKLY, PACE_DAILY, PACE_OVER = "weekly", "daily", "over"
# Why an indicator's colour is not compared this week (colour_plan).
MID_MONTH = "mid_month"  # a month-to-date figure on a Sunday before the month's end: not judged yet
NEW_YEAR = "new_year"  # a year-to-date figure restarted on 1 January between the two Sundays


def threshold(name: str) -> int:
    """One of THRESHOLDS ('SILENT_DAYS', …) from the environment; settings.SettingError (Chinese) if it is bad."""
    return settings.read(THRESHOLDS[name])


def __getattr__(name: str):
    # `weekly.SILENT_DAYS` and `from queries.weekly import PACE_WEEK_DAYS` in the pages and the PDF.
    if name in THRESHOLDS:
        return threshold(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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

    @property
    def pace_mode(self) -> str:
        """How the month's remaining visits are put: per week (a week or more left), per day, or the month is over."""
        if self.days_left >= threshold("PACE_WEEK_DAYS"):
            return PACE_WEEKLY
        return PACE_DAILY if self.days_left else PACE_OVER

    def __str__(self) -> str:
        return self.key


def weeks_until(today: date, count: int = kept.WEEKS_OFFERED) -> list[str]:
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
        "silent_from": week.sunday - timedelta(days=threshold("SILENT_DAYS") - 1),
        "lookback_from": week.sunday - timedelta(days=threshold("LOOKBACK_DAYS") - 1),
        "overdue_from": week.sunday - timedelta(days=threshold("OVERDUE_LOOKBACK_DAYS")),
    }


def _params(conn, scope: Scope, week: Week, region: str | None, level: str = "township") -> dict:
    return {"level": level, **week_params(week), **DEFAULT_VISIT_RULE.params(),
            **scope_params(conn, scope, region)}


def _days(later: pd.Series, earlier) -> pd.Series:
    """Whole days from `earlier` to `later` (date differences, not indicators), null where missing."""
    def one(a, b):
        a, b = as_date(a), as_date(b)
        return None if a is None or b is None else (a - b).days
    if isinstance(earlier, pd.Series):
        values = [one(a, b) for a, b in zip(later, earlier)]
    else:
        values = [one(a, earlier) for a in later]
    return pd.Series(values, index=later.index, dtype="Int64")


def _kept_weeks(conn, scope: Scope, wk: Week, region: str | None, level: str) -> pd.DataFrame | None:
    """Per region of `level`, from the kept visit measures (data/kept.py keeps the Sundays of the weeks
    offered): the visits dated this week, the week before and in the 14 days up to Sunday, and the pace
    columns at Sunday. None when a day they need is not kept (then the SQL reads the rows).

    Kept rows count from the 1st of their day's month: visits dated in (a, b] are through(b) − through(a)
    within one month, plus the rest of a's month (through(a's month end) − through(a)) across two.
    """
    s0, s1, s2 = wk.sunday, wk.previous.sunday, wk.previous.previous.sunday
    days = sorted({s0, s1, s2, Month.of(s1).end, Month.of(s2).end})
    parts = visit_parts(conn, [Period.as_of(d) for d in days], level, region, scope)
    if parts is None:
        return None
    at = {d: parts.xs(i, level="period_id") for i, d in enumerate(days)}

    def between(a: date, b: date) -> pd.Series:
        through = {d: at[d]["visits_dated"] for d in (a, b, Month.of(a).end)}
        if (a.year, a.month) == (b.year, b.month):
            return through[b] - through[a]
        return through[b] + through[Month.of(a).end] - through[a]

    out = visit_shortfall(at[s0], DEFAULT_VISIT_RULE)
    out["visits_this_week"] = between(s1, s0)
    out["visits_last_week"] = between(s2, s1)
    out["visits_14d"] = between(s2, s0)
    return out


def visits_by_township(conn, scope: Scope, week: str, region: str | None = None,
                       level: str = "township") -> pd.DataFrame:
    """Per township (or per region of `level`): visits this week and last week, the change, and what the
    month still needs. county_name is the parent's name.

    visits_missing = visits still required this month by the children on the roll at Sunday;
    pace_needed = visits_missing × 7 ÷ days left, only with a week or more left (null otherwise);
    per_day_needed = visits_missing ÷ days left (null once the month is over);
    at_this_pace = visits this week × days left ÷ 7, what the days left bring at this week's pace.
    """
    wk = Week.parse(week)
    params = _params(conn, scope, wk, region, level)
    from_kept = _kept_weeks(conn, scope, wk, region, level)
    if from_kept is None:
        visits = scoped(conn, "weekly_visits", params).set_index("region_code")
        pace = scoped(conn, "weekly_pace", params).set_index("region_code")
    else:
        visits = scoped(conn, "weekly_areas", params).set_index("region_code").join(
            from_kept[["visits_this_week", "visits_last_week"]])
        pace = from_kept[["children_on_roll", "children_lacking", "visits_missing"]]
    out = visits.join(pace, how="left")
    counts = ["visits_this_week", "visits_last_week", "children_on_roll", "children_lacking", "visits_missing"]
    out[counts] = out[counts].apply(pd.to_numeric, errors="coerce").fillna(0).astype(int)
    out["change"] = out["visits_this_week"] - out["visits_last_week"]
    out["days_left"] = wk.days_left
    out["pace_needed"] = _pace_needed(out["visits_missing"], wk)
    out["per_day_needed"] = divide(out["visits_missing"], out["days_left"])
    out["at_this_pace"] = out["visits_this_week"] * wk.days_left / 7
    return out


def _pace_needed(missing: pd.Series, wk: Week) -> pd.Series:
    """Visits per week that finish the month, only with a week or more left (null otherwise)."""
    if wk.pace_mode != PACE_WEEKLY:
        return pd.Series(float("nan"), index=missing.index)
    return divide(missing * 7, pd.Series(wk.days_left, index=missing.index))


def visit_totals(frame: pd.DataFrame, week: str) -> dict:
    """The region's totals from the township rows (townships partition the region's villages), and what the
    month still needs: pace_mode says whether it is put per week, per day or as the month being over.

    enough: whether this week's visits, kept up over the days left, cover the visits still missing
    (this week × days left ≥ missing × 7); after the month's end, whether nothing is missing.
    """
    wk = Week.parse(week)
    sums = {c: int(frame[c].sum()) for c in
            ("visits_this_week", "visits_last_week", "children_on_roll", "children_lacking", "visits_missing")}
    sums["change"] = sums["visits_this_week"] - sums["visits_last_week"]
    missing, left = sums["visits_missing"], wk.days_left
    pace = _pace_needed(pd.Series([missing]), wk).iloc[0]
    sums.update({
        "days_left": left, "month_end": wk.month_end, "pace_mode": wk.pace_mode,
        "pace_needed": None if pd.isna(pace) else float(pace),
        "per_day_needed": missing / left if left else None,
        "daily_average": sums["visits_this_week"] / 7,
        "enough": missing == 0 or sums["visits_this_week"] * left >= missing * 7,
    })
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
    frame = scoped(conn, "weekly_vacant", {**week_params(wk), **scope_params(conn, scope, region)})
    frame["last_left"] = [as_date(v) for v in frame["last_left"]]
    frame["days_vacant"] = _days(pd.Series(wk.sunday, index=frame.index), frame["last_left"])
    frame["new_this_week"] = [d is not None and d >= wk.monday for d in frame["last_left"]]
    return frame.sort_values(["days_vacant", "village_code"], ascending=[False, True], na_position="last")


def silent_townships(conn, scope: Scope, week: str, region: str | None = None) -> pd.DataFrame:
    """Townships with no visit dated in the SILENT_DAYS days up to Sunday, with their last visit in the look-back."""
    wk = Week.parse(week)
    params = _params(conn, scope, wk, region)
    from_kept = _kept_weeks(conn, scope, wk, region, "township")
    if from_kept is None:
        frame = scoped(conn, "weekly_silent", params).set_index("region_code")
    else:  # the 14 days' visits kept; the last visit read only for the few townships without any
        frame = scoped(conn, "weekly_areas", params).set_index("region_code")
        frame["visits_14d"] = from_kept["visits_14d"]
        silent = frame.index[frame["visits_14d"] == 0].tolist()
        last = scoped(conn, "units_last_visit", {**params, "codes": silent or [""], "since": params["lookback_from"],
                                                 "until": wk.sunday}).set_index("region_code")
        frame["last_visit"] = last["last_visit"].reindex(frame.index)
    frame["visits_14d"] = pd.to_numeric(frame["visits_14d"]).fillna(0).astype(int)
    frame = frame[frame["visits_14d"] == 0].copy()
    frame["last_visit"] = [as_date(v) for v in frame["last_visit"]]
    frame["days_silent"] = _days(pd.Series(wk.sunday, index=frame.index), frame["last_visit"])
    return frame.drop(columns=["visits_14d"]).sort_values("days_silent", ascending=False, na_position="first")


def _level_of(conn, scope: Scope, region: str | None) -> str:
    if region is None:
        return "city"
    info = region_info(conn, region, scope)
    return info["level"] if info else "city"


@dataclass(frozen=True)
class Comparison:
    """What one judged indicator's colour at this Sunday is set against: like with like, or nothing."""

    key: str
    accrues: str
    now: Period | None
    before: Period | None
    skipped: str | None = None  # MID_MONTH or NEW_YEAR: why the two would not be like with like

    @property
    def compared(self) -> bool:
        return self.skipped is None


def colour_plan(week: str) -> list[Comparison]:
    """How colour_changes compares each judged indicator, from its registry accrual (in registry order).

    stock: this Sunday with last Sunday. year (from 1 January): the same, unless 1 January lies between them.
    month (from the 1st): a figure part-way through a month is not judged yet (judge.EARLY), so only when
    Sunday is the month's last day, and then the whole month with the whole month before.
    """
    wk = Week.parse(week)
    now, before = Period.as_of(wk.sunday), Period.as_of(wk.previous.sunday)
    out = []
    for ind in load_registry():
        if not ind.judged:
            continue
        if ind.accrues == "month":
            month = Month.of(wk.sunday)
            if now.is_partial:
                out.append(Comparison(ind.key, ind.accrues, None, None, MID_MONTH))
            else:
                out.append(Comparison(ind.key, ind.accrues, month.period, month.shift(-1).period))
        elif ind.accrues == "year" and before.year != now.year:
            out.append(Comparison(ind.key, ind.accrues, None, None, NEW_YEAR))
        else:
            out.append(Comparison(ind.key, ind.accrues, now, before))
    return out


def _judged(frame: pd.DataFrame, keys: list[str], period: Period) -> pd.DataFrame:
    """judge's states of indicators over one period; the month tells judge whether it is still in progress."""
    return judge.states(frame, keys, month=str(Month.of(period.end)))


def colour_changes(conn, scope: Scope, week: str, region: str | None = None) -> pd.DataFrame:
    """Indicator/region pairs whose colour changed between the two periods colour_plan compares.

    The region itself and the regions one level below it. Only pairs judged 绿/黄/红 on both sides count:
    数据异常 and 进行中 (judge.ANOMALY, judge.EARLY) are not colours and are left out.
    """
    plan = [c for c in colour_plan(week) if c.compared]
    level = _level_of(conn, scope, region)
    reg = by_key()
    periods = list(dict.fromkeys(p for c in plan for p in (c.now, c.before)))
    rows = []
    for lvl in (level, LEVEL_BELOW.get(level)):
        if lvl is None or not periods:
            continue
        # One pass over every period the plan needs (one query per measure family, not one per period);
        # indicators_over labels each row with str(period), which is unique per Period.
        long = indicators_over(conn, periods, lvl, region, scope=scope)
        frames = {p: long[long["month"] == str(p)].set_index("region_code") for p in periods}
        # Each period's frame judged once for every key compared at it (judging is row by row).
        keys_at: dict = {}
        for c in plan:
            keys_at.setdefault(c.now, []).append(c.key)
            keys_at.setdefault(c.before, []).append(c.key)
        judged = {p: _judged(frames[p], list(dict.fromkeys(keys)), p) for p, keys in keys_at.items()}
        for c in plan:
            now, before = frames[c.now], frames[c.before].reindex(frames[c.now].index)
            s_now = judged[c.now][c.key]
            s_before = judged[c.before][c.key].reindex(now.index)
            for code in now.index:
                a, b = s_before.at[code], s_now.at[code]
                if a not in judge.ORDER or b not in judge.ORDER or a == b:
                    continue
                # A rule relative to another figure (预算执行率 against 序时进度) can change colour with the value
                # unchanged: the reference is kept so the page can show what moved.
                ref = reg[c.key].thresholds.get("relative_to")
                rows.append({
                    "region_code": code, "region_name": now.at[code, "region_name"], "level": lvl,
                    "key": c.key, "indicator": reg[c.key].label, "accrues": c.accrues,
                    "before_end": c.before.end, "now_end": c.now.end, "before": a, "now": b,
                    "value_before": before.at[code, c.key], "value_now": now.at[code, c.key],
                    "reference": ref, "ref_before": before.at[code, ref] if ref else None,
                    "ref_now": now.at[code, ref] if ref else None,
                    "worse": judge.ORDER[b] > judge.ORDER[a],
                })
    columns = ["region_code", "region_name", "level", "key", "indicator", "accrues", "before_end", "now_end",
               "before", "now", "value_before", "value_now", "reference", "ref_before", "ref_now", "worse"]
    out = pd.DataFrame(rows, columns=columns)
    if out.empty:
        return out
    levels = {lvl: i for i, lvl in enumerate(("city", "county", "township", "village"))}
    out["_level"] = out["level"].map(levels)
    out["_key"] = out["key"].map({c.key: i for i, c in enumerate(plan)})
    out = out.sort_values(["worse", "_level", "region_code", "_key"], ascending=[False, True, True, True])
    return out.drop(columns=["_level", "_key"]).reset_index(drop=True)


def last_visit_day(conn, scope: Scope, region: str | None = None) -> date | None:
    """The latest visit date under `region` (else the whole scope): weeks after it have simply not been
    imported yet for that region, whatever other counties have sent."""
    return last_visit(conn, scope, region)


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
        "last_visit_day": last_visit_day(conn, scope, region),
    }
    return {"headline": headline, "visits": visits, "by_area": by_area, "pending": pending,
            "vacant": vacant, "silent": silent, "changes": changes, "plan": colour_plan(week)}
