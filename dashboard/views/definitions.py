"""口径说明: every indicator's definition and colour rule from the registry, data freshness, and each unit's reporting."""

import pandas as pd
import streamlit as st

from dashboard import engine, filters, widgets
from queries import catalog, fmt, reporting
from queries.registry import ACCRUAL_WORDS, DIRECTION_WORDS, UNIT_WORDS, load_registry, rule_text, target_text

LEVEL_NAMES = {"city": "市级", "county": "县级", "township": "乡镇级", "village": "村级"}
# What a unit's latest record is called in the reporting tables, per kind of queries.reporting, in the
# order shown: what a unit reports every month first, what it records once in years last.
LATEST = {"visits": "最近走访", "children": "最近纳入儿童", "spending": "最近支出年月", "training": "最近培训",
          "workers": "最近任职", "stations": "最近建成阵地"}


def _applies(level: str | None) -> str:
    return "各级" if level is None else f"{LEVEL_NAMES[level]}及以上"


def _definitions() -> None:
    rows = []
    for ind in load_registry():
        # target_text reads '达标线 95%'; the column is already called 达标线.
        line = target_text(ind).removeprefix("达标线").strip()
        rows.append({"指标": ind.name, "口径": ind.definition, "单位": UNIT_WORDS[ind.unit],
                     "适用层级": _applies(ind.min_level), "累计方式": ACCRUAL_WORDS[ind.accrues],
                     "方向": DIRECTION_WORDS[ind.better], "颜色规则": rule_text(ind), "达标线": line or fmt.NO_DATA})
    st.caption("以下口径、颜色规则和达标线均由指标登记表生成，与各页面、导出文件所用的完全一致。")
    st.table(pd.DataFrame(rows), hide_index=True)


def _freshness() -> None:
    st.subheader("数据新鲜度")
    # Rows inside the viewer's scope; import times are the whole file's (they say when, never where).
    fresh = engine.ask(catalog.freshness, filters.viewer_scope())
    if fresh["last_import"].isna().all():
        st.info("尚无导入记录。")
    table = pd.DataFrame({"表": fresh["table_name"], "当前行数": fresh["current_rows"].map(fmt.count),
                          "最近导入": fresh["last_import"].fillna(fmt.NO_DATA)})
    st.caption("当前行数是数据库现在保存的、本账号查看范围内的行数：同一记录重新导入会覆盖原行，不会重复计数。"
               "最近导入为本地时间。")
    widgets.table(table, "数据行数", "rows_table", hide_index=True, width="content", placeholder=fmt.NO_DATA)


def _dated(day, gap, unit: str = "天") -> str:
    """'2026-11-30（1天）', '2026-11（当月）' for a month; '无记录' for a unit with none."""
    if day is None or pd.isna(day):
        return "无记录"
    shown = f"{day:%Y-%m}" if unit == "个月" else f"{day:%Y-%m-%d}"
    return f"{shown}（{'当月' if unit == '个月' else '当日'}）" if gap == 0 else f"{shown}（{gap}{unit}）"


def _state(row) -> str:
    if row["silent"]:
        return "无任何记录"
    return "无走访" if row["no_visit"] else "有报送"


def _unit_table(frame: pd.DataFrame, level: str, one_county: bool) -> None:
    name = "乡镇（街道）" if level == "township" else "县（市、区）"
    # Within one county the county column would repeat one name on every row.
    with_county = level == "township" and not one_county
    out = pd.DataFrame({"所属县（市、区）": frame["parent_name"]} if with_county else {})
    out[name] = frame["region_name"]
    out["当月报送"] = frame.apply(_state, axis=1)
    out["当月走访（次）"] = frame["visits_month"]
    out["当月新纳入（人）"] = frame["children_month"]
    shown = {kind for kind, *_ in reporting.kinds(level)}
    for kind in [k for k in LATEST if k in shown]:
        if kind == "spending":
            out[LATEST[kind]] = [_dated(d, g, "个月") for d, g in zip(frame["spending_last"], frame["spending_months"])]
        else:
            out[LATEST[kind]] = [_dated(d, g) for d, g in zip(frame[f"{kind}_last"], frame[f"{kind}_days"])]
    # The unit's name stays in view when a narrow screen scrolls the dates sideways.
    config = {c: st.column_config.TextColumn(c, pinned=True) for c in out.columns[:out.columns.get_loc(name) + 1]}
    config.update({c: st.column_config.NumberColumn(c, format="localized") for c in ("当月走访（次）", "当月新纳入（人）")})
    widgets.table(out, f"报送情况_{name}", f"reporting_{level}", hide_index=True, column_config=config,
                  placeholder=fmt.NO_DATA)


def _reporting() -> None:
    month, region, scope = filters.month(), filters.region(), filters.viewer_scope()
    st.subheader("各单位报送情况")
    towns = engine.ask(reporting.per_unit, scope, month, region, level="township")
    if towns.empty:
        st.info("所选区域没有乡镇（街道）。")
        return
    when = fmt.month_text(month)
    st.caption(f"{filters.region_name(region)} · {fmt.as_of(month)} · 每类记录取统计日及以前的最近日期，括号内为距统计日"
               "（月末；本月进行中为今天）的天数。走访按被走访儿童所在村计，培训按参训人任职的区划计。")
    silent = int(towns["silent"].sum())
    unvisited = int((towns["no_visit"] & ~towns["silent"]).sum())
    if silent or unvisited:
        parts = [f"{silent} 个乡镇（街道）没有任何报送记录"] if silent else []
        if unvisited:
            parts.append(f"另有 {unvisited} 个有其他记录但没有走访记录" if silent
                         else f"{unvisited} 个乡镇（街道）有其他记录但没有走访记录")
        st.warning(f"{when}：" + "；".join(parts) + "。已排在表格最前。", icon=":material/warning:")
    else:
        st.success(f"{when}：{len(towns)} 个乡镇（街道）均有走访记录。")
    one_county = filters.region_level(region) == "county"
    _unit_table(towns, "township", one_county)
    counties = engine.ask(reporting.per_unit, scope, month, region, level="county")
    if len(counties):
        st.caption("县（市、区）汇总（含资金支出，资金支出按年月报送，括号内为相差的月数）")
        _unit_table(counties, "county", one_county)


def render() -> None:
    st.title("口径说明")
    _definitions()
    _freshness()
    _reporting()


render()
