"""Shared fixtures: database URLs for SQLite files and, when WEIBAO_TEST_PG_URL is set, an isolated PostgreSQL schema."""

import os
import uuid
from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_ENV = "WEIBAO_TEST_PG_URL"
TEST_COOKIE_KEY = "test-cookie-key-of-the-suite-not-a-secret-0123456789"


def pg_base_url() -> str | None:
    """The PostgreSQL server the suite may use, or None (PostgreSQL tests are then skipped)."""
    return os.environ.get(PG_ENV) or None


@pytest.fixture(scope="session", autouse=True)
def auth_store(tmp_path_factory):
    """The suite's auth store (users, audit log): a scratch file, never var/auth.sqlite; and a fixed cookie
    key, so the browser tests can sign a session cookie and dashboards served for them accept it."""
    url = f"sqlite:///{tmp_path_factory.mktemp('auth') / 'auth.sqlite'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WEIBAO_AUTH_URL", url)
        patch.setenv("WEIBAO_COOKIE_KEY", TEST_COOKIE_KEY)
        yield url


@pytest.fixture(scope="session", autouse=True)
def component_scan_once():
    """Each new AppTest has Streamlit scan every installed distribution's metadata for v2 component manifests
    (a tenth to a quarter of a second each, a few hundred times a session), where a server scans once at start.
    The installed packages do not change during the session: scan on the first AppTest, hand the later ones
    the same result."""
    from streamlit.components.v2 import manifest_scanner

    real, found = manifest_scanner.scan_component_manifests, []

    def scan_once(max_workers=None):
        if not found:
            found.append(real(max_workers))
        return list(found[0])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(manifest_scanner, "scan_component_manifests", scan_once)
        yield


@pytest.fixture(scope="session", autouse=True)
def compiled_scripts_once():
    """Each AppTest run compiles app.py and its page anew (Streamlit's "magic" rewrite of the syntax tree, then
    compile: a few hundredths of a second, a thousand times a session), where a server keeps the bytecode until
    the file changes. Keep it the same way across the session's AppTests: by path, compiled again when the
    file's modification time or size changes."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    compiled: dict = {}

    class SessionScriptCache(ScriptCache):
        def get_bytecode(self, script_path: str):
            path = os.path.abspath(script_path)
            info = os.stat(path)
            stamp = (info.st_mtime_ns, info.st_size)
            hit = compiled.get(path)
            if hit is None or hit[0] != stamp:
                hit = compiled[path] = (stamp, ScriptCache().get_bytecode(path))
            return hit[1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(app_test, "ScriptCache", SessionScriptCache)  # the pages (st.navigation)
        patch.setattr(local_script_runner, "ScriptCache", SessionScriptCache)  # the main script
        yield


@contextmanager
def _pg_schema(base: str):
    """A URL whose connections see only a fresh schema of their own, dropped afterwards."""
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))  # schema name is generated above, not user input
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def pg_url():
    """A URL whose connections see only a fresh schema of their own, dropped afterwards."""
    base = pg_base_url()
    if not base:
        pytest.skip(f"{PG_ENV} not set")
    with _pg_schema(base) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """The same test on an embedded SQLite file and on the real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_db_url(request, tmp_path_factory):
    """db_url once per test module, for tests that only read the fixture their module loads into it: one load
    per backend instead of one per test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('module_db') / 'test.sqlite'}"
        return
    base = pg_base_url()
    if not base:
        pytest.skip(f"{PG_ENV} not set")
    with _pg_schema(base) as url:
        yield url


@pytest.fixture
def id_key(monkeypatch):
    """A fixed hashing key, as a deployment would set WEIBAO_ID_KEY."""
    monkeypatch.setenv("WEIBAO_ID_KEY", "test-key-for-the-suite")
    return b"test-key-for-the-suite"


# The day the suite runs as of, and its demo is built as of. The demo's rows depend on the day it is built
# (its timeline ends then), and the tests' months and weeks (2026-11, 2026-W48, the small counts the export
# tests look for) were worked against the demo of this day: built on the calendar's day, two tests failed the
# morning after.
DEMO_TODAY = date(2026, 12, 1)


@pytest.fixture(scope="session", autouse=True)
def suite_today():
    """The product's today (WEIBAO_TODAY) is DEMO_TODAY for the whole suite, and for the dashboards it serves:
    "the month in progress" and "the latest complete month" stay those the tests name (2026-12, 2026-11)
    whatever the calendar says. A test that needs another day sets its own."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WEIBAO_TODAY", DEMO_TODAY.isoformat())
        yield DEMO_TODAY


@pytest.fixture(scope="session")
def demo_url(suite_today, tmp_path_factory):
    """The city demo, as of DEMO_TODAY, built once per test session into a scratch SQLite file."""
    from data.db import get_engine
    from data.demo import build_demo

    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
    engine = get_engine(url)
    build_demo(engine, scale="city", seed=20221)  # as of WEIBAO_TODAY, which suite_today pins
    engine.dispose()
    return url


def _served(db_url: str):
    """The dashboard served on a database for the browser tests, or a skip (a failure in CI) without chromium."""
    from tests.browser import CHROMIUM, serve

    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: make test installs it with apt-get")
        pytest.skip("chromium not installed")
    with serve(db_url) as url:
        yield url


@pytest.fixture(scope="session")
def dashboard_url(demo_url):
    """The dashboard served on the demo database, for the browser tests; stopped at the end."""
    yield from _served(demo_url)


@pytest.fixture(scope="session")
def rollout_url(demo_url, tmp_path_factory):
    """The partial roll-out of tests/fixtures/rollout.py, cut once per session from the demo."""
    from pathlib import Path

    from tests.fixtures.rollout import build_rollout

    source = Path(demo_url.removeprefix("sqlite:///"))
    return build_rollout(source, tmp_path_factory.mktemp("rollout") / "rollout.sqlite")


@pytest.fixture(scope="session")
def rollout_dashboard_url(rollout_url):
    """The dashboard served on the partial roll-out, for the browser tests."""
    yield from _served(rollout_url)


@pytest.fixture
def shanghai():
    """Local time is China Standard Time, so that printed minutes are hand-checkable."""
    import time

    old = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Shanghai"
    time.tzset()
    yield
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    time.tzset()
