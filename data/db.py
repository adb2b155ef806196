"""Database URL resolution (flag → WEIBAO_DB_URL → embedded default) and engines, read-only ones for readers."""

import os
import sqlite3
import threading
import time
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import DBAPIError

from data import settings
from data.schema import meta

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PATH = ROOT / "var" / "weibao.sqlite"
TIMEOUT_ENV = "WEIBAO_STATEMENT_TIMEOUT_MS"
DEFAULT_TIMEOUT_MS = settings.declared(TIMEOUT_ENV).value


def default_url() -> str:
    """The embedded database: a SQLite file under var/, no server needed."""
    return f"sqlite:///{DEFAULT_PATH}"


def resolve_url(flag: str | None = None) -> str:
    """The URL a command should use: its --db flag, else WEIBAO_DB_URL, else the embedded default."""
    return flag or os.environ.get("WEIBAO_DB_URL") or default_url()


def describe(url: str) -> str:
    """The URL with any password hidden, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def _sqlite_file(url: str) -> str | None:
    """The file a SQLite URL names, or None (another database, or an in-memory one)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return parsed.database


def missing_file(url: str) -> str | None:
    """For a SQLite URL whose file does not exist, its absolute path; readers must not create it."""
    database = _sqlite_file(url)
    if database is None or Path(database).exists():
        return None
    return str(Path(database).resolve())


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # WAL lets the dashboard keep reading while an import writes; the busy timeout makes a
    # reader wait for the writer's commit instead of failing.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=30000")
    _wal(cur)
    cur.execute("PRAGMA foreign_keys=OFF")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _wal(cur) -> None:
    """Switch the file to WAL once. Several processes opening a new file at once (dashboard processes behind
    nginx, the audit test's writers) race for the switch, and SQLite may answer "database is locked" at once
    instead of waiting for the busy timeout: retried for up to 10 s. A file already in WAL needs no switch."""
    if str(cur.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
        return
    for attempt in range(100):
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or attempt == 99:
                raise
            time.sleep(0.1)


def _reader_pragmas(dbapi_conn, _record) -> None:
    # A read-only connection cannot switch the journal mode; the file keeps the WAL mode its writer set.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _postgres_read_only(dbapi_conn, _record) -> None:
    # Session-wide, committed at once: a SET inside a transaction rolled back later would be undone.
    cur = dbapi_conn.cursor()
    cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    cur.close()
    dbapi_conn.commit()


def statement_timeout_ms() -> int:
    """The dashboard's per-statement limit in ms: WEIBAO_STATEMENT_TIMEOUT_MS (data/settings.py); 0 means none."""
    return settings.read(TIMEOUT_ENV)  # settings.SettingError (a ValueError, Chinese) for a bad value


def _postgres_time_limit(engine: Engine, limit_ms: int) -> None:
    def on_connect(dbapi_conn, _record) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f"SET SESSION statement_timeout = {int(limit_ms)}")  # an int, never user text
        cur.close()
        dbapi_conn.commit()

    event.listen(engine, "connect", on_connect)


def _sqlite_time_limit(engine: Engine, limit_ms: int) -> None:
    """SQLite has no statement timeout: a timer thread interrupts a statement once it has run `limit_ms`.

    The clock starts when a statement is sent and keeps running while its rows are fetched (SQLite does
    most of its work then); the next statement restarts it, returning the connection to the pool stops it.
    An interrupt with no statement running does nothing. A timer, not a progress handler: the handler runs
    Python every few thousand steps and so needs the GIL, which twenty busy page scripts hold — a 0.5 s
    query then took 23 s and was stopped at the limit (measured by the load test).
    """
    limit = limit_ms / 1000

    def stop(info) -> None:
        timer = info.pop("weibao_timer", None)
        if timer is not None:
            timer.cancel()

    def on_execute(conn, _cursor, _statement, _params, _context, _many) -> None:
        stop(conn.info)
        timer = threading.Timer(limit, conn.connection.dbapi_connection.interrupt)
        timer.daemon = True
        conn.info["weibao_timer"] = timer
        timer.start()

    def on_checkin(_dbapi_conn, record) -> None:
        stop(record.info)

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine.pool, "checkin", on_checkin)


def is_timeout(err: BaseException) -> bool:
    """Whether a database error is the statement time limit (SQLite interrupted, PostgreSQL 57014)."""
    if not isinstance(err, DBAPIError):
        return False
    orig = err.orig
    if getattr(orig, "sqlstate", None) == "57014" or getattr(orig, "pgcode", None) == "57014":
        return True
    return type(orig).__module__.startswith("sqlite3") and "interrupted" in str(orig)


def _read_only_url(url: str, database: str) -> URL:
    """The SQLite URL as a file: URI with mode=ro, so that SQLite never creates the file."""
    parsed = make_url(url)
    if parsed.query.get("uri") in ("true", "1"):
        return parsed  # already a URI filename: the caller chose its mode
    uri = Path(database).resolve().as_uri()
    return parsed.set(database=uri, query={**parsed.query, "mode": "ro", "uri": "true"})


def get_engine(url: str | None = None, read_only: bool = False, timeout_ms: int | None = None) -> Engine:
    """An engine for the resolved URL.

    A writer (the loader, the demo) gets the SQLite file's folder created when needed. A reader
    (read_only=True: the report, the dashboard) never creates a file or a folder: SQLite opens the
    file read-only, so connecting fails while it is missing (check missing_file first for a message);
    on PostgreSQL its sessions are read-only. A reader given `timeout_ms` (the dashboard passes
    statement_timeout_ms()) has every statement stopped after that long; batch readers (the report,
    the audit check) pass none, since a province-wide report may rightly take longer.
    """
    url = resolve_url(url)
    database = _sqlite_file(url)
    backend = make_url(url).get_backend_name()
    limited = read_only and bool(timeout_ms)
    if backend != "sqlite":
        engine = create_engine(url, pool_pre_ping=True)
        if read_only and backend == "postgresql":
            event.listen(engine, "connect", _postgres_read_only)
            if limited:
                _postgres_time_limit(engine, timeout_ms)
        return engine
    if read_only and database:
        engine = create_engine(_read_only_url(url, database))
        event.listen(engine, "connect", _reader_pragmas)
        if limited:
            _sqlite_time_limit(engine, timeout_ms)
        return engine
    if database:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def get_meta(conn, key: str) -> str | None:
    """One value of the meta table, or None."""
    return conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar_one_or_none()


def set_meta(conn, key: str, value: str) -> None:
    """Insert or replace one value of the meta table."""
    conn.execute(meta.delete().where(meta.c.key == key))
    conn.execute(meta.insert().values(key=key, value=value))


def bump_data_version(conn) -> str:
    """Mark the data as changed, so that caches keyed on the version are refreshed."""
    version = datetime.now().isoformat(timespec="microseconds")
    set_meta(conn, "data_version", version)
    return version
