"""Shipped county outlines, synthetic townships, user boundary files and the GeoJSON for the map."""

import json
import zipfile

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Polygon

from data.geo import boundaries
from data.geo.boundaries import (
    BoundaryError,
    city_outline,
    county_outlines,
    load_user_boundaries,
    synthetic_townships,
    to_geojson,
)

JINING_COUNTIES = {
    "370811000000": "任城区",
    "370812000000": "兖州区",
    "370826000000": "微山县",
    "370827000000": "鱼台县",
    "370828000000": "金乡县",
    "370829000000": "嘉祥县",
    "370830000000": "汶上县",
    "370831000000": "泗水县",
    "370832000000": "梁山县",
    "370881000000": "曲阜市",
    "370883000000": "邹城市",
}


def township_codes(county: str, n: int) -> list[str]:
    return [f"{county[:6]}{i:03d}000" for i in range(1, n + 1)]


def test_shipped_file_has_exactly_the_eleven_counties():
    gdf = county_outlines()
    assert list(gdf.columns) == ["code", "name", "geometry"]
    assert dict(zip(gdf["code"], gdf["name"])) == JINING_COUNTIES
    assert gdf.crs.to_epsg() == 4326
    raw = json.loads(boundaries.COUNTIES_FILE.read_text(encoding="utf-8"))
    assert raw["type"] == "FeatureCollection"
    assert all(set(f["properties"]) == {"code", "name"} for f in raw["features"])


def test_shipped_geometries_are_valid_inside_jining_and_small():
    gdf = county_outlines()
    assert gdf.geometry.is_valid.all()
    assert not gdf.geometry.is_empty.any()
    for centroid in shapely.centroid(gdf.geometry.values):
        assert 115.5 <= centroid.x <= 117.7
        assert 34.4 <= centroid.y <= 36.1
    assert boundaries.COUNTIES_FILE.stat().st_size < 400 * 1024
    # simplified as one coverage: neighbours share their borders exactly, no gaps or overlaps
    assert shapely.coverage_is_valid(shapely.GeometryCollection(list(gdf.geometry)))


def test_city_outline_is_the_union_of_the_counties():
    city = city_outline()
    assert list(city["code"]) == ["370800000000"]
    counties = county_outlines()
    assert city.geometry.iloc[0].area == pytest.approx(shapely.area(counties.geometry.values).sum(), rel=1e-6)


@pytest.mark.parametrize("county", ["370811000000", "370826000000", "370883000000"])
def test_synthetic_townships_tile_the_county(county):
    codes = township_codes(county, 13)
    gdf = synthetic_townships(county, codes, seed=7)
    outline = county_outlines().set_index("code").geometry[county]
    assert list(gdf["code"]) == codes
    assert gdf.crs.to_epsg() == 4326
    assert gdf.geometry.is_valid.all()
    assert not gdf.geometry.is_empty.any()
    near = outline.buffer(1e-4)
    assert all(near.contains(cell) for cell in gdf.geometry)
    union = shapely.union_all(gdf.geometry.values)
    assert union.area == pytest.approx(outline.area, rel=0.02)
    assert sum(cell.area for cell in gdf.geometry) == pytest.approx(outline.area, rel=0.02)


def test_synthetic_townships_are_deterministic_per_seed():
    codes = township_codes("370830000000", 14)
    first = synthetic_townships("370830000000", codes, seed=3)
    again = synthetic_townships("370830000000", codes, seed=3)
    other = synthetic_townships("370830000000", codes, seed=4)
    assert [g.wkb for g in first.geometry] == [g.wkb for g in again.geometry]
    assert [g.wkb for g in first.geometry] != [g.wkb for g in other.geometry]


def test_synthetic_townships_edge_cases():
    assert synthetic_townships("370811000000", [], seed=1).empty
    single = synthetic_townships("370811", ["370811001000"], seed=1)
    assert len(single) == 1 and not single.geometry.iloc[0].is_empty
    with pytest.raises(BoundaryError, match="重复"):
        synthetic_townships("370811000000", ["370811001000", "370811001000"], seed=1)
    with pytest.raises(BoundaryError, match="没有县级区划代码"):
        synthetic_townships("370899000000", ["370899001000"], seed=1)


def _square(lon: float, lat: float, size: float = 0.1) -> Polygon:
    return Polygon([(lon, lat), (lon + size, lat), (lon + size, lat + size), (lon, lat + size)])


def test_load_user_geojson_with_numeric_adcode_in_web_mercator(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"adcode": [370811, 370812], "name": ["任城区", "兖州区"]},
        geometry=[_square(116.5, 35.3), _square(116.7, 35.5)],
        crs="EPSG:4326",
    ).to_crs("EPSG:3857")
    path = tmp_path / "mine.geojson"
    gdf.to_file(path, driver="GeoJSON")

    loaded = load_user_boundaries(path)
    assert list(loaded.columns) == ["code", "name", "geometry"]
    assert list(loaded["code"]) == ["370811000000", "370812000000"]
    assert loaded.crs.to_epsg() == 4326
    assert loaded.geometry.iloc[0].bounds == pytest.approx((116.5, 35.3, 116.6, 35.4), abs=1e-6)


def test_load_user_zipped_shapefile_with_chinese_code_column(tmp_path):
    # GBK (8 bytes for 区划代码, within the DBF's 10-byte limit), no .cpg: as Chinese GIS tools often write
    gdf = gpd.GeoDataFrame(
        {"区划代码": ["370811001000", "370811002000"]},
        geometry=[_square(116.5, 35.3), _square(116.6, 35.3)],
        crs="EPSG:4326",
    )
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    gdf.to_file(shp_dir / "towns.shp", encoding="gbk")
    for cpg in shp_dir.glob("*.cpg"):
        cpg.unlink()
    archive = tmp_path / "towns.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in shp_dir.iterdir():
            zf.write(part, f"towns/{part.name}")

    for path in (shp_dir / "towns.shp", archive):
        loaded = load_user_boundaries(path)
        assert list(loaded.columns) == ["code", "geometry"]
        assert list(loaded["code"]) == ["370811001000", "370811002000"]


def test_load_user_boundaries_errors(tmp_path):
    no_code = tmp_path / "no_code.geojson"
    gpd.GeoDataFrame({"名称": ["任城区"]}, geometry=[_square(116.5, 35.3)], crs="EPSG:4326").to_file(no_code)
    with pytest.raises(BoundaryError, match="缺少区划代码列"):
        load_user_boundaries(no_code)

    bad_codes = tmp_path / "bad.geojson"
    gpd.GeoDataFrame(
        {"code": ["370811000000", "37081", "abc"]},
        geometry=[_square(116.5, 35.3), _square(116.6, 35.3), _square(116.7, 35.3)],
        crs="EPSG:4326",
    ).to_file(bad_codes)
    with pytest.raises(BoundaryError, match="无效区划代码") as err:
        load_user_boundaries(bad_codes)
    assert "37081" in str(err.value) and "abc" in str(err.value)

    garbage = tmp_path / "garbage.geojson"
    garbage.write_text("not a map", encoding="utf-8")
    with pytest.raises(BoundaryError, match="无法读取"):
        load_user_boundaries(garbage)

    metres_without_crs = tmp_path / "metres.geojson"
    metres_without_crs.write_text(
        json.dumps({"type": "FeatureCollection", "features": [{
            "type": "Feature", "properties": {"code": "370811000000"},
            "geometry": shapely.geometry.mapping(_square(12_979_852.0, 4_204_725.0, 1000.0)),
        }]}),
        encoding="utf-8",
    )
    with pytest.raises(BoundaryError, match="坐标不是经纬度"):
        load_user_boundaries(metres_without_crs)

    with pytest.raises(BoundaryError, match="找不到"):
        load_user_boundaries(tmp_path / "missing.geojson")

    assert issubclass(BoundaryError, ValueError)


def test_to_geojson_keeps_only_the_code():
    gdf = county_outlines()
    fc = to_geojson(gdf, simplify_tolerance=0.002, precision=4)
    assert fc["type"] == "FeatureCollection"
    assert [f["id"] for f in fc["features"]] == list(gdf["code"])
    for feature in fc["features"]:
        assert feature["properties"] == {"code": feature["id"]}
        for x, y in shapely.get_coordinates(shapely.geometry.shape(feature["geometry"])):
            assert round(x, 4) == x and round(y, 4) == y
    assert len(json.dumps(fc)) < len(json.dumps(to_geojson(gdf)))
    towns = synthetic_townships("370811000000", township_codes("370811000000", 5), seed=1)
    assert all(set(f["properties"]) == {"code"} for f in to_geojson(towns)["features"])
