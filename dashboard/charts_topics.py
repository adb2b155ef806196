"""Charts and small page pieces shared by the five topic pages (儿童底数, 阵地与队伍, 走访, 培训, 资金)."""

import html

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import engine, filters, widgets
from dashboard.charts import LINE_COLOURS, _layout
from queries import fmt
from queries.periods import Month
from queries.registry import Indicator
from queries.topics_common import region_row

BLUE, ORANGE, GREY = LINE_COLOURS[0], LINE_COLOURS[1], "#8c8c8c"
NO_DATA_COLOUR = "#d9d9d9"
CONFIG = {"displayModeBar": False}


# ---- page pieces ---------------------------------------------------------------------------------

def context() -> dict:
    """The filters every topic page reads, and the level the engine's headline row is at."""
    month, region, scope = filters.month(), filters.region(), filters.viewer_scope()
    level = filters.region_level(region)
    return {"month": month, "region": region, "scope": scope, "level": level,
            "name": filters.region_name(region) or "全部区域", "is_county": level == "county"}


def headline_rows(ctx: dict) -> tuple[pd.Series | None, pd.Series | None, str]:
    """The engine's row for the region this month and for the comparison month, and the comparison label."""
    m = Month.parse(ctx["month"])
    other = m.shift(-1) if filters.compare() == "prev_month" else m.shift(-12)
    now = region_row(engine.indicator_frame(ctx["scope"], ctx["month"], ctx["level"], ctx["region"]), ctx["region"])
    before = region_row(engine.indicator_frame(ctx["scope"], str(other), ctx["level"], ctx["region"]), ctx["region"])
    return now, before, filters.COMPARISONS[filters.compare()]


def open_page(subject: str) -> tuple[dict, pd.Series, pd.Series | None, str] | None:
    """Title a topic page and fetch its headline rows; None (after saying so) when there is no data."""
    ctx = context()
    st.title(f"{ctx['name']} {subject}")
    now, before, label = headline_rows(ctx)
    if now is None:
        widgets.no_data()
        return None
    return ctx, now, before, label


def headline(ind: Indicator, now: pd.Series, before: pd.Series | None, label: str, extra: list[str] = ()) -> None:
    """widgets.headline with the usual comparison line under the figure."""
    prior = None if before is None else before.get(ind.key)
    widgets.headline(ind, now, [*extra, widgets.delta_text(ind, now[ind.key], prior, label)])


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
    st.download_button(label, frame.to_csv(index=False).encode("utf-8-sig"), file_name=file_name,
                       mime="text/csv", key=key)


def plot(fig: go.Figure, key: str | None = None) -> None:
    st.plotly_chart(fig, config=CONFIG, key=key)


# ---- charts --------------------------------------------------------------------------------------

def month_labels(months) -> list[str]:
    """'2026-01' → '1月' with the year under it for the first month and every January, '2月' … otherwise."""
    out = []
    for i, m in enumerate(months):
        year, number = str(m)[:4], int(str(m)[5:7])
        out.append(f"{number}月<br>{year}年" if i == 0 or number == 1 else f"{number}月")
    return out


def _month_axis(fig: go.Figure, months, **extra) -> None:
    """A category axis of months with Chinese labels, horizontal."""
    fig.update_xaxes(type="category", tickvals=list(months), ticktext=month_labels(months), tickangle=0, **extra)


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
    return _layout(fig, title, height=380)


def hbars(labels, values, texts, title: str, colours=None, reference: float | None = None,
          reference_label: str = "", suffix: str = "", height: int | None = None) -> go.Figure:
    """Horizontal bars, largest at the top, optional reference line (target or 序时进度)."""
    labels, values, texts = list(labels), list(values), list(texts)
    colours = list(colours) if colours is not None else [BLUE] * len(values)
    # With a reference line the labels go inside the bars where they fit, so the line does not cross them.
    inside = reference is not None and not fmt.is_null(reference)
    top = max([v for v in values + ([reference] if inside else []) if not fmt.is_null(v)], default=1) or 1
    positions = [("inside" if not fmt.is_null(v) and v >= 0.4 * top else "outside") if inside else "outside"
                 for v in values]
    fig = go.Figure(go.Bar(x=values, y=labels, orientation="h", marker_color=colours, text=texts,
                           textposition=positions, insidetextanchor="end",
                           insidetextfont=dict(color="white"), outsidetextfont=dict(color="#333"),
                           cliponaxis=False, hovertemplate="%{y}：%{text}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(tickformat=",")
    if suffix:
        fig.update_xaxes(ticksuffix=suffix)
    if suffix == "%":
        ticks = [0, 20, 40, 60, 80, 100]  # ticksuffix is ignored once tickvals are given: spell the labels out
        fig.update_xaxes(tickvals=ticks, ticktext=[f"{t}%" for t in ticks])
    if reference is not None and not fmt.is_null(reference):
        fig.add_vline(x=reference, line_dash="dash", line_color="#444", line_width=2,
                      annotation_text=reference_label, annotation_position="top",
                      annotation_font=dict(size=14))
    if inside:
        fig.update_xaxes(range=[0, top * 1.12])  # room for the reference line's label
    else:
        _room_for_text(fig, values, texts, reference)
    fig.update_layout(margin=dict(l=10, r=20, t=70, b=10))
    return _layout(fig, title, height=height or max(260, 34 * len(labels) + 110))


def rate_colours(values, statuses) -> list[str]:
    """Status colour per bar; grey where there is no value."""
    return [fmt.STATUS_COLOURS.get(s) if not fmt.is_null(v) else NO_DATA_COLOUR for v, s in zip(values, statuses)]


def status_heatmap(frame: pd.DataFrame, ind: Indicator, title: str) -> go.Figure:
    """Regions × months of one rate, each cell coloured 绿/黄/红 by the registry, grey when there is no data."""
    wide = frame.pivot_table(index="region_name", columns="month", values=ind.key, aggfunc="first", sort=False,
                             dropna=False)
    levels = {"red": 0, "yellow": 1, "green": 2}
    z = wide.map(lambda v: levels.get(widgets.status_of(ind, {ind.key: v})) if not fmt.is_null(v) else None)
    text = wide.map(lambda v: f"{v * 100:.0f}" if not fmt.is_null(v) else "—")
    scale = [[0, fmt.STATUS_COLOURS["red"]], [0.33, fmt.STATUS_COLOURS["red"]],
             [0.34, fmt.STATUS_COLOURS["yellow"]], [0.66, fmt.STATUS_COLOURS["yellow"]],
             [0.67, fmt.STATUS_COLOURS["green"]], [1, fmt.STATUS_COLOURS["green"]]]
    fig = go.Figure(go.Heatmap(
        z=z.to_numpy(dtype=float), x=list(wide.columns), y=list(wide.index), text=text.to_numpy(),
        texttemplate="%{text}", textfont=dict(size=13, color="white"), colorscale=scale, zmin=0, zmax=2,
        showscale=False, xgap=2, ygap=2, hovertemplate="%{y} %{x}：%{text}%<extra></extra>"))
    fig.update_yaxes(autorange="reversed", type="category")
    _month_axis(fig, wide.columns, side="top")
    fig.update_layout(plot_bgcolor=NO_DATA_COLOUR)
    fig = _layout(fig, title, height=max(300, 28 * len(wide) + 130))
    fig.update_layout(margin=dict(l=10, r=10, t=115, b=10))
    return fig


def spending_curve(frame: pd.DataFrame, title: str) -> go.Figure:
    """Cumulative spending as % of the year's budget against the 序时进度 diagonal."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=frame["month"], y=frame["time_progress"] * 100, name="序时进度",
                             mode="lines", line=dict(color="#444", dash="dash", width=2),
                             hovertemplate="%{x} 序时进度 %{y:.1f}%<extra></extra>"))
    fig.add_trace(go.Scatter(x=frame["month"], y=frame["cumulative_rate"] * 100, name="累计支出占年度预算",
                             mode="lines+markers+text", line=dict(color=BLUE, width=4),
                             text=[fmt.percent(v) for v in frame["cumulative_rate"]], textposition="bottom right",
                             cliponaxis=False,
                             customdata=[fmt.wan_yuan(v) for v in frame["cumulative"]],
                             hovertemplate="%{x} 累计 %{customdata}（%{y:.1f}%）<extra></extra>"))
    fig.update_yaxes(ticksuffix="%", rangemode="tozero")
    _month_axis(fig, frame["month"])
    fig = _layout(fig, title, height=380)
    fig.update_layout(margin=dict(r=50))
    return fig


def rate_trend(frame: pd.DataFrame, ind: Indicator, title: str) -> go.Figure:
    """One rate over months in percent, with the registry's green line as the target to reach."""
    values = frame[ind.key].astype(float) * 100
    # Only the last point is labelled: twelve labels on a half-width chart overlap.
    labels = [""] * (len(frame) - 1) + [fmt.percent(frame[ind.key].iloc[-1])] if len(frame) else []
    fig = go.Figure(go.Scatter(x=frame["month"], y=values, name=ind.name, mode="lines+markers+text",
                               line=dict(color=BLUE, width=4), text=labels, textfont=dict(size=16),
                               textposition="top center", cliponaxis=False,
                               hovertemplate=f"{ind.name} %{{x}}：%{{y:.1f}}%<extra></extra>"))
    green = (ind.thresholds or {}).get("green")
    if green is not None and not (ind.thresholds or {}).get("relative_to"):
        fig.add_hline(y=green * 100, line_dash="dash", line_color=fmt.STATUS_COLOURS["green"],
                      annotation_text=f"达标线 {green * 100:.0f}%", annotation_position="top left")
    low = values.min(skipna=True)
    bottom = 0 if fmt.is_null(low) else max(0, (int(low) // 10) * 10 - 10)
    fig.update_yaxes(ticksuffix="%", range=[bottom, max(105, float(values.max(skipna=True) or 0) + 8)])
    _month_axis(fig, frame["month"])
    return _layout(fig, title, height=380)


def month_bars(frame: pd.DataFrame, column: str, name: str, unit: str, title: str, colour: str = BLUE) -> go.Figure:
    """One count per month as bars with the value on top."""
    fig = go.Figure(go.Bar(x=frame["month"], y=frame[column], name=name, marker_color=colour,
                           text=[fmt.count(v) for v in frame[column]], textposition="outside", cliponaxis=False,
                           hovertemplate=f"%{{x}} {name} %{{y:,}} {unit}<extra></extra>"))
    _month_axis(fig, frame["month"])
    small = frame[column].max() <= 10 if len(frame) else True
    fig.update_yaxes(rangemode="tozero", tickformat=",d", dtick=1 if small else None)
    return _layout(fig, title, height=320)

