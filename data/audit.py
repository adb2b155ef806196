"""python -m data.audit verify|list: check the audit chain, or print audit records as CSV; opens the store read-only."""

import argparse
import csv
import sys
from datetime import date, datetime, timezone

from sqlalchemy.exc import SQLAlchemyError

from data.auth.audit import ACTIONS, audit_rows, canonical_details, verify_chain
from data.auth.store import auth_url
from data.cli import ChineseParser
from data.db import describe, get_engine, missing_file

OK, FAILED = 0, 1


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}” 不是日期（应为 YYYY-MM-DD）") from None


def _parser() -> ChineseParser:
    parser = ChineseParser(prog="python -m data.audit",
                           description="审计日志：核对哈希链是否完整，或以 CSV 列出记录。只读打开账号库。")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="命令", required=True)
    commands.add_parser("verify", help="核对哈希链：完整时退出码 0，否则指出第一条有问题的记录并退出码 1",
                        description="从第一条记录起核对哈希链。")
    listing = commands.add_parser("list", help="以 CSV（UTF-8）列出审计记录",
                                  description="以 CSV（UTF-8，中文表头）列出审计记录，按编号排序；时间为本地时间。")
    listing.add_argument("--user", metavar="NAME", help="只列这个用户名的记录")
    listing.add_argument("--since", metavar="YYYY-MM-DD", type=_day, help="只列这一天（本地时间）零点以后的记录")
    listing.add_argument("--action", choices=ACTIONS, metavar="ACTION",
                         help="只列这种操作：" + "、".join(f"{k} {v}" for k, v in ACTIONS.items()))
    for sub in commands.choices.values():
        sub.add_argument("--auth", metavar="URL", help="账号库地址（默认 WEIBAO_AUTH_URL，再默认 var/auth.sqlite）")
    return parser


def _local_midnight(day: date) -> datetime:
    """The day's start in local time, as an aware UTC time (the times people read are local)."""
    return datetime(day.year, day.month, day.day).astimezone().astimezone(timezone.utc)


def _first_line(exc: Exception) -> str:
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return detail[0] if detail else type(exc).__name__


def main(argv=None) -> int:
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="backslashreplace")
    args = _parser().parse_args(argv)
    url = auth_url(args.auth)
    missing = missing_file(url)
    if missing:
        print(f"错误：账号库不存在：{missing}（用 --auth 或 WEIBAO_AUTH_URL 指定）", file=sys.stderr)
        return FAILED
    engine = get_engine(url, read_only=True)
    try:
        if args.command == "verify":
            state = verify_chain(engine)
            print(state.message)
            if state.ok and state.count:
                print(f"最后一条 #{state.count}，哈希 {state.last_hash}（可另行保存，日后核对）")
            return OK if state.ok else FAILED
        since = _local_midnight(args.since) if args.since else None
        out = csv.writer(sys.stdout, lineterminator="\n")
        out.writerow(["编号", "时间", "用户", "操作", "操作名称", "详情"])
        for e in audit_rows(engine, user=args.user, since=since, action=args.action):
            out.writerow([e.id, e.local_minute, e.username or "", e.action, e.action_label,
                          canonical_details(e.details)])
        return OK
    except SQLAlchemyError as exc:
        print(f"错误：无法读取审计日志（{describe(url)}）：{_first_line(exc)}", file=sys.stderr)
        return FAILED
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
