"""Shared by the export tests: a read-only demo connection with today pinned, and the three standard files."""

from contextlib import contextmanager
from datetime import datetime, timezone

import pytest

import exports
from data.db import get_engine
from exports.job import prepare

CITY, COUNTY = "370800000000", "370831000000"
MONTH, RUNNING = "2026-11", "2026-12"  # today is pinned to 2026-12-01: December is the month in progress
MADE = datetime(2026, 12, 1, 1, 30, tzinfo=timezone.utc)
USER = "测试员"
# The city's and 泗水县's files for November, and 泗水县's for outside readers in the month in progress.
CASES = (("city", CITY, MONTH, "internal"), ("county", COUNTY, MONTH, "internal"),
         ("external", COUNTY, RUNNING, "external"))


@contextmanager
def pinned_connection(url: str, today: str = "2026-12-01"):
    """A read-only connection with WEIBAO_TODAY pinned, for as long as a test module uses it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WEIBAO_TODAY", today)
        engine = get_engine(url, read_only=True)
        try:
            with engine.connect() as connection:
                yield connection
        finally:
            engine.dispose()


def build_cases(conn, kind: str, folder) -> dict:
    """Each of CASES built once and written to `folder`: {name: {job, name, path, bytes}}."""
    out = {}
    for name, region, month, audience in CASES:
        job = prepare(conn, kind, region, month=month, user=USER, audience=audience, now=MADE)
        [(file_name, content)] = exports.build(conn, job)
        path = folder / file_name
        path.write_bytes(content)
        out[name] = {"job": job, "name": file_name, "path": path, "bytes": content}
    return out
