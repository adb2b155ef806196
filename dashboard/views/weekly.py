"""周调度: one ISO week — visits vs last week and the month's pace, assessments due, vacancies, silences, colours."""

import pandas as pd
import streamlit as st

from dashboard import engine, exporting, filters, widgets
from exports import figures
from queries import fmt, scorecard, weekly
from queries.periods import today
from queries.weekly import PACE_DAILY, PACE_OVER, PACE_WEEK_DAYS, PACE_WEEKLY, Comparison, Week

TINTS = {"green": "#cfe9d7", "yellow": "#fde7b5", "red": "#f6c9c4"}
LEVEL_NAMES = {"city": "市", "county": "县（市、区）", "township": "乡镇（街道）"}


def render() -> None:
    region, scope = filters.region(), filters.viewer_scope()
    name = filters.region_name(region)
    day = today()
    options = weekly.weeks_until(day, 26)
    default = options.index(weekly.last_complete_week(day)) if weekly.last_complete_week(day) in options else 0
    st.title(f"{name} 周调度")
    # A bound selectbox keeps its label in the URL; accept the short form (?week=2026-W47) in links too.
    asked = st.query_params.get("week")
    if asked in options:
        st.query_params["week"] = Week.parse(asked).label
        st.rerun()
    pick, note = st.columns([1, 2])
    week = pick.selectbox("调度周（周一至周日）", options, index=default, key="week", bind="query-params",
                          format_func=lambda k: Week.parse(k).label)
    wk = Week.parse(week)
    data = engine.ask(weekly.review, scope, week, region)
    h = data["headline"]
    if h["townships"] == 0:
        widgets.no_data("所选区域没有乡镇（街道）数据。")
        return
    as_of = engine.ask(scorecard.data_as_of, scope)
    note.caption(f"{wk.label} · 本页按所选周统计，不受左侧“统计月份”影响 · 数据截至 {as_of or '（未记录导入时间）'}"
                 f" · 最近一条走访记录 {h['last_visit_day'] or '—'}")
    exporting.files_menu([("weekly", "pdf", "周调度（PDF）")], week=week, key="week_files")
    _headline(h, wk)
    _warnings(h, wk)

    st.subheader(f"走访：本周、上周与{MARKERS[h['pace_mode']]}")
    _visit_chart(data["by_area"], h, wk)
    one_county = filters.region_level(region) == "county"
    _visit_table(data["visits"], h, one_county)

    st.subheader(f"{weekly.SILENT_DAYS} 天无走访的乡镇（街道）")
    _silent(data["silent"], wk, one_county)

    st.subheader("新增儿童评估（按乡镇计数）")
    _pending(data["pending"], wk, one_county)

    st.subheader("儿童主任空缺的村（社区）")
    _vacant(data["vacant"], wk, one_county)

    st.subheader("指标颜色变化（同口径对比）")
    _changes(data["changes"], data["plan"], wk)


def _card(name: str, value: str, lines: list[str], state: str | None = None, tooltip: str = "") -> None:
    widgets.fact_card(name, value, lines, fmt.STATUS_COLOURS[state] if state else None, tooltip)


def _headline(h: dict, wk: Week) -> None:
    # Two rows of three: six cards in one row wrap every line at 1600 px, unreadable on a projector.
    cols = [*st.columns(3), *st.columns(3)]
    cols = [cols[0], cols[1], cols[3], cols[4], cols[5], cols[2]]
    change = h["change"]
    ratio = f"（{change / h['visits_last_week'] * 100:+.0f}%）" if h["visits_last_week"] else ""
    with cols[0]:
        _card("本周走访", f"{fmt.count(h['visits_this_week'])} 次",
              [f"上周 {fmt.count(h['visits_last_week'])} 次", f"比上周 {change:+,} 次{ratio}"],
              tooltip="所选周周一至周日登记的走访记录条数（含入户、电话、视频等各种方式）")
    with cols[1]:
        _card(*figures.pace_card(h), tooltip=PACE_TOOLTIP)
    with cols[2]:
        _card("新增儿童待评估", f"{fmt.count(h['due_soon'])} 人", ["纳入未满 30 天、两项评估未完成"],
              "yellow" if h["due_soon"] else None)
    with cols[3]:
        _card("评估已超期", f"{fmt.count(h['overdue'])} 人", ["纳入满 30 天仍缺风险或需求评估", "（近一年纳入、仍在册）"],
              "red" if h["overdue"] else "green")
    with cols[4]:
        _card("儿童主任空缺村", f"{fmt.count(h['vacant'])} 个",
              [f"本周新增 {h['vacant_new']} 个", f"另有 {h['never_staffed']} 个从未配备"] if h["never_staffed"]
              else [f"本周新增 {h['vacant_new']} 个"], "red" if h["vacant"] + h["never_staffed"] else "green")
    with cols[5]:
        _card(f"{weekly.SILENT_DAYS} 天无走访乡镇", f"{fmt.count(h['silent'])} 个", [f"共 {fmt.count(h['townships'])} 个乡镇（街道）"],
              "red" if h["silent"] else "green")


# What the chart's marker shows, by weekly.Week.pace_mode: a per-week pace only with a week or more left.
MARKERS = {PACE_WEEKLY: "折合每周所需", PACE_DAILY: "本月尚需", PACE_OVER: "本月仍缺"}
PACE_TOOLTIP = (
    "尚需 = 周日在册、本月 1 日至周日走访次数未达要求的儿童还缺的走访次数之和（要求默认每人每月 1 次）。"
    f"本月还剩 {PACE_WEEK_DAYS} 天及以上时，折合每周需 = 尚需 × 7 ÷ 剩余天数，与本周走访比较；"
    f"不足 {PACE_WEEK_DAYS} 天时不再折合每周，比较剩余每天所需（尚需 ÷ 剩余天数）与本周日均（本周走访 ÷ 7）。")


def _warnings(h: dict, wk: Week) -> None:
    for line in figures.weekly_warnings(h, wk):
        st.warning(line)


def _visit_chart(frame: pd.DataFrame, h: dict, wk: Week) -> None:
    if frame.empty:
        widgets.no_data()
        return
    st.plotly_chart(figures.weekly_visits(frame, h, wk.label), config={"displayModeBar": False})
    mode = h["pace_mode"]
    missing = "本周日在册、本月走访次数未达要求的儿童还缺的走访次数（要求默认每人每月 1 次）"
    marker_text = {
        PACE_WEEKLY: f"竖线为折合每周需 = {missing} × 7 ÷ 本周日之后本月剩余的 {h['days_left']} 天。",
        PACE_DAILY: f"竖线为本月尚需 = {missing}；菱形为按本周日均走访、剩余 {h['days_left']} 天约可完成的次数"
                    f"（本周走访 × {h['days_left']} ÷ 7），落在竖线左侧即按本周进度来不及。"
                    f"本月只剩 {h['days_left']} 天，不足一周，不再折合为每周进度。",
        PACE_OVER: f"竖线为本月仍缺 = {missing}：本周日即月末，本月已结束。",
    }[mode]
    st.caption("走访次数：该周周一至周日登记的走访记录条数，按受访儿童所在村归属。" + marker_text)


def _local(table: pd.DataFrame, one_county: bool) -> pd.DataFrame:
    """Within one county the county column says the same thing on every row: drop it."""
    return table.drop(columns="所属县区") if one_county else table


def _visit_table(frame: pd.DataFrame, h: dict, one_county: bool) -> None:
    table = pd.DataFrame({
        "乡镇（街道）": frame["region_name"], "所属县区": frame["county_name"],
        "本周走访": frame["visits_this_week"], "上周走访": frame["visits_last_week"], "变化": frame["change"],
        "在册儿童": frame["children_on_roll"], "本月未达要求（人）": frame["children_lacking"],
        "本月仍缺（次）" if h["pace_mode"] == PACE_OVER else "本月尚需（次）": frame["visits_missing"],
    })
    if h["pace_mode"] == PACE_WEEKLY:
        table["折合每周需（次）"] = frame["pace_needed"].astype(float)
    table = _local(table.sort_values("变化"), one_county)
    with st.expander(f"各乡镇（街道）明细（{len(table)} 个，按变化从少到多）"):
        widgets.table(table, "走访_分乡镇", "week_visits", week=st.session_state.get("week"), hide_index=True, column_config={
            "折合每周需（次）": st.column_config.NumberColumn(format="%.1f"),
            "变化": st.column_config.NumberColumn(format="%+d"),
        }, placeholder="—")


def _pending(frame: pd.DataFrame, wk: Week, one_county: bool) -> None:
    if frame.empty:
        st.success("没有待评估或评估超期的儿童。")
        return
    table = pd.DataFrame({
        "乡镇（街道）": frame["region_name"], "所属县区": frame["county_name"],
        "待评估（未到期）": frame["due_soon"], "最近到期剩余天数": frame["days_left"],
        "已超期": frame["overdue"], "最长超期天数": frame["days_overdue"],
    })
    table = _local(table, one_county)

    def red(column: pd.Series) -> list[str]:
        return [f"background-color: {TINTS['red']}" if v and v > 0 else "" for v in column]

    widgets.table(table.style.apply(red, subset=["已超期"]), "待评估儿童", "week_pending", week=wk.key,
                  hide_index=True, height=min(420, 35 * len(table) + 40), placeholder="—")
    st.caption(f"周日 {wk.sunday} 仍在册、风险评估或需求评估未完成（无日期或日期晚于周日）的儿童人数。"
               "到期日 = 纳入日期 + 30 天；剩余天数 = 到期日 − 周日（0 表示周日当天到期）；"
               "超期只计近一年内纳入的儿童。只统计人数，不列儿童个人信息。")


def _silent(frame: pd.DataFrame, wk: Week, one_county: bool) -> None:
    if frame.empty:
        st.success(f"所有乡镇（街道）在 {wk.sunday} 之前的 {weekly.SILENT_DAYS} 天内都有走访记录。")
        return
    table = pd.DataFrame({
        "乡镇（街道）": frame["region_name"], "所属县区": frame["county_name"],
        "最近走访日期": [str(d) if d else f"{weekly.LOOKBACK_DAYS} 天内无记录" for d in frame["last_visit"]],
        "已无走访天数": frame["days_silent"],
    })
    table = _local(table, one_county)
    widgets.table(table, "无走访乡镇", "week_silent", week=wk.key, hide_index=True,
                  height=min(420, 35 * len(table) + 40), placeholder="—")
    st.caption(f"{wk.sunday} 及之前 {weekly.SILENT_DAYS} 天（{wk.sunday - pd.Timedelta(days=weekly.SILENT_DAYS - 1):%Y-%m-%d} 起）"
               "没有任何走访记录的乡镇（街道）。")


def _vacant(frame: pd.DataFrame, wk: Week, one_county: bool) -> None:
    if frame.empty:
        st.success(f"{wk.sunday} 所有村（社区）都有在岗儿童主任。")
        return
    had = frame[frame["last_left"].notna()]
    table = pd.DataFrame({
        "村（社区）": had["village_name"], "所属乡镇（街道）": had["township_name"], "所属县区": had["county_name"],
        "上任主任离任日期": had["last_left"].astype(str), "已空缺天数": had["days_vacant"],
        "本周新空缺": ["是" if n else "" for n in had["new_this_week"]],
    })
    table = _local(table, one_county)
    if len(table):
        def new(column: pd.Series) -> list[str]:
            return [f"background-color: {TINTS['yellow']}" if v == "是" else "" for v in column]
        widgets.table(table.style.apply(new, subset=["本周新空缺"]), "儿童主任空缺村", "week_vacant", week=wk.key,
                      hide_index=True, height=min(420, 35 * len(table) + 40), placeholder="—")
    never = frame[frame["last_left"].isna()]
    if len(never):
        with st.expander(f"另有 {len(never)} 个村（社区）至今没有配备过儿童主任"):
            st.dataframe(_local(pd.DataFrame({"村（社区）": never["village_name"],
                                              "所属乡镇（街道）": never["township_name"],
                                              "所属县区": never["county_name"]}), one_county), hide_index=True, placeholder="—")
    st.caption(f"周日 {wk.sunday} 没有在岗儿童主任的村（社区）（与儿童主任配备率同一口径：离任日期当天起即为空缺）。")


def _changes(frame: pd.DataFrame, plan: list[Comparison], wk: Week) -> None:
    if frame.empty:
        st.success("同口径对比，没有指标变色。")
    else:
        _change_table(frame)
    st.caption(figures.plan_text(plan, frame, wk))


def _change_table(frame: pd.DataFrame) -> None:
    rows = frame.to_dict("records")
    table = pd.DataFrame({
        "区域": frame["region_name"], "层级": frame["level"].map(LEVEL_NAMES), "指标": frame["indicator"],
        "对比": [f"{figures.when_text(r['accrues'], r['before_end'])} → {figures.when_text(r['accrues'], r['now_end'])}"
               for r in rows],
        "之前": [figures.change_cell(r, "before") for r in rows], "现在": [figures.change_cell(r, "now") for r in rows],
        "变化": ["↓ 变差" if w else "↑ 变好" for w in frame["worse"]],
    })
    states = {"之前": frame["before"].tolist(), "现在": frame["now"].tolist()}

    def paint(column: pd.Series) -> list[str]:
        if column.name in states:
            return [f"background-color: {TINTS[s]}" for s in states[column.name]]
        if column.name == "变化":
            return [f"color: {fmt.STATUS_COLOURS['red' if w else 'green']}; font-weight: 600" for w in frame["worse"]]
        return [""] * len(column)

    widgets.table(table.style.apply(paint, axis=0), "颜色变化", "week_colours", week=st.session_state.get("week"), hide_index=True,
                  height=min(460, 35 * len(table) + 40), placeholder="—")



render()
