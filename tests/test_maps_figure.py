"""dashboard/maps.py: class breaks, no data apart from zero, the offline figure, reading a click back."""

import json
import math
from urllib.parse import unquote

import pandas as pd
import pytest

from dashboard import maps
from exports import figures as charts
from queries import geo, judge
from queries.fmt import STATE_COLOURS
from queries.registry import by_key
from tests.test_maps_fixture import JINING_COUNTIES, RENCHENG, SISHUI

REG = by_key()


def labels(legend):
    return [c.label for c in legend.classes]


def frame_of(key, values, **extra):
    """A league-shaped frame: one region per value, codes r0, r1, …"""
    codes = [f"r{i}" for i in range(len(values))]
    return pd.DataFrame({"region_name": [f"区{i}" for i in range(len(values))], key: values, **extra}, index=codes)


def test_status_classes_follow_the_judge_on_the_value_as_displayed():
    # visit_completion: green ≥ 95 %, yellow ≥ 85 %. 0.9496 is displayed 95.0 % and so is green, as on every card;
    # 1.2 is 数据异常 (a rate cannot pass 100 %), never green.
    legend = maps.legend(REG["visit_completion"], frame_of("visit_completion", [0.97, 0.9496, 0.90, 0.5, 1.2, None]))
    assert legend.mode == maps.STATUS
    assert labels(legend) == ["红 < 85.0%", "黄 85.0% – 95.0%", "绿 ≥ 95.0%", "数据异常（> 100%）"]
    assert [c.colour for c in legend.classes] == [STATE_COLOURS[s] for s in ("red", "yellow", "green", "anomaly")]
    assert legend.which.tolist() == [2, 2, 1, 0, 3, -1]


def test_no_data_is_not_zero():
    legend = maps.legend(REG["visit_completion"], frame_of("visit_completion", [0.0, float("nan"), 0.85]))
    # 0.0 is a value (红); NaN is no data; 0.85 sits exactly on the yellow line.
    assert legend.which.tolist() == [0, -1, 1]


def test_without_an_anomaly_there_is_no_anomaly_class():
    legend = maps.legend(REG["visit_completion"], frame_of("visit_completion", [0.5, 0.9]))
    assert labels(legend) == ["红 < 85.0%", "黄 85.0% – 95.0%", "绿 ≥ 95.0%"]


def test_relative_thresholds_read_the_row():
    # fund_execution_rate against 序时进度 10/12, displayed 83.3 %: 绿 from 83.3 %, 黄 from 73.3 % (10 points behind).
    tp = 10 / 12
    values = [0.8329, 0.8324, 0.733, 0.7324, 1.05]
    legend = maps.legend(REG["fund_execution_rate"], frame_of("fund_execution_rate", values, time_progress=tp))
    assert labels(legend) == ["红 < 73.3%", "黄 73.3% – 83.3%", "绿 ≥ 83.3%", "数据异常（> 100%）"]
    # 83.29 % shows as 83.3 % (绿); 83.24 % as 83.2 % (黄); 73.24 % as 73.2 % (红); 105 % is spending above budget.
    assert legend.which.tolist() == [2, 1, 1, 0, 3]


def test_relative_thresholds_without_reference_fall_back_to_quantiles():
    legend = maps.legend(REG["fund_execution_rate"], frame_of("fund_execution_rate", [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]))
    assert legend.mode == maps.QUANTILE
    assert not any(w in label for label in labels(legend) for w in ("绿", "黄", "红"))
    assert len(legend.classes) == 5


def test_fund_pace_in_january_has_no_red():
    # 序时进度 1/12, displayed 8.3 %: the yellow line 8.3 − 10 is below zero, so nothing can be 红: every value under
    # 8.3 % is 黄 (within 10 points of pace), at or above it 绿.
    legend = maps.legend(REG["fund_execution_rate"],
                         frame_of("fund_execution_rate", [0.0, 0.05, 0.2], time_progress=1 / 12))
    assert labels(legend) == ["黄 < 8.3%", "绿 ≥ 8.3%"]
    assert [c.colour for c in legend.classes] == [STATE_COLOURS["yellow"], STATE_COLOURS["green"]]
    assert legend.which.tolist() == [0, 0, 1]


def test_month_in_progress_is_blue_without_status_words(monkeypatch):
    monkeypatch.setenv("WEIBAO_TODAY", "2026-12-01")
    legend = maps.legend(REG["visit_completion"], frame_of("visit_completion", [0.03, 0.04, 1.2, None]), "2026-12")
    assert legend.mode == maps.EARLY
    # Quantile of the displayed 3.0 and 4.0: one edge at the median 3.5; 120 % stays 数据异常 even now.
    assert labels(legend) == ["< 3.5%", "≥ 3.5%", "数据异常（> 100%）"]
    assert [c.colour for c in legend.classes] == [*maps.PALETTES[2], STATE_COLOURS["anomaly"]]
    assert legend.which.tolist() == [0, 1, 2, -1]
    # The month before is over: judged again.
    assert maps.legend(REG["visit_completion"], frame_of("visit_completion", [0.03]), "2026-11").mode == maps.STATUS


def test_quantile_classes_for_counts():
    values = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    # pandas linear quantiles at 0.2/0.4/0.6/0.8: positions 1.8, 3.6, 5.4, 7.2 → 28, 46, 64, 82.
    legend = maps.legend(REG["children_total"], frame_of("children_total", values))
    assert legend.mode == maps.QUANTILE
    assert labels(legend) == ["< 28", "28 – 46", "46 – 64", "64 – 82", "≥ 82"]
    assert legend.which.tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert [c.colour for c in legend.classes] == maps.PALETTES[5]


def test_quantile_edges_for_money_are_rounded_in_wan_yuan():
    values = [1_234_567, 2_345_678, 3_456_789, 4_567_890, 5_678_901, 6_789_012]
    legend = maps.legend(REG["fund_budget"], frame_of("fund_budget", values))
    # In 万元 the values read 123.5 … 678.9; quantile 0.2 is the second one, 234.6, two significant digits → 230.0;
    # quantile 0.4 is 345.7 → 350.0.
    assert legend.classes[1].label == "230.0 – 350.0"
    assert maps.legend_title(REG["fund_budget"]) == "年度预算（万元）"


def test_degenerate_inputs():
    assert maps.legend(REG["children_total"], frame_of("children_total", [float("nan"), None])).classes == []
    one = maps.legend(REG["children_total"], frame_of("children_total", [7, 7, float("nan")]))
    assert labels(one) == ["7"] and one.which.tolist() == [0, 0, -1]


def test_map_label():
    assert maps.map_label(REG["visit_completion"], 0.9345) == "93.5%"
    assert maps.map_label(REG["visit_completion"], 0.0625) == "6.3%"  # half up, as every other figure (not 6.2)
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
    return maps.choropleth(frame, ind, shapes, maps.legend(ind, frame), "标题")


def test_figure_draws_each_region_once_with_only_codes(figure):
    polygons = [t for t in figure.data if t.type == "choropleth"]
    drawn = [loc for t in polygons for loc in t.locations]
    assert sorted(drawn) == [RENCHENG, SISHUI]
    for t in polygons:
        assert all(f["properties"] == {"code": f["id"]} for f in t.geojson["features"])
        assert [f["id"] for f in t.geojson["features"]] == list(t.locations)
    nodata = [t for t in polygons if list(t.locations) == [RENCHENG]][0]
    assert nodata.colorscale[0][1] == maps.NO_DATA_COLOUR


def polygon_colours(fig) -> dict:
    return {loc: t.colorscale[0][1] for t in fig.data if t.type == "choropleth" for loc in t.locations}


@pytest.mark.parametrize("key, values", [
    ("visit_completion", [0.99, 0.9496, 0.949, 0.86, 0.8499, 0.2, 1.01, None, 0.0, 0.95, 1.0]),
    ("fund_execution_rate", [0.95, 0.9166, 0.9164, 0.82, 0.8164, 0.1, 1.3, None, 0.0, 0.5, 1.0]),
])
def test_map_class_colour_is_the_judge_verdict_for_every_region(key, values):
    # Jining's 11 counties with values on both sides of every line (序时进度 11/12 = 91.7 % displayed for funds).
    ind = REG[key]
    codes = [prefix + "000000" for prefix, _ in JINING_COUNTIES]
    frame = pd.DataFrame({"region_name": [n for _, n in JINING_COUNTIES], key: values, "time_progress": 11 / 12},
                         index=codes)
    fig = maps.choropleth(frame, ind, geo.county_shapes(codes), maps.legend(ind, frame, "2026-11"), "t")
    drawn = polygon_colours(fig)
    assert set(drawn) == set(codes)
    for code, row in frame.to_dict("index").items():
        state = judge.verdict(ind, row, month="2026-11").state
        assert drawn[code] == (STATE_COLOURS[state] if state else maps.NO_DATA_COLOUR), (code, row[key], state)


def test_figure_legend_lists_every_class_and_no_data(figure):
    legend = [t.name for t in figure.data if t.showlegend]
    assert legend == ["绿 ≥ 95.0%", "黄 85.0% – 95.0%", "红 < 85.0%", maps.NO_DATA_LABEL]
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
    frame = pd.DataFrame({"region_name": ["甲", "乙"], "visit_completion": [0.8, 1.0]}, index=["a", "b"])
    states = pd.Series({"a": "red", "b": "green"})
    fig = charts.ranking_bars(frame, REG["visit_completion"], states, "t", average=0.9, average_label="济宁市整体")
    assert fig.layout.shapes[0].x0 == pytest.approx(90.0)
    assert "济宁市整体 90.0%" in fig.layout.annotations[0].text
    assert not charts.ranking_bars(frame, REG["visit_completion"], states, "t", average=math.nan).layout.shapes


def test_ranking_bars_colour_every_state_and_no_data():
    # The crash of issue 6: a county with regions but no children has no value and no state (None).
    ind = REG["visit_completion"]
    frame = pd.DataFrame({"region_name": ["甲", "乙", "丙", "丁", "戊", "己"],
                          "visit_completion": [0.97, 0.9, 0.5, 1.2, 0.04, None]}, index=list("abcdef"))
    states = pd.Series({"a": "green", "b": "yellow", "c": "red", "d": "anomaly", "e": "early", "f": None})
    bar = charts.ranking_bars(frame, ind, states, "t").data[0]
    # Plotly draws the first bar at the bottom: no data, then 数据异常 (not a result, so never on top), then
    # the values from lowest to highest.
    assert list(bar.y) == ["己", "丁", "戊", "丙", "乙", "甲"]
    assert list(bar.marker.color) == [charts.NO_DATA_COLOUR, STATE_COLOURS["anomaly"], STATE_COLOURS["early"],
                                      STATE_COLOURS["red"], STATE_COLOURS["yellow"], STATE_COLOURS["green"]]
    assert list(bar.text) == ["无数据", "120.0%", "4.0%", "50.0%", "90.0%", "97.0%"]
    # A state missing from the series altogether (NaN after a reindex) is drawn too, not raised on.
    unknown = charts.ranking_bars(frame, ind, pd.Series(dtype=object), "t").data[0]
    assert unknown.marker.color[0] == charts.NO_DATA_COLOUR


def test_ranking_bars_axis_reads_like_officials_write():
    frame = pd.DataFrame({"region_name": ["甲", "乙"], "children_total": [2_345, 12_000]}, index=["a", "b"])
    fig = charts.ranking_bars(frame, REG["children_total"], pd.Series({"a": None, "b": None}), "t")
    assert fig.layout.xaxis.tickformat == "," and fig.layout.xaxis.exponentformat == "none"  # not '12k'
    assert fig.layout.xaxis.title.text == "人"
    assert list(fig.data[0].text) == ["2,345", "12,000"]
    assert list(fig.data[0].marker.color) == [charts.NEUTRAL, charts.NEUTRAL]  # counts are not judged
    money = pd.DataFrame({"region_name": ["甲"], "fund_budget": [8_125_000]}, index=["a"])
    fig = charts.ranking_bars(money, REG["fund_budget"], pd.Series({"a": None}), "t")
    assert list(fig.data[0].x) == [812.5] and fig.layout.xaxis.title.text == "万元"


def test_labels_drop_the_value_where_regions_are_small_on_screen():
    # Worked by hand: a 1° × 1° square at the equator fitted into 470 × 470 px (600 − 130 of margins) is
    # 470² = 220,900 px; shared by 10 regions that is 22,090 px each, by 100 regions 2,209 (< 5,000: crowded).
    square = geo.MapShapes({"type": "FeatureCollection", "features": []}, pd.DataFrame(columns=["code", "lon", "lat"]),
                           "", bounds=(0.0, -0.5, 1.0, 0.5), area=1.0)
    assert maps.pixels_per_region(square, 10, 600) == pytest.approx(22_090, rel=1e-3)
    assert maps.pixels_per_region(square, 100, 600) < maps.CROWDED_PX
    assert maps.pixels_per_region(square, 0, 600) == math.inf


def test_map_height_follows_the_outline():
    # Worked by hand at the equator (no stretch): 2° wide × 1° high fits 470 px wide at 235 px high, plus the
    # 130 px of margins = 365 → the 380 px floor; 1° × 1° → 470 + 130 = 600; 1° wide × 2° high → capped at 600.
    def box(w, h):
        return geo.MapShapes({"type": "FeatureCollection", "features": []},
                             pd.DataFrame(columns=["code", "lon", "lat"]), "", bounds=(0.0, -h / 2, w, h / 2), area=w * h)
    assert maps.fit_height(box(2.0, 1.0)) == 380
    assert maps.fit_height(box(1.0, 1.0)) == 600
    assert maps.fit_height(box(1.0, 2.0)) == 600
    assert maps.fit_height(box(1.0, 0.8)) == 506  # 470 × 0.8 = 376 + 130
