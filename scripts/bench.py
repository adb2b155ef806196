"""Benchmarks that print figures (not timed tests): report speed on SQLite, DuckDB and PostgreSQL, import speed.

Usage: python scripts/bench.py [--scale city|province] [--pg URL] [--skip-import]
Builds the demo into a scratch SQLite file, copies it to DuckDB (and PostgreSQL if given), then times
the report command's work on each and the loader on the demo's largest table exported as CSV.
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from data.db import get_engine  # noqa: E402
from data.schema import metadata  # noqa: E402
from queries.engine import Scope, indicators  # noqa: E402
from queries.periods import latest_complete_month  # noqa: E402


def timed(fn, repeat=3):
    """Median wall time of fn() over `repeat` runs, in seconds, and its last result."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def copy_database(src_url: str, dst_url: str) -> float:
    """Copy every data table from one database to another (schema created on the target)."""
    src, dst = get_engine(src_url), get_engine(dst_url)
    # import_log's autoincrement key has no DuckDB DDL; the report reads none of it.
    tables = [t for t in metadata.sorted_tables if t.name != "import_log"]
    metadata.drop_all(dst, tables=tables)
    metadata.create_all(dst, tables=tables)
    duck = dst_url.startswith("duckdb")
    t0 = time.perf_counter()
    with src.connect() as s, dst.begin() as d:
        for table in tables:
            for chunk in pd.read_sql_table(table.name, s, chunksize=200_000):
                if duck:  # DuckDB reads a registered frame natively; row inserts would take minutes
                    raw = d.connection.dbapi_connection
                    raw.register("chunk_frame", chunk)
                    raw.execute(f"INSERT INTO {table.name} SELECT * FROM chunk_frame")  # table names are ours
                    raw.unregister("chunk_frame")
                else:
                    chunk.to_sql(table.name, d, if_exists="append", index=False, chunksize=50_000)
    if dst_url.startswith("postgresql"):
        with dst.connect().execution_options(isolation_level="AUTOCOMMIT") as d:
            d.exec_driver_sql("ANALYZE")  # fresh tables have no statistics; the loader's users get autovacuum
    return time.perf_counter() - t0


def report_times(url: str, month) -> dict:
    engine = get_engine(url)
    out = {}
    with engine.connect() as conn:
        for level in ("county", "township", "village"):
            t, frame = timed(lambda: indicators(conn, month, level, scope=Scope.everything()))
            out[f"report {level} ({len(frame)} rows)"] = t
    engine.dispose()
    return out


def cli_time(url: str, month) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "queries.report", "--month", str(month), "--level", "village",
                    "--db", url], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="city", choices=("city", "province"))
    parser.add_argument("--pg", default=os.environ.get("WEIBAO_TEST_PG_URL"))
    parser.add_argument("--duckdb", action="store_true", help="also measure DuckDB")
    parser.add_argument("--skip-import", action="store_true")
    args = parser.parse_args()
    from data.demo import build_demo  # noqa: PLC0415  (only this script needs the generator)

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    work = Path(tempfile.mkdtemp(prefix="weibao-bench-"))
    sqlite_url = f"sqlite:///{work / 'demo.sqlite'}"
    t0 = time.perf_counter()
    build_demo(get_engine(sqlite_url), scale=args.scale)
    print(f"demo build ({args.scale}) into SQLite: {time.perf_counter() - t0:.1f} s, "
          f"{(work / 'demo.sqlite').stat().st_size / 1e6:.0f} MB")
    month = latest_complete_month()
    targets = {"SQLite": sqlite_url}
    if args.duckdb:
        duck_url = f"duckdb:///{work / 'demo.duckdb'}"
        print(f"copy to DuckDB: {copy_database(sqlite_url, duck_url):.1f} s")
        targets["DuckDB"] = duck_url
    if args.pg:
        print(f"copy to PostgreSQL: {copy_database(sqlite_url, args.pg):.1f} s")
        targets["PostgreSQL"] = args.pg
    for name, url in targets.items():
        for label, seconds in report_times(url, month).items():
            print(f"{name:10s} {label:32s} {seconds * 1000:8.0f} ms (median of 3)")
        print(f"{name:10s} {'CLI report --level village':32s} {cli_time(url, month) * 1000:8.0f} ms (one cold run)")
    if not args.skip_import:
        bench_import(sqlite_url, work)


def bench_import(sqlite_url: str, work: Path) -> None:
    """Time the loader on a synthetic 700,000-row 走访 CSV (the demo keeps no clear ID numbers to export)."""
    del sqlite_url, work
    subprocess.run([sys.executable, "scripts/bench_load.py"], cwd=ROOT, check=True)


if __name__ == "__main__":
    main()
