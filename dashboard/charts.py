"""Frames in, Plotly figures out: trends, rankings, category bars; one colour language throughout."""

import pandas as pd
import plotly.graph_objects as go

from queries import fmt
from queries.registry import Indicator

FONT = dict(family="Noto Sans CJK SC, Microsoft YaHei, sans-serif", size=15)
LINE_COLOURS = ["#1f5fa8", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e"]


def _layout(fig: go.Figure, title: str, height: int = 380) -> go.Figure:
    fig.update_layout(title=dict(text=title, font=dict(size=18)), font=FONT, height=height,
                      margin=dict(l=10, r=10, t=60, b=10), plot_bgcolor="white",
                      legend=dict(orientation="h", y=-0.15))
    fig.update_xaxes(showgrid=False)
    fig.update_yaxes(gridcolor="#eee")
    return fig


def month_label(month: str, first: bool = False) -> str:
    """'2026-01' → '2026年1月'; other months just '3月' unless first on the axis."""
    year, number = month.split("-")
    return f"{year}年{int(number)}月" if first or number == "01" else f"{int(number)}月"


def trend_rates(frame: pd.DataFrame, indicators: list[Indicator], title: str) -> go.Figure:
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
    return _layout(fig, title)


def ranking_bars(frame: pd.DataFrame, ind: Indicator, colours: pd.Series, title: str,
                 average: float | None = None, average_label: str = "平均") -> go.Figure:
    """Horizontal bars of one indicator by region, coloured by status, with the average as a line."""
    data = frame.sort_values(ind.key, ascending=True, na_position="first")
    scale = 100 if ind.unit == "rate" else (1 / 10000 if ind.unit == "yuan" else 1)
    values = data[ind.key].astype(float) * scale
    bar_colours = [fmt.STATUS_COLOURS.get(colours.get(code)) if ind.better != "none" else "#1f5fa8"
                   for code in data.index]
    text = [fmt.value(ind, v) for v in data[ind.key]]
    fig = go.Figure(go.Bar(x=values, y=data["region_name"], orientation="h", marker_color=bar_colours,
                           text=text, textposition="outside", cliponaxis=False,
                           customdata=list(data.index),
                           hovertemplate="%{y}：%{text}<extra></extra>"))
    if average is not None and not fmt.is_null(average):
        fig.add_vline(x=average * scale, line_dash="dash", line_color="#444",
                      annotation_text=f"{average_label} {fmt.value(ind, average)}", annotation_position="top")
    if ind.unit == "rate":
        fig.update_xaxes(ticksuffix="%")
    fig = _layout(fig, title, height=max(320, 34 * len(data) + 100))
    fig.update_layout(margin=dict(r=90))  # room for outside value labels such as "800.0 万元"
    return fig


def category_bars(counts: dict[str, float], title: str) -> go.Figure:
    """Children on the roll by category."""
    labels, values = list(counts), list(counts.values())
    fig = go.Figure(go.Bar(x=values, y=labels, orientation="h", marker_color="#1f5fa8",
                           text=[fmt.count(v) for v in values], textposition="outside", cliponaxis=False))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(range=[0, max(values or [1]) * 1.18])  # room for the longest bar's label
    return _layout(fig, title, height=300)
