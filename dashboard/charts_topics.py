"""Page pieces shared by the five topic pages (儿童底数, 阵地与队伍, 走访, 培训, 资金); charts are in exports.figures."""

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import engine, filters, widgets
from exports.figures import (  # noqa: F401  (the topic pages and their tests use these names from here)
    BLUE, GREY, HEAT_STATES, MAX_MONTH_TICKS, ORANGE, PERCENT_CAP, anomaly_lines, colour_legend, hbars, heat_cells,
    month_bars, month_labels, month_ticks, monthly_flow, rate_colours, rate_trend, reference, spending_curve,
    state_colour, status_heatmap, verdicts,
)
from exports.figures import EMPTY_COLOUR as NO_DATA_COLOUR  # noqa: F401
from queries import fmt
from queries.registry import Indicator

CONFIG = {"displayModeBar": False}


# ---- page pieces ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Page:
    """What a topic page draws from: its model (queries.topics_*.page) and the headline rows picked from it."""

    ctx: dict
    now: pd.Series
    before: pd.Series | None  # the comparison month's row (比上月 or 比去年同月, as the sidebar says)
    label: str
    prior: pd.Series | None  # always last month's row: the jump check compares with it
    model: dict  # everything else the page shows, from the same one call

    @property
    def month(self) -> str:
        return self.ctx["month"]


def open_page(subject: str, model) -> Page | None:
    """Title a topic page and fetch its model — one cached call `model(conn, scope, month, region)` returning
    everything the page shows, as a meeting slide gets it; None (after saying so) when there is no data."""
    month, region, scope = filters.month(), filters.region(), filters.viewer_scope()
    name = filters.region_name(region) or "全部区域"
    st.title(f"{name} {subject}")
    data = engine.ask(model, scope, month, region)
    if data["now"] is None:
        widgets.no_data()
        return None
    ctx = {"month": month, "region": region, "scope": scope, "level": data["level"], "name": name,
           "is_county": data["is_county"], "early": data["early"]}
    before = data["prev_month"] if filters.compare() == "prev_month" else data["prev_year"]
    return Page(ctx, data["now"], before, filters.COMPARISONS[filters.compare()], data["prev_month"], data)


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
    widgets.fact_card(name, value, lines, tooltip=tooltip)


def township_labels(ctx: dict, codes, names) -> list[str]:
    """Township names, with the county in front when the page covers more than one county (names repeat)."""
    if ctx["is_county"]:
        return list(names)
    towns = engine.regions(ctx["scope"], "township", ctx["region"]).set_index("region_code")["parent_code"]
    counties = engine.regions(ctx["scope"], "county").set_index("region_code")["region_name"]
    return [f"{counties.get(towns.get(c), '')}{n}" for c, n in zip(codes, names)]


def list_button(frame: pd.DataFrame, label: str, what: str, key: str) -> None:
    """Download a list as the formatted Excel file of exports.tables (built on click, audited)."""
    from dashboard import exporting  # here: exporting imports login and filters

    exporting.table_button(frame, what, key=key, label=label)


def plot(fig: go.Figure, key: str | None = None) -> None:
    st.plotly_chart(fig, config=CONFIG, key=key)


def warn_anomalies(frame: pd.DataFrame, inds, month: str | None, names=None, limit: int = 10) -> None:
    """One warning naming the impossible values (rates above 100 %, spending above budget)."""
    lines = anomaly_lines(frame, inds, month, names)
    if lines:
        more = f"等 {fmt.count(len(lines))} 处" if len(lines) > limit else ""
        st.warning("数据异常，请核对台账：" + "；".join(lines[:limit]) + more + "。")
