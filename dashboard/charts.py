"""The dashboard's general charts: the figures live in exports.figures, shared by the screen and the files."""

from exports.figures import (  # noqa: F401  (the names the views and tests use)
    FONT, LINE_COLOURS, NEUTRAL, NO_DATA_COLOUR, WRAP_TITLE, _layout, bar_colour, category_bars, month_label,
    ranking_bars, shown_value, trend_rates,
)
