"""python-pptx building blocks: a 16:9 deck, text, tables, native charts, one CJK font on every run."""

import io
from dataclasses import dataclass

from lxml import etree
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION, XL_TICK_LABEL_POSITION
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.oxml.ns import qn
from pptx.util import Inches, Pt

# One font for every run, Latin and East Asian alike: installed here (fonts-noto-cjk) and named the same way
# by PowerPoint and LibreOffice. python-pptx's font.name sets only <a:latin>; Chinese needs <a:ea>.
FONT = "Noto Sans CJK SC"
WIDTH, HEIGHT = Inches(13.333), Inches(7.5)  # 16:9
BLANK_LAYOUT = 6
INK = "#222222"
MUTED = "#666666"
ACCENT = "#1f5fa8"
RULE = "#c8d3e0"
NEUTRAL = "#1f5fa8"  # bars of figures that carry no judgement
SECOND = "#9aa5b1"  # the comparison series (全市, 序时进度)

# <a:rPr>/<a:defRPr>/<a:endParaRPr> children that follow <a:ea> in the schema's sequence.
_AFTER_EA = {qn(f"a:{t}") for t in ("cs", "sym", "hlinkClick", "hlinkMouseOver", "rtl", "extLst")}
_AFTER_LATIN = _AFTER_EA | {qn("a:ea")}
_PROPS = (qn("a:rPr"), qn("a:defRPr"), qn("a:endParaRPr"))


def rgb(colour: str) -> RGBColor:
    return RGBColor.from_string(colour.lstrip("#").upper())


def new_deck() -> Presentation:
    """An empty 16:9 deck whose theme fonts (Latin, East Asian, 简体) are the one CJK font."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    theme = prs.slide_master.part.part_related_by(RT.THEME)
    root = etree.fromstring(theme.blob)
    for scheme in root.iter(qn("a:majorFont"), qn("a:minorFont")):
        for child in scheme:
            simplified = child.tag == qn("a:font") and child.get("script") == "Hans"
            if child.tag in (qn("a:latin"), qn("a:ea")) or simplified:
                child.set("typeface", FONT)
    theme._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return prs


def blank(prs: Presentation):
    return prs.slides.add_slide(prs.slide_layouts[BLANK_LAYOUT])


def _font_props(props) -> None:
    """Give one <a:rPr>-like element the font as Latin and East Asian typeface, in schema order."""
    latin = props.find(qn("a:latin"))
    if latin is None:
        latin = etree.SubElement(props, qn("a:latin"))
        follower = next((c for c in props if c.tag in _AFTER_LATIN), None)
        if follower is not None:
            follower.addprevious(latin)
    latin.set("typeface", FONT)
    ea = props.find(qn("a:ea"))
    if ea is None:
        ea = etree.Element(qn("a:ea"))
        latin.addnext(ea)
    ea.set("typeface", FONT)


def east_asian(root) -> None:
    """Every run, field and text-properties element under `root` names the font as Latin and East Asian."""
    for run in list(root.iter(qn("a:r"), qn("a:fld"))):
        if run.find(qn("a:rPr")) is None:
            run.insert(0, etree.Element(qn("a:rPr"), lang="zh-CN"))
    for props in list(root.iter(*_PROPS)):
        if props.get("lang") is None and props.tag == qn("a:rPr"):
            props.set("lang", "zh-CN")
        _font_props(props)


def save(prs: Presentation) -> bytes:
    """The deck as bytes, after naming the font on every run of every slide, notes page, chart and master."""
    for part in prs.part.package.iter_parts():
        element = getattr(part, "_element", None)
        if element is not None:
            east_asian(element)
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


@dataclass
class Para:
    """One paragraph of a text box: plain text, or runs of (text, colour or None, bold or None)."""

    text: str | list
    size: float = 16
    bold: bool = False
    colour: str = INK
    align: str = "left"
    space_after: float = 0


_ALIGN = {"left": PP_ALIGN.LEFT, "center": PP_ALIGN.CENTER, "right": PP_ALIGN.RIGHT}
_ANCHOR = {"top": MSO_ANCHOR.TOP, "middle": MSO_ANCHOR.MIDDLE, "bottom": MSO_ANCHOR.BOTTOM}


def _fill_paragraph(p, para: Para) -> None:
    p.alignment = _ALIGN[para.align]
    if para.space_after:
        p.space_after = Pt(para.space_after)
    runs = para.text if isinstance(para.text, list) else [(para.text, None, None)]
    for text, colour, bold in runs:
        r = p.add_run()
        r.text = text
        r.font.size = Pt(para.size)
        r.font.bold = para.bold if bold is None else bold
        r.font.color.rgb = rgb(colour or para.colour)
        r.font.name = FONT


def text_box(slide, x, y, w, h, paras: list[Para], anchor: str = "top", margin: float = 0.05,
             fill: str | None = None, line: str | None = None, shape=None):
    """A text box (or an auto-shape when `shape` is given) holding the paragraphs, wrapped inside its width."""
    if shape is None:
        box = slide.shapes.add_textbox(x, y, w, h)
    else:
        box = slide.shapes.add_shape(shape, x, y, w, h)
        box.shadow.inherit = False
    if fill:
        box.fill.solid()
        box.fill.fore_color.rgb = rgb(fill)
    elif shape is not None:
        box.fill.background()
    if line:
        box.line.color.rgb = rgb(line)
        box.line.width = Pt(1)
    elif shape is not None:
        box.line.fill.background()
    tf = box.text_frame
    tf.word_wrap = True
    tf.auto_size = None
    tf.vertical_anchor = _ANCHOR[anchor]
    for side in ("left", "right", "top", "bottom"):
        setattr(tf, f"margin_{side}", Inches(margin))
    for i, para in enumerate(paras):
        p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        _fill_paragraph(p, para)
    return box


def rect(slide, x, y, w, h, colour: str, rounded: bool = False):
    shape = slide.shapes.add_shape(MSO_SHAPE.ROUNDED_RECTANGLE if rounded else MSO_SHAPE.RECTANGLE, x, y, w, h)
    shape.shadow.inherit = False
    shape.fill.solid()
    shape.fill.fore_color.rgb = rgb(colour)
    shape.line.fill.background()
    return shape


def badge(slide, x, y, w, h, text: str, colour: str, size: float = 14):
    """A word on a coloured rounded label (a status: 绿 / 黄 / 红 / 数据异常 / 进行中)."""
    return text_box(slide, x, y, w, h, [Para(text, size, True, "#ffffff", "center")], anchor="middle",
                    margin=0.02, fill=colour, shape=MSO_SHAPE.ROUNDED_RECTANGLE)


@dataclass
class Cell:
    """One table cell: its text, and optionally its colour, weight and alignment."""

    text: str
    colour: str = INK
    bold: bool = False
    align: str = "left"
    fill: str | None = None


def min_row(size: float) -> float:
    """The least height (inches) LibreOffice gives a one-line row at `size` pt: the CJK font's line is about 1.45 em,
    and the cell keeps about 0.05 in above and below whatever margins are set."""
    return size * 1.45 / 72 + 0.1


def table(slide, x, y, widths: list[float], header: list[str], rows: list[list[Cell]], size: float = 14,
          row_height: float = 0.36, header_fill: str = ACCENT):
    """A table with a coloured header row; widths in inches; every cell's text in the one font."""
    row_height = max(row_height, min_row(size))
    shape = slide.shapes.add_table(len(rows) + 1, len(widths), x, y, Inches(sum(widths)),
                                   Inches(row_height * (len(rows) + 1)))
    tbl = shape.table
    tbl.first_row = True
    for i, w in enumerate(widths):
        tbl.columns[i].width = Inches(w)
    for r in range(len(rows) + 1):
        tbl.rows[r].height = Inches(row_height)
    for c, text in enumerate(header):
        _cell(tbl.cell(0, c), Cell(text, "#ffffff", True, "center", header_fill), size)
    for r, row in enumerate(rows, start=1):
        for c, cell in enumerate(row):
            if cell.fill is None and r % 2 == 0:
                cell = Cell(cell.text, cell.colour, cell.bold, cell.align, "#f2f5f9")
            _cell(tbl.cell(r, c), cell, size)
    return shape


def _cell(target, cell: Cell, size: float) -> None:
    target.fill.solid()
    target.fill.fore_color.rgb = rgb(cell.fill or "#ffffff")
    target.margin_left = target.margin_right = Inches(0.06)
    target.margin_top = target.margin_bottom = Inches(0.02)
    target.vertical_anchor = MSO_ANCHOR.MIDDLE
    tf = target.text_frame
    tf.word_wrap = True
    p = tf.paragraphs[0]
    _fill_paragraph(p, Para(cell.text, size, cell.bold, cell.colour, cell.align))


def notes(slide, text: str) -> None:
    """The speaker notes (口径 of every chart and table on the slide)."""
    slide.notes_slide.notes_text_frame.text = text


# ---- native charts -------------------------------------------------------------------------------------------

@dataclass
class Series:
    """One chart series: its name, values (None = no bar), and optional per-point colours and label texts."""

    name: str
    values: list
    colour: str = NEUTRAL
    point_colours: list | None = None
    point_labels: list | None = None  # a label's own text where the bar cannot say it (a capped bar)


def _text_props(font, size: float, colour: str = INK, bold: bool = False) -> None:
    font.size = Pt(size)
    font.name = FONT
    font.bold = bold
    font.color.rgb = rgb(colour)


def chart(slide, kind, x, y, w, h, categories: list[str], series: list[Series], number_format: str,
          title: str | None = None, labels: bool = True, legend: bool | None = None, size: float = 13,
          axis_max: float | None = None, axis_min: float | None = None, gap: int = 60, label_size: float | None = None,
          axis_format: str | None = None, major_unit: float | None = None, category_size: float | None = None):
    """A native, editable chart (its data in the embedded workbook) in the house style: every text element —
    title, axes, data labels, legend — carries its own text properties, so the one font reaches all of them."""
    data = CategoryChartData(number_format=number_format)
    data.categories = categories
    for s in series:
        data.add_series(s.name, s.values, number_format=number_format)
    frame = slide.shapes.add_chart(kind, x, y, w, h, data)
    ch = frame.chart
    _text_props(ch.font, size)
    if title:
        ch.has_title = True
        tf = ch.chart_title.text_frame
        tf.text = title
        for p in tf.paragraphs:
            for r in p.runs:
                _text_props(r.font, size + 3, INK, True)
    else:
        ch.has_title = False
    legend = len(series) > 1 if legend is None else legend
    ch.has_legend = legend
    if legend:
        ch.legend.position = XL_LEGEND_POSITION.TOP
        ch.legend.include_in_layout = False
        _text_props(ch.legend.font, size)
    line = kind in (XL_CHART_TYPE.LINE, XL_CHART_TYPE.LINE_MARKERS)
    plot = ch.plots[0]
    if not line:
        plot.gap_width = gap
        plot.overlap = 0
        plot.vary_by_categories = False
    cat, val = ch.category_axis, ch.value_axis
    _text_props(cat.tick_labels.font, category_size or size)
    _text_props(val.tick_labels.font, size - 1, MUTED)
    cat.format.line.color.rgb = rgb("#999999")
    cat.has_major_gridlines = False
    val.has_major_gridlines = True
    val.major_gridlines.format.line.color.rgb = rgb("#e3e3e3")
    val.format.line.fill.background()
    val.tick_labels.number_format = axis_format or number_format
    val.tick_labels.number_format_is_linked = False
    cat.tick_label_position = XL_TICK_LABEL_POSITION.LOW
    # Category names on one line each ('12月' must not break into '12' over '月').
    body = cat._element.find(qn("c:txPr")).find(qn("a:bodyPr"))
    body.set("rot", "0")
    body.set("wrap", "none")
    # Every category named: LibreOffice otherwise drops every other one when it judges them crowded.
    for tag in ("c:tickLblSkip", "c:tickMarkSkip"):
        skip = cat._element.find(qn(tag))
        if skip is None:
            skip = etree.SubElement(cat._element, qn(tag))
            follower = cat._element.find(qn("c:noMultiLvlLbl"))
            if follower is not None:
                follower.addprevious(skip)
        skip.set("val", "1")
    if major_unit is not None:
        val.major_unit = major_unit
    if axis_max is not None:
        val.maximum_scale = axis_max
    if axis_min is not None:
        val.minimum_scale = axis_min
    if kind == XL_CHART_TYPE.BAR_CLUSTERED:
        cat.reverse_order = True  # first category on top, as a league table reads
    if labels and not line:
        # Every bar carries its value: the value axis would only repeat it (and LibreOffice moves it to the top
        # of a reversed bar chart); the gridlines stay as a scale.
        val.tick_label_position = XL_TICK_LABEL_POSITION.NONE
    for s, drawn in zip(series, plot.series):
        if line:
            drawn.format.line.color.rgb = rgb(s.colour)
            drawn.format.line.width = Pt(3)
            drawn.smooth = False
            drawn.marker.format.fill.solid()
            drawn.marker.format.fill.fore_color.rgb = rgb(s.colour)
            drawn.marker.format.line.color.rgb = rgb(s.colour)
        else:
            drawn.format.fill.solid()
            drawn.format.fill.fore_color.rgb = rgb(s.colour)
            drawn.invert_if_negative = False
            for i, colour in enumerate(s.point_colours or []):
                if colour:
                    point = drawn.points[i]
                    point.format.fill.solid()
                    point.format.fill.fore_color.rgb = rgb(colour)
    if labels:
        plot.has_data_labels = True
        dl = plot.data_labels
        dl.number_format = number_format
        dl.number_format_is_linked = False
        dl.show_value = True
        _text_props(dl.font, label_size or size, INK)
        if line:
            dl.position = XL_LABEL_POSITION.ABOVE
        else:
            dl.position = XL_LABEL_POSITION.OUTSIDE_END
        for s, drawn in zip(series, plot.series):
            if not any(s.point_labels or []):
                continue
            # A point's own label gives its series a <c:dLbls> of its own, which would hide the other labels
            # unless it says again what the plot's says.
            own = drawn.data_labels
            own.number_format = number_format
            own.number_format_is_linked = False
            own.show_value = True
            own.position = XL_LABEL_POSITION.ABOVE if line else XL_LABEL_POSITION.OUTSIDE_END
            _text_props(own.font, label_size or size, INK)
            for i, text in enumerate(s.point_labels):
                if text:
                    label = drawn.points[i].data_label
                    label.text_frame.text = text
                    for r in label.text_frame.paragraphs[0].runs:
                        _text_props(r.font, label_size or size, INK, True)
                    label.position = XL_LABEL_POSITION.INSIDE_BASE
    return frame
