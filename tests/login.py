"""Logging in for the page tests: an account in the suite's auth store and the dashboard's session-state seam.

AppTest: `login(AppTest.from_file(APP))` before the first run; the app then re-reads the account from the
store on every run as it does after a real login (tests/test_login.py checks the form itself). Browser:
`browser_login(page, base_url)` puts a session cookie signed with the suite's key into the browser.
"""

import os
import time
import uuid

from sqlalchemy import text

from data.auth import DEMO_ACCOUNTS, auth_engine, get_user
from data.auth.accounts import add_user
from data.db import get_engine

PASSWORD = "test-password-2026"


def top_region(db_url: str | None = None) -> str:
    """The first region without a parent in the data database (the demo's and every fixture's city)."""
    engine = get_engine(db_url or os.environ["WEIBAO_DB_URL"], read_only=True)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT code FROM region WHERE parent_code IS NULL ORDER BY code")).scalar()
    finally:
        engine.dispose()


def account(role: str = "city", region: str | None = None, db_url: str | None = None) -> str:
    """The username of a (non-demo) test account of that role and region, created in the auth store if missing."""
    region = region or top_region(db_url)
    username = f"t-{role}-{region}"
    store = auth_engine()
    if get_user(store, username) is None:
        try:
            add_user(store, username, PASSWORD, role, region, f"测试·{role}", by="tests")
        except ValueError:  # created by a parallel test meanwhile
            pass
    return username


def login(at, role: str = "city", region: str | None = None, username: str | None = None):
    """Log the AppTest in (before its first run) as a test account, or as `username` (e.g. demo-county)."""
    at.session_state["_auth_user"] = username or account(role, region)
    return at


def demo_password(username: str) -> str:
    return next(a.password for a in DEMO_ACCOUNTS if a.username == username)


def session_cookie(base_url: str, username: str) -> dict:
    """A Playwright cookie carrying a login of `username`, signed with the suite's key (conftest)."""
    from dashboard.login import COOKIE, make_token

    token = make_token(os.environ["WEIBAO_COOKIE_KEY"], username, uuid.uuid4().hex[:16], time.time())
    return {"name": COOKIE, "value": token, "url": base_url, "sameSite": "Strict"}


def browser_login(page, base_url: str, username: str = "demo-city"):
    """Let the browser tab's next page load arrive logged in (as after a login and a reload)."""
    page.context.add_cookies([session_cookie(base_url, username)])
    return page
