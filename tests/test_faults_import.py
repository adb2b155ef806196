"""An import killed with SIGKILL half-way leaves the database exactly as it was, and the loader works afterwards.

`python -m data.load` is started on 200,000 generated visit rows (children and workers already loaded) and
killed with kill -9 while it writes: on SQLite once in the middle of the upsert (the write lock held, the
rows in its page cache) and once while its COMMIT is writing the WAL file; on PostgreSQL in the middle of
the upsert (its transaction holding the visit table). Then every table's row count and a checksum of its rows
equal those taken before, SQLite's integrity check is ok, and a new load succeeds.
"""

import os
import queue
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from data.db import get_engine
from data.load import load_files
from tests.fixtures.faults import (
    KEY, ROOT, count, fingerprint, integrity, kept_is_exact, loader_command, loader_env, write_reference, write_visits,
)

CHILDREN, WORKERS, VISITS = 10_000, 200, 200_000
WRITING = "写入 走访 200,000 行 …"


@pytest.fixture(scope="module")
def ledgers(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("kill")
    refs = write_reference(folder, CHILDREN, WORKERS)
    visits = write_visits(folder / "走访.csv", VISITS, CHILDREN, WORKERS)
    (folder / "small").mkdir()
    small = folder / "small" / "走访.csv"
    with visits.open(encoding="utf-8") as f:
        small.write_text("".join(next(f) for _ in range(1_001)), encoding="utf-8")
    return {"refs": refs, "visits": visits, "small": small}


def _load_refs(url: str, refs) -> None:
    engine = get_engine(url)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WEIBAO_ID_KEY", KEY)
        result = load_files(refs, engine)
    engine.dispose()  # SQLite: checkpoints and removes the WAL, so the copy is one file
    assert result.ok, [str(p) for p in result.errors]


@pytest.fixture(scope="module")
def sqlite_base(ledgers, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("kill-base") / "base.sqlite"
    _load_refs(f"sqlite:///{path}", ledgers["refs"])
    assert not Path(f"{path}-wal").exists()
    return path


class Loader:
    """python -m data.load on a file, its standard error read line by line as it prints."""

    def __init__(self, path: Path, url: str):
        self.proc = subprocess.Popen(loader_command(path, "--db", url), cwd=ROOT, env=loader_env(),
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.lines: queue.Queue = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.put(line.decode("utf-8", errors="replace").rstrip("\n"))

    def wait_for(self, wanted: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while wanted not in self.seen:
            try:
                self.seen.append(self.lines.get(timeout=max(deadline - time.monotonic(), 0.01)))
            except queue.Empty:
                self.proc.kill()
                pytest.fail(f"the loader never printed {wanted!r}: {self.seen}")

    def running(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        assert self.running(), f"the loader finished before it could be killed: {self.seen}"
        os.kill(self.proc.pid, signal.SIGKILL)
        assert self.proc.wait(30) == -signal.SIGKILL


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _holds_write_lock(path: Path) -> bool:
    """Whether another connection holds the SQLite write lock (a BEGIN IMMEDIATE here fails at once)."""
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as err:
        assert "locked" in str(err)
        return True
    finally:
        conn.close()


def _afterwards(url: str, before: dict, small: Path) -> None:
    assert before["kept_children"][0] > 0 and before["kept_network"][0] > 0  # the kept measures are compared too
    assert fingerprint(url) == before
    done = subprocess.run(loader_command(small, "--db", url), cwd=ROOT, env=loader_env(), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0 and "走访：1,000 行" in done.stdout, done.stdout + done.stderr
    assert count(url, "visit") == before["visit"][0] + 1_000
    assert kept_is_exact(url)  # the landed load left the kept measures exactly right


def test_sqlite_killed_in_the_middle_of_the_upsert(sqlite_base, ledgers, tmp_path):
    path = tmp_path / "county.sqlite"
    shutil.copy(sqlite_base, path)
    url = f"sqlite:///{path}"
    before = fingerprint(url)
    loader = Loader(ledgers["visits"], url)
    loader.wait_for(WRITING)
    time.sleep(0.3)  # rows sorted, some of the 20 batches of 10,000 in (the upsert takes 0.8–2 s, then the kept
    # measures are refreshed; a quiet machine had committed within 1 s)
    assert loader.running(), f"the loader ended (exit {loader.proc.returncode}) before it could be killed: {loader.seen}"
    assert _holds_write_lock(path), "the loader is inside its transaction"
    loader.kill()
    assert integrity(path) == "ok"
    _afterwards(url, before, ledgers["small"])


def test_sqlite_killed_while_its_commit_writes_the_wal(sqlite_base, ledgers, tmp_path):
    path = tmp_path / "county.sqlite"
    shutil.copy(sqlite_base, path)
    url = f"sqlite:///{path}"
    before = fingerprint(url)
    wal = Path(f"{path}-wal")
    loader = Loader(ledgers["visits"], url)
    loader.wait_for(WRITING)
    # The rows stay in the loader's 256 MiB page cache until COMMIT, which then writes them to the WAL
    # (about 90 MB here, a few hundred milliseconds): kill -9 at its first frames.
    deadline = time.monotonic() + 120
    while _size(wal) <= 32 * 2**10 and time.monotonic() < deadline and loader.running():
        time.sleep(0.0005)
    size = _size(wal)
    loader.kill()
    assert size > 32 * 2**10, "killed while writing the WAL"
    assert integrity(path) == "ok"
    _afterwards(url, before, ledgers["small"])


def test_postgresql_killed_in_the_middle_of_the_upsert(pg_url, ledgers):
    _load_refs(pg_url, ledgers["refs"])
    before = fingerprint(pg_url)
    loader = Loader(ledgers["visits"], pg_url)
    loader.wait_for(WRITING)
    engine = create_engine(pg_url)
    deadline = time.monotonic() + 60
    with engine.connect() as conn:
        # Until the loader's transaction has written into this schema's visit table (and not committed).
        while not conn.execute(text(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = 'visit' "
                "AND l.mode = 'RowExclusiveLock' AND l.granted AND l.pid <> pg_backend_pid()")).scalar_one():
            assert loader.running() and time.monotonic() < deadline, "the loader never wrote a visit"
            time.sleep(0.02)
    engine.dispose()
    time.sleep(0.5)  # a few of the 20 batches in (the upsert takes about 7 s)
    loader.kill()
    _afterwards(pg_url, before, ledgers["small"])
