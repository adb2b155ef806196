"""Frames in, Plotly figures out: trends, rankings, category bars; one colour language throughout."""

import re

import pandas as pd
import plotly.graph_objects as go

from queries import fmt
from queries.registry import Indicator

FONT = dict(family="Noto Sans CJK SC, Microsoft YaHei, sans-serif", size=15)
LINE_COLOURS = ["#1f5fa8", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e"]
NO_DATA_COLOUR = "#bdbdbd"  # 无数据 on maps and bars: lighter than the 进行中 grey, never a value's colour
NEUTRAL = "#1f5fa8"  # bars of counts and sums, which are not judged


WRAP_TITLE = 14  # characters: a longer chart title puts its unit and date on a second line


def _layout(fig: go.Figure, title: str, height: int = 380, top: int = 60, wrap: bool = True) -> go.Figure:
    """The house style; a long title is broken before its '（unit，截至 …）' so that a half-width chart (or a
    narrow screen) does not cut it off (top: the margin above the plot for a one-line title)."""
    fig.update_layout(title=dict(text=title, font=dict(size=18)), font=FONT, height=height,
                      margin=dict(l=10, r=10, t=top, b=10), plot_bgcolor="white",
                      legend=dict(orientation="h", y=-0.15))
    cut = re.search(r"（[^（），]+，截至", title)
    if wrap and cut and len(title) > WRAP_TITLE:
        head, tail = title[:cut.start()], title[cut.start():]
        fig.update_layout(title=dict(text=f"{head}<br><span style='font-size:14px;color:#555'>{tail}</span>"),
                          margin=dict(t=top + 22))
    # Numbers on axes as officials write them: '12,000', never '12k'.
    fig.update_xaxes(showgrid=False, exponentformat="none", separatethousands=True)
    fig.update_yaxes(gridcolor="#eee", exponentformat="none", separatethousands=True)
    return fig


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
