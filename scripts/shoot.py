"""Screenshot pages of a running dashboard: python scripts/shoot.py URL OUT.png [URL OUT.png ...]."""

import os
import secrets
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

def scratch_auth(prefix: str):
    """A throw-away auth store and cookie key in this process's environment (a server started from it inherits
    them), so a benchmark's logins and audit records never reach var/auth.sqlite; returns the store's engine."""
    from data.auth import auth_engine

    os.environ["WEIBAO_AUTH_URL"] = f"sqlite:///{Path(tempfile.mkdtemp(prefix=prefix)) / 'auth.sqlite'}"
    os.environ["WEIBAO_COOKIE_KEY"] = secrets.token_urlsafe(32)
    return auth_engine()


CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run"]


def wait_rendered(page, timeout=60000) -> None:
    """Wait until Streamlit has drawn the app and stopped running the script."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    # stApp carries the script state; "notRunning" once the page's script has finished.
    page.wait_for_function(
        """() => { const app = document.querySelector('[data-testid="stApp"]');
                   return app && app.getAttribute('data-test-script-state') === 'notRunning'
                       && document.querySelector('[data-testid="stHeading"], h1'); }""", timeout=timeout)
    page.wait_for_timeout(1000)


def main(args):
    width = 1600
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": 2600})
        for url, out in zip(args[::2], args[1::2]):
            page.goto(url)
            wait_rendered(page)
            page.screenshot(path=out, full_page=True)
            print(out)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1:])
