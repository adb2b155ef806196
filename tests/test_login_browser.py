"""Login in Debian's chromium: the form sets the signed cookie, F5 keeps the login, 退出登录 ends it, deep links work."""

import pytest

from tests.browser import chromium, wait_loaded
from tests.login import demo_password

SISHUI = "370831000000"
COOKIE = "weibao_session"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture
def tab(browser):
    """A fresh browser context per test: no cookie or storage of another test's login."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    context.close()


def log_in(tab, username: str) -> None:
    tab.get_by_label("用户名").fill(username)
    tab.get_by_label("密码", exact=True).fill(demo_password(username))
    tab.get_by_role("button", name="登录", exact=True).click()
    tab.wait_for_function("() => ![...document.querySelectorAll('h1')].some(h => h.innerText === '未保驾驶舱')",
                          timeout=120_000)
    wait_loaded(tab, timeout=120_000)  # the logged-in page is a new run: drawn and settled, not a fixed second


def heading(tab) -> str:
    return tab.locator("h1").first.inner_text()


def session_cookie(tab) -> dict | None:
    return next((c for c in tab.context.cookies() if c["name"] == COOKIE), None)


def test_login_survives_a_reload_and_logout_ends_it(dashboard_url, tab):
    tab.goto(dashboard_url)
    wait_loaded(tab)
    body = tab.inner_text("body")
    assert "演示账号" in body and heading(tab) == "未保驾驶舱" and "工作驾驶舱" not in body
    log_in(tab, "demo-county")
    assert "泗水县" in heading(tab)
    tab.wait_for_function(f"() => document.cookie.includes('{COOKIE}=')", timeout=30_000)
    cookie = session_cookie(tab)
    assert cookie["sameSite"] == "Strict" and cookie["path"] == "/" and not cookie["secure"]  # plain http here
    assert cookie["expires"] > 0  # expires with the idle timeout, not kept forever

    tab.reload()  # F5: a new Streamlit session, logged in again from the cookie
    wait_loaded(tab, timeout=120_000)
    assert "泗水县" in heading(tab) and not tab.get_by_label("密码", exact=True).count()

    tab.get_by_role("button", name="退出登录").click()
    tab.wait_for_function("() => [...document.querySelectorAll('h1')].some(h => h.innerText === '未保驾驶舱')",
                          timeout=60_000)
    tab.wait_for_function(f"() => !document.cookie.includes('{COOKIE}=')", timeout=30_000)
    wait_loaded(tab)  # the logout's run has finished: no element of the logged-in page is left on it
    assert "已退出登录。" in tab.inner_text("body")
    tab.reload()
    wait_loaded(tab)
    assert heading(tab) == "未保驾驶舱" and tab.get_by_label("密码", exact=True).count() == 1


def test_a_revoked_cookie_does_not_log_in_again(dashboard_url, tab):
    """退出登录 also ends that login on the server: a copy of the cookie taken before is refused."""
    tab.goto(dashboard_url)
    wait_loaded(tab)
    log_in(tab, "demo-city")
    tab.wait_for_function(f"() => document.cookie.includes('{COOKIE}=')", timeout=30_000)
    copy = session_cookie(tab)
    tab.get_by_role("button", name="退出登录").click()
    tab.wait_for_function(f"() => !document.cookie.includes('{COOKIE}=')", timeout=30_000)
    tab.context.add_cookies([{key: copy[key] for key in ("name", "value", "domain", "path", "sameSite")}])
    tab.reload()
    wait_loaded(tab)
    assert heading(tab) == "未保驾驶舱"


def test_a_deep_link_survives_the_login(dashboard_url, tab):
    month = "2026-09"
    tab.goto(f"{dashboard_url}/ranking?region={SISHUI}&month={month}")
    wait_loaded(tab)
    assert heading(tab) == "未保驾驶舱"
    log_in(tab, "demo-county")
    assert heading(tab) == "县区排名与地图"
    assert "/ranking" in tab.url and f"region={SISHUI}" in tab.url and f"month={month}" in tab.url
    assert not tab.locator('[data-testid="stException"]').count()


def test_a_download_in_the_browser_is_recorded(dashboard_url, tab):
    import time
    from datetime import datetime, timezone

    from data.auth import audit_rows, auth_engine
    from tests.login import browser_login

    started = datetime.now(timezone.utc)
    browser_login(tab, dashboard_url, "demo-inspector")
    tab.goto(f"{dashboard_url}/table")
    wait_loaded(tab, timeout=120_000)
    with tab.expect_download() as caught:
        tab.get_by_role("button", name="下载 CSV（精确值）").click()
    assert caught.value.suggested_filename.startswith("指标总表_")
    deadline = time.time() + 30
    while time.time() < deadline:
        downloads = audit_rows(auth_engine(), user="demo-inspector", action="download", since=started)
        if downloads:
            break
        time.sleep(0.5)
    assert [d.details["what"] for d in downloads] == ["指标总表"]
    assert downloads[0].details["file"] == caught.value.suggested_filename
