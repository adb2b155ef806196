"""Users: argon2 password hashes, login with lockout, account management and the published demo accounts."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Engine

from data.auth.audit import append
from data.auth.store import login_failure, login_lock, loaded, stored, to_utc, users, writing
from data.cli import LEVEL_NAMES, minute
from data.db import get_meta
from data.schema import region

ROLES = ("city", "county", "inspector", "admin")
ROLE_LABELS = {"city": "市级", "county": "县级", "inspector": "督查", "admin": "管理员"}

MIN_PASSWORD = 8
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_TIME = timedelta(minutes=15)

# Letters (Chinese included), digits and . _ @ -: safe in a URL, a CSV cell and a log line.
_USERNAME = re.compile(r"[\w.@-]{2,64}")

_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 low-memory parameters
_dummy_hash: str | None = None


@dataclass(frozen=True)
class User:
    """An account as the dashboard sees it: never its password hash."""

    username: str
    display_name: str
    role: str
    region_code: str
    enabled: bool
    demo: bool
    created_at: datetime  # aware UTC

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]


@dataclass(frozen=True)
class LoginResult:
    """The outcome of verify_login.

    status: ok, wrong_password, unknown_user, disabled, locked or demo_only. `message` is the Chinese
    line for the login page ('' when ok); wrong_password and unknown_user read the same, so the page
    does not reveal which usernames exist. `locked_until` (aware UTC) is set when status is locked.
    """

    status: str
    message: str
    user: User | None = None
    locked_until: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class DemoAccount:
    """A published demo account (演示账号): the login page of the demo database lists these."""

    username: str
    password: str
    role: str
    display_name: str

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]


DEMO_ACCOUNTS = (
    DemoAccount("demo-city", "city-demo-2026", "city", "演示·市级用户"),
    DemoAccount("demo-county", "county-demo-2026", "county", "演示·县级用户"),
    DemoAccount("demo-inspector", "inspector-demo-2026", "inspector", "演示·督查用户"),
    DemoAccount("demo-admin", "admin-demo-2026", "admin", "演示·管理员"),
)
# The demo city and the county its county account sees (泗水县), when the demo database has them.
DEMO_CITY, DEMO_COUNTY = "370800000000", "370831000000"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_problem(password: str, username: str | None = None) -> str | None:
    """Why a new password is refused (Chinese), or None when it is acceptable."""
    if len(password) < MIN_PASSWORD:
        return f"密码太弱：至少需要 {MIN_PASSWORD} 个字符（现在 {len(password)} 个）"
    if username is not None and password.strip().lower() == username.lower():
        return "密码太弱：不能与用户名相同"
    return None


def username_problem(username: str) -> str | None:
    if not _USERNAME.fullmatch(username):
        return f"用户名“{username}”无效：应为 2–64 个字母、汉字、数字或 . _ @ -"
    return None


def region_problem(data_conn, role: str, code: str) -> tuple[str | None, str | None]:
    """(why the region does not fit the role, the region's name): a county account needs a 县-level
    code; the other roles a 市 code or a top code (a region with no parent, e.g. a province)."""
    row = data_conn.execute(select(region.c.name, region.c.level, region.c.parent_code)
                            .where(region.c.code == code)).first()
    if row is None:
        return f"区划代码 {code} 在数据库中不存在", None
    label = ROLE_LABELS[role]
    if role == "county":
        if row.level != "county":
            return (f"{label}账号的区域必须是县级单位（县、县级市、区）："
                    f"{code}（{row.name}）是{LEVEL_NAMES[row.level]}"), row.name
    elif row.level != "city" and row.parent_code is not None:
        return (f"{label}账号的区域必须是市，或省的最上级代码："
                f"{code}（{row.name}）是{LEVEL_NAMES[row.level]}"), row.name
    return None, row.name


def _user(row) -> User:
    return User(row.username, row.display_name, row.role, row.region_code, bool(row.enabled), bool(row.demo),
                loaded(row.created_at))


_USER_COLUMNS = (users.c.username, users.c.display_name, users.c.role, users.c.region_code, users.c.enabled,
                 users.c.demo, users.c.created_at)


def get_user(engine: Engine, username: str) -> User | None:
    """The account, or None; the dashboard re-reads it on each run to notice a disabled account."""
    with engine.connect() as conn:
        row = conn.execute(select(*_USER_COLUMNS).where(users.c.username == username)).first()
    return _user(row) if row else None


def list_users(engine: Engine) -> list[User]:
    """Every account, by username (no hashes)."""
    with engine.connect() as conn:
        return [_user(r) for r in conn.execute(select(*_USER_COLUMNS).order_by(users.c.username))]


def _lock_message(until: datetime) -> str:
    return f"该账号连续 {MAX_FAILURES} 次密码错误，已锁定至 {minute(until)[-5:]}，请稍后再试"


def _failed(conn, head, typed: str, reason: str, at: datetime, details: dict) -> LoginResult:
    """Count a failed attempt (an unknown username counts too) and lock on the fifth in the window."""
    now = stored(at)
    conn.execute(delete(login_failure).where(login_failure.c.failed_at <= now - FAILURE_WINDOW))
    conn.execute(delete(login_lock).where(login_lock.c.locked_until <= now))
    conn.execute(insert(login_failure).values(username=typed, failed_at=now))
    failures = conn.execute(select(func.count()).select_from(login_failure)
                            .where(login_failure.c.username == typed)).scalar_one()
    if failures >= MAX_FAILURES:
        until = now + LOCK_TIME
        # The count starts again after the lock: the attempts that caused it are spent.
        conn.execute(delete(login_failure).where(login_failure.c.username == typed))
        conn.execute(delete(login_lock).where(login_lock.c.username == typed))
        conn.execute(insert(login_lock).values(username=typed, locked_until=until))
        append(conn, head, typed, "login_failed",
               {**details, "reason": reason, "locked_until": until.isoformat(timespec="seconds") + "Z"}, at)
        return LoginResult("locked", _lock_message(loaded(until)), locked_until=loaded(until))
    append(conn, head, typed, "login_failed", {**details, "reason": reason}, at)
    left = MAX_FAILURES - failures
    return LoginResult(reason, f"用户名或密码错误（再错 {left} 次，账号将锁定 {LOCK_TIME.seconds // 60} 分钟）")


def _locked_until(conn, typed: str, now: datetime) -> datetime | None:
    until = conn.execute(select(login_lock.c.locked_until).where(login_lock.c.username == typed)).scalar()
    return until if until is not None and until > now else None


def verify_login(engine: Engine, username: str, password: str, now: datetime | None = None,
                 allow_demo: bool = False, **details) -> LoginResult:
    """Check a login and audit it (login_ok / login_failed with its reason, never the password).

    After 5 failed attempts for one username within 15 minutes that username is locked for 15
    minutes; attempts while locked are refused without checking the password. A demo account logs in
    only with allow_demo=True (the dashboard passes it on the demo database only). `details` (e.g.
    ip=…) go into the audit record; `now` (aware, or naive UTC) is for tests.
    """
    at = to_utc(now)
    typed = username.strip()[:200]
    with engine.connect() as conn:
        row = conn.execute(select(*_USER_COLUMNS, users.c.password_hash).where(users.c.username == typed)).first()
        until = _locked_until(conn, typed, stored(at))
    if until is not None:
        with writing(engine) as (conn, head):
            append(conn, head, typed, "login_failed", {**details, "reason": "locked"}, at)
        return LoginResult("locked", _lock_message(loaded(until)), locked_until=loaded(until))
    # Outside the write transaction: argon2 takes tens of milliseconds and must not hold up other writers.
    matches = _matches(row.password_hash if row else None, password)
    rehashed = hash_password(password) if matches and _hasher.check_needs_rehash(row.password_hash) else None
    with writing(engine) as (conn, head):
        # Re-read under the lock: a concurrent attempt may have locked the account meanwhile, or an
        # operator disabled it.
        until = _locked_until(conn, typed, stored(at))
        if until is not None:
            append(conn, head, typed, "login_failed", {**details, "reason": "locked"}, at)
            return LoginResult("locked", _lock_message(loaded(until)), locked_until=loaded(until))
        if row is not None:
            row = conn.execute(select(*_USER_COLUMNS).where(users.c.username == typed)).first()
        if row is None:
            return _failed(conn, head, typed, "unknown_user", at, details)
        if not matches:
            return _failed(conn, head, typed, "wrong_password", at, details)
        user = _user(row)
        if not user.enabled:
            append(conn, head, typed, "login_failed", {**details, "reason": "disabled"}, at)
            return LoginResult("disabled", "该账号已停用，请联系管理员", user)
        if user.demo and not allow_demo:
            append(conn, head, typed, "login_failed", {**details, "reason": "demo_only"}, at)
            return LoginResult("demo_only", "演示账号只能在演示数据上登录", user)
        conn.execute(delete(login_failure).where(login_failure.c.username == typed))
        if rehashed:  # the hash parameters were raised since this password was set
            conn.execute(update(users).where(users.c.username == typed).values(password_hash=rehashed))
        append(conn, head, typed, "login_ok", dict(details), at)
        return LoginResult("ok", "", user)


def _matches(stored_hash: str | None, password: str) -> bool:
    """argon2 verification; an unknown user is checked against a dummy hash so both take the same time."""
    global _dummy_hash
    if stored_hash is None:
        if _dummy_hash is None:
            _dummy_hash = hash_password("not-a-password-of-anyone")
        stored_hash = _dummy_hash
        known = False
    else:
        known = True
    try:
        return _hasher.verify(stored_hash, password) and known
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


class AccountError(ValueError):
    """A refused account change; the message is Chinese and meant for the operator."""


def add_user(engine: Engine, username: str, password: str, role: str, region_code: str,
             display_name: str | None = None, by: str | None = None, demo: bool = False,
             now: datetime | None = None) -> User:
    """Create an account (region already checked against the data database by the caller); audited as user_add."""
    if role not in ROLES:
        raise AccountError(f"角色“{role}”无效，可选：{'、'.join(ROLES)}")
    for problem in (username_problem(username), password_problem(password, username)):
        if problem:
            raise AccountError(problem)
    digest = hash_password(password)
    at = to_utc(now)
    name = display_name or username
    with writing(engine) as (conn, head):
        if conn.execute(select(users.c.username).where(users.c.username == username)).first():
            raise AccountError(f"用户 {username} 已存在")
        conn.execute(insert(users).values(username=username, display_name=name, role=role,
                                          region_code=region_code, password_hash=digest, enabled=True,
                                          demo=demo, created_at=stored(at), password_changed_at=stored(at)))
        append(conn, head, username, "user_add",
               {"by": by, "role": role, "region": region_code, "name": name, "demo": demo}, at)
    return User(username, name, role, region_code, True, demo, at)


def _require(conn, username: str):
    row = conn.execute(select(*_USER_COLUMNS).where(users.c.username == username)).first()
    if row is None:
        raise AccountError(f"用户 {username} 不存在")
    return row


def _unlock(conn, username: str) -> None:
    conn.execute(delete(login_failure).where(login_failure.c.username == username))
    conn.execute(delete(login_lock).where(login_lock.c.username == username))


def set_password(engine: Engine, username: str, password: str, by: str | None = None,
                 now: datetime | None = None) -> None:
    """Replace the password (and lift a lock); audited as user_passwd."""
    problem = password_problem(password, username)
    if problem:
        raise AccountError(problem)
    digest = hash_password(password)
    at = to_utc(now)
    with writing(engine) as (conn, head):
        _require(conn, username)
        conn.execute(update(users).where(users.c.username == username)
                     .values(password_hash=digest, password_changed_at=stored(at)))
        _unlock(conn, username)
        append(conn, head, username, "user_passwd", {"by": by}, at)


def set_enabled(engine: Engine, username: str, enabled: bool, by: str | None = None,
                now: datetime | None = None) -> bool:
    """Enable (also lifting a lock) or disable an account; audited. False when it already was so."""
    with writing(engine) as (conn, head):
        row = _require(conn, username)
        if enabled:
            _unlock(conn, username)
        if bool(row.enabled) == enabled:
            return False
        conn.execute(update(users).where(users.c.username == username).values(enabled=enabled))
        append(conn, head, username, "user_enable" if enabled else "user_disable", {"by": by}, now)
        return True


def _demo_regions(data_conn) -> dict[str, str]:
    """The region of each demo role: 济宁市 and 泗水县 when present, else the first top region and its first county."""
    codes = set(data_conn.execute(select(region.c.code)
                                  .where(region.c.code.in_((DEMO_CITY, DEMO_COUNTY)))).scalars())
    city = DEMO_CITY if DEMO_CITY in codes else data_conn.execute(
        select(region.c.code).where(region.c.parent_code.is_(None)).order_by(region.c.code).limit(1)).scalar()
    county = DEMO_COUNTY if DEMO_COUNTY in codes else data_conn.execute(
        select(region.c.code).where(region.c.level == "county", region.c.parent_code == city)
        .order_by(region.c.code).limit(1)).scalar()
    if city is None or county is None:
        raise AccountError("演示数据库中没有市和县级单位，无法创建演示账号")
    return {"city": city, "county": county, "inspector": city, "admin": city}


def ensure_demo_users(engine: Engine, data_conn) -> list[User]:
    """Create the DEMO_ACCOUNTS that are missing (an existing one is left as it is); returns those created.

    `data_conn` is a connection to the data database, which must be the demo (meta is_demo = 1):
    published passwords never go into a store serving real data.
    """
    if get_meta(data_conn, "is_demo") != "1":
        raise AccountError("数据库不是演示数据：不创建演示账号")
    regions = _demo_regions(data_conn)
    with engine.connect() as conn:
        have = set(conn.execute(select(users.c.username)
                                .where(users.c.username.in_([a.username for a in DEMO_ACCOUNTS]))).scalars())
    created = []
    for account in DEMO_ACCOUNTS:
        if account.username in have:
            continue
        try:
            created.append(add_user(engine, account.username, account.password, account.role,
                                    regions[account.role], account.display_name, by="demo", demo=True))
        except AccountError:
            pass  # another dashboard process created it meanwhile
    return created
