"""Load test: N concurrent browser sessions logged in and clicking through the main pages of one dashboard server.

Usage: python scripts/loadtest.py [--db URL] [--sessions 20] [--seconds 120] [--url http://127.0.0.1:8501]
       [--warmup] [--think SECONDS] [--max-loads N] [--timeout 60] [--save FILE]
       [--server-option KEY=VALUE] [--browser-nice 10] [--animations] [--nav click|goto]

Without --url it starts one server (`python -m dashboard`, as `make run` does: headless, on a free loopback
port) over --db (default: the embedded database; build it with make demo), with a scratch auth store and
cookie key, so the real var/auth.sqlite and its audit log get no load-test records. Accounts (scratch store):
on the demo the demo accounts plus one county account per county, so the sessions mix 市级, 督查 and 县级
viewers of different counties (12 scopes for 20 sessions); on other data the same roles under load-test
names. With --url (a server already running) the sessions log in with --login USER:PASSWORD (repeatable;
default the demo accounts).

Each session is one Playwright context in Debian's chromium (one browser process, at a lower CPU priority
than the server so that the 20 renderers standing in for 20 viewers' own computers do not starve it; CSS
animations off for the same reason): it logs in through the form, then opens the pages one after another by
their sidebar links (--nav goto: by address, a fresh Streamlit session each time), pausing --think seconds
on average between pages (0: none), until --seconds have passed or --max-loads pages, each session starting
at another page. --warmup: every session first opens each page once, uncounted (the cold caches after a
start), and the clock starts when all have. A page counts as loaded when the script has finished, the
heading is the new page's, nothing is stale, no spinner or skeleton is left, fonts are in and every chart
has drawn; the time is from the click (or the navigation) to that moment. Errors: Streamlit exception
boxes, st.error messages (Chinese), pages not loaded within --timeout (with what was still missing), HTTP
statuses >= 400 and failed requests to the server, script errors in the page. Every request to anywhere but
the loopback address is aborted (counted and listed).

Prints the machine and its load average, the sessions, p50/p95/max overall and per page, login times, the
time to the script's end as the browser saw it, the errors with the first texts, and the CPU used by the
server, by chromium, by Playwright's driver and by everything else while it ran. Not a test: nothing is asserted
(exit 0 unless it could not run at all).
"""

import argparse
import asyncio
import math
import os
import platform
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.shoot import CHROMIUM_ARGS, scratch_auth

CHROMIUM = "/usr/bin/chromium"
# url path → page title (the sidebar link's text); the main pages, as in scripts/bench_pages.py.
PAGES = {"cockpit": "领导驾驶舱", "ranking": "县区排名与地图", "children": "儿童底数", "network": "阵地与队伍",
         "visits": "走访", "training": "培训", "funds": "资金", "scorecard": "考评", "weekly": "周调度",
         "table": "指标总表"}
LOGIN_TITLE = "未保驾驶舱"  # the login form's heading
LOOPBACK = re.compile(r"^(https?|wss?)://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(/|$)")
# Everything that is not the loopback address (data: and blob: have no "://" and are left alone).
NOT_LOOPBACK = re.compile(r"^(?!(https?|wss?)://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(/|$))[a-zA-Z][\w+.-]*://")
PROBE = re.compile(r"/[^/]+/_stcore/(health|host-config)$")

# Counts the changes of Streamlit's script state, so that after a click the old page (still "notRunning"
# until the rerun starts) is not taken for the new one.
INIT_SCRIPT = """(() => {
  window.__wbRuns = 0;
  if (window.__wbCalm) {  // no CSS animation or transition: 20 tabs of spinners on 2 cores starve the server
    const style = () => { const s = document.createElement('style');
      s.textContent = '*,*::before,*::after{animation:none!important;transition:none!important}';
      document.head.appendChild(s); };
    if (document.head) style(); else document.addEventListener('DOMContentLoaded', style);
  }
  const hook = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app) { setTimeout(hook, 20); return; }
    new MutationObserver(rs => {
      window.__wbRuns += rs.length;
      if (app.getAttribute('data-test-script-state') === 'notRunning') window.__wbIdleAt = performance.now();
    })
      .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', hook); else hook();
})();"""

# Drawn and settled (as tests/browser.py), plus no spinner or skeleton; `runs` > the count before the click.
SETTLED = """([runs, paths, heading]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  // After a click: a run has come and gone, or (when React drew both states at once, so the attribute never
  // changed) the heading is another page's.
  const h1 = document.querySelector('h1');
  if (runs !== null && window.__wbRuns <= runs && (!h1 || h1.innerText.trim() === heading)) return false;
  if (paths !== null && !paths.includes(location.pathname.replace(/\\/+$/, '').split('/').pop())) return false;
  if (!document.querySelector('[data-testid="stHeading"], h1')) return false;
  if (document.querySelector('[data-stale="true"], [data-testid="stSpinner"], [data-testid="stSkeleton"]'))
    return false;
  if (document.fonts.status !== 'loaded') return false;
  return [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].every(c => c.querySelector('.main-svg'));
}"""
ERRORS_JS = """() => [...document.querySelectorAll(
    '[data-testid="stException"], [data-testid="stAlertContentError"]')].map(e => e.innerText.trim())"""
# Before a click: its moment in the page's clock, and the run counter. After: when the script last finished,
# from the click (after a navigation, from the navigation's start): the server's part of the page time.
MARK_JS = """() => { window.__wbClick = performance.now(); const h = document.querySelector('h1');
  return [window.__wbRuns, h ? h.innerText.trim() : '']; }"""
SCRIPT_JS = """() => { const idle = window.__wbIdleAt || 0, click = window.__wbClick || 0;
  return idle > click ? idle - click : null; }"""  # null: the run was drawn in one go, no state change seen
# What is still missing when a page does not count as loaded (for the error text).
STATE_JS = """() => { const app = document.querySelector('[data-testid="stApp"]');
  const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
  return `path ${location.pathname}, script ${app && app.getAttribute('data-test-script-state')}, `
    + `runs ${window.__wbRuns}, stale ${document.querySelectorAll('[data-stale="true"]').length}, `
    + `spinners ${document.querySelectorAll('[data-testid="stSpinner"], [data-testid="stSkeleton"]').length}, `
    + `charts ${charts.filter(c => !c.querySelector('.main-svg')).length}/${charts.length} undrawn, `
    + `fonts ${document.fonts.status}, h1 ${(document.querySelector('h1') || {}).innerText || '-'}`; }"""
HEADING_JS = """() => { const h = document.querySelector('h1'); return h ? h.innerText.trim() : ''; }"""


@dataclass
class Stats:
    loads: list = field(default_factory=list)  # (path, seconds, round, session)
    forms: list = field(default_factory=list)  # seconds from the first address to the login form
    logins: list = field(default_factory=list)  # seconds from filling the form to the first page rendered
    errors: list = field(default_factory=list)  # (kind, page, text)
    warm: list = field(default_factory=list)  # (path, seconds, 0, session) of the --warmup round
    t_start: float = 0.0
    t_end: float = 0.0
    contexts: list = field(default_factory=list)
    on_end: object = None
    scripts: list = field(default_factory=list)  # (path, seconds from navigation to the script finished, round)
    recoveries: list = field(default_factory=list)  # a fresh load after an error that failed too
    blocked: list = field(default_factory=list)  # urls aborted
    sessions_up: int = 0

    timed: bool = False  # set when the timed part starts: errors before it are the logins' and warm-up's

    def error(self, kind: str, page: str, text: str) -> None:
        where = page if self.timed else f"{page}（登录/预热）"
        self.errors.append((kind, where, " ".join(str(text).split())[:300]))


# ---------------------------------------------------------------- machine and processes

def _lines(path: str) -> list[str]:
    return Path(path).read_text().splitlines()


def machine() -> str:
    model = "?"
    mem = 0
    try:
        model = next(line.split(":", 1)[1].strip() for line in _lines("/proc/cpuinfo") if line.startswith("model name"))
        mem = int(next(line.split()[1] for line in _lines("/proc/meminfo") if line.startswith("MemTotal"))) / 2**20
    except (OSError, StopIteration):
        pass
    return (f"{os.cpu_count()} cores ({model}), {mem:.1f} GB RAM, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}")


def cpu_times() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    fields = [int(v) for v in _lines("/proc/stat")[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads) of a process."""
    parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def client_cpu(exclude: int | None) -> dict:
    """CPU seconds of every process under this one (Playwright's driver, chromium), less the server's tree,
    keyed by (pid, command name): the driver is `node`, the rest chromium."""
    parent, used = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            parts = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent[int(entry)] = int(parts[1])
        used[int(entry)] = (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")
    mine, todo = {}, [os.getpid()]
    while todo:
        pid = todo.pop()
        for child, ppid in parent.items():
            if ppid == pid and child != exclude:
                try:
                    comm = Path(f"/proc/{child}/comm").read_text().strip()
                except OSError:
                    comm = "?"
                mine[(child, comm)] = used[child]
                todo.append(child)
    return mine


def proc_rss_mb(pid: int) -> float:
    for line in _lines(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return 0.0


def mem_available_gb() -> float:
    for line in _lines("/proc/meminfo"):
        if line.startswith("MemAvailable"):
            return int(line.split()[1]) / 2**20
    return 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- accounts and server

def prepare_accounts(url: str, sessions: int) -> list[tuple[str, str]]:
    """A scratch auth store and cookie key in the environment; (username, password) for each session.

    Roles rotate 市级, 县级, 督查, 县级: half the sessions are county viewers, each of another county.
    """
    from sqlalchemy import text

    from data.auth import DEMO_ACCOUNTS, ensure_demo_users
    from data.auth.accounts import add_user
    from data.db import get_engine

    store = scratch_auth("loadtest-auth-")
    data = get_engine(url, read_only=True)
    with data.connect() as conn:
        demo = conn.execute(text("SELECT value FROM meta WHERE key = 'is_demo'")).scalar() == "1"
        top = conn.execute(text("SELECT code FROM region WHERE parent_code IS NULL ORDER BY code")).scalar()
        counties = [row[0] for row in conn.execute(
            text("SELECT code FROM region WHERE parent_code = :top ORDER BY code"), {"top": top})]
        if demo:
            ensure_demo_users(store, conn)
    data.dispose()
    password = "Load-" + secrets.token_urlsafe(12)
    if demo:
        demo_pw = {a.username: a.password for a in DEMO_ACCOUNTS}
        city = ("demo-city", demo_pw["demo-city"])
        inspector = ("demo-inspector", demo_pw["demo-inspector"])
    else:
        add_user(store, "load-city", password, "city", top, "压测·市级", by="loadtest")
        add_user(store, "load-inspector", password, "inspector", top, "压测·督查", by="loadtest")
        city, inspector = ("load-city", password), ("load-inspector", password)
    county_accounts = []
    for code in counties:
        name = f"load-county-{code[:6]}"
        add_user(store, name, password, "county", code, "压测·县级", by="loadtest")
        county_accounts.append((name, password))
    store.dispose()
    out = []
    for i in range(sessions):
        if i % 2 and county_accounts:
            out.append(county_accounts[(i // 2) % len(county_accounts)])
        else:
            out.append(city if i % 4 == 0 else inspector)
    return out


def start_server(url: str, log_path: Path, options=()) -> tuple[subprocess.Popen, str]:
    """`python -m dashboard` (as `make run`) on a free loopback port; `options` are extra KEY=VALUE
    Streamlit options (`runner.postScriptGC=false` → `--runner.postScriptGC false`), for experiments."""
    port = free_port()
    extra = [part for option in options for part in ("--" + option.split("=", 1)[0], option.split("=", 1)[1])]
    env = {**os.environ, "WEIBAO_DB_URL": url, "PYTHONPATH": str(ROOT)}
    with open(log_path, "w") as log:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [sys.executable, "-m", "dashboard", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
             *extra], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 90
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the dashboard server stopped at start (exit {proc.returncode}); log: {log_path}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit(f"the dashboard server did not listen within 90 s; log: {log_path}")


def driver_seconds(cpu: dict) -> float:
    """Of client_cpu()'s figures, Playwright's driver's (node); the rest is chromium's."""
    return sum(v for (_, comm), v in cpu.items() if comm.startswith("node"))


# ---------------------------------------------------------------- one browser session

def page_paths(path: str) -> list[str]:
    """The address paths a page may be shown under (the cockpit is also the root)."""
    return ["", "cockpit"] if path == "cockpit" else [path]


def sidebar_link(page, title: str):
    """The page's link in the sidebar, by its exact text."""
    return page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"] a').filter(
        has_text=re.compile(f"^{re.escape(title)}$"))


async def submit_login(page, username: str, password: str, timeout_s: float) -> float:
    """Fill the login form shown on `page` and send it; the monotonic time the first page had settled."""
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码", exact=True).fill(password)
    runs = await page.evaluate("() => window.__wbRuns")
    await page.get_by_role("button", name="登录", exact=True).click()
    await page.wait_for_function(
        "(title) => { const h = document.querySelector('h1'); return h && h.innerText.trim() !== title; }",
        arg=LOGIN_TITLE, timeout=timeout_s * 1000, polling=50)
    return await settle(page, runs, None, timeout_s, heading=LOGIN_TITLE)



async def settle(page, runs, paths, timeout_s: float, settle_ms: int = 300, heading: str | None = None) -> float:
    """Wait until the page is drawn and settled and still is `settle_ms` later; the monotonic time it first was."""
    deadline = time.monotonic() + timeout_s
    while True:
        left = max(1.0, (deadline - time.monotonic()) * 1000)
        await page.wait_for_function(SETTLED, arg=[runs, paths, heading], timeout=left, polling=100)
        done = time.monotonic()
        await page.wait_for_timeout(settle_ms)
        if await page.evaluate(SETTLED, [runs, paths, heading]):
            return done
        if time.monotonic() > deadline:
            raise TimeoutError("the page did not settle")


async def check_errors(page, stats: Stats, where: str) -> int:
    texts = await page.evaluate(ERRORS_JS)
    for text in texts:
        stats.error("页面错误", where, text or "(empty error box)")
    return len(texts)


def chromium_at(nice: int) -> str:
    """Debian's chromium, started at a lower CPU priority (`nice`) by a wrapper script when nice > 0.

    The browsers stand in for viewers' own computers; on one small machine their rendering would otherwise
    take the CPU from the server being measured (the Linux scheduler shares it per thread, and 20 renderer
    processes outnumber one Python server).
    """
    if nice <= 0:
        return CHROMIUM
    wrapper = Path(tempfile.mkdtemp(prefix="loadtest-chromium-")) / "chromium"
    wrapper.write_text(f'#!/bin/sh\nexec nice -n {int(nice)} {CHROMIUM} "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


class Phase:
    """When the timed part starts and ends: at once, or (--warmup) when every session has done its warm-up round."""

    def __init__(self, args, on_start):
        self.left = args.sessions
        self.go = asyncio.Event()
        self.args = args
        self.on_start = on_start
        self.deadline = None

    def start(self, extra: float = 0.0) -> None:
        self.on_start()
        print(f"timed part starts ({self.args.seconds:g} s)", file=sys.stderr, flush=True)
        self.deadline = time.monotonic() + extra + self.args.seconds
        self.go.set()

    def ready(self) -> None:
        self.left -= 1
        if self.left <= 0 and not self.go.is_set():
            self.start()


async def session(i: int, browser, base: str, account, args, stats: Stats, phase: Phase):
    ready = not args.warmup
    context = await browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN",
                                        timezone_id="Asia/Shanghai")
    stats.contexts.append(context)  # closed after the CPU figures are taken
    await context.add_init_script(("window.__wbCalm = true;\n" if not args.animations else "") + INIT_SCRIPT)
    current = {"page": "login"}

    async def block(route):
        stats.blocked.append(route.request.url)
        await route.abort("blockedbyclient")

    await context.route(NOT_LOOPBACK, block)
    page = await context.new_page()
    page.set_default_timeout(args.timeout * 1000)

    def on_response(response):
        # Opened on a page's path, Streamlit's client first looks for the server under that path (a 404 by
        # design), then under the root: those probes are not failures.
        if response.status == 404 and PROBE.search(response.url):
            return
        if response.status >= 400 and LOOPBACK.match(response.url):
            stats.error("HTTP", current["page"], f"{response.status} {response.url}")

    def on_failed(request):
        if LOOPBACK.match(request.url) and "ERR_ABORTED" not in (request.failure or ""):
            stats.error("请求失败", current["page"], f"{request.failure} {request.url}")

    page.on("response", on_response)
    page.on("requestfailed", on_failed)
    page.on("pageerror", lambda exc: stats.error("脚本错误", current["page"], str(exc)))
    username, password = account
    order = list(PAGES)
    start = i % len(order)
    order = order[start:] + order[:start]
    try:
        await asyncio.sleep(i * args.ramp / max(1, args.sessions))  # logins spread over --ramp seconds
        # Log in through the form (also an argon2 check and an audit record on the server).
        t0 = time.monotonic()
        try:
            await page.goto(f"{base}/{order[0]}", wait_until="domcontentloaded")
            await page.get_by_label("用户名").wait_for()
            stats.forms.append(time.monotonic() - t0)
            t0 = time.monotonic()
            done = await submit_login(page, username, password, args.timeout)
            stats.logins.append(done - t0)
            await check_errors(page, stats, f"login {username}")
        except Exception as err:  # noqa: BLE001  (a session that cannot log in is an error, the others go on)
            stats.error("登录失败", f"login {username}", f"{type(err).__name__}: {str(err).splitlines()[0]}")
            return
        stats.sessions_up += 1

        async def visit(path: str, rnd: int, warm: bool) -> None:
            title = PAGES[path]
            current["page"] = path
            paths = page_paths(path)
            try:
                runs, heading = await page.evaluate(MARK_JS)
                link = sidebar_link(page, title)
                t0 = time.monotonic()
                if args.nav == "click" and await link.count():
                    await link.first.click()
                else:
                    runs = None
                    await page.goto(f"{base}/{path}", wait_until="commit")
                done = await settle(page, runs, paths, args.timeout, heading=heading)
                script = await page.evaluate(SCRIPT_JS)
                (stats.warm if warm else stats.loads).append((path, done - t0, rnd, i))
                if not warm and script is not None:
                    stats.scripts.append((path, script / 1000, rnd))
                heading = await page.evaluate(HEADING_JS)
                if heading == LOGIN_TITLE:
                    stats.error("登录失效", path, "the login form was shown instead of the page")
                await check_errors(page, stats, path)
            except Exception as err:  # noqa: BLE001
                kind = "超时" if "Timeout" in type(err).__name__ else "浏览器"
                try:
                    state = await page.evaluate(STATE_JS)
                except Exception:  # noqa: BLE001
                    state = "?"
                stats.error(kind, path, f"{type(err).__name__}: {str(err).splitlines()[0][:80]} — page state: {state}")
                try:  # start the next page from a fresh load of this one
                    await page.goto(f"{base}/{path}", wait_until="commit")
                    await settle(page, None, None, args.timeout)
                except Exception as again:  # noqa: BLE001  (the next page's own wait says whether it recovered)
                    stats.recoveries.append(f"{type(again).__name__} after {path}")

        k = 1
        if args.warmup:  # one uncounted round of every page, then wait for the others
            for _ in range(len(order)):
                await visit(order[k % len(order)], 0, True)
                k += 1
            phase.ready()
            ready = True
            await phase.go.wait()
        loads = 0
        while time.monotonic() < phase.deadline and loads < args.max_loads:
            path = order[k % len(order)]
            rnd = k // len(order) - (1 if args.warmup else 0)
            k += 1
            if args.think:
                await asyncio.sleep(random.uniform(0.5, 1.5) * args.think)
                if time.monotonic() >= phase.deadline:
                    break
            await visit(path, rnd, False)
            loads += 1
    finally:
        if not ready:
            phase.ready()


async def run_sessions(base: str, accounts, args, stats: Stats, on_start) -> float:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium_at(args.browser_nice), headless=True,
                                          args=CHROMIUM_ARGS)
        phase = Phase(args, on_start)
        if not args.warmup:
            phase.start(extra=args.ramp)  # the logins (spread over --ramp) are inside the timed part
        tasks = [asyncio.create_task(session(i, browser, base, accounts[i], args, stats, phase))
                 for i in range(args.sessions)]
        await asyncio.gather(*tasks)
        stats.on_end()
        elapsed = stats.t_end - stats.t_start
        for context in stats.contexts:
            await context.close()
        await browser.close()
    return elapsed


# ---------------------------------------------------------------- report

def pct(values: list, q: float) -> float:
    """The q-quantile (0..1), nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def pad(label: str, width: int) -> str:
    """Left-aligned in `width` terminal columns (a Chinese character takes two)."""
    wide = sum(1 for ch in label if ord(ch) > 0x2E80)
    return label + " " * max(0, width - len(label) - wide)


def line(label: str, values: list) -> str:
    if not values:
        return f"  {pad(label, 14)} {0:>5d}"
    return (f"  {pad(label, 14)} {len(values):>5d} {statistics.median(values):>7.2f} {pct(values, 0.95):>7.2f} "
            f"{max(values):>7.2f}")


def report(stats: Stats, args, base: str, elapsed: float, accounts, marks: dict, peak: dict, load_before,
           load_after, server_log: Path | None) -> None:
    times = [t for _, t, _, _ in stats.loads]
    wall = max(elapsed, 1e-6)
    print(f"machine:  {machine()}")
    print(f"load avg: at start {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}; timed part from "
          f"{marks['load'][0]:.2f}; at the end {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f} "
          f"(1, 5, 15 min)")
    users = sorted({a[0] for a in accounts})
    options = f"; options {' '.join(args.server_option)}" if args.server_option and not args.url else ""
    print(f"server:   {base} ({'started here, db ' + args.db_url if not args.url else 'given by --url'}{options})")
    print(f"sessions: {stats.sessions_up} of {args.sessions} logged in ({len(users)} accounts: "
          f"{', '.join(users[:5])}{' …' if len(users) > 5 else ''}); nav {args.nav}, think {args.think:g} s, "
          f"ramp {args.ramp:g} s{', after a warm-up round' if args.warmup else ''}; chromium at nice "
          f"{args.browser_nice}{', animations on' if args.animations else ''}")
    print(f"duration: {elapsed:.0f} s timed; pages loaded: {len(stats.loads)} ({len(stats.loads) / wall:.2f}/s)")
    busy0, total0 = marks["machine"]
    busy1, total1 = marks["machine1"]
    cores = os.cpu_count() or 1
    machine_cores = cores * (busy1 - busy0) / max(1, total1 - total0)
    client = sum(marks["client"].values()) - sum(marks["client0"].values())
    driver = driver_seconds(marks["client"]) - driver_seconds(marks["client0"])
    server = (marks["server1"] - marks["server"]) if marks.get("server1") is not None else None
    parts = [f"machine {machine_cores:.2f} of {cores} cores busy"]
    if server is not None:
        parts.append(f"server {server / wall:.2f} ({server / max(1, len(stats.loads)):.2f} CPU-s a page, "
                     f"peak RSS {peak['rss']:.0f} MB)")
    parts.append(f"chromium {(client - driver) / wall:.2f} + Playwright's driver {driver / wall:.2f}")
    rest = max(0.0, machine_cores - client / wall - (server or 0) / wall)
    parts.append(f"everything else {rest:.2f}" + ("" if server is not None else " (the --url server included)"))
    print(f"cpu:      {'; '.join(parts)}; min MemAvailable {peak['mem']:.1f} GB")
    header = f"  {pad('seconds', 14)} {'n':>5s} {'p50':>7s} {'p95':>7s} {'max':>7s}"
    print(f"\n{header}   navigation → rendered")
    print(line("all pages", times))
    if not args.warmup:
        print(line("after round 1", [t for _, t, rnd, _ in stats.loads if rnd >= 1]))
    for path, title in PAGES.items():
        print(line(title, [t for p, t, _, _ in stats.loads if p == path]))
    print(line("login form", stats.forms))
    print(line("login → page", stats.logins))
    if args.warmup:
        print(line("warm-up round", [t for _, t, _, _ in stats.warm]))
    print(f"\n{header}   navigation → the page's script finished on the server (as the browser saw it)")
    print(line("all pages", [t for _, t, _ in stats.scripts]))
    for path, title in PAGES.items():
        print(line(title, [t for p, t, _ in stats.scripts if p == path]))
    early = sum(1 for _, where, _ in stats.errors if where.endswith("（登录/预热）"))
    print(f"\nerrors: {len(stats.errors)}" + (f" ({early} of them while logging in or in the warm-up round)"
                                              if early else ""))
    kinds = {}
    for kind, _, _ in stats.errors:
        kinds[kind] = kinds.get(kind, 0) + 1
    if kinds:
        print("  by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1])))
    pages = {}
    for kind, where, _ in stats.errors:
        label = f"{kind} {PAGES.get(where, where)}"
        pages[label] = pages.get(label, 0) + 1
    if pages:
        print("  by page:  " + ", ".join(f"{k} {n}" for k, n in sorted(pages.items(), key=lambda kv: -kv[1])[:12]))
    seen = set()
    for kind, where, text in stats.errors:
        if (kind, where, text[:80]) in seen:
            continue
        seen.add((kind, where, text[:80]))
        print(f"  [{kind}] {PAGES.get(where, where)}: {text}")
        if len(seen) >= 8:
            break
    hosts = sorted({urlsplit(u).netloc for u in stats.blocked})
    print(f"blocked non-loopback requests: {len(stats.blocked)}{(' (' + ', '.join(hosts[:8]) + ')') if hosts else ''}")
    if server_log is not None:
        logged = [ln for ln in server_log.read_text(errors="replace").splitlines()
                  if "unexpected error" in ln or "Traceback" in ln]
        print(f"server log: {server_log} ({len(logged)} error lines)")
        for ln in logged[:3]:
            print(f"  {ln[:200]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None, help="database URL (default: the embedded database)")
    parser.add_argument("--url", default=None, help="a running dashboard instead of starting one")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=120, help="how long the sessions load pages")
    parser.add_argument("--max-loads", type=int, default=1000, help="pages per session at most")
    parser.add_argument("--timeout", type=float, default=60, help="seconds a page may take before it is an error")
    parser.add_argument("--think", type=float, default=0, help="mean pause between pages in seconds")
    parser.add_argument("--ramp", type=float, default=10, help="logins spread over this many seconds")
    parser.add_argument("--save", metavar="FILE", help="also write every measurement and error as JSON")
    parser.add_argument("--server-option", action="append", metavar="KEY=VALUE",
                        help="an extra Streamlit option for the server started here (repeatable), "
                             "e.g. runner.postScriptGC=false")
    parser.add_argument("--browser-nice", type=int, default=10,
                        help="CPU priority of chromium below the server's (nice value; 0 = the same)")
    parser.add_argument("--animations", action="store_true",
                        help="keep the pages' CSS animations (by default switched off to save CPU)")
    parser.add_argument("--warmup", action="store_true",
                        help="every session opens each page once, uncounted, before the timed part starts")
    parser.add_argument("--nav", choices=("click", "goto"), default="click",
                        help="click the sidebar links (default) or open each page by its address")
    parser.add_argument("--login", action="append", default=None, metavar="USER:PASSWORD",
                        help="with --url: account(s) the sessions use in turn (default: the demo accounts)")
    args = parser.parse_args()

    from data.db import resolve_url

    args.db_url = resolve_url(args.db)
    server = None
    server_log = None
    if args.url:
        base = args.url.rstrip("/")
        if not LOOPBACK.match(base):
            raise SystemExit("--url must be a loopback address (every other request is blocked)")
        if args.login:
            pairs = [tuple(item.split(":", 1)) for item in args.login]
        else:
            from data.auth import DEMO_ACCOUNTS

            pairs = [(a.username, a.password) for a in DEMO_ACCOUNTS if a.role != "admin"]
        accounts = [pairs[i % len(pairs)] for i in range(args.sessions)]
    else:
        accounts = prepare_accounts(args.db_url, args.sessions)
        server_log = Path(tempfile.mkdtemp(prefix="loadtest-server-")) / "server.log"
        server, base = start_server(args.db_url, server_log, args.server_option or ())
        print(f"server pid {server.pid} at {base}, log {server_log}", file=sys.stderr, flush=True)
    stats = Stats()
    marks = {}
    load_before = os.getloadavg()

    def on_end():  # the timed part is over (before the contexts close)
        if "end" in marks:
            return
        marks["end"] = stats.t_end = time.monotonic()
        marks["client"].update(client_cpu(server.pid if server else None))
        marks["machine1"] = cpu_times()
        marks["server1"] = proc_cpu(server.pid) if server and server.poll() is None else None

    stats.on_end = on_end

    def on_start():
        stats.timed = True  # without --warmup the logins are inside the timed run
        stats.t_start = time.monotonic()
        marks["load"] = os.getloadavg()
        marks["machine"] = cpu_times()
        marks["t"] = time.monotonic()
        if server:
            marks["server"] = proc_cpu(server.pid)
        marks["client0"] = client_cpu(server.pid if server else None)
        marks["client"] = dict(marks["client0"])

    peak = {"rss": 0.0, "mem": mem_available_gb()}

    async def sample():
        while True:
            await asyncio.sleep(2)
            if server and server.poll() is None:
                peak["rss"] = max(peak["rss"], proc_rss_mb(server.pid))
            peak["mem"] = min(peak["mem"], mem_available_gb())
            if "client" in marks and "end" not in marks:  # the latest figure of each process, dead ones kept
                marks["client"].update(client_cpu(server.pid if server else None))

    async def go():
        sampler = asyncio.create_task(sample())
        try:
            return await run_sessions(base, accounts, args, stats, on_start)
        finally:
            sampler.cancel()

    try:
        elapsed = asyncio.run(go())
        load_after = os.getloadavg()
    finally:
        if server:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
    report(stats, args, base, elapsed, accounts, marks, peak, load_before, load_after, server_log)
    if args.save:
        import json

        Path(args.save).write_text(json.dumps(
            {"loads": stats.loads, "warm": stats.warm, "scripts": stats.scripts, "errors": stats.errors,
             "forms": stats.forms, "logins": stats.logins, "blocked": stats.blocked}, ensure_ascii=False))


if __name__ == "__main__":
    main()
