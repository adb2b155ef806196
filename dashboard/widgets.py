"""Reusable page pieces: headline cards, status badges, indicator tables, definition notes, downloads."""

import html

import pandas as pd
import streamlit as st

from exports.figures import verdict_of
from queries import fmt, judge
from queries.registry import Indicator, rule_text, target_text

CARD_CSS = """
<style>
.wb-grid {display: grid; grid-template-columns: repeat(auto-fit, minmax(190px, 1fr)); gap: 12px; margin-bottom: 12px;}
.wb-grid .wb-card {margin-bottom: 0;}
.wb-card {--wb-value-max: 2.4rem; border-radius: 10px; padding: 14px 18px; background: #fafafa; border-left: 10px solid #8c8c8c;
          margin-bottom: 12px; min-height: 132px; container-type: inline-size;}
.wb-card.wb-short {min-height: 0;}
.wb-card .wb-name {font-size: 1.05rem; color: #333; font-weight: 600;}
/* Sized by the card's own width (cqi), so "100.0%" fits a fifth of an 800-px screen and fills a wide one. */
.wb-card .wb-value {font-size: clamp(1.1rem, 17cqi, 2.4rem); font-weight: 700; line-height: 1.2; white-space: nowrap;}
.wb-card .wb-sub {font-size: 0.9rem; color: #555;}
.wb-badge {display: inline-block; padding: 0 8px; border-radius: 8px; color: white; font-size: 0.85rem;
           margin-left: 6px; vertical-align: middle; white-space: nowrap;}
.wb-card .wb-note {font-size: 0.85rem; color: #7b3294; font-weight: 600;}
.wb-card .wb-name, .wb-card .wb-sub {overflow-wrap: anywhere;}
.wb-card .wb-value {overflow: hidden; text-overflow: ellipsis;}
</style>
"""

MEETING_CSS = """
<style>
/* A 1280×720 projector has ~650 px under the browser bar: no sidebar, no header, tight top, so each
   section's figures sit on the first screen (checked by tests/test_meeting_layout.py). */
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"] {display: none;}
.block-container, [data-testid="stMainBlockContainer"] {padding-top: 0.75rem !important; padding-bottom: 1rem !important;}
html, body, [data-testid="stMarkdownContainer"] p {font-size: 1.2rem;}
.wb-card {min-height: 0; padding: 10px 14px; margin-bottom: 8px;}
.wb-card {--wb-value-max: 3.2rem;}
.wb-grid {grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px;}
.wb-card .wb-name {font-size: clamp(1.05rem, 10cqi, 1.3rem);}
.wb-card .wb-sub {font-size: clamp(0.95rem, 7.5cqi, 1.1rem); line-height: 1.35;}
h1 {font-size: 1.9rem !important; padding: 0 0 0.25rem 0 !important;}
[data-testid="stAlertContainer"] {padding: 0.3rem 0.8rem !important;}
[data-testid="stAlert"] p {font-size: 0.95rem;}
/* The exit button sits in the top corner instead of taking a row of its own. */
.st-key-leave_meeting {position: fixed; top: 0.5rem; right: 1rem; z-index: 1000; width: auto !important;}
[data-testid="stCaptionContainer"] p {font-size: 1rem;}
</style>
"""


def page_style(meeting: bool) -> None:
    """Card styles, and in meeting mode larger type and no sidebar."""
    st.markdown(CARD_CSS + (MEETING_CSS if meeting else ""), unsafe_allow_html=True)


def badge(state: str | None) -> str:
    if state is None:
        return ""
    return (f'<span class="wb-badge" style="background:{fmt.STATE_COLOURS[state]}">'
            f'{fmt.STATE_LABELS[state]}</span>')


def card_html(ind: Indicator, row: pd.Series, lines: list[str] | None = None, before: pd.Series | None = None,
              month: str | None = None) -> str:
    """One large figure coloured by its verdict, the green line, comparison lines and any 数据异常 reason."""
    v = verdict_of(ind, row, before, month)
    colour = v.colour
    target = target_text(ind)
    sub = "<br>".join(html.escape(x) for x in ([target] if target else []) + list(lines or []))
    # Reasons take the state's colour (purple 数据异常, grey 进行中); jump warnings are amber, the state stays.
    notes = "".join(f'<div class="wb-note" style="color:{v.colour}">{"⚠ " if v.state == judge.ANOMALY else ""}'
                    f'{html.escape(n)}</div>' for n in v.reasons)
    notes += "".join(f'<div class="wb-note" style="color:#b35806">⚠ {html.escape(n)}</div>' for n in v.warnings)
    text = fmt.value(ind, row[ind.key])
    value_colour = colour if v.state in judge.ORDER or v.state == judge.ANOMALY else "#222"
    return _markup(ind.label, badge(v.state), text, value_colour, f' style="border-left-color:{colour}"',
                   ind.definition, sub, notes)


def fact_html(name: str, value: str, lines: list[str] = (), colour: str | None = None, tooltip: str = "",
              tag: str | None = None) -> str:
    """A card in the headline style for a figure that is not a judged indicator: a name, a value sized to fit
    the card (so '梁山县 60.7 分' is never cut to '梁山…' at 1024 px), an optional tag, then its lines.
    `colour` tints the border and the value (None: grey border, black value)."""
    sub = "<br>".join(html.escape(x) for x in lines)
    border = f' style="border-left-color:{colour}"' if colour else ""
    mark = (f'<span class="wb-badge" style="background:{colour or fmt.STATUS_COLOURS[None]}">{html.escape(tag)}</span>'
            if tag else "")
    return _markup(name, mark, value, colour or "#222", border, tooltip, sub,
                   extra_class="" if lines else " wb-short")  # no lines under the value: no room kept for them


def _markup(name: str, mark: str, value: str, value_colour: str, border: str, tooltip: str, sub: str,
            notes: str = "", extra_class: str = "") -> str:
    """A card's markup: name and its mark (badge or tag), the value sized to fit, the lines, then any notes."""
    return (f'<div class="wb-card{extra_class}"{border} title="{html.escape(tooltip)}">'
            f'<div class="wb-name">{html.escape(name)}{mark}</div>'
            f'<div class="wb-value" style="color:{value_colour};{_value_size(value)}">{html.escape(value)}</div>'
            f'<div class="wb-sub">{sub}</div>{notes}</div>')


def fact_card(name: str, value: str, lines: list[str] = (), colour: str | None = None, tooltip: str = "",
              tag: str | None = None) -> None:
    """One card of fact_html."""
    st.markdown(fact_html(name, value, lines, colour, tooltip, tag), unsafe_allow_html=True)


def _value_size(text: str) -> str:
    """A font size that lets the whole figure fit the card's width ('94.7%' large, '11,084.0 万元' smaller)."""
    width = sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)  # a CJK character is about two digits wide
    return f"font-size: clamp(1.1rem, {min(34, round(150 / max(width, 1)))}cqi, var(--wb-value-max));"


def headline(ind: Indicator, row: pd.Series, lines: list[str] | None = None, before: pd.Series | None = None,
             month: str | None = None) -> None:
    """One headline card (see card_html)."""
    st.markdown(card_html(ind, row, lines, before, month), unsafe_allow_html=True)


def card_grid(cards: list[str]) -> None:
    """Cards in a grid that wraps by the screen's width (five across at 1600 px, two at 800 px) instead of
    squeezing a fixed number of columns until the text spills."""
    st.markdown(f'<div class="wb-grid">{"".join(cards)}</div>', unsafe_allow_html=True)


def definition_note(*indicators: Indicator) -> None:
    """The 口径 under a chart, from the registry."""
    st.caption("；".join(f"**{i.name}**：{i.definition}" + (f"（{rule_text(i)}）" if i.judged else "")
                         for i in indicators))


def indicator_table(frame: pd.DataFrame, indicators, exact_money: bool = False, key: str | None = None,
                    on_select: str = "ignore", month: str | None = None, first: str = "区划", what: str = "指标表"):
    """A table of regions × indicators, headers with units and tooltips from the registry, and a 数据核对
    column naming every impossible value (a rate above 100 %, spending above budget) in its row."""
    shown = pd.DataFrame({first: frame["region_name"]}, index=frame.index)
    config = {}
    for ind in indicators:
        column = frame[ind.key].astype(float)
        label = fmt.header(ind, exact=exact_money)
        help_text = ind.definition + (f"（{rule_text(ind)}）" if ind.judged else "")
        if ind.unit == "rate":
            shown[label] = column * 100
            config[label] = st.column_config.NumberColumn(label, help=help_text, format="%.1f")
        elif ind.unit == "yuan":
            shown[label] = column if exact_money else fmt.wan(column)
            config[label] = st.column_config.NumberColumn(label, help=help_text,
                                                          format="%.2f" if exact_money else "%.1f")
        else:
            shown[label] = column
            config[label] = st.column_config.NumberColumn(label, help=help_text, format="localized")
    notes = anomaly_notes(frame, indicators, month)
    if notes.ne("").any():
        shown["数据核对"] = notes
        config["数据核对"] = st.column_config.TextColumn("数据核对", help="不可能出现的数值（比率超过 100%、支出超过预算），请核对台账")
    drawn = st.dataframe(shown, column_config=config, hide_index=True, key=key, on_select=on_select,
                         selection_mode="single-row", placeholder="—")
    from dashboard import exporting  # here: exporting imports login and filters, which import this module

    # The Excel file from the engine's own columns: exports.tables formats registry keys (units, percent, 万元).
    exporting.table_button(frame[["region_name", *(i.key for i in indicators)]], what,
                           key=f"{key or 'indicators'}_xlsx", exact_money=exact_money)
    return drawn


def anomaly_notes(frame: pd.DataFrame, indicators, month: str | None = None) -> pd.Series:
    """Per row, '数据异常：预算执行率（累计支出超过年度预算）' for every impossible value; '' otherwise."""
    inds = list(indicators)
    if frame.empty or not inds:
        return pd.Series("", index=frame.index, dtype=object)
    verdicts = judge.verdicts(frame, [i.key for i in inds], month=month)
    names = {i.key: i.label for i in inds}

    def one(row) -> str:
        bad = [f"{names[k]}（{v.reasons[0].removesuffix('，请核对台账')}）" for k, v in row.items()
               if v.state == judge.ANOMALY]
        return ("数据异常：" + "；".join(bad)) if bad else ""

    return verdicts.apply(one, axis=1).astype(object)


def no_data(message: str = "所选区域和月份没有数据。") -> None:
    st.info(message)


def _downloaded(what: str, file_name: str) -> None:
    from dashboard import login  # here: login imports engine, which pages import through this module

    state = st.session_state
    login.audit("download", what=what, file=file_name, region=state.get("region"), month=state.get("month"))


def download(label: str, data, file_name: str, what: str | None = None, mime: str = "text/csv",
             key: str | None = None, **kwargs) -> bool:
    """Every download of the dashboard: st.download_button whose click is audited (what, file, filters)."""
    return st.download_button(label, data, file_name=file_name, mime=mime, key=key, on_click=_downloaded,
                              args=(what or label, file_name), **kwargs)


def table(frame, what: str, key: str, *, week: str | None = None, exact_money: bool = False, **shown):
    """Every table of a page: st.dataframe as it is drawn, with its formatted Excel file (exports.tables) below."""
    from dashboard import exporting  # here: exporting imports login and filters, which import this module

    drawn = st.dataframe(frame, key=key, **shown)
    exporting.table_button(frame, what, key=f"{key}_xlsx", week=week, exact_money=exact_money)
    return drawn
