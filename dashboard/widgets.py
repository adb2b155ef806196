"""Reusable pieces: headline cards, status colours, indicator tables, chart titles, definition notes."""

import html

import pandas as pd
import streamlit as st

from queries import fmt
from queries.registry import Indicator, status

CARD_CSS = """
<style>
.wb-card {border-radius: 10px; padding: 14px 18px; background: #fafafa; border-left: 10px solid #8c8c8c;
          margin-bottom: 12px; min-height: 132px;}
.wb-card .wb-name {font-size: 1.05rem; color: #333; font-weight: 600;}
.wb-card .wb-value {font-size: clamp(1.6rem, 2.2vw, 2.4rem); font-weight: 700; line-height: 1.2; white-space: nowrap;}
.wb-card .wb-sub {font-size: 0.9rem; color: #555;}
.wb-badge {display: inline-block; padding: 0 8px; border-radius: 8px; color: white; font-size: 0.85rem;
           margin-left: 6px; vertical-align: middle;}
</style>
"""

MEETING_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"] {display: none;}
html, body, [data-testid="stMarkdownContainer"] p {font-size: 1.25rem;}
.wb-card .wb-value {font-size: clamp(2rem, 3vw, 3.4rem);}
.wb-card .wb-name {font-size: 1.3rem;}
.wb-card .wb-sub {font-size: 1.1rem;}
h1 {font-size: 3rem !important;}
</style>
"""


def page_style(meeting: bool) -> None:
    """Card styles, and in meeting mode larger type and no sidebar."""
    st.markdown(CARD_CSS + (MEETING_CSS if meeting else ""), unsafe_allow_html=True)


def status_of(ind: Indicator, row: pd.Series | dict) -> str | None:
    """The registry's colour for one row's value of an indicator."""
    row = dict(row)
    value = row.get(ind.key)
    return status(ind, None if fmt.is_null(value) else float(value), row)


def badge(state: str | None) -> str:
    if state is None:
        return ""
    return (f'<span class="wb-badge" style="background:{fmt.STATUS_COLOURS[state]}">'
            f'{fmt.STATUS_LABELS[state]}</span>')


def delta_text(ind: Indicator, now, before, label: str) -> str:
    """'比上月 +1.2 个百分点' for rates, '比上月 +35' for counts; '—' without a comparison."""
    if fmt.is_null(now) or fmt.is_null(before):
        return f"{label} —"
    diff = now - before
    if ind.unit == "rate":
        return f"{label} {round(diff * 100, 1) + 0.0:+.1f} 个百分点"  # + 0.0 turns -0.0 into 0.0
    if ind.unit == "yuan":
        return f"{label} {round(diff / 10000, 1) + 0.0:+,.1f} 万元"
    return f"{label} {int(round(diff)):+,}"


def headline(ind: Indicator, row: pd.Series, lines: list[str] | None = None) -> None:
    """One large figure coloured by its status, with comparison lines under it."""
    state = status_of(ind, row)
    colour = fmt.STATUS_COLOURS[state]
    sub = "<br>".join(html.escape(x) for x in (lines or []))
    st.markdown(
        f'<div class="wb-card" style="border-left-color:{colour}" title="{html.escape(ind.definition)}">'
        f'<div class="wb-name">{html.escape(ind.name.replace("（元）", ""))}{badge(state)}</div>'
        f'<div class="wb-value" style="color:{colour if state else "#222"}">{fmt.value(ind, row[ind.key])}</div>'
        f'<div class="wb-sub">{sub}</div></div>',
        unsafe_allow_html=True,
    )


def chart_title(subject: str, unit: str, month: str) -> str:
    """Every chart says what, in which unit, as of when."""
    return f"{subject}（{unit}，截至 {month} 月末）"


def definition_note(*indicators: Indicator) -> None:
    """The 口径 under a chart, from the registry."""
    st.caption("；".join(f"**{i.name}**：{i.definition}" for i in indicators))


def indicator_table(frame: pd.DataFrame, indicators, exact_money: bool = False, key: str | None = None,
                    on_select: str = "ignore"):
    """A table of regions × indicators, headers and tooltips from the registry."""
    shown = pd.DataFrame({"区划": frame["region_name"]}, index=frame.index)
    config = {}
    for ind in indicators:
        column = frame[ind.key].astype(float)
        if ind.unit == "rate":
            shown[ind.name] = column * 100
            config[ind.name] = st.column_config.NumberColumn(ind.name, help=ind.definition, format="%.1f%%")
        elif ind.unit == "yuan":
            label = ind.name if exact_money else ind.name.replace("（元）", "（万元）")
            shown[label] = column if exact_money else column / 10000
            config[label] = st.column_config.NumberColumn(label, help=ind.definition,
                                                          format="%.2f" if exact_money else "%.1f")
        else:
            shown[ind.name] = column
            config[ind.name] = st.column_config.NumberColumn(ind.name, help=ind.definition, format="localized")
    return st.dataframe(shown, column_config=config, hide_index=True, key=key, on_select=on_select,
                        selection_mode="single-row", placeholder="—")


def no_data(message: str = "所选区域和月份没有数据。") -> None:
    st.info(message)
