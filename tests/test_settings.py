"""WEIBAO_* settings: declared once (data/settings.py), README's table equal to them, a bad value one Chinese line."""

import ast
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from data import settings
from data.settings import SETTINGS, UNITS, SettingError, markdown_table

ROOT = Path(__file__).resolve().parent.parent
CODE = ("dashboard", "queries", "data", "exports", "scripts", "tests")
TUNABLES = [s for s in SETTINGS if s.tunable and s.kind is not date]
# Read directly, not through settings.read, in files another change owns (data/load, data/kept.py): to be
# routed through settings.read there; until then they must keep the same rule (the loader's default is
# checked below).
DIRECT_READS = {"WEIBAO_LOAD_MAX_ROWS": {"data/load/run.py"}}
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _sources():
    """Every Python file of the project except the virtualenv and the tests (hidden folders left out too)."""
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if parts[0] in (".venv", "tests") or any(p.startswith(".") for p in parts):
            continue
        yield path


def _readme_table() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Environment variables\n", 1)[1].split("\n## ", 1)[0]
    return "\n".join(line for line in section.splitlines() if line.startswith("|"))


def test_readme_table_is_the_declarations():
    # Equal, not contained: a row added to README by hand (or left over) fails as well as a missing one.
    assert _readme_table() == markdown_table(), "run python -m data.settings and paste its table into README.md"


def test_every_variable_in_the_code_is_declared_and_every_declaration_is_used():
    used = set()
    for folder in CODE:
        for path in (ROOT / folder).rglob("*.py"):
            if path.name in ("settings.py", "test_settings.py"):
                continue
            used |= set(re.findall(r"WEIBAO_[A-Z_]+[A-Z]", path.read_text(encoding="utf-8")))
    declared = {s.name for s in SETTINGS}
    assert len(declared) == len(SETTINGS), "a variable declared twice"
    assert used - declared == set(), "read in the code but not declared in data/settings.py"
    assert declared - used == set(), "declared but read nowhere"


_ENV_READ = re.compile(r"os\.(?:environ\s*\[|environ\.get\(|environ\.setdefault\(|environ\.pop\(|getenv\()\s*"
                       r"(\"[^\"]*\"|'[^']*'|[A-Za-z_][\w.]*)")
_ENV_CONST = re.compile(r"^\s*([A-Z_][A-Z0-9_]*)\s*=\s*[\"'](WEIBAO_[A-Z0-9_]+)[\"']", re.MULTILINE)


def _environment_reads() -> dict[str, set[str]]:
    """WEIBAO_* name → files reading it with os.environ[…], os.environ.get(…), os.getenv(…): by its literal
    name or by a module constant holding it (KEY_ENV = "WEIBAO_ID_KEY"; `ids.KEY_ENV` in another file)."""
    texts = {path: path.read_text(encoding="utf-8") for path in _sources()}
    constants = {path: dict(_ENV_CONST.findall(text)) for path, text in texts.items()}
    by_stem = {path.stem: consts for path, consts in constants.items()}
    anywhere: dict[str, set[str]] = {}
    for consts in constants.values():
        for const, name in consts.items():
            anywhere.setdefault(const, set()).add(name)
    reads: dict[str, set[str]] = {}
    for path, text in texts.items():
        for match in _ENV_READ.finditer(text):
            arg = match.group(1)
            if re.match(r"\s*\]\s*=(?!=)", text[match.end():]):
                continue  # os.environ[NAME] = …: a script setting it for what it runs, not a read
            if arg[0] in "\"'":
                names = {arg.strip("\"'")}
            elif "." in arg:  # module.CONSTANT
                module, const = arg.rsplit(".", 1)
                names = {by_stem.get(module.rsplit(".", 1)[-1], {}).get(const)} - {None} or anywhere.get(const, set())
            else:  # this file's constant, else one imported by name
                names = {constants[path][arg]} if arg in constants[path] else anywhere.get(arg, set())
            for name in names:
                if name.startswith("WEIBAO_"):
                    reads.setdefault(name, set()).add(path.relative_to(ROOT).as_posix())
    return reads


def test_the_grep_finds_the_reads_it_is_meant_to():
    # The tests below would pass on a pattern that matches nothing.
    reads = _environment_reads()
    assert {"WEIBAO_DB_URL", "WEIBAO_COOKIE_KEY", "WEIBAO_ID_KEY", "WEIBAO_LOAD_MAX_ROWS"} <= reads.keys()
    assert "dashboard/login.py" in reads["WEIBAO_COOKIE_KEY"]  # through KEY_ENV, which data/ids.py also names


def test_no_environment_read_of_an_undeclared_variable():
    undeclared = {name: files for name, files in _environment_reads().items() if name not in settings._BY_NAME}
    assert undeclared == {}, "declare these in data/settings.py (name, default, bounds, help)"


def test_tunables_are_read_only_through_settings_read():
    direct = {}
    for name, files in _environment_reads().items():
        s = settings._BY_NAME.get(name)
        if s is not None and s.tunable:
            rest = files - {"data/settings.py"} - DIRECT_READS.get(name, set())
            if rest:
                direct[name] = rest
    assert direct == {}, "read these with data.settings.read(name): it checks the bounds and says what is wrong"


def test_the_loader_keeps_the_declared_row_limit():
    from data.load.check import DEFAULT_MAX_ROWS

    assert DEFAULT_MAX_ROWS == settings.declared("WEIBAO_LOAD_MAX_ROWS").value


@pytest.mark.parametrize("s", SETTINGS, ids=lambda s: s.name)
def test_each_declaration_is_complete(s):
    assert s.meaning and s.default_text() and s.allowed_text()
    assert s.unit in UNITS
    if s.kind in (int, float):
        assert isinstance(s.value, (int, float)) and not isinstance(s.value, bool)
        assert s.low is not None and s.low <= s.value and (s.high is None or s.value <= s.high), "default out of bounds"
        assert settings.read(s.name, {}) == s.value
    elif s.kind is date:
        assert s.value is None and settings.read(s.name, {}) is None
    else:
        assert s.value is None and s.low is None and s.high is None


@pytest.mark.parametrize("s", TUNABLES, ids=lambda s: s.name)
def test_a_bad_value_is_a_chinese_line_naming_the_variable(s):
    bad = ["abc", "1.5" if s.kind is int else "nan", str(s.low - 1)]
    if s.high is not None:
        bad.append(str(s.high + 1))
    for raw in bad:
        with pytest.raises(SettingError) as caught:
            settings.read(s.name, {s.name: raw})
        message = str(caught.value)
        assert s.name in message and f"“{raw}”" in message and _CJK.search(message), message
        assert f"不设置时为 {s.value}" in message
    assert isinstance(caught.value, ValueError)  # callers that already turn ValueError into Chinese keep working


def test_a_valid_value_is_read_with_its_type():
    assert settings.read("WEIBAO_CACHE_TTL", {"WEIBAO_CACHE_TTL": " 30 "}) == 30
    assert settings.read("WEIBAO_LOAD_MAX_ROWS", {"WEIBAO_LOAD_MAX_ROWS": "2,000,000"}) == 2_000_000
    assert settings.read("WEIBAO_SESSION_HOURS", {"WEIBAO_SESSION_HOURS": "0.5"}) == 0.5
    assert settings.read("WEIBAO_STATEMENT_TIMEOUT_MS", {"WEIBAO_STATEMENT_TIMEOUT_MS": "0"}) == 0
    assert settings.read("WEIBAO_TODAY", {"WEIBAO_TODAY": "2026-11-30"}) == date(2026, 11, 30)
    with pytest.raises(SettingError, match="环境变量 WEIBAO_TODAY 应为日期（YYYY-MM-DD），现在是“昨天”"):
        settings.read("WEIBAO_TODAY", {"WEIBAO_TODAY": "昨天"})
    with pytest.raises(TypeError):  # text settings are read (and checked) by their own modules
        settings.read("WEIBAO_DB_URL", {})


def test_the_look_back_may_not_be_shorter_than_the_silent_window():
    env = {"WEIBAO_WEEKLY_SILENT_DAYS": "30", "WEIBAO_WEEKLY_LOOKBACK_DAYS": "20"}
    with pytest.raises(SettingError, match="WEIBAO_WEEKLY_LOOKBACK_DAYS（20）不能小于 WEIBAO_WEEKLY_SILENT_DAYS（30）"):
        settings.check(env)
    settings.check({**env, "WEIBAO_WEEKLY_LOOKBACK_DAYS": "30"})


def test_settings_imports_nothing_above_data():
    tree = ast.parse((ROOT / "data" / "settings.py").read_text(encoding="utf-8"))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {m for m in names if m.split(".")[0] in ("queries", "exports", "dashboard", "streamlit")}


# ---- the readers use it -------------------------------------------------------------------------------

def test_existing_readers_go_through_the_declarations(monkeypatch):
    from dashboard import login
    from data.db import statement_timeout_ms
    from exports.job import ExportError, small_count_threshold
    from queries.periods import today

    monkeypatch.setenv("WEIBAO_SESSION_HOURS", "1.5")
    monkeypatch.setenv("WEIBAO_SMALL_COUNT", "10")
    monkeypatch.setenv("WEIBAO_STATEMENT_TIMEOUT_MS", "2500")
    monkeypatch.setenv("WEIBAO_TODAY", "2026-11-30")
    assert (login.session_hours(), small_count_threshold(), statement_timeout_ms(), today()) == \
        (1.5, 10, 2500, date(2026, 11, 30))
    monkeypatch.setenv("WEIBAO_SESSION_HOURS", "0")
    with pytest.raises(login.LoginSetupError, match="环境变量 WEIBAO_SESSION_HOURS 应为 0.1–720 之间的数（小时）"):
        login.session_hours()
    monkeypatch.setenv("WEIBAO_SMALL_COUNT", "五")
    with pytest.raises(ExportError, match="环境变量 WEIBAO_SMALL_COUNT 应为 1–100 之间的整数，现在是“五”"):
        small_count_threshold()


def test_weekly_thresholds_from_the_environment_change_what_is_flagged(tmp_path, monkeypatch):
    from data.db import get_engine
    from queries import weekly
    from queries.engine import Scope
    from tests.test_weekly_queries import T3, T5, T6, WEEK, build

    url = f"sqlite:///{tmp_path / 'weekly.sqlite'}"
    build(url)
    engine = get_engine(url)

    def silent():
        with engine.connect() as conn:
            return set(weekly.silent_townships(conn, Scope.everything(), WEEK).index)

    try:
        monkeypatch.delenv("WEIBAO_WEEKLY_SILENT_DAYS", raising=False)
        assert silent() == {T3, T6}  # 金庄镇 last visited 20 days before Sunday, 康驿镇 never
        monkeypatch.setenv("WEIBAO_WEEKLY_SILENT_DAYS", "13")
        assert silent() == {T3, T5, T6}  # 郭楼镇's visit 13 days before Sunday is now outside the window
        monkeypatch.setenv("WEIBAO_WEEKLY_SILENT_DAYS", "21")
        assert silent() == {T6}
        assert weekly.SILENT_DAYS == 21  # the old constant name, for the page and the PDF, reads it too
    finally:
        engine.dispose()

    wk = weekly.Week.parse(WEEK)  # 8 days of November left after Sunday 11-22
    assert wk.pace_mode == weekly.PACE_WEEKLY
    monkeypatch.setenv("WEIBAO_WEEKLY_PACE_MIN_DAYS", "9")
    assert wk.pace_mode == weekly.PACE_DAILY
    monkeypatch.setenv("WEIBAO_WEEKLY_OVERDUE_LOOKBACK_DAYS", "30")
    assert weekly.week_params(wk)["overdue_from"] == date(2026, 10, 23)
    monkeypatch.setenv("WEIBAO_WEEKLY_PACE_MIN_DAYS", "一周")
    with pytest.raises(SettingError, match="WEIBAO_WEEKLY_PACE_MIN_DAYS"):
        wk.pace_mode


_ENGINE_PROBE = """
from dashboard import engine
print(engine.TTL, engine._call._info.ttl, engine._call._info.max_entries, engine._data_version._info.ttl)
"""


def _probe(**env) -> list[str]:
    import os

    run = subprocess.run([sys.executable, "-c", _ENGINE_PROBE], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, **env}, timeout=120)
    assert run.returncode == 0, run.stderr
    return run.stdout.split()


def test_the_dashboard_cache_reads_its_settings():
    # A fresh process: st.cache_data takes ttl and max_entries when dashboard.engine is imported.
    assert _probe(WEIBAO_CACHE_TTL="30", WEIBAO_CACHE_MAX_ENTRIES="64", WEIBAO_DATA_VERSION_TTL="2") == \
        ["30", "30", "64", "2"]
    # A bad value does not stop the import (a traceback on the page): the defaults, and the pages say why.
    assert _probe(WEIBAO_CACHE_TTL="十分钟") == ["600", "600", "512", "5"]


def test_the_warmer_reads_how_many_views_it_keeps(monkeypatch):
    from dashboard import engine

    monkeypatch.setenv("WEIBAO_WARM_RECENT", "2")
    saved = engine._recent.copy()
    engine._recent.clear()
    try:
        for n in range(5):
            engine._remember("sqlite://", ("m.f", None, None, (n,), ()))
        assert [key[3] for _url, key in engine._recent.values()] == [(3,), (4,)]
    finally:
        engine._recent.clear()
        engine._recent.update(saved)


def test_a_bad_setting_is_said_on_the_page_not_a_traceback(tmp_path, monkeypatch):
    from data.db import get_engine
    from dashboard import engine
    from tests.test_weekly_queries import build

    url = f"sqlite:///{tmp_path / 'weekly.sqlite'}"
    build(url)
    get_engine(url).dispose()
    monkeypatch.setenv("WEIBAO_DB_URL", url)
    monkeypatch.setenv("WEIBAO_CACHE_TTL", "十分钟")
    with pytest.raises(engine.DataUnavailable) as caught:
        engine._read(lambda conn: 1)
    assert str(caught.value) == ("看板设置有误：环境变量 WEIBAO_CACHE_TTL 应为 1–86400 之间的整数（秒），现在是“十分钟”；"
                                 "不设置时为 600。请改正后重启看板。")


def test_a_bad_setting_stops_the_dashboard_with_the_message(demo_url, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.login import login

    from dashboard import engine

    monkeypatch.setenv("WEIBAO_DB_URL", demo_url)
    monkeypatch.setenv("WEIBAO_WEEKLY_SILENT_DAYS", "两周")
    # A server reads its environment once; this process's earlier pages may have the data version cached.
    engine._data_version.clear()
    at = login(AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=180))
    at.run()
    assert not at.exception
    assert any("环境变量 WEIBAO_WEEKLY_SILENT_DAYS 应为 1–90 之间的整数（天），现在是“两周”" in e.value for e in at.error)


def test_a_bad_setting_ends_an_export_with_the_message(demo_url, tmp_path, capsys, monkeypatch):
    from exports.__main__ import main
    from tests.login import top_region

    monkeypatch.setenv("WEIBAO_WEEKLY_LOOKBACK_DAYS", "3")
    code = main(["weekly", "--region", top_region(demo_url), "--week", "2026-W47", "--out", str(tmp_path),
                 "--db", demo_url])
    assert code == 1
    assert capsys.readouterr().err.strip() == ("错误：环境变量 WEIBAO_WEEKLY_LOOKBACK_DAYS（3）不能小于 "
                                               "WEIBAO_WEEKLY_SILENT_DAYS（14）；不设置时为 90。")
    assert not list(tmp_path.iterdir())  # refused before any file was begun
