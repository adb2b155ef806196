"""Every command speaks Chinese at the edges: usage, help and argparse's own errors, in a subprocess."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from data.cli import ChineseParser, translate, wrap

ROOT = Path(__file__).resolve().parent.parent
CHINESE = re.compile(r"[\u4e00-\u9fff]")
# argparse's English; option names such as --format or --replace-demo are the command's own words.
ENGLISH = re.compile(r"\b(error|usage|required|arguments?|invalid|choices?|choose|expected|unrecognized|"
                     r"positional|options?|show|help message|exit|value)\b", re.I)


def run(module: str, *args: str, tmp_path: Path) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("WEIBAO_DB_URL", "WEIBAO_ID_KEY")}
    env["PYTHONPATH"] = str(ROOT)
    # A database that must never be touched: a usage error stops before any database is opened.
    env["WEIBAO_DB_URL"] = f"sqlite:///{tmp_path / 'untouched' / 'x.sqlite'}"
    done = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=env, capture_output=True,
                          timeout=60)
    return done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")


USAGE_ERRORS = [
    ("data.load", (), "缺少必需的参数：FILE"),
    ("data.load", ("a.xlsx", "--bogus"), "无法识别的参数：--bogus"),
    ("data.load", ("a.xlsx", "--db"), "参数 --db：后面缺少取值"),
    ("data.templates", (), "缺少必需的参数：OUT_DIR"),
    ("data.templates", ("out", "--db", "x"), "无法识别的参数：--db x"),
    ("data.demo", ("--scale", "county"), "参数 --scale：取值 “county” 无效，可选：city、province"),
    ("data.demo", ("--seed", "abc"), "参数 --seed：“abc” 不是整数"),
    ("queries.report", (), "缺少必需的参数：--month、--level"),
    ("queries.report", ("--month", "2024-06", "--level", "province"),
     "参数 --level：取值 “province” 无效，可选：city、county、township、village"),
    ("queries.report", ("--month", "2024-06", "--level", "city", "--format", "xml"),
     "参数 --format：取值 “xml” 无效，可选：csv、json"),
    ("queries.docs", ("--bogus",), "无法识别的参数：--bogus"),
]


@pytest.mark.parametrize("module, args, expected", USAGE_ERRORS,
                         ids=[f"{m} {' '.join(a)}".strip() for m, a, _ in USAGE_ERRORS])
def test_usage_errors_are_chinese(tmp_path, module, args, expected):
    code, out, err = run(module, *args, tmp_path=tmp_path)
    assert code == 2  # argparse's code, documented in README (data.load: same as 'refused')
    assert out == ""
    assert expected in err, err
    assert err.startswith(f"用法：python -m {module} "), err
    assert f"python -m {module}：参数错误：" in err
    assert not ENGLISH.search(err), err
    assert "Traceback" not in err
    assert not (tmp_path / "untouched").exists()


@pytest.mark.parametrize("module", ["data.load", "data.templates", "data.demo", "queries.report", "queries.docs"])
def test_help_is_chinese(tmp_path, module):
    code, out, err = run(module, "-h", tmp_path=tmp_path)
    assert code == 0 and err == ""
    assert out.startswith(f"用法：python -m {module} ")
    assert "选项" in out and "显示本帮助并退出" in out
    assert not ENGLISH.search(out), out
    for line in out.splitlines():  # wrapped by display width: a Chinese character takes two columns
        assert sum(2 if CHINESE.match(c) else 1 for c in line) <= 100, line


# ------------------------------------------------------------------ the translations themselves

@pytest.mark.parametrize("english, chinese", [
    ("the following arguments are required: --month, --level", "缺少必需的参数：--month、--level"),
    ("unrecognized arguments: --x y", "无法识别的参数：--x y"),
    ("argument --level: invalid choice: 'x' (choose from 'city', 'county')",
     "参数 --level：取值 “x” 无效，可选：city、county"),
    ("argument --level: invalid choice: 'x' (choose from city, county)",  # Python 3.12+
     "参数 --level：取值 “x” 无效，可选：city、county"),
    ("argument --seed: invalid int value: 'abc'", "参数 --seed：“abc” 不是整数"),
    ("argument --rate: invalid float value: 'a'", "参数 --rate：“a” 不是数字"),
    ("argument --db: expected one argument", "参数 --db：后面缺少取值"),
    ("argument FILE: expected at least one argument", "参数 FILE：后面至少要跟一个取值"),
    ("argument --force: ignored explicit argument 'yes'", "参数 --force：不接受取值 “yes”"),
    ("ambiguous option: --re could match --region, --replace", "选项 --re 有歧义，可能是：--region、--replace"),
    ("argument --month: 月份格式应为 YYYY-MM", "参数 --month：月份格式应为 YYYY-MM"),
])
def test_translate(english, chinese):
    assert translate(english) == chinese


def test_parser_error_exits_2_in_chinese(capsys):
    parser = ChineseParser(prog="demo")
    parser.add_argument("--n", type=int, required=True)
    with pytest.raises(SystemExit) as stop:
        parser.parse_args(["--n", "x"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "demo：参数错误：参数 --n：“x” 不是整数" in err and not ENGLISH.search(err)


def test_wrap_counts_columns_and_keeps_punctuation():
    lines = wrap("数据库 URL（默认取环境变量 WEIBAO_DB_URL，再默认内置 SQLite 数据库）", 30)
    assert all(sum(2 if CHINESE.match(c) or c in "（），" else 1 for c in line) <= 32 for line in lines)
    assert "WEIBAO_DB_URL" in "".join(lines)  # an English word is never split
    assert not any(line.startswith(("）", "，")) for line in lines)
