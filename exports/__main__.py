"""python -m exports KIND|all: write meeting files for a region and period into a folder, each export audited."""

import sys
import time
import traceback
from datetime import timedelta
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

import exports
from data.auth import auth_engine, get_user
from data.auth.store import auth_url
from data.cli import ChineseParser
from data.db import describe, get_engine, missing_file, resolve_url
from exports.job import AUDIENCES, ExportError, os_user, prepare
from queries.catalog import regions_in_scope
from queries.engine import OutOfScope, Scope, top_regions
from queries.periods import Month, today
from queries.weekly import Week

OK, FAILED = 0, 1


class BuildFailed(ExportError):
    """A file could not be built (a defect, not a bad request): the others of the run are still written."""

    def __init__(self, message: str, written: list | None = None):
        super().__init__(message)
        self.written = written or []


def _parser() -> ChineseParser:
    parser = ChineseParser(
        prog="python -m exports",
        description="生成会议材料：PowerPoint 会议材料、情况通报、考评表、周调度与驾驶舱 PDF。"
                    "数字全部来自指标引擎，与驾驶舱和 queries.report 一致；每次导出记入审计日志。")
    kinds = parser.add_subparsers(dest="kind", metavar="KIND", title="导出类型", required=True)
    for kind in exports.KINDS.values():
        sub = kinds.add_parser(kind.key, help=kind.help, description=f"生成{kind.help}。")
        sub.add_argument("--region", required=True, metavar="CODE", help="12 位区划代码（市或县级单位）")
        if kind.key == "weekly":
            sub.add_argument("--week", required=True, metavar="YYYY-Www", help="ISO 周，如 2026-W47")
        else:
            sub.add_argument("--month", required=True, metavar="YYYY-MM", help="月份，如 2026-11")
    every = kinds.add_parser("all", help="一次生成全部类型（--per-county 时市和每个县级单位各一个文件夹）",
                             description="一次生成全部类型的会议材料。周调度取该月最后一个完整的周。")
    every.add_argument("--month", required=True, metavar="YYYY-MM", help="月份，如 2026-11")
    every.add_argument("--region", metavar="CODE", help="市的区划代码（默认数据库中最上级的区划）")
    every.add_argument("--per-county", action="store_true", help="同时为每个县级单位各生成一套，每个区划一个文件夹")
    for sub in kinds.choices.values():
        sub.add_argument("--out", required=True, metavar="DIR", help="输出文件夹（不存在时新建）")
        sub.add_argument("--audience", default="internal", choices=tuple(AUDIENCES),
                         help="internal 内部（默认）；external 对外：1–4 的人数显示为 <5")
        sub.add_argument("--user", metavar="NAME",
                         help="以哪个账号的名义和权限范围导出（账号库中的用户名；默认为运行命令的系统账号，不限范围）")
        sub.add_argument("--db", metavar="URL", help="数据数据库地址（默认 WEIBAO_DB_URL 或内置数据库；只读打开）")
        sub.add_argument("--auth", metavar="URL", help="账号库地址（默认 WEIBAO_AUTH_URL，再默认 var/auth.sqlite）")
    return parser


def week_of_month(month: str) -> str:
    """The week a month's weekly PDF is about: the last whole week ending in the month (and by today)."""
    m = Month.parse(month)
    end = today() - timedelta(days=1) if m.in_progress() else m.end
    sunday = end - timedelta(days=(end.weekday() + 1) % 7)
    return Week.of(sunday).key


def _viewer(auth, name: str | None) -> tuple[str, Scope, object | None]:
    """Who the files are made for: an account of the auth store (its scope applies), else the OS account."""
    if name is None:
        return os_user(), Scope.everything(), None
    user = get_user(auth, name)
    if user is None:
        raise ExportError(f"账号 {name} 不存在（查看账号：python -m data.users list）。")
    if not user.enabled:
        raise ExportError(f"账号 {name} 已停用。")
    return user.username, None, user


def _write(out: Path, files: list[tuple[str, bytes]]) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, content in files:
        path = out / name
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(content)
        tmp.replace(path)  # a reader never sees half a file
        paths.append(path)
    return paths


def _one(conn, auth, kind: str, region: str, period: dict, args, viewer: tuple, out: Path) -> list[Path]:
    name, scope, user = viewer
    if user is not None:
        scope = Scope.for_viewer(conn, user.role, user.region_code)
    try:
        job = prepare(conn, kind, region, user=name, audience=args.audience, viewer=scope, **period)
    except OutOfScope:
        exports.audit.record(auth, name, "denied", region=region, what=exports.KIND_NAMES[kind], via="命令行")
        raise ExportError(f"账号 {name} 无权导出区划 {region}，已记录。") from None
    try:
        files = exports.build(conn, job)
    except Exception as err:  # noqa: BLE001  (one bad file must not cost the meeting the others)
        log = out / "导出错误.log"
        out.mkdir(parents=True, exist_ok=True)
        with log.open("a", encoding="utf-8") as f:
            f.write(f"{job.made_text} {job.file_name(exports.KINDS[kind].exts[0])}\n{traceback.format_exc()}\n")
        raise BuildFailed(f"{job.region_name}的{exports.KIND_NAMES[kind]}未能生成（{type(err).__name__}），"
                          f"详情见 {log}") from err
    paths = _write(out, files)
    exports.record(auth, job, [p.name for p in paths], via="命令行")
    return paths


def _regions(conn, args) -> list[tuple[str, str]]:
    """(code, name) of the regions `all` writes: the city, then each of its counties with --per-county."""
    code = args.region or (top_regions(conn) or [None])[0]
    if code is None:
        raise ExportError("数据库中没有区划。请先导入数据或运行 python -m data.demo。")
    top = regions_in_scope(conn, Scope.everything(), "city")
    names = dict(zip(top["region_code"], top["region_name"]))
    if code not in names:
        raise ExportError(f"all 的 --region 应为市的区划代码：{code}")
    out = [(code, names[code])]
    if args.per_county:
        counties = regions_in_scope(conn, Scope.everything(), "county", code)
        out += list(zip(counties["region_code"], counties["region_name"]))
    return out


def run(args) -> list[Path]:
    url = resolve_url(args.db)
    missing = missing_file(url)
    if missing:
        raise ExportError(f"数据库文件不存在：{missing}。请先导入数据（python -m data.load）"
                          "或生成演示数据（python -m data.demo）。")
    auth = auth_engine(auth_url(args.auth))
    engine = get_engine(url, read_only=True)
    try:
        with engine.connect() as conn:
            viewer = _viewer(auth, args.user)
            if args.kind != "all":
                period = {"week": args.week} if args.kind == "weekly" else {"month": args.month}
                return _one(conn, auth, args.kind, args.region, period, args, viewer, Path(args.out))
            try:
                month = str(Month.parse(args.month))
            except ValueError as err:
                raise ExportError(str(err)) from None
            paths, failed = [], []
            for code, name in _regions(conn, args):
                folder = Path(args.out) / (name if args.per_county else "")
                for kind in exports.KINDS:
                    period = {"week": week_of_month(month)} if kind == "weekly" else {"month": month}
                    try:
                        paths += _one(conn, auth, kind, code, period, args, viewer, folder)
                    except BuildFailed as err:  # the others are still written
                        failed.append(str(err))
            if failed:
                raise BuildFailed("；".join(failed) + f"。其余 {len(paths)} 个文件已写出。", paths)
            return paths
    except SQLAlchemyError as err:
        raise ExportError(f"无法读取数据库 {describe(url)}（{type(err).__name__}）。") from err
    finally:
        engine.dispose()


def main(argv=None) -> int:
    """Exit 0 with the paths printed; 1 with one Chinese line when the export cannot be made; 2 wrong arguments."""
    args = _parser().parse_args(argv)
    started = time.perf_counter()
    try:
        paths = run(args)
    except ExportError as err:
        sys.stdout.reconfigure(encoding="utf-8")
        for path in getattr(err, "written", []):
            print(path)
        sys.stderr.reconfigure(errors="backslashreplace")
        print(f"错误：{err}", file=sys.stderr)
        return FAILED
    sys.stdout.reconfigure(encoding="utf-8")
    for path in paths:
        print(path)
    print(f"共 {len(paths)} 个文件，用时 {time.perf_counter() - started:.1f} 秒。", file=sys.stderr)
    return OK


if __name__ == "__main__":
    sys.exit(main())
