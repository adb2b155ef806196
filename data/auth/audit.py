"""The audit log: append-only records chained by SHA-256, their listing and the chain's verification."""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from data.auth.store import GENESIS, audit, audit_head, loaded, stored, to_utc, writing
from data.cli import minute

# Every action the log knows, with its Chinese name; record() refuses any other.
ACTIONS = {
    "login_ok": "登录成功",
    "login_failed": "登录失败",
    "logout": "退出登录",
    "page_view": "查看页面",
    "download": "下载",
    "export": "导出",
    "denied": "越权访问",
    "user_add": "新增用户",
    "user_passwd": "修改密码",
    "user_disable": "停用用户",
    "user_enable": "启用用户",
}

# Detail keys that would put a secret into the log; record() refuses them.
_SECRET_WORDS = ("password", "passwd", "secret", "密码")


@dataclass(frozen=True)
class AuditEntry:
    """One audit record as read back; `at` is aware UTC, `details` the decoded JSON object."""

    id: int
    at: datetime
    username: str | None
    action: str
    details: dict
    hash: str

    @property
    def action_label(self) -> str:
        return ACTIONS.get(self.action, self.action)

    @property
    def local_minute(self) -> str:
        """The time as people read it: local time, to the minute."""
        return minute(self.at)


@dataclass(frozen=True)
class ChainBreak:
    """The first record at which the chain does not hold, and what is wrong with it (Chinese)."""

    id: int
    at: datetime | None
    username: str | None
    action: str | None
    problem: str


@dataclass(frozen=True)
class ChainState:
    """The result of verify_chain: intact with `count` records, or `broken` at its first break."""

    count: int
    last_hash: str
    broken: ChainBreak | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None

    @property
    def message(self) -> str:
        """“完整（N 条记录）”, or one Chinese line naming the first broken record."""
        if self.broken is None:
            return f"完整（{self.count} 条记录）"
        b = self.broken
        when = f"，{minute(b.at)}" if b.at else ""
        who = f"，{b.username}" if b.username else ""
        what = f"，{ACTIONS.get(b.action, b.action)}" if b.action else ""
        where = (when + who + what).lstrip("，")
        return f"断裂：第一条有问题的记录是 #{b.id}{f'（{where}）' if where else ''}：{b.problem}"


def canonical_details(details: dict) -> str:
    """Details as the JSON text stored and hashed: sorted keys, no spaces, Chinese kept as is."""
    return json.dumps(details, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def chain_hash(prev_hash: str, record_id: int, at: datetime, username: str | None, action: str,
               details_text: str) -> str:
    """SHA-256 over the previous record's hash and this record's canonical content
    (id, UTC time to the microsecond, username, action, details text)."""
    content = json.dumps({"id": record_id, "at": stored(at).isoformat(timespec="microseconds"),
                          "username": username, "action": action, "details": details_text},
                         ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{prev_hash}\n{content}".encode("utf-8")).hexdigest()


def _check(action: str, details: dict) -> None:
    if action not in ACTIONS:
        raise ValueError(f"未知的审计操作 {action!r}：可选 {'、'.join(ACTIONS)}")
    for key in details:
        if any(word in str(key).lower() for word in _SECRET_WORDS):
            raise ValueError(f"审计详情不得包含密码或密钥（键 {key!r}）")


def append(conn, head, username: str | None, action: str, details: dict, now: datetime | None = None) -> int:
    """Append one record inside a writing() transaction (which holds `head`); returns its id."""
    _check(action, details)
    at = stored(to_utc(now))
    text = canonical_details(details)
    new_id = head.last_id + 1
    digest = chain_hash(head.last_hash, new_id, at, username, action, text)
    conn.execute(insert(audit).values(id=new_id, at=at, username=username, action=action, details=text,
                                      prev_hash=head.last_hash, hash=digest))
    head.advance(conn, new_id, digest)
    return new_id


def _name(user) -> str | None:
    """A username from a User, a str, or None (nobody logged in)."""
    if user is None or isinstance(user, str):
        return user
    return user.username


def record(engine: Engine, user, action: str, *, now: datetime | None = None, **details) -> int:
    """Append one audit record: `user` a User, a username or None; `details` JSON-able values. Returns its id.

    One short transaction, serialized with every other writer. `now` (aware, or naive UTC) is for
    tests; a detail key naming a password is refused.
    """
    with writing(engine) as (conn, head):
        return append(conn, head, _name(user), action, details, now)


def audit_rows(engine: Engine, user: str | None = None, since: datetime | None = None,
               until: datetime | None = None, action: str | None = None, limit: int | None = None,
               newest_first: bool = False) -> list[AuditEntry]:
    """Audit records filtered by username, time (since ≤ at < until; aware or naive UTC) and action."""
    query = select(audit.c.id, audit.c.at, audit.c.username, audit.c.action, audit.c.details, audit.c.hash)
    if user is not None:
        query = query.where(audit.c.username == user)
    if since is not None:
        query = query.where(audit.c.at >= stored(since))
    if until is not None:
        query = query.where(audit.c.at < stored(until))
    if action is not None:
        query = query.where(audit.c.action == action)
    query = query.order_by(audit.c.id.desc() if newest_first else audit.c.id)
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [AuditEntry(r.id, loaded(r.at), r.username, r.action, _decode(r.details), r.hash) for r in rows]


def _decode(text: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError:
        return {"_raw": text}  # a tampered row must still list (verify names it)
    return value if isinstance(value, dict) else {"_value": value}


def verify_chain(engine: Engine) -> ChainState:
    """Walk the whole chain from record 1: ids consecutive, each prev_hash the previous hash, each hash
    recomputed from the record's content, the head pointing at the last record."""
    prev_id, prev_hash, count = 0, GENESIS, 0
    columns = (audit.c.id, audit.c.at, audit.c.username, audit.c.action, audit.c.details, audit.c.prev_hash,
               audit.c.hash)
    with engine.connect() as conn:
        head = conn.execute(select(audit_head.c.last_id, audit_head.c.last_hash)
                            .where(audit_head.c.id == 1)).first()
        result = conn.execution_options(yield_per=2000).execute(select(*columns).order_by(audit.c.id))
        for r in result:
            broken = _link_problem(r, prev_id, prev_hash)
            if broken:
                return ChainState(count, prev_hash, ChainBreak(r.id, loaded(r.at), r.username, r.action, broken))
            prev_id, prev_hash, count = r.id, r.hash, count + 1
    if head is None:
        return ChainState(count, prev_hash, ChainBreak(prev_id + 1, None, None, None, "链头记录（audit_head）缺失"))
    if head.last_id != prev_id or head.last_hash != prev_hash:
        if head.last_id > prev_id:
            missing = f"#{prev_id + 1}" if head.last_id == prev_id + 1 else f"#{prev_id + 1}–#{head.last_id}"
            problem = f"链头记录最后一条是 #{head.last_id}，表中最后一条是 #{prev_id}：末尾的记录 {missing} 缺失（已被删除）"
            return ChainState(count, prev_hash, ChainBreak(prev_id + 1, None, None, None, problem))
        problem = f"链头记录（#{head.last_id}，哈希 {head.last_hash[:12]}…）与最后一条记录 #{prev_id} 不符"
        return ChainState(count, prev_hash, ChainBreak(prev_id, None, None, None, problem))
    return ChainState(count, prev_hash)


def _link_problem(r, prev_id: int, prev_hash: str) -> str | None:
    """What is wrong with record r given the record before it, or None."""
    if r.id != prev_id + 1:
        if r.id <= prev_id:
            return f"编号 #{r.id} 不在 #{prev_id} 之后"
        gap = f"#{prev_id + 1}" if r.id == prev_id + 2 else f"#{prev_id + 1}–#{r.id - 1}"
        return f"前面的记录 {gap} 缺失（已被删除）"
    if r.prev_hash != prev_hash:
        before = f"记录 #{prev_id}" if prev_id else "链的起点"
        return f"所存的前一哈希 {r.prev_hash[:12]}… 与{before}的哈希 {prev_hash[:12]}… 不符（前一条记录被改动或替换）"
    recomputed = chain_hash(r.prev_hash, r.id, r.at, r.username, r.action, r.details)
    if recomputed != r.hash:
        return (f"内容与其哈希不符（时间、用户、操作或详情被改动）：所存哈希 {r.hash[:12]}…，"
                f"按现有内容重算为 {recomputed[:12]}…")
    return None
