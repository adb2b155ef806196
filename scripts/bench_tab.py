"""What one browser tab costs per page switch: chromium's CPU, its main thread, and what each page draws.

Usage: python scripts/bench_tab.py [--db URL] [--rounds 3] [--width 1280] [--height 720] [--think 5]
       [--sessions 20] [--shots DIR]

Starts one dashboard server as scripts/loadtest.py does (`python -m dashboard` on a free loopback port, scratch
auth store and cookie key), logs one 市级 session in through the form in Debian's chromium (CSS animations off, as
in the load test) and clicks through the main pages --rounds times by their sidebar links. For each page it prints
the medians over the rounds of: the time from the click until the page is drawn and settled (the load test's
rule), the CPU seconds chromium's processes used from the click until 1.5 s after that moment (renderer,
GPU, browser process; Playwright's driver not counted), the renderer main thread's work from Chrome's own
counters (TaskDuration; of it ScriptDuration, and LayoutDuration + RecalcStyleDuration), and what the page holds
(Plotly charts, tables, element containers, DOM nodes). Then the CPU a round costs and what --sessions such tabs
pausing --think seconds between pages ask of the machine's cores: the load test's budget before any queueing.
--shots DIR: a full-page screenshot of each page in the last round.

Not a test: nothing is asserted. Loopback only (every other request is aborted).
"""

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts import loadtest  # noqa: E402

COUNT_JS = """() => { const n = s => document.querySelectorAll(s).length;
  return {charts: n('[data-testid="stPlotlyChart"]'), tables: n('[data-testid="stDataFrame"]'),
          elements: n('[data-testid="stElementContainer"]'), dom: n('*')}; }"""
METRICS = ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")
AFTER = 1.5  # seconds after the page settled that still count (compositing, late charts)


def chromium_cpu(server_pid: int) -> float:
    """CPU seconds (user + system) of chromium's processes under this one, the driver and the server left out."""
    cpu = loadtest.client_cpu(server_pid)
    return sum(cpu.values()) - loadtest.driver_seconds(cpu)


async def metrics(cdp) -> dict:
    got = await cdp.send("Performance.getMetrics")
    return {m["name"]: m["value"] for m in got["metrics"]}


async def run(args, base: str, account: tuple[str, str], server_pid: int) -> dict:
    from playwright.async_api import async_playwright

    rows: dict[str, list] = {}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=loadtest.CHROMIUM, headless=True,
                                          args=loadtest.CHROMIUM_ARGS)
        context = await browser.new_context(viewport={"width": args.width, "height": args.height})
        await context.add_init_script("window.__wbCalm = true;\n" + loadtest.INIT_SCRIPT)
        await context.route(loadtest.NOT_LOOPBACK, lambda route: route.abort())
        page = await context.new_page()
        cdp = await context.new_cdp_session(page)
        await cdp.send("Performance.enable")
        await page.goto(f"{base}/cockpit")
        await page.get_by_label("用户名").wait_for()
        await loadtest.submit_login(page, *account, 60)
        order = list(loadtest.PAGES)[1:] + ["cockpit"]  # the first switch leaves the page logged in on
        for rnd in range(args.rounds):
            for path in order:
                runs, heading = await page.evaluate(loadtest.MARK_JS)
                link = loadtest.sidebar_link(page, loadtest.PAGES[path])
                before, cpu0, t0 = await metrics(cdp), chromium_cpu(server_pid), time.monotonic()
                await link.first.click()
                done = await loadtest.settle(page, runs, loadtest.page_paths(path), 60, heading=heading)
                await page.wait_for_timeout(AFTER * 1000)
                cpu, after = chromium_cpu(server_pid) - cpu0, await metrics(cdp)
                work = {k: after[k] - before[k] for k in METRICS}
                rows.setdefault(path, []).append((done - t0, cpu, work, await page.evaluate(COUNT_JS)))
                if args.shots and rnd == args.rounds - 1:
                    Path(args.shots).mkdir(parents=True, exist_ok=True)
                    await page.screenshot(path=str(Path(args.shots) / f"{path}.png"), full_page=True)
        await browser.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None, help="database URL (default: the embedded database)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--think", type=float, default=5, help="the load test's mean pause, for the budget line")
    parser.add_argument("--sessions", type=int, default=20, help="the load test's sessions, for the budget line")
    parser.add_argument("--shots", metavar="DIR", help="screenshots of the last round's pages")
    args = parser.parse_args()

    from data.db import resolve_url

    url = resolve_url(args.db)
    account = loadtest.prepare_accounts(url, 1)[0]  # the first is the 市级 account
    log = Path(tempfile.mkdtemp(prefix="bench-tab-")) / "server.log"
    server, base = loadtest.start_server(url, log)
    try:
        rows = asyncio.run(run(args, base, account, server.pid))
    finally:
        server.terminate()
        server.wait(timeout=30)

    med = statistics.median
    print(f"machine:  {loadtest.machine()}")
    print(f"server:   {base} (db {url}); one 市级 session, viewport {args.width}×{args.height}, "
          f"{args.rounds} rounds, medians\n")
    print(f"  {loadtest.pad('page', 14)} {'drawn':>6s} {'chromium':>9s} {'main':>6s} {'script':>7s} {'layout':>7s}"
          f"   charts tables elements  DOM")
    print(f"  {loadtest.pad('', 14)} {'s':>6s} {'CPU-s':>9s} {'s':>6s} {'s':>7s} {'s':>7s}")
    per_round = 0.0
    for path, got in rows.items():
        cpu = med([r[1] for r in got])
        per_round += cpu
        work = {k: med([r[2][k] for r in got]) for k in METRICS}
        counts = got[-1][3]
        print(f"  {loadtest.pad(loadtest.PAGES[path], 14)} {med([r[0] for r in got]):6.2f} {cpu:9.2f} "
              f"{work['TaskDuration']:6.2f} {work['ScriptDuration']:7.2f} "
              f"{work['LayoutDuration'] + work['RecalcStyleDuration']:7.3f}   {counts['charts']:6d} "
              f"{counts['tables']:6d} {counts['elements']:8d} {counts['dom']:5d}")
    pages = len(rows)
    per_page = per_round / max(1, pages)
    print(f"\nchromium CPU: {per_round:.2f} s a round of {pages} pages, {per_page:.2f} s a page on average "
          f"(from the click to {AFTER:g} s after the page settled)")
    # Each session loads a page every (think + page time) seconds; with instant pages that is the most it asks.
    cores = args.sessions * per_page / args.think if args.think else float("inf")
    print(f"budget:   {args.sessions} such tabs pausing {args.think:g} s between pages would ask up to "
          f"{cores:.2f} cores for the browsers alone, before the server's share and any queueing "
          f"(this machine has {os.cpu_count()})")


if __name__ == "__main__":
    main()
