"""The auth store, separate from the child data: users, login with lockout, and the tamper-evident audit log.

What the dashboard calls (engine = auth_engine(), created once per process):

    auth_engine(url=None) -> Engine
        WEIBAO_AUTH_URL or sqlite:///var/auth.sqlite; creates the tables on first use
    verify_login(engine, username, password, now=None, allow_demo=False, **details) -> LoginResult
        ok / wrong_password / unknown_user / disabled / locked / demo_only, with a Chinese message;
        audits login_ok / login_failed (with the reason) itself
    get_user(engine, username) -> User | None
        re-read on every run, so that a disabled account is noticed at once
    list_users(engine) -> list[User]
        every account, no hashes
    DEMO_ACCOUNTS
        (username, password, role, display_name) of the published demo accounts, for the login page
    ensure_demo_users(engine, data_conn) -> list[User]
        creates the missing demo accounts; refuses unless the data database is the demo
    record(engine, user, action, **details) -> int
        appends one audit record (ACTIONS: page_view, download, export, denied, logout, …)
    audit_rows(engine, user=None, since=None, until=None, action=None, limit=None, newest_first=False)
        -> list[AuditEntry], for the 审计日志 page
    verify_chain(engine) -> ChainState
        .ok, .count, .message (“完整（N 条记录）” or the first broken record)

Account changes (add_user, set_password, set_enabled) are for `python -m data.users`; there is no
update or delete of audit records anywhere.
"""

from data.auth.accounts import (
    DEMO_ACCOUNTS, MAX_FAILURES, MIN_PASSWORD, ROLE_LABELS, ROLES, AccountError, DemoAccount, LoginResult, User,
    add_user, ensure_demo_users, get_user, list_users, password_problem, region_problem, set_enabled, set_password,
    username_problem, verify_login,
)
from data.auth.audit import ACTIONS, AuditEntry, ChainBreak, ChainState, audit_rows, record, verify_chain
from data.auth.store import AUTH_ENV, auth_engine, auth_url

__all__ = [
    "ACTIONS", "AUTH_ENV", "DEMO_ACCOUNTS", "MAX_FAILURES", "MIN_PASSWORD", "ROLES", "ROLE_LABELS", "AccountError",
    "AuditEntry", "ChainBreak", "ChainState", "DemoAccount", "LoginResult", "User", "add_user", "audit_rows",
    "auth_engine", "auth_url", "ensure_demo_users", "get_user", "list_users", "password_problem", "record",
    "region_problem", "set_enabled", "set_password", "username_problem", "verify_chain", "verify_login",
]
