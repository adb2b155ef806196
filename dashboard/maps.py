"""The dashboard's maps: cached boundaries and reading a click back; classes and figures are in exports.maps."""

import streamlit as st

from exports.maps import (  # noqa: F401  (the names the views and tests use)
    BORDER, CONFIG, CROWDED_PX, DARK, EARLY, EMPTY_TOPOJSON_URL, MAP_WIDTH, MARGINS, MAX_CLASSES, NO_DATA_COLOUR,
    NO_DATA_LABEL, PALETTES, QUANTILE, STATUS, Legend, MapClass, choropleth, fit_height, legend, legend_title,
    map_label, pixels_per_region,
)
from queries import geo


@st.cache_resource(max_entries=32, show_spinner=False)
def shapes(level: str, codes: tuple[str, ...], county: str | None = None) -> geo.MapShapes:
    """Boundaries for exactly these codes; read-only and shared by every session (the codes come scoped)."""
    return geo.shapes_for(level, codes, county)


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
