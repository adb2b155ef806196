"""The running dashboard in a real browser (Debian chromium via Playwright): every page, no error, a screenshot each."""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artefacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
PAGES = ["", "ranking", "children", "network", "visits", "training", "funds", "scorecard", "weekly",
         "table", "definitions"]

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(demo_url):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: make test installs it with apt-get")
        pytest.skip("chromium not installed")
    port = _free_port()
    env = {**os.environ, "WEIBAO_DB_URL": demo_url, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard/app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.5)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        tab = browser.new_page(viewport={"width": 1600, "height": 2600})
        yield tab
        browser.close()


def wait_rendered(tab, timeout=90_000) -> None:
    """Streamlit has drawn the page and finished running the script."""
    tab.wait_for_selector('[data-testid="stMainBlockContainer"]', timeout=timeout)
    # stApp carries the script state; "notRunning" once the page's script has finished.
    tab.wait_for_function(
        """() => { const app = document.querySelector('[data-testid="stApp"]');
                   return app && app.getAttribute('data-test-script-state') === 'notRunning'
                       && document.querySelector('[data-testid="stHeading"], h1'); }""", timeout=timeout)
    tab.wait_for_timeout(1000)


@pytest.mark.parametrize("path", PAGES)
def test_page_in_browser(server, page, path):
    page.goto(f"{server}/{path}")
    wait_rendered(page)
    page.screenshot(path=str(SHOTS / f"{path or 'cockpit'}.png"), full_page=True)
    errors = page.locator('[data-testid="stException"]')
    assert errors.count() == 0, errors.first.inner_text()
    assert "演示数据" in page.inner_text("body")
