"""Offline choropleth maps: cached boundaries, class breaks, the figure, and reading a click back."""

import math
from dataclasses import dataclass
from urllib.parse import quote

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.charts import FONT
from queries import fmt, geo
from queries.registry import Indicator

# Plotly's geo subplot fetches a world topology from cdn.plot.ly for every choropleth, and stays blank
# when it cannot. An empty topology as a data: URL answers that fetch in the browser; the trailing "#"
# turns the "/world_110m.json" plotly.js appends into a fragment, which the data URL ignores.
EMPTY_TOPOJSON_URL = "data:application/json," + quote('{"type":"Topology","objects":{},"arcs":[]}') + "#"
CONFIG = {"displayModeBar": False, "topojsonURL": EMPTY_TOPOJSON_URL}

# ColorBrewer Blues by number of classes: one hue, lighter = lower.
PALETTES = {
    1: ["#3182bd"],
    2: ["#9ecae1", "#2171b5"],
    3: ["#deebf7", "#9ecae1", "#3182bd"],
    4: ["#eff3ff", "#bdd7e7", "#6baed6", "#2171b5"],
    5: ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"],
}
DARK = {"#2171b5", "#3182bd", "#08519c"}  # fills that need white label text
NO_DATA_COLOUR = "#bdbdbd"
NO_DATA_LABEL = "无数据（不是 0）"
BORDER = "#ffffff"
TOLERANCE = 1e-9  # the same float slack registry.status() allows at a threshold
MAX_CLASSES = 5
CROWDED_PX = 5000  # screen pixels per region under which a name and a value no longer fit (checked by eye)
MAP_WIDTH = 470  # px plotly gives the geo subplot at 1600 px wide (it keeps the projection near square)
MARGINS = (50, 80)  # top (title) and bottom (legend) margins of the map, px


@dataclass(frozen=True)
class MapClass:
    """One legend entry: values in [lower, upper) get `colour`."""

    lower: float
    upper: float
    label: str
    colour: str


@st.cache_resource(max_entries=32, show_spinner=False)
def shapes(level: str, codes: tuple[str, ...], county: str | None = None) -> geo.MapShapes:
    """Boundaries for exactly these codes; read-only and shared by every session (the codes come scoped)."""
    return geo.shapes_for(level, codes, county)


def legend_title(ind: Indicator) -> str:
    """'走访完成率（%）', '年度预算（万元）': the unit every class label is in."""
    return f"{ind.name.replace('（元）', '')}（{fmt.unit_label(ind)}）"


def _short(ind: Indicator, v: float) -> str:
    """A class edge as the legend shows it, in the legend title's unit."""
    if ind.unit == "rate":
        return f"{v * 100:.1f}%"
    if ind.unit == "yuan":
        return f"{v / 10000:,.1f}"
    return f"{v:,.0f}"


def map_label(ind: Indicator, v) -> str:
    """A value as a map label: short, the unit is in the legend title ('93.5%', '812.0', '1,288', 无数据)."""
    if fmt.is_null(v):
        return "无数据"
    return _short(ind, float(v))


def _nice(ind: Indicator, v: float) -> float:
    """Round a quantile edge so the legend reads cleanly: 0.1 point for rates, two significant digits else."""
    if ind.unit == "rate":
        return round(v, 3)
    if v == 0:
        return 0.0
    if ind.unit == "count" and abs(v) < 100:
        return float(round(v))
    step = 10 ** (math.floor(math.log10(abs(v))) - 1)
    return float(round(v / step) * step)


def _threshold_cuts(ind: Indicator, reference: dict | None) -> tuple[list[float], list[str]] | None:
    """Edges at the registry's yellow and green lines (and one class further below), lowest first,
    with the status word of each class between them."""
    t = ind.thresholds
    if not t or ind.better == "none":
        return None
    base = 0.0
    if t.get("relative_to"):
        ref = (reference or {}).get(t["relative_to"])
        if ref is None or fmt.is_null(ref):
            return None
        base = float(ref)
    if ind.better == "higher":
        green, yellow = base + t["green"], base + t["yellow"]
        cuts, words = [yellow - (green - yellow), yellow, green], ["红", "红", "黄", "绿"]
    else:
        green, yellow = base - t["green"], base - t["yellow"]
        cuts, words = [green, yellow, yellow + (yellow - green)], ["绿", "黄", "红", "红"]
    # Rates are never negative: an edge at or below 0 (fund pace in January) merges the class under it
    # into the one above, which keeps its word.
    while cuts and cuts[0] <= 0:
        cuts, words = cuts[1:], words[1:]
    keep = [i for i in range(len(cuts)) if i == 0 or cuts[i] > cuts[i - 1]]
    return [cuts[i] for i in keep], [words[0]] + [words[i + 1] for i in keep]


def judged(ind: Indicator, reference: dict | None = None) -> bool:
    """True when the classes follow the registry's green/yellow lines rather than quantiles."""
    return _threshold_cuts(ind, reference) is not None


def _quantile_cuts(ind: Indicator, values: pd.Series) -> list[float]:
    vals = values.dropna().astype(float)
    k = min(MAX_CLASSES, vals.nunique())
    if k <= 1:
        return []
    raw = vals.quantile([i / k for i in range(1, k)]).tolist()
    cuts = sorted({_nice(ind, v) for v in raw})
    # An edge at or below the minimum would leave the first class empty.
    return [c for c in cuts if vals.min() < c <= vals.max()]


def class_breaks(ind: Indicator, values: pd.Series, reference: dict | None = None) -> list[MapClass]:
    """Legend classes for one indicator, lowest first: registry thresholds for judged rates, else quantiles.

    `reference` is the row a relative threshold reads (e.g. time_progress for fund pace). Nulls take no
    part: they are drawn as no data, not as the lowest class.
    """
    vals = pd.to_numeric(values, errors="coerce").astype(float)
    if vals.dropna().empty:
        return []
    judged = _threshold_cuts(ind, reference)
    if judged is not None:
        cuts, words = judged
    else:
        cuts, words = _quantile_cuts(ind, vals), None
    if not cuts:
        only = vals.dropna().iloc[0]
        return [MapClass(-math.inf, math.inf, _short(ind, only), PALETTES[1][0])]
    edges = [-math.inf, *cuts, math.inf]
    colours = PALETTES[len(edges) - 1]
    out = []
    for i, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
        if lo == -math.inf:
            label = f"< {_short(ind, hi)}"
        elif hi == math.inf:
            label = f"≥ {_short(ind, lo)}"
        else:
            label = f"{_short(ind, lo)} – {_short(ind, hi)}"
        if words:
            label += f"（{words[i]}）"
        out.append(MapClass(lo, hi, label, colours[i]))
    return out


def classify(values: pd.Series, classes: list[MapClass]) -> pd.Series:
    """The class index of each value; -1 for null (no data), which is never the same as zero."""
    def one(v):
        if fmt.is_null(v):
            return -1
        for i, cls in enumerate(classes):
            if v < cls.upper - TOLERANCE:
                return i
        return len(classes) - 1

    return pd.to_numeric(values, errors="coerce").astype(float).map(one).astype(int)


def choropleth(frame: pd.DataFrame, ind: Indicator, shapes_: geo.MapShapes, classes: list[MapClass],
               title: str, height: int = 600) -> go.Figure:
    """Regions (frame indexed by code, with region_name and ind.key) coloured by class, labelled with values.

    One trace per class so the legend lists the classes with their units, no data included.
    """
    by_code = {f["id"]: f for f in shapes_.geojson["features"]}
    drawn = frame[frame.index.isin(list(by_code))]
    which = classify(drawn[ind.key], classes)
    texts = {code: fmt.value(ind, drawn.at[code, ind.key]) for code in drawn.index}
    short = {code: map_label(ind, drawn.at[code, ind.key]) for code in drawn.index}
    legend = [(i, c.label, c.colour) for i, c in enumerate(classes)] + [(-1, NO_DATA_LABEL, NO_DATA_COLOUR)]
    fig = go.Figure()
    # Highest class first, 无数据 last: the legend reads top-down like the table.
    for i, label, colour in [*reversed(legend[:-1]), legend[-1]]:
        codes = [c for c in drawn.index if which[c] == i]
        fig.add_trace(go.Choropleth(
            geojson={"type": "FeatureCollection", "features": [by_code[c] for c in codes]},
            locations=codes, z=[1] * len(codes), colorscale=[[0, colour], [1, colour]], showscale=False,
            marker_line_color=BORDER, marker_line_width=1.5, name=label, showlegend=False,
            customdata=codes, hovertext=[f"{drawn.at[c, 'region_name']}：{texts[c]}" for c in codes],
            hovertemplate="%{hovertext}<extra></extra>",
        ))
        # The legend entry is a point-less marker trace, so every class (and 无数据) is listed even when empty.
        fig.add_trace(go.Scattergeo(lon=[None], lat=[None], mode="markers", name=label, showlegend=True,
                                    marker=dict(symbol="square", size=16, color=colour,
                                                line=dict(color="#999999", width=0.5)),
                                    hoverinfo="skip"))
    labels = shapes_.labels.set_index("code").reindex(drawn.index).dropna()
    fill = {c: (classes[which[c]].colour if which[c] >= 0 else NO_DATA_COLOUR) for c in labels.index}
    # Where regions are small on screen (many townships, or a long thin county) two-line labels collide:
    # show names only there; the value stays in the colour, the hover and the table.
    crowded = pixels_per_region(shapes_, len(labels), height) < CROWDED_PX
    fig.add_trace(go.Scattergeo(
        lon=labels["lon"], lat=labels["lat"], mode="text", customdata=list(labels.index),
        text=[f"<b>{drawn.at[c, 'region_name']}</b>" + ("" if crowded else f"<br>{short[c]}")
              for c in labels.index],
        # A shadow in the opposite colour keeps a label readable where it spills past its polygon.
        textfont=dict(size=11 if crowded else 14, shadow="auto",
                      color=["#ffffff" if fill[c] in DARK else "#222222" for c in labels.index]),
        hoverinfo="skip", showlegend=False,
    ))
    fig.update_geos(fitbounds="locations", visible=False, projection_type="mercator", bgcolor="rgba(0,0,0,0)")
    fig.update_layout(
        title=dict(text=title, font=dict(size=18)), font=FONT, height=height,
        margin=dict(l=0, r=0, t=MARGINS[0], b=MARGINS[1]), paper_bgcolor="white", clickmode="event+select",
        dragmode=False,
        # Below the map, not over it: a county's outline can reach any corner.
        legend=dict(title=dict(text=legend_title(ind), font=dict(size=14), side="top"), orientation="h",
                    x=0.0, y=0.0, xanchor="left", yanchor="top", itemclick=False, itemdoubleclick=False,
                    font=dict(size=14)),
    )
    return fig


def pixels_per_region(shapes_: geo.MapShapes, n: int, height: int) -> float:
    """Roughly how many screen pixels each region gets once the map fits its bounds (Mercator near 35°N)."""
    minx, miny, maxx, maxy = shapes_.bounds
    stretch = math.cos(math.radians((miny + maxy) / 2))  # a degree of longitude is shorter than one of latitude
    w, h = (maxx - minx) * stretch, maxy - miny
    if n == 0 or w <= 0 or h <= 0:
        return math.inf
    scale = min(MAP_WIDTH / w, (height - sum(MARGINS)) / h)
    return shapes_.area * stretch * scale ** 2 / n


def clicked_code(state) -> str | None:
    """The region code of the first clicked or selected map point (or table row), if any."""
    if state is None:
        return None
    selection = state.get("selection", {}) if isinstance(state, dict) else getattr(state, "selection", {})
    for point in selection.get("points", []) or []:
        for field_ in ("location", "customdata"):
            value = point.get(field_)
            if isinstance(value, (list, tuple)):
                value = value[0] if value else None
            if value:
                return str(value)
    return None
