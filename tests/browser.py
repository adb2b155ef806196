"""Helpers for the browser tests: serve the dashboard on a free port, launch Debian's chromium, wait for a page."""

import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from scripts.shoot import CHROMIUM_ARGS as ARGS, wait_rendered  # noqa: F401  (shared with the screenshot script)

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = ROOT / "artefacts" / "screenshots"

# Drawn and settled: Streamlit's script has finished, the page has its heading, no element is left over from an
# earlier run, the fonts are in, and every chart has drawn its plot.
_SETTLED = """() => { const app = document.querySelector('[data-testid="stApp"]');
    return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
        && !!document.querySelector('[data-testid="stHeading"], h1')
        && !document.querySelector('[data-stale="true"]') && document.fonts.status === 'loaded'
        && [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].every(c => c.querySelector('.main-svg')); }"""


def wait_loaded(page, timeout=60000, settle_ms=300) -> None:
    """After a page load (goto, reload): wait until the page is drawn and settled, and still is `settle_ms`
    later (a rerun would have started by then). For a fresh load this replaces wait_rendered's fixed second;
    after a click inside a page, where the old page still looks finished until the rerun starts, use
    wait_rendered."""
    deadline = time.monotonic() + timeout / 1000
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    while True:
        left = max(1, int((deadline - time.monotonic()) * 1000))
        page.wait_for_function(_SETTLED, timeout=left)
        page.wait_for_timeout(settle_ms)
        if page.evaluate(_SETTLED):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"the page did not settle within {timeout} ms")


@contextmanager
def serve(db_url: str, timeout: float = 60):
    """Run `python -m dashboard` (as `make run`) on a free local port; yields its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "WEIBAO_DB_URL": db_url, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@contextmanager
def chromium():
    """Debian's chromium under Playwright (never a downloaded browser); screenshots folder made."""
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()
