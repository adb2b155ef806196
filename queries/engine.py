"""Runs the indicator families for (level, region, month) inside a scope and computes every ratio once."""

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


def run_sql(conn, body: str, params: dict) -> pd.DataFrame:
    """Execute one SQL text with bound parameters into a frame."""
    result = conn.execute(_statement(body, params), params)
    return pd.DataFrame(result.mappings().all(), columns=list(result.keys()))


def scoped(conn, name: str, params: dict) -> pd.DataFrame:
    """Run a family SQL file with the scoped target regions bound as the CTE `target`."""
    return run_sql(conn, "WITH target AS (\n" + sql("targets") + "\n)\n" + sql(name), params)


def top_regions(conn) -> list[str]:
    """Regions with no parent in the table: what 'everything' means."""
    frame = run_sql(conn, sql("top_regions"), {})
    return frame["code"].tolist()


def scope_params(conn, scope: Scope, region: str | None) -> dict:
    """Bind values for the target CTE: roots to search under and the caller's scope."""
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
    head = "WITH target AS (\n" + sql("targets") + "\n),\nperiod AS (\n" + periods_sql + "\n)\n"
    keys = ["period_id", "region_code"]
    frame = run_sql(conn, head + sql("target_regions"), params).set_index(keys)
    for family in families:
        part = run_sql(conn, head + sql(family), params)
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
