"""Runs the indicator families for (level, region, month) inside a scope and computes every ratio once."""

import json
import re
import threading
import weakref
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from sqlalchemy import Date, bindparam, text

from data import kept, schema
from data import measures as measures_declared
from data.measures import MAX_VISITS_KEPT
from data.vocab import LEVEL_ORDER
from queries.periods import NO_MONTH, Month, Period
from queries.registry import Indicator, load_registry

SQL_DIR = Path(__file__).with_name("sql")
FAMILIES = measures_declared.FAMILIES
RISK_KEYS = measures_declared.RISK_KEYS


ROLES = ("city", "county", "inspector", "admin")  # 市级, 县级, 督查, 管理员


class OutOfScope(PermissionError):
    """A region asked for lies outside the viewer's scope: refused, never silently widened.

    The message names no region but the code asked for (never another region's name); `region` and `roots`
    are for the audit record.
    """

    def __init__(self, region, roots):
        self.region = region
        self.roots = roots
        shown = region if isinstance(region, str) and re.fullmatch(r"\d{12}", region) else "（无法识别的区划）"
        super().__init__(f"无权查看该区域：{shown}不在本账号的查看范围内。")


@dataclass(frozen=True)
class Scope:
    """What a viewer may see and whom they are compared with.

    roots: the region codes whose rows the viewer may see (each with everything under it); None = every region.
    peers: the region whose *aggregate* and ranks (numbers only, never another unit's name or figures) the
    viewer is compared against — for a county user, its city. None: the peers are inside roots already.
    """

    roots: tuple[str, ...] | None = None
    peers: tuple[str, ...] | None = None

    @classmethod
    def everything(cls) -> "Scope":
        return cls(None)

    @classmethod
    def for_viewer(cls, conn, role: str, region: str) -> "Scope":
        """The scope a login gets, from its role and region by parent links (never code prefixes).

        county (县级): roots = its county, peers = the county's parent city (compared with, never shown);
        city, inspector, admin (市级, 督查, 管理员): roots = their region, peers = None.
        ValueError (Chinese) for an unknown role, a region not in the database, or a county role on a region
        that is not a county.
        """
        if role not in ROLES:
            raise ValueError(f"未知的角色：{role}（可用：{'、'.join(ROLES)}）")
        found = scoped(conn, "viewer_region", {"code": str(region)})
        if found.empty:
            raise ValueError(f"区划代码不存在：{region}")
        row = found.iloc[0]
        if role != "county":
            return cls((str(region),))
        if row["level"] != "county":
            raise ValueError(f"县级账号的区域应为县级区划，{region} 不是县级区划")
        parent = row["parent_code"]
        return cls((str(region),), (str(parent),) if isinstance(parent, str) and parent else None)

    def peer_scope(self) -> "Scope":
        """The scope ranks and the reference aggregate are computed in: the peers' when set, else this one.

        Rows computed in it never leave queries/: only ranks, counts and the peers' own aggregate row do.
        """
        return Scope(self.peers) if self.peers is not None else self


@dataclass(frozen=True)
class VisitRule:
    """Visits required per month by risk level; the contract's default is 1 for every child."""

    per_level: dict = field(default_factory=lambda: {k: 1 for k in RISK_KEYS})

    def params(self) -> dict:
        return {f"need_{k}": int(self.per_level.get(k, 1)) for k in RISK_KEYS}


DEFAULT_VISIT_RULE = VisitRule()


@lru_cache(maxsize=None)
def sql(name: str) -> str:
    """The text of queries/sql/NAME.sql without its comment lines (they name parameters too)."""
    lines = (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.lstrip().startswith("--"))


def _statement(body: str, params: dict):
    # Dates are bound with the Date type so SQLite gets ISO text and PostgreSQL a real date.
    statement = text(body)
    used = statement._bindparams  # only names that occur in this text may be typed
    binds = [bindparam(k, expanding=True) for k in ("roots", "scope", "target_codes", "codes", "kept_levels")
             if k in used]
    binds += [bindparam(k, expanding=True, type_=Date) for k in ("days",) if k in used]
    binds += [bindparam(k, type_=Date) for k, v in params.items() if isinstance(v, date) and k in used]
    return statement.bindparams(*binds)


def _execute(conn, body: str, params: dict):
    return conn.execute(_statement(body, params), params)


def _run(conn, body: str, params: dict) -> pd.DataFrame:
    result = _execute(conn, body, params)
    names, rows = list(result.keys()), result.fetchall()
    return pd.DataFrame({name: _column(values) for name, values in zip(names, zip(*rows))} if rows else
                        {name: pd.Series([], dtype=object) for name in names}, columns=names)


def _column(values: tuple):
    """One result column with the dtype pandas would infer from the rows (int64, float64, bool, str, object).

    Column by column, numbers straight into numpy: building the frame from row mappings spent more time in
    type checks than SQLite spent in the query."""
    array = np.array(values)
    if array.dtype.kind in "iuf" and array.ndim == 1:
        return array
    return pd.Series(list(values), dtype=object).infer_objects()


# Statements that read no child data and so run without a scope. Each says why; tests/test_scope_structure.py
# holds the same list and fails on any other file that binds no :scope.
UNSCOPED = {
    "top_regions": "defines what 'everything' means: the codes of the regions with no parent",
    "viewer_region": "one region's level and parent, read to build a login's scope before there is one",
    "kept_state": "the months the kept measures cover and the last date loaded: dates, no child data",
    "targets_listed": "the CTE `target` as targets.sql, run with the caller's :scope, returned it",
}
_TARGET = re.compile(r"\b(?:FROM|JOIN)\s+target\b", re.IGNORECASE)


@lru_cache(maxsize=None)
def uses_target(name: str) -> bool:
    """Whether queries/sql/NAME.sql reads the CTE `target` (the scoped regions of sql('targets'))."""
    return bool(_TARGET.search(sql(name)))


class ScopeMissing(RuntimeError):
    """A statement was about to run without the viewer's scope bound: a bug in queries/, never a page's input."""


def scoped(conn, name: str, params: dict, ctes: tuple[tuple[str, str], ...] = ()) -> pd.DataFrame:
    """Run queries/sql/NAME.sql inside the viewer's scope: the one door from queries/ to the data.

    `params` must carry the scope (scope_params, or :scope of a scope check) unless the statement is in
    UNSCOPED; a file that reads `target` gets it as a CTE, followed by any extra `ctes` (name, body).
    """
    # A page asks the same statement more than once (a list and its totals): answered once per connection,
    # which the dashboard opens per cached call. Copies, since callers add columns to what they get.
    key = ("scoped", name, _frozen(params), ctes)
    memo = _memo(conn)
    if key not in memo:
        memo[key] = _run(conn, *_scoped_statement(conn, name, params, ctes))
    return memo[key].copy()


def _frozen(params: dict) -> tuple:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))


def scoped_columns(conn, name: str, params: dict, ctes: tuple[tuple[str, str], ...] = ()) -> dict:
    """scoped() as {column: numpy array}, for wide numeric results read straight into arrays (the kept
    measures): the same door and scope check, without building a frame that is taken apart at once."""
    result = _execute(conn, *_scoped_statement(conn, name, params, ctes))
    names, rows = list(result.keys()), result.fetchall()
    if not rows:
        return {n: np.array([], dtype=object) for n in names}
    return {n: np.array(values) for n, values in zip(names, zip(*rows))}


def _scoped_statement(conn, name: str, params: dict, ctes) -> tuple[str, dict]:
    if name not in UNSCOPED and "scope" not in params:
        raise ScopeMissing(f"查询 {name} 未绑定查看范围（须经 scope_params），已拒绝执行")
    parts = list(ctes)
    if uses_target(name):
        codes = _target_codes(conn, params)
        if codes is None:
            parts.insert(0, ("target", sql(_targets_file(params))))
        else:
            parts.insert(0, ("target", sql("targets_listed")))
            params = {**params, "target_codes": codes or [""]}
    body = sql(name)
    if parts:
        head = ",\n".join(f"{cte} AS (\n{text_}\n)" for cte, text_ in parts)
        # A file with CTEs of its own continues the WITH list instead of opening a second one.
        own = re.match(r"\s*WITH\s+", body, re.IGNORECASE)
        body = f"WITH {head},\n{body[own.end():]}" if own else f"WITH {head}\n{body}"
    return body, params


# Above this many target regions the closure is walked in each statement (SQLite binds at most 32,766 values).
TARGET_LIST_MAX = 1_000


def _targets_file(params: dict) -> str:
    """Which of the two equivalent target statements suits the level (see their comments)."""
    return "targets_villages" if params.get("level") == "village" else "targets"


def _target_codes(conn, params: dict) -> list[str] | None:
    """The codes of targets.sql for these bind values, run once per connection; None when there are too many
    to bind (the statement then walks the closure itself)."""
    memo = _memo(conn)
    key = ("targets", params.get("level"), tuple(params.get("roots") or ()), tuple(params.get("scope") or ()))
    if key not in memo:
        # At most one code more than can be bound: a city's 6,000 villages are not all read to learn that.
        capped = _capped_targets(_targets_file(params))
        found = _run(conn, capped, {**params, "target_cap": TARGET_LIST_MAX + 1})["code"].astype(str).tolist()
        # Judged on the rows read, not the distinct codes: a list cut at the cap may have lost codes that
        # duplicates (nested roots) crowded out, so a cut list is walked by the statement instead.
        memo[key] = list(dict.fromkeys(found)) if len(found) <= TARGET_LIST_MAX else None
    return memo[key]


@lru_cache(maxsize=None)
def _capped_targets(name: str) -> str:
    """The target statement stopped at :target_cap rows. The villages' DISTINCT goes (the caller de-duplicates),
    so the walk stops at the cap instead of collecting a city's 6,000 villages first (济南 of the province on
    PostgreSQL: 17 → 3–7 ms)."""
    body = sql(name)
    if name == "targets_villages":
        body = re.sub(r"^SELECT DISTINCT\b", "SELECT", body, count=1, flags=re.MULTILINE)
        if "DISTINCT" in body:
            raise RuntimeError("queries/sql/targets_villages.sql: its DISTINCT is no longer the first SELECT's")
        return f"{body}\nLIMIT :target_cap"
    return f"SELECT code FROM (\n{body}\n) listed LIMIT :target_cap"


# Per connection (the dashboard opens one per cached call): the top regions and the scope checks already made,
# so a page function that binds its scope five times looks the closure table up once.
_seen: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_seen_lock = threading.Lock()


def _memo(conn) -> dict:
    with _seen_lock:
        try:
            return _seen.setdefault(conn, {})
        except TypeError:  # an object without weak references (a test double): no memo
            return {}


# The top regions per database and data version, for every connection, where meta does not hold them (a
# database whose regions were written before rebuild_closure kept them): finding them reads the whole region
# table (72,000 rows at province scale), which cost more than the page's kept measures.
_top_by_version: dict = {}


def top_regions(conn) -> list[str]:
    """Regions with no parent in the table: what 'everything' means."""
    memo = _memo(conn)
    if "top" not in memo:
        kept_top = _meta(conn).get(schema.META_TOP_REGIONS)
        if kept_top is not None:
            memo["top"] = [str(code) for code in json.loads(kept_top)]
            return list(memo["top"])
        version = _meta(conn).get("data_version")
        key = (str(conn.engine.url), version)
        if version is None or key not in _top_by_version:
            found = [str(code) for code in scoped_columns(conn, "top_regions", {})["code"]]
            if version is None:
                memo["top"] = found
                return found
            if len(_top_by_version) > 64:
                _top_by_version.clear()
            _top_by_version[key] = found
        memo["top"] = list(_top_by_version[key])
    return memo["top"]


def check_region(conn, scope: Scope, region: str | None) -> None:
    """Refuse (OutOfScope) a region that is neither under the scope's roots nor above them, by parent links.

    A region above the roots (a county viewer's city) is allowed: every statement intersects it with the
    scope, so it narrows to the viewer's own part and never widens.
    """
    if region is None or scope.roots is None:
        return
    memo = _memo(conn)
    key = ("check", scope.roots, region)
    if key not in memo:
        row = scoped(conn, "scope_check", {"region": str(region), "scope": list(scope.roots)}).iloc[0]
        memo[key] = int(row["inside"] or 0) > 0 or int(row["above"] or 0) > 0
    if not memo[key]:
        raise OutOfScope(region, scope.roots)


def scope_params(conn, scope: Scope, region: str | None) -> dict:
    """Bind values for every scoped statement: :roots to search under (the region asked for, else the scope)
    and :scope, what the caller may see. A region outside the scope raises OutOfScope."""
    check_region(conn, scope, region)
    allowed = list(scope.roots) if scope.roots is not None else top_regions(conn)
    roots = [region] if region else allowed
    return {"roots": roots or [""], "scope": allowed or [""]}


def divide(numerator, denominator):
    """The one division: null where the denominator is 0 or missing (Series are aligned on their index)."""
    num = pd.to_numeric(numerator, errors="coerce").astype(float)
    den = pd.to_numeric(denominator, errors="coerce").astype(float)
    if isinstance(num, pd.Series) and isinstance(den, pd.Series):
        num, den = num.align(den)
        return pd.Series(quotient(num.to_numpy(), den.to_numpy()), index=num.index)
    return quotient(np.asarray(num, dtype=float), np.asarray(den, dtype=float))


def quotient(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """divide() on float arrays of equal length: every ratio of the product goes through here."""
    with np.errstate(divide="ignore", invalid="ignore"):
        values = num / den
    values[np.isnan(den) | (den == 0)] = np.nan
    return values


def as_period(when: Month | Period | str) -> Period:
    """Accept a Month, a 'YYYY-MM' text or a Period; a month in progress counts up to today."""
    if isinstance(when, Period):
        return when
    return (Month.parse(when) if isinstance(when, str) else when).period_until()


def period_params(period: Period) -> dict:
    """Bind values for the dates of contract §2: month start, E, Y, E − 30 days, the year."""
    return {
        "month_start": period.start,
        "month_end": period.end,
        "year_start": period.year_start,
        "year": period.year,
        "due_cutoff": period.assessment_cutoff,
    }


PERIOD_COLUMNS = ("month_start", "month_end", "year_start", "year", "due_cutoff", "spend_until",
                  "cohort_month", "window_from", "window_to", "kept_day", "cohort_day")


def period_cte(periods: list[Period], ids: list[int] | None = None, state: "KeptState | None" = None
               ) -> tuple[str, dict]:
    """The CTE body listing the periods one statement computes (numbered by `ids`, default 0, 1, …), with its
    bind values. kept_day: the day of the kept rows answering the period (NO_MONTH where none does, or no
    `state` is given); cohort_day: that of the year-to-date enrolment counts (assessment_parts, or with a
    `state` the latest kept Sunday before the cutoff), and window_from..window_to the days after it up to the
    cutoff, read from the child table.

    Only numbered bind *names* are generated here; every value is bound, never written into the SQL.
    """
    rows, params = [], {}
    for i, period in zip(ids if ids is not None else range(len(periods)), periods):
        cohort_month, window_from, window_to = period.assessment_parts
        cohort_day = NO_MONTH if cohort_month == NO_MONTH else Month.of(cohort_month).end
        if state is not None and window_from <= window_to:
            # A kept Sunday closer to the cutoff than the month's end before it: its year-to-date counts cover
            # more, and the window read from the child table shrinks (a Sunday's cutoff, E − 30 days, falls on a
            # Friday: from a whole month of the province's enrolments to five days).
            nearer = max((d for d in state.sundays if cohort_day < d <= window_to and d.year == window_to.year),
                         default=None)
            if nearer is not None:
                cohort_day, window_from = nearer, nearer + timedelta(days=1)
        values = (period.start, period.end, period.year_start, period.year, period.assessment_cutoff,
                  period.month_start, cohort_month, window_from, window_to,
                  kept_day(state, period) or NO_MONTH, cohort_day)
        names = [f"p{i}_{column}" for column in PERIOD_COLUMNS]
        params.update(zip(names, values))
        rows.append(f"SELECT {i} AS period_id, "
                    + ", ".join(f":{name} AS {column}" for name, column in zip(names, PERIOD_COLUMNS)))
    return "\nUNION ALL\n".join(rows), params


class KeptState(NamedTuple):
    """What the kept measures of a database answer: months first..last (year*12 + month - 1), the Sundays
    kept besides the month ends, and the last date loaded."""

    first: int
    last: int
    last_day: date
    sundays: frozenset


def kept_state(conn) -> KeptState | None:
    """The kept measures' coverage, or None when this database keeps none (made before they existed, or by
    an earlier layout of the kept tables) or keeps them for another data version (rows written without
    refreshing them): then everything is computed from the rows."""
    memo = _memo(conn)
    if "kept" not in memo:
        found = _meta(conn)
        first, last, day = (found.get(k) for k in (kept.META_FIRST, kept.META_LAST, kept.META_LAST_DAY))
        current = (found.get(kept.META_VERSION) or "") == (found.get("data_version") or "")
        layout = found.get(kept.META_LAYOUT) == kept.LAYOUT
        memo["kept"] = KeptState(int(first), int(last), date.fromisoformat(day) if day else date.min,
                                 frozenset(kept.sundays_between(found.get(kept.META_SUNDAYS)))) \
            if first and last and current and layout else None
    return memo["kept"]


def _meta(conn) -> dict:
    """The kept measures' facts and the data version, read once per connection."""
    memo = _memo(conn)
    if "meta" not in memo:
        memo["meta"] = dict(zip(*scoped_columns(conn, "kept_state", {}).values()))
    return memo["meta"]


def kept_day(state: KeptState | None, period: Period) -> date | None:
    """The day of the kept rows that answer this period exactly, or None: its month is kept, and the period
    is the whole month, or nothing was loaded after its last day (the month in progress, which ends today:
    the loader refuses later dates), both answered by the month's row; or it ends on a kept Sunday."""
    if state is None:
        return None
    index = period.start.year * 12 + period.start.month - 1
    if not state.first <= index <= state.last or period.start != period.month_start:
        return None
    if not period.is_partial or state.last_day <= period.end:
        return Month.of(period.end).end
    return period.end if period.end in state.sundays else None


def keeps(state: KeptState | None, period: Period, visit_rule: VisitRule) -> bool:
    """Whether the kept measures answer this period exactly (kept_day) under this visit rule: it asks no
    more visits than the kept counts go up to."""
    if max(visit_rule.per_level.values(), default=1) > MAX_VISITS_KEPT:
        return False
    return kept_day(state, period) is not None


def _counts(values: np.ndarray) -> np.ndarray:
    """A kept count column as int64: left joins leave NULL where a family keeps no row for the region and
    day, which reads as 0."""
    if values.dtype.kind in "iu":
        return values.astype(np.int64)
    return np.array([0 if v is None else v for v in values], dtype=np.int64)


def _money(values: np.ndarray) -> np.ndarray:
    return np.array([0.0 if v is None else float(v) for v in values], dtype=float)


def _kept_index(got: dict) -> pd.MultiIndex:
    return pd.MultiIndex.from_arrays([got["period_id"].astype(np.int64), got["target_code"].astype(object)],
                                     names=["period_id", "region_code"])


def visits_kept(conn, periods: list[Period], level: str) -> KeptState | None:
    """The kept state when the kept visit measures answer every period at this level — villages only at
    month ends (data/kept.py) — else None (the caller then reads the rows)."""
    state = kept_state(conn)
    if state is None:
        return None
    if level == "village":
        answered = all(kept_day(state, p) == Month.of(p.end).end for p in periods)
    else:
        answered = level in kept.KEPT_LEVELS and all(kept_day(state, p) is not None for p in periods)
    return state if answered else None


def visit_parts(conn, periods: list[Period], level: str, region: str | None, scope: Scope) -> pd.DataFrame | None:
    """Every kept column of the visit measures (data/measures.py: by risk level and count, visits_dated,
    visit_last_day) per (period_id, region_code) and region_name, when visits_kept answers; None otherwise.
    For the weekly review's differences between Sundays and 各单位报送情况's visits."""
    state = visits_kept(conn, periods, level)
    if state is None:
        return None
    key = ("visit parts", tuple(periods), level, region, scope)
    memo = _memo(conn)
    if key not in memo:
        periods_sql, params = period_cte(periods, None, state)
        params.update({"level": level, **scope_params(conn, scope, region)})
        got = scoped_columns(conn, "kept_visit_parts", params, (("period", periods_sql),))
        out = {"region_name": pd.array(got["region_name"].astype(object), dtype="str")}
        out.update({m.name: _counts(got[m.name]) for m in measures_declared.kept("visits")})
        memo[key] = pd.DataFrame(out, index=_kept_index(got)).sort_index()
    return memo[key].copy()


# The kept columns of 各单位报送情况's new children and training (kept_report_parts.sql).
REPORT_PARTS = ("children_new", "enrolled_last_day", "trained_in_period", "training_last_day")


def report_parts(conn, period: Period, level: str, region: str | None, scope: Scope) -> pd.DataFrame | None:
    """REPORT_PARTS per region_code of `level` under `region` inside the scope, from the kept rows of the
    period's day; None when they do not answer it (no kept state, a level below the township, a day not kept)."""
    state = kept_state(conn)
    if state is None or level not in kept.KEPT_LEVELS or kept_day(state, period) is None:
        return None
    periods_sql, params = period_cte([period], None, state)
    params.update({"level": level, **scope_params(conn, scope, region)})
    got = scoped_columns(conn, "kept_report_parts", params, (("period", periods_sql),))
    return pd.DataFrame({name: _counts(got[name]) for name in REPORT_PARTS},
                        index=pd.Index(got["target_code"].astype(str), name="region_code"))


def shortfall(count, visit_rule: VisitRule) -> tuple:
    """The visit rule applied to kept parts (count(name) gives a part's column): the children on the roll,
    those lacking the visits the rule asks for their risk level, and the visits still missing (Σ over children
    of need − done, where done < need). The one place that turns the kept visit parts into measures.

    Σ max(0, need − done) = Σ_{k=1..need} #(done < k) = Σ_{k=1..need} (on_roll − visited_k), exact for a
    need up to MAX_VISITS_KEPT; a rule asking more raises ValueError (the caller reads the rows instead)."""
    need = visit_rule.params()
    if max(need.values(), default=0) > MAX_VISITS_KEPT:
        raise ValueError("visit rule beyond the kept counts")
    on_roll = lacking = missing = 0
    for risk in RISK_KEYS:
        roll, n = count(f"on_roll_{risk}"), need[f"need_{risk}"]
        on_roll = on_roll + roll
        if n > 0:
            lacking = lacking + roll - count(f"visited_{risk}_{n}")
            missing = missing + sum(roll - count(f"visited_{risk}_{k}") for k in range(1, n + 1))
    return on_roll, lacking, missing


def visit_shortfall(parts: pd.DataFrame, visit_rule: VisitRule) -> pd.DataFrame:
    """shortfall() per row of visit_parts: children_on_roll, children_lacking, visits_missing."""
    on_roll, lacking, missing = shortfall(lambda name: parts[name].to_numpy(np.int64), visit_rule)
    zero = np.zeros(len(parts), dtype=np.int64)
    return pd.DataFrame({"children_on_roll": on_roll + zero, "children_lacking": lacking + zero,
                         "visits_missing": missing + zero}, index=parts.index)


def _kept_pass(conn, params: dict, ctes, families, visit_rule: VisitRule) -> pd.DataFrame:
    """The families' shown measures from the kept tables, in one statement; the assessment cutoff is applied
    here and the visit rule by shortfall(): the places that turn kept parts into measures."""
    got = scoped_columns(conn, "kept_measures", params, ctes)
    index = _kept_index(got)

    def count(name: str) -> np.ndarray:
        return _counts(got[name])

    def money(name: str) -> np.ndarray:
        return _money(got[name])

    out = {"region_name": pd.array(got["region_name"].astype(object), dtype="str")}
    for family in families:
        if family == "children":
            out.update({n: count(n) for n in measure_names("children")
                        if n not in ("assessment_due", "assessed_on_time")})
            out["assessment_due"] = count("cohort_due") + count("window_due")
            out["assessed_on_time"] = count("cohort_on_time") + count("window_on_time")
        elif family == "visits":
            out.update(_visit_measures(count, visit_rule))
        else:
            kinds = {m.name: m.unit for m in measures_declared.kept(family)}
            out.update({n: (money(n) if kinds[n] == "元" else count(n)) for n in measure_names(family)})
    return pd.DataFrame(out, index=index)


def _measures_pass(conn, periods: list[Period], ids: list[int], base: dict, families, visit_rule,
                   state: KeptState | None):
    """One pass over periods: from the kept rows when `state` is given (every period kept), else the rows."""
    periods_sql, params = period_cte(periods, ids, state)
    params.update(base)
    ctes = (("period", periods_sql),)
    if state is not None:
        return _kept_pass(conn, params, ctes, families, visit_rule)
    keys = ["period_id", "region_code"]
    frame = scoped(conn, "target_regions", params, ctes).set_index(keys)
    for family in families:
        part = scoped(conn, family, params, ctes)
        if set(part.columns) - set(keys) != set(measure_names(family)):  # data/measures.py is the list
            raise RuntimeError(f"queries/sql/{family}.sql gives {sorted(part.columns)}, "
                               f"data/measures.py declares {measure_names(family)}")
        frame = frame.join(part.set_index(keys), how="left")
    return frame


def measure_names(family: str) -> list[str]:
    return measures_declared.shown(family)


def measures_over(conn, periods: list[Period], level: str, region: str | None, scope: Scope,
                  visit_rule: VisitRule = DEFAULT_VISIT_RULE, families: tuple[str, ...] = FAMILIES) -> pd.DataFrame:
    """Every measure (counts and sums) per period and target region.

    Whole months (and the month in progress) inside the kept range are read from the kept monthly measures
    (data/kept.py): a few rows per target region. Any other period — a week's end in a past month, a month
    before the kept range, a visit rule beyond the kept counts — is computed from the rows, one query per
    family for all such periods. Both give the same numbers (tests/test_kept.py).
    `families` narrows the work when a caller needs only some measures (indicators of the others are null).
    """
    if level not in LEVEL_ORDER:
        raise ValueError(f"unknown level {level!r}")
    # A page asks for the same measures several times (a snapshot, its ranks, the reference row): once per
    # connection, which the dashboard opens per cached call, so the memo never outlives a data version.
    key = ("measures", tuple(periods), level, region, scope, tuple(sorted(visit_rule.per_level.items())),
           tuple(families))
    memo = _memo(conn)
    if key in memo:
        return memo[key].copy()
    frame = _measures_over(conn, periods, level, region, scope, visit_rule, families)
    memo[key] = frame
    return frame.copy()


def _measures_over(conn, periods, level, region, scope, visit_rule, families) -> pd.DataFrame:
    base = {"level": level, **visit_rule.params(), **scope_params(conn, scope, region)}
    # Villages keep only the month's visit counts (data/kept.py): their other measures are read from the rows,
    # and their visits too where the kept counts do not answer every period (a week's end, a rule beyond them).
    state = kept_state(conn) if level != "village" else None
    village_visits = level == "village" and "visits" in families and _village_visits_kept(conn, periods, visit_rule)
    from_rows = tuple(f for f in families if not (village_visits and f == "visits"))
    use = [keeps(state, p, visit_rule) for p in periods]
    frames = []
    for answered in (True, False):
        ids = [i for i, u in enumerate(use) if u == answered]
        if ids:
            frames.append(_measures_pass(conn, [periods[i] for i in ids], ids, base, from_rows, visit_rule,
                                         state if answered else None))
    if use and all(use):
        frame = frames[0]  # numeric already, every column in place (_kept_pass)
    else:
        columns = ["region_name", *(m for f in families for m in measure_names(f))]
        frame = pd.concat(frames) if len(frames) > 1 else frames[0]
        if village_visits:
            frame = frame.join(_village_visit_measures(conn, periods, region, scope, visit_rule), how="left")
        frame = frame.reindex(columns=columns)
        sums = columns[1:]
        frame[sums] = frame[sums].apply(pd.to_numeric, errors="coerce").fillna(0)
    period_ids = frame.index.get_level_values("period_id")
    frame["months_elapsed"] = [periods[i].months_elapsed for i in period_ids]
    frame["months_in_year"] = 12
    return frame.sort_index()


def _village_visits_kept(conn, periods: list[Period], visit_rule: VisitRule) -> bool:
    """Whether the villages' kept month-end visit counts answer every period under this rule (keeps())."""
    state = visits_kept(conn, periods, "village")
    return state is not None and all(keeps(state, p, visit_rule) for p in periods)


def _village_visit_measures(conn, periods: list[Period], region: str | None, scope: Scope,
                            visit_rule: VisitRule) -> pd.DataFrame:
    """The visit family's shown measures per (period_id, village) from the kept village rows: what visits.sql
    gives from the visit rows (6,161 villages of 济南 of the province: 0.6–0.7 s from the rows)."""
    parts = visit_parts(conn, periods, "village", region, scope)
    return pd.DataFrame(_visit_measures(lambda name: parts[name].to_numpy(np.int64), visit_rule), index=parts.index)


def _visit_measures(count, visit_rule: VisitRule) -> dict:
    """The visit family's shown measures from its kept parts (count(name) gives a part's column)."""
    on_roll, lacking, _missing = shortfall(count, visit_rule)
    return {"children_visited": on_roll - lacking, "visits_logged": count("visits_logged")}


def measures(conn, when: Month | Period | str, level: str, region: str | None, scope: Scope,
             visit_rule: VisitRule = DEFAULT_VISIT_RULE) -> pd.DataFrame:
    """Every measure (counts and sums) per target region for one period, indexed by region code."""
    frame = measures_over(conn, [as_period(when)], level, region, scope, visit_rule)
    return frame.droplevel("period_id")


def _ratios(m: pd.DataFrame, level: str, with_measures: bool) -> pd.DataFrame:
    # Column arrays, one frame at the end: the same values as divide() column by column, without a copy of the
    # (period, region) index per indicator, which cost more than the kept measures' statement itself.
    columns = {"region_name": m["region_name"].to_numpy()}
    for ind in load_registry():
        columns[ind.key] = _value_array(ind, m, level)
    out = pd.DataFrame(columns, index=m.index)
    if with_measures:
        extra = [c for c in m.columns if c not in out.columns]
        out = pd.concat([out, m[extra]], axis=1)
    return out


def _value_array(ind: Indicator, m: pd.DataFrame, level: str) -> np.ndarray:
    """One indicator's values: null below min_level (not zero), where its family was not asked for, and over a
    0 denominator."""
    missing = np.full(len(m), np.nan)
    if not ind.applies_at(level):
        return missing
    needed = [ind.numerator, ind.denominator] if ind.is_ratio else [ind.measure]
    if any(name not in m.columns for name in needed):
        return missing
    as_float = [_floats(m[name]) for name in needed]
    return quotient(*as_float) if ind.is_ratio else as_float[0]


def _floats(column: pd.Series) -> np.ndarray:
    # The kept path's columns are numpy numbers already; the rows' may hold text or None (pandas' coercion).
    if column.dtype.kind in "iuf":
        return column.to_numpy(dtype=float)
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)


def indicators(conn, month: Month | Period | str, level: str, region: str | None = None, *,
               scope: Scope, visit_rule: VisitRule = DEFAULT_VISIT_RULE,
               with_measures: bool = False) -> pd.DataFrame:
    """One row per region of `level` under `region` inside `scope`: region_name and every indicator key."""
    return _ratios(measures(conn, month, level, region, scope, visit_rule), level, with_measures)


def indicators_over(conn, months: list[Month], level: str, region: str | None = None, *,
                    scope: Scope, visit_rule: VisitRule = DEFAULT_VISIT_RULE,
                    with_measures: bool = False, families: tuple[str, ...] = FAMILIES) -> pd.DataFrame:
    """indicators() for several months in one pass: long format with a `month` column, then region_code."""
    m = measures_over(conn, [as_period(mo) for mo in months], level, region, scope, visit_rule, families)
    out = _ratios(m, level, with_measures).reset_index()
    out.insert(0, "month", [str(months[i]) for i in out.pop("period_id")])
    return out


def indicator_frame_for(conn, scope: Scope, month: str, level: str, region: str | None = None,
                        with_measures: bool = False) -> pd.DataFrame:
    """indicators() with the (conn, scope, ...) signature every page-facing query shares."""
    return indicators(conn, month, level, region, scope=scope, with_measures=with_measures)
