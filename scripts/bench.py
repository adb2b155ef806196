"""Benchmark (make bench): prints figures beside their targets, asserts nothing.

Usage:
    python scripts/bench.py [--scale city|province|both] [--only sqlite|pg] [--no-pg] [--rebuild]
                            [--repeat N] [--dir DIR] [--pg URL] [--floor FILE] [--calls] [--skip-import]

For each scale (default both) and engine (embedded SQLite and PostgreSQL):
  * the demo database: DIR/{city,province}.sqlite (default DIR /work/bench) and weibao_bench_{city,province}
    on the PostgreSQL server of --pg (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres, used only
    to CREATE/DROP DATABASE). Reused when its meta says the same demo scale, seed and month, and the schema
    fingerprint (sha256 of data.schema's table and column names) matches the one the bench stored after
    its build and the database's own tables (indexes declared since its build are then added, as the next load
    would add them); else, or with --rebuild, built anew with `python -m data.demo`
    straight into that database, and the build is timed. (A change to the demo builder or data/kept.py
    alone changes no fingerprint: use --rebuild then.)
  * page DATA time: the queries/ calls each dashboard page makes (dashboard/views/*.py), for a city account
    of the top region (Scope.for_viewer) and the latest complete month. Uncached: every call on a new
    connection (so no per-connection memo) after clearing the process-wide memos keyed on the data version;
    once of a new engine per call (as after a server start: no compiled statement, no pooled connection) and
    once of one engine held across the views (as on the first view after an import, which a running server
    meets with its engine, pool and compiled statements; this one is judged against the target); the lru caches
    of code and configuration (the registry, SQL file texts, boundary files), which a running server has read
    once, stay. Cached: the dashboard's own dashboard.engine.ask through st.cache_data (bare mode: the same key
    hashing and pickle.loads copy a server does), second view on.
    Also printed: the pickled size of what st.cache_data stores, the slowest call, and the costliest
    queries/sql statement (queries.engine.scoped timed by statement name; nothing else is changed).
  * queries.report at each level: as a whole command (subprocess wall time, Python start-up included) and
    in process (engine, query, CSV text).
  * the floor: scripts/bench_floor.sql (--floor), one hand-written statement computing the county-level
    aggregation for one month (binds :month_start and :level, and any other period value the engine's period
    CTE has, e.g. :month_end, :cohort_month, when the statement names it), against
    indicators(level="county") over the same month: the ratio is our layer's overhead (judged: a new engine per
    repetition for both; printed beside it: both on one engine held, as a running dashboard holds one).
Then the import: a synthetic 700,000-row 走访 CSV (scripts/bench_load.py's ledger) through
`python -m data.load` into a scratch database per engine (DIR/import.sqlite, weibao_bench_import; removed
afterwards): rows/s of the loader's whole run and the peak memory (ru_maxrss) of the import process.

Times are medians of --repeat runs (default 3); builds and imports run once. Nothing is written to var/.
"""

import argparse
import hashlib
import io
import os
import pickle
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Date, bindparam, create_engine, inspect, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from data.db import describe, get_engine, get_meta, set_meta  # noqa: E402
from data.demo import DEFAULT_SEED  # noqa: E402
from data.schema import create_schema  # noqa: E402
from queries import (  # noqa: E402
    catalog, cockpit, compare, geo, reporting, scorecard, topics_children, topics_funds, topics_network,
    topics_training, topics_visits, weekly,
)
from queries.engine import (  # noqa: E402
    Scope, indicator_frame_for, indicators, period_cte, period_params, top_regions,
)
from queries.periods import Month, latest_complete_month, today  # noqa: E402
from queries.registry import load_registry  # noqa: E402

DEFAULT_DIR = Path("/work/bench")
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
FLOOR_SQL = ROOT / "scripts" / "bench_floor.sql"
FINGERPRINT_KEY = "bench_schema_fingerprint"  # meta key the bench writes after a build
IMPORT_ROWS = 700_000
LEVELS = ("city", "county", "township", "village")

# Targets (issue 9): seconds unless said otherwise.
PAGE_UNCACHED, PAGE_CACHED = 0.300, 0.050
REPORT_COUNTY_COMMAND = 1.0
FLOOR_RATIO = 1.5
IMPORT_RATE = 50_000  # rows/s
PROVINCE_BUILD = 300.0
OK, MISS = "达标", "未达标"

verdicts: list[tuple[str, str, str]] = []  # (group, what, OK/MISS) of every figure with a target


# ---- output -----------------------------------------------------------------------------------------

def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _pad(s: str, width: int, right: bool) -> str:
    gap = " " * max(width - _width(s), 0)
    return gap + s if right else s + gap


def table(headers: list[str], rows: list[list], right: str = "") -> None:
    """Print an aligned table; `right` holds 'r' per column to right-align (numbers), else left."""
    cells = [[str(c) for c in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(headers))]
    align = [i < len(right) and right[i] == "r" for i in range(len(headers))]
    for n, row in enumerate(cells):
        print("  " + "  ".join(_pad(c, w, a) for c, w, a in zip(row, widths, align)).rstrip())
        if n == 0:
            print("  " + "  ".join("-" * w for w in widths))


def section(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 100 - _width(title)), flush=True)


def ms(seconds) -> str:
    return "—" if seconds is None else f"{seconds * 1000:,.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.1f} ms"


def secs(seconds) -> str:
    return "—" if seconds is None else f"{seconds:,.1f} s"


def size(n) -> str:
    if n is None:
        return "—"
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.0f} kB"


def judge(group: str, what: str, value, limit: float, higher_is_better: bool = False) -> str:
    """达标 / 未达标 for a figure against its target, recorded for the summary under `group` (a database)."""
    if value is None:
        return "—"
    ok = value >= limit if higher_is_better else value <= limit
    verdicts.append((group, what, OK if ok else MISS))
    return OK if ok else MISS


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


# ---- machine ----------------------------------------------------------------------------------------

def machine(pg_version: str | None) -> None:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(int(line.split()[1]) * 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal"))
    except (OSError, StopIteration):
        mem = None
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    section("机器 machine")
    table(["item", "value"], [
        ["CPU", f"{cpu} ({platform.machine()})"], ["cores", os.cpu_count()],
        ["RAM", f"{mem / 2**30:.1f} GiB" if mem else "?"],
        ["OS", platform.platform()], ["Python", platform.python_version()],
        ["SQLite", sqlite3.sqlite_version], ["PostgreSQL", pg_version or "not measured"],
        ["load average (1/5/15 min)", load], ["date", time.strftime("%Y-%m-%d %H:%M %Z")],
    ])


# ---- subprocesses -----------------------------------------------------------------------------------

@dataclass
class Run:
    code: int
    wall: float
    max_rss: int  # bytes
    out: str
    err: str


def run_measured(cmd: list[str], env: dict | None = None, keep_output: bool = True) -> Run:
    """Run a command from the project root; its wall time and peak resident memory (its own ru_maxrss)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out if keep_output else subprocess.DEVNULL,
                                stderr=err)
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(proc.returncode, wall, usage.ru_maxrss * 1024, out.read().decode("utf-8", "replace"),
                   err.read().decode("utf-8", "replace"))


def child_env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


# ---- databases --------------------------------------------------------------------------------------

def _fingerprint(tables: dict[str, list[str]]) -> str:
    parts = [f"{name}({','.join(sorted(columns))})" for name, columns in sorted(tables.items())]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def schema_fingerprint() -> str:
    """sha256 of data.schema's table and column names: a table or column added there forces a rebuild."""
    from data.schema import metadata

    return _fingerprint({t.name: [c.name for c in t.columns] for t in metadata.tables.values()})


def database_fingerprint(conn) -> str:
    """The same hash over the tables and columns the database has."""
    found = inspect(conn)
    return _fingerprint({name: [c["name"] for c in found.get_columns(name)] for name in found.get_table_names()})


@dataclass
class Target:
    engine: str  # "SQLite" / "PostgreSQL"
    scale: str
    url: str
    pg_admin: str | None = None  # the maintenance URL for CREATE/DROP DATABASE
    build: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.engine} {self.scale}"

    @property
    def pg_name(self) -> str:
        return make_url(self.url).database


def pg_admin_engine(admin_url: str):
    return create_engine(admin_url, isolation_level="AUTOCOMMIT")


def pg_exists(admin_url: str, name: str) -> bool:
    engine = pg_admin_engine(admin_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is not None
    finally:
        engine.dispose()


def pg_recreate(admin_url: str, name: str, drop_only: bool = False) -> None:
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"unexpected database name {name!r}")
    engine = pg_admin_engine(admin_url)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if not drop_only:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        engine.dispose()


def sqlite_path(url: str) -> Path:
    return Path(make_url(url).database)


def remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def reuse_reason(t: Target, fingerprint: str, seed: int) -> str | None:
    """Why the existing database cannot be reused, or None when it can."""
    if t.engine == "SQLite" and not sqlite_path(t.url).exists():
        return "no file"
    if t.engine == "PostgreSQL" and not pg_exists(t.pg_admin, t.pg_name):
        return "no database"
    engine = get_engine(t.url, read_only=True)
    try:
        with engine.connect() as conn:
            facts = {k: get_meta(conn, k) for k in ("is_demo", "demo_scale", "demo_seed", "demo_today",
                                                    "data_version", FINGERPRINT_KEY)}
            actual = database_fingerprint(conn)
    except Exception as err:  # noqa: BLE001  (an unreadable or foreign database is simply rebuilt)
        return f"unreadable ({type(err).__name__})"
    finally:
        engine.dispose()
    if facts["is_demo"] != "1" or facts["demo_scale"] != t.scale or facts["demo_seed"] != str(seed):
        return f"holds {facts['demo_scale'] or 'other'} data, seed {facts['demo_seed']}"
    # The fingerprint the bench stored after its build (a table created empty later would not change it), and
    # the one of the tables actually there (so a database built by `python -m data.demo` itself is reused too).
    if facts[FINGERPRINT_KEY] not in (None, fingerprint) or actual != fingerprint:
        return "schema changed"
    if not facts["demo_today"] or facts["demo_today"][:7] != date.today().isoformat()[:7]:
        # The demo's data run up to its build day: built in another month, the latest complete month is partial.
        return f"built {facts['demo_today']}, another month"
    t.build["built_on"] = facts["demo_today"]
    t.build["stamped"] = facts[FINGERPRINT_KEY] is not None
    t.build["newer"] = builder_changes_since(facts["data_version"])
    return None


BUILDER_SOURCES = ("data/demo/*.py", "data/kept.py", "data/measures.py", "data/schema.py")


def builder_changes_since(data_version: str | None) -> list[str]:
    """Builder source files changed after the database was built (its data_version is the build's local time):
    the schema fingerprint cannot see those, so the bench warns (the figures may be of an older builder)."""
    try:
        built = datetime.fromisoformat(data_version or "")
    except ValueError:
        return []
    files = sorted({p for pattern in BUILDER_SOURCES for p in ROOT.glob(pattern)})
    return [str(p.relative_to(ROOT)) for p in files if datetime.fromtimestamp(p.stat().st_mtime) > built]


def database_size(t: Target) -> int | None:
    try:
        if t.engine == "SQLite":
            path = sqlite_path(t.url)
            return sum(Path(f"{path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{path}{s}").exists())
        engine = pg_admin_engine(t.pg_admin)
        try:
            with engine.connect() as conn:
                return conn.execute(text("SELECT pg_database_size(:n)"), {"n": t.pg_name}).scalar()
        finally:
            engine.dispose()
    except Exception:  # noqa: BLE001
        return None


def prepare(t: Target, rebuild: bool, fingerprint: str, seed: int) -> bool:
    """Reuse or build the target's demo database; False when it could not be built."""
    reason = "--rebuild" if rebuild else reuse_reason(t, fingerprint, seed)
    if reason is None:
        t.build.update(action="reused", seconds=None)
        by = "" if t.build["stamped"] else ", not built by the bench"
        print(f"  {t.label}: reused {describe(t.url)} (demo {t.scale}, seed {seed}, built {t.build['built_on']}{by},"
              f" schema {fingerprint})", flush=True)
        if t.build["newer"]:
            print(f"  WARNING {t.label}: changed since this database was built: {', '.join(t.build['newer'])}; "
                  "the schema is the same, so it is reused: add --rebuild if the builder's output changed.")
        engine = get_engine(t.url)
        try:  # indexes declared since the build, as the next load (or python -m data.kept_cli) would add them
            added = create_schema(engine)
        finally:
            engine.dispose()
        if added:
            print(f"  {t.label}: added the indexes declared since its build: {', '.join(added)}", flush=True)
        return True
    print(f"  {t.label}: building {describe(t.url)} ({reason}) …", flush=True)
    if t.engine == "SQLite":
        remove_sqlite(sqlite_path(t.url))
        sqlite_path(t.url).parent.mkdir(parents=True, exist_ok=True)
    else:
        pg_recreate(t.pg_admin, t.pg_name)
    run = run_measured([sys.executable, "-m", "data.demo", "--scale", t.scale, "--seed", str(seed), "--db", t.url],
                       env=child_env())
    if run.code != 0:
        print(f"  {t.label}: demo build failed (exit {run.code}):\n{run.err[-2000:]}", flush=True)
        t.build.update(action="FAILED", seconds=run.wall, rss=run.max_rss)
        return False
    engine = get_engine(t.url)
    try:
        with engine.begin() as conn:
            set_meta(conn, FINGERPRINT_KEY, fingerprint)
    finally:
        engine.dispose()
    inner = re.search(r"用时 ([\d.]+) 秒（生成 ([\d.]+) 秒，写入 ([\d.]+) 秒", run.out)
    t.build.update(action=f"built ({reason})", seconds=run.wall, rss=run.max_rss,
                   inner=inner.groups() if inner else None)
    print(f"  {t.label}: built in {run.wall:.1f} s", flush=True)
    return True


def build_table(targets: list[Target]) -> None:
    rows = []
    for t in targets:
        b = t.build
        target = "≤ 5 min" if t.scale == "province" else "—"
        verdict = "—"
        if b.get("seconds") is not None and t.scale == "province" and b["action"] != "FAILED":
            verdict = judge(t.label, "demo build", b["seconds"], PROVINCE_BUILD)
        inner = b.get("inner")
        detail = f"generate {inner[1]} s, write {inner[2]} s" if inner else ""
        rows.append([t.label, b.get("action", "?"), secs(b.get("seconds")), detail, size(b.get("rss")),
                     size(database_size(t)), target, verdict])
    table(["database", "action", "build (command)", "of which", "peak RSS", "size", "target", "verdict"], rows,
          "llrlrrll")


# ---- page data --------------------------------------------------------------------------------------

@dataclass
class Ctx:
    label: str  # "SQLite city"
    url: str
    region: str
    name: str
    scope: Scope
    month: str
    week: str
    rubric: object


RANKING_DEFAULT_KEY = "visit_completion"  # dashboard/views/ranking.py DEFAULT_KEY


def page_common(call, c: Ctx) -> None:
    """What app.py and the sidebar ask on every page (engine.meta, filters.sidebar, filters.region_level)."""
    call(catalog.overview_meta)
    call(catalog.regions_in_scope, "city")
    call(catalog.regions_in_scope, "county")


def page_cockpit(call, c: Ctx) -> None:
    call(cockpit.model, c.month, c.region)


def page_ranking(call, c: Ctx) -> None:
    # The default view of a city: its counties ranked on the default indicator, the city's own row as reference;
    # the map's second map_regions call is the same key (cached within the run).
    call(geo.map_regions, "county", c.region)
    call(compare.league, c.month, "county", c.region, RANKING_DEFAULT_KEY)
    call(indicator_frame_for, c.month, "city", c.region, False)


def topic(module, township_labels: bool = False):
    def page(call, c: Ctx) -> None:
        call(module.page, c.month, c.region)
        if township_labels:  # charts_topics.township_labels on a city view (the county list is the sidebar's)
            call(catalog.regions_in_scope, "township", c.region)
    return page


def page_scorecard(call, c: Ctx) -> None:
    card = call(scorecard.scorecard, c.month, c.rubric, c.region)
    call(scorecard.data_as_of)
    counties = card[card["level"] == "county"]
    if len(counties):  # the evidence panel opens on the last county shown and the rubric's first criterion
        call(scorecard.townships_behind, c.month, counties.index[-1], c.rubric.keys[0])


def page_weekly(call, c: Ctx) -> None:
    call(weekly.review, c.week, c.region)
    call(scorecard.data_as_of)


def page_overview(call, c: Ctx) -> None:
    call(indicator_frame_for, c.month, "county", c.region, False)


def page_definitions(call, c: Ctx) -> None:
    call(catalog.freshness)
    call(reporting.per_unit, c.month, c.region, level="township")
    call(reporting.per_unit, c.month, c.region, level="county")


PAGES = [  # (shown, key in the summary, the page's calls)
    ("侧栏 (every page)", "sidebar", page_common), ("领导驾驶舱 cockpit", "cockpit", page_cockpit),
    ("县区排名 ranking", "ranking", page_ranking), ("儿童底数 children", "children", topic(topics_children)),
    ("阵地与队伍 network", "network", topic(topics_network)), ("走访 visits", "visits", topic(topics_visits, True)),
    ("培训 training", "training", topic(topics_training, True)), ("资金 funds", "funds", topic(topics_funds)),
    ("考评 scorecard", "scorecard", page_scorecard), ("周调度 weekly", "weekly", page_weekly),
    ("指标总表 overview", "overview", page_overview), ("口径说明 definitions", "definitions", page_definitions),
]


def clear_caches() -> None:
    """The query layer as the first viewer after an import finds it: the process-wide memos keyed on the data
    version cleared (a new version misses them). The functools caches of queries/, data/ and exports/ hold code
    and configuration only (indicators.yaml, SQL file texts, boundary files, templates), read once by a running
    server, so they stay."""
    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith(("queries", "data.", "exports")):
            continue
        for attr, value in list(vars(module).items()):
            if attr.startswith("_") and attr.endswith("_by_version") and isinstance(value, dict):
                value.clear()  # e.g. queries.engine._top_by_version


_statements: list | None = None  # (statement name, seconds) of queries.engine.scoped while a view is timed


def instrument_statements() -> None:
    """Time every queries/sql statement by name: queries.engine.scoped wrapped wherever queries/ imported it.

    Only a log is added (a perf_counter pair per statement); what runs is unchanged."""
    import queries.engine as qe

    original = qe.scoped
    if getattr(original, "bench_wrapped", False):
        return

    def scoped(conn, name, params, ctes=()):
        started = time.perf_counter()
        try:
            return original(conn, name, params, ctes)
        finally:
            if _statements is not None:
                _statements.append((name, time.perf_counter() - started))

    scoped.bench_wrapped = True
    for module_name, module in list(sys.modules.items()):
        if module_name.startswith("queries") and getattr(module, "scoped", None) is original:
            module.scoped = scoped


def top_statement(log: list[tuple[str, float]]) -> tuple[str, int, float] | None:
    """The statement name with the largest summed time: (name, count, seconds)."""
    totals: dict = {}
    for name, seconds in log:
        n, s = totals.get(name, (0, 0.0))
        totals[name] = (n + 1, s + seconds)
    if not totals:
        return None
    name, (n, s) = max(totals.items(), key=lambda kv: kv[1][1])
    return name, n, s


def _call_name(fn, args, kwargs) -> str:
    name = f"{fn.__module__.removeprefix('queries.')}.{fn.__name__}"
    hint = [a for a in args if isinstance(a, str) and a in LEVELS] + [v for v in kwargs.values() if v in LEVELS]
    return f"{name}({hint[0]})" if hint else name


def uncached_once(c: Ctx, page, held=None) -> tuple[float, list[tuple[str, float]], int, list[tuple[str, float]]]:
    """One uncached view, no data memo left: every call on a new connection of a new engine (as after a server
    start), or of `held`, an engine kept across views (as the first view after an import: a running server
    keeps its engine, its pool and its compiled statements; only the memos keyed on the data version and
    on the connection are gone); (total, calls, pickled bytes of the results, statements run)."""
    global _statements
    clear_caches()
    engine = held or get_engine(c.url, read_only=True)
    with engine.connect():  # the server's engine is long-lived: its first connection is not a viewer's wait
        pass
    calls, pickled = [], 0
    try:
        def call(fn, *args, **kwargs):
            nonlocal pickled
            with engine.connect() as conn:
                started = time.perf_counter()
                out = fn(conn, c.scope, *args, **kwargs)
                calls.append((_call_name(fn, args, kwargs), time.perf_counter() - started))
            pickled += len(pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL))  # no statement runs here
            return out
        log: list = []
        _statements = log
        page(call, c)
    finally:
        _statements = None
        if held is None:
            engine.dispose()
    return sum(s for _, s in calls), calls, pickled, log


def cached_times(c: Ctx, page, repeat: int) -> list[float]:
    """The page's calls through dashboard.engine.ask (st.cache_data): one filling view, then `repeat` timed views."""
    from dashboard import engine as dash

    def call(fn, *args, **kwargs):
        return dash.ask(fn, c.scope, *args, **kwargs)

    page(call, c)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        page(call, c)
        times.append(time.perf_counter() - started)
    return times


def context(label: str, url: str) -> Ctx:
    engine = get_engine(url, read_only=True)
    try:
        with engine.connect() as conn:
            region = top_regions(conn)[0]
            scope = Scope.for_viewer(conn, "city", region)  # a 市级 account of the top region
            info = catalog.region_info(conn, region, scope) or {}
            months = [str(m) for m in catalog.months_available(conn, scope)]
    finally:
        engine.dispose()
    complete = str(latest_complete_month())
    month = complete if complete in months else months[0]  # dashboard.filters.default_month
    return Ctx(label, url, region, info.get("region_name", region), scope, month, weekly.last_complete_week(today()),
               scorecard.load_rubric())


def bench_pages(c: Ctx, repeat: int, show_calls: bool) -> None:
    import streamlit as st
    import streamlit.logger

    streamlit.logger.set_log_level("ERROR")  # bare mode warns "No runtime found" for every cache made
    from dashboard import engine as dash
    instrument_statements()
    os.environ["WEIBAO_DB_URL"] = c.url  # what dashboard.engine reads
    os.environ["WEIBAO_STATEMENT_TIMEOUT_MS"] = "0"  # no statement limit: a slow page is measured, not stopped
    rows, details = [], []
    for label, key, page in PAGES:
        try:
            runs = [uncached_once(c, page) for _ in range(repeat)]
            cold = median([r[0] for r in runs])
            held = get_engine(c.url, read_only=True)
            try:
                uncached_once(c, page, held)  # what the server ran before the import: compiled once
                after_import = median([uncached_once(c, page, held)[0] for _ in range(repeat)])
            finally:
                held.dispose()
            per_call = [(name, median([r[1][i][1] for r in runs])) for i, (name, _) in enumerate(runs[0][1])]
            slowest = max(per_call, key=lambda x: x[1])
            best = min(runs, key=lambda r: r[0])  # the statements of the fastest run (least disturbed)
            sql_share = sum(s for _, s in best[3]) / best[0] if best[0] else None
            top = top_statement(best[3])
            warm = median(cached_times(c, page, repeat))
        except Exception as err:  # noqa: BLE001  (one failing page must not hide the others)
            rows.append([label, "—", f"ERROR {type(err).__name__}: {str(err)[:60]}", "", "", "", "", "", "", "", ""])
            continue
        rows.append([label, len(per_call), ms(cold), ms(best[0]), ms(after_import),
                     judge(c.label, f"{key} uncached", after_import, PAGE_UNCACHED),
                     ms(warm), judge(c.label, f"{key} cached", warm, PAGE_CACHED),
                     size(runs[0][2]), f"{slowest[0]} {ms(slowest[1])}",
                     "—" if top is None else f"{top[0]} ×{top[1]} {ms(top[2])} (SQL {sql_share:.0%} of page)"])
        details.append((label, per_call, best[3]))
    # Free the cached results and the dashboard's engine before the next database.
    try:
        dash._engine(c.url, 0).dispose()
    except Exception:  # noqa: BLE001
        pass
    st.cache_data.clear()
    st.cache_resource.clear()
    table(["page", "calls", "new engine", "min", "after import", f"≤ {PAGE_UNCACHED * 1000:.0f} ms", "cached",
           f"≤ {PAGE_CACHED * 1000:.0f} ms", "pickled", "slowest call (new engine)",
           "costliest statement (fastest run)"],
          rows, "lrrrrlrlrll")
    load_registry.cache_clear()  # to say what the first view after a server start pays once
    started = time.perf_counter()
    load_registry()
    registry = time.perf_counter() - started
    print("  uncached, no memo of the data version left — new engine: every call on a new engine, as the first view"
          " after a server start\n  (median, and min: the fastest run); after import: on one engine held across the"
          " views, as the first view after an\n  import on a running server (median; judged against the target);"
          " cached: median; pickled: size of the results st.cache_data"
          " stores;\n  costliest statement: queries/sql file summed over the page's calls, and the share of the page"
          " spent in statements (SQL and frame building).\n"
          f"  Not counted: reading indicators.yaml ({ms(registry)} when cold), which a running server does once.")
    if show_calls:
        print("\n  per call, uncached (median), and the statements of the fastest run:")
        out = []
        for label, calls, log in details:
            out += [[label, name, ms(s)] for name, s in calls]
            totals: dict = {}
            for name, s in log:
                n, t = totals.get(name, (0, 0.0))
                totals[name] = (n + 1, t + s)
            out += [[label, f"  sql {name} ×{n}", ms(t)] for name, (n, t) in
                    sorted(totals.items(), key=lambda kv: -kv[1][1])]
        table(["page", "call", "time"], out, "llr")


# ---- report -----------------------------------------------------------------------------------------

def bench_report(c: Ctx, repeat: int) -> None:
    from queries.report import records, report_frame, write_csv

    rows = []
    for level in LEVELS:
        cmd = [sys.executable, "-m", "queries.report", "--month", c.month, "--level", level, "--db", c.url]
        walls = []
        for _ in range(repeat):
            run = run_measured(cmd, env=child_env(), keep_output=False)
            if run.code != 0:
                walls = None
                print(f"  report --level {level} failed: {run.err.strip()[-300:]}")
                break
            walls.append(run.wall)
        inner, count = [], 0
        for _ in range(repeat):
            clear_caches()
            started = time.perf_counter()
            engine = get_engine(c.url, read_only=True)
            try:
                with engine.connect() as conn:
                    found = records(report_frame(conn, Month.parse(c.month), level, None, Scope.everything()))
            finally:
                engine.dispose()
            write_csv(found, io.StringIO())
            inner.append(time.perf_counter() - started)
            count = len(found)
        wall = median(walls or [])
        is_county = level == "county"
        verdict = judge(c.label, "report county command", wall, REPORT_COUNTY_COMMAND) \
            if is_county else "—"
        rows.append([level, f"{count:,}", ms(wall), ms(median(inner)), "≤ 1 s" if is_county else "—", verdict])
    table(["--level", "rows", "command (wall)", "in process", "target", "verdict"], rows, "lrrrll")


# ---- floor ------------------------------------------------------------------------------------------

def _floor_statement(body: str, dates: tuple[str, ...]):
    """The floor as a statement whose date parameters are bound as dates (ISO text on SQLite, date on PostgreSQL)."""
    statement = text(body)
    used = statement._bindparams
    return statement.bindparams(*[bindparam(k, type_=Date) for k in dates if k in used]), used


def agreement(frame, result) -> str:
    """Whether the floor's columns named like the engine's give the same values, region by region."""
    import numpy as np
    import pandas as pd

    if frame is None or result is None:
        return "values: not compared"
    columns, rows = result
    floor = pd.DataFrame([tuple(r) for r in rows], columns=columns)
    key = next((k for k in ("region_code", "code") if k in floor.columns), None)
    shared = [k for k in floor.columns if k in frame.columns and k not in ("region_code", "code", "region_name")]
    if key is None or not shared:
        return "values: no column in common with indicators() to compare"
    floor = floor.set_index(key).reindex(frame.index)
    differ = []
    for column in shared:
        a = pd.to_numeric(frame[column], errors="coerce").astype(float).to_numpy()
        b = pd.to_numeric(floor[column], errors="coerce").astype(float).to_numpy()
        if not np.allclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True):
            differ.append(column)
    if differ:
        return f"values: {len(shared) - len(differ)} of {len(shared)} columns agree with indicators(); differ: " \
            + ", ".join(differ)
    n = len(shared)
    return f"values: {'all ' if n > 1 else ''}{n} column{'s' if n > 1 else ''} in common agree with indicators()," \
        " every county"


def bench_floor(c: Ctx, repeat: int, floor_file: Path) -> None:
    month = Month.parse(c.month)
    period = month.period_until()
    engine_times, engine_rows, frame = [], 0, None
    for _ in range(repeat):
        clear_caches()
        engine = get_engine(c.url, read_only=True)
        try:
            with engine.connect() as conn:
                started = time.perf_counter()
                frame = indicators(conn, month, "county", scope=Scope.everything())
                engine_times.append(time.perf_counter() - started)
                engine_rows = len(frame)
        finally:
            engine.dispose()
    ours = median(engine_times)
    shown = floor_file if not floor_file.is_relative_to(ROOT) else floor_file.relative_to(ROOT)
    if not floor_file.exists():
        print(f"  floor: {shown} missing")
        table(["what", "rows", "time"], [["indicators(level='county'), all counties", engine_rows, ms(ours)]], "lrr")
        return
    lines = floor_file.read_text(encoding="utf-8").splitlines()
    # :month_start and :level by contract; any other name of the engine's own period values when used (the
    # columns of its period CTE, e.g. cohort_month, window_from, window_to, and period_params).
    pool = {**period_params(period), "level": "county"}
    try:
        pool.update({k.removeprefix("p0_"): v for k, v in period_cte([period])[1].items()})
    except Exception:  # noqa: BLE001  (another engine's period_cte: period_params is still there)
        pass
    body = "\n".join(line for line in lines if not line.lstrip().startswith("--"))  # comments may name :params
    statement, used = _floor_statement(body, tuple(k for k, v in pool.items() if isinstance(v, date)))
    params = {k: v for k, v in pool.items() if k in used}
    floor_times, floor_rows, result = [], 0, None
    try:
        for _ in range(repeat):
            engine = get_engine(c.url, read_only=True)
            try:
                with engine.connect() as conn:
                    started = time.perf_counter()
                    found = conn.execute(statement, params)
                    result = (list(found.keys()), found.fetchall())
                    floor_times.append(time.perf_counter() - started)
                    floor_rows = len(result[1])
            finally:
                engine.dispose()
    except Exception as err:  # noqa: BLE001
        print(f"  floor: {shown} failed: {type(err).__name__}: {str(err).splitlines()[0][:200]}")
        return
    floor = median(floor_times)
    ratio = ours / floor if floor else None
    verdict = judge(c.label, "layer/floor", ratio, FLOOR_RATIO)
    # The same two on one engine held across the repetitions, as the dashboard holds one: a new connection from
    # its pool each time (the engine's memo is per connection, the version memos cleared), so neither pays the
    # engine's first compile or SQLite's first prepare of a statement. Printed beside the verdict, not judged.
    held = get_engine(c.url, read_only=True)
    warm_ours, warm_floor = [], []
    try:
        for i in range(repeat + 2):
            clear_caches()
            with held.connect() as conn:
                started = time.perf_counter()
                indicators(conn, month, "county", scope=Scope.everything())
                took = time.perf_counter() - started
                started = time.perf_counter()
                conn.execute(statement, params).fetchall()
                if i >= 2:  # the first two fill the engine's and the connection's statement caches
                    warm_ours.append(took)
                    warm_floor.append(time.perf_counter() - started)
    finally:
        held.dispose()
    held_ours, held_floor = median(warm_ours), median(warm_floor)
    held_ratio = f" ({held_ours / held_floor:.1f}×)" if held_floor else ""
    print(f"  {agreement(frame, result)}")
    table(["what", "rows", "time", "ratio", "target", "verdict", "one engine held"], [
        ["indicators(level='county'), all counties", engine_rows, ms(ours), "", "", "", ms(held_ours)],
        [f"floor: {shown}", floor_rows, ms(floor), f"{ratio:.2f}×" if ratio else "—", f"≤ {FLOOR_RATIO}×", verdict,
         ms(held_floor) + held_ratio],
    ], "lrrrllr")


# ---- import -----------------------------------------------------------------------------------------

IMPORT_CHILD = """\
import sys, time
from data.load.__main__ import main
started = time.perf_counter()
code = main(sys.argv[1:])
sys.stderr.write(f"\\nBENCH_LOAD_SECONDS {time.perf_counter() - started:.6f}\\n")
sys.exit(code)
"""


def import_once(name: str, url: str, admin: str | None, refs: list[Path], visits: Path) -> list:
    """One timed import of the visit CSV into a new database holding the reference tables; the table row."""
    from data.load import load_files

    if admin:
        pg_recreate(admin, make_url(url).database)
    else:
        remove_sqlite(sqlite_path(url))
        sqlite_path(url).parent.mkdir(parents=True, exist_ok=True)
    engine = get_engine(url)
    try:
        if not load_files(refs, engine).ok:  # regions, children, workers: in process, not timed
            return [name, "reference tables refused", "", "", "", "", "", ""]
    finally:
        engine.dispose()
    run = run_measured([sys.executable, "-c", IMPORT_CHILD, str(visits), "--table", "走访", "--db", url],
                       env=child_env())
    found = re.search(r"BENCH_LOAD_SECONDS ([\d.]+)", run.err)
    if run.code != 0 or not found:
        print(run.err[-1500:])
        return [name, f"FAILED (exit {run.code})", "", "", "", "", "", ""]
    engine = get_engine(url, read_only=True)
    try:
        with engine.connect() as conn:
            loaded = conn.execute(text("SELECT COUNT(*) FROM visit")).scalar()
    finally:
        engine.dispose()
    seconds = float(found.group(1))
    rate = loaded / seconds
    return [name, f"{loaded:,}", secs(seconds), f"{rate:,.0f}", f"≥ {IMPORT_RATE:,}",
            judge(f"{name} import", "rows/s", rate, IMPORT_RATE, higher_is_better=True), secs(run.wall),
            size(run.max_rss)]


def bench_import(engines: list[tuple[str, str, str | None]]) -> None:
    """700,000 visit rows through `python -m data.load` into a scratch database per engine (refs loaded first)."""
    from scripts.bench_load import make_ledgers

    os.environ.setdefault("WEIBAO_ID_KEY", "bench-key")
    work = Path(tempfile.mkdtemp(prefix="weibao-bench-import-"))
    rows = []
    try:
        started = time.perf_counter()
        refs, visits = make_ledgers(work, IMPORT_ROWS)
        print(f"  ledger: {IMPORT_ROWS:,} visit rows, {size(visits.stat().st_size)} CSV, written in "
              f"{time.perf_counter() - started:.1f} s", flush=True)
        for name, url, admin in engines:
            try:
                rows.append(import_once(name, url, admin, refs, visits))
            finally:  # the scratch database goes again, whatever happened
                if admin:
                    pg_recreate(admin, make_url(url).database, drop_only=True)
                else:
                    remove_sqlite(sqlite_path(url))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table(["database", "rows", "loader", "rows/s", "target", "verdict", "command (wall)", "peak RSS"], rows,
          "lrrrllrr")
    print("  loader = the whole data.load run after Python start-up (read, check, one transaction, commit); "
          "command = wall time with start-up; peak RSS = ru_maxrss of the import process.")


# ---- main -------------------------------------------------------------------------------------------

def pg_server_version(admin_url: str) -> str | None:
    try:
        engine = pg_admin_engine(admin_url)
        try:
            with engine.connect() as conn:
                return conn.execute(text("SHOW server_version")).scalar()
        finally:
            engine.dispose()
    except Exception as err:  # noqa: BLE001
        print(f"PostgreSQL at {describe(admin_url)} unreachable ({type(err).__name__}): skipped.")
        return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=("city", "province", "both"), default="both")
    parser.add_argument("--only", choices=("sqlite", "pg"), help="one engine only")
    parser.add_argument("--no-pg", action="store_true", help="skip PostgreSQL (same as --only sqlite)")
    parser.add_argument("--rebuild", action="store_true", help="build the demo databases even when reusable")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per figure (median printed; default 3)")
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"SQLite databases (default {DEFAULT_DIR})")
    parser.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL maintenance URL (CREATE DATABASE)")
    parser.add_argument("--floor", type=Path, default=FLOOR_SQL,
                        help="the floor statement (default scripts/bench_floor.sql)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="demo seed")
    parser.add_argument("--calls", action="store_true", help="also print every call of every page")
    parser.add_argument("--skip-import", action="store_true", help="no import benchmark")
    args = parser.parse_args(argv)
    repeat = max(1, args.repeat)
    use_sqlite = args.only in (None, "sqlite")
    use_pg = args.only in (None, "pg") and not args.no_pg
    if args.only == "pg" and args.no_pg:
        parser.error("--only pg contradicts --no-pg")
    pg_version = pg_server_version(args.pg) if use_pg else None
    use_pg = use_pg and pg_version is not None
    machine(pg_version)
    scales = ("city", "province") if args.scale == "both" else (args.scale,)
    fingerprint = schema_fingerprint()
    print(f"\nschema fingerprint {fingerprint} · demo seed {args.seed} · repeat {repeat} (medians) · "
          f"today {date.today()}")
    print("page data: uncached = the page's queries/ calls, each on a new connection, the memos keyed on the data "
          "version cleared (no per-connection memo):\n           of a new engine per call (a server start) and of one "
          "engine held (after an import: judged);\n           cached = the same calls through dashboard.engine.ask, "
          "i.e. st.cache_data in bare mode (MemoryCacheStorageManager: key hashing + pickle.loads copy),\n"
          "           second view on. Viewer: a city account (Scope.for_viewer 'city') of the top region.\n"
          "           The operating system's file cache stays warm throughout (as on a running server).")
    started_all = time.perf_counter()
    for scale in scales:
        targets = []
        if use_sqlite:
            targets.append(Target("SQLite", scale, f"sqlite:///{(args.dir / f'{scale}.sqlite').resolve()}"))
        if use_pg:
            targets.append(Target("PostgreSQL", scale, make_url(args.pg).set(database=f"weibao_bench_{scale}")
                                  .render_as_string(hide_password=False), pg_admin=args.pg))
        section(f"{scale}: demo databases")
        ready = [t for t in targets if prepare(t, args.rebuild, fingerprint, args.seed)]
        print()
        build_table(targets)
        for t in ready:
            c = context(t.label, t.url)
            section(f"{t.label}: page data ({c.name} {c.region}, month {c.month}, week {c.week})")
            bench_pages(c, repeat, args.calls)
            section(f"{t.label}: python -m queries.report --month {c.month} (all regions)")
            bench_report(c, repeat)
            section(f"{t.label}: floor (county level, {c.month})")
            bench_floor(c, repeat, args.floor)
    if not args.skip_import:
        section(f"import: {IMPORT_ROWS:,}-row 走访 CSV through python -m data.load")
        engines = []
        if use_sqlite:
            engines.append(("SQLite", f"sqlite:///{(args.dir / 'import.sqlite').resolve()}", None))
        if use_pg:
            engines.append(("PostgreSQL", make_url(args.pg).set(database="weibao_bench_import")
                            .render_as_string(hide_password=False), args.pg))
        bench_import(engines)
    section("summary")
    misses = sum(v == MISS for *_, v in verdicts)
    print(f"  {len(verdicts) - misses} {OK}, {misses} {MISS} "
          f"(total {time.perf_counter() - started_all:.0f} s; load average now "
          f"{' / '.join(f'{x:.2f}' for x in os.getloadavg())})")
    for group in dict.fromkeys(g for g, *_ in verdicts):
        missed = [what for g, what, v in verdicts if g == group and v == MISS]
        if missed:
            print(f"  {group} {MISS}: {', '.join(missed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
