"""周调度: one ISO week — visits vs last week and the month's pace, assessments due, vacancies, silences, colours."""

import html
import math
from datetime import date

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import engine, filters, widgets
from dashboard.charts import FONT
from queries import fmt, scorecard, weekly
from queries.weekly import Week

THIS_WEEK, LAST_WEEK, PACE = "#1f5fa8", "#a6bddb", "#222222"
TINTS = {"green": "#cfe9d7", "yellow": "#fde7b5", "red": "#f6c9c4"}
LEVEL_NAMES = {"city": "市", "county": "县（市、区）", "township": "乡镇（街道）"}


def render() -> None:
    region, scope = filters.region(), filters.viewer_scope()
    name = filters.region_name(region)
    today = date.today()
    options = weekly.weeks_until(today, 26)
    default = options.index(weekly.last_complete_week(today)) if weekly.last_complete_week(today) in options else 0
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
    _headline(h, wk)
    _warnings(h, wk)

    st.subheader("走访：本周、上周与完成本月所需进度")
    _visit_chart(data["by_area"], h, wk)
    one_county = filters.region_level(region) == "county"
    _visit_table(data["visits"], one_county)

    st.subheader("14 天无走访的乡镇（街道）")
    _silent(data["silent"], wk, one_county)

    st.subheader("新增儿童评估（按乡镇计数）")
    _pending(data["pending"], wk, one_county)

    st.subheader("儿童主任空缺的村（社区）")
    _vacant(data["vacant"], wk, one_county)

    st.subheader("指标颜色变化（本周日对上周日，月内累计）")
    _changes(data["changes"], wk)


def _card(name: str, value: str, lines: list[str], state: str | None = None, tooltip: str = "") -> None:
    colour = fmt.STATUS_COLOURS[state]
    sub = "<br>".join(html.escape(x) for x in lines)
    st.markdown(
        f'<div class="wb-card" style="border-left-color:{colour}" title="{html.escape(tooltip)}">'
        f'<div class="wb-name">{html.escape(name)}</div>'
        f'<div class="wb-value" style="color:{colour if state else "#222"}">{html.escape(value)}</div>'
        f'<div class="wb-sub">{sub}</div></div>', unsafe_allow_html=True)


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
        if h["pace_needed"] is None:
            _card("完成本月所需进度", "本月已结束", [f"本月仍缺 {fmt.count(h['visits_missing'])} 次走访"],
                  "red" if h["visits_missing"] else "green")
        else:
            ok = h["visits_this_week"] >= h["pace_needed"]
            _card("完成本月所需进度", f"每周 {fmt.count(math.ceil(h['pace_needed']))} 次",
                  [f"本月尚缺 {fmt.count(h['visits_missing'])} 次（{fmt.count(h['children_lacking'])} 名儿童）",
                   f"本月还剩 {h['days_left']} 天 · 本周{'已达到' if ok else '低于'}所需进度"],
                  "green" if ok else "red",
                  tooltip="所需每周走访 = 本月尚缺的走访次数 × 7 ÷ 本周日之后本月剩余天数")
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
        _card("14 天无走访乡镇", f"{fmt.count(h['silent'])} 个", [f"共 {fmt.count(h['townships'])} 个乡镇（街道）"],
              "red" if h["silent"] else "green")


def _warnings(h: dict, wk: Week) -> None:
    last = h["last_visit_day"]
    if last is None or last < wk.sunday:
        st.warning(f"数据库中最近一条走访记录的日期是 {last or '（无）'}，早于所选周的周日 {wk.sunday}："
                   "本周的走访可能尚未导入完整，以下数字会偏低。")
    if h["visits_last_week"] and h["visits_this_week"] < h["visits_last_week"] / 2:
        st.warning(f"本周走访 {fmt.count(h['visits_this_week'])} 次，不足上周（{fmt.count(h['visits_last_week'])} 次）"
                   "的一半，请核实是否漏报。")
    if h["silent"]:
        st.warning(f"{h['silent']} 个乡镇（街道）连续 14 天没有任何走访记录，见下方名单。")


def _visit_chart(frame: pd.DataFrame, h: dict, wk: Week) -> None:
    if frame.empty:
        widgets.no_data()
        return
    data = frame.sort_values("visits_this_week")
    fig = go.Figure()
    fig.add_trace(go.Bar(y=data["region_name"], x=data["visits_last_week"], orientation="h", name="上周",
                         marker_color=LAST_WEEK, hovertemplate="%{y} 上周：%{x:,} 次<extra></extra>"))
    fig.add_trace(go.Bar(y=data["region_name"], x=data["visits_this_week"], orientation="h", name="本周",
                         marker_color=THIS_WEEK, text=[f"{v:,}" for v in data["visits_this_week"]],
                         textposition="outside", cliponaxis=False,
                         hovertemplate="%{y} 本周：%{x:,} 次<extra></extra>"))
    if h["pace_needed"] is not None:
        fig.add_trace(go.Scatter(y=data["region_name"], x=data["pace_needed"], mode="markers", name="完成本月所需每周走访",
                                 marker=dict(symbol="line-ns", size=22, line=dict(width=3, color=PACE)),
                                 hovertemplate="%{y} 所需：每周 %{x:,.0f} 次<extra></extra>"))
    title = f"本周与上周走访次数（次，{wk.label}）"
    fig.update_layout(title=dict(text=title, font=dict(size=18)), font=FONT, barmode="group",
                      height=max(340, 46 * len(data) + 120), margin=dict(l=10, r=30, t=60, b=10),
                      plot_bgcolor="white", bargap=0.25,
                      legend=dict(orientation="h", y=1.02, x=1, xanchor="right", yanchor="bottom"))
    fig.update_xaxes(gridcolor="#eee", tickformat=",")
    st.plotly_chart(fig, config={"displayModeBar": False})
    st.caption("走访次数：该周周一至周日登记的走访记录条数，按受访儿童所在村归属。"
               "竖线为完成本月所需的每周走访次数 = 本周日在册、本月走访次数未达要求的儿童还缺的走访次数 × 7 ÷ 本周日之后本月剩余天数"
               "（要求默认每人每月 1 次）。")


def _local(table: pd.DataFrame, one_county: bool) -> pd.DataFrame:
    """Within one county the county column says the same thing on every row: drop it."""
    return table.drop(columns="所属县区") if one_county else table


def _visit_table(frame: pd.DataFrame, one_county: bool) -> None:
    table = pd.DataFrame({
        "乡镇（街道）": frame["region_name"], "所属县区": frame["county_name"],
        "本周走访": frame["visits_this_week"], "上周走访": frame["visits_last_week"], "变化": frame["change"],
        "在册儿童": frame["children_on_roll"], "本月未达要求": frame["children_lacking"],
        "所需每周走访": frame["pace_needed"].astype(float),
    }).sort_values("变化")
    table = _local(table, one_county)
    with st.expander(f"各乡镇（街道）明细（{len(table)} 个，按变化从少到多）"):
        st.dataframe(table, hide_index=True, column_config={
            "所需每周走访": st.column_config.NumberColumn(format="%.1f"),
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

    st.dataframe(table.style.apply(red, subset=["已超期"]), hide_index=True, height=min(420, 35 * len(table) + 40),
                 placeholder="—")
    st.caption(f"周日 {wk.sunday} 仍在册、风险评估或需求评估未完成（无日期或日期晚于周日）的儿童人数。"
               "到期日 = 纳入日期 + 30 天；剩余天数 = 到期日 − 周日（0 表示周日当天到期）；"
               "超期只计近一年内纳入的儿童。只统计人数，不列儿童个人信息。")


def _silent(frame: pd.DataFrame, wk: Week, one_county: bool) -> None:
    if frame.empty:
        st.success(f"所有乡镇（街道）在 {wk.sunday} 之前的 14 天内都有走访记录。")
        return
    table = pd.DataFrame({
        "乡镇（街道）": frame["region_name"], "所属县区": frame["county_name"],
        "最近走访日期": [str(d) if d else f"{weekly.LOOKBACK_DAYS} 天内无记录" for d in frame["last_visit"]],
        "已无走访天数": frame["days_silent"],
    })
    table = _local(table, one_county)
    st.dataframe(table, hide_index=True, height=min(420, 35 * len(table) + 40), placeholder="—")
    st.caption(f"{wk.sunday} 及之前 14 天（{wk.sunday - pd.Timedelta(days=13):%Y-%m-%d} 起）没有任何走访记录的乡镇（街道）。")


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
        st.dataframe(table.style.apply(new, subset=["本周新空缺"]), hide_index=True,
                     height=min(420, 35 * len(table) + 40), placeholder="—")
    never = frame[frame["last_left"].isna()]
    if len(never):
        with st.expander(f"另有 {len(never)} 个村（社区）至今没有配备过儿童主任"):
            st.dataframe(_local(pd.DataFrame({"村（社区）": never["village_name"],
                                              "所属乡镇（街道）": never["township_name"],
                                              "所属县区": never["county_name"]}), one_county), hide_index=True, placeholder="—")
    st.caption(f"周日 {wk.sunday} 没有在岗儿童主任的村（社区）（与儿童主任配备率同一口径：离任日期当天起即为空缺）。")


def _changes(frame: pd.DataFrame, wk: Week) -> None:
    if wk.previous.sunday.month != wk.sunday.month:
        st.info(f"上周日（{wk.previous.sunday}）与本周日（{wk.sunday}）不在同一个月：月内累计的指标（如走访完成率）"
                "本周日从月初重新累计，颜色变化主要反映这一点。")
    if frame.empty:
        st.success("与上周日相比，没有指标变色。")
        return
    table = pd.DataFrame({
        "区域": frame["region_name"], "层级": frame["level"].map(LEVEL_NAMES),
        "指标": frame["indicator"],
        f"上周日 {wk.previous.sunday:%m-%d}": [f"{fmt.STATUS_LABELS[s]} {fmt.percent(v)}"
                                             for s, v in zip(frame["before"], frame["value_before"])],
        f"本周日 {wk.sunday:%m-%d}": [f"{fmt.STATUS_LABELS[s]} {fmt.percent(v)}"
                                    for s, v in zip(frame["now"], frame["value_now"])],
        "变化": ["↓ 变差" if w else "↑ 变好" for w in frame["worse"]],
    })
    colours = {"before": frame["before"].tolist(), "now": frame["now"].tolist()}
    columns = list(table.columns)

    def paint(column: pd.Series) -> list[str]:
        if column.name == columns[3]:
            return [f"background-color: {TINTS[s]}" for s in colours["before"]]
        if column.name == columns[4]:
            return [f"background-color: {TINTS[s]}" for s in colours["now"]]
        if column.name == "变化":
            return [f"color: {fmt.STATUS_COLOURS['red' if w else 'green']}; font-weight: 600" for w in frame["worse"]]
        return [""] * len(column)

    st.dataframe(table.style.apply(paint, axis=0), hide_index=True, height=min(460, 35 * len(table) + 40), placeholder="—")
    st.caption("两个周日各自按月初至该日累计计算指标（与月报口径相同，只是截止日不同），按指标登记表的目标着色；"
               "只列两次都有颜色的指标。")


render()
