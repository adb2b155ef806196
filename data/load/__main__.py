"""python -m data.load FILE [FILE ...] [--table NAME] [--db URL] [--replace-demo]: import ledgers."""

import sys
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from data.cli import ChineseParser
from data.db import describe, get_engine, missing_file, resolve_url
from data.ids import MissingKeyError
from data.load.result import MAX_LISTED, LoadRefused, mask_text
from data.load.run import load_files
from data.load.spec import TABLES

# Exit codes: 0 loaded; 1 the files have errors (listed); 2 refused, the database failed, or the
# command line is wrong (argparse's code); 3 an unexpected failure (one Chinese line, never a traceback).
OK, BAD_DATA, REFUSED, UNEXPECTED = 0, 1, 2, 3


def _parser() -> ChineseParser:
    parser = ChineseParser(
        prog="python -m data.load",
        description="把台账（.xlsx 工作簿或 .csv 文件）导入未保驾驶舱数据库。一次导入是一个事务："
                    "任何一行有错就什么都不写，并列出全部错误。",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help=".xlsx 或 .csv 文件")
    parser.add_argument("--table", metavar="NAME", help=f"CSV 文件对应的表（默认取文件名）：{'、'.join(TABLES)}")
    parser.add_argument("--db", metavar="URL", help="数据库 URL（默认取环境变量 WEIBAO_DB_URL，再默认内置 SQLite 数据库）")
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


def _new_database(url: str) -> tuple[Path, list[Path]] | None:
    """For a SQLite file that does not exist yet: its path and the folders that would be created for it."""
    try:
        missing = missing_file(url)
    except Exception:  # an unparsable URL is reported when the engine is made
        return None
    if missing is None:
        return None
    path = Path(missing)
    folders = [p for p in path.parents if not p.exists()]
    return path, folders


def _remove_new(created: tuple[Path, list[Path]]) -> bool:
    """Remove a database this invocation created and loaded nothing into (and its new folders)."""
    path, folders = created
    try:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        for folder in folders:  # deepest first
            folder.rmdir()
    except OSError:
        return False
    return True


def main(argv=None) -> int:
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):  # a non-UTF-8 console must not crash a load
            stream.reconfigure(errors="backslashreplace")
    args = _parser().parse_args(argv)
    url = resolve_url(args.db)

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    created = _new_database(url)
    if created:
        progress(f"新建数据库：{created[0]}")
    code = _load(args, url, progress)
    if created and code != OK and _remove_new(created):
        # Nothing was written: leave no empty database behind at what may be a mistyped path.
        progress(f"已删除本次新建的空数据库：{created[0]}")
    return code


def _load(args, url: str, progress) -> int:
    """Load and report; the exit code."""
    engine = None
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
    finally:
        if engine is not None:
            engine.dispose()  # before a new, unused database file may be removed

    for warning in result.warnings:
        print(f"提示：{warning}", file=sys.stderr)
    if not result.ok:
        for problem in result.errors:
            print(problem, file=sys.stderr)
        if result.unlisted:
            print(f"另有 {result.error_count - len(result.errors):,} 处错误未逐条列出（最多逐条列出 {MAX_LISTED:,} 处），"
                  "按列汇总：", file=sys.stderr)
            for group in result.unlisted:
                print(f"  {group}", file=sys.stderr)
        print(f"共发现 {result.error_count:,} 处错误，未写入任何数据。", file=sys.stderr)
        return BAD_DATA
    total = sum(result.counts.values())
    print(f"导入成功，写入数据库 {_where(url)}：")
    for name, rows in result.counts.items():
        print(f"  {name}：{rows:,} 行")
    print(f"共 {total:,} 行。")
    return OK


if __name__ == "__main__":
    sys.exit(main())
