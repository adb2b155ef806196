"""The running dashboard in a real browser (Debian chromium via Playwright): every page, no error, a screenshot each."""

from pathlib import Path

import pytest

from tests.browser import ARGS, CHROMIUM, wait_loaded
from tests.login import browser_login

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artefacts" / "screenshots"
PAGES = ["", "ranking", "children", "network", "visits", "training", "funds", "scorecard", "weekly",
         "table", "definitions"]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def page(dashboard_url):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        tab = browser_login(browser.new_page(viewport={"width": 1600, "height": 2600}), dashboard_url)
        yield tab
        browser.close()


@pytest.mark.parametrize("path", PAGES)
def test_page_in_browser(dashboard_url, page, path):
    page.goto(f"{dashboard_url}/{path}")
    wait_loaded(page)
    page.screenshot(path=str(SHOTS / f"{path or 'cockpit'}.png"), full_page=True)
    errors = page.locator('[data-testid="stException"]')
    assert errors.count() == 0, errors.first.inner_text()
    assert "演示数据" in page.inner_text("body")
