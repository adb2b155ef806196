"""Offline choropleth maps for the screen and the files: class breaks, legends, labels and the figure."""

import math
from dataclasses import dataclass
from urllib.parse import quote

import pandas as pd
import plotly.graph_objects as go

from exports import figures
from queries import fmt, geo, judge
from queries.registry import Indicator, by_key

# Plotly's geo subplot fetches a world topology from cdn.plot.ly for every choropleth, and stays blank
# when it cannot. An empty topology as a data: URL answers that fetch in the browser; the trailing "#"
# turns the "/world_110m.json" plotly.js appends into a fragment, which the data URL ignores.
EMPTY_TOPOJSON_URL = "data:application/json," + quote('{"type":"Topology","objects":{},"arcs":[]}') + "#"
CONFIG = {"displayModeBar": False, "topojsonURL": EMPTY_TOPOJSON_URL}

# ColorBrewer Blues by number of classes: one hue, lighter = lower. Only for figures that are not judged
# (counts, sums, the month in progress): blue never carries a status word.
PALETTES = {
    1: ["#3182bd"],
    2: ["#9ecae1", "#2171b5"],
    3: ["#deebf7", "#9ecae1", "#3182bd"],
    4: ["#eff3ff", "#bdd7e7", "#6baed6", "#2171b5"],
    5: ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"],
}
# Fills that need white label text: the darker blues and every status colour but yellow.
DARK = {"#2171b5", "#3182bd", "#08519c", *(fmt.STATE_COLOURS[s] for s in ("green", "red", "anomaly"))}
NO_DATA_COLOUR = figures.NO_DATA_COLOUR
NO_DATA_LABEL = "无数据（不是 0）"
BORDER = "#ffffff"
MAX_CLASSES = 5
CROWDED_PX = 5000  # screen pixels per region under which a name and a value no longer fit (checked by eye)
MAP_WIDTH = 470  # px plotly gives the geo subplot at 1600 px wide (it keeps the projection near square)
MARGINS = (50, 80)  # top (title) and bottom (legend) margins of the map, px
STATUS = "status"  # classes are the judge's 绿/黄/红
QUANTILE = "quantile"  # not judged: shades of blue by quantile
EARLY = "early"  # judged, but the month is in progress: shades of blue, no status words


@dataclass(frozen=True)
class MapClass:
    """One legend entry: a judge state (status classes), or displayed values in [lower, upper) (blues)."""

    label: str
    colour: str
    state: str | None = None
    lower: float = -math.inf
    upper: float = math.inf


@dataclass(frozen=True)
class Legend:
    """The classes of one map, lowest first, and the class of every region (-1 = no data)."""

    classes: list[MapClass]
    which: pd.Series
    mode: str


def legend_title(ind: Indicator) -> str:
    """'走访完成率（%）', '年度预算（万元）': the unit every class label is in."""
    return fmt.header(ind)


def _short(ind: Indicator, shown: float) -> str:
    """A displayed number as the legend prints it, in the legend title's unit."""
    shown += 0.0  # -0.0 → 0.0
    if ind.unit == "rate":
        return f"{shown:.1f}%"
    if ind.unit == "yuan":
        return f"{shown:,.1f}"
    return f"{shown:,.0f}"


def map_label(ind: Indicator, v) -> str:
    """A value as a map label: short, the unit is in the legend title ('93.5%', '812.0', '1,288', 无数据)."""
    if fmt.is_null(v):
        return "无数据"
    return _short(ind, figures.shown_value(ind, float(v)))


def _nice(ind: Indicator, shown: float) -> float:
    """Round a quantile edge so the legend reads cleanly: 0.1 for percent and 万元, two significant digits for
    larger amounts, whole persons."""
    if shown == 0:
        return 0.0
    if ind.unit == "rate":
        return fmt.half_up(shown, 1)
    if ind.unit == "count" and abs(shown) < 100:
        return fmt.half_up(shown, 0)
    step = 10 ** (math.floor(math.log10(abs(shown))) - 1)
    return float(fmt.half_up(shown / step, 0) * step)


def _status_classes(ind: Indicator, reference: dict | None) -> list[MapClass] | None:
    """红/黄/绿 with the edges judge.colour_of uses (on the displayed value), lowest first; None when the
    edges cannot be placed (a relative rule without its reference value)."""
    t = ind.thresholds
    base = 0.0
    if t.get("relative_to"):
        ref = (reference or {}).get(t["relative_to"])
        if ref is None or fmt.is_null(ref):
            return None
        base = fmt.displayed(by_key()[t["relative_to"]], float(ref))
    sign = 1 if ind.better == "higher" else -1
    green = figures.shown_value(ind, base + sign * t["green"])
    yellow = figures.shown_value(ind, base + sign * t["yellow"])
    g, y = _short(ind, green), _short(ind, yellow)
    word = fmt.STATE_LABELS
    if ind.better == "higher":
        if yellow <= 0:  # fund pace in January: nothing is more than 10 points behind 8.3 %, so no 红
            return [MapClass(f"{word['yellow']} < {g}", fmt.STATE_COLOURS["yellow"], "yellow"),
                    MapClass(f"{word['green']} ≥ {g}", fmt.STATE_COLOURS["green"], "green")]
        labels = {"red": f"< {y}", "yellow": f"{y} – {g}", "green": f"≥ {g}"}
    else:
        labels = {"red": f"> {y}", "yellow": f"{g} – {y}", "green": f"≤ {g}"}
    return [MapClass(f"{word[s]} {labels[s]}", fmt.STATE_COLOURS[s], s) for s in ("red", "yellow", "green")]


def _anomaly_class(ind: Indicator) -> MapClass:
    return MapClass(f"{fmt.STATE_LABELS['anomaly']}（> 100%）", fmt.STATE_COLOURS["anomaly"], "anomaly")


def _quantile_classes(ind: Indicator, shown: pd.Series) -> list[MapClass]:
    """Up to five blues at rounded quantiles of the displayed values; one class when they are all equal."""
    k = min(MAX_CLASSES, shown.nunique())
    if k == 0:
        return []
    raw = shown.quantile([i / k for i in range(1, k)]).tolist() if k > 1 else []
    # An edge at or below the minimum would leave the first class empty.
    cuts = [c for c in sorted({_nice(ind, v) for v in raw}) if shown.min() < c <= shown.max()]
    if not cuts:
        return [MapClass(_short(ind, shown.iloc[0]) if shown.nunique() == 1 else
                         f"{_short(ind, shown.min())} – {_short(ind, shown.max())}", PALETTES[1][0])]
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
        out.append(MapClass(label, colours[i], lower=lo, upper=hi))
    return out


def legend(ind: Indicator, frame: pd.DataFrame, month: str | None = None,
           reference: dict | None = None) -> Legend:
    """The classes of a map of `ind` over `frame` (indexed by code, with ind.key and what the rule reads).

    A judged indicator is coloured by the judge's verdict on each region, so the map can never disagree with
    the table, the bars or a card; a value above 100 % is 数据异常 (purple) on every map. Figures the judge does
    not colour (counts, the month in progress) are shaded blue by quantile without status words. Nulls are
    no data, never the lowest class. `reference` is the row a relative rule's legend edges read (序时进度).
    """
    values = pd.to_numeric(frame[ind.key], errors="coerce").astype(float)
    states = judge.states(frame, [ind.key], month=month)[ind.key] if len(frame) else pd.Series(dtype=object)
    anomalous = states.eq(judge.ANOMALY) & values.notna()
    judged = states[values.notna() & ~anomalous]
    rows = frame.to_dict("index")
    status = _status_classes(ind, reference or (rows[next(iter(rows))] if rows else None)) if ind.judged else None
    if status is not None and judged.isin(list(judge.ORDER)).all() and (len(judged) or anomalous.any()):
        classes = status + ([_anomaly_class(ind)] if anomalous.any() else [])
        position = {c.state: i for i, c in enumerate(classes)}
        which = states.map(lambda s: position.get(s, -1)).where(values.notna(), -1)
        return Legend(classes, which.astype(int), STATUS)
    shown = values[values.notna() & ~anomalous].map(lambda v: figures.shown_value(ind, v))
    classes = _quantile_classes(ind, shown)
    which = pd.Series(-1, index=frame.index, dtype=int)
    for code, v in shown.items():
        which[code] = next(i for i, c in enumerate(classes) if v < c.upper or c.upper == math.inf)
    if anomalous.any():
        classes = classes + [_anomaly_class(ind)]
        which[anomalous] = len(classes) - 1
    early = judged.eq(judge.EARLY).any()
    return Legend(classes, which, EARLY if early else QUANTILE)


def choropleth(frame: pd.DataFrame, ind: Indicator, shapes_: geo.MapShapes, legend_: Legend,
               title: str, height: int = 600) -> go.Figure:
    """Regions (frame indexed by code, with region_name and ind.key) coloured by class, labelled with values.

    One trace per class so the legend lists the classes with their units, no data included.
    """
    by_code = {f["id"]: f for f in shapes_.geojson["features"]}
    drawn = frame[frame.index.isin(list(by_code))]
    classes = legend_.classes
    which = legend_.which.reindex(drawn.index).fillna(-1).astype(int)
    texts = {code: fmt.value(ind, drawn.at[code, ind.key]) for code in drawn.index}
    short = {code: map_label(ind, drawn.at[code, ind.key]) for code in drawn.index}
    entries = [(i, c.label, c.colour) for i, c in enumerate(classes)]
    # Highest first (绿 or the darkest blue), then 数据异常, 无数据 last: the legend reads top-down like the table.
    ordinary = [e for e in entries if classes[e[0]].state != judge.ANOMALY]
    odd = [e for e in entries if classes[e[0]].state == judge.ANOMALY]
    fig = go.Figure()
    for i, label, colour in [*reversed(ordinary), *odd, (-1, NO_DATA_LABEL, NO_DATA_COLOUR)]:
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
        title=dict(text=title, font=dict(size=18)), font=figures.FONT, height=height,
        margin=dict(l=0, r=0, t=MARGINS[0] if title else 10, b=MARGINS[1]), paper_bgcolor="white",
        clickmode="event+select",
        dragmode=False,
        # Below the map, not over it: a county's outline can reach any corner.
        legend=dict(title=dict(text=legend_title(ind), font=dict(size=14), side="top"), orientation="h",
                    x=0.0, y=0.0, xanchor="left", yanchor="top", itemclick=False, itemdoubleclick=False,
                    font=dict(size=14)),
    )
    return fig


def fit_height(shapes_: geo.MapShapes, lowest: int = 380, highest: int = 600) -> int:
    """A map height that fits the outline's shape at MAP_WIDTH: a wide county gets no blank band above and below."""
    minx, miny, maxx, maxy = shapes_.bounds
    stretch = math.cos(math.radians((miny + maxy) / 2))
    w, h = (maxx - minx) * stretch, maxy - miny
    if w <= 0 or h <= 0:
        return highest
    return int(min(highest, max(lowest, MAP_WIDTH * h / w + sum(MARGINS))))


def pixels_per_region(shapes_: geo.MapShapes, n: int, height: int) -> float:
    """Roughly how many screen pixels each region gets once the map fits its bounds (Mercator near 35°N)."""
    minx, miny, maxx, maxy = shapes_.bounds
    stretch = math.cos(math.radians((miny + maxy) / 2))  # a degree of longitude is shorter than one of latitude
    w, h = (maxx - minx) * stretch, maxy - miny
    if n == 0 or w <= 0 or h <= 0:
        return math.inf
    scale = min(MAP_WIDTH / w, (height - sum(MARGINS)) / h)
    return shapes_.area * stretch * scale ** 2 / n
