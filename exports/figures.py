"""Every Plotly figure and shared chart text of the screen and the files: one presentation layer, no streamlit."""

import math
import re
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from queries import fmt, judge, weekly
from queries.registry import Indicator, by_key, green_line, rule_text, target_text
from queries.weekly import PACE_DAILY, PACE_OVER, PACE_WEEKLY, Comparison, Week

FONT = dict(family="Noto Sans CJK SC, Microsoft YaHei, sans-serif", size=15)
LINE_COLOURS = ["#1f5fa8", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e"]
NO_DATA_COLOUR = "#bdbdbd"  # 无数据 on maps and bars: lighter than the 进行中 grey, never a value's colour
NEUTRAL = "#1f5fa8"  # bars of counts and sums, which are not judged

BLUE, ORANGE = LINE_COLOURS[0], LINE_COLOURS[1]
GREY = fmt.STATE_COLOURS[judge.EARLY]  # the month in progress
EMPTY_COLOUR = "#d9d9d9"  # a bar or heat-map cell of the topic pages with nothing to judge
# Heat-map cells carry their state as a number; this is the order, each mapped to its STATE_COLOURS entry.
HEAT_STATES = (judge.RED, judge.YELLOW, judge.GREEN, judge.ANOMALY, judge.EARLY)
MAX_MONTH_TICKS = 12  # more month labels than this run together on a half-width chart
NARROW_MONTH_TICKS = 4  # on a chart in two fifths of the page: six touch at 1024 px
PERCENT_CAP = 120  # a percent bar is drawn no longer than this (only an impossible rate gets there)
WRAP_TITLE = 14  # characters: a longer chart title puts its unit and date on a second line


def _layout(fig: go.Figure, title: str, height: int = 380, top: int = 60, wrap: bool = True,
            narrow: bool = False) -> go.Figure:
    """The house style; a long title is broken before its '（unit，截至 …）' so that a half-width chart (or a
    narrow screen) does not cut it off (top: the margin above the plot for a one-line title). On a `narrow`
    chart (two fifths of the page) the month in progress's note takes a third line: '（%，截至 12 月 4 日（本月
    进行中））' is wider than the chart at 1024 px."""
    fig.update_layout(title=dict(text=title, font=dict(size=18)), font=FONT, height=height,
                      margin=dict(l=10, r=10, t=top, b=10), plot_bgcolor="white",
                      legend=dict(orientation="h", y=-0.15))
    cut = re.search(r"（[^（），]+，截至", title)
    if wrap and cut and len(title) > WRAP_TITLE:
        head, tail = title[:cut.start()], title[cut.start():]
        extra = 0
        if narrow and tail.endswith(fmt.IN_PROGRESS_NOTE + "）"):
            tail, extra = tail.removesuffix(fmt.IN_PROGRESS_NOTE + "）") + f"，<br>{fmt.IN_PROGRESS_WORDS}）", 18
        fig.update_layout(title=dict(text=f"{head}<br><span style='font-size:14px;color:#555'>{tail}</span>"),
                          margin=dict(t=top + 22 + extra))
    # Numbers on axes as officials write them: '12,000', never '12k'.
    fig.update_xaxes(showgrid=False, exponentformat="none", separatethousands=True)
    fig.update_yaxes(gridcolor="#eee", exponentformat="none", separatethousands=True)
    return fig


layout = _layout  # the house style, for figures built elsewhere (weekly, the files)


def month_label(month: str, first: bool = False) -> str:
    """'2026-01' → '2026年1月'; other months just '3月' unless first on the axis."""
    year, number = month.split("-")
    return f"{year}年{int(number)}月" if first or number == "01" else f"{int(number)}月"


def trend_rates(frame: pd.DataFrame, indicators: list[Indicator], title: str, height: int = 380) -> go.Figure:
    """Lines of several rates over months, in percent."""
    fig = go.Figure()
    for colour, ind in zip(LINE_COLOURS, indicators):
        values = frame[ind.key].astype(float) * 100
        fig.add_trace(go.Scatter(x=frame["month"], y=values, name=ind.name, mode="lines+markers",
                                 line=dict(color=colour, width=3),
                                 hovertemplate=f"{ind.name} %{{x}}：%{{y:.1f}}%<extra></extra>"))
    fig.update_yaxes(ticksuffix="%", rangemode="tozero")
    # "YYYY-MM" would otherwise be read as dates with English month names.
    months = list(dict.fromkeys(frame["month"]))
    fig.update_xaxes(type="category", tickangle=0, tickmode="array", tickvals=months[::2],
                     ticktext=[month_label(m, i == 0) for i, m in enumerate(months[::2])])
    return _layout(fig, title, height=height)


def verdict_of(ind: Indicator, row: pd.Series | dict, before: pd.Series | dict | None = None,
               month: str | None = None) -> judge.Verdict:
    """The one verdict on a row's value (queries.judge): 绿/黄/红 as displayed, 数据异常, 进行中, jumps."""
    return judge.verdict(ind, dict(row), None if before is None else dict(before), month)


def bar_colour(ind: Indicator, state, value) -> str:
    """A bar's fill: the 无数据 grey for a null, the state's colour (绿/黄/红/数据异常/进行中) for a judged
    indicator, one neutral blue for figures that carry no judgement."""
    if fmt.is_null(value):
        return NO_DATA_COLOUR
    state = state if isinstance(state, str) else None  # a missing state arrives as None or NaN
    if state is None and not ind.judged:
        return NEUTRAL
    return fmt.STATE_COLOURS.get(state, fmt.STATE_COLOURS[None])


def ranking_bars(frame: pd.DataFrame, ind: Indicator, states: pd.Series, title: str,
                 average: float | None = None, average_label: str = "平均") -> go.Figure:
    """Horizontal bars of one indicator by region, coloured by the judge's state (queries.judge) of each row,
    with the parent's own value as a line. Lengths and labels are the values as displayed (half up)."""
    # Plotly draws the first row at the bottom: no data, then 数据异常 (an impossible value is not a result and
    # must not top the chart), then the values from lowest to highest.
    odd = pd.Series([states.get(code) == "anomaly" for code in frame.index], index=frame.index)
    order = pd.DataFrame({"null": frame[ind.key].notna(), "ok": ~odd, "v": frame[ind.key].astype(float)})
    data = frame.loc[order.sort_values(["null", "ok", "v"], kind="stable").index]
    raw = pd.to_numeric(data[ind.key], errors="coerce").astype(float)
    values = [0.0 if fmt.is_null(v) else shown_value(ind, v) for v in raw]
    bar_colours = [bar_colour(ind, states.get(code), v) for code, v in zip(data.index, raw)]
    text = ["无数据" if fmt.is_null(v) else fmt.value(ind, v) for v in raw]
    fig = go.Figure(go.Bar(x=values, y=data["region_name"], orientation="h", marker_color=bar_colours,
                           text=text, textposition="outside", cliponaxis=False,
                           customdata=list(data.index),
                           hovertemplate="%{y}：%{text}<extra></extra>"))
    if average is not None and not fmt.is_null(average):
        fig.add_vline(x=shown_value(ind, average), line_dash="dash", line_color="#444",
                      annotation_text=f"{average_label} {fmt.value(ind, average)}", annotation_position="top")
    # Plotly's default ticks read '2k / 5k'; officials read '2,000' and 万元.
    fig.update_xaxes(tickformat=",", exponentformat="none", ticksuffix="%" if ind.unit == "rate" else "",
                     title=dict(text="" if ind.unit == "rate" else fmt.unit_label(ind), standoff=4), rangemode="tozero")
    fig = _layout(fig, title, height=max(320, 34 * len(data) + 100))
    fig.update_layout(margin=dict(r=90))  # room for outside value labels such as "800.0 万元"
    return fig


def shown_value(ind: Indicator, v: float) -> float:
    """A value in the unit and to the digits officials read it (percent, 万元, persons; half up): bar lengths,
    map classes and table cells all use it, so none shows a digit the status was not judged on."""
    if ind.unit == "rate":
        return fmt.half_up(v * 100, 1)
    if ind.unit == "yuan":
        return fmt.half_up(fmt.wan(v), 1)
    return fmt.half_up(v, 0)


def category_bars(counts: dict[str, float], title: str, height: int = 300) -> go.Figure:
    """Children on the roll by category."""
    labels, values = list(counts), list(counts.values())
    fig = go.Figure(go.Bar(x=values, y=labels, orientation="h", marker_color="#1f5fa8",
                           text=[fmt.count(v) for v in values], textposition="outside", cliponaxis=False))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(range=[0, max(values or [1]) * 1.18], tickformat=",")  # room for the longest bar's label
    return _layout(fig, title, height=height)


# ---- verdicts and colours as charts show them ----------------------------------------------------

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
    return [EMPTY_COLOUR if fmt.is_null(v) else state_colour(s) for v, s in zip(values, states)]


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


# ---- month axes and topic charts -----------------------------------------------------------------

def month_ticks(months, most: int = MAX_MONTH_TICKS, latest: bool = False) -> list[str]:
    """The months that get a label: all of them up to `most`, else every 2nd/3rd month — counted from January
    (every January keeps its label), or with `latest` back from the last month, which then always keeps its
    label (a narrow chart of the latest twelve months, where that month is the one discussed)."""
    months = [str(m) for m in months]
    step = max(1, math.ceil(len(months) / most))
    if step == 1:
        return months
    if latest:
        return months[::-1][::step][::-1]
    return [m for m in months if (int(m[5:7]) - 1) % step == 0]


def month_labels(months) -> list[str]:
    """'2026-01' → '1月' with the year under it where the year changes (January, when every January has a
    label) and on the first label — unless a change of year follows within two labels, where the two years
    would run together ('2025年2026年')."""
    months = [str(m) for m in months]
    changes = [i for i in range(1, len(months)) if months[i][:4] != months[i - 1][:4]]
    first_gets_year = not changes or changes[0] > 2
    out = []
    for i, m in enumerate(months):
        year, number = m[:4], int(m[5:7])
        with_year = i in changes or (i == 0 and first_gets_year)
        out.append(f"{number}月<br>{year}年" if with_year else f"{number}月")
    return out


def _month_axis(fig: go.Figure, months, most: int = MAX_MONTH_TICKS, latest: bool = False, **extra) -> None:
    """A category axis of months with Chinese labels, horizontal, thinned so that labels never touch."""
    months = [str(m) for m in months]
    ticks = month_ticks(months, most, latest)
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
    fig.update_layout(plot_bgcolor=EMPTY_COLOUR)
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
    # Drawn in two fifths of the page (走访): twelve labels touch at 1280 px, six at 1024 px.
    _month_axis(fig, months, most=NARROW_MONTH_TICKS, latest=True)
    return _layout(fig, title, 380, narrow=True)


def month_bars(frame: pd.DataFrame, column: str, name: str, unit: str, title: str, colour: str = BLUE) -> go.Figure:
    """One count per month as bars with the value on top."""
    fig = go.Figure(go.Bar(x=frame["month"], y=frame[column], name=name, marker_color=colour,
                           text=[fmt.count(v) for v in frame[column]], textposition="outside", cliponaxis=False,
                           hovertemplate=f"%{{x}} {name} %{{y:,}} {unit}<extra></extra>"))
    _month_axis(fig, frame["month"])
    small = frame[column].max() <= 10 if len(frame) else True
    fig.update_yaxes(rangemode="tozero", tickformat=",d", dtick=1 if small else None, title=f"{name}（{unit}）")
    return _layout(fig, title, 320)


# ---- the weekly review ---------------------------------------------------------------------------

# AT_PACE, a darker shade of this week's blue: what this week's pace brings, not a status colour.
THIS_WEEK, LAST_WEEK, PACE, AT_PACE = "#1f5fa8", "#a6bddb", "#222222", "#0b3d7a"


def weekly_visits(frame: pd.DataFrame, h: dict, week_label: str) -> go.Figure:
    """This week's and last week's visits by area (queries.weekly.review's by_area and headline), with the
    marker the pace card speaks of: per-week need, what is left, or what is still missing."""
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
    title = f"本周与上周走访次数（次，{week_label}）"
    # Legend on its own line under the title: with four entries it runs into the title at 1280 px.
    fig.update_layout(title=dict(text=title, font=dict(size=18), y=1, yref="container", yanchor="top",
                                 pad=dict(t=12)),
                      font=FONT, barmode="group", height=max(360, 46 * len(data) + 150),
                      margin=dict(l=10, r=30, t=90, b=10), plot_bgcolor="white", bargap=0.25,
                      legend=dict(orientation="h", y=1.01, x=0, xanchor="left", yanchor="bottom"))
    fig.update_xaxes(gridcolor="#eee", tickformat=",")
    return fig


def day_text(d: date) -> str:
    """'12 月 1 日'."""
    return f"{d.month} 月 {d.day} 日"


def per_day(v: float) -> str:
    """A daily average: whole visits from ten up, else one decimal (a week of 1 visit is 0.1 a day, not 0)."""
    return fmt.count(v) if v >= 10 else f"{fmt.half_up(v, 1):g}"


def pace_card(h: dict, count=fmt.count, average=None) -> tuple[str, str, list[str], str]:
    """The month's remaining visits and by when, and whether this week's pace covers them (name, value, lines,
    state). Never visits-per-week with under a week left: that is the remainder blown up, not a pace.
    `count` and `average` format counts and the daily average (a file for outside readers hides small ones)."""
    end, missing, lacking = h["month_end"], h["visits_missing"], count(h["children_lacking"])
    name, mode, state = f"完成本月走访（{end.month} 月）", h["pace_mode"], "green" if h["enough"] else "red"
    left = f"本月还剩 {h['days_left']} 天（至 {day_text(end)}）"
    if not h["children_on_roll"]:  # a county with regions only: nothing is owed, but nothing was done either
        when = f"本月已结束（{day_text(end)}）" if mode == PACE_OVER else left
        return name, "无在册儿童", [when, "周日无在册儿童（儿童台账可能尚未导入）"], None
    if mode == PACE_OVER:
        if not missing:
            return name, "已完成", [f"本月已结束（{day_text(end)}）", "在册儿童均已达到走访要求"], state
        return name, f"仍缺 {count(missing)} 次", [f"本月已结束（{day_text(end)}）", f"{lacking} 名儿童未达要求"], state
    if not missing:
        return name, "已完成", [left, "在册儿童均已达到本月走访要求"], state
    verdict = "已达所需" if h["enough"] else "低于所需"
    if mode == PACE_WEEKLY:
        pace = f"折合每周需 {count(math.ceil(h['pace_needed']))} 次，本周 {count(h['visits_this_week'])} 次，{verdict}"
    else:
        pace = (f"剩余每天需 {count(math.ceil(h['per_day_needed']))} 次，"
                f"本周日均 {(average or per_day)(h['daily_average'])} 次，{verdict}")
    return name, f"尚需 {count(missing)} 次", [left, f"{lacking} 名儿童未达要求", pace], state


def weekly_warnings(h: dict, wk: Week, count=fmt.count) -> list[str]:
    """What makes the week's numbers doubtful: an import that stops before Sunday, a halving, silent townships."""
    out = []
    last = h["last_visit_day"]
    if last is None:
        out.append("所选区域还没有任何走访记录：走访台账可能尚未导入，以下走访数字均为 0。")
    elif last < wk.sunday:
        out.append(f"所选区域最近一条走访记录的日期是 {last}，早于所选周的周日 {wk.sunday}："
                   "本周的走访可能尚未导入完整，以下数字会偏低。")
    if h["visits_last_week"] and h["visits_this_week"] < h["visits_last_week"] / 2:
        out.append(f"本周走访 {count(h['visits_this_week'])} 次，不足上周（{count(h['visits_last_week'])} 次）"
                   "的一半，请核实是否漏报。")
    if h["silent"]:
        out.append(f"{count(h['silent'])} 个乡镇（街道）连续 14 天没有任何走访记录，见下方名单。")
    return out


def when_text(accrues: str, end: date) -> str:
    """A colour change's period: '11月' for a month's total, '11-29' for a day's state."""
    return f"{end.month}月" if accrues == "month" else f"{end:%m-%d}"


def change_cell(row, side: str) -> str:
    """'黄 87.6%', and for a relative rule what it is set against: '黄 87.6%（序时进度 89.4%）'."""
    reg = by_key()
    text = f"{fmt.STATE_LABELS[row[side]]} {fmt.value(reg[row['key']], row[f'value_{side}'])}"
    # No reference is None in one row but NaN once pandas has put rows together: only a key counts.
    if isinstance(row["reference"], str) and row["reference"]:
        ref = reg[row["reference"]]
        text += f"（{ref.label} {fmt.value(ref, row[f'ref_{side}'])}）"
    return text


def plan_text(plan: list[Comparison], frame: pd.DataFrame, wk: Week) -> str:
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
            how = (f"本周日（{day_text(wk.sunday)}）不是月末，月内累计尚未到月底，"
                   f"{fmt.STATE_LABELS['early']}、不评色，不比较")
        elif skipped == weekly.NEW_YEAR:
            how = (f"上周日在 {wk.previous.sunday.year} 年、本周日在 {wk.sunday.year} 年，"
                   "本年累计从 1 月 1 日重新开始，不比较")
        elif accrues == "month":
            how = f"本周日是月末，{c.now.end.month} 月整月对 {c.before.end.month} 月整月"
        elif accrues == "year":
            how = f"1 月 1 日至 {day_text(c.now.end)} 对 1 月 1 日至 {day_text(c.before.end)} 的累计"
        else:
            how = f"本周日 {day_text(c.now.end)} 对上周日 {day_text(c.before.end)} 的状态"
        parts.append(f"{kinds[accrues]}（{'、'.join(reg[m.key].label for m in members)}）：{how}")
    shown = list(dict.fromkeys(frame["key"])) if len(frame) else []
    rules = "；".join(f"{reg[k].label} {rule_text(reg[k])}" for k in shown)
    return ("对比口径：" + "；".join(parts) + "。"
            + (f"颜色按指标登记表：{rules}。" if rules else "")
            + f"只列两次都评为绿、黄、红且颜色不同的；{fmt.STATE_LABELS['anomaly']}、{fmt.STATE_LABELS['early']}"
              "不是颜色，不列入。")
