"""The auth store (users, login bookkeeping, audit chain): its URL, tables, engine and serialized write transactions."""

import os
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import (
    Boolean, CheckConstraint, Column, DateTime, Index, Integer, MetaData, String, Table, Text, event, func,
    insert, select, update,
)
from sqlalchemy.engine import Engine

from data.db import get_engine

ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_PATH = ROOT / "var" / "auth.sqlite"
AUTH_ENV = "WEIBAO_AUTH_URL"

# The hash the first audit record is chained to.
GENESIS = "0" * 64

metadata = MetaData()

users = Table(
    "users", metadata,
    Column("username", String(64), primary_key=True),
    Column("display_name", Text, nullable=False),
    Column("role", String(10), nullable=False),
    Column("region_code", String(12), nullable=False),
    Column("password_hash", Text, nullable=False),  # argon2id, never the password
    Column("enabled", Boolean, nullable=False, default=True),
    Column("demo", Boolean, nullable=False, default=False),  # a published demo account
    Column("created_at", DateTime, nullable=False),  # UTC
    Column("password_changed_at", DateTime, nullable=False),  # UTC
    CheckConstraint("role IN ('city','county','inspector','admin')", name="users_role"),
)

# One row per failed attempt inside the lock window; Text, not String(64): what was typed may be anything.
login_failure = Table(
    "login_failure", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", Text, nullable=False),
    Column("failed_at", DateTime, nullable=False),  # UTC
)
Index("ix_login_failure_user", login_failure.c.username, login_failure.c.failed_at)
Index("ix_login_failure_at", login_failure.c.failed_at)

login_lock = Table(
    "login_lock", metadata,
    Column("username", Text, primary_key=True),
    Column("locked_until", DateTime, nullable=False),  # UTC
)

# Append-only: the code has no UPDATE or DELETE on it. Ids are assigned by the writer holding the
# chain head, consecutive from 1, so a deleted record shows as a gap.
audit = Table(
    "audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("at", DateTime, nullable=False),  # UTC, microseconds
    Column("username", Text),
    Column("action", String(20), nullable=False),
    Column("details", Text, nullable=False),  # canonical JSON, hashed byte for byte
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
Index("ix_audit_user", audit.c.username, audit.c.id)
Index("ix_audit_action", audit.c.action, audit.c.id)
Index("ix_audit_at", audit.c.at)

# One row (id 1): the last record's id and hash. Every write transaction locks it first, which
# serializes appends across threads and processes and makes the next id and hash an O(1) read.
audit_head = Table(
    "audit_head", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_id", Integer, nullable=False),
    Column("last_hash", String(64), nullable=False),
)

_WRITE = "weibao_write"
# Key of the PostgreSQL advisory lock held while the tables are created (any fixed number of our own).
_CREATE_LOCK = 7_020_417


def auth_url(flag: str | None = None) -> str:
    """The auth store's URL: a --auth flag, else WEIBAO_AUTH_URL, else the embedded var/auth.sqlite."""
    return flag or os.environ.get(AUTH_ENV) or f"sqlite:///{DEFAULT_PATH}"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def to_utc(moment: datetime | None) -> datetime:
    """An aware UTC time; None is now, a naive time is taken as UTC already."""
    if moment is None:
        return utcnow()
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def stored(moment: datetime) -> datetime:
    """The naive UTC form the DateTime columns hold (both backends keep microseconds)."""
    return to_utc(moment).replace(tzinfo=None)


def loaded(value: datetime | None) -> datetime | None:
    """A DateTime column's value back as an aware UTC time."""
    return None if value is None else value.replace(tzinfo=timezone.utc)


def _sqlite_first(dbapi_conn, _record) -> None:
    # Runs before data.db's pragmas: the busy timeout must already hold when the first connections of
    # several processes switch a new file to WAL at once. pysqlite would open transactions itself with
    # a deferred BEGIN; the begin hook below emits its own.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()
    dbapi_conn.isolation_level = None


def _sqlite_begin(conn) -> None:
    # A writer takes SQLite's write lock when its transaction begins (BEGIN IMMEDIATE), so two writers
    # never both read the same chain head; readers keep the cheap deferred BEGIN.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")


def auth_engine(url: str | None = None) -> Engine:
    """An engine on the auth store (flag → WEIBAO_AUTH_URL → var/auth.sqlite), its tables created if missing.

    Create it once per process (the dashboard: st.cache_resource); it is safe to share between threads.
    """
    engine = get_engine(auth_url(url))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_first, insert=True)
        event.listen(engine, "begin", _sqlite_begin)
    create_store(engine)
    return engine


def create_store(engine: Engine) -> None:
    """Create the auth tables and the chain head if missing; processes starting at once wait for each other."""
    with engine.connect() as conn:
        # A write transaction from the start: a deferred one that has read the catalogue cannot take
        # SQLite's write lock while another process holds it ("database is locked" at once).
        conn.execution_options(**{_WRITE: True})
        with conn.begin():
            if engine.dialect.name == "postgresql":
                conn.execute(select(func.pg_advisory_xact_lock(_CREATE_LOCK)))
            metadata.create_all(conn)
            if conn.execute(select(audit_head.c.id).where(audit_head.c.id == 1)).first() is None:
                conn.execute(insert(audit_head).values(id=1, last_id=0, last_hash=GENESIS))


@contextmanager
def writing(engine: Engine):
    """A write transaction holding the chain head: yields (connection, head) with head = (last_id, last_hash).

    Every write to the auth store goes through here, so writes are serialized (SQLite BEGIN IMMEDIATE,
    PostgreSQL SELECT … FOR UPDATE on the head row) and can append audit records in the same transaction.
    """
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE: True})
        with conn.begin():
            row = conn.execute(select(audit_head.c.last_id, audit_head.c.last_hash)
                               .where(audit_head.c.id == 1).with_for_update()).one()
            yield conn, _Head(row.last_id, row.last_hash)


class _Head:
    """The chain head as the transaction holding it advances it."""

    __slots__ = ("last_id", "last_hash")

    def __init__(self, last_id: int, last_hash: str):
        self.last_id, self.last_hash = last_id, last_hash

    def advance(self, conn, new_id: int, new_hash: str) -> None:
        conn.execute(update(audit_head).where(audit_head.c.id == 1).values(last_id=new_id, last_hash=new_hash))
        self.last_id, self.last_hash = new_id, new_hash
