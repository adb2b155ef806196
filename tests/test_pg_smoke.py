"""The engine runs over a real PostgreSQL connection in an isolated schema."""

from sqlalchemy import insert

from data.db import get_engine
from data.schema import create_schema, rebuild_closure, region
from queries.engine import Scope, indicators


def test_engine_runs_on_both_backends(db_url):
    engine = get_engine(db_url)
    create_schema(engine)
    with engine.begin() as conn:
        conn.execute(insert(region), [
            {"code": "370800000000", "name": "市", "level": "city", "parent_code": None},
            {"code": "370831000000", "name": "县", "level": "county", "parent_code": "370800000000"},
        ])
        rebuild_closure(conn)
    with engine.connect() as conn:
        frame = indicators(conn, "2024-06", "county", scope=Scope.everything())
    engine.dispose()
    assert frame.index.tolist() == ["370831000000"]
    assert frame.loc["370831000000", "children_total"] == 0
    assert frame["visit_completion"].isna().all()  # no children: denominator 0 → null
