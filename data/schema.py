"""Tables of the cockpit database and the region closure table built from parent links."""

import json

from sqlalchemy import (
    Boolean, CheckConstraint, Column, Date, DateTime, Float, Index, Integer, MetaData, inspect,
    PrimaryKeyConstraint, String, Table, Text, delete, insert, select,
)

from data import measures

metadata = MetaData()

region = Table(
    "region", metadata,
    Column("code", String(12), primary_key=True),
    Column("name", Text, nullable=False),
    Column("level", String(10), nullable=False),  # city / county / township / village
    Column("parent_code", String(12)),
    Column("urban_rural", String(5)),  # urban / rural, villages only
    Column("minor_population", Integer),
    CheckConstraint("level IN ('city','county','township','village')", name="region_level"),
)
Index("ix_region_parent", region.c.parent_code)
Index("ix_region_level", region.c.level)

# Every (ancestor, descendant) pair, self included at depth 0: scope follows parent links,
# never code prefixes, because development zones break prefixes.
region_closure = Table(
    "region_closure", metadata,
    Column("ancestor", String(12), nullable=False),
    Column("descendant", String(12), nullable=False),
    Column("depth", Integer, nullable=False),
    PrimaryKeyConstraint("ancestor", "descendant"),
)
Index("ix_closure_descendant", region_closure.c.descendant, region_closure.c.ancestor)

child = Table(
    "child", metadata,
    Column("id_hash", String(64), primary_key=True),  # HMAC-SHA256 of 身份证号, never the number
    Column("category", String(20), nullable=False),
    Column("village_code", String(12), nullable=False),
    Column("enrolled_on", Date, nullable=False),
    Column("exited_on", Date),
    Column("risk_level", String(6)),
    Column("risk_assessed_on", Date),
    Column("need_assessed_on", Date),
    # enrolled_on + 30 days, stored so the timeliness SQL needs no dialect-specific date maths
    Column("assessment_due_on", Date, nullable=False),
)
# By village, then due date: 周调度's pending assessments seek each village's children due in the look-back
# instead of reading all of them (35 → 15 ms for the demo city); any lookup by village uses it as well.
Index("ix_child_village_due", child.c.village_code, child.c.assessment_due_on)

worker_post = Table(
    "worker_post", metadata,
    Column("person_hash", String(64), nullable=False),
    Column("post", String(10), nullable=False),  # director / supervisor
    Column("region_code", String(12), nullable=False),
    Column("started_on", Date, nullable=False),
    Column("ended_on", Date),
    Column("certified", Boolean, nullable=False, default=False),
    PrimaryKeyConstraint("person_hash", "post", "region_code", "started_on"),
)
Index("ix_post_region", worker_post.c.region_code)

station = Table(
    "station", metadata,
    Column("kind", String(12), nullable=False),  # centre / workstation / home
    Column("region_code", String(12), nullable=False),
    Column("name", Text, nullable=False),
    Column("built_on", Date, nullable=False),
    Column("closed_on", Date),
    Column("provincial_model", Boolean, nullable=False, default=False),
    PrimaryKeyConstraint("kind", "region_code", "name"),
)
Index("ix_station_region", station.c.region_code)

visit = Table(
    "visit", metadata,
    Column("visited_on", Date, nullable=False),
    Column("child_hash", String(64), nullable=False),
    Column("worker_hash", String(64), nullable=False),
    Column("mode", String(6), nullable=False, default="home"),
    PrimaryKeyConstraint("visited_on", "child_hash", "worker_hash"),
    # SQLite: the rows live in the key's B-tree instead of a rowid table beside a key index that repeats
    # both hashes (441 against 563 MB written for 700,000 visits; their write and commit 7.0 → 5.5 s), and a
    # month's visits are one range of it. A database made before keeps its rowid table.
    sqlite_with_rowid=False,
)
Index("ix_visit_child_date", visit.c.child_hash, visit.c.visited_on)

training = Table(
    "training", metadata,
    Column("trained_on", Date, nullable=False),
    Column("course", Text, nullable=False),
    Column("person_hash", String(64), nullable=False),
    Column("host_level", String(10)),
    Column("hours", Float),
    PrimaryKeyConstraint("trained_on", "course", "person_hash"),
)
Index("ix_training_person_date", training.c.person_hash, training.c.trained_on)

budget = Table(
    "budget", metadata,
    Column("county_code", String(12), nullable=False),
    Column("year", Integer, nullable=False),
    Column("fund_type", String(20), nullable=False),
    Column("amount", Float, nullable=False),
    PrimaryKeyConstraint("county_code", "year", "fund_type"),
)

spending = Table(
    "spending", metadata,
    Column("county_code", String(12), nullable=False),
    Column("month_start", Date, nullable=False),  # first day of the month spent
    Column("fund_type", String(20), nullable=False),
    Column("amount", Float, nullable=False),
    PrimaryKeyConstraint("county_code", "month_start", "fund_type"),
)

# One row per table per successful import: data freshness on screen and cache invalidation.
import_log = Table(
    "import_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("imported_at", DateTime, nullable=False),
    Column("table_name", String(20), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("source", Text),
    Column("imported_by", Text),
)

# Key/value facts about the database: is_demo, id_key_fingerprint, data_version.
meta = Table(
    "meta", metadata,
    Column("key", String(40), primary_key=True),
    Column("value", Text),
)

DATA_TABLES = (region, child, worker_post, station, visit, training, budget, spending)

# The pages' enrolment-window reads (new children, the 30-day cutoff's month) find a month's children by it; it
# carries what the 30-day timeliness reads of them (village, assessment dates, due date), so kept_measures.sql's
# window is read from the index alone: 12 months of 济南's trend on the province, 43 → 23 ms on SQLite.
Index("ix_child_enrolled_parts", child.c.enrolled_on, child.c.village_code, child.c.risk_assessed_on,
      child.c.need_assessed_on, child.c.assessment_due_on)


def _kept_table(family: str) -> Table:
    # A float column for money, integers for counts. One row per kept region and `day`: the measures of the
    # period from the first of day's month up to day (a month's last day, or a Sunday the weekly review reads).
    columns = [Column(m.name, Float if m.unit == "元" else Integer, nullable=False, default=0)
               for m in measures.kept(family)]
    return Table(f"kept_{family}", metadata,
                 Column("region_code", String(12), nullable=False),
                 Column("day", Date, nullable=False),
                 *columns,
                 PrimaryKeyConstraint("region_code", "day"),
                 sqlite_with_rowid=False)  # read by key only: one B-tree probe per region instead of two


# The rows each data table but the visits holds under a region of the kept levels, itself included, placed as
# queries/sql/freshness.sql places them (the 口径说明 page's counts: through the closure they read 100,000
# index entries for a city of the province, 125 ms on PostgreSQL). The visits are counted from kept_visits.
kept_rows = Table(
    "kept_rows", metadata,
    Column("region_code", String(12), nullable=False),
    Column("table_name", String(40), nullable=False),
    Column("held", Integer, nullable=False),
    PrimaryKeyConstraint("region_code", "table_name"),
)

# Pre-aggregated monthly measures, per region of the kept levels (city, county, township) and month, kept by
# the loader and the demo builder in the same transaction as the rows they count (data/kept.py); and the row
# counts ("rows": kept_rows), kept alongside them.
KEPT_TABLES = {**{family: _kept_table(family) for family in measures.FAMILIES}, "rows": kept_rows}


def create_schema(engine) -> list[str]:
    """Create every table that does not exist yet, and the indexes added to tables made before them;
    returns the names of the indexes created on existing tables."""
    metadata.create_all(engine)
    with engine.begin() as conn:
        return add_missing_indexes(conn)


# Indexes an earlier version declared that a declared one now covers (same leading columns): dropped where found,
# so a database made before does not keep updating both on every load.
RETIRED_INDEXES = {"child": ("ix_child_village", "ix_child_enrolled")}


def add_missing_indexes(conn) -> list[str]:
    """Create the data tables' declared indexes a database made by an earlier version lacks, and drop the
    retired ones it still has."""
    added, found = [], inspect(conn)
    quote = conn.dialect.identifier_preparer.quote
    for table in DATA_TABLES:
        have = {index["name"] for index in found.get_indexes(table.name)}
        for name in RETIRED_INDEXES.get(table.name, ()):
            if name in have:
                conn.exec_driver_sql(f"DROP INDEX {quote(name)}")
        for index in sorted(table.indexes, key=lambda i: i.name):
            if index.name not in have:
                index.create(conn)
                added.append(index.name)
    return added


def analyze(conn, *tables: Table) -> None:
    """After a bulk write, refresh PostgreSQL's planner statistics for the tables (default: all data tables
    and region_closure); a no-op on other engines.

    A fresh PostgreSQL table has none until autovacuum gets to it (never, where it is off): the planner
    then takes every table for a few rows and picks nested loops that cost the 走访 page over a minute on
    the demo city. Inside the writer's transaction ANALYZE counts its own uncommitted rows, so the
    statistics commit with the data.
    """
    if conn.dialect.name != "postgresql":
        return
    quote = conn.dialect.identifier_preparer.format_table
    for table in tables or (*DATA_TABLES, region_closure, *KEPT_TABLES.values()):
        conn.exec_driver_sql("ANALYZE " + quote(table))


def vacuum(engine, *tables: Table) -> None:
    """After a bulk write has committed, VACUUM the tables on PostgreSQL (a no-op elsewhere): it marks the
    new pages all-visible, so index-only scans stop reading the table for every row.

    Where autovacuum is off (this project's test server) nothing else ever does: the 口径说明 page's counts
    fetched 86,000 table rows a view for a city of the province demo. Outside any transaction, as VACUUM
    requires; a few seconds for the province's 9.6 M freshly written visits.
    """
    if engine.dialect.name != "postgresql":
        return
    quote = engine.dialect.identifier_preparer.format_table
    names = ", ".join(quote(t) for t in tables or (*DATA_TABLES, region_closure, *KEPT_TABLES.values()))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM " + names)


META_TOP_REGIONS = "top_regions"  # meta: the regions with no parent in the table, as JSON (queries.engine.top_regions)


def rebuild_closure(conn) -> int:
    """Rebuild region_closure from parent links, and the top regions in meta; returns the number of pairs written.

    The top regions are what full scope means; finding them by SQL reads the whole region table (72,000 rows
    at province scale, more than a page's kept measures), so they are written here, where the links change."""
    rows = conn.execute(select(region.c.code, region.c.parent_code)).all()
    parent = {code: p for code, p in rows}
    top = sorted(code for code, p in parent.items() if p is None or p not in parent)
    conn.execute(meta.delete().where(meta.c.key == META_TOP_REGIONS))
    conn.execute(meta.insert().values(key=META_TOP_REGIONS, value=json.dumps(top)))
    pairs = []
    for code in parent:
        node, depth, seen = code, 0, set()
        while node is not None and node in parent and node not in seen:
            seen.add(node)
            pairs.append({"ancestor": node, "descendant": code, "depth": depth})
            node, depth = parent[node], depth + 1
    conn.execute(delete(region_closure))
    for start in range(0, len(pairs), 20000):
        conn.execute(insert(region_closure), pairs[start:start + 20000])
    analyze(conn, region_closure)
    return len(pairs)
