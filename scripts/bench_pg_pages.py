"""Seconds per query call of the 走访 and 周调度 pages, on each database given: cold, as on a first view.

Usage: python scripts/bench_pg_pages.py [--db URL ...] [--month YYYY-MM] [--week YYYY-Www] [--repeat N]
(default: the embedded SQLite database). Calls the same queries/ functions, with the same arguments, as
the pages do on their default view (the whole city, the latest complete month / week), each on a fresh
engine so nothing is cached in Python. Prints one line per call and a total per page; not a test,
nothing is asserted. With --repeat N every page is run N times, each time on a fresh engine, and the
fastest time per call is printed at the end (on a shared machine the minimum is the steadiest figure).
"""

import argparse
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from data.db import describe, get_engine, resolve_url  # noqa: E402
from queries import catalog, scorecard, topics_visits, weekly  # noqa: E402
from queries.engine import Scope, indicator_frame_for, top_regions  # noqa: E402
from queries.periods import Month, latest_complete_month  # noqa: E402
from queries.topics_common import level_below  # noqa: E402


def visits_calls(region: str, month: str) -> list[tuple[str, object, tuple]]:
    """What dashboard/views/visits.py asks for on its default view (city level), in page order."""
    before = str(Month.parse(month).shift(-1))
    return [
        ("indicator_frame city (this month)", indicator_frame_for, (month, "city", region)),
        ("indicator_frame city (last month)", indicator_frame_for, (before, "city", region)),
        ("visit_monthly city", topics_visits.visit_monthly, (month, "city", region)),
        ("unvisited_by_village", topics_visits.unvisited_by_village, (month, region)),
        ("visit_summary", topics_visits.visit_summary, (month, "city", region)),
        ("visit_warnings", topics_visits.visit_warnings, (month, region)),
        ("indicator_frame township", indicator_frame_for, (month, "township", region)),
        (f"visit_monthly {level_below('city')}", topics_visits.visit_monthly, (month, level_below("city"), region)),
        ("regions county", catalog.regions_in_scope, ("county",)),
    ]


def weekly_calls(region: str, week: str) -> list[tuple[str, object, tuple]]:
    """What dashboard/views/weekly.py asks for, and the parts of review() timed one by one."""
    return [
        ("review (whole page)", weekly.review, (week, region)),
        ("  visits_by_township", weekly.visits_by_township, (week, region)),
        ("  visits_by_township county", weekly.visits_by_township, (week, region, "county")),
        ("  pending_assessments", weekly.pending_assessments, (week, region)),
        ("  vacant_villages", weekly.vacant_villages, (week, region)),
        ("  silent_townships", weekly.silent_townships, (week, region)),
        ("  colour_changes", weekly.colour_changes, (week, region)),
        ("  last_visit_day", weekly.last_visit_day, ()),
        ("data_as_of", scorecard.data_as_of, ()),
    ]


def run_page(url: str, name: str, calls, best: dict) -> float:
    """Time each call on a fresh engine; the page total leaves out the indented parts of review().

    `best` keeps the fastest time seen per (page, call)."""
    engine = get_engine(url)
    scope, total = Scope.everything(), 0.0
    try:
        with engine.connect() as conn:
            for label, fn, args in calls:
                t0 = time.perf_counter()
                fn(conn, scope, *args) if fn is not weekly.last_visit_day else fn(conn, scope)
                seconds = time.perf_counter() - t0
                if not label.startswith(" "):
                    total += seconds
                best[(name, label)] = min(seconds, best.get((name, label), seconds))
                print(f"  {name}  {label:<36} {seconds:8.2f} s", flush=True)
    finally:
        engine.dispose()
    print(f"  {name}  {'page total':<36} {total:8.2f} s", flush=True)
    return total


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", action="append", help="database URL (repeatable; default the embedded SQLite)")
    parser.add_argument("--month", default=str(latest_complete_month()))
    parser.add_argument("--week", default=weekly.last_complete_week(date.today()))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--page", choices=("visits", "weekly"), action="append")
    args = parser.parse_args(argv)
    pages = args.page or ["visits", "weekly"]
    for url in args.db or [resolve_url(None)]:
        engine = get_engine(url)
        with engine.connect() as conn:
            region = top_regions(conn)[0]
        engine.dispose()
        print(f"{describe(url)} · region {region} · month {args.month} · week {args.week}")
        best: dict = {}
        for run in range(args.repeat):
            if "visits" in pages:
                run_page(url, "走访", visits_calls(region, args.month), best)
            if "weekly" in pages:
                run_page(url, "周调度", weekly_calls(region, args.week), best)
        if args.repeat > 1:
            print(f"fastest of {args.repeat} runs:")
            for page in dict.fromkeys(name for name, _ in best):
                rows = [(label, s) for (name, label), s in best.items() if name == page]
                for label, seconds in rows:
                    print(f"  {page}  {label:<36} {seconds:8.2f} s")
                total = sum(s for label, s in rows if not label.startswith(" "))
                print(f"  {page}  {'page total':<36} {total:8.2f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
