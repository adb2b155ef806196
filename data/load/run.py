"""load_files: read every file, check every row, then write all of it in one transaction or nothing."""

import getpass
import os
from operator import itemgetter
from datetime import datetime
from typing import Callable, Iterable

from sqlalchemy import insert
from sqlalchemy.exc import SQLAlchemyError

from data import ids, kept, schema
from data.db import bump_data_version, get_meta, set_meta
from data.load import write
from data.load.check import DEFAULT_MAX_ROWS, ROWS_ENV, Batch
from data.load.result import LoadRefused, LoadResult, Problem
from data.load.spec import TABLES

DEMO_REFUSAL = (
    "这个数据库里是演示数据（合成数据），不能把真实台账导入进去，以免两者混在一起。"
    "请用 --db 指定一个新的数据库，或加 --replace-demo 先删除全部演示数据再导入。"
)
KEY_REFUSAL = (
    "这个数据库里的身份证号是用另一个密钥（环境变量 WEIBAO_ID_KEY）哈希的；用当前密钥导入，"
    "新的走访、培训记录将无法与已有的儿童和工作人员对应。请改用原来的密钥，或用 --db 导入到新的数据库。"
)


def _guard(conn, fingerprint: str, replace_demo: bool) -> bool:
    """Refuse a demo database (unless replacing it) or one hashed under another key; True = demo."""
    demo = get_meta(conn, "is_demo") == "1"
    if demo and not replace_demo:
        raise LoadRefused(DEMO_REFUSAL)
    stored = get_meta(conn, "id_key_fingerprint")
    if not demo and stored is not None and stored != fingerprint:
        raise LoadRefused(KEY_REFUSAL)
    return demo


def max_rows() -> int:
    """The row limit of one invocation: WEIBAO_LOAD_MAX_ROWS, default 1,000,000."""
    raw = os.environ.get(ROWS_ENV, "").strip().replace(",", "")
    if not raw:
        return DEFAULT_MAX_ROWS
    if not raw.isdigit() or int(raw) < 1:
        raise LoadRefused(f"环境变量 {ROWS_ENV} 应为正整数（一次导入最多的数据行数），现在是“{raw}”")
    return int(raw)


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some service environments; the log still gets a row
        return "unknown"


def load_files(paths: Iterable, engine, table: str | None = None, replace_demo: bool = False,
               progress: Callable[[str], None] | None = None) -> LoadResult:
    """Load the files into the database in one transaction: all rows, or none and every error.

    Raises data.ids.MissingKeyError without WEIBAO_ID_KEY, LoadRefused for a demo database (unless
    replace_demo) or one hashed under another key, and SQLAlchemy errors when the database fails.
    """
    say = progress or (lambda _message: None)
    key = ids.key_from_env()
    limit = max_rows()
    fingerprint = ids.key_fingerprint(key)
    schema.create_schema(engine)
    with engine.connect() as conn:
        # Refuse before reading: a 700,000-row file should not be parsed only to be turned away.
        _guard(conn, fingerprint, replace_demo)

    batch = Batch(key, limit)
    for path in paths:
        say(f"读取并检查 {path} …")
        batch.add_file(path, table)
    result = LoadResult(warnings=batch.warnings)

    with engine.connect() as conn, conn.begin() as transaction:
        write.lock(conn)
        demo = _guard(conn, fingerprint, replace_demo)
        if replace_demo and demo:
            write.wipe(conn)  # inside the transaction: a failed load keeps the demo data
        elif replace_demo:
            result.warnings.append("--replace-demo：这个数据库不是演示数据库，没有删除任何数据")
        say("核对区划层级和人员 …")
        batch.cross_check(lambda codes: write.region_levels(conn, codes),
                          lambda spec, hashes: write.known_ids(conn, spec, hashes))
        if not batch.problems and batch.total_rows() == 0:
            files = "、".join(dict.fromkeys(file for file, _ in batch.sheets)) or "（没有文件）"
            batch.add_problem(Problem(files, "没有可导入的数据行：各表都是空的"))
        if batch.problems:
            transaction.rollback()
            result.errors = batch.problems
            result.unlisted = batch.unlisted_summary()
            return result
        write.tune(conn)
        now, user = datetime.now(), _user()
        written, visit_months = set(), None
        for spec in TABLES.values():  # dependency order: regions first
            rows = batch.rows[spec.name]
            if not rows:
                continue
            say(f"写入 {spec.name} {len(rows):,} 行 …")
            result.counts[spec.name] = write.upsert(conn, spec, rows.values())
            written.add(spec.table.name)
            if spec.table is schema.visit:
                at = spec.columns.index("visited_on")
                visit_months = kept.months_of(set(map(itemgetter(at), rows.values())))  # a few hundred days
            if spec.table is schema.region:
                schema.rebuild_closure(conn)
            conn.execute(insert(schema.import_log).values(
                imported_at=now, table_name=spec.table.name, rows=result.counts[spec.name],
                source="; ".join(batch.sources[spec.name]), imported_by=user))
        say("更新月度汇总 …")
        # Same transaction: a refused or killed load leaves the kept measures as they were.
        kept.refresh(conn, written, visit_months)
        if get_meta(conn, "id_key_fingerprint") is None:
            set_meta(conn, "id_key_fingerprint", fingerprint)
        bump_data_version(conn)
        kept.stamp(conn)
    # After the commit, as VACUUM must be: the written tables and the kept measures. The load has landed
    # whatever happens here; a VACUUM that fails only leaves the pages slower until autovacuum's next round.
    vacuumed = [t for t in schema.DATA_TABLES if t.name in written]
    if schema.region in vacuumed:
        vacuumed.append(schema.region_closure)
    try:
        schema.vacuum(engine, *vacuumed, *schema.KEPT_TABLES.values())
    except SQLAlchemyError:
        result.warnings.append("数据已导入；导入后的数据库整理（VACUUM）未完成，不影响数据，页面可能暂时稍慢")
    return result
