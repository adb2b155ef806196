"""python -m queries.report: one row per region of a level, every contract indicator, as CSV or JSON."""

import argparse
import csv
import json
import math
import sys

from sqlalchemy.exc import SQLAlchemyError

from data.db import describe, get_engine, missing_file, resolve_url
from data.vocab import LEVEL_ORDER
from queries.engine import Scope, indicators
from queries.periods import Month
from queries.registry import by_key, keys

COLUMNS_HEAD = ["region_code", "region_name"]


def report_frame(conn, month: Month, level: str, region: str | None, scope: Scope):
    """The report's rows: region_code, region_name, then every registry key in contract order."""
    frame = indicators(conn, month, level, region, scope=scope).reset_index()
    return frame[COLUMNS_HEAD + keys()]


def cell(value, whole: bool):
    """A value as the report prints it: null stays null; counts and money as integers when whole."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if whole and float(value).is_integer():
        return int(value)
    return value if isinstance(value, str) else float(value)


def records(frame) -> list[dict]:
    """Rows as dicts of plain Python values."""
    units = {k: ind.unit for k, ind in by_key().items()}
    whole = {k: units.get(k, "text") in ("count", "yuan") for k in frame.columns}
    return [{k: cell(v, whole[k]) for k, v in row.items()} for row in frame.to_dict("records")]


def write_csv(rows: list[dict], out) -> None:
    """UTF-8 CSV, null as empty."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS_HEAD + keys())
    for row in rows:
        writer.writerow(["" if v is None else v for v in row.values()])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m queries.report", description="按区划层级输出全部指标")
    parser.add_argument("--month", required=True, help="YYYY-MM")
    parser.add_argument("--level", required=True, choices=LEVEL_ORDER)
    parser.add_argument("--region", help="只输出该区划（含下级）范围内的单位")
    parser.add_argument("--format", default="csv", choices=("csv", "json"))
    parser.add_argument("--db", help="SQLAlchemy 数据库地址（默认 WEIBAO_DB_URL 或内置数据库）")
    args = parser.parse_args(argv)
    try:
        month = Month.parse(args.month)
    except ValueError as err:
        print(f"错误：{err}", file=sys.stderr)
        return 2
    url = resolve_url(args.db)
    if missing_file(url):
        print(f"错误：数据库文件不存在：{missing_file(url)}。请先导入数据（python -m data.load）或生成演示数据（python -m data.demo）。",
              file=sys.stderr)
        return 1
    try:
        with get_engine(url).connect() as conn:
            rows = records(report_frame(conn, month, args.level, args.region, Scope.everything()))
    except SQLAlchemyError as err:
        print(f"错误：无法读取数据库 {describe(url)}（{type(err).__name__}）。请先导入数据或运行 python -m data.demo。", file=sys.stderr)
        return 1
    sys.stdout.reconfigure(encoding="utf-8")
    if args.format == "json":
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        write_csv(rows, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
