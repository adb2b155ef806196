"""python -m data.demo [--scale city|province] [--seed N] [--db URL] [--if-empty] [--force]"""

import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from data.cli import ChineseParser
from data.db import describe, get_engine, resolve_url
from data.demo.build import DEFAULT_SEED, SCALES, build_demo, existing_data

LEVEL_NAMES = {"city": "市", "county": "县级单位", "township": "乡镇（街道）", "village": "村（社区）"}
TABLE_NAMES = {"child": "儿童", "worker_post": "工作人员任职", "station": "阵地", "visit": "走访",
               "training": "培训记录", "budget": "资金预算", "spending": "资金支出"}


def main(argv=None) -> int:
    parser = ChineseParser(
        prog="python -m data.demo",
        description="生成演示数据（合成数据，按公开数字校准）：清空目标数据库后整体写入。")
    parser.add_argument("--scale", choices=SCALES, default="city",
                        help="city：济宁市（默认）；province：山东省 16 个市、136 个县级单位（真实区划，乡镇、村和数字为合成）")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="N", help=f"随机种子（默认 {DEFAULT_SEED}）")
    parser.add_argument("--db", metavar="URL", help="SQLAlchemy 数据库地址（默认 WEIBAO_DB_URL 或内置 SQLite）")
    parser.add_argument("--if-empty", action="store_true", help="数据库已有区划数据时什么也不做")
    parser.add_argument("--force", action="store_true", help="数据库中是导入的真实数据时也清空并生成演示数据")
    args = parser.parse_args(argv)

    url = resolve_url(args.db)
    engine = get_engine(url)
    try:
        holds = existing_data(engine)
        if args.if_empty and holds:
            print(f"数据库 {describe(url)} 已有数据，未生成演示数据。")
            return 0
        if holds == "real" and not args.force:
            print(f"错误：数据库 {describe(url)} 中是导入的真实数据（不是演示数据）。生成演示数据会清空全部数据；"
                  "如确需如此，请加 --force，或用 --db 指定另一个数据库。", file=sys.stderr)
            return 2
        print(f"正在生成演示数据（规模 {args.scale}，种子 {args.seed}）→ {describe(url)}")

        def progress(i, n, spec, summary):
            if n > 1:
                print(f"  [{i}/{n}] {spec.name} 已写入（累计 {summary.seconds_generate + summary.seconds_write:.0f} 秒）",
                      flush=True)

        s = build_demo(engine, scale=args.scale, seed=args.seed, progress=progress)
    finally:
        engine.dispose()
    levels = "、".join(f"{LEVEL_NAMES[k]} {s.levels.get(k, 0):,}" for k in LEVEL_NAMES)
    tables = "、".join(f"{TABLE_NAMES[k]} {s.rows.get(k, 0):,} 行" for k in TABLE_NAMES)
    print(f"区划：{levels}")
    print(f"写入：{tables}")
    print(f"{s.last_complete} 月末在册儿童 {s.on_roll:,} 人；数据截至 {s.today.isoformat()}（本月为当月，仍在录入）")
    size = ""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        path = Path(parsed.database)
        if path.exists():
            size = f"，数据库文件 {path.stat().st_size / 1e6:,.0f} MB"
    print(f"用时 {s.seconds:.1f} 秒（生成 {s.seconds_generate:.1f} 秒，写入 {s.seconds_write:.1f} 秒，其余为清空旧数据与提交）{size}")
    print("注意：这是演示数据（合成），仪表盘会显示“演示数据”提示；导入真实数据时将被整体清除。")
    return 0


if __name__ == "__main__":
    sys.exit(main())
