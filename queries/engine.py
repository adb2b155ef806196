"""Runs the indicator families for (level, region, month) inside a scope and computes every ratio once."""

import re
import threading
import weakref
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Date, bindparam, text

from data.vocab import LEVEL_ORDER
from queries.periods import Month, Period
from queries.registry import Indicator, load_registry

SQL_DIR = Path(__file__).with_name("sql")
FAMILIES = ("children", "visits", "network", "workforce", "funds")
RISK_KEYS = ("red", "orange", "yellow", "green", "unassessed")


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
    binds = [bindparam(k, expanding=True) for k in ("roots", "scope") if k in used]
    binds += [bindparam(k, type_=Date) for k, v in params.items() if isinstance(v, date) and k in used]
    return statement.bindparams(*binds)


def _run(conn, body: str, params: dict) -> pd.DataFrame:
    result = conn.execute(_statement(body, params), params)
    return pd.DataFrame(result.mappings().all(), columns=list(result.keys()))


# Statements that read no child data and so run without a scope. Each says why; tests/test_scope_structure.py
# holds the same list and fails on any other file that binds no :scope.
UNSCOPED = {
    "top_regions": "defines what 'everything' means: the codes of the regions with no parent",
    "viewer_region": "one region's level and parent, read to build a login's scope before there is one",
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
    if name not in UNSCOPED and "scope" not in params:
        raise ScopeMissing(f"查询 {name} 未绑定查看范围（须经 scope_params），已拒绝执行")
    parts = ([("target", sql("targets"))] if uses_target(name) else []) + list(ctes)
    body = sql(name)
    if parts:
        head = ",\n".join(f"{cte} AS (\n{text_}\n)" for cte, text_ in parts)
        # A file with CTEs of its own continues the WITH list instead of opening a second one.
        own = re.match(r"\s*WITH\s+", body, re.IGNORECASE)
        body = f"WITH {head},\n{body[own.end():]}" if own else f"WITH {head}\n{body}"
    return _run(conn, body, params)


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


def top_regions(conn) -> list[str]:
    """Regions with no parent in the table: what 'everything' means."""
    memo = _memo(conn)
    if "top" not in memo:
        memo["top"] = scoped(conn, "top_regions", {})["code"].tolist()
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
    """The one division: null where the denominator is 0 or missing."""
    num = pd.to_numeric(numerator, errors="coerce").astype(float)
    den = pd.to_numeric(denominator, errors="coerce").astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    return out.where(den.notna() & (den != 0))


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


PERIOD_COLUMNS = ("month_start", "month_end", "year_start", "year", "due_cutoff", "spend_until")


def period_cte(periods: list[Period]) -> tuple[str, dict]:
    """The CTE body listing the periods one statement computes, with its bind values.

    Only numbered bind *names* are generated here; every value is bound, never written into the SQL.
    """
    rows, params = [], {}
    for i, period in enumerate(periods):
        values = (period.start, period.end, period.year_start, period.year, period.assessment_cutoff,
                  period.month_start)
        names = [f"p{i}_{column}" for column in PERIOD_COLUMNS]
        params.update(zip(names, values))
        rows.append(f"SELECT {i} AS period_id, "
                    + ", ".join(f":{name} AS {column}" for name, column in zip(names, PERIOD_COLUMNS)))
    return "\nUNION ALL\n".join(rows), params


def measures_over(conn, periods: list[Period], level: str, region: str | None, scope: Scope,
                  visit_rule: VisitRule = DEFAULT_VISIT_RULE, families: tuple[str, ...] = FAMILIES) -> pd.DataFrame:
    """Every measure (counts and sums) per period and target region: one query per family for all periods.

    `families` narrows the work when a caller needs only some measures (indicators of the others are null).
    """
    if level not in LEVEL_ORDER:
        raise ValueError(f"unknown level {level!r}")
    periods_sql, params = period_cte(periods)
    params.update({"level": level, **visit_rule.params(), **scope_params(conn, scope, region)})
    ctes = (("period", periods_sql),)
    keys = ["period_id", "region_code"]
    frame = scoped(conn, "target_regions", params, ctes).set_index(keys)
    for family in families:
        part = scoped(conn, family, params, ctes)
        frame = frame.join(part.set_index(keys), how="left")
    sums = [c for c in frame.columns if c != "region_name"]
    frame[sums] = frame[sums].apply(pd.to_numeric, errors="coerce").fillna(0)
    period_ids = frame.index.get_level_values("period_id")
    frame["months_elapsed"] = [periods[i].months_elapsed for i in period_ids]
    frame["months_in_year"] = 12
    return frame.sort_index()


def measures(conn, when: Month | Period | str, level: str, region: str | None, scope: Scope,
             visit_rule: VisitRule = DEFAULT_VISIT_RULE) -> pd.DataFrame:
    """Every measure (counts and sums) per target region for one period, indexed by region code."""
    frame = measures_over(conn, [as_period(when)], level, region, scope, visit_rule)
    return frame.droplevel("period_id")


def _ratios(m: pd.DataFrame, level: str, with_measures: bool) -> pd.DataFrame:
    out = pd.DataFrame({"region_name": m["region_name"]}, index=m.index)
    for ind in load_registry():
        out[ind.key] = _value(ind, m, level)
    if with_measures:
        extra = [c for c in m.columns if c not in out.columns]
        out = out.join(m[extra])
    return out


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


def _value(ind: Indicator, m: pd.DataFrame, level: str) -> pd.Series:
    if not ind.applies_at(level):
        return pd.Series(np.nan, index=m.index, dtype=float)
    needed = [ind.numerator, ind.denominator] if ind.is_ratio else [ind.measure]
    if any(name not in m.columns for name in needed):  # its family was not asked for
        return pd.Series(np.nan, index=m.index, dtype=float)
    if ind.is_ratio:
        return divide(m[ind.numerator], m[ind.denominator])
    return m[ind.measure].astype(float)


def indicator_frame_for(conn, scope: Scope, month: str, level: str, region: str | None = None,
                        with_measures: bool = False) -> pd.DataFrame:
    """indicators() with the (conn, scope, ...) signature every page-facing query shares."""
    return indicators(conn, month, level, region, scope=scope, with_measures=with_measures)
