"""Accounts: python -m data.users, argon2 hashes only, the region check, login with lockout, demo accounts."""

import io
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import insert, select, text

from data.auth import (
    DEMO_ACCOUNTS, AccountError, add_user, audit_rows, auth_engine, ensure_demo_users, get_user, list_users,
    set_enabled, set_password, verify_chain, verify_login,
)
from data.auth import accounts
from data.auth.store import metadata as auth_metadata
from data.auth.store import users as users_table
from data.db import get_engine, set_meta
from data.schema import create_schema, region
from data.users import main as users_main

ROOT = Path(__file__).resolve().parent.parent
UTC = timezone.utc
JINING, SISHUI, SIZHANG = "370800000000", "370831000000", "370831100000"
REGIONS = [
    {"code": JINING, "name": "济宁市", "level": "city", "parent_code": None},
    {"code": SISHUI, "name": "泗水县", "level": "county", "parent_code": JINING},
    {"code": "370830000000", "name": "汶上县", "level": "county", "parent_code": JINING},
    {"code": SIZHANG, "name": "泗张镇", "level": "township", "parent_code": SISHUI},
]


def make_data_db(path: Path, rows=REGIONS, demo: bool = False) -> str:
    url = f"sqlite:///{path}"
    engine = get_engine(url)
    create_schema(engine)
    with engine.begin() as conn:
        conn.execute(insert(region), rows)
        if demo:
            set_meta(conn, "is_demo", "1")
    engine.dispose()
    return url


PRODUCTION_HASHER = accounts._hasher


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch):
    """Argon2 at its production cost takes 0.1–0.5 s a hash here; these tests check behaviour, not cost."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(accounts, "_dummy_hash", None)


@pytest.fixture
def data_url(tmp_path):
    return make_data_db(tmp_path / "data.sqlite")


@pytest.fixture
def auth(db_url):
    """An auth store on SQLite and on PostgreSQL."""
    engine = auth_engine(db_url)
    yield engine
    engine.dispose()




def cli(capsys, monkeypatch, *args, stdin: str = "") -> tuple[int, str, str]:
    """python -m data.users in-process, with standard input that is not a terminal."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = users_main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def all_text(engine) -> str:
    """Every value of every auth table, to search for secrets."""
    with engine.connect() as conn:
        return "\n".join(str(tuple(row)) for table in auth_metadata.sorted_tables
                         for row in conn.execute(select(table)))


# ------------------------------------------------------------------ python -m data.users add

def test_weak_password_is_refused_in_chinese(tmp_path, data_url):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "WEIBAO_AUTH_URL": f"sqlite:///{tmp_path / 'auth.sqlite'}"}
    done = subprocess.run([sys.executable, "-m", "data.users", "add", "alice", "--role", "county",
                           "--region", SISHUI, "--db", data_url], input="short7!\n".encode(), env=env,
                          capture_output=True, cwd=ROOT, timeout=60)
    assert done.returncode == 1
    assert done.stderr.decode() == "错误：密码太弱：至少需要 8 个字符（现在 7 个）\n"
    assert done.stdout == b""
    engine = auth_engine(f"sqlite:///{tmp_path / 'auth.sqlite'}")
    assert list_users(engine) == [] and audit_rows(engine) == []
    engine.dispose()


def test_password_from_standard_input(capsys, monkeypatch, db_url, data_url):
    code, out, err = cli(capsys, monkeypatch, "add", "alice", "--role", "county", "--region", SISHUI,
                         "--name", "泗水县民政局", "--db", data_url, "--auth", db_url,
                         stdin="correct horse 9\n")
    assert (code, err) == (0, "")
    assert out == "已新增用户 alice（泗水县民政局，县级，370831000000 泗水县）\n"
    engine = auth_engine(db_url)
    try:
        user = get_user(engine, "alice")
        assert (user.display_name, user.role, user.region_code, user.enabled, user.demo) == \
               ("泗水县民政局", "county", SISHUI, True, False)
        with engine.connect() as conn:
            digest = conn.execute(select(users_table.c.password_hash)).scalar_one()
        assert digest.startswith("$argon2id$")
        assert "correct horse" not in all_text(engine)
        assert verify_login(engine, "alice", "correct horse 9").ok  # the trailing newline is not part of it
        assert not verify_login(engine, "alice", "correct horse 9\n").ok
        [added, ok, failed] = audit_rows(engine)
        assert (added.username, added.action) == ("alice", "user_add")
        assert added.details == {"by": added.details["by"], "demo": False, "name": "泗水县民政局",
                                 "region": SISHUI, "role": "county"}
        assert added.details["by"].startswith("cli:")
        assert (failed.action, failed.details, ok.action) == ("login_failed", {"reason": "wrong_password"}, "login_ok")
    finally:
        engine.dispose()


def test_terminal_prompts_twice_without_echo(capsys, monkeypatch, tmp_path, data_url):
    auth_url = f"sqlite:///{tmp_path / 'auth.sqlite'}"
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    answers = iter(["long enough 1", "long enough 2"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert users_main(["add", "bob", "--role", "city", "--region", JINING, "--db", data_url, "--auth", auth_url]) == 1
    assert capsys.readouterr().err == "错误：两次输入的密码不一致，未作改动\n"
    answers = iter(["long enough 1", "long enough 1"])
    assert users_main(["add", "bob", "--role", "city", "--region", JINING, "--db", data_url, "--auth", auth_url]) == 0
    assert capsys.readouterr().out == "已新增用户 bob（bob，市级，370800000000 济宁市）\n"


def test_empty_standard_input_is_refused(capsys, monkeypatch, tmp_path, data_url):
    code, out, err = cli(capsys, monkeypatch, "add", "bob", "--role", "city", "--region", JINING,
                         "--db", data_url, "--auth", f"sqlite:///{tmp_path / 'auth.sqlite'}", stdin="")
    assert (code, out, err) == (1, "", "错误：标准输入中没有密码（应为一行）\n")


@pytest.mark.parametrize("role, code, message", [
    ("county", JINING, "县级账号的区域必须是县级单位（县、县级市、区）：370800000000（济宁市）是市"),
    ("county", SIZHANG, "县级账号的区域必须是县级单位（县、县级市、区）：370831100000（泗张镇）是乡镇（街道）"),
    ("city", SISHUI, "市级账号的区域必须是市，或省的最上级代码：370831000000（泗水县）是县级单位"),
    ("inspector", SISHUI, "督查账号的区域必须是市，或省的最上级代码：370831000000（泗水县）是县级单位"),
    ("admin", SIZHANG, "管理员账号的区域必须是市，或省的最上级代码：370831100000（泗张镇）是乡镇（街道）"),
])
def test_region_of_the_wrong_level_is_refused(capsys, monkeypatch, tmp_path, data_url, role, code, message):
    auth_url = f"sqlite:///{tmp_path / 'auth.sqlite'}"
    result = cli(capsys, monkeypatch, "add", "carol", "--role", role, "--region", code, "--db", data_url,
                 "--auth", auth_url, stdin="long enough 1\n")
    assert result == (1, "", f"错误：{message}\n")
    engine = auth_engine(auth_url)
    assert list_users(engine) == []
    engine.dispose()


def test_unknown_region_and_missing_data_database(capsys, monkeypatch, tmp_path, data_url):
    auth_url = f"sqlite:///{tmp_path / 'auth.sqlite'}"
    code, out, err = cli(capsys, monkeypatch, "add", "carol", "--role", "city", "--region", "370899999999",
                         "--db", data_url, "--auth", auth_url, stdin="long enough 1\n")
    assert code == 1 and err.startswith("错误：区划代码 370899999999 在数据库中不存在（数据库 sqlite:///")
    missing = tmp_path / "none" / "data.sqlite"
    code, out, err = cli(capsys, monkeypatch, "add", "carol", "--role", "city", "--region", JINING,
                         "--db", f"sqlite:///{missing}", "--auth", auth_url, stdin="long enough 1\n")
    assert (code, err) == (1, f"错误：数据数据库文件不存在：{missing}（用 --db 或 WEIBAO_DB_URL 指定）\n")
    assert not missing.parent.exists()  # opened read-only: nothing created


def test_a_top_region_fits_every_role_but_county(capsys, monkeypatch, tmp_path):
    # A database holding one county as its top: a province's (or a lone county's) top code has no parent.
    lone = make_data_db(tmp_path / "lone.sqlite", [{"code": SISHUI, "name": "泗水县", "level": "county",
                                                    "parent_code": None}])
    auth_url = f"sqlite:///{tmp_path / 'auth.sqlite'}"
    for name, role in (("c1", "city"), ("i1", "inspector"), ("a1", "admin"), ("k1", "county")):
        code, out, err = cli(capsys, monkeypatch, "add", name, "--role", role, "--region", SISHUI, "--db", lone,
                             "--auth", auth_url, stdin="long enough 1\n")
        assert (code, err) == (0, ""), err


def test_duplicate_and_invalid_usernames(capsys, monkeypatch, tmp_path, data_url):
    auth_url = f"sqlite:///{tmp_path / 'auth.sqlite'}"
    args = ("--role", "city", "--region", JINING, "--db", data_url, "--auth", auth_url)
    assert cli(capsys, monkeypatch, "add", "alice", *args, stdin="long enough 1\n")[0] == 0
    assert cli(capsys, monkeypatch, "add", "alice", *args, stdin="long enough 2\n") == \
           (1, "", "错误：用户 alice 已存在\n")
    assert cli(capsys, monkeypatch, "add", "a b", *args, stdin="long enough 2\n") == \
           (1, "", "错误：用户名“a b”无效：应为 2–64 个字母、汉字、数字或 . _ @ -\n")
    assert cli(capsys, monkeypatch, "add", "张三", *args, stdin="张三张三张三张三\n")[0] == 0


@pytest.mark.parametrize("args, expected", [
    ((), "缺少必需的参数：COMMAND"),
    (("frob",), "参数 COMMAND：取值 “frob” 无效，可选：add、list、passwd、disable、enable"),
    (("add", "alice", "--region", SISHUI), "缺少必需的参数：--role"),
    (("add", "alice", "--role", "mayor", "--region", SISHUI),
     "参数 --role：取值 “mayor” 无效，可选：city、county、inspector、admin"),
])
def test_a_wrong_command_line_is_chinese_and_exits_2(capsys, tmp_path, args, expected):
    with pytest.raises(SystemExit) as stop:
        users_main([*args, "--auth", f"sqlite:///{tmp_path / 'auth.sqlite'}"] if args else [])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and expected in err, err
    assert err.startswith("用法：python -m data.users")
    assert not (tmp_path / "auth.sqlite").exists()


# ------------------------------------------------------------------ list, passwd, disable, enable

def test_list_prints_no_hash(capsys, monkeypatch, db_url, data_url):
    for name, role, code, label in (("bob", "inspector", JINING, "济宁市督查组"), ("alice", "county", SISHUI, "")):
        extra = ("--name", label) if label else ()
        assert cli(capsys, monkeypatch, "add", name, "--role", role, "--region", code, *extra, "--db", data_url,
                   "--auth", db_url, stdin="long enough 1\n")[0] == 0
    assert cli(capsys, monkeypatch, "disable", "bob", "--auth", db_url)[0] == 0
    code, out, err = cli(capsys, monkeypatch, "list", "--auth", db_url, "--db", data_url)
    assert (code, err) == (0, "")
    assert "$argon2" not in out and "argon2" not in out
    lines = out.splitlines()
    assert lines[0] == "用户名,显示名,角色,区划代码,区域,状态,演示账号,创建时间"
    assert [line.rsplit(",", 1)[0] for line in lines[1:]] == [
        "alice,alice,县级,370831000000,泗水县,启用,",
        "bob,济宁市督查组,督查,370800000000,济宁市,停用,",
    ]


def test_list_of_a_missing_store_creates_nothing(capsys, monkeypatch, tmp_path):
    store = tmp_path / "none" / "auth.sqlite"
    code, out, err = cli(capsys, monkeypatch, "list", "--auth", f"sqlite:///{store}")
    assert (code, out) == (0, "用户名,显示名,角色,区划代码,区域,状态,演示账号,创建时间\n")
    assert "账号库还不存在" in err and not store.parent.exists()


def test_passwd_disable_enable_are_audited(capsys, monkeypatch, db_url, data_url):
    assert cli(capsys, monkeypatch, "add", "alice", "--role", "county", "--region", SISHUI, "--db", data_url,
               "--auth", db_url, stdin="first password\n")[0] == 0
    assert cli(capsys, monkeypatch, "passwd", "alice", "--auth", db_url, stdin="short\n") == \
           (1, "", "错误：密码太弱：至少需要 8 个字符（现在 5 个）\n")
    assert cli(capsys, monkeypatch, "passwd", "alice", "--auth", db_url, stdin="second password\n") == \
           (0, "已修改用户 alice 的密码\n", "")
    assert cli(capsys, monkeypatch, "disable", "alice", "--auth", db_url) == (0, "已停用用户 alice\n", "")
    assert cli(capsys, monkeypatch, "disable", "alice", "--auth", db_url) == \
           (0, "用户 alice 本来就是停用状态，未作改动\n", "")
    assert cli(capsys, monkeypatch, "enable", "alice", "--auth", db_url) == (0, "已启用用户 alice\n", "")
    assert cli(capsys, monkeypatch, "disable", "nobody", "--auth", db_url) == (1, "", "错误：用户 nobody 不存在\n")
    assert cli(capsys, monkeypatch, "passwd", "nobody", "--auth", db_url, stdin="second password\n") == \
           (1, "", "错误：用户 nobody 不存在\n")
    engine = auth_engine(db_url)
    try:
        assert [e.action for e in audit_rows(engine)] == ["user_add", "user_passwd", "user_disable", "user_enable"]
        assert not verify_login(engine, "alice", "first password").ok
        assert verify_login(engine, "alice", "second password").ok
        assert "first password" not in all_text(engine) and "second password" not in all_text(engine)
        assert verify_chain(engine).ok
    finally:
        engine.dispose()


# ------------------------------------------------------------------ login

T0 = datetime(2026, 3, 2, 1, 20, tzinfo=UTC)  # 09:20 in 济宁


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def test_lockout_after_five_failures_within_fifteen_minutes(auth, shanghai):
    add_user(auth, "alice", "right password", "county", SISHUI)
    results = [verify_login(auth, "alice", "wrong password", now=minutes(n)) for n in (0, 1, 2, 3)]
    assert [r.status for r in results] == ["wrong_password"] * 4
    assert [r.message for r in results] == [f"用户名或密码错误（再错 {n} 次，账号将锁定 15 分钟）" for n in (4, 3, 2, 1)]
    fifth = verify_login(auth, "alice", "wrong password", now=minutes(7))  # 09:27
    assert fifth.status == "locked" and not fifth.ok
    assert fifth.message == "该账号连续 5 次密码错误，已锁定至 09:42，请稍后再试"
    assert fifth.locked_until == datetime(2026, 3, 2, 1, 42, tzinfo=UTC)
    # Locked: even the right password is refused, and the attempt does not extend the lock.
    during = verify_login(auth, "alice", "right password", now=minutes(21.9))
    assert (during.status, during.message) == ("locked", "该账号连续 5 次密码错误，已锁定至 09:42，请稍后再试")
    after = verify_login(auth, "alice", "right password", now=minutes(22))  # 09:42: unlocked
    assert after.ok and after.user.username == "alice" and after.message == ""
    reasons = [(e.action, e.details.get("reason")) for e in audit_rows(auth, user="alice")]
    assert reasons == [("user_add", None)] + [("login_failed", "wrong_password")] * 5 + \
                      [("login_failed", "locked"), ("login_ok", None)]
    assert audit_rows(auth, user="alice")[5].details["locked_until"] == "2026-03-02T01:42:00Z"
    assert audit_rows(auth, user="alice")[5].at == minutes(7)


def test_failures_older_than_fifteen_minutes_do_not_count(auth):
    add_user(auth, "alice", "right password", "county", SISHUI)
    for n in (0, 1, 2, 3):
        verify_login(auth, "alice", "wrong", now=minutes(n))
    late = verify_login(auth, "alice", "wrong", now=minutes(16))  # the first two are out of the window
    assert late.status == "wrong_password" and "再错 2 次" in late.message
    assert verify_login(auth, "alice", "right password", now=minutes(17)).ok


def test_a_successful_login_resets_the_count(auth):
    add_user(auth, "alice", "right password", "county", SISHUI)
    for n in (0, 1, 2, 3):
        verify_login(auth, "alice", "wrong", now=minutes(n))
    assert verify_login(auth, "alice", "right password", now=minutes(4)).ok
    assert verify_login(auth, "alice", "wrong", now=minutes(5)).status == "wrong_password"


def test_unknown_usernames_read_like_wrong_passwords_and_lock_too(auth, shanghai):
    add_user(auth, "alice", "right password", "county", SISHUI)
    unknown = verify_login(auth, "mallory", "whatever", now=minutes(0))
    wrong = verify_login(auth, "alice", "whatever", now=minutes(0))
    assert (unknown.status, wrong.status) == ("unknown_user", "wrong_password")
    assert unknown.message == wrong.message
    for n in (1, 2, 3):
        verify_login(auth, "mallory", "whatever", now=minutes(n))
    assert verify_login(auth, "mallory", "whatever", now=minutes(4)).message == \
           "该账号连续 5 次密码错误，已锁定至 09:39，请稍后再试"
    assert verify_login(auth, "alice", "right password", now=minutes(5)).ok  # another username is not affected


def test_passwd_and_enable_lift_a_lock(auth):
    add_user(auth, "alice", "right password", "county", SISHUI)
    for n in range(5):
        verify_login(auth, "alice", "wrong", now=minutes(n))
    assert verify_login(auth, "alice", "right password", now=minutes(5)).status == "locked"
    set_enabled(auth, "alice", True)  # already enabled: nothing audited, but the lock is lifted
    assert verify_login(auth, "alice", "right password", now=minutes(6)).ok
    for n in range(5):
        verify_login(auth, "alice", "wrong", now=minutes(10 + n))
    set_password(auth, "alice", "a new password")
    assert verify_login(auth, "alice", "a new password", now=minutes(16)).ok


def test_disabled_user_cannot_log_in(auth):
    add_user(auth, "alice", "right password", "county", SISHUI)
    assert set_enabled(auth, "alice", False) is True
    assert set_enabled(auth, "alice", False) is False
    refused = verify_login(auth, "alice", "right password")
    assert (refused.status, refused.message, refused.ok) == ("disabled", "该账号已停用，请联系管理员", False)
    # A wrong password reads as any wrong password: it does not reveal that the account exists.
    assert verify_login(auth, "alice", "wrong password").status == "wrong_password"
    assert get_user(auth, "alice").enabled is False
    set_enabled(auth, "alice", True)
    assert verify_login(auth, "alice", "right password").ok
    assert [e.details.get("reason") for e in audit_rows(auth, action="login_failed")] == \
           ["disabled", "wrong_password"]


def test_login_details_are_audited_and_the_password_never_stored(auth):
    add_user(auth, "alice", "right password", "county", SISHUI)
    verify_login(auth, "alice", "hunter2-typo", ip="10.0.0.7")
    verify_login(auth, "alice", "right password", ip="10.0.0.7")
    [failed, ok] = audit_rows(auth, user="alice")[1:]
    assert failed.details == {"ip": "10.0.0.7", "reason": "wrong_password"}
    assert ok.details == {"ip": "10.0.0.7"}
    assert "hunter2" not in all_text(auth) and "right password" not in all_text(auth)


def test_get_user_and_list_users(auth):
    assert get_user(auth, "nobody") is None and list_users(auth) == []
    add_user(auth, "bob", "long enough 1", "inspector", JINING, "济宁市督查组")
    add_user(auth, "alice", "long enough 1", "county", SISHUI)
    assert [(u.username, u.display_name, u.role_label, u.region_code) for u in list_users(auth)] == [
        ("alice", "alice", "县级", SISHUI), ("bob", "济宁市督查组", "督查", JINING)]
    assert not hasattr(get_user(auth, "bob"), "password_hash")
    with pytest.raises(AccountError, match="密码太弱"):
        add_user(auth, "carol", "short", "city", JINING)
    with pytest.raises(AccountError, match="角色"):
        add_user(auth, "carol", "long enough 1", "mayor", JINING)


# ------------------------------------------------------------------ demo accounts

def test_demo_accounts_on_the_demo_database_only(auth, tmp_path):
    demo = get_engine(make_data_db(tmp_path / "demo.sqlite", demo=True), read_only=True)
    real = get_engine(make_data_db(tmp_path / "real.sqlite"), read_only=True)
    try:
        with real.connect() as conn, pytest.raises(AccountError, match="不是演示数据"):
            ensure_demo_users(auth, conn)
        assert list_users(auth) == []
        with demo.connect() as conn:
            created = ensure_demo_users(auth, conn)
            assert ensure_demo_users(auth, conn) == []  # only when missing
        assert [(u.username, u.role, u.region_code, u.demo) for u in created] == [
            ("demo-city", "city", JINING, True), ("demo-county", "county", SISHUI, True),
            ("demo-inspector", "inspector", JINING, True), ("demo-admin", "admin", JINING, True)]
        assert [(a.username, a.password, a.role_label) for a in DEMO_ACCOUNTS] == [
            ("demo-city", "city-demo-2026", "市级"), ("demo-county", "county-demo-2026", "县级"),
            ("demo-inspector", "inspector-demo-2026", "督查"), ("demo-admin", "admin-demo-2026", "管理员")]
        for account in DEMO_ACCOUNTS:
            assert verify_login(auth, account.username, account.password, allow_demo=True).ok
            refused = verify_login(auth, account.username, account.password)  # not on the demo database
            assert (refused.status, refused.message) == ("demo_only", "演示账号只能在演示数据上登录")
        set_enabled(auth, "demo-admin", False)
        with demo.connect() as conn:
            assert ensure_demo_users(auth, conn) == []
        assert get_user(auth, "demo-admin").enabled is False
    finally:
        demo.dispose()
        real.dispose()


def test_store_defaults_to_var_auth_sqlite(monkeypatch):
    from data.auth import auth_url

    monkeypatch.delenv("WEIBAO_AUTH_URL", raising=False)
    assert auth_url() == f"sqlite:///{ROOT / 'var' / 'auth.sqlite'}"
    monkeypatch.setenv("WEIBAO_AUTH_URL", "postgresql+psycopg://u@h/auth")
    assert auth_url() == "postgresql+psycopg://u@h/auth"
    assert auth_url("sqlite:///x.sqlite") == "sqlite:///x.sqlite"


def test_production_hashes_are_argon2id_and_weaker_ones_are_upgraded(tmp_path, monkeypatch):
    engine = auth_engine(f"sqlite:///{tmp_path / 'auth.sqlite'}")
    add_user(engine, "alice", "right password", "county", SISHUI)  # at the tests' low cost

    def digest():
        with engine.connect() as conn:
            return conn.execute(select(users_table.c.password_hash)).scalar_one()

    assert digest().startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    monkeypatch.setattr(accounts, "_hasher", PRODUCTION_HASHER)
    assert not verify_login(engine, "alice", "wrong password").ok
    assert digest().startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert verify_login(engine, "alice", "right password").ok
    assert digest().startswith("$argon2id$v=19$m=65536,t=3,p=4$")  # rehashed at the library's cost
    assert verify_login(engine, "alice", "right password").ok
    engine.dispose()


def test_raw_sql_sees_only_hashes(auth):
    add_user(auth, "alice", "right password", "county", SISHUI)
    with auth.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM users WHERE password_hash LIKE '$argon2id$%'")).scalar() == 1
