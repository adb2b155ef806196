"""Scope by structure: no statement of queries/sql bypasses the viewer's scope, and no SQL reaches the data otherwise."""

import re
from pathlib import Path

import pytest
from sqlalchemy import event

from data.db import get_engine
from queries import engine as qe
from tests.fixtures.direct import load_direct
from tests.fixtures.tiny import A, MONTH

ROOT = Path(__file__).resolve().parent.parent
SQL_FILES = sorted((ROOT / "queries" / "sql").glob("*.sql"))
# Statements that read no child data and so need no scope; each with why (the same list as
# queries.engine.UNSCOPED, which enforces it at run time).
ALLOWED = {
    # The codes of the regions without a parent: what "everything" means, before any scope can be bound.
    "top_regions": "regions only",
    # One region's level and parent, read at login to build the scope itself.
    "viewer_region": "regions only",
    "kept_state": "meta dates only",
    # The CTE `target` rebound from targets.sql's own result (which binds :scope).
    "targets_listed": "regions only, codes from targets.sql",
}
DATA_TABLES = ("child", "visit", "worker_post", "station", "training", "budget", "spending", "import_log")
# Python that may execute SQL itself: the engine (the one door), and the operator's command-line report,
# which runs with Scope.everything() on the server and is never called by a page.
EXECUTORS = {"engine.py", "report.py"}


def _names(paths) -> list[str]:
    return [p.stem for p in paths]


@pytest.mark.parametrize("name", _names(SQL_FILES))
def test_every_statement_is_scoped(name):
    body = qe.sql(name)  # without comments: a parameter named only in a comment does not count
    if name in ALLOWED:
        return
    assert qe.uses_target(name) or re.search(r":scope\b", body), \
        f"queries/sql/{name}.sql neither reads the CTE `target` nor binds :scope"
    if re.search(r":roots\b", body):
        # :roots is the region asked for; only :scope bounds it to what the viewer may see.
        assert re.search(r":scope\b", body) or qe.uses_target(name), name


def test_the_allow_list_is_the_engines_and_reads_no_child_data():
    assert set(ALLOWED) == set(qe.UNSCOPED)
    for name in ALLOWED:
        body = qe.sql(name).lower()
        assert not [t for t in DATA_TABLES if re.search(rf"\b{t}\b", body)], name


def test_no_statement_runs_without_a_scope(tmp_path):
    engine = get_engine(f"sqlite:///{tmp_path / 'tiny.sqlite'}")
    load_direct(engine)
    with engine.connect() as conn:
        with pytest.raises(qe.ScopeMissing):
            qe.scoped(conn, "regions", {"level": "county", "roots": [A]})
        with pytest.raises(qe.ScopeMissing):
            qe.scoped(conn, "data_span", {})
    engine.dispose()


def test_only_the_engine_executes_sql():
    """Every other module reaches the data through queries.engine.scoped (which binds the scope)."""
    offenders = []
    for path in sorted((ROOT / "queries").glob("*.py")):
        if path.name in EXECUTORS:
            continue
        code = path.read_text(encoding="utf-8")
        for pattern in (r"\.execute\(", r"exec_driver_sql", r"\btext\(", r"\bsql\(", r"\b_run\(", r"\brun_sql\b"):
            if re.search(pattern, code):
                offenders.append(f"{path.name}: {pattern}")
        # The scope's bind values come from scope_params, never typed by hand.
        if re.search(r"[\"'](scope|roots)[\"']\s*:", code):
            offenders.append(f"{path.name}: writes :scope/:roots itself")
    assert not offenders, offenders


@pytest.mark.parametrize("kept", [False, True], ids=["rows", "kept-measures"])
def test_every_statement_of_the_pages_goes_through_the_scoped_door(tmp_path, monkeypatch, kept):
    """Each statement the database sees while the page functions run came through scoped() with a scope bound
    (or is an allow-listed one, or the meta table's demo flag and data version)."""
    from queries import catalog, compare, reporting, scorecard, topics_children, topics_funds, topics_network, \
        topics_training, topics_visits, weekly

    engine = get_engine(f"sqlite:///{tmp_path / 'tiny.sqlite'}")
    load_direct(engine, kept=kept)
    door, seen = [], []
    real = qe._execute  # under both scoped() and scoped_columns(): every statement of the engine

    def spy(conn, body, params):
        door.append((body, params))
        return real(conn, body, params)

    monkeypatch.setattr(qe, "_execute", spy)
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    rubric = scorecard.parse_rubric({"title": "测试", "criteria": [
        {"key": "village_director_coverage", "weight": 100, "rule": "linear", "floor": 0.5}]})
    with engine.connect() as conn:
        seen.clear()
        scope = qe.Scope.for_viewer(conn, "county", A)
        catalog.overview_meta(conn, scope)
        catalog.freshness(conn, scope)
        compare.snapshot(conn, scope, MONTH, A)
        compare.peer_rank(conn, scope, MONTH, A, ["visit_completion"])
        compare.red_list(conn, scope, MONTH, A, ["visit_completion"])
        compare.reference(conn, scope, MONTH, A)
        scorecard.scorecard(conn, scope, MONTH, rubric, A)
        scorecard.data_as_of(conn, scope)
        weekly.review(conn, scope, "2024-W26", A)
        reporting.per_unit(conn, scope, MONTH, A)
        topics_children.children_by_region(conn, scope, MONTH, "county", A)
        topics_network.network_gaps(conn, scope, MONTH, A, "home")
        topics_training.training_totals(conn, scope, MONTH, "county", A)
        topics_visits.visit_summary(conn, scope, MONTH, "county", A)
        topics_funds.funds_monthly(conn, scope, MONTH, A)
    engine.dispose()
    assert len(door) > (25 if kept else 40)  # the functions above did run their statements
    assert any("kept_children" in body for body, _ in door) == kept
    unscoped = {qe.sql(name) for name in qe.UNSCOPED}
    for body, params in door:
        assert "scope" in params or any(body.endswith(u) for u in unscoped), body[:200]
    outside = [s for s in seen if not re.search(r"\bFROM meta\b", s)]
    through_door = [body for body, _ in door if not re.search(r"\bFROM meta\b", body)]
    # The door's statements, each executed once (psycopg/sqlite expand IN lists, so compare counts, not text).
    assert len(outside) == len(through_door), [s[:120] for s in outside][:5]


@pytest.mark.parametrize("level", ["township", "village"])
def test_the_targets_bound_as_a_list_and_walked_in_the_statement_give_the_same_rows(tmp_path, monkeypatch, level):
    # Nested roots (甲县 and its 甲一镇) read 甲一镇's villages twice before the de-duplication: 4 villages come
    # as 7 rows. A list cut at the cap is walked by the statement, whatever its distinct codes: the codes the
    # duplicates crowded out of the cut would otherwise be lost.
    from tests.fixtures.tiny import A1, A1a, A1b, A1c, A2, A2a
    engine = get_engine(f"sqlite:///{tmp_path / 'tiny.sqlite'}")
    load_direct(engine)
    scope = qe.Scope((A, A1))
    with engine.connect() as conn:
        listed = qe.measures(conn, MONTH, level, None, scope)
        assert qe._target_codes(conn, {"level": level, **qe.scope_params(conn, scope, None)}) is not None
    monkeypatch.setattr(qe, "TARGET_LIST_MAX", 4)
    with engine.connect() as conn:
        cut = qe.measures(conn, MONTH, level, None, scope)
        walked_here = qe._target_codes(conn, {"level": level, **qe.scope_params(conn, scope, None)}) is None
    monkeypatch.setattr(qe, "TARGET_LIST_MAX", 0)
    with engine.connect() as conn:
        walked = qe.measures(conn, MONTH, level, None, scope)
    assert set(listed.index) == {"township": {A1, A2}, "village": {A1a, A1b, A1c, A2a}}[level]
    assert walked_here == (level == "village")  # 7 rows > 4 (the townships: 2 + 1 rows, listed)
    assert listed.equals(cut) and listed.equals(walked)
