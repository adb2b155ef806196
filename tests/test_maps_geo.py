"""queries/geo.py: which polygons a map draws for a level and region, limited to the viewer's scope."""

import json

import pytest
import shapely
from shapely.geometry import Point, shape

from data.db import get_engine
from queries import geo
from queries.engine import OutOfScope, Scope
from tests.test_maps_fixture import (
    CITY, RENCHENG, RENCHENG_TOWNS, SISHUI, SISHUI_TOWNS, TAIAN, TAISHAN, TAISHAN_TOWN, build_geo_fixture,
)


@pytest.fixture(scope="module")
def engine(module_db_url):
    """The geo fixture, loaded once per backend: every test here only reads it."""
    engine = get_engine(build_geo_fixture(module_db_url))
    yield engine
    engine.dispose()


@pytest.fixture
def conn(engine):
    with engine.connect() as c:
        yield c


def codes(frame):
    return frame["region_code"].tolist()


def test_counties_of_a_city(conn):
    frame = geo.map_regions(conn, Scope.everything(), "county", CITY)
    assert codes(frame) == [RENCHENG, SISHUI]  # 泰山区 belongs to 泰安, not 济宁
    assert frame["region_name"].tolist() == ["任城区", "泗水县"]
    assert set(frame["parent_code"]) == {CITY}


def test_townships_follow_parent_links_not_prefixes(conn):
    frame = geo.map_regions(conn, Scope.everything(), "township", SISHUI)
    assert codes(frame) == SISHUI_TOWNS[:3] + ["370899001000"]  # the development zone is included


def test_whole_database_when_no_region(conn):
    frame = geo.map_regions(conn, Scope.everything(), "county", None)
    assert codes(frame) == [RENCHENG, SISHUI, TAISHAN]


@pytest.mark.parametrize("scope, level, region, expected", [
    # A county-level viewer sees only their own county on the city map.
    ((SISHUI,), "county", CITY, [SISHUI]),
    ((SISHUI,), "township", SISHUI, SISHUI_TOWNS),
    ((CITY,), "county", None, [RENCHENG, SISHUI]),
    ((RENCHENG_TOWNS[0],), "township", RENCHENG, [RENCHENG_TOWNS[0]]),
])
def test_polygons_are_limited_to_the_scope(conn, scope, level, region, expected):
    assert codes(geo.map_regions(conn, Scope(scope), level, region)) == expected


@pytest.mark.parametrize("scope, level, region", [
    # Asking for another county's townships, or another city's counties, is refused: no polygon, no name.
    ((SISHUI,), "township", RENCHENG),
    ((CITY,), "county", TAIAN),
])
def test_polygons_outside_the_scope_are_refused(conn, scope, level, region):
    with pytest.raises(OutOfScope):
        geo.map_regions(conn, Scope(scope), level, region)


def test_no_map_for_villages(conn):
    with pytest.raises(ValueError):
        geo.map_regions(conn, Scope.everything(), "village", SISHUI)


def test_scoped_list_drives_the_polygons(conn):
    # The page passes exactly the scoped codes to the shapes: a 泗水-only viewer gets one county outline.
    frame = geo.map_regions(conn, Scope((SISHUI,)), "county", CITY)
    shapes = geo.shapes_for("county", codes(frame))
    assert [f["id"] for f in shapes.geojson["features"]] == [SISHUI]


def test_county_shapes_keep_only_the_code():
    shapes = geo.county_shapes([SISHUI, RENCHENG, "999999000000"])
    features = shapes.geojson["features"]
    assert sorted(f["id"] for f in features) == [RENCHENG, SISHUI]
    assert all(f["properties"] == {"code": f["id"]} for f in features)
    assert shapes.missing == ("999999000000",)
    assert not shapes.synthetic
    # Every label point lies inside its own county.
    by_code = {f["id"]: shape(f["geometry"]) for f in features}
    for row in shapes.labels.itertuples():
        assert by_code[row.code].contains(Point(row.lon, row.lat))


def test_county_shapes_are_simplified_and_rounded():
    shapes = geo.county_shapes([SISHUI])
    text = json.dumps(shapes.geojson)
    coords = shapely.get_coordinates(shape(shapes.geojson["features"][0]["geometry"]))
    assert all(len(repr(float(v)).split(".")[1]) <= 5 for v in coords.ravel())
    assert len(text) < 20_000  # the raw outline alone is ~11 kB per county; simplified it is smaller


def test_township_shapes_are_synthetic_and_stable():
    first = geo.township_shapes(SISHUI, SISHUI_TOWNS)
    again = geo.township_shapes(SISHUI, list(reversed(SISHUI_TOWNS)))  # order of the list does not matter
    assert first.synthetic and "示意" in first.source
    assert [f["id"] for f in first.geojson["features"]] == sorted(SISHUI_TOWNS)
    assert first.geojson == again.geojson
    assert all(f["properties"] == {"code": f["id"]} for f in first.geojson["features"])
    county = shape(geo.county_shapes([SISHUI]).geojson["features"][0]["geometry"])
    cells = [shape(f["geometry"]) for f in first.geojson["features"]]
    # The cells tile the county (up to simplification of the outline).
    assert shapely.union_all(cells).symmetric_difference(county).area < 0.02 * county.area


def test_township_shapes_without_a_county_outline():
    # Every county of China now ships an outline (泰山区 too): a code no county has stands for a missing one.
    shapes = geo.township_shapes("370999000000", ["370999001000"])
    assert shapes.geojson["features"] == []
    assert shapes.missing == ("370999001000",)


def test_a_development_zone_coded_as_a_county_has_no_outline():
    # 济宁高新区 (370871) is a county-level statistical unit but no administrative one: amap has no outline.
    shapes = geo.county_shapes(["370871000000", SISHUI])
    assert [f["id"] for f in shapes.geojson["features"]] == [SISHUI]
    assert shapes.missing == ("370871000000",)


def test_counties_outside_jining_get_outlines_without_a_boundary_file():
    # 泰山区 (泰安, the fixture's second city) and 佛冈县 (广东) come from the shipped layer of all China.
    shapes = geo.shapes_for("county", [TAISHAN, "441821000000"])
    assert sorted(f["id"] for f in shapes.geojson["features"]) == [TAISHAN, "441821000000"]
    assert shapes.missing == () and not shapes.synthetic
    towns = geo.shapes_for("township", [TAISHAN_TOWN], TAISHAN)
    assert [f["id"] for f in towns.geojson["features"]] == [TAISHAN_TOWN] and towns.synthetic


def test_a_province_map_is_simplified_to_its_scale():
    from data.demo.spec import SHANDONG_COUNTIES  # the province demo's 136 counties

    shandong = [code + "000000" for units in SHANDONG_COUNTIES.values() for code, _ in units]
    shapes = geo.county_shapes(shandong)
    assert len(shapes.geojson["features"]) == 136 and shapes.missing == ()
    assert len(json.dumps(shapes.geojson)) < 600_000  # 136 counties stay light for the browser
    # A city's map keeps more detail per county than the whole province's.
    alone = geo.county_shapes([SISHUI]).geojson["features"][0]["geometry"]
    inside = next(f for f in shapes.geojson["features"] if f["id"] == SISHUI)["geometry"]
    assert len(shapely.get_coordinates(shape(inside))) < len(shapely.get_coordinates(shape(alone)))


def test_shapes_for_dispatch():
    assert geo.shapes_for("township", RENCHENG_TOWNS, RENCHENG).synthetic
    with pytest.raises(ValueError):
        geo.shapes_for("township", RENCHENG_TOWNS)
    with pytest.raises(ValueError):
        geo.shapes_for("village", [])


def test_geo_does_not_import_streamlit():
    import subprocess
    import sys

    code = "import sys, queries.geo; sys.exit('streamlit' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=".").returncode == 0


def test_a_deployment_boundary_file_replaces_the_shipped_outlines(tmp_path, monkeypatch):
    import geopandas as gpd
    from shapely.geometry import box

    from queries import geo

    path = tmp_path / "own.geojson"
    gpd.GeoDataFrame({"区划代码": ["370831000000"]}, geometry=[box(117.0, 35.5, 117.5, 35.8)],
                     crs="EPSG:4326").to_file(path, driver="GeoJSON")
    monkeypatch.setenv(geo.BOUNDARY_ENV, str(path))
    shapes = geo.shapes_for("county", ["370831000000", "370811000000"])
    assert [f["properties"] for f in shapes.geojson["features"]] == [{"code": "370831000000"}]
    assert shapes.missing == ("370811000000",)
    assert "own.geojson" in shapes.source
    monkeypatch.delenv(geo.BOUNDARY_ENV)
    assert len(geo.shapes_for("county", ["370831000000", "370811000000"]).geojson["features"]) == 2
