"""python -m data.load FILE [FILE ...] [--table NAME] [--db URL] [--replace-demo]: import ledgers."""

import argparse
import sys

from sqlalchemy.exc import SQLAlchemyError

from data.db import describe, get_engine, resolve_url
from data.ids import MissingKeyError
from data.load.result import LoadRefused, mask_text
from data.load.run import load_files
from data.load.spec import TABLES

# Exit codes: 0 loaded; 1 the files have errors (listed); 2 refused or the database failed;
# 3 an unexpected failure (still one Chinese line, never a traceback).
OK, BAD_DATA, REFUSED, UNEXPECTED = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(REFUSED, f"参数错误：{message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m data.load",
        description="把台账（.xlsx 工作簿或 .csv 文件）导入未保驾驶舱数据库。一次导入是一个事务："
                    "任何一行有错就什么都不写，并列出全部错误。",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help=".xlsx 或 .csv 文件")
    parser.add_argument("--table", help=f"CSV 文件对应的表（默认取文件名）：{'、'.join(TABLES)}")
    parser.add_argument("--db", help="数据库 URL（默认取环境变量 WEIBAO_DB_URL，再默认内置 SQLite 数据库）")
    parser.add_argument("--replace-demo", action="store_true",
                        help="数据库中是演示数据时，先删除全部演示数据再导入（同一事务内）")
    return parser


def _where(url: str) -> str:
    try:
        return describe(url)
    except Exception:
        return "（无法解析的数据库地址）"


def _database_error(exc: SQLAlchemyError) -> str:
    # The driver's own first line says what failed; SQLAlchemy's full text repeats SQL and values.
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return detail[0] if detail else type(exc).__name__


def main(argv=None) -> int:
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):  # a non-UTF-8 console must not crash a load
            stream.reconfigure(errors="backslashreplace")
    args = _parser().parse_args(argv)
    url = resolve_url(args.db)

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    try:
        engine = get_engine(url)
        result = load_files(args.files, engine, table=args.table, replace_demo=args.replace_demo,
                            progress=progress)
    except (MissingKeyError, LoadRefused) as exc:
        print(f"未导入：{exc}", file=sys.stderr)
        return REFUSED
    except SQLAlchemyError as exc:
        print(mask_text(f"未导入：无法读写数据库 {_where(url)}（{_database_error(exc)}），未写入任何数据。"),
              file=sys.stderr)
        return REFUSED
    except OSError as exc:
        print(mask_text(f"未导入：无法访问 {exc.filename or _where(url)}（{exc.strerror or exc}），未写入任何数据。"),
              file=sys.stderr)
        return REFUSED
    except KeyboardInterrupt:
        print("已中断，未写入任何数据。", file=sys.stderr)
        return REFUSED
    except Exception as exc:  # the promise to the clerk: one line in Chinese, never a traceback
        print(mask_text(f"未导入：发生意外错误（{type(exc).__name__}: {exc}），未写入任何数据。"),
              file=sys.stderr)
        return UNEXPECTED

    for warning in result.warnings:
        print(f"提示：{warning}", file=sys.stderr)
    if not result.ok:
        for problem in result.errors:
            print(problem, file=sys.stderr)
        print(f"共发现 {len(result.errors)} 处错误，未写入任何数据。", file=sys.stderr)
        return BAD_DATA
    total = sum(result.counts.values())
    print(f"导入成功，写入数据库 {_where(url)}：")
    for name, rows in result.counts.items():
        print(f"  {name}：{rows} 行")
    print(f"共 {total} 行。")
    return OK


if __name__ == "__main__":
    sys.exit(main())
