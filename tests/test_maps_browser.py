"""县区排名与地图 in Debian's chromium: the map draws with the network cut off, clicks drill to townships and
villages, 返回 goes back."""

import re

import pytest

from tests.browser import ARGS, CHROMIUM
from tests.login import browser_login

LOCAL = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")

pytestmark = pytest.mark.browser


def settle(tab, timeout=90_000) -> None:
    """Called once the new view is on the page: wait until its rerun has finished and everything is drawn and
    stays so (tests/browser.py), instead of fixed pauses around the status widget."""
    from tests.browser import wait_loaded

    tab.wait_for_selector('[data-testid="stMainBlockContainer"]', timeout=timeout)
    tab.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout)
    wait_loaded(tab, timeout=timeout)


def wait_heading(tab, text: str, timeout=90_000) -> None:
    """The page has rerun into the view whose h3 contains `text` and drawn its map."""
    tab.wait_for_function(
        "t => [...document.querySelectorAll('h3')].some(h => h.innerText.includes(t))", arg=text, timeout=timeout)
    tab.wait_for_selector("path.choroplethlocation", timeout=timeout)
    settle(tab)


def headings(tab) -> list[str]:
    return [h.inner_text() for h in tab.query_selector_all("h3")]


def test_map_offline_click_drill_and_back(dashboard_url):
    from playwright.sync_api import sync_playwright

    outside = []

    def only_local(route):
        if route.request.url.startswith(LOCAL):
            return route.continue_()
        outside.append(route.request.url)
        return route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context(viewport={"width": 1600, "height": 1400})
        context.route("**/*", only_local)
        tab = browser_login(context.new_page(), dashboard_url)
        tab.goto(f"{dashboard_url}/ranking")
        wait_heading(tab, "各县区")
        assert not tab.query_selector_all('[data-testid="stException"]')
        assert len(tab.query_selector_all("path.choroplethlocation")) == 11  # Jining's county outlines drawn
        # Click inside 泗水县: its label sits at a point well inside the polygon.
        label = tab.locator("g.scattergeo text", has_text="泗水县").first
        box = label.bounding_box()
        tab.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] + 4)
        wait_heading(tab, "泗水县 · 各乡镇")
        assert "泗水县 · 各乡镇（街道）" in headings(tab)
        assert "drill=" in tab.url
        assert len(tab.query_selector_all("path.choroplethlocation")) >= 2
        # A click on a township's (synthetic) cell lists its villages, in a table; the way back is 返回泗水县.
        town = tab.locator("g.scattergeo text").first
        name = re.sub(r"[\d.%,]+$", "", town.text_content())  # the label is the name, then its value
        box = town.bounding_box()
        tab.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] + 4)
        tab.wait_for_function("t => [...document.querySelectorAll('h3')].some(h => h.innerText.includes(t))",
                              arg=f"{name} · 各村（社区）", timeout=90_000)
        settle(tab)
        assert "town=" in tab.url
        assert not tab.query_selector_all("path.choroplethlocation")
        tab.get_by_role("button", name="返回泗水县").click()
        wait_heading(tab, "泗水县 · 各乡镇")
        tab.get_by_role("button", name="返回").click()
        wait_heading(tab, "各县区")
        assert any("各县区" in h for h in headings(tab))
        assert len(tab.query_selector_all("path.choroplethlocation")) == 11
        browser.close()
    assert outside == [], outside
