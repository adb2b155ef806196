"""Keeps the pre-aggregated monthly measures (kept_* tables) exactly in step with the rows they count."""

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, delete, func, insert, select

from data import measures, schema, settings
from data.db import get_meta, set_meta
from data.measures import MAX_VISITS_KEPT, RISK_KEYS
from data.vocab import CATEGORIES

# Villages are read from the facts (a township's few hundred of them in one query); keeping them too would
# make these tables thirty times larger for the one page (a township's village list) that reads them.
KEPT_LEVELS = ("city", "county", "township")
# Months kept: from January two years before the last date loaded to the month of the later of today and that
# date. A 12-month trend and last year's same month always fall inside; older months are computed from rows.
YEARS_BACK = 2
# What each table's rows change: a load refreshes only the families reading the tables it wrote.
FAMILIES_OF = {
    "region": measures.FAMILIES,
    "child": ("children", "visits"),
    "visit": ("visits",),
    "worker_post": ("network", "workforce"),
    "station": ("network",),
    "training": ("workforce",),
    "budget": ("funds",),
    "spending": ("funds",),
}
META_FIRST, META_LAST, META_LAST_DAY = "kept_first_month", "kept_last_month", "data_last_day"
# The data version the kept measures were computed for: the engine reads them only while it is the current
# one, so a writer that changes rows (and the version) without refreshing them is never read stale.
META_VERSION = "kept_data_version"
WRITE_BATCH = 20_000


def _today() -> date:
    # The same day the query side uses (queries.periods.today), read here because data/ imports no queries/.
    return settings.read("WEIBAO_TODAY") or date.today()


def month_index(year: int, month: int) -> int:
    return year * 12 + month - 1


def month_start(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def month_end(index: int) -> date:
    return (pd.Timestamp(month_start(index)) + pd.offsets.MonthEnd(0)).date()


def _days(series) -> np.ndarray:
    """Dates as int64 days since 1970 (missing = a far-future sentinel, 'never')."""
    values = pd.to_datetime(pd.Series(series), errors="coerce").to_numpy("M8[D]")
    out = values.astype("int64")
    out[np.isnat(values)] = np.iinfo("int64").max
    return out


def _day(d: date) -> int:
    return int(np.datetime64(d, "D").astype("int64"))


class Tree:
    """The regions, and for each the kept regions it adds into (itself included), by the closure table."""

    def __init__(self, conn):
        regions = pd.read_sql(select(schema.region.c.code, schema.region.c.level), conn)
        self.codes = regions["code"].astype(str).to_numpy()
        self.index = pd.Index(self.codes)
        self.level = regions["level"].astype(str).to_numpy()
        kept_mask = np.isin(self.level, KEPT_LEVELS)
        self.kept = np.flatnonzero(kept_mask)  # positions of the kept regions
        pairs = pd.read_sql(select(schema.region_closure.c.ancestor, schema.region_closure.c.descendant), conn)
        anc = self.index.get_indexer(pairs["ancestor"].astype(str))
        desc = self.index.get_indexer(pairs["descendant"].astype(str))
        ok = (anc >= 0) & (desc >= 0)
        anc, desc = anc[ok], desc[ok]
        keep = kept_mask[anc]
        self.anc, self.desc = anc[keep], desc[keep]

    def positions(self, codes) -> np.ndarray:
        return self.index.get_indexer(pd.Series(codes).astype(str))

    def roll_up(self, base: np.ndarray) -> np.ndarray:
        """Additive values per region (rows) → per region the sum over everything under it, self included."""
        n = len(self.codes)
        out = np.column_stack([np.bincount(self.anc, weights=base[self.desc, j], minlength=n)
                               for j in range(base.shape[1])])
        return out if base.dtype.kind == "f" else np.rint(out).astype(np.int64)


def kept_range(last_day: date | None) -> tuple[int, int]:
    """First and last month index to keep, from the last date loaded and today."""
    today = _today()
    anchor = last_day or today
    last = max(anchor, today)
    return month_index(anchor.year - YEARS_BACK, 1), month_index(last.year, last.month)


def last_data_day(conn) -> date | None:
    """The latest date on any loaded row (the loader refuses dates after today)."""
    columns = [schema.child.c.enrolled_on, schema.child.c.exited_on, schema.child.c.risk_assessed_on,
               schema.child.c.need_assessed_on, schema.visit.c.visited_on, schema.worker_post.c.started_on,
               schema.worker_post.c.ended_on, schema.station.c.built_on, schema.station.c.closed_on,
               schema.training.c.trained_on, schema.spending.c.month_start]
    found = [conn.execute(select(func.max(c))).scalar() for c in columns]
    found = [d if isinstance(d, date) else date.fromisoformat(str(d)[:10]) for d in found if d is not None]
    return max(found) if found else None


# ---- the families: each returns {month index: DataFrame indexed by kept region position, kept columns} ----

def _children_frame(conn) -> pd.DataFrame:
    c = schema.child.c
    return pd.read_sql(select(c.id_hash, c.category, c.village_code, c.enrolled_on, c.exited_on, c.risk_level,
                              c.risk_assessed_on, c.need_assessed_on, c.assessment_due_on), conn)


class Children:
    """Per child: village position, category, risk and dates as day numbers (read once per refresh)."""

    def __init__(self, conn, tree: Tree):
        frame = _children_frame(conn)
        pos = tree.positions(frame["village_code"])
        ok = pos >= 0
        frame = frame[ok]
        self.hash = pd.Index(frame["id_hash"].astype(str))
        self.pos = pos[ok]
        cats = list(CATEGORIES.values())
        self.category = pd.Categorical(frame["category"].astype(str), categories=cats).codes
        risk = frame["risk_level"].astype(object).where(frame["risk_level"].isin(RISK_KEYS[:-1]), "unassessed")
        self.risk = pd.Categorical(risk.astype(str), categories=list(RISK_KEYS)).codes
        self.enrolled = _days(frame["enrolled_on"])
        self.exited = _days(frame["exited_on"])
        due = _days(frame["assessment_due_on"])
        self.on_time = (_days(frame["risk_assessed_on"]) <= due) & (_days(frame["need_assessed_on"]) <= due)
        self.n_regions = len(tree.codes)

    def on_roll(self, end_day: int) -> np.ndarray:
        return (self.enrolled <= end_day) & (self.exited > end_day)

    def count(self, mask: np.ndarray) -> np.ndarray:
        return np.bincount(self.pos[mask], minlength=self.n_regions).astype(np.int64)


def children_month(kids: Children, tree: Tree, m: int, _conn) -> np.ndarray:
    start, end = _day(month_start(m)), _day(month_end(m))
    roll = kids.on_roll(end)
    cols = [kids.count(roll)]
    cols += [kids.count(roll & (kids.category == i)) for i in range(len(CATEGORIES))]
    cols.append(kids.count((kids.enrolled >= start) & (kids.enrolled <= end)))
    cols.append(kids.count((kids.exited >= start) & (kids.exited <= end)))
    cohort = (kids.enrolled >= _day(date(month_start(m).year, 1, 1))) & (kids.enrolled <= end)
    cols.append(kids.count(cohort))
    cols.append(kids.count(cohort & kids.on_time))
    return tree.roll_up(np.column_stack(cols))


def visits_month(kids: Children, tree: Tree, m: int, conn) -> np.ndarray:
    v = schema.visit.c
    statement = (select(v.child_hash, func.count().label("n"))
                 .where(v.visited_on.between(bindparam("s"), bindparam("e"))).group_by(v.child_hash))
    counts = pd.read_sql(statement, conn, params={"s": month_start(m), "e": month_end(m)})
    per_child = np.zeros(len(kids.pos), dtype=np.int64)
    at = kids.hash.get_indexer(counts["child_hash"].astype(str))
    found = at >= 0
    per_child[at[found]] = counts["n"].to_numpy(np.int64)[found]
    roll = kids.on_roll(_day(month_end(m)))
    cols = [np.bincount(kids.pos[roll], weights=per_child[roll], minlength=kids.n_regions).astype(np.int64)]
    for r in range(len(RISK_KEYS)):
        mine = roll & (kids.risk == r)
        cols.append(kids.count(mine))
        cols += [kids.count(mine & (per_child >= k)) for k in range(1, MAX_VISITS_KEPT + 1)]
    return tree.roll_up(np.column_stack(cols))


class Places:
    """Stations and posts with their region positions and day numbers."""

    def __init__(self, conn, tree: Tree):
        st = pd.read_sql(select(schema.station.c.kind, schema.station.c.region_code, schema.station.c.built_on,
                                schema.station.c.closed_on), conn)
        self.st_pos = tree.positions(st["region_code"])
        self.st_kind = st["kind"].astype(str).to_numpy()
        self.st_from, self.st_to = _days(st["built_on"]), _days(st["closed_on"])
        wp = schema.worker_post.c
        posts = pd.read_sql(select(wp.person_hash, wp.post, wp.region_code, wp.started_on, wp.ended_on,
                                   wp.certified), conn)
        self.post_pos = tree.positions(posts["region_code"])
        self.post = posts["post"].astype(str).to_numpy()
        self.post_from, self.post_to = _days(posts["started_on"]), _days(posts["ended_on"])
        persons = pd.Index(posts["person_hash"].astype(str).unique())
        self.person = persons.get_indexer(posts["person_hash"].astype(str))
        certified = np.zeros(len(persons), dtype=bool)
        # 持证 counts if any of the person's posts, past or present, says 是 (as in queries/sql/workforce.sql).
        certified[self.person[posts["certified"].astype(bool).to_numpy()]] = True
        self.certified = certified
        tr = pd.read_sql(select(schema.training.c.person_hash, schema.training.c.trained_on), conn)
        self.tr_person = persons.get_indexer(tr["person_hash"].astype(str))
        self.tr_day = _days(tr["trained_on"])
        self.n_persons = len(persons)
        self.level = tree.level


def network_month(places: Places, tree: Tree, m: int, _conn) -> np.ndarray:
    end = _day(month_end(m))
    n = len(tree.codes)

    def has(pos, kind_mask, start, stop):
        mask = kind_mask & (start <= end) & (stop > end) & (pos >= 0)
        return np.bincount(pos[mask], minlength=n) > 0

    st_active = lambda kind: has(places.st_pos, places.st_kind == kind, places.st_from, places.st_to)  # noqa: E731
    post_active = lambda post: has(places.post_pos, places.post == post, places.post_from, places.post_to)  # noqa: E731
    level = tree.level
    county, township, village = level == "county", level == "township", level == "village"
    cols = [county, county & st_active("centre"),
            township, township & st_active("workstation"), township & post_active("supervisor"),
            village, village & st_active("home"), village & post_active("director")]
    return tree.roll_up(np.column_stack(cols).astype(np.int64))


def workforce_month(places: Places, tree: Tree, m: int, _conn) -> np.ndarray:
    end = _day(month_end(m))
    year_start = _day(date(month_start(m).year, 1, 1))
    active = (places.post_from <= end) & (places.post_to > end) & (places.post_pos >= 0)
    # (kept ancestor, person) pairs, each once: one person with posts in three villages counts once per region.
    by_desc = pd.DataFrame({"desc": tree.desc, "anc": tree.anc})
    posts = pd.DataFrame({"desc": places.post_pos[active], "person": places.person[active]})
    pairs = posts.merge(by_desc, on="desc")[["anc", "person"]].drop_duplicates()
    trained = np.zeros(places.n_persons, dtype=bool)
    window = (places.tr_day >= year_start) & (places.tr_day <= end) & (places.tr_person >= 0)
    trained[places.tr_person[window]] = True
    anc, person = pairs["anc"].to_numpy(), pairs["person"].to_numpy()
    n = len(tree.codes)
    cols = [np.bincount(anc, minlength=n), np.bincount(anc[places.certified[person]], minlength=n),
            np.bincount(anc[trained[person]], minlength=n)]
    return np.column_stack(cols).astype(np.int64)


class Money:
    def __init__(self, conn, tree: Tree):
        b = pd.read_sql(select(schema.budget.c.county_code, schema.budget.c.year, schema.budget.c.amount), conn)
        s = pd.read_sql(select(schema.spending.c.county_code, schema.spending.c.month_start,
                               schema.spending.c.amount), conn)
        self.b_pos, self.b_year = tree.positions(b["county_code"]), b["year"].astype(int).to_numpy()
        self.b_amount = b["amount"].astype(float).to_numpy()
        self.s_pos = tree.positions(s["county_code"])
        months = pd.to_datetime(s["month_start"])
        self.s_month = (months.dt.year * 12 + months.dt.month - 1).to_numpy() if len(s) else np.zeros(0, int)
        self.s_amount = s["amount"].astype(float).to_numpy()


def funds_month(money: Money, tree: Tree, m: int, _conn) -> np.ndarray:
    n, year = len(tree.codes), m // 12
    b = (money.b_year == year) & (money.b_pos >= 0)
    s = (money.s_month >= month_index(year, 1)) & (money.s_month <= m) & (money.s_pos >= 0)
    cols = [np.bincount(money.b_pos[b], weights=money.b_amount[b], minlength=n),
            np.bincount(money.s_pos[s], weights=money.s_amount[s], minlength=n)]
    return tree.roll_up(np.column_stack(cols))


FAMILY_SOURCES = {
    "children": (Children, children_month),
    "visits": (Children, visits_month),
    "network": (Places, network_month),
    "workforce": (Places, workforce_month),
    "funds": (Money, funds_month),
}


def _write(conn, family: str, tree: Tree, months: list[int], compute, source) -> int:
    table = schema.KEPT_TABLES[family]
    names = [m.name for m in measures.kept(family)]
    money = [m.unit == "元" for m in measures.kept(family)]
    firsts = [month_start(m) for m in months]
    for chunk in range(0, len(firsts), 200):
        conn.execute(delete(table).where(table.c.month.in_(firsts[chunk:chunk + 200])))
    rows, written = [], 0
    codes = tree.codes[tree.kept]
    for m, first in zip(months, firsts):
        values = compute(source, tree, m, conn)[tree.kept]
        # Only rows with something to say: a missing row reads as zeros (every count 0).
        nonzero = np.flatnonzero(np.any(values != 0, axis=1))
        for i in nonzero:
            row = {"region_code": str(codes[i]), "month": first}
            row.update({name: (float(v) if is_money else int(v))
                        for name, v, is_money in zip(names, values[i], money)})
            rows.append(row)
        if len(rows) >= WRITE_BATCH:
            conn.execute(insert(table), rows)
            written, rows = written + len(rows), []
    if rows:
        conn.execute(insert(table), rows)
        written += len(rows)
    return written


def refresh(conn, tables=None, months_touched: set[int] | None = None) -> dict:
    """Recompute the kept measures the written tables change, inside the caller's transaction.

    tables: the data tables written (default: all, as after the demo build). months_touched: for the
    visit table, the months (indexes) its rows fall in — a visit load refreshes only those months of the
    visit measures, and every month newly entering the kept range is computed for every family.
    Returns rows written per family.
    """
    tables = set(tables or FAMILIES_OF)
    families = {f for t in tables for f in FAMILIES_OF.get(t, ())}
    tree = Tree(conn)
    last_day = last_data_day(conn)
    first, last = kept_range(last_day)
    old_first, old_last = get_meta(conn, META_FIRST), get_meta(conn, META_LAST)
    everything = list(range(first, last + 1))
    plan: dict[str, list[int]] = {}
    if old_first is None or old_last is None:
        plan = {f: everything for f in measures.FAMILIES}
    else:
        kept_before = set(range(int(old_first), int(old_last) + 1))
        new_months = [m for m in everything if m not in kept_before]
        for family in measures.FAMILIES:
            if family in families:
                wanted = everything
                if family == "visits" and tables == {"visit"} and months_touched is not None:
                    wanted = [m for m in everything if m in months_touched or m in new_months]
                plan[family] = wanted
            elif new_months:
                plan[family] = new_months
        dropped = [m for m in kept_before if m < first]
        if dropped:
            for table in schema.KEPT_TABLES.values():
                conn.execute(delete(table).where(table.c.month < month_start(first)))
    sources: dict = {}
    written = {}
    for family, months in plan.items():
        if not months:
            continue
        kind, compute = FAMILY_SOURCES[family]
        if kind not in sources:
            sources[kind] = kind(conn, tree)
        written[family] = _write(conn, family, tree, months, compute, sources[kind])
    set_meta(conn, META_FIRST, str(first))
    set_meta(conn, META_LAST, str(last))
    set_meta(conn, META_LAST_DAY, last_day.isoformat() if last_day else "")
    schema.analyze(conn, *schema.KEPT_TABLES.values())
    return written


def rebuild(conn) -> dict:
    """Every kept measure recomputed from nothing (every family, every month of the range), then stamped with
    the current data version: after rows were written without the loader, or for a database made before the
    kept measures existed. Inside the caller's transaction; returns rows written per family."""
    conn.execute(schema.meta.delete().where(schema.meta.c.key.in_((META_FIRST, META_LAST))))
    written = refresh(conn)
    stamp(conn)
    return written


def stamp(conn) -> None:
    """Record that the kept measures are those of the current data version (call after bump_data_version)."""
    set_meta(conn, META_VERSION, get_meta(conn, "data_version") or "")


def months_of(days) -> set[int]:
    """Month indexes of an iterable of dates (the visit rows a load wrote)."""
    return {month_index(d.year, d.month) for d in days if d is not None}

