"""Shared fixtures: database URLs for SQLite files and, when WEIBAO_TEST_PG_URL is set, an isolated PostgreSQL schema."""

import os
import uuid

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


@pytest.fixture
def pg_url():
    """A URL whose connections see only a fresh schema of their own, dropped afterwards."""
    base = pg_base_url()
    if not base:
        pytest.skip(f"{PG_ENV} not set")
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


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """The same test on an embedded SQLite file and on the real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def id_key(monkeypatch):
    """A fixed hashing key, as a deployment would set WEIBAO_ID_KEY."""
    monkeypatch.setenv("WEIBAO_ID_KEY", "test-key-for-the-suite")
    return b"test-key-for-the-suite"


@pytest.fixture(scope="session")
def demo_url(tmp_path_factory):
    """The city demo built once per test session into a scratch SQLite file."""
    from data.db import get_engine
    from data.demo import build_demo

    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
    engine = get_engine(url)
    build_demo(engine, scale="city", seed=20221)
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
