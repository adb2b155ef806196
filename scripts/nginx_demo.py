"""The browser half of scripts/nginx_demo.sh: chromium logs in through nginx, reloads, and survives a process dying.

Environment (set by nginx_demo.sh): WEIBAO_DEMO_BASE, e.g. https://127.0.0.1:8443/cockpit, and WEIBAO_DEMO_PIDS,
"127.0.0.1:8601=PID,127.0.0.1:8602=PID" (the dashboard processes the shell script started). Checks:
1. the login page and, after logging in as demo-city, the cockpit are drawn: the WebSocket works through nginx;
2. a reload (F5) lands on the same process (X-Upstream of the document) and is still logged in;
3. after that process is killed, a reload is answered by the other process and is still logged in (the login
   cookie is signed with the key both processes share; only the in-process session state was lost).
Prints one line per check; exit 0 when all passed, 1 otherwise.
"""

import os
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import ARGS, CHROMIUM, wait_loaded  # noqa: E402

USER, PASSWORD = "demo-city", "city-demo-2026"


def is_demo() -> bool:
    from data.db import get_engine, get_meta

    engine = get_engine(os.environ.get("WEIBAO_DB_URL"), read_only=True)
    try:
        with engine.connect() as conn:
            return get_meta(conn, "is_demo") == "1"
    finally:
        engine.dispose()


def main() -> int:
    from playwright.sync_api import sync_playwright

    base = os.environ["WEIBAO_DEMO_BASE"].rstrip("/")
    pids = dict(item.split("=") for item in os.environ["WEIBAO_DEMO_PIDS"].split(","))
    failed = False

    def check(good: bool, text: str) -> None:
        nonlocal failed
        print(f"  {'通过' if good else '失败'}  {text}")
        failed |= not good

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context(ignore_https_errors=True, viewport={"width": 1400, "height": 1000})
        tab = context.new_page()
        started = time.perf_counter()
        first = tab.goto(f"{base}/")
        served = first.headers.get("x-upstream", "")
        wait_loaded(tab, timeout=120_000)
        if not tab.get_by_label("密码", exact=True).count():
            check(False, "登录页没有出现")
            return 1
        if not is_demo():
            print("  （数据库不是演示数据，没有演示账号：跳过浏览器登录检查）")
            return 0
        tab.get_by_label("用户名").fill(USER)
        tab.get_by_label("密码", exact=True).fill(PASSWORD)
        tab.get_by_role("button", name="登录", exact=True).click()
        tab.wait_for_function("() => ![...document.querySelectorAll('h1')].some(h => h.innerText === '未保驾驶舱')",
                              timeout=120_000)
        wait_loaded(tab, timeout=120_000)
        heading = tab.locator("h1").first.inner_text()
        cookies = {c["name"]: c for c in context.cookies()}
        check("weibao_route" in cookies and "weibao_session" in cookies and heading != "未保驾驶舱",
              f"经 nginx 登录 {USER}，驾驶舱画出（标题“{heading}”，{time.perf_counter() - started:.1f} 秒，"
              f"进程 {served}，cookie：{', '.join(sorted(cookies))}）")

        again = tab.reload()
        wait_loaded(tab, timeout=120_000)
        logged_in = not tab.get_by_label("密码", exact=True).count()
        check(again.headers.get("x-upstream") == served and logged_in,
              f"刷新（F5）：仍由 {again.headers.get('x-upstream')} 回答，{'仍已登录' if logged_in else '需要重新登录'}")

        victim = pids.get(served)
        if victim is None:
            check(False, f"不知道进程 {served} 的 pid")
            return 1
        os.kill(int(victim), signal.SIGTERM)
        time.sleep(2)
        moved = tab.reload()
        wait_loaded(tab, timeout=120_000)
        logged_in = not tab.get_by_label("密码", exact=True).count()
        now = moved.headers.get("x-upstream", "")
        check(now.split(", ")[-1] != served and logged_in,
              f"停掉 {served}（pid {victim}）后刷新：由 {now} 回答，{'仍已登录（共用的会话密钥）' if logged_in else '需要重新登录'}")
        browser.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
