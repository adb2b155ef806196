"""Every WEIBAO_* variable and tunable, declared once with default, bounds and help; README's table is printed here."""

import math
import os
from dataclasses import dataclass
from datetime import date

# Unit key → (as README says it, as a Chinese message says it).
UNITS = {"s": ("seconds", "秒"), "ms": ("milliseconds", "毫秒"), "h": ("hours", "小时"), "d": ("days", "天"),
         "rows": ("rows", "行"), "entries": ("entries", "条"), "views": ("views", "个"), "count": ("", "")}
_KIND_EN = {int: "integer", float: "number"}
_KIND_ZH = {int: "整数", float: "数"}


class SettingError(ValueError):
    """A WEIBAO_* variable holds what its declaration does not allow; the message is Chinese and names it."""


@dataclass(frozen=True)
class Setting:
    """One variable. A tunable has a kind (int, float or date) and is read with read(); text settings (URLs,
    paths, keys) have none and are read by their own module, which knows how to check them."""

    name: str
    meaning: str  # help text, as README shows it (Markdown)
    default: str = ""  # text settings: the default as README shows it; tunables derive it from value and unit
    allowed: str = ""  # text settings: what README says the value is
    kind: type | None = None
    value: int | float | None = None  # a tunable's default (None for a date: unset means the calendar's)
    unit: str = "count"  # a key of UNITS
    low: int | float | None = None
    high: int | float | None = None
    at_least: str | None = None  # another tunable this one may not be below (a look-back covers the window)

    @property
    def tunable(self) -> bool:
        return self.kind is not None

    def default_text(self) -> str:
        if not self.tunable or self.value is None:
            return self.default
        unit = UNITS[self.unit][0]
        return f"`{self.value}`" + (f" {unit}" if unit else "")

    def allowed_text(self) -> str:
        if self.kind not in _KIND_EN:
            return self.allowed
        kind = _KIND_EN[self.kind]
        if self.high is None:
            text = f"{kind} ≥ `{self.low}`"
        else:
            text = f"{kind} `{self.low}`–`{self.high}`"
        return text + (f", ≥ `{self.at_least}`" if self.at_least else "")

    def rule_zh(self) -> str:
        """What the value should be, in Chinese, for messages."""
        if self.kind is date:
            return "日期（YYYY-MM-DD）"
        unit = UNITS[self.unit][1]
        span = f" 不小于 {self.low} 的" if self.high is None else f" {self.low}–{self.high} 之间的"
        return f"{span}{_KIND_ZH[self.kind]}" + (f"（{unit}）" if unit else "")


SETTINGS = (
    Setting("WEIBAO_DB_URL", "SQLAlchemy URL of the database, e.g. `postgresql+psycopg://user@host/db`",
            "`sqlite:///var/weibao.sqlite` (embedded)", "URL"),
    Setting("WEIBAO_ID_KEY", "secret for the keyed hash of ID numbers; keep it outside the repository",
            "none (the loader refuses to run)", "text"),
    Setting("WEIBAO_TEST_PG_URL", "a PostgreSQL server the tests may create schemas in",
            "unset (PostgreSQL tests skipped)", "URL"),
    Setting("WEIBAO_BOUNDARIES",
            "your own boundary file (GeoJSON, `.shp` or zipped shapefile) with a `区划代码`/`code`/`adcode` column; "
            "it replaces the shipped shapes for every code it contains",
            "unset (shipped county outlines, synthetic townships)", "file path"),
    Setting("WEIBAO_RUBRIC", "the 考评 rubric (weights, targets, scoring rules; see [`docs/rubric.md`](docs/rubric.md))",
            "`queries/rubric.yaml`", "file path"),
    Setting("WEIBAO_AUTH_URL",
            "SQLAlchemy URL of the auth store (accounts, login lockout, audit log), kept apart from the child data; "
            "PostgreSQL works the same",
            "`sqlite:///var/auth.sqlite` (embedded)", "URL"),
    Setting("WEIBAO_COOKIE_KEY", "signs the login cookie; the same for every dashboard process",
            "`cookie_key` in `.streamlit/secrets.toml`; none → the dashboard refuses to start on real data "
            "(demo: a random key per process)", "text, at least 32 characters"),
    Setting("WEIBAO_SESSION_HOURS", "idle time after which a login ends (also the cookie's lifetime)",
            kind=float, value=8, unit="h", low=0.1, high=720),
    Setting("WEIBAO_SMALL_COUNT",
            "in files for outside readers (`--audience external`, 对外) every count from 1 to this minus 1 is shown "
            "as `<5` (`1` hides nothing)",
            kind=int, value=5, low=1, high=100),
    Setting("WEIBAO_BRIEFING_TEMPLATE",
            "the 情况通报's editable wording (主送, opening, 四、工作要求, issuer); placeholders `{region}` `{city}` "
            "`{month}` `{whole}` `{units}`",
            "`exports/templates/工作要求.yaml`", "file path"),
    Setting("WEIBAO_LOAD_MAX_ROWS",
            "data rows one `python -m data.load` invocation accepts; more is refused before parsing "
            "(see [`data/load/README.md`](data/load/README.md))",
            kind=int, value=1_000_000, unit="rows", low=1),
    Setting("WEIBAO_STATEMENT_TIMEOUT_MS",
            "the dashboard stops any database statement after this long (PostgreSQL `statement_timeout`, SQLite a "
            "progress handler) and says so in Chinese; `0` = no limit. Command-line readers (report, audit) have none",
            kind=int, value=15_000, unit="ms", low=0, high=3_600_000),
    Setting("WEIBAO_TODAY",
            "the day the product treats as today, for tests and for re-running a past month's files",
            "unset (the calendar's date)", "`YYYY-MM-DD`", kind=date),
    Setting("WEIBAO_DEMO_BASE",
            "`scripts/nginx_demo.sh` hands its browser check (`scripts/nginx_demo.py`) the dashboard's address "
            "behind nginx; not a deployment setting",
            "set by `scripts/nginx_demo.sh`", "URL, e.g. `https://127.0.0.1:8443/cockpit`"),
    Setting("WEIBAO_DEMO_PIDS",
            "`scripts/nginx_demo.sh` hands its browser check the dashboard processes it started; not a deployment "
            "setting",
            "set by `scripts/nginx_demo.sh`", "`host:port=PID,host:port=PID`"),
    Setting("WEIBAO_CACHE_TTL",
            "how long the dashboard keeps a computed view; an import refreshes the views sooner anyway "
            "(the data version is part of every cache key)",
            kind=int, value=600, unit="s", low=1, high=86_400),
    Setting("WEIBAO_CACHE_MAX_ENTRIES",
            "computed views the dashboard keeps per server process (memory against recomputation)",
            kind=int, value=512, unit="entries", low=16, high=100_000),
    Setting("WEIBAO_DATA_VERSION_TTL",
            "how often the dashboard re-reads the data version, i.e. how soon pages show an import",
            kind=int, value=5, unit="s", low=1, high=3_600),
    Setting("WEIBAO_WARM_EVERY",
            "how often the background warmer checks for an import, after which it recomputes recent views",
            kind=int, value=10, unit="s", low=1, high=3_600),
    Setting("WEIBAO_WARM_RECENT",
            "how many recent views (calls; about a dozen page views by default) the warmer recomputes after an "
            "import; `0` = none",
            kind=int, value=96, unit="views", low=0, high=10_000),
    Setting("WEIBAO_WEEKLY_SILENT_DAYS",
            "周调度: a township with no visit dated in this many days up to the week's Sunday is listed as silent",
            kind=int, value=14, unit="d", low=1, high=90),
    Setting("WEIBAO_WEEKLY_LOOKBACK_DAYS",
            "周调度: how far back a silent township's last visit is looked for (older: “no record in this many days”)",
            kind=int, value=90, unit="d", low=1, high=731, at_least="WEIBAO_WEEKLY_SILENT_DAYS"),
    Setting("WEIBAO_WEEKLY_OVERDUE_LOOKBACK_DAYS",
            "周调度: overdue assessments due longer ago than this are backlog and not counted this week",
            kind=int, value=365, unit="d", low=1, high=3_660),
    Setting("WEIBAO_WEEKLY_PACE_MIN_DAYS",
            "周调度: with at least this many days of the month left the remaining visits are put per week; "
            "with fewer, per day (a per-week figure would blow the last days up)",
            kind=int, value=7, unit="d", low=1, high=31),
)
_BY_NAME = {s.name: s for s in SETTINGS}


def declared(name: str) -> Setting:
    """The declaration of a variable; KeyError for one that is not declared (a bug, not a user's mistake)."""
    return _BY_NAME[name]


def _parse(s: Setting, raw: str):
    if s.kind is date:
        return date.fromisoformat(raw)
    text = raw.replace(",", "").replace("_", "")  # 1,000,000 as people write it
    if s.kind is int:
        return int(text)
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(raw)
    return value


def read(name: str, environ=None):
    """A tunable's value: the environment's (checked against its declaration), else its default.

    SettingError (Chinese, naming the variable, what it should be and the default) for a bad value.
    """
    s = declared(name)
    if not s.tunable:
        raise TypeError(f"{name} is a text setting: its own module reads it")
    env = os.environ if environ is None else environ
    raw = env.get(name, "").strip()
    if not raw:
        return s.value
    default = "不设置则为当天日期" if s.kind is date else f"不设置时为 {s.value}"
    try:
        value = _parse(s, raw)
    except ValueError:
        raise SettingError(f"环境变量 {name} 应为{s.rule_zh()}，现在是“{raw}”；{default}。") from None
    if s.kind is not date and (value < s.low or (s.high is not None and value > s.high)):
        raise SettingError(f"环境变量 {name} 应为{s.rule_zh()}，现在是“{raw}”；{default}。")
    if s.at_least:
        floor = read(s.at_least, env)
        if value < floor:
            raise SettingError(f"环境变量 {name}（{raw}）不能小于 {s.at_least}（{floor}）；{default}。")
    return value


def today() -> date:
    """The day the product treats as today: WEIBAO_TODAY (YYYY-MM-DD) when set, else the calendar's.

    SettingError (a ValueError, in Chinese) when it is set but not a date.
    """
    return read("WEIBAO_TODAY") or date.today()


def check(environ=None) -> None:
    """Read every tunable once: SettingError for the first bad one, so a program can refuse before it starts."""
    for s in SETTINGS:
        if s.tunable:
            read(s.name, environ)


def markdown_table() -> str:
    """README's 'Environment variables' table."""
    rows = ["| variable | default | allowed | meaning |", "| --- | --- | --- | --- |"]
    rows += [f"| `{s.name}` | {s.default_text()} | {s.allowed_text()} | {s.meaning} |" for s in SETTINGS]
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
