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
from queries.periods import today
from queries.registry import by_key, rule_text
from queries.weekly import PACE_DAILY, PACE_OVER, PACE_WEEK_DAYS, PACE_WEEKLY, Comparison, Week

# AT_PACE, a darker shade of this week's blue: what this week's pace brings, not a status colour.
THIS_WEEK, LAST_WEEK, PACE, AT_PACE = "#1f5fa8", "#a6bddb", "#222222", "#0b3d7a"
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
    _headline(h, wk)
    _warnings(h, wk)

    st.subheader(f"走访：本周、上周与{MARKERS[h['pace_mode']]}")
    _visit_chart(data["by_area"], h, wk)
    one_county = filters.region_level(region) == "county"
    _visit_table(data["visits"], h, one_county)

    st.subheader("14 天无走访的乡镇（街道）")
    _silent(data["silent"], wk, one_county)

    st.subheader("新增儿童评估（按乡镇计数）")
    _pending(data["pending"], wk, one_county)

    st.subheader("儿童主任空缺的村（社区）")
    _vacant(data["vacant"], wk, one_county)

    st.subheader("指标颜色变化（同口径对比）")
    _changes(data["changes"], data["plan"], wk)


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
        _card(*_pace_card(h), tooltip=PACE_TOOLTIP)
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


# What the chart's marker shows, by weekly.Week.pace_mode: a per-week pace only with a week or more left.
MARKERS = {PACE_WEEKLY: "折合每周所需", PACE_DAILY: "本月尚需", PACE_OVER: "本月仍缺"}
PACE_TOOLTIP = (
    "尚需 = 周日在册、本月 1 日至周日走访次数未达要求的儿童还缺的走访次数之和（要求默认每人每月 1 次）。"
    f"本月还剩 {PACE_WEEK_DAYS} 天及以上时，折合每周需 = 尚需 × 7 ÷ 剩余天数，与本周走访比较；"
    f"不足 {PACE_WEEK_DAYS} 天时不再折合每周，比较剩余每天所需（尚需 ÷ 剩余天数）与本周日均（本周走访 ÷ 7）。")


def _day(d: date) -> str:
    return f"{d.month} 月 {d.day} 日"


def _per_day(v: float) -> str:
    """A daily average: whole visits from ten up, else one decimal (a week of 1 visit is 0.1 a day, not 0)."""
    return fmt.count(v) if v >= 10 else f"{fmt.half_up(v, 1):g}"


def _pace_card(h: dict) -> tuple[str, str, list[str], str]:
    """The month's remaining visits and by when, and whether this week's pace covers them (name, value, lines,
    state). Never visits-per-week with under a week left: that is the remainder blown up, not a pace."""
    end, missing, lacking = h["month_end"], h["visits_missing"], fmt.count(h["children_lacking"])
    name, mode, state = f"完成本月走访（{end.month} 月）", h["pace_mode"], "green" if h["enough"] else "red"
    left = f"本月还剩 {h['days_left']} 天（至 {_day(end)}）"
    if mode == PACE_OVER:
        if not missing:
            return name, "已完成", [f"本月已结束（{_day(end)}）", "在册儿童均已达到走访要求"], state
        return name, f"仍缺 {fmt.count(missing)} 次", [f"本月已结束（{_day(end)}）", f"{lacking} 名儿童未达要求"], state
    if not missing:
        return name, "已完成", [left, "在册儿童均已达到本月走访要求"], state
    verdict = "已达所需" if h["enough"] else "低于所需"
    if mode == PACE_WEEKLY:
        pace = f"折合每周需 {fmt.count(math.ceil(h['pace_needed']))} 次，本周 {fmt.count(h['visits_this_week'])} 次，{verdict}"
    else:
        pace = (f"剩余每天需 {fmt.count(math.ceil(h['per_day_needed']))} 次，"
                f"本周日均 {_per_day(h['daily_average'])} 次，{verdict}")
    return name, f"尚需 {fmt.count(missing)} 次", [left, f"{lacking} 名儿童未达要求", pace], state


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
    mode = h["pace_mode"]
    # The marker says what the card says: a per-week pace only with a week or more left, else what is left.
    if mode == PACE_WEEKLY:
        marker, name, hover = data["pace_needed"], "折合每周需", "%{y} 折合每周需 %{x:,.0f} 次"
    elif mode == PACE_DAILY:
        marker, name = data["visits_missing"], f"本月尚需（还剩 {h['days_left']} 天）"
        hover = f"%{{y}} 本月尚需 %{{x:,}} 次（还剩 {h['days_left']} 天）"
    else:
        marker, name, hover = data["visits_missing"], "本月仍缺（已结束）", "%{y} 本月仍缺 %{x:,} 次"
    fig.add_trace(go.Scatter(y=data["region_name"], x=marker, mode="markers", name=name,
                             marker=dict(symbol="line-ns", size=22, line=dict(width=3, color=PACE)),
                             hovertemplate=hover + "<extra></extra>"))
    if mode == PACE_DAILY:
        # With under a week left the bars (a whole week) are no yardstick for what is left: show what the days
        # left bring at this week's pace, so "short of what is needed" is visible per area as on the card.
        fig.add_trace(go.Scatter(y=data["region_name"], x=data["at_this_pace"], mode="markers",
                                 name=f"按本周日均，剩余 {h['days_left']} 天约可走访",
                                 marker=dict(symbol="diamond-open", size=12, color=AT_PACE, line=dict(width=2)),
                                 hovertemplate=f"%{{y}} 按本周日均，剩余 {h['days_left']} 天约可走访 %{{x:,.0f}} 次"
                                               "<extra></extra>"))
    title = f"本周与上周走访次数（次，{wk.label}）"
    # Legend on its own line under the title: with four entries it runs into the title at 1280 px.
    fig.update_layout(title=dict(text=title, font=dict(size=18), y=1, yref="container", yanchor="top",
                                 pad=dict(t=12)),
                      font=FONT, barmode="group", height=max(360, 46 * len(data) + 150),
                      margin=dict(l=10, r=30, t=90, b=10), plot_bgcolor="white", bargap=0.25,
                      legend=dict(orientation="h", y=1.01, x=0, xanchor="left", yanchor="bottom"))
    fig.update_xaxes(gridcolor="#eee", tickformat=",")
    st.plotly_chart(fig, config={"displayModeBar": False})
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
        st.dataframe(table, hide_index=True, column_config={
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


def _changes(frame: pd.DataFrame, plan: list[Comparison], wk: Week) -> None:
    if frame.empty:
        st.success("同口径对比，没有指标变色。")
    else:
        _change_table(frame)
    st.caption(_plan_text(plan, frame, wk))


def _when(accrues: str, end: date) -> str:
    return f"{end.month}月" if accrues == "month" else f"{end:%m-%d}"


def _cell(row, side: str) -> str:
    """'黄 87.6%', and for a relative rule what it is set against: '黄 87.6%（序时进度 89.4%）'."""
    reg = by_key()
    text = f"{fmt.STATE_LABELS[row[side]]} {fmt.value(reg[row['key']], row[f'value_{side}'])}"
    if row["reference"]:
        ref = reg[row["reference"]]
        text += f"（{ref.label} {fmt.value(ref, row[f'ref_{side}'])}）"
    return text


def _change_table(frame: pd.DataFrame) -> None:
    rows = frame.to_dict("records")
    table = pd.DataFrame({
        "区域": frame["region_name"], "层级": frame["level"].map(LEVEL_NAMES), "指标": frame["indicator"],
        "对比": [f"{_when(r['accrues'], r['before_end'])} → {_when(r['accrues'], r['now_end'])}" for r in rows],
        "之前": [_cell(r, "before") for r in rows], "现在": [_cell(r, "now") for r in rows],
        "变化": ["↓ 变差" if w else "↑ 变好" for w in frame["worse"]],
    })
    states = {"之前": frame["before"].tolist(), "现在": frame["now"].tolist()}

    def paint(column: pd.Series) -> list[str]:
        if column.name in states:
            return [f"background-color: {TINTS[s]}" for s in states[column.name]]
        if column.name == "变化":
            return [f"color: {fmt.STATUS_COLOURS['red' if w else 'green']}; font-weight: 600" for w in frame["worse"]]
        return [""] * len(column)

    st.dataframe(table.style.apply(paint, axis=0), hide_index=True, height=min(460, 35 * len(table) + 40),
                 placeholder="—")


def _plan_text(plan: list[Comparison], frame: pd.DataFrame, wk: Week) -> str:
    """The caption, worded from what colour_changes compared (weekly.colour_plan) and the registry's rules."""
    reg = by_key()
    groups: dict[tuple, list[Comparison]] = {}
    for c in plan:
        groups.setdefault((c.accrues, c.skipped), []).append(c)
    kinds = {"stock": "时点指标", "year": "本年累计指标", "month": "月内累计指标"}
    parts = []
    for (accrues, skipped), members in groups.items():
        c = members[0]  # one group, one pair of periods
        if skipped == weekly.MID_MONTH:
            how = (f"本周日（{_day(wk.sunday)}）不是月末，月内累计尚未到月底，"
                   f"{fmt.STATE_LABELS['early']}、不评色，不比较")
        elif skipped == weekly.NEW_YEAR:
            how = (f"上周日在 {wk.previous.sunday.year} 年、本周日在 {wk.sunday.year} 年，"
                   "本年累计从 1 月 1 日重新开始，不比较")
        elif accrues == "month":
            how = f"本周日是月末，{c.now.end.month} 月整月对 {c.before.end.month} 月整月"
        elif accrues == "year":
            how = f"1 月 1 日至 {_day(c.now.end)} 对 1 月 1 日至 {_day(c.before.end)} 的累计"
        else:
            how = f"本周日 {_day(c.now.end)} 对上周日 {_day(c.before.end)} 的状态"
        parts.append(f"{kinds[accrues]}（{'、'.join(reg[m.key].label for m in members)}）：{how}")
    shown = list(dict.fromkeys(frame["key"])) if len(frame) else []
    rules = "；".join(f"{reg[k].label} {rule_text(reg[k])}" for k in shown)
    return ("对比口径：" + "；".join(parts) + "。"
            + (f"颜色按指标登记表：{rules}。" if rules else "")
            + f"只列两次都评为绿、黄、红且颜色不同的；{fmt.STATE_LABELS['anomaly']}、{fmt.STATE_LABELS['early']}"
              "不是颜色，不列入。")


render()
