"""The dashboard's own connection cannot write: a write through it fails on SQLite and on PostgreSQL."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from data.db import get_engine
from data.schema import create_schema


def test_a_write_through_the_dashboards_connection_fails(db_url):
    from dashboard import engine as bridge

    writer = get_engine(db_url)
    create_schema(writer)
    writer.dispose()
    reader = bridge._engine(db_url)
    with pytest.raises(DBAPIError):
        with reader.begin() as conn:
            conn.execute(text("INSERT INTO meta (key, value) VALUES ('x', 'y')"))
    with reader.connect() as conn:  # reading still works
        assert conn.execute(text("SELECT COUNT(*) FROM meta WHERE key = 'x'")).scalar_one() == 0


# A statement SQLite needs seconds for: count to 200 million in a recursive CTE.
SLOW_SQLITE = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000000) "
               "SELECT COUNT(*) FROM n")


def test_a_statement_past_the_time_limit_is_stopped(db_url):
    import time

    from dashboard import engine as bridge
    from data.db import is_timeout

    writer = get_engine(db_url)
    create_schema(writer)
    writer.dispose()
    reader = bridge._engine(db_url, 300)
    slow = SLOW_SQLITE if db_url.startswith("sqlite") else "SELECT pg_sleep(5)"
    started = time.monotonic()
    with pytest.raises(DBAPIError) as caught:
        with reader.connect() as conn:
            conn.execute(text(slow)).scalar_one()
    assert is_timeout(caught.value)
    assert time.monotonic() - started < 3  # stopped near the limit, not at the statement's end
    with reader.connect() as conn:  # the next statement on a pooled connection starts a fresh clock
        assert conn.execute(text("SELECT COUNT(*) FROM meta")).scalar_one() == 0


def test_the_time_limit_comes_from_the_environment(monkeypatch):
    from data.db import DEFAULT_TIMEOUT_MS, TIMEOUT_ENV, statement_timeout_ms

    monkeypatch.delenv(TIMEOUT_ENV, raising=False)
    assert statement_timeout_ms() == DEFAULT_TIMEOUT_MS == 15_000
    monkeypatch.setenv(TIMEOUT_ENV, "2500")
    assert statement_timeout_ms() == 2500
    monkeypatch.setenv(TIMEOUT_ENV, "15秒")
    with pytest.raises(ValueError, match="毫秒"):
        statement_timeout_ms()


def test_a_slow_page_query_says_so_in_chinese(tmp_path, monkeypatch):
    from dashboard import engine as bridge

    url = f"sqlite:///{tmp_path / 'slow.sqlite'}"
    writer = get_engine(url)
    create_schema(writer)
    writer.dispose()
    monkeypatch.setenv("WEIBAO_DB_URL", url)
    monkeypatch.setenv("WEIBAO_STATEMENT_TIMEOUT_MS", "200")
    with pytest.raises(bridge.DataUnavailable, match="查询超过 0.2 秒未完成，已中止"):
        bridge._read(lambda conn: conn.execute(text(SLOW_SQLITE)).scalar_one())


def test_reader_connections_leave_the_journal_mode_alone(tmp_path):
    """A reader must not run PRAGMA journal_mode=WAL: on a read-only file it would fail or, worse, convert it."""
    from dashboard import engine as bridge

    url = f"sqlite:///{tmp_path / 'rollback.sqlite'}"
    writer = get_engine(url)
    create_schema(writer)
    with writer.connect() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode=DELETE")
    writer.dispose()
    reader = bridge._engine(url, 15_000)
    with reader.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "delete"
        assert conn.execute(text("SELECT COUNT(*) FROM meta")).scalar_one() == 0
