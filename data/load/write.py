"""Database side of a load: reference lookups, the demo wipe, and the keyed upsert in batches."""

import functools
from operator import itemgetter
from typing import Iterable

from sqlalchemy import Table, bindparam, delete, or_, select

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
    """The statement compiled once to the driver's SQL, and a row → driver parameters function.

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
    if compiled.positiontup is not None:
        def params(values):
            return tuple([values[i] if p is None else p(values[i]) for i, p in getters])
    else:
        def params(values):
            return {n: values[i] if p is None else p(values[i]) for n, (i, p) in zip(names, getters)}
    return str(compiled), params


def _copy_upsert(conn, spec: TableSpec, ordered: list[tuple]) -> None:
    """PostgreSQL: COPY the rows into a temporary table, then one INSERT … SELECT … ON CONFLICT.

    Row-by-row executemany reached about 28,000 rows/s; COPY streams the rows in the server's own format,
    and the upsert then runs as one set statement inside the same transaction.
    """
    from psycopg import sql as pgsql
    from sqlalchemy import Column, MetaData
    from sqlalchemy import Table as CoreTable
    from sqlalchemy.dialects.postgresql import insert

    table, columns = spec.table, spec.columns
    staging = CoreTable(f"staging_{table.name}", MetaData(),
                        *[Column(c, table.c[c].type) for c in columns], prefixes=["TEMPORARY"],
                        postgresql_on_commit="DROP")
    staging.drop(conn, checkfirst=True)  # a second write of the table in this transaction
    staging.create(conn)
    cursor = conn.connection.driver_connection.cursor()
    copy_sql = pgsql.SQL("COPY {} ({}) FROM STDIN").format(
        pgsql.Identifier(staging.name), pgsql.SQL(", ").join(pgsql.Identifier(c) for c in columns))
    with cursor.copy(copy_sql) as copy:
        width = len(columns)  # a row may carry more (where it came from) after its stored values
        for values in ordered:
            copy.write_row(values[:width])
    statement = insert(table).from_select(list(columns), staging.select())
    others = [c for c in columns if c not in spec.key]
    statement = statement.on_conflict_do_update(
        index_elements=[table.c[c] for c in spec.key],
        set_={c: statement.excluded[c] for c in others},
        where=or_(*(table.c[c].is_distinct_from(statement.excluded[c]) for c in others)),
    )
    conn.execute(statement)
    staging.drop(conn)


def _set_aside_indexes(conn, table: Table, incoming: int) -> list:
    """SQLite: drop the table's secondary indexes when the load brings at least twice the rows the table holds
    (the caller creates them again after its writes), and return them; else [].

    A secondary index in another order than the key (the visits by child) takes each row at a random place;
    built afresh it is one sort (700,000 visits into an empty table: 13.9 → 10.0 s of writing, under load).
    Inside the load's transaction, so a failed load keeps them, and readers see the old ones until the commit.
    Never on a table the load only adds a little to: rebuilding an index of 10 M rows for 10,000 new ones would
    cost more than it saves. The rows held are read as the largest rowid (instant; a count reads the table).
    """
    if conn.dialect.name != "sqlite" or not table.indexes:
        return []
    name = conn.dialect.identifier_preparer.format_table(table)
    held = conn.exec_driver_sql(f"SELECT max(rowid) FROM {name}").scalar()
    if incoming < 2 * (held or 0):
        return []
    indexes = sorted(table.indexes, key=lambda ix: ix.name)
    for index in indexes:
        index.drop(conn, checkfirst=True)
    return indexes


def upsert(conn, spec: TableSpec, rows: Iterable[tuple]) -> int:
    """Insert rows (values in spec.columns order); a row whose key exists replaces the stored one."""
    table, columns = spec.table, spec.columns
    if conn.dialect.name == "postgresql":
        ordered = sorted(rows, key=itemgetter(*[columns.index(c) for c in spec.key]))
        _copy_upsert(conn, spec, ordered)
        schema.analyze(conn, table)
        return len(ordered)
    statement = _insert(conn, table)
    others = [c for c in columns if c not in spec.key]
    key_at = [columns.index(c) for c in spec.key]
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
            conn.exec_driver_sql(sql, [params(values) for values in batch])

    # In key order the primary-key index grows at its end instead of splitting pages everywhere.
    ordered = sorted(rows, key=itemgetter(*key_at))
    rebuilt = _set_aside_indexes(conn, table, len(ordered))
    for start in range(0, len(ordered), BATCH):
        run(ordered[start:start + BATCH])
    for index in rebuilt:
        index.create(conn)
    schema.analyze(conn, table)  # PostgreSQL plans the pages' queries on fresh statistics
    return len(ordered)
