"""Database URL resolution (flag → WEIBAO_DB_URL → embedded default) and engines."""

import os
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import Engine, make_url

from data.schema import meta

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PATH = ROOT / "var" / "weibao.sqlite"


def default_url() -> str:
    """The embedded database: a SQLite file under var/, no server needed."""
    return f"sqlite:///{DEFAULT_PATH}"


def resolve_url(flag: str | None = None) -> str:
    """The URL a command should use: its --db flag, else WEIBAO_DB_URL, else the embedded default."""
    return flag or os.environ.get("WEIBAO_DB_URL") or default_url()


def describe(url: str) -> str:
    """The URL with any password hidden, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def missing_file(url: str) -> str | None:
    """For a SQLite URL whose file does not exist, that path; readers should not create it."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return None if Path(parsed.database).exists() else parsed.database


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # WAL lets the dashboard keep reading while an import writes; the busy timeout makes a
    # reader wait for the writer's commit instead of failing.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=OFF")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def get_engine(url: str | None = None) -> Engine:
    """An engine for the resolved URL; creates the SQLite file's folder when needed."""
    url = resolve_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


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
