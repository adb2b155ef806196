"""python -m data.kept_cli: recompute every kept monthly measure of a database (after an upgrade, or to check)."""

import sys
import time

from sqlalchemy.exc import SQLAlchemyError

from data import kept, schema
from data.cli import ChineseParser
from data.db import describe, get_engine, missing_file, resolve_url


def main(argv=None) -> int:
    parser = ChineseParser(prog="python -m data.kept_cli",
                           description="重新计算月度汇总（各级区划逐月的计数与金额，页面和导出从中读取）。"
                                       "导入和演示数据生成时会自动更新；升级后首次使用旧数据库时运行一次。")
    parser.add_argument("--db", metavar="URL", help="SQLAlchemy 数据库地址（默认 WEIBAO_DB_URL 或内置 SQLite）")
    args = parser.parse_args(argv)
    url = resolve_url(args.db)
    missing = missing_file(url)
    if missing:
        print(f"错误：数据库文件不存在：{missing}", file=sys.stderr)
        return 1
    engine = get_engine(url)
    started = time.perf_counter()
    schema.create_schema(engine)  # and the indexes added since the database was made
    with engine.begin() as conn:
        written = kept.rebuild(conn)
    rows = sum(written.values())
    print(f"已更新 {describe(url)} 的月度汇总：{rows:,} 行，用时 {time.perf_counter() - started:.1f} 秒")
    try:  # after the commit, as the loader does (PostgreSQL: index-only scans of the fresh rows)
        schema.vacuum(engine, *schema.KEPT_TABLES.values())
    except SQLAlchemyError:
        print("提示：月度汇总已更新；之后的数据库整理（VACUUM）未完成，不影响数据，页面可能暂时稍慢", file=sys.stderr)
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
