"""The import format declared once: per table its sheet name, columns, key and cross-table rules."""

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Table

from data import schema, vocab
from data.load.cells import (
    CODE, DATE, ID_NUMBER, INTEGER, MONTH, NUMBER, TEXT, YEAR, YES_NO, Kind, choice,
)

# The level a region's parent must have, by the region's own level (a city has none).
PARENT_LEVEL = {"city": None, "county": "city", "township": "county", "village": "township"}

# Words clerks use in the 级别 and 阵地类型 columns besides the contract's own (contract §1:
# "县 covers 县, 县级市, 市辖区"; domain glossary: 儿童之家 / 儿童关爱之家).
LEVEL_ALIASES = {
    "县级市": "county", "市辖区": "county", "区": "county",
    "乡": "township", "镇": "township", "街道": "township",
    "社区": "village", "村社区": "village", "村(社区)": "village", "村（社区）": "village",
}
STATION_ALIASES = {"儿童关爱之家": "home"}


@dataclass(frozen=True, eq=False)  # compared by identity: fields key dicts
class Field:
    """One column of a table: its header, stored column, how cells are read and what it must match."""

    header: str  # exactly as in contract §1 (and the template)
    column: str  # column of the stored table
    kind: Kind
    required: bool = False
    secret: bool = False  # an ID number: stored only as its keyed hash, masked in messages
    # The region this code names must have this level: a fixed level, or (other column, map
    # from that column's stored value to the level; a None level means "must be blank").
    level: str | tuple[str, dict] | None = None
    known: str | None = None  # this ID must be a person of that table (loaded or in this run)
    not_before: str | None = None  # stored column of the same row this date may not precede
    aliases: tuple[str, ...] = ()  # other headers clerks use for the same column
    note: str = ""  # an extra rule for the 说明 sheet


@dataclass(frozen=True)
class TableSpec:
    """One importable table: the sheet (or CSV) name, its columns and the key rows are replaced by."""

    name: str  # sheet name / CSV file stem
    table: Table
    fields: tuple[Field, ...]
    key: tuple[str, ...]  # stored columns; a loaded row with an existing key replaces it
    identity: str | None = None  # the stored column other tables refer to
    derived: tuple[str, ...] = ()  # stored columns computed from the others (see derive)

    @property
    def columns(self) -> tuple[str, ...]:
        """Stored columns in the order rows are kept: the fields', then the derived ones."""
        return tuple(f.column for f in self.fields) + self.derived

    def field(self, column: str) -> Field:
        return next(f for f in self.fields if f.column == column)


def derive(spec: TableSpec, row: dict) -> None:
    """Fill the derived columns of one parsed row."""
    if spec.table is schema.child:
        # Stored so the timeliness SQL needs no dialect-specific date arithmetic.
        row["assessment_due_on"] = row["enrolled_on"] + timedelta(days=30)


def _code(header, column, level, **kw) -> Field:
    return Field(header, column, CODE, required=True, level=level, **kw)


def _id(header, column, **kw) -> Field:
    return Field(header, column, ID_NUMBER, required=True, secret=True, **kw)


FUND_TYPE = choice(vocab.FUND_TYPES)

TABLES: dict[str, TableSpec] = {spec.name: spec for spec in (
    TableSpec("区划", schema.region, (
        Field("区划代码", "code", CODE, required=True),
        Field("名称", "name", TEXT, required=True),
        Field("级别", "level", choice(vocab.LEVELS, LEVEL_ALIASES), required=True,
              note="县 也包括 县级市、市辖区"),
        Field("上级区划代码", "parent_code", CODE, level=("level", PARENT_LEVEL),
              note="级别为 市 时留空，否则必填，且须为上一级区划（县的上级是市，乡镇的上级是县，村的上级是乡镇）"),
        Field("城乡分类", "urban_rural", choice(vocab.URBAN_RURAL), note="村级填写"),
        Field("未成年人口", "minor_population", INTEGER, note="可不填，用于计算每万名未成年人的比率"),
    ), key=("code",), identity="code"),
    TableSpec("儿童", schema.child, (
        _id("身份证号", "id_hash"),
        Field("儿童类别", "category", choice(vocab.CATEGORIES), required=True,
              note="每名儿童一行，填主要类别"),
        _code("村（社区）区划代码", "village_code", "village",
              aliases=("村社区区划代码", "村/社区区划代码", "村区划代码", "社区区划代码"),
              note="须为村级区划"),
        Field("纳入日期", "enrolled_on", DATE, required=True),
        Field("退出日期", "exited_on", DATE, not_before="enrolled_on", note="不得早于纳入日期"),
        Field("风险等级", "risk_level", choice(vocab.RISK_LEVELS), note="空白表示尚未评估"),
        Field("风险评估日期", "risk_assessed_on", DATE),
        Field("需求评估日期", "need_assessed_on", DATE),
    ), key=("id_hash",), identity="id_hash", derived=("assessment_due_on",)),
    TableSpec("工作人员", schema.worker_post, (
        _id("身份证号", "person_hash"),
        Field("岗位", "post", choice(vocab.POSTS), required=True),
        _code("任职区划代码", "region_code", ("post", vocab.POST_LEVEL),
              note="儿童主任填村级区划，儿童督导员填乡镇级区划"),
        Field("任职日期", "started_on", DATE, required=True),
        Field("离任日期", "ended_on", DATE, not_before="started_on", note="不得早于任职日期"),
        Field("持有社工证", "certified", YES_NO),
    ), key=("person_hash", "post", "region_code", "started_on"), identity="person_hash"),
    TableSpec("阵地", schema.station, (
        Field("阵地名称", "name", TEXT, required=True),
        Field("阵地类型", "kind", choice(vocab.STATION_KINDS, STATION_ALIASES), required=True),
        _code("所在区划代码", "region_code", ("kind", vocab.STATION_LEVEL),
              note="救助保护中心填县级、工作站填乡镇级、儿童之家填村级区划"),
        Field("建成日期", "built_on", DATE, required=True),
        Field("撤销日期", "closed_on", DATE, not_before="built_on", note="不得早于建成日期"),
        Field("省级示范", "provincial_model", YES_NO),
    ), key=("kind", "region_code", "name")),
    TableSpec("走访", schema.visit, (
        Field("走访日期", "visited_on", DATE, required=True),
        _id("儿童身份证号", "child_hash", known="儿童", note="须为已导入或本次一并导入的儿童"),
        _id("走访人身份证号", "worker_hash", known="工作人员",
            note="须为已导入或本次一并导入的工作人员"),
        Field("走访方式", "mode", choice(vocab.VISIT_MODES, default="home")),
    ), key=("visited_on", "child_hash", "worker_hash")),
    TableSpec("培训", schema.training, (
        Field("培训日期", "trained_on", DATE, required=True),
        Field("培训名称", "course", TEXT, required=True),
        Field("举办层级", "host_level", choice(vocab.HOST_LEVELS)),
        _id("参训人身份证号", "person_hash", known="工作人员",
            note="须为已导入或本次一并导入的工作人员"),
        Field("学时", "hours", NUMBER),
    ), key=("trained_on", "course", "person_hash")),
    TableSpec("资金预算", schema.budget, (
        _code("区划代码", "county_code", "county", note="须为县级区划"),
        Field("年度", "year", YEAR, required=True),
        Field("资金类别", "fund_type", FUND_TYPE, required=True),
        Field("预算金额（元）", "amount", NUMBER, required=True, note="单位：元"),
    ), key=("county_code", "year", "fund_type")),
    TableSpec("资金支出", schema.spending, (
        _code("区划代码", "county_code", "county", note="须为县级区划"),
        Field("年月", "month_start", MONTH, required=True),
        Field("资金类别", "fund_type", FUND_TYPE, required=True),
        Field("支出金额（元）", "amount", NUMBER, required=True, note="单位：元"),
    ), key=("county_code", "month_start", "fund_type")),
)}

_HEADER_NOISE = re.compile(r"[\s*＊()（）]")


def header_key(text) -> str:
    """A header as compared: spaces, required-marks and parentheses of either width removed."""
    return _HEADER_NOISE.sub("", str(text))


def header_index(spec: TableSpec) -> dict[str, Field]:
    """Every accepted spelling of the table's headers (compared by header_key) → its field."""
    index = {}
    for f in spec.fields:
        for header in (f.header, *f.aliases):
            index[header_key(header)] = f
    return index
