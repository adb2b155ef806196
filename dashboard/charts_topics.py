"""Charts and small page pieces shared by the five topic pages (儿童底数, 阵地与队伍, 走访, 培训, 资金)."""

import html
import math
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import engine, filters, widgets
from dashboard.charts import LINE_COLOURS, _layout
from queries import fmt, judge
from queries.periods import Month, in_progress
from queries.registry import Indicator, by_key, green_line, rule_text, target_text
from queries.topics_common import region_row

BLUE, ORANGE = LINE_COLOURS[0], LINE_COLOURS[1]
GREY = fmt.STATE_COLOURS[judge.EARLY]  # the month in progress
NO_DATA_COLOUR = "#d9d9d9"
CONFIG = {"displayModeBar": False}
# Heat-map cells carry their state as a number; this is the order, each mapped to its STATE_COLOURS entry.
HEAT_STATES = (judge.RED, judge.YELLOW, judge.GREEN, judge.ANOMALY, judge.EARLY)
MAX_MONTH_TICKS = 12  # more month labels than this run together on a half-width chart
PERCENT_CAP = 120  # a percent bar is drawn no longer than this (only an impossible rate gets there)


# ---- page pieces ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Page:
    """What a topic page draws its headline from."""

    ctx: dict
    now: pd.Series
    before: pd.Series | None  # the comparison month's row (比上月 or 比去年同月, as the sidebar says)
    label: str
    prior: pd.Series | None  # always last month's row: the jump check compares with it

    @property
    def month(self) -> str:
        return self.ctx["month"]


def context() -> dict:
    """The filters every topic page reads, and the level the engine's headline row is at."""
    month, region, scope = filters.month(), filters.region(), filters.viewer_scope()
    level = filters.region_level(region)
    return {"month": month, "region": region, "scope": scope, "level": level,
            "name": filters.region_name(region) or "全部区域", "is_county": level == "county",
            "early": in_progress(month)}


def _row(ctx: dict, month: Month) -> pd.Series | None:
    frame = engine.indicator_frame(ctx["scope"], str(month), ctx["level"], ctx["region"])
    return region_row(frame, ctx["region"])


def open_page(subject: str) -> Page | None:
    """Title a topic page and fetch its headline rows; None (after saying so) when there is no data."""
    ctx = context()
    st.title(f"{ctx['name']} {subject}")
    m = Month.parse(ctx["month"])
    now = _row(ctx, m)
    if now is None:
        widgets.no_data()
        return None
    prior = _row(ctx, m.shift(-1))
    before = prior if filters.compare() == "prev_month" else _row(ctx, m.shift(-12))
    return Page(ctx, now, before, filters.COMPARISONS[filters.compare()], prior)


def headline(ind: Indicator, page: Page, extra: list[str] = ()) -> None:
    """widgets.headline with the comparison line, the previous month for the jump check and the month shown
    (so 进行中 and 数据异常 marks appear)."""
    lines = list(extra)
    if ind.accrues == "month" and page.ctx["early"]:
        # Part of a month against a whole one says nothing about the work: no comparison until the month ends.
        if not ind.judged:
            lines.append("本月尚未结束，统计至今天")  # judged ones say so through their 进行中 mark
        lines.append(f"{page.label}：月末后再比较")
    else:
        prior = None if page.before is None else page.before.get(ind.key)
        lines.append(fmt.change(ind, page.now[ind.key], prior, page.label))
    widgets.headline(ind, page.now, lines, before=page.prior, month=page.month)


def card(name: str, value: str, lines: list[str] = (), tooltip: str = "") -> None:
    """A card in the headline style for a figure that is not a contract indicator (no status colour)."""
    sub = "<br>".join(html.escape(x) for x in lines)
    st.markdown(
        f'<div class="wb-card" title="{html.escape(tooltip)}"><div class="wb-name">{html.escape(name)}</div>'
        f'<div class="wb-value" style="color:#222">{html.escape(value)}</div>'
        f'<div class="wb-sub">{sub}</div></div>', unsafe_allow_html=True)


def township_labels(ctx: dict, codes, names) -> list[str]:
    """Township names, with the county in front when the page covers more than one county (names repeat)."""
    if ctx["is_county"]:
        return list(names)
    towns = engine.regions(ctx["scope"], "township", ctx["region"]).set_index("region_code")["parent_code"]
    counties = engine.regions(ctx["scope"], "county").set_index("region_code")["region_name"]
    return [f"{counties.get(towns.get(c), '')}{n}" for c, n in zip(codes, names)]


def csv_button(frame: pd.DataFrame, label: str, file_name: str, key: str) -> None:
    """Download a list as CSV that Chinese Excel opens correctly (UTF-8 with BOM)."""
    widgets.download(label, frame.to_csv(index=False).encode("utf-8-sig"), file_name=file_name,
                     mime="text/csv", key=key)


def plot(fig: go.Figure, key: str | None = None) -> None:
    st.plotly_chart(fig, config=CONFIG, key=key)


# ---- verdicts as pages show them -----------------------------------------------------------------

def verdicts(frame: pd.DataFrame, ind: Indicator, month: str | None) -> pd.Series:
    """judge's verdict on each row's value of one indicator (the row supplies 序时进度 for relative rules)."""
    if frame.empty:
        return pd.Series([], index=frame.index, dtype=object)
    return judge.verdicts(frame, [ind.key], month=month)[ind.key]


def state_colour(state: str | None) -> str:
    """The colour of any state judge can give, grey for one it cannot judge."""
    return fmt.STATE_COLOURS.get(state, fmt.STATE_COLOURS[None])


def rate_colours(values, states) -> list[str]:
    """Colour per bar from its state (绿/黄/红/数据异常/进行中); light grey where there is no value."""
    return [NO_DATA_COLOUR if fmt.is_null(v) else state_colour(s) for v, s in zip(values, states)]


def colour_legend(ind: Indicator, states) -> str:
    """The colour rule under a chart, in words from the registry, with the 数据异常 and 进行中 marks the chart
    actually shows."""
    states = set(states)
    parts = [f"颜色：{rule_text(ind)}"] if ind.judged else []
    if judge.ANOMALY in states:
        reason = ind.over_reason or f"{ind.label}超过 100%"
        parts.append(f"紫色为数据异常（{reason}，不可能出现，请核对台账；条形最长画到 {PERCENT_CAP}%）")
    if judge.EARLY in states:
        parts.append("深灰为进行中的本月（月内累计，月末后再评色）")
    return "；".join(parts) + ("。" if parts else "")


def anomaly_lines(frame: pd.DataFrame, inds, month: str | None, names=None) -> list[str]:
    """'甲镇 走访完成率 103.2%（走访完成率超过 100%）' for every value judge calls 数据异常."""
    if frame.empty:
        return []
    names = list(names) if names is not None else list(frame["region_name"])
    out = []
    for ind in inds:
        for name, value, v in zip(names, frame[ind.key], verdicts(frame, ind, month)):
            if v.state == judge.ANOMALY:
                out.append(f"{name} {ind.label} {fmt.value(ind, value)}（{v.reasons[0].removesuffix('，请核对台账')}）")
    return out


def warn_anomalies(frame: pd.DataFrame, inds, month: str | None, names=None, limit: int = 10) -> None:
    """One warning naming the impossible values (rates above 100 %, spending above budget)."""
    lines = anomaly_lines(frame, inds, month, names)
    if lines:
        more = f"等 {fmt.count(len(lines))} 处" if len(lines) > limit else ""
        st.warning("数据异常，请核对台账：" + "；".join(lines[:limit]) + more + "。")


def reference(ind: Indicator, row: dict | None = None) -> tuple[float, str] | None:
    """The green line of an indicator on a percent axis and its label ('达标线 100%', '序时进度 91.7%')."""
    line = green_line(ind, row)
    if line is None or fmt.is_null(line):
        return None
    t = ind.thresholds
    if t.get("relative_to") and t["green"] == 0:
        ref = by_key()[t["relative_to"]]
        label = f"{ref.label} {fmt.percent(line)}"
    elif t.get("relative_to"):
        label = f"达标线 {fmt.percent(line)}"
    else:
        label = target_text(ind)
    return (line * 100 if ind.unit == "rate" else line), label


# ---- charts --------------------------------------------------------------------------------------



def month_ticks(months) -> list[str]:
    """The months that get a label: all of them up to a year, else every 2nd/3rd month, always January."""
    months = [str(m) for m in months]
    step = max(1, math.ceil(len(months) / MAX_MONTH_TICKS))
    return [m for m in months if (int(m[5:7]) - 1) % step == 0] if step > 1 else months


def month_labels(months) -> list[str]:
    """'2026-01' → '1月' with the year under it on January and on the first label — unless a January follows
    within two labels, where the two years would run together ('2025年2026年')."""
    months = [str(m) for m in months]
    januaries = [i for i, m in enumerate(months) if m[5:7] == "01"]
    first_gets_year = not januaries or januaries[0] > 2 or januaries[0] == 0
    out = []
    for i, m in enumerate(months):
        year, number = m[:4], int(m[5:7])
        with_year = number == 1 or (i == 0 and first_gets_year)
        out.append(f"{number}月<br>{year}年" if with_year else f"{number}月")
    return out


def _month_axis(fig: go.Figure, months, **extra) -> None:
    """A category axis of months with Chinese labels, horizontal, thinned so that labels never touch."""
    months = [str(m) for m in months]
    ticks = month_ticks(months)
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=months, tickmode="array",
                     tickvals=ticks, ticktext=month_labels(ticks), tickangle=0, **extra)


def _room_for_text(fig: go.Figure, values, texts, reference=None) -> None:
    """Widen the value axis so that labels printed outside the bars are not cut off."""
    numbers = [v for v in list(values) + [reference] if v is not None and not fmt.is_null(v)]
    top = max(numbers, default=0) or 1
    longest = max((len(str(t)) for t in texts), default=0)
    share = min(0.5, 0.022 * longest + 0.04)
    fig.update_xaxes(range=[0, top / (1 - share)])


def monthly_flow(frame: pd.DataFrame, title: str) -> go.Figure:
    """新增 and 退出 per month as bars, 在册 at month end as a line on its own axis."""
    fig = go.Figure()
    fig.add_trace(go.Bar(x=frame["month"], y=frame["children_new"], name="本月新增", marker_color=BLUE,
                         text=[fmt.count(v) for v in frame["children_new"]], textposition="outside",
                         textfont=dict(size=11),
                         hovertemplate="%{x} 新增 %{y:,} 人<extra></extra>"))
    fig.add_trace(go.Bar(x=frame["month"], y=frame["children_exited"], name="本月退出", marker_color=ORANGE,
                         text=[fmt.count(v) for v in frame["children_exited"]], textposition="outside",
                         textfont=dict(size=11),
                         hovertemplate="%{x} 退出 %{y:,} 人<extra></extra>"))
    fig.add_trace(go.Scatter(x=frame["month"], y=frame["children_total"], name="月末在册（右轴）", yaxis="y2",
                             mode="lines+markers", line=dict(color="#444", width=3),
                             hovertemplate="%{x} 在册 %{y:,} 人<extra></extra>"))
    fig.update_layout(barmode="group", yaxis=dict(title="新增/退出（人）", rangemode="tozero", tickformat=",d"),
                      yaxis2=dict(title="在册（人）", overlaying="y", side="right", rangemode="tozero",
                                  showgrid=False, tickformat=",d"))
    _month_axis(fig, frame["month"])
    fig = _layout(fig, title, 380)
    fig.update_layout(legend=dict(y=-0.3))  # below the two-line month labels
    return fig


def hbars(labels, values, texts, title: str, colours=None, reference: tuple[float, str] | None = None,
          suffix: str = "", height: int | None = None, targets=None, axis_title: str = "") -> go.Figure:
    """Horizontal bars, largest at the top, with an optional reference line (reference(): the green line or
    序时进度) or, when each bar has its own green line, a tick mark per bar (`targets`)."""
    labels, values, texts = list(labels), list(values), list(texts)
    if suffix == "%":
        # A rate above 100 % is a data error (purple): one of 7,000 % must not flatten every other bar, so it is
        # drawn to PERCENT_CAP and its label tells the value.
        values = [v if fmt.is_null(v) else min(v, PERCENT_CAP) for v in values]
    colours = list(colours) if colours is not None else [BLUE] * len(values)
    ref_x, ref_label = reference if reference is not None else (None, "")
    marks = [t for t in (targets or []) if t is not None and not fmt.is_null(t)]
    # With a line to read against, the labels go inside the bars where they fit, so the line does not cross them.
    inside = ref_x is not None or bool(marks)
    top = max([v for v in values + ([ref_x] if ref_x is not None else []) + marks if not fmt.is_null(v)],
              default=1) or 1
    positions = [("inside" if not fmt.is_null(v) and v >= 0.4 * top else "outside") if inside else "outside"
                 for v in values]
    # A label outside a bar that stops short of its green-line mark would be crossed by it: it goes after the mark.
    moved = [bool(marks) and p == "outside" and t is not None and not fmt.is_null(t) and not fmt.is_null(v) and t > v
             for p, t, v in zip(positions, targets or [None] * len(values), values)]
    fig = go.Figure(go.Bar(x=values, y=labels, orientation="h", marker_color=colours,
                           text=["" if m else t for m, t in zip(moved, texts)], customdata=texts,
                           textposition=positions, insidetextanchor="end",
                           insidetextfont=dict(color="white"), outsidetextfont=dict(color="#333"),
                           cliponaxis=False, hovertemplate="%{y}：%{customdata}<extra></extra>", showlegend=False))
    if marks:
        fig.add_trace(go.Scatter(x=list(targets), y=labels, mode="markers", name="达标线",
                                 marker=dict(symbol="line-ns", size=26, line=dict(width=3, color="#222")),
                                 hovertemplate="%{y} 达标线 %{x:.1f}" + suffix + "<extra></extra>"))
    if any(moved):
        fig.add_trace(go.Scatter(x=[t for t, m in zip(targets, moved) if m], y=[y for y, m in zip(labels, moved) if m],
                                 text=[" " + x for x, m in zip(texts, moved) if m], mode="text",
                                 textposition="middle right", textfont=dict(color="#333"), cliponaxis=False,
                                 showlegend=False, hoverinfo="skip"))
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(tickformat=",", title=axis_title or None)
    if suffix == "%":
        ticks = [0, 20, 40, 60, 80, 100]  # ticksuffix is ignored once tickvals are given: spell the labels out
        fig.update_xaxes(tickvals=ticks, ticktext=[f"{t}%" for t in ticks])
    elif suffix:
        fig.update_xaxes(ticksuffix=suffix)
    if ref_x is not None:
        fig.add_vline(x=ref_x, line_dash="dash", line_color="#444", line_width=2,
                      annotation_text=ref_label, annotation_position="top", annotation_font=dict(size=14))
    if inside:
        fig.update_xaxes(range=[0, top * 1.12])  # room for the reference line's label
    else:
        _room_for_text(fig, values, texts)
    fig = _layout(fig, title, height or max(260, 34 * len(labels) + 110), top=70)
    fig.update_layout(margin=dict(l=10, r=20, b=10),
                      legend=dict(orientation="h", x=1, y=1.0, xanchor="right", yanchor="bottom"))
    return fig


def heat_cells(frame: pd.DataFrame, ind: Indicator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Regions × months of one rate (long frame: region_code, region_name, month, the key): the text of each
    cell (one decimal, as every page shows a rate) and its state from judge on that same value, each month
    judged as itself (the month in progress is 进行中). Rows are named; codes keep equal names apart."""
    rows = frame.to_dict("records")
    cells = {(r["region_code"], r["month"]): (r[ind.key], judge.verdict(ind, r, month=r["month"]).state)
             for r in rows}
    codes = list(dict.fromkeys(r["region_code"] for r in rows))
    months = sorted({r["month"] for r in rows})
    names = dict(zip(frame["region_code"], frame["region_name"]))

    def grid(pick) -> pd.DataFrame:
        return pd.DataFrame([[pick(cells.get((c, m))) for m in months] for c in codes],
                            index=[names[c] for c in codes], columns=months, dtype=object)

    text = grid(lambda cell: fmt.NO_DATA if cell is None or fmt.is_null(cell[0]) else fmt.percent(cell[0])[:-1])
    state = grid(lambda cell: None if cell is None else cell[1])
    return text, state


def status_heatmap(frame: pd.DataFrame, ind: Indicator, title: str) -> go.Figure:
    """Regions × months of one rate, each cell coloured by judge (绿/黄/红, 数据异常, 进行中), light grey when
    there is nothing to judge."""
    text, state = heat_cells(frame, ind)
    z = state.map(lambda s: HEAT_STATES.index(s) if s in HEAT_STATES else None)
    words = state.map(lambda s: fmt.STATE_LABELS.get(s, "无数据"))
    n = len(HEAT_STATES)
    scale = []
    for i, s in enumerate(HEAT_STATES):  # one flat band per state: z = i falls inside band i
        scale += [[max(0.0, (i - 0.5) / (n - 1)), fmt.STATE_COLOURS[s]],
                  [min(1.0, (i + 0.5) / (n - 1)), fmt.STATE_COLOURS[s]]]
    fig = go.Figure(go.Heatmap(
        z=z.to_numpy(dtype=float), x=list(text.columns), y=list(text.index), text=text.to_numpy(),
        customdata=words.to_numpy(), texttemplate="%{text}", textfont=dict(size=13, color="white"),
        colorscale=scale, zmin=0, zmax=n - 1, showscale=False, xgap=2, ygap=2,
        hovertemplate="%{y} %{x}：%{text}%（%{customdata}）<extra></extra>"))
    fig.update_yaxes(autorange="reversed", type="category")
    _month_axis(fig, text.columns, side="top")
    fig.update_layout(plot_bgcolor=NO_DATA_COLOUR)
    # Full width, and its month labels sit on top: a second title line would run into them.
    fig = _layout(fig, title, max(300, 28 * len(text) + 130), top=115, wrap=False)
    fig.update_layout(margin=dict(l=10, r=10, b=10))
    return fig


def spending_curve(frame: pd.DataFrame, title: str) -> go.Figure:
    """Cumulative spending as % of the year's budget against the 序时进度 diagonal."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=frame["month"], y=frame["time_progress"] * 100, name=by_key()["time_progress"].name,
                             mode="lines", line=dict(color="#444", dash="dash", width=2),
                             hovertemplate="%{x} 序时进度 %{y:.1f}%<extra></extra>"))
    fig.add_trace(go.Scatter(x=frame["month"], y=frame["cumulative_rate"] * 100, name="累计支出占年度预算",
                             mode="lines+markers+text", line=dict(color=BLUE, width=4),
                             # A month with no spending repeats the last label: once is enough.
                             text=[fmt.percent(v) if i == 0 or fmt.percent(v) != fmt.percent(p) else ""
                                   for i, (v, p) in enumerate(zip(frame["cumulative_rate"],
                                                                   frame["cumulative_rate"].shift()))],
                             textposition="bottom right",
                             cliponaxis=False,
                             customdata=[[fmt.wan_yuan(v), fmt.percent(r)]
                                         for v, r in zip(frame["cumulative"], frame["cumulative_rate"])],
                             hovertemplate="%{x} 累计 %{customdata[0]}（%{customdata[1]}）<extra></extra>"))
    fig.update_yaxes(ticksuffix="%", rangemode="tozero", title="占年度预算（%）")
    _month_axis(fig, frame["month"])
    fig = _layout(fig, title, 380)
    fig.update_layout(margin=dict(r=50), legend=dict(y=-0.3))  # below the two-line month labels
    return fig


def rate_trend(frame: pd.DataFrame, ind: Indicator, title: str) -> go.Figure:
    """One rate over months in percent, each point coloured by judge and the registry's green line drawn; the
    month in progress hangs off the line dotted and grey, since it is not comparable with whole months yet."""
    series = frame[ind.key].astype(float) * 100
    values = series.tolist()
    states = [judge.verdict(ind, row, month=row["month"]).state for row in frame.to_dict("records")]
    colours = rate_colours(values, states)
    shown = [fmt.percent(v) for v in frame[ind.key]]
    months = list(frame["month"])
    early = bool(states) and states[-1] == judge.EARLY
    whole = len(frame) - 1 if early else len(frame)
    fig = go.Figure()
    # Only the last point is labelled: twelve labels on a half-width chart overlap.
    fig.add_trace(go.Scatter(x=months[:whole], y=values[:whole], mode="lines+markers+text",
                             line=dict(color=BLUE, width=4), textfont=dict(size=16), showlegend=False,
                             text=[""] * (whole - 1) + shown[whole - 1:whole] if whole and not early else None,
                             textposition="top left", cliponaxis=False,
                             marker=dict(size=11, color=colours[:whole], line=dict(color="white", width=1)),
                             customdata=shown[:whole],
                             hovertemplate=f"{ind.label} %{{x}}：%{{customdata}}<extra></extra>"))
    if early:
        tail = slice(max(0, whole - 1), len(frame))
        fig.add_trace(go.Scatter(x=months[tail], y=values[tail], mode="lines+markers+text", showlegend=False,
                                 line=dict(color=GREY, width=3, dash="dot"), textfont=dict(size=15, color="#555"),
                                 text=[""] * (len(months[tail]) - 1) + [f"{shown[-1]}（进行中）"],
                                 textposition="top left", cliponaxis=False,
                                 marker=dict(size=11, color=colours[tail], line=dict(color="white", width=1)),
                                 customdata=[f"{v}（进行中）" if s == judge.EARLY else v
                                             for v, s in zip(shown[tail], states[tail])],
                                 hovertemplate=f"{ind.label} %{{x}}：%{{customdata}}<extra></extra>"))
    line = reference(ind)
    if line is not None:
        fig.add_hline(y=line[0], line_dash="dash", line_color=fmt.STATE_COLOURS["green"],
                      annotation_text=line[1], annotation_position="top left")
    low, high = series.min(skipna=True), series.max(skipna=True)
    bottom = 0 if fmt.is_null(low) else max(0, (int(low) // 10) * 10 - 10)
    top = 105 if fmt.is_null(high) else max(105, float(high) + 8)
    fig.update_yaxes(ticksuffix="%", range=[bottom, top])
    _month_axis(fig, months)
    return _layout(fig, title, 380)


def month_bars(frame: pd.DataFrame, column: str, name: str, unit: str, title: str, colour: str = BLUE) -> go.Figure:
    """One count per month as bars with the value on top."""
    fig = go.Figure(go.Bar(x=frame["month"], y=frame[column], name=name, marker_color=colour,
                           text=[fmt.count(v) for v in frame[column]], textposition="outside", cliponaxis=False,
                           hovertemplate=f"%{{x}} {name} %{{y:,}} {unit}<extra></extra>"))
    _month_axis(fig, frame["month"])
    small = frame[column].max() <= 10 if len(frame) else True
    fig.update_yaxes(rangemode="tozero", tickformat=",d", dtick=1 if small else None, title=f"{name}（{unit}）")
    return _layout(fig, title, 320)
