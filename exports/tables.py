"""Formatted Excel workbooks for every table download: Chinese headers with units, number formats, filters, footer."""

import io
import math
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from data.cli import LEVEL_NAMES
from exports.job import CONFIDENTIAL, Job
from queries import fmt
from queries.registry import Indicator, by_key, rule_text
from data.measures import by_name as measures_by_name

# How a column is written. rate: a fraction (as the engine divides) shown as a percentage; percent: a number
# already multiplied by 100; wan: 元 written in 万元; yuan: exact 元; count: people or places, hidden 1..4
# for outside readers; integer: a whole number that is not a count (rank, months); number/points: decimals.
KINDS = ("rate", "percent", "wan", "yuan", "count", "integer", "number", "points", "text", "date")
DEFAULT_DECIMALS = {"rate": 1, "percent": 1, "wan": 1, "yuan": 2, "number": 2, "points": 1}

# The engine's common columns that are not registry indicators: (header, kind).
COMMON = {
    "region_code": ("区划代码", "text"),
    "region_name": ("区划名称", "text"),
    "parent_code": ("上级区划代码", "text"),
    "parent_name": ("上级区划", "text"),
    "county_name": ("所属县区", "text"),
    "township_name": ("所属乡镇（街道）", "text"),
    "level": ("层级", "text"),
    "month": ("月份", "text"),
    "rank": ("排名", "integer"),
    "rank_before": ("上月排名", "integer"),
    "rank_change": ("排名变化（位）", "integer"),
    "ranked": ("参与排名单位数（个）", "integer"),
    "reds": ("红色指标数（项）", "integer"),
    "red_indicators": ("红色指标", "text"),
    "visits_logged": ("走访记录（次）", "count"),
    "children_unvisited": ("未达要求人数（人）", "count"),
    "minor_population": ("未成年人口（人）", "count"),
    "months_elapsed": ("已过月数（月）", "integer"),
    "months_in_year": ("全年月数（月）", "integer"),
    "total": ("总分（分）", "points"),
    "status": ("状态", "text"),
}
# Measures counting places rather than people.
# Header endings of a frame the caller already laid out in Chinese, and how such a column is written.
SUFFIX_KINDS = (("（%）", "percent"), ("（万元）", "number1"), ("（元）", "yuan"), ("（分）", "points"),
                ("（人）", "count"), ("（个）", "count"), ("（户）", "count"), ("（名）", "integer"))
# Text Excel (or LibreOffice) would evaluate as a formula when the cell is typed in or re-entered.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
EXPLAIN_SHEET = "说明"
MAX_WIDTH, MIN_WIDTH, WRAP_HEADER = 48, 6, 22
WIDTH_SAMPLE = 400  # rows looked at to size a column; a 4,000-row list is sized by its first rows

HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
THIN = Side(style="thin", color="B7B7B7")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
TITLE_FONT = Font(bold=True, size=14)
NOTE_FONT = Font(size=9, color="595959")
SECRET_FONT = Font(bold=True, size=10, color="C00000")
HEADER_FONT = Font(bold=True)


@dataclass(frozen=True)
class Column:
    """One column of a table as written: which frame column, its Chinese header (with unit) and how it is written."""

    name: str
    header: str
    kind: str = "text"
    decimals: int | None = None
    group: str | None = None  # a header spanning neighbouring columns, written above theirs (merged)
    indicator: str | None = None  # the registry key behind it: its 口径 goes into 说明
    width: float | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")

    @property
    def places(self) -> int:
        return DEFAULT_DECIMALS.get(self.kind, 0) if self.decimals is None else self.decimals

    @property
    def number_format(self) -> str:
        """The Excel format: '0.0%' for rates, '#,##0.0' for 万元, '#,##0' for counts."""
        tail = "." + "0" * self.places if self.places else ""
        if self.kind == "rate":
            return f"0{tail}%"
        if self.kind == "count":
            return "#,##0"
        if self.kind == "integer":
            return "0"  # ranks and months; '#,##0' marks the counts that outside readers see masked
        if self.kind in ("percent", "points"):
            return f"0{tail}"
        if self.kind in ("wan", "yuan", "number"):
            return f"#,##0{tail}"
        if self.kind == "date":
            return "yyyy-mm-dd"
        return "@"

    @property
    def numeric(self) -> bool:
        return self.kind not in ("text", "date")


@dataclass
class Sheet:
    """One table on one sheet. `columns`: a list of Column, a {frame column: Chinese header or Column} mapping,
    or None (every frame column, described by columns_for). `fills`: per frame column, one background colour
    ('#rrggbb' or None) per row; `bold_rows`: row positions written bold (a reference row)."""

    name: str
    frame: pd.DataFrame
    columns: list | dict | None = None
    title: str | None = None
    lines: tuple = ()  # under the title: what the table is, its rule
    notes: tuple = ()  # under the table
    fills: dict | None = None
    bold_rows: tuple = ()
    exact_money: bool = False


def describe(name: str, header: str | None = None, frame: pd.DataFrame | None = None,
             exact_money: bool = False) -> Column:
    """The Column for one frame column: a registry key by its unit, an engine measure or common column by
    name, a column the caller named in Chinese by the unit its header ends with, else by its values."""
    ind = by_key().get(name)
    if ind is not None:
        return indicator_column(ind, exact_money, header=header)
    if name in COMMON:
        text, kind = COMMON[name]
        return Column(name, header or text, kind)
    measure = measures_by_name().get(name)
    if measure is not None and measure.shown and measure.unit in ("人", "个", "次"):
        # A place count reads 'X数（个）' ('县级单位数（个）'); a person count 'X（人）'.
        label = measure.label + ("数" if measure.unit == "个" else "")
        return Column(name, header or f"{label}（{measure.unit}）", "count")
    title = header or str(name)
    for ending, kind in SUFFIX_KINDS:
        if title.endswith(ending):
            if kind == "number1":
                return Column(name, title, "number", decimals=1)
            return Column(name, title, kind)
    return Column(name, title, _kind_of_values(frame[name]) if frame is not None and name in frame else "text")


def _kind_of_values(values: pd.Series) -> str:
    """A column nobody described: whole numbers are treated as counts (hidden 1..4 for outside readers: the
    safe side), other numbers get two decimals, dates a date format, anything else is text."""
    if pd.api.types.is_bool_dtype(values):
        return "text"
    if pd.api.types.is_datetime64_any_dtype(values):
        return "date"
    if pd.api.types.is_numeric_dtype(values):
        present = pd.to_numeric(values, errors="coerce").dropna()
        whole = bool(len(present)) and bool((present == present.round()).all())
        return "count" if whole or not len(present) else "number"
    return "text"


def indicator_column(ind: Indicator, exact_money: bool = False, header: str | None = None,
                     name: str | None = None, group: str | None = None, decimals: int | None = None) -> Column:
    """A registry indicator's column: header with unit from fmt.header, format by unit (rate '0.0%',
    money 万元 '#,##0.0' or exact 元 '#,##0.00', counts '#,##0')."""
    kind = {"rate": "rate", "count": "count"}.get(ind.unit) or ("yuan" if exact_money else "wan")
    return Column(name or ind.key, header or fmt.header(ind, exact=exact_money), kind, decimals=decimals,
                  group=group, indicator=ind.key)


def columns_for(frame: pd.DataFrame, names: dict | None = None, exact_money: bool = False) -> list[Column]:
    """The columns of a frame whose columns are registry keys (and the engine's common columns), in frame
    order; `names` overrides headers ({column: Chinese header})."""
    names = names or {}
    return [describe(c, names.get(c), frame, exact_money) for c in frame.columns]


def _resolve(frame: pd.DataFrame, columns, exact_money: bool) -> list[Column]:
    if columns is None:
        return columns_for(frame, exact_money=exact_money)
    if isinstance(columns, dict):
        out = []
        for name, spec in columns.items():
            if isinstance(spec, Column):
                out.append(replace(spec, name=name))
            else:
                out.append(describe(name, spec, frame, exact_money))
        return out
    return [c if isinstance(c, Column) else describe(c, None, frame, exact_money) for c in columns]


def _prepared(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with a meaningful index (region codes) turned into its first column."""
    if isinstance(frame.index, pd.RangeIndex) or frame.index.name is None:
        return frame.reset_index(drop=True)
    return frame.reset_index()


# ---- cells -----------------------------------------------------------------------------------------

def put(cell, value) -> None:
    """Write one value: text always as text, never evaluated (a leading = + - @ gets Excel's quote prefix too),
    numbers as numbers, missing as '—'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        value = fmt.NO_DATA
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"  # openpyxl types '=…' as a formula on assignment
        if value.startswith(FORMULA_START):
            cell.quotePrefix = True  # re-entering the cell in Excel keeps it text
        return
    cell.value = value


def _missing(v) -> bool:
    if v is None or v is pd.NaT or v is pd.NA:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def cell_value(col: Column, v, job: Job):
    """The value a cell holds: a number Excel formats, a text, or None (written as '—')."""
    if _missing(v):
        return None
    if isinstance(v, (bool, np.bool_)):
        return "是" if v else "否"
    if col.kind == "date":
        if isinstance(v, (datetime, date)):
            return v.to_pydatetime() if isinstance(v, pd.Timestamp) else v
        return str(v)
    if col.kind == "text":
        if col.name == "level" and v in LEVEL_NAMES:
            return LEVEL_NAMES[v]
        return str(v)
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)  # a word in a number column ('参照', '不适用'): kept, as text
    if math.isnan(x):
        return None
    if col.kind == "count":
        if job.hides(x):
            return job.count(x)
        return int(fmt.half_up(x, 0)) if x == round(x) else x
    if col.kind == "integer":
        return int(round(x)) if x == round(x) else x
    if col.kind == "wan":
        return fmt.wan(x)
    return x


def display_width(text: str) -> int:
    """Columns of a fixed-width font the text takes: Chinese characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _shown(col: Column, value) -> str:
    """Roughly the text Excel shows for a value, to size the column."""
    if value is None:
        return fmt.NO_DATA
    if isinstance(value, str):
        return value
    if isinstance(value, (datetime, date)):
        return "2026-11-30"
    if col.kind == "rate":
        return f"{value * 100:.{col.places}f}%"
    return f"{value:,.{col.places}f}"


def sheet_name(name: str, taken: set | None = None) -> str:
    """A legal, unique sheet name: at most 31 characters, none of []:*?/\\ , no leading or trailing quote."""
    clean = BAD_SHEET_CHARS.sub("", str(name)).strip().strip("'") or "表"
    clean = clean[:31]
    taken = taken if taken is not None else set()
    out, n = clean, 2
    while out.lower() in taken:
        suffix = f"（{n}）"
        out, n = clean[:31 - len(suffix)] + suffix, n + 1
    taken.add(out.lower())
    return out


def _escape_hf(text: str) -> str:
    """Header/footer text: '&' starts a code there, so a literal one is doubled; Excel allows 255 characters."""
    return text.replace("&", "&&")[:240]


def _page_setup(ws, job: Job, title: str, repeat: str | None = None) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddHeader.left.text = _escape_hf(title)
    ws.oddHeader.right.text = _escape_hf(job.as_of)
    ws.oddFooter.left.text = _escape_hf(job.footer)
    ws.oddFooter.right.text = "第 &P 页，共 &N 页"
    if repeat:
        ws.print_title_rows = repeat


def _heading(ws, job: Job, title: str, lines) -> int:
    """Title, filters and the confidentiality line above a table; returns the next free row."""
    put(ws.cell(1, 1), title)
    ws.cell(1, 1).font = TITLE_FONT
    put(ws.cell(2, 1), job.filters_text)
    ws.cell(2, 1).font = NOTE_FONT
    put(ws.cell(3, 1), f"{CONFIDENTIAL}（{job.user} 导出于 {job.made_text}）")
    ws.cell(3, 1).font = SECRET_FONT
    row = 4
    for line in lines:
        put(ws.cell(row, 1), line)
        ws.cell(row, 1).font = NOTE_FONT
        row += 1
    return row


def _write_table(ws, sheet: Sheet, job: Job, top: int) -> tuple[list[Column], int, int]:
    """The header row(s) and the data from row `top`; returns the columns, the last header row, the last row."""
    frame = _prepared(sheet.frame)
    cols = _resolve(frame, sheet.columns, sheet.exact_money)
    grouped = any(c.group for c in cols)
    header_row = top + 1 if grouped else top
    for j, col in enumerate(cols, start=1):
        if grouped and not col.group:
            ws.merge_cells(start_row=top, start_column=j, end_row=header_row, end_column=j)
            put(ws.cell(top, j), col.header)
        elif grouped:
            put(ws.cell(header_row, j), col.header)
        else:
            put(ws.cell(top, j), col.header)
    if grouped:
        j = 1
        while j <= len(cols):
            group = cols[j - 1].group
            end = j
            while group and end < len(cols) and cols[end].group == group:
                end += 1
            if group:
                put(ws.cell(top, j), group)
                if end > j:
                    ws.merge_cells(start_row=top, start_column=j, end_row=top, end_column=end)
            j = end + 1
    for r in range(top, header_row + 1):
        for j in range(1, len(cols) + 1):
            c = ws.cell(r, j)
            c.font, c.fill, c.border = HEADER_FONT, HEADER_FILL, BORDER
            c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)

    widths = [max((display_width(x) for x in col.header.split("\n")), default=4) for col in cols]
    widths = [min(w, WRAP_HEADER) if w > WRAP_HEADER else w for w in widths]
    if grouped:  # a group label over narrow columns needs its share of the width
        for col_j, col in enumerate(cols):
            if col.group:
                span = sum(1 for c in cols if c.group == col.group)
                widths[col_j] = max(widths[col_j], math.ceil(display_width(col.group) / span))
    bold = set(sheet.bold_rows)
    fills = sheet.fills or {}
    row = header_row
    right = Alignment(horizontal="right")
    for i, values in enumerate(zip(*(frame[c.name].tolist() for c in cols)) if cols else []):
        row = header_row + 1 + i
        for j, (col, v) in enumerate(zip(cols, values), start=1):
            value = cell_value(col, v, job)
            cell = ws.cell(row, j)
            put(cell, value)
            cell.border = BORDER
            if col.numeric and not isinstance(value, str):
                cell.number_format = col.number_format
            elif col.numeric:
                cell.alignment = right  # '<5', '—' line up with the numbers
            elif col.kind == "text":
                cell.number_format = "@"
            if i < WIDTH_SAMPLE:
                widths[j - 1] = max(widths[j - 1], display_width(_shown(col, value)))
            colour = fills.get(col.name)
            if colour is not None and i < len(colour) and isinstance(colour[i], str):
                cell.fill = PatternFill("solid", fgColor=colour[i].lstrip("#").upper())
            if i in bold:
                cell.font = HEADER_FONT
    if cols:
        ws.freeze_panes = ws.cell(header_row + 1, 1).coordinate
        last = get_column_letter(len(cols))
        if row > header_row:
            ws.auto_filter.ref = f"A{header_row}:{last}{row}"
    for j, (col, w) in enumerate(zip(cols, widths), start=1):
        ws.column_dimensions[get_column_letter(j)].width = col.width or max(MIN_WIDTH, min(MAX_WIDTH, w + 2))
    return cols, header_row, row


def _data_sheet(wb: Workbook, sheet: Sheet, job: Job, title: str, taken: set) -> list[Column]:
    ws = wb.create_sheet(sheet_name(sheet.name, taken))
    heading = sheet.title or title
    top = _heading(ws, job, heading, sheet.lines) + 1  # one blank row between the heading and the table
    cols, header_row, last = _write_table(ws, sheet, job, top)
    row = last + 2
    for note in sheet.notes:
        put(ws.cell(row, 1), note)
        ws.cell(row, 1).font = NOTE_FONT
        row += 1
    _page_setup(ws, job, heading, f"{top}:{header_row}")
    return cols


def explain_rows(job: Job) -> list[tuple[str, str]]:
    """What the 说明 sheet states: the filters, data as-of, who exported and when, confidentiality."""
    rows = list(job.filters)
    rows += [("数据截至", job.as_of), ("导出人", job.user), ("导出时间", job.made_text), ("保密", CONFIDENTIAL)]
    if job.demo:
        rows.append(("演示", "演示数据，不是真实台账"))
    return rows


def _explain_sheet(wb: Workbook, job: Job, title: str, notes, indicators: list[str], taken: set) -> None:
    ws = wb.create_sheet(sheet_name(EXPLAIN_SHEET, taken))
    put(ws.cell(1, 1), f"{title} · 说明")
    ws.cell(1, 1).font = TITLE_FONT
    put(ws.cell(2, 1), job.footer)
    ws.cell(2, 1).font = SECRET_FONT
    row = 4
    for label, text in explain_rows(job):
        put(ws.cell(row, 1), label)
        put(ws.cell(row, 2), text)
        ws.cell(row, 1).font = HEADER_FONT
        row += 1
    if notes:
        row += 1
        for note in notes:
            put(ws.cell(row, 1), "注")
            put(ws.cell(row, 2), note)
            ws.cell(row, 2).alignment = Alignment(wrap_text=True, vertical="top")
            row += 1
    reg = by_key()
    used = [reg[k] for k in dict.fromkeys(indicators) if k in reg]
    if used:
        row += 1
        put(ws.cell(row, 1), "指标口径")
        ws.cell(row, 1).font = HEADER_FONT
        row += 1
        for j, text in enumerate(("指标", "口径", "单位", "评色规则"), start=1):
            c = ws.cell(row, j)
            put(c, text)
            c.font, c.fill, c.border = HEADER_FONT, HEADER_FILL, BORDER
        for ind in used:
            row += 1
            for j, text in enumerate((ind.name, ind.definition, fmt.unit_label(ind), rule_text(ind)), start=1):
                c = ws.cell(row, j)
                put(c, text)
                c.border = BORDER
                c.alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 70
    ws.column_dimensions["C"].width = 10
    ws.column_dimensions["D"].width = 50
    _page_setup(ws, job, f"{title} · 说明")


def _as_sheet(item) -> Sheet:
    if isinstance(item, Sheet):
        return item
    if isinstance(item, tuple) and len(item) in (2, 3):
        return Sheet(*item)
    raise TypeError("a sheet is a Sheet or a (name, frame[, columns]) tuple")


def workbook(sheets, job: Job, title: str = "表格", notes=(), explain: bool = True) -> bytes:
    """The .xlsx of one or more tables: each sheet a title, the filters and the confidentiality line above a
    frozen header; then a 说明 sheet (filters, as-of, who and when, `notes`, the 口径 of the indicators shown).
    Every sheet prints A4 landscape with job.footer at the foot of each page."""
    wb = Workbook()
    wb.remove(wb.active)
    taken = {EXPLAIN_SHEET.lower()} if explain else set()
    used: list[str] = []
    for item in sheets:
        cols = _data_sheet(wb, _as_sheet(item), job, title, taken)
        used += [c.indicator for c in cols if c.indicator]
    if explain:
        taken.discard(EXPLAIN_SHEET.lower())
        _explain_sheet(wb, job, title, notes, used, taken)
    wb.properties.title = title
    wb.properties.creator = job.user
    wb.properties.description = job.footer
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def table_bytes(frame: pd.DataFrame, job: Job, sheet_name: str, columns=None, *, title: str | None = None,
                lines=(), notes=(), exact_money: bool = False) -> bytes:
    """One table as a workbook (the dashboard's download of any table): the data sheet and 说明."""
    heading = title or f"{job.region_name} · {sheet_name}（{job.period_text}）"
    sheet = Sheet(sheet_name, frame, columns, title=heading, lines=tuple(lines), exact_money=exact_money)
    return workbook([sheet], job, title=heading, notes=notes)


def file_name(job: Job, what: str) -> str:
    """'泗水县_2026年11月_走访_按村.xlsx' for a table download."""
    safe = re.sub(r'[\\/:*?"<>|\s]+', "", what) or "表格"
    return job.file_name("xlsx", "table").replace("表格.xlsx", f"{safe}.xlsx")


def cell_text(col: Column, v, job: Job) -> str:
    """A value as the same column shows it in a PDF or on a slide (Excel's format, in words): '93.5%',
    '1,234', '<5' for outside readers, '123.4' 万元, '—' when missing."""
    value = cell_value(col, v, job)
    if value is None:
        return fmt.NO_DATA
    if isinstance(value, str):
        return value
    if isinstance(value, (datetime, date)):
        return value.strftime("%Y-%m-%d")
    if col.kind == "rate":
        return fmt.percent(value, col.places)
    if col.kind in ("count", "integer"):
        return fmt.count(value)
    if col.kind == "yuan":
        return fmt.yuan(value)
    return f"{fmt.half_up(value, col.places) + 0.0:,.{col.places}f}"


def text_frame(frame: pd.DataFrame, columns, job: Job, exact_money: bool = False) -> pd.DataFrame:
    """The table as texts under its Chinese headers, formatted as the workbook shows it (for PDFs and slides)."""
    data = _prepared(frame)
    cols = _resolve(data, columns, exact_money)
    # A grouped column is named with its group ('主任配备（15 分） 得分'): headers alone repeat across groups.
    names = [f"{c.group} {c.header}" if c.group else c.header for c in cols]
    return pd.DataFrame([[cell_text(c, v, job) for c, v in zip(cols, row)]
                         for row in zip(*(data[c.name].tolist() for c in cols))], columns=names)
