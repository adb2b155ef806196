"""The dashboards read a streaming replica (scripts/replica.py): the same figures as the primary, no write possible.

One module-wide replica: a scratch database on the primary of WEIBAO_TEST_PG_URL, a replica cluster of its own
(own name, free port) made by scripts/replica.py's functions, the demo built into the primary *while* the
replica streams (as the loader writes the primary), then the engine, the cockpit's model and a page read through
the replica. Replica cluster, replication slot and scratch database are removed afterwards, also on failure.

Runs when WEIBAO_TEST_PG_URL names a server on this machine and the suite runs as root with Debian's
postgresql-common (pg_createcluster needs both); skipped otherwise with the reason (in CI, with the URL set and
root, missing tools fail instead).
"""

import os
import shutil
import socket
import time
import uuid
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError


PG_ENV = "WEIBAO_TEST_PG_URL"  # as tests/conftest.py


def pg_base_url() -> str | None:
    return os.environ.get(PG_ENV) or None


APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
TOOLS = ("pg_lsclusters", "pg_createcluster", "pg_dropcluster", "pg_ctlcluster", "pg_basebackup", "runuser")
# Two real counties of the demo city (泗水县, 鱼台县: 703 villages, 3,500 children, 67,000 visits): built into
# PostgreSQL in about 10 s on a loaded machine, an eighth of the whole city's visits.
COUNTIES = ("370831000000", "370827000000")


def _why_not() -> str | None:
    base = pg_base_url()
    if not base:
        return f"{PG_ENV} not set"
    host = make_url(base).host or "localhost"
    if host not in ("127.0.0.1", "localhost"):
        return f"{PG_ENV} names {host}: the replica is a second cluster on the primary's own machine"
    if os.geteuid() != 0:
        return "needs root: pg_createcluster writes /etc/postgresql, pg_basebackup runs as postgres"
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        reason = f"{', '.join(missing)} missing (apt-get install postgresql-common postgresql-client)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        return reason
    return None


def _free_port() -> int:
    for port in range(5434, 5500):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port in 5434–5499 for the test replica")


@pytest.fixture(scope="module")
def rep():
    reason = _why_not()
    if reason:
        pytest.skip(reason)
    from data.db import get_engine
    from data.demo import build as demo_build
    from data.demo.spec import JINING
    from scripts import replica

    base = make_url(pg_base_url())
    primary_port = base.port or 5432
    db = f"weibao_replica_{uuid.uuid4().hex[:10]}"
    name = f"wbtest_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    timings = {}
    began = time.perf_counter()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db}"'))  # generated name, not input
    primary_url = base.set(database=db).render_as_string(hide_password=False)
    try:
        started = time.perf_counter()
        cluster = replica.start(name, _free_port(), primary_port, timeout=60, say=lambda _m: None)
        timings["replica start"] = time.perf_counter() - started
        url = replica.replica_url(cluster.port, db)
        # The demo goes into the primary while the replica streams: the loader's path.
        started = time.perf_counter()
        writer = get_engine(primary_url)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(demo_build, "JINING", replace(JINING, counties=tuple(
                c for c in JINING.counties if c.code in COUNTIES)))
            summary = demo_build.build_demo(writer, "city", seed=20221)
        writer.dispose()
        timings["demo build"] = time.perf_counter() - started
        started = time.perf_counter()
        replica.wait_for_replay(primary_port, cluster.port, timeout=60)
        timings["replay"] = time.perf_counter() - started
        yield {"primary": primary_url, "replica": url, "cluster": cluster, "primary_port": primary_port,
               "summary": summary, "timings": timings}
    finally:
        started = time.perf_counter()
        try:
            replica.stop(name, primary_port, say=lambda _m: None)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
            admin.dispose()
        timings["teardown"] = time.perf_counter() - started
        timings["module"] = time.perf_counter() - began
        print("\ntest_replica timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    assert replica.find(name) is None


def _month() -> str:
    from queries.periods import latest_complete_month

    return str(latest_complete_month())


def test_the_replica_is_a_hot_standby_that_streams(rep):
    from scripts import replica

    cluster = rep["cluster"]
    assert replica.in_recovery(cluster.port) is True
    lines = []
    assert replica.status(cluster.name, rep["primary_port"], say=lines.append), lines
    assert any("streaming" in line for line in lines), lines
    assert f"WEIBAO_DB_URL={rep['replica']}" in lines
    assert rep["summary"].rows["visit"] > 10_000  # the replica followed a real load, not an empty schema


def _deep_equal(a, b, where: str = "") -> None:
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, obj=where)
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b, obj=where)
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            _deep_equal(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, (list, tuple)) or a is None:
        assert a == b, where
    else:
        assert a == b or (pd.isna(a) and pd.isna(b)), where


def test_the_engine_reads_the_same_figures_through_the_replica(rep):
    from dashboard import engine as bridge
    from data.db import get_engine, statement_timeout_ms
    from queries import cockpit
    from queries.engine import Scope, indicators

    month, everything = _month(), Scope.everything()
    on_primary = get_engine(rep["primary"], read_only=True)
    on_replica = bridge._engine(rep["replica"], statement_timeout_ms())  # the dashboard's own engine
    try:
        with on_primary.connect() as p, on_replica.connect() as r:
            for level in ("city", "county", "township", "village"):
                left = indicators(p, month, level, scope=everything, with_measures=True)
                right = indicators(r, month, level, scope=everything, with_measures=True)
                assert len(left) > 0, level
                pd.testing.assert_frame_equal(left, right, obj=level)
            for region in (COUNTIES[0],):  # the city's cockpit: the page test below
                _deep_equal(cockpit.model(p, everything, month, region), cockpit.model(r, everything, month, region),
                            f"cockpit {region}")
            version = "SELECT value FROM meta WHERE key = 'data_version'"
            assert p.execute(text(version)).scalar_one() == r.execute(text(version)).scalar_one()
    finally:
        on_primary.dispose()


def test_a_write_through_the_replica_fails_whatever_the_connection(rep):
    from data.db import get_engine

    writer = get_engine(rep["replica"])  # a *writer* engine: no read-only session setting
    try:
        with writer.connect() as conn:
            assert conn.execute(text("SHOW default_transaction_read_only")).scalar_one() == "off"
            assert conn.execute(text("SELECT pg_is_in_recovery()")).scalar_one() is True
        for statement in ("INSERT INTO meta (key, value) VALUES ('x', 'y')", "DELETE FROM visit",
                          "CREATE TABLE scratch (i int)"):
            with pytest.raises(DBAPIError) as caught:
                with writer.begin() as conn:
                    conn.execute(text(statement))
            assert caught.value.orig.sqlstate == "25006", statement  # read_only_sql_transaction
            assert "read-only transaction" in str(caught.value.orig)
    finally:
        writer.dispose()


def test_a_write_on_the_primary_reaches_the_replica(rep):
    from data.db import bump_data_version, get_engine
    from scripts import replica

    writer = get_engine(rep["primary"])
    reader = get_engine(rep["replica"], read_only=True)
    try:
        with writer.begin() as conn:
            version = bump_data_version(conn)  # what every import does last: the pages' caches key on it
        started = time.perf_counter()
        replica.wait_for_replay(rep["primary_port"], rep["cluster"].port, timeout=30)
        lag = time.perf_counter() - started
        with reader.connect() as conn:
            assert conn.execute(text("SELECT value FROM meta WHERE key = 'data_version'")).scalar_one() == version
        rep["timings"]["commit → visible on replica"] = lag
        assert lag < 10
    finally:
        writer.dispose()
        reader.dispose()


def test_the_cockpit_page_renders_from_the_replica(rep, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from data.db import get_engine
    from queries import fmt
    from queries.engine import Scope, indicators
    from tests.login import login

    monkeypatch.setenv("WEIBAO_DB_URL", rep["replica"])
    started = time.perf_counter()
    at = login(AppTest.from_file(APP, default_timeout=120))
    at.run()
    rep["timings"]["cockpit page (AppTest)"] = time.perf_counter() - started
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    month, region = at.session_state["month"], at.session_state["region"]
    primary = get_engine(rep["primary"], read_only=True)
    try:
        with primary.connect() as conn:
            row = indicators(conn, month, "city", region, scope=Scope.everything()).loc[region]
    finally:
        primary.dispose()
    page = " ".join(m.value for m in at.markdown)
    assert fmt.count(row["children_total"]) in page  # the primary's figure, drawn from the replica
    assert fmt.percent(row["village_director_coverage"]) in page
