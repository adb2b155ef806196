"""The cockpit on a projector, in chromium: each meeting-mode section's figures on the first screen at
1280×720 and 1024×768, the headline cards on the first screen at 1280 in normal mode, nothing spilling at 800;
考评's figures whole at 1280×720 and 1024×768, for the city and for a county."""

import pytest

from tests.browser import SHOTS, chromium, wait_rendered
from tests.fixtures.rollout import FULL, REGIONS_ONLY
from tests.login import account, browser_login

SECTIONS = {"children": "儿童底数", "network": "三级阵地与队伍", "work": "工作落实",
            "reds": "落后乡镇（红色指标）", "trend": "近 12 个月趋势"}
# What each section must show whole on the first screen.
FIGURES = '.wb-card, [data-testid="stPlotlyChart"], [data-testid="stDataFrame"], [data-testid="stAlert"]'

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


def _boxes(page, selector: str) -> list[dict]:
    return page.eval_on_selector_all(
        selector, "els => els.map(e => { const r = e.getBoundingClientRect();"
                  " return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, h: r.height}; })"
                  ".filter(b => b.h > 0)")


@pytest.mark.parametrize("size", [(1280, 720), (1024, 768)], ids=["1280x720", "1024x768"])
def test_meeting_mode_sections_fit_the_first_screen(rollout_dashboard_url, browser, size):
    width, height = size
    page = browser_login(browser.new_page(viewport={"width": width, "height": height}), rollout_dashboard_url)
    page.goto(f"{rollout_dashboard_url}/?meeting=true&region={FULL}&month=2026-11")
    wait_rendered(page)
    for key, label in SECTIONS.items():
        page.locator("button").filter(has_text=label).last.click()
        wait_rendered(page)
        page.screenshot(path=str(SHOTS / f"meeting_{key}_{width}x{height}.png"))
        boxes = _boxes(page, FIGURES)
        assert boxes, f"{label}: nothing drawn"
        first = [b for b in boxes if b["top"] < height]
        assert first, f"{label}: no figure starts on the first screen"
        # Every figure of the section whose top is on the first screen ends on it too (the page does not scroll
        # to show the card or chart a leader is looking at).
        cut = [b for b in boxes if b["top"] < height and b["bottom"] > height + 1]
        assert not cut, f"{label} at {width}×{height}: figures cut at the bottom {cut}"
        cards = _boxes(page, ".wb-card")
        assert all(b["bottom"] <= height + 1 for b in cards), f"{label}: a card below the first screen"
    page.close()


def test_normal_mode_shows_the_headline_cards_at_1280(rollout_dashboard_url, browser):
    page = browser_login(browser.new_page(viewport={"width": 1280, "height": 720}), rollout_dashboard_url)
    page.goto(f"{rollout_dashboard_url}/?region={FULL}&month=2026-11")
    wait_rendered(page)
    page.screenshot(path=str(SHOTS / "cockpit_1280x720.png"))
    cards = _boxes(page, ".wb-card")
    assert cards and cards[0]["bottom"] <= 720, cards[:1]
    page.close()


def test_nothing_spills_at_800(rollout_dashboard_url, browser):
    page = browser_login(browser.new_page(viewport={"width": 800, "height": 1200}), rollout_dashboard_url)
    page.goto(f"{rollout_dashboard_url}/?region={FULL}&month=2026-11")
    wait_rendered(page)
    page.screenshot(path=str(SHOTS / "cockpit_800.png"), full_page=True)
    spilled = page.eval_on_selector_all(
        ".wb-card .wb-name, .wb-card .wb-value, .wb-card .wb-sub",
        "els => els.filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)")
    assert not spilled, spilled
    # A chart title that does not fit is cut by plotly at the SVG's edge: its text box must lie inside it.
    cut_titles = page.eval_on_selector_all(
        '[data-testid="stPlotlyChart"]',
        """charts => charts.flatMap(c => { const svg = c.querySelector('svg.main-svg');
             const title = c.querySelector('.gtitle'); if (!svg || !title) return [];
             const s = svg.getBoundingClientRect(), t = title.getBoundingClientRect();
             return (t.left < s.left - 1 || t.right > s.right + 1) ? [title.textContent] : []; })""")
    assert not cut_titles, cut_titles
    page.close()


@pytest.mark.parametrize("size", [(1280, 720), (1024, 768)], ids=["1280x720", "1024x768"])
@pytest.mark.parametrize("who", ["city", "county"])
def test_scorecard_figures_are_whole_on_a_projector(rollout_url, rollout_dashboard_url, browser, size, who):
    """Its headline (第一名 '泗水县 94.6 分', a county's rank) and the evidence panel's figures are never cut to
    '泗水…' at a quarter of a 1024-px screen. The county is the regions-only one: its figures are 无数据."""
    width, height = size
    username = "demo-city" if who == "city" else account("county", REGIONS_ONLY, db_url=rollout_url)
    page = browser_login(browser.new_page(viewport={"width": width, "height": height}), rollout_dashboard_url,
                         username)
    page.goto(f"{rollout_dashboard_url}/scorecard?month=2026-11")
    wait_rendered(page)
    page.screenshot(path=str(SHOTS / f"scorecard_{who}_{width}x{height}.png"))
    values = page.eval_on_selector_all(".wb-card .wb-value", "els => els.map(e => e.innerText)")
    assert len(values) >= 7, values  # four headline cards, then 分子, 分母, the rate and the score
    cut = page.eval_on_selector_all(
        ".wb-card .wb-name, .wb-card .wb-value",
        "els => els.filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)")
    assert not cut, cut
    page.close()
