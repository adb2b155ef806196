"""Writes the demo data set: replaces everything in the database in one transaction, city by city."""

import sqlite3
import time
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, insert, select

from data import kept, schema, settings
from data.bulk import write_rows
from data.db import bump_data_version, get_meta, set_meta
from data.demo.generate import generate_city
from data.demo.spec import JINING, province_cities
from data.demo.timeline import Timeline
from data.ids import DEMO_KEY, key_fingerprint

DEFAULT_SEED = 20221
SCALES = ("city", "province")
GENERATOR = "演示数据生成器"
BATCH = 50_000
TABLE_ORDER = ("region", "child", "worker_post", "station", "visit", "training", "budget", "spending")


@dataclass
class Summary:
    """What build_demo wrote, for the command's message and for tests."""

    scale: str
    seed: int
    today: date
    last_complete: str
    rows: dict = field(default_factory=dict)        # table → rows written
    levels: dict = field(default_factory=dict)      # region level → count
    on_roll: int = 0                                # children on the roll at the last complete month
    seconds_generate: float = 0.0
    seconds_write: float = 0.0
    seconds_kept: float = 0.0                       # of which keeping the monthly measures
    seconds: float = 0.0                            # wall time in all, commit included


def cities_for(scale: str, seed: int):
    if scale == "city":
        return [JINING]
    if scale == "province":
        return province_cities(seed)
    raise ValueError(f"未知规模 {scale!r}：可选 city 或 province")


def existing_data(engine) -> str | None:
    """What the database holds now: None (no regions), 'demo' or 'real' (imported data)."""
    schema.create_schema(engine)
    with engine.connect() as conn:
        if not conn.execute(select(func.count()).select_from(schema.region)).scalar():
            return None
        return "demo" if get_meta(conn, "is_demo") == "1" else "real"


def has_data(engine) -> bool:
    """True when the database already holds regions (demo or real)."""
    return existing_data(engine) is not None


def build_demo(engine, scale: str = "city", seed: int = DEFAULT_SEED, today: date | None = None,
               progress=None) -> Summary:
    """Replace the database's contents with the demo data set of that scale and seed, as of `today`."""
    today = today or settings.today()  # WEIBAO_TODAY when set, as the kept rows and the pages read it
    tl = Timeline(today)
    cities = cities_for(scale, seed)
    summary = Summary(scale, seed, today, tl.last_complete)
    begun = time.perf_counter()
    fresh = existing_data(engine) is None  # creates the schema too
    with engine.connect() as conn:
        journal = _rollback_journal(conn) if fresh else False
        try:
            with conn.begin():
                _write_all(conn, cities, tl, seed, scale, today, summary, progress)
        finally:
            if journal:
                try:
                    conn.exec_driver_sql("PRAGMA journal_mode=WAL")
                    conn.commit()
                except sqlite3.OperationalError:
                    pass  # a reader holds the file now: the next connection's own switch (data.db) does it
    schema.vacuum(engine)
    summary.seconds = time.perf_counter() - begun
    return summary


def _rollback_journal(conn) -> bool:
    """SQLite, a database that holds nothing yet: build with a rollback journal instead of the WAL, and say so.

    In WAL mode every page of the build is written twice, to the WAL and then by the checkpoint into the file
    (4.6 GB each for the province), and the index builds read through a WAL of that size. A rollback journal keeps
    only the pages that existed before, which for an empty file is next to nothing, so the data is written once: the
    province's build took 406 s in WAL and 301 s so (both with the kept refresh's faster read, which took it from
    479 s; AMD EPYC machine of this kind, 2026-12-03). Still one transaction (a killed build rolls back from the
    journal on the next open). Only where there is nothing to keep reading: a database with data stays in WAL, so a
    dashboard reading it is never blocked; one that opens an empty file during its build cannot switch it to WAL
    and shows its database-unavailable message until the build ends (data.db retries the switch for 10 s). False
    (nothing changed) on PostgreSQL, or when another connection holds the file and the mode stays WAL.
    """
    if conn.dialect.name != "sqlite":
        return False
    mode = conn.exec_driver_sql("PRAGMA journal_mode=DELETE").scalar()
    conn.commit()
    return str(mode).lower() == "delete"


def _write_all(conn, cities, tl: Timeline, seed: int, scale: str, today: date, summary: Summary, progress) -> None:
    """Every row of the demo, the kept measures and the markers, inside the caller's transaction."""
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:  # index updates of a large load stay in memory (per connection, reset below)
        conn.exec_driver_sql("PRAGMA cache_size = -262144")
    for table in (*schema.DATA_TABLES, schema.region_closure, *schema.KEPT_TABLES.values(), schema.import_log,
                  schema.meta):
        conn.execute(delete(table))
    # Secondary indexes are built once at the end (a sort) instead of updated row by row at
    # random places; readers keep seeing the old data meanwhile (SQLite WAL, PostgreSQL MVCC), and a
    # failed build rolls the DDL back with everything else.
    deferred = [ix for t in schema.DATA_TABLES for ix in t.indexes]
    for index in deferred:
        index.drop(conn, checkfirst=True)
    for i, spec in enumerate(cities, 1):
        started = time.perf_counter()
        data = generate_city(spec, tl, seed)
        summary.seconds_generate += time.perf_counter() - started
        started = time.perf_counter()
        for name in TABLE_ORDER:
            frame = data.frames[name]
            write_frame(conn, getattr(schema, name), frame)
            summary.rows[name] = summary.rows.get(name, 0) + len(frame)
        summary.seconds_write += time.perf_counter() - started
        region = data.frames["region"]
        for level, n in region["level"].value_counts().items():
            summary.levels[level] = summary.levels.get(level, 0) + int(n)
        child = data.frames["child"]
        e = np.datetime64(tl.e_last, "D")
        summary.on_roll += int(((child["enrolled_on"].to_numpy("M8[D]") <= e)
                                & ~(child["exited_on"].to_numpy("M8[D]") <= e)).sum())
        if progress:
            progress(i, len(cities), spec, summary)
    started = time.perf_counter()
    for index in deferred:
        index.create(conn, checkfirst=True)
    summary.rows["region_closure"] = schema.rebuild_closure(conn)
    kept_started = time.perf_counter()
    kept.refresh(conn)  # the monthly measures the pages read, from the rows just written
    summary.seconds_kept = time.perf_counter() - kept_started
    schema.analyze(conn)  # PostgreSQL: planner statistics for the fresh tables (no-op on SQLite)
    now = datetime.now()
    source = f"python -m data.demo --scale {scale} --seed {seed}"
    for name in TABLE_ORDER:
        conn.execute(insert(schema.import_log).values(
            imported_at=now, table_name=name, rows=summary.rows[name], source=source, imported_by=GENERATOR))
    set_meta(conn, "is_demo", "1")
    set_meta(conn, "demo_seed", str(seed))
    set_meta(conn, "demo_scale", scale)
    set_meta(conn, "demo_today", today.isoformat())
    set_meta(conn, "id_key_fingerprint", key_fingerprint(DEMO_KEY.encode()))
    bump_data_version(conn)
    kept.stamp(conn)
    if sqlite:
        conn.exec_driver_sql("PRAGMA cache_size = -2000")
    summary.seconds_write += time.perf_counter() - started


def _values(series: pd.Series, sqlite: bool) -> list:
    """A column as driver values: dates as ISO text on SQLite (what SQLAlchemy stores) or date objects,
    missing values as None, numpy scalars as Python ones."""
    arr = series.to_numpy()
    if np.issubdtype(arr.dtype, np.datetime64):
        arr = arr.astype("M8[D]")
        if sqlite:
            out = np.datetime_as_string(arr, unit="D").astype(object)
            out[np.isnat(arr)] = None
            return out.tolist()
        return arr.astype(object).tolist()
    if arr.dtype.kind in "biuf":
        return arr.tolist()
    return [None if v is None or (isinstance(v, float) and v != v) else v for v in arr.tolist()]


def write_frame(conn, table, frame: pd.DataFrame) -> None:
    """Insert a frame's rows (data.bulk: COPY on PostgreSQL, executemany on SQLite), converted batch by batch
    to bound memory."""
    if frame.empty:
        return
    columns = [c.name for c in table.columns if c.name in frame.columns]
    sqlite = conn.dialect.name == "sqlite"

    def rows():
        for start in range(0, len(frame), BATCH):
            part = frame.iloc[start:start + BATCH]
            yield from zip(*(_values(part[c], sqlite) for c in columns))

    write_rows(conn, table, columns, rows())
