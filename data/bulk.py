"""Bulk inserts of many rows into an empty or cleared part of a table: COPY on PostgreSQL, executemany on SQLite."""

from collections.abc import Iterable, Sequence

from sqlalchemy import insert

BATCH = 50_000


def write_rows(conn, table, columns: Sequence[str], rows: Iterable[tuple]) -> int:
    """Insert rows (values in `columns` order, as driver values: dates as date objects on PostgreSQL and ISO
    text on SQLite, no numpy scalars) inside the caller's transaction; returns how many were written.

    No conflict handling: the caller has deleted what these rows replace. executemany wrote 9.6 M visits to
    PostgreSQL in about 17 minutes; COPY streams them in the server's own format.
    """
    if conn.dialect.name == "postgresql":
        from psycopg import sql as pgsql

        statement = pgsql.SQL("COPY {} ({}) FROM STDIN").format(
            pgsql.Identifier(table.name), pgsql.SQL(", ").join(pgsql.Identifier(c) for c in columns))
        cursor = conn.connection.driver_connection.cursor()
        written = 0
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
                written += 1
        return written
    compiled = insert(table).compile(dialect=conn.dialect, column_keys=list(columns))
    positional = compiled.positiontup is not None
    order = list(compiled.positiontup) if positional else list(columns)
    at = [list(columns).index(c) for c in order]
    sql, batch, written = str(compiled), [], 0
    for row in rows:
        batch.append(tuple(row[i] for i in at) if positional else dict(zip(order, (row[i] for i in at))))
        if len(batch) >= BATCH:
            conn.exec_driver_sql(sql, batch)
            written, batch = written + len(batch), []
    if batch:
        conn.exec_driver_sql(sql, batch)
        written += len(batch)
    return written
