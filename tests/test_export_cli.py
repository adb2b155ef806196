"""python -m exports: Chinese errors and exit codes, file names, scope of an account, audit records, all --per-county."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from data.auth import audit_rows, auth_engine
from exports.__main__ import main, week_of_month
from tests.fixtures.rollout import CITY, FULL, REGIONS_ONLY
from tests.login import account

ROOT = Path(__file__).resolve().parent.parent
MONTH = "2026-11"


def _exports(rows, since_id: int = 0):
    return [r for r in rows if r.action == "export" and r.id > since_id]


def _last_id() -> int:
    rows = audit_rows(auth_engine())
    return max((r.id for r in rows), default=0)


def test_bad_region_is_one_chinese_line_and_exit_1(demo_url, tmp_path):
    # A real process: what a scheduler sees.
    out = subprocess.run([sys.executable, "-m", "exports", "meeting", "--region", "999999999999", "--month", MONTH,
                          "--out", str(tmp_path), "--db", demo_url], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert out.returncode == 1
    assert out.stderr.strip() == "错误：区划代码 999999999999 不存在。"
    assert "Traceback" not in out.stderr and out.stdout == ""
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("argv, message", [
    (["meeting", "--region", "泗水县", "--month", MONTH], "--region 应为 12 位区划代码：泗水县"),
    (["meeting", "--region", FULL, "--month", "2026-13"], "月"),
    (["weekly", "--region", CITY, "--week", "2026-W60"], "没有这一周：2026-W60"),
    (["weekly", "--region", CITY, "--week", "47"], "周的格式应为 YYYY-Www"),
    (["briefing", "--region", "370831103000", "--month", MONTH], "导出按市或县级区划制作"),
    (["meeting", "--region", FULL, "--month", MONTH, "--user", "nobody-here"], "账号 nobody-here 不存在"),
    (["all", "--region", FULL, "--month", MONTH], "all 的 --region 应为市的区划代码"),
])
def test_wrong_requests_are_refused_in_chinese(demo_url, tmp_path, capsys, argv, message):
    code = main([*argv, "--out", str(tmp_path), "--db", demo_url])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("错误：") and message in err
    assert not any(tmp_path.iterdir())


def test_missing_database_is_refused(tmp_path, capsys):
    missing = tmp_path / "none.sqlite"
    assert main(["meeting", "--region", FULL, "--month", MONTH, "--out", str(tmp_path / "o"),
                 "--db", f"sqlite:///{missing}"]) == 1
    assert "数据库文件不存在" in capsys.readouterr().err
    assert not missing.exists()


def test_week_of_a_month_is_its_last_whole_week():
    # 2026-11-30 is a Monday: November's last whole week ends on Sunday 29 November (ISO week 48).
    assert week_of_month("2026-11") == "2026-W48"
    # 2026-10-31 is a Saturday: the last whole week of October ends on Sunday 25 October (W43).
    assert week_of_month("2026-10") == "2026-W43"


def test_a_county_account_cannot_export_the_city_and_is_audited(demo_url, tmp_path, capsys):
    user = account("county", FULL, db_url=demo_url)
    before = _last_id()
    assert main(["meeting", "--region", CITY, "--month", MONTH, "--user", user, "--out", str(tmp_path),
                 "--db", demo_url]) == 1
    assert f"账号 {user} 无权导出区划 {CITY}，已记录。" in capsys.readouterr().err
    denied = [r for r in audit_rows(auth_engine()) if r.id > before and r.action == "denied"]
    assert [(r.username, r.details["region"]) for r in denied] == [(user, CITY)]
    assert not any(tmp_path.iterdir())


def test_one_export_writes_its_file_prints_its_path_and_is_audited(demo_url, tmp_path, capsys):
    from exports.job import os_user

    before = _last_id()
    assert main(["briefing", "--region", FULL, "--month", MONTH, "--out", str(tmp_path), "--db", demo_url]) == 0
    printed = capsys.readouterr().out.split()
    path = tmp_path / "泗水县_2026年11月_情况通报.docx"
    assert printed == [str(path)]
    assert path.stat().st_size > 5000 and path.read_bytes()[:2] == b"PK"
    assert not list(tmp_path.glob("*.part"))
    records = _exports(audit_rows(auth_engine()), before)
    assert len(records) == 1
    r = records[0]
    assert r.username == os_user()  # no --user: the operating-system account
    assert (r.details["kind"], r.details["region"], r.details["period"], r.details["audience"]) == \
        ("情况通报", FULL, MONTH, "internal")
    assert r.details["files"] == [path.name]


def _cron_line() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = [line for line in readme.splitlines() if line.startswith("0 6 3 * * ")]
    assert len(lines) == 1, "README shows one cron line for the monthly packs"
    return lines[0]


def test_the_readme_cron_line_writes_a_folder_per_county_on_a_partial_rollout(rollout_url, tmp_path):
    """README's cron line, run as cron would (its own shell, its own date), on the partial roll-out: 泗水县 with
    data, 梁山县 with regions only — whose folder must be complete too."""
    line = _cron_line()
    command = line.removeprefix("0 6 3 * * ").replace("\\%", "%")  # cron's escaped % is a plain % in the shell
    assert command.startswith("cd /srv/weibao && .venv/bin/python -m exports all ")
    command = command.removeprefix("cd /srv/weibao && .venv/bin/python").replace(" >> var/exports.log 2>&1", "")
    user = account("city", CITY, db_url=rollout_url)
    before = _last_id()
    out = subprocess.run(["bash", "-c", f"{sys.executable} {command} --user {user}"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=600,
                         env={**os.environ, "PYTHONPATH": str(ROOT), "WEIBAO_DB_URL": rollout_url})
    assert out.returncode == 0, out.stderr
    month = subprocess.run(["date", "-d", "last month", "+%Y-%m"], capture_output=True, text=True).stdout.strip()
    year, number = int(month[:4]), int(month[5:])
    period = f"{year}年{number}月"
    packs = tmp_path / "packs" / month
    folders = sorted(p.name for p in packs.iterdir())
    assert folders == sorted(["济宁市", "泗水县", "梁山县"])
    week = week_of_month(month)
    week_text = f"{week[:4]}年第{int(week[6:])}周"
    for folder in folders:
        names = sorted(p.name for p in (packs / folder).iterdir())
        assert names == sorted([f"{folder}_{period}_会议材料.pptx", f"{folder}_{period}_情况通报.docx",
                                f"{folder}_{period}_考评.xlsx", f"{folder}_{period}_考评.pdf",
                                f"{folder}_{period}_驾驶舱.pdf", f"{folder}_{week_text}_周调度.pdf"]), folder
    assert sorted(out.stdout.split()) == sorted(str(p.relative_to(tmp_path)) for p in packs.glob("*/*"))
    records = _exports(audit_rows(auth_engine()), before)
    assert len(records) == 3 * 5
    assert {r.username for r in records} == {user}
    assert {r.details["region"] for r in records} == {CITY, FULL, REGIONS_ONLY}


def test_a_file_that_fails_to_build_is_a_chinese_line_and_a_log(demo_url, tmp_path, capsys, monkeypatch):
    import exports.briefing

    def broken(conn, job):
        raise ZeroDivisionError("simulated defect")

    monkeypatch.setattr(exports.briefing, "build", broken)
    assert main(["briefing", "--region", FULL, "--month", MONTH, "--out", str(tmp_path), "--db", demo_url]) == 1
    err = capsys.readouterr().err
    log = tmp_path / "导出错误.log"
    assert err.strip() == f"错误：泗水县的情况通报未能生成（ZeroDivisionError），详情见 {log}"
    assert "Traceback" not in err
    assert "simulated defect" in log.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["导出错误.log"]
