"""After an import the dashboard recomputes what viewers looked at lately, before anyone waits for it."""

from dashboard import engine
from data.db import bump_data_version, get_engine
from queries.engine import Scope
from tests.fixtures import direct

CALLS = []


def counting_query(conn, scope, month, keys):
    """Stands in for a queries/ function: records each real execution (cache hits do not run it)."""
    CALLS.append((month, tuple(keys)))
    return len(CALLS)


def test_warm_once_replays_recent_views_for_the_new_data_version(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'tiny.sqlite'}"
    db = get_engine(url)
    direct.load_direct(db)
    monkeypatch.setenv("WEIBAO_DB_URL", url)
    CALLS.clear()
    engine._recent.clear()  # other tests in this process viewed other databases

    engine.ask(counting_query, Scope.everything(), "2024-06", ["visit_completion"])  # a list, as pages pass
    engine.ask(counting_query, Scope.everything(), "2024-06", ["visit_completion"])
    assert CALLS == [("2024-06", ("visit_completion",))]  # the second view came from the cache

    seen = engine.warm_once(None)
    assert len(CALLS) == 1  # nothing changed: nothing recomputed

    with db.begin() as conn:  # an import
        bump_data_version(conn)
    new = engine.warm_once(seen)
    assert new != seen
    assert len(CALLS) == 2  # recomputed once, for the new version
    key = ("tests.test_cache_warm.counting_query", None, None, ("2024-06", ["visit_completion"]), ())
    engine._call(url, new[1], *key)
    assert len(CALLS) == 2  # and that result is what the next viewer gets

    monkeypatch.setenv("WEIBAO_DB_URL", f"sqlite:///{tmp_path / 'other.sqlite'}")
    direct.load_direct(get_engine(engine.db_url()))
    engine.warm_once(new)
    assert len(CALLS) == 2  # another database: nothing of the first one's views is replayed there
    db.dispose()
