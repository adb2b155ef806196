"""Database side of a load: reference lookups, the demo wipe, and the keyed upsert in batches."""

import functools
from operator import itemgetter
from typing import Iterable

from sqlalchemy import Table, bindparam, delete, func, literal, or_, select

from data import kept, schema
from data.load.result import LoadRefused
from data.load.spec import TableSpec

BATCH = 10_000  # rows per executemany: large enough to amortise, small enough to bound memory
LOOKUP_CHUNK = 900  # bound parameters per IN (...) list, below SQLite's older 999 limit


def _chunks(values: list, size: int) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def region_levels(conn, codes: set[str]) -> dict[str, str]:
    """code → level for those of the codes the region table holds."""
    statement = select(schema.region.c.code, schema.region.c.level).where(
        schema.region.c.code.in_(bindparam("codes", expanding=True)))
    found = {}
    for chunk in _chunks(sorted(codes), LOOKUP_CHUNK):
        found.update(conn.execute(statement, {"codes": chunk}).all())
    return found


def known_ids(conn, spec: TableSpec, hashes: set[str]) -> set[str]:
    """Those of the hashes that the table holds as its identity column (a child, a worker)."""
    column = spec.table.c[spec.identity]
    statement = select(column).where(column.in_(bindparam("ids", expanding=True))).distinct()
    found = set()
    for chunk in _chunks(sorted(hashes), LOOKUP_CHUNK):
        found.update(conn.execute(statement, {"ids": chunk}).scalars())
    return found


def wipe(conn) -> None:
    """Delete every loaded row and the demo markers, so real data never mixes with demo data."""
    for table in (*schema.DATA_TABLES, schema.region_closure, schema.import_log, *schema.KEPT_TABLES.values()):
        conn.execute(delete(table))
    # The demo was hashed under the demo key; with its rows gone the real key may take over. Without the
    # kept range the load's refresh recomputes every kept measure from the rows it writes.
    conn.execute(delete(schema.meta).where(schema.meta.c.key.in_(
        ("is_demo", "id_key_fingerprint", kept.META_FIRST, kept.META_LAST, kept.META_LAST_DAY, kept.META_VERSION,
         kept.META_SUNDAYS))))


def lock(conn) -> None:
    """On SQLite take the write lock at once, so the checks read the data the writes land on."""
    if conn.dialect.name == "sqlite" and not conn.connection.driver_connection.in_transaction:
        # pysqlite would BEGIN only at the first INSERT, after the reference checks had run;
        # WAL readers (the dashboard) are not blocked, a second loader waits its busy timeout.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def tune(conn) -> None:
    """Give a SQLite load a page cache big enough that index updates stay in memory."""
    if conn.dialect.name == "sqlite":
        # Per connection, negative = KiB: 256 MiB, allocated only as pages are touched. Random
        # inserts into the visit indexes are twice as fast as with SQLite's 2 MiB default.
        conn.exec_driver_sql("PRAGMA cache_size = -262144")


def _insert(conn, table: Table):
    name = conn.dialect.name
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        raise LoadRefused(f"不支持的数据库类型：{name}（导入只支持 SQLite 和 PostgreSQL）")
    return insert(table)


def _memo(processor):
    # A visit ledger repeats a few hundred dates 700,000 times: convert each date once.
    return None if processor is None else functools.lru_cache(maxsize=65536, typed=True)(processor)


def _driver_call(conn, statement, table: Table, columns: tuple[str, ...]):
    """The statement compiled once to the driver's SQL, and a rows → driver parameters function.

    Going round SQLAlchemy's per-row parameter handling saves about a third of the write time of a
    700,000-row load; the SQL text is still SQLAlchemy's own compilation of the Core statement and
    every value stays a bound parameter.
    """
    dialect = conn.dialect
    compiled = statement.compile(dialect=dialect, column_keys=list(columns))
    names = list(compiled.positiontup or compiled.params)
    if sorted(names) != sorted(columns):  # not a plain one-bind-per-column INSERT: do not guess
        return None
    getters = [(columns.index(name), _memo(table.c[name].type.dialect_impl(dialect).bind_processor(dialect)))
               for name in names]
    def columns_of(rows):
        # Column by column, so each conversion runs as one map() in C instead of a call per cell.
        return [[values[i] for values in rows] if p is None else list(map(p, [values[i] for values in rows]))
                for i, p in getters]

    if compiled.positiontup is not None:
        def params(rows):
            return list(zip(*columns_of(rows)))
    else:
        def params(rows):
            return [dict(zip(names, values)) for values in zip(*columns_of(rows))]
    return str(compiled), params


def _copy_upsert(conn, spec: TableSpec, ordered: list[tuple], into_empty: bool) -> None:
    """PostgreSQL: COPY the rows into a temporary table, then one INSERT … SELECT … ON CONFLICT; into an empty
    table (no conflict possible: the batch holds each key once) COPY them straight in.

    Row-by-row executemany reached about 28,000 rows/s; COPY streams the rows in the server's own format,
    and the upsert then runs as one set statement inside the same transaction. Straight in, 700,000 visits
    skip the staging table and the upsert's speculative insertions (7.9 s of writing, below).
    """
    from psycopg import sql as pgsql
    from sqlalchemy import Column, MetaData
    from sqlalchemy import Table as CoreTable
    from sqlalchemy.dialects.postgresql import insert

    table, columns = spec.table, spec.columns
    target = table
    if not into_empty:
        target = CoreTable(f"staging_{table.name}", MetaData(),
                           *[Column(c, table.c[c].type) for c in columns], prefixes=["TEMPORARY"],
                           postgresql_on_commit="DROP")
        target.drop(conn, checkfirst=True)  # a second write of the table in this transaction
        target.create(conn)
    cursor = conn.connection.driver_connection.cursor()
    copy_sql = pgsql.SQL("COPY {} ({}) FROM STDIN").format(
        pgsql.Identifier(target.name), pgsql.SQL(", ").join(pgsql.Identifier(c) for c in columns))
    with cursor.copy(copy_sql) as copy:
        width = len(columns)  # a row may carry more (where it came from) after its stored values
        for values in ordered:
            copy.write_row(values[:width])
    if into_empty:
        return
    statement = insert(table).from_select(list(columns), target.select())
    others = [c for c in columns if c not in spec.key]
    statement = statement.on_conflict_do_update(
        index_elements=[table.c[c] for c in spec.key],
        set_={c: statement.excluded[c] for c in others},
        where=or_(*(table.c[c].is_distinct_from(statement.excluded[c]) for c in others)),
    )
    conn.execute(statement)
    target.drop(conn)


def _held(conn, table: Table, most: int) -> int:
    """The rows the table holds, counted no further than `most`: a whole count would read 10 M visits to learn
    that they are many (and the visits have no rowid to read the size from)."""
    first = select(literal(1)).select_from(table).limit(bindparam("most", most))
    return conn.execute(select(func.count()).select_from(first.subquery())).scalar()


def _set_aside_indexes(conn, table: Table, incoming: int, held: int) -> list:
    """Drop the table's secondary indexes when the load brings at least twice the rows the table holds (SQLite)
    or the table is empty (PostgreSQL), and return them for the caller to create after its writes; else [].

    A secondary index in another order than the key (the visits by child) takes each row at a random place;
    built afresh it is one sort (700,000 visits into an empty table, SQLite: 13.9 → 10.0 s of writing, under
    load; PostgreSQL: 7.9 → 4.5 + 1.3 s). Inside the load's transaction, so a failed load keeps them. SQLite's
    readers see the old ones until the commit; PostgreSQL's DROP INDEX locks the table against readers until
    the commit, which is why it is done there only where they have nothing to read yet. Never on a table the
    load only adds a little to: rebuilding an index of 10 M rows for 10,000 new ones would cost more than it
    saves.
    """
    keep = held > 0 if conn.dialect.name == "postgresql" else 2 * held > incoming
    if not table.indexes or keep:
        return []
    indexes = sorted(table.indexes, key=lambda ix: ix.name)
    for index in indexes:
        index.drop(conn, checkfirst=True)
    return indexes


def upsert(conn, spec: TableSpec, rows: Iterable[tuple]) -> int:
    """Insert rows (values in spec.columns order); a row whose key exists replaces the stored one."""
    table, columns = spec.table, spec.columns
    key_at = [columns.index(c) for c in spec.key]
    # In key order the primary-key index grows at its end instead of splitting pages everywhere.
    ordered = sorted(rows, key=itemgetter(*key_at))
    held = _held(conn, table, len(ordered) // 2 + 1)
    rebuilt = _set_aside_indexes(conn, table, len(ordered), held)
    if conn.dialect.name == "postgresql":
        _copy_upsert(conn, spec, ordered, into_empty=held == 0)
    else:
        _upsert_rows(conn, spec, ordered)
    for index in rebuilt:
        index.create(conn)
    schema.analyze(conn, table)  # PostgreSQL plans the pages' queries on fresh statistics
    return len(ordered)


def _upsert_rows(conn, spec: TableSpec, ordered: list[tuple]) -> None:
    """SQLite: INSERT … ON CONFLICT DO UPDATE in batches, through the driver."""
    table, columns = spec.table, spec.columns
    statement = _insert(conn, table)
    others = [c for c in columns if c not in spec.key]
    statement = statement.on_conflict_do_update(
        index_elements=[table.c[c] for c in spec.key],
        set_={c: statement.excluded[c] for c in others},
        # An identical row is left alone, so reloading a file rewrites nothing on disk.
        where=or_(*(table.c[c].is_distinct_from(statement.excluded[c]) for c in others)),
    )
    driver = _driver_call(conn, statement, table, columns)
    if driver is None:
        def run(batch):
            conn.execute(statement, [dict(zip(columns, values)) for values in batch])
    else:
        sql, params = driver

        def run(batch):
            conn.exec_driver_sql(sql, params(batch))

    for start in range(0, len(ordered), BATCH):
        run(ordered[start:start + BATCH])
