"""A PostgreSQL streaming replica of the primary, as a second cluster on the same machine (Debian's tools).

    python scripts/replica.py start  [--port 5433] [--primary-port 5432] [--name replica] [--db NAME]
    python scripts/replica.py status [--port 5433] [--primary-port 5432] [--name replica]
    python scripts/replica.py stop   [--primary-port 5432] [--name replica]

Run as root (pg_createcluster writes /etc/postgresql). `start` does every step itself and may be run again:

1. checks the primary (127.0.0.1:PRIMARY_PORT, user postgres): wal_level replica or logical, free WAL senders and
   replication slots, hot_standby; a setting that would need a restart of the primary is an error that says
   which, the primary is never restarted by this script;
2. makes sure the primary's pg_hba.conf lets postgres connect for replication from 127.0.0.1 (appends
   `host replication postgres 127.0.0.1/32 trust` when no line covers it, then reloads the primary);
3. `pg_createcluster VERSION NAME --port PORT`, empties its data directory, and fills it with
   `pg_basebackup -h 127.0.0.1 -p PRIMARY_PORT -U postgres -D DATA -R -X stream -C -S weibao_NAME -c fast`
   run as the postgres user (-R writes standby.signal and primary_conninfo, -C -S a physical replication slot
   so the primary keeps the WAL the replica has not received yet);
4. gives the replica the primary's pg_hba.conf (the same roles come over in the backup, the access rules live
   outside the data directory) and conf.d/weibao_replica.conf (port, listen address, hot_standby_feedback; the
   file also marks the cluster as made here: `stop` refuses a cluster without it);
5. starts it, waits until it accepts connections, reports pg_is_in_recovery() and its WAL receiver streams,
   and prints the replica URL(s) for the dashboards: postgresql+psycopg://postgres@127.0.0.1:PORT/DB.

`stop` stops and drops that replica cluster and drops its replication slot on the primary (a slot left behind
would make the primary keep WAL for ever). It leaves the pg_hba.conf line (harmless: trust from 127.0.0.1
for replication, as the primary already trusts every local connection) and touches nothing else.
Exit status: 0 done / healthy, 1 a clear error on standard error (or status: not streaming), 2 usage.
"""

import argparse
import ipaddress
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

MARKER = "weibao_replica.conf"
HBA_LINE = "host    replication     postgres        127.0.0.1/32            trust"
HBA_COMMENT = "# streaming replica on this machine (scripts/replica.py start)"
USER = "postgres"
HOST = "127.0.0.1"


class ReplicaError(RuntimeError):
    """A step failed; the message says which and what to do."""


@dataclass
class Cluster:
    version: int
    name: str
    port: int
    running: bool
    pgdata: str
    configdir: str
    logfile: str


# ------------------------------------------------------------------ helpers


def _run(cmd: list[str], what: str, as_postgres: bool = False, timeout: float = 300) -> str:
    if as_postgres and os.geteuid() == 0:
        cmd = ["runuser", "-u", USER, "--", *cmd]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError:
        raise ReplicaError(f"{what}失败：找不到命令 {cmd[0]}（apt-get install postgresql-common postgresql-client）")
    except subprocess.TimeoutExpired:
        raise ReplicaError(f"{what}超时（{timeout:.0f} 秒）：{' '.join(cmd)}")
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip()
        raise ReplicaError(f"{what}失败（{' '.join(cmd)}，退出码 {done.returncode}）：{detail}")
    return done.stdout


def _ctl(version: int, name: str, action: str, *extra: str) -> None:
    """pg_ctlcluster; without systemd running (containers) it must not redirect to systemctl."""
    cmd = ["pg_ctlcluster"]
    if not Path("/run/systemd/system").is_dir():
        cmd.append("--skip-systemctl-redirect")
    _run([*cmd, str(version), name, action, *extra], f"{action} 集群 {version}/{name}")


def _connect(port: int, dbname: str = "postgres", timeout: int = 3) -> psycopg.Connection:
    return psycopg.connect(host=HOST, port=port, user=USER, dbname=dbname, connect_timeout=timeout, autocommit=True)


def primary(port: int) -> psycopg.Connection:
    try:
        conn = _connect(port)
    except psycopg.OperationalError as err:
        raise ReplicaError(f"连不上主库 {HOST}:{port}（用户 {USER}）：{str(err).strip()}\n"
                           f"  主库没有运行时：pg_ctlcluster --skip-systemctl-redirect 15 main start") from None
    if conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
        conn.close()
        raise ReplicaError(f"{HOST}:{port} 本身是一个副本（pg_is_in_recovery() = true），不能作为主库")
    return conn


def replica_url(port: int, db: str) -> str:
    """The SQLAlchemy URL of a database on the replica, as WEIBAO_DB_URL for the dashboards."""
    return f"postgresql+psycopg://{USER}@{HOST}:{port}/{db}"


def slot_name(name: str) -> str:
    return f"weibao_{name}"


def _check_name(name: str) -> None:
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", name):
        raise ReplicaError(f"副本名称“{name}”无效：只用小写字母、数字和下划线，以字母开头")
    if name == "main":
        raise ReplicaError("副本不能叫 main（那是主库集群的名字）")


def clusters() -> list[Cluster]:
    out = _run(["pg_lsclusters", "--json"], "列出 PostgreSQL 集群")
    return [Cluster(int(c["version"]), c["cluster"], int(c["port"]), bool(c.get("running")), c["pgdata"],
                    c["configdir"], c.get("logfile") or "") for c in json.loads(out or "[]")]


def find(name: str, version: int | None = None) -> Cluster | None:
    return next((c for c in clusters() if c.name == name and (version is None or c.version == version)), None)


def is_ours(cluster: Cluster) -> bool:
    return (Path(cluster.configdir) / "conf.d" / MARKER).is_file()


def _port_in_use(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((HOST, port)) == 0


def _log_tail(cluster: Cluster | None, lines: int = 15) -> str:
    if not cluster or not cluster.logfile or not Path(cluster.logfile).exists():
        return ""
    text = Path(cluster.logfile).read_text(errors="replace").splitlines()[-lines:]
    return f"\n  日志 {cluster.logfile} 最后 {len(text)} 行：\n    " + "\n    ".join(text)


def _require_root() -> None:
    if os.geteuid() != 0:
        raise ReplicaError("需要 root 运行（pg_createcluster / pg_dropcluster 写 /etc/postgresql，"
                           "pg_basebackup 以 postgres 用户运行）：sudo .venv/bin/python scripts/replica.py …")
    for tool in ("pg_lsclusters", "pg_createcluster", "pg_dropcluster", "pg_ctlcluster", "runuser"):
        if shutil.which(tool) is None:
            raise ReplicaError(f"找不到 {tool}：apt-get install postgresql-common")


# ------------------------------------------------------------------ the primary


def _hba_rule_covers(rule: dict) -> bool:
    """Whether a pg_hba_file_rules row matches a TCP replication connection of postgres from 127.0.0.1."""
    if rule["type"] not in ("host", "hostnossl"):
        return False
    if "replication" not in (rule["database"] or []):
        return False  # "all" does not cover replication connections
    if not ({"all", USER} & set(rule["user_name"] or [])):
        return False
    address = rule["address"]
    if address in ("all", "samehost", "samenet"):
        return True
    if address in ("localhost",):
        return True
    try:
        if rule["netmask"]:
            net = ipaddress.ip_network(f"{address}/{rule['netmask']}", strict=False)
        else:
            net = ipaddress.ip_network(address, strict=False)
    except ValueError:
        return False
    return net.version == 4 and ipaddress.ip_address(HOST) in net


def _hba_rules(conn) -> list[dict]:
    cur = conn.cursor(row_factory=dict_row)
    return cur.execute("SELECT line_number, type, database, user_name, address, netmask, auth_method, error "
                       "FROM pg_hba_file_rules ORDER BY line_number").fetchall()


def ensure_primary(port: int, say=print, senders_needed: int = 3) -> int:
    """Check and, where it can be done without a restart, set up what the primary needs. Returns its major version.

    senders_needed: WAL senders that must be free (a new replica: 2 for pg_basebackup -X stream, 1 to stream).
    """
    conn = primary(port)
    try:
        settings = dict(conn.execute(
            "SELECT name, setting FROM pg_settings WHERE name IN ('wal_level', 'max_wal_senders', "
            "'max_replication_slots', 'server_version_num', 'hba_file')").fetchall())
        version = int(settings["server_version_num"]) // 10000
        problems = []
        if settings["wal_level"] not in ("replica", "logical"):
            problems.append(f"wal_level = {settings['wal_level']}（需要 replica）：ALTER SYSTEM SET wal_level = replica;")
        senders = conn.execute("SELECT count(*) FROM pg_stat_replication").fetchone()[0]
        if int(settings["max_wal_senders"]) - senders < senders_needed:
            problems.append(f"max_wal_senders = {settings['max_wal_senders']}，已用 {senders}（需要再空出 "
                            f"{senders_needed} 个：新副本的基础备份 2 个，流复制 1 个）："
                            f"ALTER SYSTEM SET max_wal_senders = {senders + 10};")
        slots = conn.execute("SELECT count(*) FROM pg_replication_slots").fetchone()[0]
        if senders_needed >= 3 and int(settings["max_replication_slots"]) - slots < 1:
            problems.append(f"max_replication_slots = {settings['max_replication_slots']}，已用 {slots}："
                            f"ALTER SYSTEM SET max_replication_slots = {slots + 10};")
        if problems:
            raise ReplicaError("主库的设置不够做流复制，改完需要重启主库（本脚本不重启主库）：\n  "
                               + "\n  ".join(problems))
        rules = _hba_rules(conn)
        broken = [r for r in rules if r["error"]]
        if broken:
            raise ReplicaError(f"主库 {settings['hba_file']} 第 {broken[0]['line_number']} 行有错："
                               f"{broken[0]['error']}；先改正它")
        first = next((r for r in rules if _hba_rule_covers(r)), None)
        if first is None:
            hba = Path(settings["hba_file"])
            try:
                text = hba.read_text()
                with hba.open("a") as f:
                    f.write(("" if text.endswith("\n") or not text else "\n") + f"{HBA_COMMENT}\n{HBA_LINE}\n")
            except OSError as err:
                raise ReplicaError(f"不能写 {hba}：{err}（需要 root）") from None
            conn.execute("SELECT pg_reload_conf()")
            say(f"主库 {hba} 加了一行：{HBA_LINE}，已重新加载配置（pg_reload_conf）")
            first = next((r for r in _hba_rules(conn) if _hba_rule_covers(r)), None)
            if first is None:
                raise ReplicaError(f"{hba} 加了复制规则，但主库仍不认：请检查该文件")
        if first["auth_method"] == "reject":
            raise ReplicaError(f"主库 {settings['hba_file']} 第 {first['line_number']} 行拒绝 127.0.0.1 的复制连接"
                               f"（reject）：改成 trust 或 scram-sha-256")
        if first["auth_method"] != "trust":
            say(f"注意：主库 pg_hba 第 {first['line_number']} 行要求 {first['auth_method']}，pg_basebackup 和副本"
                f"需要密码（postgres 用户的 ~/.pgpass 或 PGPASSWORD）")
        return version
    finally:
        conn.close()


def drop_slot(primary_port: int, name: str, wait: float = 15) -> bool:
    """Drop the replica's slot on the primary once nothing uses it; True when one was dropped."""
    slot = slot_name(name)
    try:
        conn = primary(primary_port)
    except ReplicaError:
        return False
    try:
        deadline = time.monotonic() + wait
        while True:
            row = conn.execute("SELECT active FROM pg_replication_slots WHERE slot_name = %s", (slot,)).fetchone()
            if row is None:
                return False
            if not row[0]:
                conn.execute("SELECT pg_drop_replication_slot(%s)", (slot,))
                return True
            if time.monotonic() > deadline:
                raise ReplicaError(f"主库的复制槽 {slot} 仍在使用，没有删除（副本还在连着？）")
            time.sleep(0.3)
    finally:
        conn.close()


# ------------------------------------------------------------------ the replica


def in_recovery(port: int) -> bool | None:
    """pg_is_in_recovery() of the server on that port, or None when it does not accept connections."""
    try:
        with _connect(port, timeout=2) as conn:
            return bool(conn.execute("SELECT pg_is_in_recovery()").fetchone()[0])
    except psycopg.OperationalError:
        return None


def wait_ready(cluster: Cluster, timeout: float = 60) -> None:
    """Until the replica accepts connections, is in recovery and its WAL receiver is streaming."""
    deadline = time.monotonic() + timeout
    state = None
    while time.monotonic() < deadline:
        recovery = in_recovery(cluster.port)
        if recovery is False:
            raise ReplicaError(f"127.0.0.1:{cluster.port} 接受连接，但不在恢复模式（pg_is_in_recovery() = false）："
                               f"这不是副本")
        if recovery:
            with _connect(cluster.port) as conn:
                row = conn.execute("SELECT status FROM pg_stat_wal_receiver").fetchone()
            state = row[0] if row else None
            if state == "streaming":
                return
        time.sleep(0.3)
    raise ReplicaError(f"副本 {cluster.version}/{cluster.name} 在 {timeout:.0f} 秒内没有就绪"
                       f"（接受连接：{in_recovery(cluster.port) is not None}，WAL 接收：{state or '无'}）"
                       + _log_tail(find(cluster.name, cluster.version)))


def wait_for_replay(primary_port: int, port: int, timeout: float = 60) -> str:
    """Until the replica has replayed everything the primary had written when called; returns that LSN."""
    with primary(primary_port) as conn:
        target = str(conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0])
    deadline = time.monotonic() + timeout
    with _connect(port) as conn:
        while True:
            replayed, done = conn.execute("SELECT pg_last_wal_replay_lsn(), pg_last_wal_replay_lsn() >= %s::pg_lsn",
                                          (target,)).fetchone()
            if done:
                return target
            if time.monotonic() > deadline:
                raise ReplicaError(f"副本在 {timeout:.0f} 秒内没有追上主库：主库 {target}，副本已重放 {replayed}")
            time.sleep(0.2)


def _databases(port: int) -> list[str]:
    with _connect(port) as conn:
        return [r[0] for r in conn.execute(
            "SELECT datname FROM pg_database WHERE NOT datistemplate AND datname <> 'postgres' ORDER BY datname")]


def start(name: str = "replica", port: int = 5433, primary_port: int = 5432, timeout: float = 60,
          say=print) -> Cluster:
    """Create (or restart) the replica and wait until it streams; idempotent. Returns the cluster."""
    _check_name(name)
    _require_root()
    if port == primary_port:
        raise ReplicaError(f"副本端口 {port} 和主库端口相同")
    cluster = find(name)
    version = ensure_primary(primary_port, say, senders_needed=3 if cluster is None else 0 if cluster.running else 1)
    if cluster is not None:
        if not is_ours(cluster):
            raise ReplicaError(f"集群 {cluster.version}/{name} 已存在，但不是本脚本建的副本（没有 conf.d/{MARKER}）："
                               f"换一个 --name，或先自己处理它")
        if cluster.port != port:
            raise ReplicaError(f"副本 {cluster.version}/{name} 已存在，端口是 {cluster.port} 而不是 {port}：用 --port "
                               f"{cluster.port}，或先 stop 再 start")
        if not cluster.running:
            say(f"副本 {cluster.version}/{name} 已存在但没有运行，启动它")
            try:
                _ctl(cluster.version, name, "start")
            except ReplicaError as err:
                raise ReplicaError(f"{err}{_log_tail(cluster)}\n  副本坏了时：scripts/replica.py stop 再 start") from None
        else:
            say(f"副本 {cluster.version}/{name} 已在运行")
        wait_ready(cluster, timeout)
        return find(name)
    if _port_in_use(port):
        raise ReplicaError(f"端口 {port} 已被占用（不是副本 {name}）：换一个 --port")
    drop_slot(primary_port, name, wait=0)  # a slot left by a replica removed by hand would block -C
    say(f"建集群：pg_createcluster {version} {name} --port {port} -- --no-sync")
    # initdb's files are replaced by the backup at once: no need to wait for them to reach the disk.
    _run(["pg_createcluster", str(version), name, "--port", str(port), "--", "--no-sync"], f"建集群 {version}/{name}")
    created = find(name, version)
    try:
        data = Path(created.pgdata)
        for entry in data.iterdir():  # pg_basebackup wants an empty directory; keep the directory itself
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
        say(f"基础备份：pg_basebackup -h {HOST} -p {primary_port} -U {USER} -D {data} -R -X stream "
            f"-C -S {slot_name(name)} -c fast（postgres 用户）")
        _run(["pg_basebackup", "-h", HOST, "-p", str(primary_port), "-U", USER, "-D", str(data), "-R",
              "-X", "stream", "-C", "-S", slot_name(name), "-c", "fast", "-w"],
             "基础备份（pg_basebackup）", as_postgres=True, timeout=3600)
        if not (data / "standby.signal").exists():
            raise ReplicaError(f"pg_basebackup 没有写 {data}/standby.signal（-R）")
        conf = Path(created.configdir)
        with _connect(primary_port) as conn:
            hba_file = conn.execute("SHOW hba_file").fetchone()[0]
        shutil.copyfile(hba_file, conf / "pg_hba.conf")  # the primary's access rules, same roles
        (conf / "conf.d").mkdir(exist_ok=True)
        (conf / "conf.d" / MARKER).write_text(
            "# Made by scripts/replica.py: this cluster is a streaming replica of "
            f"{HOST}:{primary_port}; `scripts/replica.py stop --name {name}` drops it.\n"
            f"port = {port}\n"
            f"listen_addresses = '{HOST}'\n"
            "hot_standby = on\n"
            "# Long dashboard reads are not cancelled by the primary's vacuum cleaning rows they still see.\n"
            "hot_standby_feedback = on\n")
        say(f"启动副本：pg_ctlcluster {version} {name} start")
        _ctl(version, name, "start")
        cluster = find(name, version)
        wait_ready(cluster, timeout)
    except BaseException:
        try:  # leave nothing half-made behind: the next start begins from scratch
            _drop(find(name, version), primary_port, say=lambda _m: None)
        except ReplicaError as cleanup:
            print(f"清理半成品副本也失败了：{cleanup}", file=sys.stderr)
        raise
    return cluster


def _drop(cluster: Cluster | None, primary_port: int, say=print) -> None:
    if cluster is not None:
        if cluster.running:
            try:
                _ctl(cluster.version, cluster.name, "stop", "-m", "fast")
            except ReplicaError:
                pass  # pg_dropcluster --stop below tries again and says why
        _run(["pg_dropcluster", "--stop", str(cluster.version), cluster.name], f"删除集群 {cluster.version}/{cluster.name}")
        say(f"已停止并删除副本集群 {cluster.version}/{cluster.name}（端口 {cluster.port}）")
        if drop_slot(primary_port, cluster.name, wait=15):
            say(f"已删除主库上的复制槽 {slot_name(cluster.name)}")


def stop(name: str = "replica", primary_port: int = 5432, say=print) -> bool:
    """Stop and drop the replica cluster and its slot on the primary; False when there was none. Idempotent."""
    _check_name(name)
    _require_root()
    cluster = find(name)
    if cluster is None:
        if drop_slot(primary_port, name, wait=0):
            say(f"副本 {name} 不存在；删除了主库上遗留的复制槽 {slot_name(name)}")
        else:
            say(f"副本 {name} 不存在，无需停止")
        return False
    if not is_ours(cluster):
        raise ReplicaError(f"集群 {cluster.version}/{name} 不是本脚本建的副本（没有 conf.d/{MARKER}），不删除")
    _drop(cluster, primary_port, say)
    return True


def status(name: str = "replica", primary_port: int = 5432, say=print) -> bool:
    """Print the replica's state and lag; True when it is streaming."""
    _check_name(name)
    cluster = find(name)
    if cluster is None:
        say(f"副本 {name} 不存在（scripts/replica.py start 建一个）")
        return False
    say(f"集群 {cluster.version}/{name}：端口 {cluster.port}，{'运行中' if cluster.running else '未运行'}，"
        f"数据目录 {cluster.pgdata}{'' if is_ours(cluster) else '（不是本脚本建的）'}")
    recovery = in_recovery(cluster.port)
    if recovery is None:
        say("副本不接受连接" + _log_tail(cluster, 5))
        return False
    say(f"pg_is_in_recovery() = {str(recovery).lower()}")
    with _connect(cluster.port) as conn:
        receiver = conn.execute("SELECT status, sender_host, sender_port FROM pg_stat_wal_receiver").fetchone()
        replay, at = conn.execute("SELECT pg_last_wal_replay_lsn(), pg_last_xact_replay_timestamp()").fetchone()
    say(f"WAL 接收：{receiver[0] + f'（来自 {receiver[1]}:{receiver[2]}）' if receiver else '无'}；已重放到 {replay}，"
        f"最后一个重放的事务提交于 {at or '—'}")
    try:
        with primary(primary_port) as conn:
            row = conn.execute(
                "SELECT r.state, pg_wal_lsn_diff(pg_current_wal_lsn(), r.replay_lsn), r.replay_lag "
                "FROM pg_stat_replication r JOIN pg_replication_slots s ON s.active_pid = r.pid "
                "WHERE s.slot_name = %s", (slot_name(name),)).fetchone()
    except ReplicaError as err:
        say(f"主库：{err}")
        row = None
    if row:
        say(f"主库看到：{row[0]}，副本落后 {int(row[1])} 字节，重放延迟 {row[2] or '0'}")
    for db in _databases(cluster.port):
        say(f"WEIBAO_DB_URL={replica_url(cluster.port, db)}")
    return bool(recovery and receiver and receiver[0] == "streaming")


# ------------------------------------------------------------------ command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/replica.py", description="本机 PostgreSQL 流复制副本（只读，供看板读取）")
    parser.add_argument("action", choices=["start", "status", "stop"], help="start 建立并启动 / status 状态 / stop 停止并删除")
    parser.add_argument("--port", type=int, default=5433, help="副本端口（默认 5433）")
    parser.add_argument("--primary-port", type=int, default=5432, help="主库端口（默认 5432，主机 127.0.0.1）")
    parser.add_argument("--name", default="replica", help="副本集群名（默认 replica）")
    parser.add_argument("--db", help="打印这个数据库的副本 URL（默认：副本上的每个数据库）")
    parser.add_argument("--timeout", type=float, default=120, help="等待副本就绪的秒数（默认 120）")
    args = parser.parse_args(argv)
    try:
        if args.action == "start":
            cluster = start(args.name, args.port, args.primary_port, args.timeout)
            print(f"副本 {cluster.version}/{cluster.name} 就绪：127.0.0.1:{cluster.port}，pg_is_in_recovery() = true，"
                  f"WAL 流式接收中。看板读副本，导入写主库：")
            for db in [args.db] if args.db else _databases(cluster.port) or ["DB"]:
                print(replica_url(cluster.port, db))
            return 0
        if args.action == "stop":
            stop(args.name, args.primary_port)
            return 0
        return 0 if status(args.name, args.primary_port) else 1
    except ReplicaError as err:
        print(f"错误：{err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
