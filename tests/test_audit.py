"""The audit log: a SHA-256 chain that python -m data.audit verifies, CSV with filters, concurrent appends."""

import os
import re
import statistics
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from data.audit import main as audit_main
from data.auth import User, audit_rows, auth_engine, record, verify_chain

ROOT = Path(__file__).resolve().parent.parent
UTC = timezone.utc




@pytest.fixture
def auth(db_url):
    engine = auth_engine(db_url)
    yield engine
    engine.dispose()


def at(day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def four_records(engine) -> None:
    """Four records, 09:30–09:33 on 2 March in 济宁 (01:30–01:33 UTC)."""
    record(engine, "alice", "login_ok", now=at(2, 1, 30), ip="10.0.0.7")
    record(engine, "alice", "page_view", now=at(2, 1, 31), page="cockpit", region="370831000000", month="2026-02")
    record(engine, "alice", "denied", now=at(2, 1, 32), page="ranking", asked="370830000000")
    record(engine, "alice", "logout", now=at(2, 1, 33))


def cli(capsys, *args) -> tuple[int, str, str]:
    code = audit_main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def raw(engine, sql: str, **params) -> None:
    """Tampering as someone with database access would, behind the library's back."""
    with engine.begin() as conn:
        conn.execute(text(sql), params)


# ------------------------------------------------------------------ verify

def test_an_intact_chain_verifies(capsys, auth, db_url):
    assert cli(capsys, "verify", "--auth", db_url)[:2] == (0, "完整（0 条记录）\n")
    four_records(auth)
    code, out, err = cli(capsys, "verify", "--auth", db_url)
    assert (code, err) == (0, "")
    first, second = out.splitlines()
    assert first == "完整（4 条记录）"
    assert re.fullmatch(r"最后一条 #4，哈希 [0-9a-f]{64}（可另行保存，日后核对）", second)
    assert second.split("哈希 ")[1][:64] == audit_rows(auth)[-1].hash
    state = verify_chain(auth)
    assert (state.ok, state.count, state.message) == (True, 4, "完整（4 条记录）")


def test_tampered_details_name_the_record(capsys, auth, db_url, shanghai):
    four_records(auth)
    raw(auth, "UPDATE audit SET details = :d WHERE id = 2", d='{"month":"2026-02","page":"scorecard"}')
    code, out, err = cli(capsys, "verify", "--auth", db_url)
    assert code == 1
    assert out.startswith("断裂：第一条有问题的记录是 #2（2026-03-02 09:31，alice，查看页面）："
                          "内容与其哈希不符（时间、用户、操作或详情被改动）：所存哈希 ")
    assert not verify_chain(auth).ok and verify_chain(auth).broken.id == 2


def test_tampered_user_or_time_name_the_record(auth, shanghai):
    four_records(auth)
    raw(auth, "UPDATE audit SET username = 'bob' WHERE id = 3")
    assert verify_chain(auth).broken.id == 3
    raw(auth, "UPDATE audit SET username = 'alice' WHERE id = 3")
    assert verify_chain(auth).ok  # put back as it was: the chain holds again
    raw(auth, "UPDATE audit SET at = :t WHERE id = 1", t=datetime(2026, 3, 2, 1, 29))
    assert verify_chain(auth).message.startswith("断裂：第一条有问题的记录是 #1（2026-03-02 09:29，alice，登录成功）")


def test_a_recomputed_hash_breaks_the_next_link(auth):
    four_records(auth)
    # The tamperer also rewrites the row's own hash: that row checks out, the next one no longer does.
    raw(auth, "UPDATE audit SET details = '{}', hash = :h WHERE id = 2", h="f" * 64)
    state = verify_chain(auth)
    assert state.broken.id == 2  # its stored hash is not what its content gives
    from data.auth.audit import chain_hash

    row = audit_rows(auth)[1]
    with auth.connect() as conn:
        prev = conn.execute(text("SELECT prev_hash FROM audit WHERE id = 2")).scalar_one()
    raw(auth, "UPDATE audit SET hash = :h WHERE id = 2", h=chain_hash(prev, 2, row.at, "alice", "page_view", "{}"))
    state = verify_chain(auth)
    assert state.broken.id == 3
    assert "与记录 #2的哈希" in state.broken.problem and "前一条记录被改动或替换" in state.broken.problem


def test_a_deleted_middle_record_is_named(capsys, auth, db_url, shanghai):
    four_records(auth)
    raw(auth, "DELETE FROM audit WHERE id = 2")
    code, out, err = cli(capsys, "verify", "--auth", db_url)
    assert (code, out) == (1, "断裂：第一条有问题的记录是 #3（2026-03-02 09:32，alice，越权访问）："
                              "前面的记录 #2 缺失（已被删除）\n")


def test_a_deleted_last_record_is_named(capsys, auth, db_url):
    four_records(auth)
    raw(auth, "DELETE FROM audit WHERE id = 4")
    code, out, err = cli(capsys, "verify", "--auth", db_url)
    assert (code, out) == (1, "断裂：第一条有问题的记录是 #4：链头记录最后一条是 #4，表中最后一条是 #3："
                              "末尾的记录 #4 缺失（已被删除）\n")


def test_appends_continue_the_chain_after_a_reopen(auth, db_url):
    four_records(auth)
    again = auth_engine(db_url)
    record(again, "bob", "download", what="考评表.csv", month="2026-02")
    again.dispose()
    assert verify_chain(auth).message == "完整（5 条记录）"
    assert [e.id for e in audit_rows(auth)] == [1, 2, 3, 4, 5]


# ------------------------------------------------------------------ list

def test_list_prints_csv_with_chinese_headers(capsys, auth, db_url, shanghai):
    four_records(auth)
    code, out, err = cli(capsys, "list", "--auth", db_url)
    assert (code, err) == (0, "")
    assert out == (
        "编号,时间,用户,操作,操作名称,详情\n"
        '1,2026-03-02 09:30,alice,login_ok,登录成功,"{""ip"":""10.0.0.7""}"\n'
        '2,2026-03-02 09:31,alice,page_view,查看页面,"{""month"":""2026-02"",""page"":""cockpit"",'
        '""region"":""370831000000""}"\n'
        '3,2026-03-02 09:32,alice,denied,越权访问,"{""asked"":""370830000000"",""page"":""ranking""}"\n'
        "4,2026-03-02 09:33,alice,logout,退出登录,{}\n")


def test_list_filters_by_user_since_and_action(capsys, auth, db_url, shanghai):
    record(auth, "alice", "login_ok", now=at(1, 15, 59))           # 3月1日 23:59 local
    record(auth, "bob", "login_ok", now=at(1, 16, 0))              # 3月2日 00:00 local
    record(auth, "alice", "page_view", now=at(2, 1, 0), page="cockpit")
    record(auth, "alice", "download", now=at(2, 2, 0), what="排名.csv")
    record(auth, "bob", "denied", now=at(3, 1, 0), asked="370830000000")

    def ids(*args):
        code, out, err = cli(capsys, "list", "--auth", db_url, *args)
        assert (code, err) == (0, ""), err
        return [int(line.split(",")[0]) for line in out.splitlines()[1:]]

    assert ids() == [1, 2, 3, 4, 5]
    assert ids("--user", "alice") == [1, 3, 4]
    assert ids("--user", "nobody") == []
    assert ids("--since", "2026-03-02") == [2, 3, 4, 5]  # local midnight, not UTC midnight
    assert ids("--since", "2026-03-03") == [5]
    assert ids("--action", "login_ok") == [1, 2]
    assert ids("--user", "alice", "--since", "2026-03-02", "--action", "download") == [4]
    assert [e.id for e in audit_rows(auth, user="bob", action="denied")] == [5]
    assert [e.id for e in audit_rows(auth, limit=2, newest_first=True)] == [5, 4]


def test_list_refuses_a_bad_date_or_action_in_chinese(capsys, db_url):
    with pytest.raises(SystemExit) as stop:
        audit_main(["list", "--since", "2026-13-01", "--auth", db_url])
    assert stop.value.code == 2
    assert "参数 --since：“2026-13-01” 不是日期（应为 YYYY-MM-DD）" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        audit_main(["list", "--action", "delete", "--auth", db_url])
    assert "参数 --action：取值 “delete” 无效" in capsys.readouterr().err


def test_a_missing_store_is_an_error_and_stays_missing(capsys, tmp_path):
    store = tmp_path / "none" / "auth.sqlite"
    code, out, err = cli(capsys, "verify", "--auth", f"sqlite:///{store}")
    assert (code, out) == (1, "")
    assert err == f"错误：账号库不存在：{store}（用 --auth 或 WEIBAO_AUTH_URL 指定）\n"
    assert not store.parent.exists()


# ------------------------------------------------------------------ appends

def test_concurrent_appends_keep_the_chain(auth):
    errors = []

    def work(n: int) -> None:
        try:
            for i in range(25):
                record(auth, f"user{n}", "page_view", page="cockpit", i=i)
        except Exception as exc:  # surfaced below: a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert verify_chain(auth).message == "完整（200 条记录）"
    rows = audit_rows(auth)
    assert [e.id for e in rows] == list(range(1, 201))
    for n in range(8):  # each thread's records in its own order
        assert [e.details["i"] for e in rows if e.username == f"user{n}"] == list(range(25))


def test_concurrent_appends_from_processes(tmp_path, db_url):
    import subprocess
    import sys

    script = ("import sys; from data.auth import auth_engine, record; e = auth_engine(sys.argv[1]);\n"
              "[record(e, sys.argv[2], 'page_view', i=i) for i in range(30)]")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", script, db_url, f"p{n}"], env=env, cwd=ROOT) for n in range(3)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    engine = auth_engine(db_url)
    assert verify_chain(engine).message == "完整（90 条记录）"
    engine.dispose()


def test_a_page_view_append_is_cheap(tmp_path):
    engine = auth_engine(f"sqlite:///{tmp_path / 'auth.sqlite'}")
    record(engine, "alice", "page_view", page="cockpit")  # the pool's first connection
    took = []
    for _ in range(100):
        started = time.perf_counter()
        record(engine, "alice", "page_view", page="cockpit", region="370831000000", month="2026-02")
        took.append(time.perf_counter() - started)
    engine.dispose()
    assert statistics.median(took) < 0.005, f"median {statistics.median(took) * 1000:.2f} ms"


def test_record_refuses_secrets_and_unknown_actions(auth):
    with pytest.raises(ValueError, match="不得包含密码"):
        record(auth, "alice", "login_failed", password="hunter2")
    with pytest.raises(ValueError, match="未知的审计操作"):
        record(auth, "alice", "page_veiw", page="cockpit")
    assert audit_rows(auth) == [] and verify_chain(auth).ok
    alice = User("alice", "泗水县民政局", "county", "370831000000", True, False, at(2, 1, 0))
    record(auth, alice, "export", what="周调度.png", week="2026-W10")
    record(auth, None, "page_view", page="login")  # nobody logged in yet
    assert [(e.username, e.details) for e in audit_rows(auth)] == [
        ("alice", {"week": "2026-W10", "what": "周调度.png"}), (None, {"page": "login"})]
    assert verify_chain(auth).ok


def test_the_code_has_no_update_or_delete_of_audit_records():
    sources = [*sorted((ROOT / "data" / "auth").glob("*.py")), ROOT / "data" / "audit.py", ROOT / "data" / "users.py"]
    for path in sources:
        code = path.read_text(encoding="utf-8")
        assert not re.search(r"(update|delete)\(\s*audit\b", code), path
        assert not re.search(r"(UPDATE|DELETE FROM)\s+audit\b", code, re.I), path
