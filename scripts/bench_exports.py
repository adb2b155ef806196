"""Meeting files, timed: each kind for a county and the city, cold and warm, and `exports all --per-county`."""

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KINDS = ("meeting", "briefing", "scorecard", "weekly", "cockpit")


def _one_process(url: str, region: str, month: str, week: str, kinds) -> None:
    """Run in a fresh process: every kind built twice, each time on a new connection (as a page click is)."""
    started = time.perf_counter()
    import exports
    from data.db import get_engine
    from exports.job import prepare

    imported = time.perf_counter() - started
    engine = get_engine(url, read_only=True)
    print(f"  imports {imported:.2f} s")
    for kind in kinds:
        times = []
        for _ in range(2):
            t = time.perf_counter()
            with engine.connect() as conn:
                period = {"week": week} if kind == "weekly" else {"month": month}
                job = prepare(conn, kind, region, **period)
                files = exports.build(conn, job)
            times.append(time.perf_counter() - t)
        size = sum(len(content) for _, content in files) / 1024
        print(f"  {kind:<9} {job.region_name:<4} cold {times[0]:5.2f} s  warm {times[1]:5.2f} s  ({size:,.0f} KB)",
              flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description="导出耗时：各类文件（县、市；冷启动与热启动）与 exports all --per-county。")
    parser.add_argument("--db", default=os.environ.get("WEIBAO_DB_URL", f"sqlite:///{ROOT / 'var' / 'weibao.sqlite'}"))
    parser.add_argument("--county", default="370831000000")
    parser.add_argument("--city", default="370800000000")
    parser.add_argument("--month", default="2026-11")
    parser.add_argument("--week", default="2026-W48")
    parser.add_argument("--child", nargs=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _one_process(args.db, args.child[0], args.month, args.week, KINDS)
        return 0
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; database {args.db}")
    for region in (args.county, args.city):
        print(f"region {region} (fresh process; cold = first build incl. chromium start for pictures)")
        subprocess.run([sys.executable, __file__, "--db", args.db, "--month", args.month, "--week", args.week,
                        "--child", region], check=True, cwd=ROOT)
    with tempfile.TemporaryDirectory() as out:
        t = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "exports", "all", "--month", args.month, "--per-county",
                               "--out", out, "--db", args.db], cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - t
        files = len(list(Path(out).glob("*/*")))
    print(f"exports all --per-county: {wall:.1f} s for {files} files (exit {done.returncode})")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
