"""Page speed at city scale: server time (AppTest run) and browser time-to-rendered, cold and warm.

Usage: python scripts/bench_pages.py [--db URL]   (default: the embedded database; build it with make demo)
Prints one line per page; figures go in README. Not a test: nothing is asserted.
"""

import argparse
import os
import platform
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from data.db import resolve_url  # noqa: E402
from scripts.shoot import CHROMIUM_ARGS, wait_rendered  # noqa: E402

PAGES = {"": "领导驾驶舱", "ranking": "县区排名与地图", "children": "儿童底数", "network": "阵地与队伍",
         "visits": "走访", "training": "培训", "funds": "资金", "scorecard": "考评", "weekly": "周调度",
         "table": "指标总表", "definitions": "口径说明"}
FILES = {"": "cockpit", "table": "overview"}


def server_times(url: str) -> dict:
    """Seconds for AppTest to run each page script: cold (first run of a fresh app) and warm (cached)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["WEIBAO_DB_URL"] = url
    out = {}
    for path in PAGES:
        at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=300)
        at.run()
        page = f"views/{FILES.get(path, path)}.py"
        st.cache_data.clear()  # cold: nothing cached, as after a fresh start or an import
        t0 = time.perf_counter()
        at.switch_page(page)
        at.run()
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        at.run()
        out[path] = (cold, time.perf_counter() - t0)
    return out


def browser_times(url: str) -> dict:
    """Seconds from navigation to the page drawn and the script finished, in Debian's chromium."""
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "WEIBAO_DB_URL": url, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "dashboard/app.py", "--server.port",
                             str(port), "--server.headless", "true"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    out = {}
    try:
        for _ in range(120):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
            tab = browser.new_page(viewport={"width": 1600, "height": 1000})
            for path in PAGES:
                times = []
                for _ in range(2):  # first visit is cold (caches empty), second warm
                    t0 = time.perf_counter()
                    tab.goto(f"{base}/{path}")
                    wait_rendered(tab, timeout=120_000)
                    times.append(time.perf_counter() - t0 - 1.0)  # wait_rendered adds a 1 s settle
                out[path] = tuple(times)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default=None)
    url = resolve_url(parser.parse_args().db)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; db {url}")
    server = server_times(url)
    browser = browser_times(url)
    print(f"{'page':12s} {'server cold':>12s} {'server warm':>12s} {'browser cold':>13s} {'browser warm':>13s}")
    for path, name in PAGES.items():
        sc, sw = server[path]
        bc, bw = browser[path]
        print(f"{name:10s} {sc:10.2f} s {sw:10.2f} s {bc:11.2f} s {bw:11.2f} s")


if __name__ == "__main__":
    main()
