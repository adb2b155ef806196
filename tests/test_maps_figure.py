"""dashboard/maps.py: class breaks, no data apart from zero, the offline figure, reading a click back."""

import json
import math
from urllib.parse import unquote

import pandas as pd
import pytest

from dashboard import maps
from queries import geo
from queries.registry import by_key
from tests.test_maps_fixture import RENCHENG, SISHUI

REG = by_key()


def labels(classes):
    return [c.label for c in classes]


def test_threshold_classes_for_a_judged_rate():
    # visit_completion: green 0.95, yellow 0.85 → one more edge below at 0.85 − (0.95 − 0.85) = 0.75.
    classes = maps.class_breaks(REG["visit_completion"], pd.Series([0.5, 0.9, 1.0]))
    assert labels(classes) == ["< 75.0%（红）", "75.0% – 85.0%（红）", "85.0% – 95.0%（黄）", "≥ 95.0%（绿）"]
    assert [c.colour for c in classes] == maps.PALETTES[4]


def test_no_data_is_not_zero():
    classes = maps.class_breaks(REG["visit_completion"], pd.Series([0.5, 0.9]))
    values = pd.Series([0.96, 0.95, 0.9, 0.8, 0.5, float("nan"), 0.0, None])
    # 0.95 sits exactly on the green line (registry.status() calls it green too); 0.0 is a value, NaN is not.
    assert maps.classify(values, classes).tolist() == [3, 3, 2, 1, 0, -1, 0, -1]


def test_relative_thresholds_read_the_reference_row():
    # fund_execution_rate: green at 序时进度 (10/12), yellow 10 points below, and one class more below.
    tp = 10 / 12
    classes = maps.class_breaks(REG["fund_execution_rate"], pd.Series([0.5, 0.9]), {"time_progress": tp})
    edges = [c.lower for c in classes[1:]]
    assert edges == pytest.approx([tp - 0.2, tp - 0.1, tp])
    assert labels(classes)[-1] == "≥ 83.3%（绿）"


def test_relative_thresholds_without_reference_fall_back_to_quantiles():
    classes = maps.class_breaks(REG["fund_execution_rate"], pd.Series([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]))
    assert not any("绿" in c.label for c in classes)
    assert len(classes) == 5


def test_quantile_classes_for_counts():
    values = pd.Series([10, 20, 30, 40, 50, 60, 70, 80, 90, 100])
    # pandas linear quantiles at 0.2/0.4/0.6/0.8: positions 1.8, 3.6, 5.4, 7.2 → 28, 46, 64, 82.
    classes = maps.class_breaks(REG["children_total"], values)
    assert labels(classes) == ["< 28", "28 – 46", "46 – 64", "64 – 82", "≥ 82"]
    assert maps.classify(values, classes).tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]


def test_quantile_edges_for_money_are_rounded_in_wan_yuan():
    values = pd.Series([1_234_567, 2_345_678, 3_456_789, 4_567_890, 5_678_901, 6_789_012])
    classes = maps.class_breaks(REG["fund_budget"], values)
    # Two significant digits: the first edge (quantile 0.2 = 2,345,678) becomes 2,300,000 元 = 230.0 万元.
    assert classes[1].label == "230.0 – 350.0"
    assert maps.legend_title(REG["fund_budget"]) == "年度预算（万元）"


def test_degenerate_inputs():
    assert maps.class_breaks(REG["children_total"], pd.Series([float("nan"), None])) == []
    one = maps.class_breaks(REG["children_total"], pd.Series([7, 7, float("nan")]))
    assert len(one) == 1 and one[0].label == "7"
    assert maps.classify(pd.Series([7, float("nan")]), one).tolist() == [0, -1]


def test_map_label():
    assert maps.map_label(REG["visit_completion"], 0.9345) == "93.5%"
    assert maps.map_label(REG["fund_budget"], 8_120_000) == "812.0"
    assert maps.map_label(REG["children_total"], 1288) == "1,288"
    assert maps.map_label(REG["children_total"], float("nan")) == "无数据"
    assert maps.map_label(REG["children_total"], 0) == "0"


@pytest.fixture
def figure():
    ind = REG["visit_completion"]
    frame = pd.DataFrame({"region_name": ["泗水县", "任城区"], "visit_completion": [0.97, float("nan")]},
                         index=[SISHUI, RENCHENG])
    shapes = geo.county_shapes([SISHUI, RENCHENG])
    classes = maps.class_breaks(ind, frame["visit_completion"])
    return maps.choropleth(frame, ind, shapes, classes, "标题")


def test_figure_draws_each_region_once_with_only_codes(figure):
    polygons = [t for t in figure.data if t.type == "choropleth"]
    drawn = [loc for t in polygons for loc in t.locations]
    assert sorted(drawn) == [RENCHENG, SISHUI]
    for t in polygons:
        assert all(f["properties"] == {"code": f["id"]} for f in t.geojson["features"])
        assert [f["id"] for f in t.geojson["features"]] == list(t.locations)
    nodata = [t for t in polygons if list(t.locations) == [RENCHENG]][0]
    assert nodata.colorscale[0][1] == maps.NO_DATA_COLOUR


def test_figure_legend_lists_every_class_and_no_data(figure):
    legend = [t.name for t in figure.data if t.showlegend]
    assert legend == ["≥ 95.0%（绿）", "85.0% – 95.0%（黄）", "75.0% – 85.0%（红）", "< 75.0%（红）", maps.NO_DATA_LABEL]
    assert figure.layout.legend.title.text == "走访完成率（%）"


def test_figure_labels_and_offline_geo(figure):
    text = [t for t in figure.data if t.type == "scattergeo" and t.mode == "text"][0]
    assert list(text.text) == ["<b>泗水县</b><br>97.0%", "<b>任城区</b><br>无数据"] or \
        sorted(text.text) == sorted(["<b>泗水县</b><br>97.0%", "<b>任城区</b><br>无数据"])
    assert figure.layout.geo.fitbounds == "locations"
    assert figure.layout.geo.visible is False


def test_empty_topojson_url_is_a_self_contained_topology():
    # plotly.js fetches topojsonURL + "/world_110m.json"; the '#' makes that suffix a fragment.
    fetched = maps.CONFIG["topojsonURL"] + "/world_110m.json"
    assert fetched.startswith("data:application/json,")
    body = unquote(fetched.split(",", 1)[1].split("#", 1)[0])
    assert json.loads(body) == {"type": "Topology", "objects": {}, "arcs": []}
    assert "http" not in maps.CONFIG["topojsonURL"]


@pytest.mark.parametrize("state, expected", [
    ({"selection": {"points": [{"location": SISHUI, "customdata": SISHUI}]}}, SISHUI),
    ({"selection": {"points": [{"customdata": [RENCHENG]}]}}, RENCHENG),
    ({"selection": {"points": []}}, None),
    (None, None),
])
def test_clicked_code(state, expected):
    assert maps.clicked_code(state) == expected


def test_ranking_bars_draw_the_parent_value_as_a_line():
    import pandas as pd

    from dashboard import charts

    frame = pd.DataFrame({"region_name": ["甲", "乙"], "visit_completion": [0.8, 1.0]}, index=["a", "b"])
    colours = pd.Series({"a": "red", "b": "green"})
    fig = charts.ranking_bars(frame, REG["visit_completion"], colours, "t", average=0.9, average_label="济宁市整体")
    assert fig.layout.shapes[0].x0 == pytest.approx(90.0)
    assert "济宁市整体 90.0%" in fig.layout.annotations[0].text
    assert not charts.ranking_bars(frame, REG["visit_completion"], colours, "t", average=math.nan).layout.shapes


def test_judged_follows_the_registry():
    assert maps.judged(REG["visit_completion"])
    assert not maps.judged(REG["children_total"])  # better: none
    assert not maps.judged(REG["fund_execution_rate"])  # relative, and no 序时进度 to compare with
    assert maps.judged(REG["fund_execution_rate"], {"time_progress": 0.5})


def test_labels_drop_the_value_where_regions_are_small_on_screen():
    # Worked by hand: a 1° × 1° square at the equator fitted into 470 × 470 px (600 − 130 of margins) is
    # 470² = 220,900 px; shared by 10 regions that is 22,090 px each, by 100 regions 2,209 (< 5,000: crowded).
    square = geo.MapShapes({"type": "FeatureCollection", "features": []}, pd.DataFrame(columns=["code", "lon", "lat"]),
                           "", bounds=(0.0, -0.5, 1.0, 0.5), area=1.0)
    assert maps.pixels_per_region(square, 10, 600) == pytest.approx(22_090, rel=1e-3)
    assert maps.pixels_per_region(square, 100, 600) < maps.CROWDED_PX
    assert maps.pixels_per_region(square, 0, 600) == math.inf


def test_fund_pace_in_january_has_no_negative_edges():
    # 序时进度 1/12 ≈ 8.3%: yellow line 8.3 − 10 < 0 and the extra line below it too, so both go; every value
    # under 8.3% is then 黄 (within 10 points of pace), at or above it 绿.
    classes = maps.class_breaks(REG["fund_execution_rate"], pd.Series([0.0, 0.05, 0.2]), {"time_progress": 1 / 12})
    assert labels(classes) == ["< 8.3%（黄）", "≥ 8.3%（绿）"]
    assert [c.colour for c in classes] == maps.PALETTES[2]
