"""Every page on the partial roll-out and on the month in progress, in chromium at 1280×720: no error element."""

import pytest

from queries.periods import Month, today
from tests.browser import SHOTS, chromium, wait_loaded
from tests.fixtures.rollout import FULL, REGIONS_ONLY
from tests.login import browser_login

PAGES = ["", "ranking", "children", "network", "visits", "training", "funds", "scorecard", "weekly",
         "table", "definitions"]
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def tab():
    with chromium() as browser:
        # Cookies do not depend on the port: logged in on whichever local port the dashboard is served.
        yield browser_login(browser.new_page(viewport={"width": 1280, "height": 720}), "http://127.0.0.1")


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("view", ["regions-only", "in-progress"])
def test_page_on_the_rollout_in_browser(rollout_dashboard_url, tab, path, view):
    query = f"region={REGIONS_ONLY}" if view == "regions-only" else f"region={FULL}&month={Month.of(today())}"
    tab.goto(f"{rollout_dashboard_url}/{path}?{query}")
    wait_loaded(tab)
    tab.screenshot(path=str(SHOTS / f"rollout_{view}_{path or 'cockpit'}_1280x720.png"), full_page=True)
    errors = tab.locator(ERRORS)
    assert errors.count() == 0, errors.first.inner_text()
    body = tab.inner_text("body")
    assert "This app has encountered an error" not in body and "Traceback" not in body
