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
