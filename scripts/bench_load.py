"""Loader benchmark: a synthetic 走访 CSV (valid ID numbers) timed through data.load into SQLite or PostgreSQL.

Usage: python scripts/bench_load.py [--visits 700000] [--db URL]
The demo keeps no clear ID numbers, so the ledger is made up here: one county of 10 townships and
400 villages, 50,000 children, 400 directors, and VISITS visit rows (14 a child, distinct dates).
"""

import argparse
import csv
import os
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from data.db import get_engine  # noqa: E402
from data.ids import check_digit  # noqa: E402
from data.load import load_files  # noqa: E402

CHILDREN, WORKERS, VILLAGES_PER_TOWN = 50_000, 400, 40


def _id(serial: int) -> str:
    body = f"370831{serial:011d}"
    return body + check_digit(body)


def _write(path: Path, header: list, rows) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def make_ledgers(folder: Path, visits: int) -> tuple[list[Path], Path]:
    """The reference tables (regions, children, workers) and the visit CSV."""
    regions = [("370800000000", "济宁市", "市", ""), ("370831000000", "泗水县", "县", "370800000000")]
    villages = []
    for t in range(10):
        town = f"370831{100 + t:03d}000"
        regions.append((town, f"镇{t}", "乡镇", "370831000000"))
        for v in range(VILLAGES_PER_TOWN):
            villages.append(f"370831{100 + t:03d}{200 + v:03d}")
            regions.append((villages[-1], f"村{t}-{v}", "村", town))
    children = [_id(10**10 + i) for i in range(CHILDREN)]
    workers = [_id(2 * 10**10 + i) for i in range(WORKERS)]
    refs = [
        _write(folder / "区划.csv", ["区划代码", "名称", "级别", "上级区划代码"], regions),
        _write(folder / "儿童.csv", ["身份证号", "儿童类别", "村（社区）区划代码", "纳入日期"],
               ((c, "农村留守儿童", villages[i % len(villages)], "2023-01-05") for i, c in enumerate(children))),
        _write(folder / "工作人员.csv", ["身份证号", "岗位", "任职区划代码", "任职日期", "持有社工证"],
               ((w, "儿童主任", villages[i], "2022-01-01", "是") for i, w in enumerate(workers))),
    ]
    start, modes = date(2024, 1, 1), ("入户", "电话", "")
    rows = (((start + timedelta(days=(n % 14) * 30 + (n // 14) % 28)).isoformat(), children[n // 14],
             workers[(n // 14) % WORKERS], modes[n % 3]) for n in range(visits))
    return refs, _write(folder / "走访.csv", ["走访日期", "儿童身份证号", "走访人身份证号", "走访方式"], rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=700_000, help="at most 14 × 50,000")
    parser.add_argument("--db", help="default: a scratch SQLite file")
    args = parser.parse_args()
    os.environ.setdefault("WEIBAO_ID_KEY", "bench-key")
    work = Path(tempfile.mkdtemp(prefix="weibao-load-"))
    refs, visits = make_ledgers(work, min(args.visits, 14 * CHILDREN))
    engine = get_engine(args.db or f"sqlite:///{work / 'load.sqlite'}")
    assert load_files(refs, engine).ok
    for label in ("first load", "reload (unchanged)"):
        wall, cpu = time.perf_counter(), time.process_time()
        result = load_files([visits], engine)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        rows = result.counts.get("走访", 0)
        print(f"走访 {label}: {rows:,} rows in {wall:.1f} s wall ({cpu:.1f} s CPU): {rows / wall:,.0f} rows/s")
    engine.dispose()
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
