"""HTML to A4-landscape PDF (WeasyPrint): embedded CJK font, region, period, filters, as-of and footer on every page."""

import base64
import html
import logging
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from exports.job import KIND_NAMES, Job
from queries import fmt, judge

TEMPLATES = Path(__file__).with_name("templates")
STYLESHEET = TEMPLATES / "pdf.css"  # the house style; the font is "Noto Sans CJK SC", embedded as a subset
# Light tints of fmt.STATE_COLOURS for table cells: saturated fills make a printed grid unreadable.
TINTS = {judge.GREEN: "#d5ecdc", judge.YELLOW: "#fde7b5", judge.RED: "#f6c9c4", judge.ANOMALY: "#e2cdee",
         judge.EARLY: "#e6e6e6", None: "#eeeeee"}
ZOOM = 1.25
SCALE = 2  # pixels per CSS pixel of a chart picture: ~190 dpi on paper, sharp enough to print
# One font configuration and one parsed stylesheet per process (_weasy): a new pair per document costs
# ~0.02-0.04 s of CPU each time (measured on a one-page document: 0.09 s new, 0.07 s reused).
_LOCK = threading.Lock()

for _name in ("weasyprint", "fontTools", "fontTools.subset", "fontTools.ttLib"):
    logging.getLogger(_name).setLevel(logging.ERROR)  # WeasyPrint warns on every unsupported CSS property


def esc(value) -> str:
    """Any text as HTML (every value that reaches a page goes through here)."""
    return html.escape("" if value is None else str(value), quote=True)


def css_string(text: str) -> str:
    """A Python string as a CSS string literal (margin boxes take strings, not HTML)."""
    body = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\A ")
    return f'"{body}"'


@lru_cache(maxsize=1)
def _weasy():
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    base = weasyprint.CSS(string=STYLESHEET.read_text(encoding="utf-8") + tint_css(), font_config=fonts)
    return weasyprint, fonts, base


def page_css(job: Job) -> str:
    """The @page rules: what every page carries in its margins, from the job."""
    head = f"{job.region_name} · {KIND_NAMES[job.kind]} · {job.period_text}"
    as_of = job.as_of + ("（演示数据）" if job.demo else "")
    return f"""
@page {{
  @top-left {{ content: {css_string(head)}; }}
  @top-right {{ content: {css_string(as_of)}; }}
  @bottom-left {{ content: {css_string("筛选条件　" + job.filters_text + chr(10) + job.footer)}; }}
  @bottom-right {{ content: "第 " counter(page) " 页 / 共 " counter(pages) " 页"; }}
}}
"""


def document(job: Job, title: str, body: str, lead: str = "") -> str:
    """The whole HTML of one PDF: a title block, then `body` (already escaped HTML)."""
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{esc(title)}</title>'
            f'<meta name="author" content="{esc(job.user)}"><meta name="description" content="{esc(job.filters_text)}">'
            f'</head><body><header class="doc-head"><h1>{esc(title)}</h1>'
            f'<div class="lead">{esc(lead)}</div></header>{body}</body></html>')


def tint_css() -> str:
    """One class per state for tinted table cells (td.s-red …)."""
    return "".join(f"table.grid tr td.s-{k or 'none'} {{ background-color: {v}; }}\n" for k, v in TINTS.items())


def render(job: Job, title: str, body: str, lead: str = "") -> bytes:
    """The PDF of one document (see document())."""
    weasyprint, fonts, base = _weasy()
    markup = document(job, title, body, lead)
    with _LOCK:  # a FontConfiguration is not safe to share between threads (the dashboard serves several)
        page = weasyprint.CSS(string=page_css(job), font_config=fonts)
        return weasyprint.HTML(string=markup, base_url=str(TEMPLATES)).write_pdf(
            stylesheets=[base, page], font_config=fonts)


# ---- building blocks ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cell:
    """One table cell: its text and, optionally, a state to tint it and CSS classes."""

    text: str
    state: str | None = None
    cls: str = ""
    tint: bool = True


def cell(text, state: str | None = None, cls: str = "") -> Cell:
    return Cell("" if text is None else str(text), state, cls)


def _td(value, numeric: bool) -> str:
    c = value if isinstance(value, Cell) else Cell("" if value is None else str(value))
    tint = f"s-{c.state if c.state in TINTS else 'none'}" if c.state and c.tint else ""
    classes = " ".join(x for x in ("num" if numeric else "", c.cls, tint) if x)
    # Classes, not style attributes: a thousand inline styles cost WeasyPrint a second of CSS parsing.
    return f'<td class="{classes}">{esc(c.text)}</td>' if classes else f"<td>{esc(c.text)}</td>"


def table(headers: list[str], rows: list[list], numeric: set[int] | None = None, widths: list[str] | None = None,
          cls: str = "", row_classes: list[str] | None = None) -> str:
    """A table whose header repeats on every page it runs over; `numeric` columns are right-aligned."""
    numeric = numeric or set()
    cols = "".join(f'<col style="width:{w}">' for w in widths) if widths else ""
    head = "".join(f'<th class="{"num" if i in numeric else ""}">{esc(h)}</th>' for i, h in enumerate(headers))
    # Zebra rows by class (every other plain row), so a tinted cell still wins over the stripe.
    classes = row_classes or ["odd" if i % 2 else "" for i in range(len(rows))]
    body = "".join((f'<tr class="{esc(k)}">' if k else "<tr>")
                   + "".join(_td(v, i in numeric) for i, v in enumerate(row)) + "</tr>" for row, k in zip(rows, classes))
    return (f'<table class="grid {cls}"><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


def section(title: str, content: str, note: str = "", cls: str = "") -> str:
    """A titled block; its title stays with the first lines of what follows."""
    tail = f'<p class="note">{esc(note)}</p>' if note else ""
    return f'<section class="{cls}"><h2>{esc(title)}</h2>{content}{tail}</section>'


def paragraph(text: str, cls: str = "") -> str:
    return f'<p class="{cls}">{esc(text)}</p>'


def message(text: str, kind: str = "ok") -> str:
    """A one-line notice: 'ok' (nothing to report, green), 'warn' (amber), 'info' (grey)."""
    return f'<p class="msg msg-{kind}">{esc(text)}</p>'


def badge(state: str | None) -> str:
    if state is None:
        return ""
    return (f'<span class="badge" style="background:{fmt.STATE_COLOURS[state]}">'
            f"{esc(fmt.STATE_LABELS[state])}</span>")


def card(name: str, value: str, lines: list[str] = (), state: str | None = None, notes: list[tuple[str, str]] = (),
         value_colour: str | None = None, show_badge: bool = True) -> str:
    """One headline figure: its name and state word, the value, the lines under it and coloured notes."""
    colour = fmt.STATE_COLOURS.get(state, fmt.STATE_COLOURS[None])
    shown = value_colour or "#222"
    sub = "".join(f'<div class="sub">{esc(x)}</div>' for x in lines if x)
    extra = "".join(f'<div class="card-note" style="color:{c}">{esc(t)}</div>' for t, c in notes)
    return (f'<div class="card" style="border-left-color:{colour}"><div class="name">{esc(name)}'
            f'{badge(state) if show_badge else ""}</div><div class="value" style="color:{shown}">{esc(value)}</div>'
            f"{sub}{extra}</div>")


def cards(items: list[str], per_row: int = 3) -> str:
    """Cards in rows of `per_row`, each row kept on one page."""
    rows = [items[i:i + per_row] for i in range(0, len(items), per_row)]
    return "".join(f'<div class="cards cards-{per_row}">{"".join(r)}</div>' for r in rows)


def legend(pairs: list[tuple[str, str]]) -> str:
    """Colour chips with their words ('绿 达标' …)."""
    return '<div class="legend">' + "".join(
        f'<span class="chip" style="background:{c}"></span><span class="chip-text">{esc(t)}</span>'
        for c, t in pairs) + "</div>"


def picture(png: bytes, width_mm: float, alt: str) -> str:
    """A chart (PNG from exports.pictures) at a printed width."""
    data = base64.b64encode(png).decode("ascii")
    return f'<img class="chart" alt="{esc(alt)}" style="width:{width_mm}mm" src="data:image/png;base64,{data}">'


def chart(fig, width_mm: float, height_mm: float, alt: str, zoom: float = ZOOM) -> str:
    """A Plotly figure drawn by the long-lived kaleido server (exports.pictures) at a printed size.

    The figure is laid out `zoom` times larger than the paper in CSS pixels and printed shrunk, so that the
    screen's 15-px type reads as about 9 pt on paper, as the text around it.
    """
    from exports import pictures

    width, height = round(width_mm / 25.4 * 96 * zoom), round(height_mm / 25.4 * 96 * zoom)
    fig.update_layout(width=width, height=height)
    return picture(pictures.png(fig, width, height, scale=SCALE), width_mm, alt)


def columns(*blocks: str, widths: tuple[str, ...] | None = None) -> str:
    """Blocks side by side (a one-row table: WeasyPrint lays tables out reliably across pages)."""
    widths = widths or tuple(f"{100 / len(blocks):.2f}%" for _ in blocks)
    tds = "".join(f'<td style="width:{w}">{b}</td>' for w, b in zip(widths, blocks))
    return f'<table class="layout"><tr>{tds}</tr></table>'
