"""Keeps the pre-aggregated monthly measures (kept_* tables) exactly in step with the rows they count."""

from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, delete, func, inspect, select, text

from data import measures, schema, settings
from data.bulk import write_rows
from data.db import get_meta, set_meta
from data.measures import MAX_VISITS_KEPT, RISK_KEYS
from data.vocab import CATEGORIES

# Villages are 97 % of the regions: only the visit measures keep them, and only at month ends, for the 走访
# page's villages with unvisited children (a city's 4,400 villages were 0.3-0.4 s from the rows at province
# scale). Every other village figure is read from the facts (a township's few hundred villages in one query).
KEPT_LEVELS = ("city", "county", "township")
VILLAGE_FAMILIES = ("visits",)
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
# Besides each month's end, the Sundays of the weeks the weekly review offers (queries/weekly.py): its colour
# changes, pace and week's visits are month-to-date figures at a Sunday. It offers WEEKS_OFFERED weeks back
# from today and compares each with the week before, whose visits reach back one more week: so every Sunday
# after today − (WEEKS_OFFERED + 2) weeks. A Sunday on or after the last date loaded needs no row (its month's
# row is the same figure), nor does a month's last day (it is the month's row).
WEEKS_OFFERED = 26
SUNDAYS_BACK = WEEKS_OFFERED + 2
META_FIRST, META_LAST, META_LAST_DAY = "kept_first_month", "kept_last_month", "data_last_day"
META_SUNDAYS = "kept_sundays"  # first..last Sunday kept (ISO dates), or "" for none
# The kept tables' shape: the engine reads them only when a database says this one (older ones are computed
# from the rows until `python -m data.kept_cli` rebuilds them). Raise it whenever a kept table changes.
META_LAYOUT, LAYOUT = "kept_layout", "5"
# The data version the kept measures were computed for: the engine reads them only while it is the current
# one, so a writer that changes rows (and the version) without refreshing them is never read stale.
META_VERSION = "kept_data_version"


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
        self.kept_and_villages = np.flatnonzero(kept_mask | (self.level == "village"))
        kept_mask = kept_mask | (self.level == "village")  # sums reach villages too (their own rows)
        pairs = pd.read_sql(select(schema.region_closure.c.ancestor, schema.region_closure.c.descendant), conn)
        anc = self.index.get_indexer(pairs["ancestor"].astype(str))
        desc = self.index.get_indexer(pairs["descendant"].astype(str))
        ok = (anc >= 0) & (desc >= 0)
        anc, desc = anc[ok], desc[ok]
        keep = kept_mask[anc]
        self.anc, self.desc = anc[keep], desc[keep]

    def positions(self, codes) -> np.ndarray:
        return self.index.get_indexer(pd.Series(codes).astype(str))

    def latest(self, base: np.ndarray) -> np.ndarray:
        """Day numbers per region (0 = none) → per region the latest under it, self included."""
        out = np.zeros(len(self.codes), dtype=np.int64)
        np.maximum.at(out, self.anc, base[self.desc])
        return out

    def roll_up(self, base: np.ndarray) -> np.ndarray:
        """Additive values per region (rows) → per region the sum over everything under it, self included."""
        n = len(self.codes)
        out = np.column_stack([np.bincount(self.anc, weights=base[self.desc, j], minlength=n)
                               for j in range(base.shape[1])])
        return out if base.dtype.kind == "f" else np.rint(out).astype(np.int64)


def kept_sundays(first_month: int, last_day: date | None) -> list[date]:
    """The Sundays kept besides the month ends (see SUNDAYS_BACK), oldest first."""
    if last_day is None:
        return []
    since = max(settings.today() - timedelta(weeks=SUNDAYS_BACK), month_start(first_month) - timedelta(days=1))
    first = since + timedelta(days=(6 - since.weekday()) % 7 or 7)  # the first Sunday after `since`
    return _sundays(first, last_day - timedelta(days=1))


def sundays_between(text: str | None) -> list[date]:
    """The Sundays a META_SUNDAYS value names ("first..last", as refresh() writes it)."""
    if not text:
        return []
    first, last = (date.fromisoformat(part) for part in text.split(".."))
    return _sundays(first, last)


def _sundays(first: date, last: date) -> list[date]:
    """Every Sunday from `first` (a Sunday) to `last`, but a month's last day: that is the month's own row."""
    out, day = [], first
    while day <= last:
        if day != month_end(month_index(day.year, day.month)):
            out.append(day)
        day += timedelta(weeks=1)
    return out


def kept_range(last_day: date | None) -> tuple[int, int]:
    """First and last month index to keep, from the last date loaded and today."""
    today = settings.today()
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


# ---- the families: each computes, for every region, the measures of the period from the first of `day`'s
# ---- month up to `day` (a month's last day, or a kept Sunday), as queries/sql/<family>.sql would ----

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
        self.visits_of = (None, None, None)  # _month_visits' one month held

    def on_roll(self, end_day: int) -> np.ndarray:
        return (self.enrolled <= end_day) & (self.exited > end_day)

    def count(self, mask: np.ndarray) -> np.ndarray:
        return np.bincount(self.pos[mask], minlength=self.n_regions).astype(np.int64)


def children_month(kids: Children, tree: Tree, day: date, _conn) -> np.ndarray:
    start, end = _day(day.replace(day=1)), _day(day)
    roll = kids.on_roll(end)
    cols = [kids.count(roll)]
    cols += [kids.count(roll & (kids.category == i)) for i in range(len(CATEGORIES))]
    cols.append(kids.count((kids.enrolled >= start) & (kids.enrolled <= end)))
    cols.append(kids.count((kids.exited >= start) & (kids.exited <= end)))
    cohort = (kids.enrolled >= _day(date(day.year, 1, 1))) & (kids.enrolled <= end)
    cols.append(kids.count(cohort))
    cols.append(kids.count(cohort & kids.on_time))
    last_by_village = np.zeros(kids.n_regions, dtype=np.int64)
    enrolled = kids.enrolled <= end
    np.maximum.at(last_by_village, kids.pos[enrolled], kids.enrolled[enrolled])
    return np.column_stack([tree.roll_up(np.column_stack(cols)), tree.latest(last_by_village)])


def _month_visits(kids: Children, day: date, conn) -> tuple[np.ndarray, np.ndarray]:
    """The visit rows of `day`'s month as (child position, day number), children unknown to `kids` left out.

    Read once per month and reused for its Sundays, which are prefixes of it (the refresh asks days in order),
    and straight from the driver's cursor: the SQLAlchemy rows and the frame cost more than the query did on a
    province (9.6 M visits; the build's kept refresh was nine tenths this read).
    """
    month = day.replace(day=1)
    if kids.visits_of[0] != month:
        v = schema.visit.c
        end = month_end(month_index(month.year, month.month))
        statement = select(v.child_hash, v.visited_on).where(v.visited_on.between(bindparam("s"), bindparam("e")))
        result = conn.execute(statement, {"s": month, "e": end})
        rows = result.cursor.fetchall()
        result.close()
        hashes, days = (list(column) for column in zip(*rows)) if rows else ([], [])
        at = kids.hash.get_indexer(pd.Index(hashes, dtype=object))
        found = at >= 0
        # SQLite hands back ISO text, PostgreSQL date objects: numpy reads both as days.
        numbers = np.array(days, dtype="M8[D]").astype(np.int64) if days else np.zeros(0, dtype=np.int64)
        kids.visits_of = (month, at[found], numbers[found])
    return kids.visits_of[1], kids.visits_of[2]


def visits_month(kids: Children, tree: Tree, day: date, conn) -> np.ndarray:
    child_at, visited = _month_visits(kids, day, conn)
    upto = visited <= _day(day)
    child_at, visited = child_at[upto], visited[upto]
    per_child = np.bincount(child_at, minlength=len(kids.pos)).astype(np.int64)
    last_by_village = np.zeros(kids.n_regions, dtype=np.int64)
    np.maximum.at(last_by_village, kids.pos[child_at], visited)
    roll = kids.on_roll(_day(day))

    def visits(mask):
        return np.bincount(kids.pos[mask], weights=per_child[mask], minlength=kids.n_regions).astype(np.int64)

    cols = [visits(roll)]
    for r in range(len(RISK_KEYS)):
        mine = roll & (kids.risk == r)
        cols.append(kids.count(mine))
        cols += [kids.count(mine & (per_child >= k)) for k in range(1, MAX_VISITS_KEPT + 1)]
    cols.append(visits(np.ones(len(kids.pos), dtype=bool)))  # visits_dated: every child, on the roll or not
    return np.column_stack([tree.roll_up(np.column_stack(cols)), tree.latest(last_by_village)])


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
        # (kept ancestor, person) of every post, past or present, each pair once: whom a training counts for.
        self.by_desc = pd.DataFrame({"desc": tree.desc, "anc": tree.anc})
        ever = pd.DataFrame({"desc": self.post_pos[self.post_pos >= 0], "person": self.person[self.post_pos >= 0]})
        ever = ever.merge(self.by_desc, on="desc")[["anc", "person"]].drop_duplicates()
        self.ever_anc, self.ever_person = ever["anc"].to_numpy(), ever["person"].to_numpy()


def network_month(places: Places, tree: Tree, day: date, _conn) -> np.ndarray:
    end = _day(day)
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


def workforce_month(places: Places, tree: Tree, day: date, _conn) -> np.ndarray:
    end = _day(day)
    year_start = _day(date(day.year, 1, 1))
    active = (places.post_from <= end) & (places.post_to > end) & (places.post_pos >= 0)
    # (kept ancestor, person) pairs, each once: one person with posts in three villages counts once per region.
    posts = pd.DataFrame({"desc": places.post_pos[active], "person": places.person[active]})
    pairs = posts.merge(places.by_desc, on="desc")[["anc", "person"]].drop_duplicates()
    trained = np.zeros(places.n_persons, dtype=bool)
    window = (places.tr_day >= year_start) & (places.tr_day <= end) & (places.tr_person >= 0)
    trained[places.tr_person[window]] = True
    anc, person = pairs["anc"].to_numpy(), pairs["person"].to_numpy()
    n = len(tree.codes)
    known = (places.tr_person >= 0) & (places.tr_day <= end)
    in_period = np.zeros(places.n_persons, dtype=bool)
    in_period[places.tr_person[known & (places.tr_day >= _day(day.replace(day=1)))]] = True
    person_last = np.zeros(places.n_persons, dtype=np.int64)
    np.maximum.at(person_last, places.tr_person[known], places.tr_day[known])
    region_last = np.zeros(n, dtype=np.int64)
    np.maximum.at(region_last, places.ever_anc, person_last[places.ever_person])
    cols = [np.bincount(anc, minlength=n), np.bincount(anc[places.certified[person]], minlength=n),
            np.bincount(anc[trained[person]], minlength=n),
            np.bincount(places.ever_anc[in_period[places.ever_person]], minlength=n), region_last]
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


def funds_month(money: Money, tree: Tree, day: date, _conn) -> np.ndarray:
    # Spending is booked per month: a Sunday's figure is its whole month's, as funds.sql's spend_until says.
    n, year, m = len(tree.codes), day.year, month_index(day.year, day.month)
    b = (money.b_year == year) & (money.b_pos >= 0)
    s = (money.s_month >= month_index(year, 1)) & (money.s_month <= m) & (money.s_pos >= 0)
    cols = [np.bincount(money.b_pos[b], weights=money.b_amount[b], minlength=n),
            np.bincount(money.s_pos[s], weights=money.s_amount[s], minlength=n)]
    return tree.roll_up(np.column_stack(cols))


# The tables kept_rows counts (every data table but the visits, which kept_visits counts by the day), and the
# column that places each one's rows in a region; the trainings are placed by their attendee's posts.
ROW_PLACES = {"region": "code", "child": "village_code", "worker_post": "region_code", "station": "region_code",
              "training": None, "budget": "county_code", "spending": "county_code"}


def held_rows(conn, tree: Tree) -> dict[str, np.ndarray]:
    """Per table of ROW_PLACES, per region (the tree's order): the rows it holds under the region, itself
    included, placed as queries/sql/freshness.sql places them. A training counts once for every region where
    its attendee holds or held a post (one person with posts in three villages of a township: once there)."""
    n = len(tree.codes)
    out = {}
    for name, column in ROW_PLACES.items():
        if column is None:
            continue
        table = schema.metadata.tables[name]
        found = conn.execute(select(table.c[column], func.count()).group_by(table.c[column])).all()
        base = np.zeros(n, dtype=np.int64)
        if found:
            pos = tree.positions([r[0] for r in found])
            counts = np.array([r[1] for r in found], dtype=np.int64)
            np.add.at(base, pos[pos >= 0], counts[pos >= 0])
        out[name] = tree.roll_up(base[:, None])[:, 0]
    wp, tr = schema.worker_post.c, schema.training.c
    posts = pd.DataFrame(conn.execute(select(wp.person_hash, wp.region_code).distinct()).all(),
                         columns=["person", "code"])
    per_person = pd.DataFrame(conn.execute(select(tr.person_hash, func.count()).group_by(tr.person_hash)).all(),
                              columns=["person", "trainings"])
    posts["desc"] = tree.positions(posts["code"]) if len(posts) else []
    pairs = posts[posts["desc"] >= 0].merge(pd.DataFrame({"desc": tree.desc, "anc": tree.anc}), on="desc")
    pairs = pairs[["anc", "person"]].drop_duplicates().merge(per_person, on="person")
    out["training"] = np.bincount(pairs["anc"].to_numpy(dtype=np.int64), minlength=n,
                                  weights=pairs["trainings"].to_numpy(dtype=np.int64)).astype(np.int64)
    return {name: out[name] for name in ROW_PLACES}


def _write_rows(conn, tree: Tree) -> int:
    """kept_rows anew: every kept region's counts (a table with none under a region has no row: 0)."""
    conn.execute(delete(schema.kept_rows))
    held = held_rows(conn, tree)
    rows = [(str(tree.codes[i]), name, int(counts[i])) for name, counts in held.items() for i in tree.kept
            if counts[i]]
    return write_rows(conn, schema.kept_rows, ["region_code", "table_name", "held"], rows)


FAMILY_SOURCES = {
    "children": (Children, children_month),
    "visits": (Children, visits_month),
    "network": (Places, network_month),
    "workforce": (Places, workforce_month),
    "funds": (Money, funds_month),
}


def _write(conn, family: str, tree: Tree, days: list[date], compute, source) -> int:
    table = schema.KEPT_TABLES[family]
    kept_measures = measures.kept(family)
    columns = ["region_code", "day", *(m.name for m in kept_measures)]
    money = np.array([m.unit == "元" for m in kept_measures])
    for chunk in range(0, len(days), 200):
        conn.execute(delete(table).where(table.c.day.in_(days[chunk:chunk + 200])))
    sqlite = conn.dialect.name == "sqlite"
    written = 0
    for day in days:  # computed before each write: a COPY in progress holds the connection
        month_end_row = day == month_end(month_index(day.year, day.month))
        at = tree.kept_and_villages if family in VILLAGE_FAMILIES and month_end_row else tree.kept
        values = compute(source, tree, day, conn)[at]
        # Only rows with something to say: a missing row reads as zeros (every count 0).
        nonzero = np.flatnonzero(np.any(values != 0, axis=1))
        values = values[nonzero]
        as_python = [values[:, j].astype(float if money[j] else np.int64).tolist() for j in range(values.shape[1])]
        stored_day = day.isoformat() if sqlite else day
        written += write_rows(conn, table, columns,
                              zip(tree.codes[at][nonzero].tolist(), [stored_day] * len(nonzero), *as_python))
    return written


def refresh(conn, tables=None, months_touched: set[int] | None = None) -> dict:
    """Recompute the kept measures the written tables change, inside the caller's transaction.

    tables: the data tables written (default: all, as after the demo build). months_touched: for the
    visit table, the months (indexes) its rows fall in — a visit load refreshes only those months' rows of the
    visit measures, and every row newly entering the kept range (a month, a Sunday) is computed for every
    family. Returns rows written per family.
    """
    tables = set(tables or FAMILIES_OF)
    families = {f for t in tables for f in FAMILIES_OF.get(t, ())}
    if get_meta(conn, META_LAYOUT) != LAYOUT:  # kept by an earlier version, or never: everything anew
        _reset(conn)
    tree = Tree(conn)
    last_day = last_data_day(conn)
    first, last = kept_range(last_day)
    sundays = kept_sundays(first, last_day)
    everything = sorted([month_end(m) for m in range(first, last + 1)] + sundays)
    old_first, old_last = get_meta(conn, META_FIRST), get_meta(conn, META_LAST)
    plan: dict[str, list[date]] = {}
    if old_first is None or old_last is None:
        plan = {f: everything for f in measures.FAMILIES}
    else:
        kept_before = {month_end(m) for m in range(int(old_first), int(old_last) + 1)}
        kept_before |= set(sundays_between(get_meta(conn, META_SUNDAYS)))
        new_days = [d for d in everything if d not in kept_before]
        for family in measures.FAMILIES:
            if family in families:
                wanted = everything
                if family == "visits" and tables == {"visit"} and months_touched is not None:
                    wanted = [d for d in everything
                              if month_index(d.year, d.month) in months_touched or d in new_days]
                plan[family] = wanted
            elif new_days:
                plan[family] = new_days
        dropped = sorted(kept_before - set(everything))
        for table in (schema.KEPT_TABLES[f] for f in measures.FAMILIES):
            for chunk in range(0, len(dropped), 200):
                conn.execute(delete(table).where(table.c.day.in_(dropped[chunk:chunk + 200])))
    sources: dict = {}
    written = {}
    if old_first is None or old_last is None or tables & set(ROW_PLACES):
        written["rows"] = _write_rows(conn, tree)
    for family, days in plan.items():
        if not days:
            continue
        kind, compute = FAMILY_SOURCES[family]
        if kind not in sources:
            sources[kind] = kind(conn, tree)
        written[family] = _write(conn, family, tree, days, compute, sources[kind])
    set_meta(conn, META_FIRST, str(first))
    set_meta(conn, META_LAST, str(last))
    set_meta(conn, META_LAST_DAY, last_day.isoformat() if last_day else "")
    set_meta(conn, META_SUNDAYS, f"{sundays[0].isoformat()}..{sundays[-1].isoformat()}" if sundays else "")
    set_meta(conn, META_LAYOUT, LAYOUT)
    schema.analyze(conn, *schema.KEPT_TABLES.values())
    return written


def rebuild(conn) -> dict:
    """Every kept measure recomputed from nothing (every family, every month of the range), then stamped with
    the current data version: after rows were written without the loader, or for a database made before the
    kept measures existed. Inside the caller's transaction; returns rows written per family."""
    _reset(conn)
    written = refresh(conn)
    stamp(conn)
    return written


def _reset(conn) -> None:
    """Forget every kept row and the range; a kept table of an earlier layout is made anew."""
    conn.execute(schema.meta.delete().where(schema.meta.c.key.in_((META_FIRST, META_LAST, META_SUNDAYS))))
    for table in schema.KEPT_TABLES.values():
        if _columns(conn, table.name) != [c.name for c in table.columns]:
            conn.execute(text(f"DROP TABLE {conn.dialect.identifier_preparer.format_table(table)}"))
            table.create(conn)
        conn.execute(delete(table))


def _columns(conn, name: str) -> list[str]:
    return [c["name"] for c in inspect(conn).get_columns(name)]


def stamp(conn) -> None:
    """Record that the kept measures are those of the current data version (call after bump_data_version)."""
    set_meta(conn, META_VERSION, get_meta(conn, "data_version") or "")


def months_of(days) -> set[int]:
    """Month indexes of an iterable of dates (the visit rows a load wrote)."""
    return {month_index(d.year, d.month) for d in days if d is not None}

