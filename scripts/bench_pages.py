"""Page speed at city scale: server time (AppTest run) and browser time-to-rendered, cold and warm, logged in.

Usage: python scripts/bench_pages.py [--db URL] [--pages cockpit,ranking]   (default: the embedded database,
every page; build it with make demo). Logs in as demo-city on the demo (else a city account of the top
region) in a scratch auth store, so the real audit log gets no benchmark records.
Prints one line per page; figures go in README. Not a test: nothing is asserted.
"""

import argparse
import os
import platform
import secrets
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from data.db import resolve_url  # noqa: E402
from scripts.shoot import CHROMIUM_ARGS, scratch_auth, wait_rendered  # noqa: E402

PAGES = {"": "领导驾驶舱", "ranking": "县区排名与地图", "children": "儿童底数", "network": "阵地与队伍",
         "visits": "走访", "training": "培训", "funds": "资金", "scorecard": "考评", "weekly": "周调度",
         "table": "指标总表", "definitions": "口径说明"}
FILES = {"": "cockpit", "table": "overview"}
BENCH_USER = "bench-city"


def prepare_login(url: str) -> str:
    """A scratch auth store and cookie key in the environment, and the user to log in as."""
    from sqlalchemy import text

    from data.auth import ensure_demo_users, get_user
    from data.auth.accounts import add_user
    from data.db import get_engine

    store = scratch_auth("bench-auth-")
    data = get_engine(url, read_only=True)
    with data.connect() as conn:
        demo = conn.execute(text("SELECT value FROM meta WHERE key = 'is_demo'")).scalar() == "1"
        if demo:
            ensure_demo_users(store, conn)
            return "demo-city"
        top = conn.execute(text("SELECT code FROM region WHERE parent_code IS NULL ORDER BY code")).scalar()
    if get_user(store, BENCH_USER) is None:
        add_user(store, BENCH_USER, secrets.token_urlsafe(16), "city", top, "测速账号", by="bench")
    return BENCH_USER


def server_times(url: str, user: str, pages) -> dict:
    """Seconds for AppTest to run each page script: cold (first run of a fresh app) and warm (cached)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["WEIBAO_DB_URL"] = url
    out = {}
    for path in pages:
        at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=300)
        at.session_state["_auth_user"] = user  # logged in, as after the form (dashboard/login.py)
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


# The page's script has finished and its heading is drawn; then everything is drawn, as scripts/loadtest.py
# counts a page: no element still loading its code (a skeleton: Plotly's 4.7 MB chunk on a first visit), no
# spinner, nothing stale, the fonts loaded, every Plotly chart with its SVG.
SCRIPT_DONE = """() => { const app = document.querySelector('[data-testid="stApp"]');
  return app && app.getAttribute('data-test-script-state') === 'notRunning'
      && document.querySelector('[data-testid="stHeading"], h1'); }"""
CHARTS_DRAWN = """() => !document.querySelector('[data-stale="true"], [data-testid="stSpinner"], [data-testid="stSkeleton"]')
  && document.fonts.status === 'loaded'
  && [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].every(c => c.querySelector('.main-svg'))"""


def _serve(url: str, port: int) -> subprocess.Popen:
    """`python -m dashboard` (as `make run`) on the port, once it listens."""
    env = {**os.environ, "WEIBAO_DB_URL": url, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "dashboard", "--server.port", str(port),
                             "--server.headless", "true"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(240):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.25)
    return proc


def _visit(tab, address: str) -> tuple[float, float]:
    """Seconds from navigation to the script done with its heading, and to everything drawn."""
    t0 = time.perf_counter()
    tab.goto(address)
    tab.wait_for_function(SCRIPT_DONE, timeout=120_000, polling=20)
    done = time.perf_counter() - t0
    tab.wait_for_function(CHARTS_DRAWN, timeout=120_000, polling=20)
    drawn = time.perf_counter() - t0
    wait_rendered(tab, timeout=120_000)  # and settled, before the next navigation
    return done, drawn


def browser_times(url: str, user: str, pages) -> tuple[dict, tuple[float, float]]:
    """Per page, cold (first visit after the server's start; for the first page also the browser's first
    view of the dashboard) and warm: seconds from navigation to the script finished with the heading drawn,
    and to everything drawn, in Debian's chromium, logged in by the signed session cookie a login leaves.
    Then the server is restarted and the first page opened again in the same tab: a server start under a
    browser that has shown the dashboard before (its code compiled, as for a viewer who keeps it open)."""
    from playwright.sync_api import sync_playwright

    from dashboard.login import COOKIE, make_token

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    out = {}
    proc = _serve(url, port)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
            tab = browser.new_page(viewport={"width": 1600, "height": 1000})
            token = make_token(os.environ["WEIBAO_COOKIE_KEY"], user, uuid.uuid4().hex[:16], time.time())
            tab.context.add_cookies([{"name": COOKIE, "value": token, "url": base, "sameSite": "Strict"}])
            for path in pages:  # first visit is cold (caches empty), second warm
                out[path] = (_visit(tab, f"{base}/{path}"), _visit(tab, f"{base}/{path}"))
            proc.terminate()
            proc.wait(timeout=20)
            proc = _serve(url, port)
            restarted = _visit(tab, f"{base}/{pages[0]}")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    return out, restarted


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default=None)
    parser.add_argument("--pages", default=None, help="comma-separated url paths (cockpit for the first page)")
    args = parser.parse_args()
    url = resolve_url(args.db)
    pages = list(PAGES) if not args.pages else ["" if p == "cockpit" else p for p in args.pages.split(",")]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; db {url}")
    user = prepare_login(url)
    server = server_times(url, user, pages)
    browser, restarted = browser_times(url, user, pages)
    print("browser: script done (heading drawn) / everything drawn (no skeleton, every chart), seconds from navigation")
    print(f"{'page':12s} {'server cold':>12s} {'server warm':>12s} {'browser cold':>15s} {'browser warm':>15s}")
    for path in pages:
        name = PAGES[path]
        sc, sw = server[path]
        (bc, bcc), (bw, bwc) = browser[path]
        print(f"{name:10s} {sc:10.2f} s {sw:10.2f} s {bc:6.2f} / {bcc:4.2f} s {bw:6.2f} / {bwc:4.2f} s")
    print(f"{PAGES[pages[0]]} after a server restart, in the tab that showed it before: "
          f"{restarted[0]:.2f} / {restarted[1]:.2f} s")


if __name__ == "__main__":
    main()
