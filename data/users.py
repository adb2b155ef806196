"""python -m data.users add|list|passwd|disable|enable: manage the dashboard's accounts in the auth store."""

import csv
import getpass
import os
import sys

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from data.auth import (
    ROLE_LABELS, ROLES, AccountError, add_user, auth_engine, get_user, list_users, set_enabled, set_password,
)
from data.auth.accounts import password_problem, region_problem, username_problem
from data.auth.store import auth_url
from data.cli import ChineseParser, minute
from data.db import describe, get_engine, missing_file, resolve_url
from data.schema import region

OK, FAILED = 0, 1
AUTH_HELP = "账号库地址（默认 WEIBAO_AUTH_URL，再默认 var/auth.sqlite）"


def _parser() -> ChineseParser:
    parser = ChineseParser(
        prog="python -m data.users",
        description="管理驾驶舱的登录账号（保存在独立的账号库 WEIBAO_AUTH_URL 中，密码只存 argon2 哈希）。"
                    "每次改动都记入审计日志。")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="命令", required=True)

    add = commands.add_parser("add", help="新增账号（密码从标准输入读一行，或在终端输入两次）",
                              description="新增账号。密码：标准输入不是终端时读取一行；是终端时提示输入两次（不回显）。")
    add.add_argument("username", metavar="USERNAME", help="用户名（2–64 个字母、汉字、数字或 . _ @ -）")
    add.add_argument("--role", required=True, choices=ROLES,
                     help="角色：" + "、".join(f"{k} {v}" for k, v in ROLE_LABELS.items()))
    add.add_argument("--region", required=True, metavar="CODE",
                     help="区划代码：县级账号为县级单位代码，其余为市代码（或省的最上级代码）")
    add.add_argument("--name", metavar="NAME", help="显示名，如“泗水县民政局”（默认同用户名）")
    add.add_argument("--db", metavar="URL", help="数据数据库地址，用于核对区划（默认 WEIBAO_DB_URL 或内置 SQLite；只读打开）")

    listing = commands.add_parser("list", help="列出全部账号（不含密码哈希）",
                                  description="以 CSV 列出全部账号（不含密码哈希）。")
    listing.add_argument("--db", metavar="URL", help="数据数据库地址，用于显示区域名称（只读打开；打不开时不显示名称）")

    for name, text in (("passwd", "修改密码（同时解除锁定）"), ("disable", "停用账号"),
                       ("enable", "启用账号（同时解除锁定）")):
        sub = commands.add_parser(name, help=text, description=text + "。")
        sub.add_argument("username", metavar="USERNAME", help="用户名")
    for sub in commands.choices.values():
        sub.add_argument("--auth", metavar="URL", help=AUTH_HELP)
    return parser


def _operator() -> str:
    """Who ran the command, for the audit record."""
    try:
        name = getpass.getuser()
    except Exception:  # no passwd entry for the uid (containers)
        name = os.environ.get("USER") or str(os.getuid())
    return f"cli:{name}"


def _fail(message: str) -> int:
    print(f"错误：{message}", file=sys.stderr)
    return FAILED


def _read_password(username: str) -> tuple[str | None, str | None]:
    """(password, None) or (None, why not): one line of standard input, or twice without echo at a terminal."""
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        if not line:
            return None, "标准输入中没有密码（应为一行）"
        password = line.rstrip("\r\n")
    else:
        password = getpass.getpass(f"{username} 的新密码：")
        if password_problem(password, username) is None and getpass.getpass("再输入一次：") != password:
            return None, "两次输入的密码不一致，未作改动"
    problem = password_problem(password, username)
    return (None, problem) if problem else (password, None)


def _data_region(args) -> tuple[str | None, str | None]:
    """Check --region against the data database (opened read-only): (error, region name)."""
    url = resolve_url(args.db)
    try:
        missing = missing_file(url)
        if missing:
            return f"数据数据库文件不存在：{missing}（用 --db 或 WEIBAO_DB_URL 指定）", None
        engine = get_engine(url, read_only=True)
        try:
            with engine.connect() as conn:
                problem, name = region_problem(conn, args.role, args.region)
        finally:
            engine.dispose()
    except SQLAlchemyError as exc:
        return f"无法读取数据数据库 {describe(url)}：{_first_line(exc)}", None
    if problem and name is None:
        problem += f"（数据库 {describe(url)}）"
    return problem, name


def _first_line(exc: Exception) -> str:
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return detail[0] if detail else type(exc).__name__


def _region_names(db: str | None) -> dict[str, str]:
    """Region names for the listing, or {} when the data database cannot be read (names are a courtesy)."""
    url = resolve_url(db)
    try:
        if missing_file(url):
            return {}
        engine = get_engine(url, read_only=True)
        try:
            with engine.connect() as conn:
                return dict(conn.execute(select(region.c.code, region.c.name)).all())
        finally:
            engine.dispose()
    except SQLAlchemyError:
        return {}


def _add(engine, args) -> int:
    problem = username_problem(args.username)
    if problem:
        return _fail(problem)
    if get_user(engine, args.username):
        return _fail(f"用户 {args.username} 已存在")
    problem, region_name = _data_region(args)
    if problem:
        return _fail(problem)
    password, problem = _read_password(args.username)
    if problem:
        return _fail(problem)
    user = add_user(engine, args.username, password, args.role, args.region, args.name, by=_operator())
    print(f"已新增用户 {user.username}（{user.display_name}，{user.role_label}，{user.region_code} {region_name}）")
    return OK


def _list(engine, args) -> int:
    _list_rows(list_users(engine), _region_names(args.db))
    return OK


def _list_rows(accounts, names: dict[str, str]) -> None:
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["用户名", "显示名", "角色", "区划代码", "区域", "状态", "演示账号", "创建时间"])
    for u in accounts:
        out.writerow([u.username, u.display_name, u.role_label, u.region_code, names.get(u.region_code, ""),
                      "启用" if u.enabled else "停用", "是" if u.demo else "", minute(u.created_at)])


def _passwd(engine, args) -> int:
    if get_user(engine, args.username) is None:
        return _fail(f"用户 {args.username} 不存在")
    password, problem = _read_password(args.username)
    if problem:
        return _fail(problem)
    set_password(engine, args.username, password, by=_operator())
    print(f"已修改用户 {args.username} 的密码")
    return OK


def _toggle(engine, args) -> int:
    enabled = args.command == "enable"
    word = "启用" if enabled else "停用"
    if set_enabled(engine, args.username, enabled, by=_operator()):
        print(f"已{word}用户 {args.username}")
    else:
        print(f"用户 {args.username} 本来就是{word}状态，未作改动")
    return OK


def main(argv=None) -> int:
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="backslashreplace")
    args = _parser().parse_args(argv)
    url = auth_url(args.auth)
    if args.command == "list" and missing_file(url):
        # A listing is a read: it does not create the store.
        _list_rows([], {})
        print(f"账号库还不存在（{missing_file(url)}），没有账号", file=sys.stderr)
        return OK
    try:
        engine = auth_engine(url)
    except SQLAlchemyError as exc:
        return _fail(f"无法打开账号库 {describe(url)}：{_first_line(exc)}")
    try:
        action = {"add": _add, "list": _list, "passwd": _passwd, "disable": _toggle, "enable": _toggle}
        return action[args.command](engine, args)
    except AccountError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return _fail("已取消，未作改动")
    except SQLAlchemyError as exc:
        return _fail(f"账号库出错（{describe(url)}）：{_first_line(exc)}")
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
