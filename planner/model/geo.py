"""Geometry: placement of points in polygons, adjacency, outlines, display simplification.

Everything here works in EPSG:4326 (lon/lat) as stored in the project; measures that need
metres (areas, compactness) reproject to an equal-area CRS locally. All functions are pure and
vectorised over numpy arrays of shapely 2 geometries.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import Transformer
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from shapely.geometry.base import BaseGeometry

#: Equal-area CRS for areas anywhere on Earth (NSIDC EASE-Grid 2.0 global).
AREA_CRS = "EPSG:6933"
#: Equal-area CRS for compactness of US territories (CONUS Albers); other countries differ.
US_ALBERS = "EPSG:5070"


def place_points(
    lon: NDArray[np.float64], lat: NDArray[np.float64], polygons: NDArray[np.object_]
) -> NDArray[np.int64]:
    """Index of the polygon containing each point, or -1 (outside all, or NaN coordinates).

    Points on an edge count as inside (``intersects``); a point on a shared edge goes to the
    polygon with the lowest index, so placement is deterministic and "first wins" rules
    (territory files) are simply the polygon order.

    Why not a plain STRtree query: for ~1M points a GEOS tree query per point costs several
    µs. Here points are sorted by longitude once; each polygon takes the contiguous slice
    under its bounding box, filters it by latitude in numpy and tests the rest with one
    prepared ``intersects_xy`` call. benchmarks/placement.py compares the alternatives
    (a grid/strip bucketing variant was tried and was 1.2-1.4x slower: gathers cost more
    than the contiguous slice).
    """
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    n = len(lon)
    out = np.full(n, -1, dtype=np.int64)
    polys = np.asarray(polygons, dtype=object)
    if n == 0 or len(polys) == 0:
        return out
    idx = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
    if len(idx) == 0:
        return out
    bounds = shapely.bounds(polys)
    has_box = np.isfinite(bounds).all(axis=1)
    if not has_box.any():
        return out
    # Points sorted by x once: a polygon's candidates are one contiguous x-slice
    # (searchsorted), filtered by its y-range on that slice, then one prepared test.
    order = np.argsort(lon[idx])
    idx = idx[order]
    xs, ys = lon[idx], lat[idx]
    lo = np.searchsorted(xs, bounds[:, 0], "left")
    hi = np.searchsorted(xs, bounds[:, 2], "right")
    placed = np.full(len(xs), -1, dtype=np.int64)
    for i in np.flatnonzero(has_box & (hi > lo)):
        start = lo[i]
        yy = ys[start : hi[i]]
        cand = np.flatnonzero((yy >= bounds[i, 1]) & (yy <= bounds[i, 3])) + start
        cand = cand[placed[cand] < 0]
        if len(cand) == 0:
            continue
        poly = polys[i]
        shapely.prepare(poly)
        placed[cand[shapely.intersects_xy(poly, xs[cand], ys[cand])]] = i
    out[idx] = placed
    return out


def _to_crs(geoms: NDArray[np.object_], crs: str) -> NDArray[np.object_]:
    tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    return shapely.transform(geoms, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))


def area_km2(geoms: NDArray[np.object_]) -> NDArray[np.float64]:
    """Area of lon/lat geometries in km², measured in the global equal-area EPSG:6933."""
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return np.zeros(0)
    return np.asarray(shapely.area(_to_crs(geoms, AREA_CRS)), dtype=np.float64) / 1e6


def polsby_popper(geoms: NDArray[np.object_], crs: str = US_ALBERS) -> NDArray[np.float64]:
    """Compactness 4πA/P² in [0, 1] (1 = a disc) of lon/lat geometries; NaN for empty ones.

    Measured in an equal-area CRS, by default EPSG:5070 (CONUS Albers): in degrees the ratio
    would be distorted by latitude. Pass another equal-area ``crs`` for projects outside the
    US (e.g. EPSG:3035 for Europe, EPSG:6933 worldwide).
    """
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return np.zeros(0)
    projected = _to_crs(geoms, crs)
    area = shapely.area(projected)
    perim = shapely.length(projected)
    with np.errstate(divide="ignore", invalid="ignore"):
        pp = np.where(perim > 0, 4 * math.pi * area / perim**2, np.nan)
    return np.asarray(pp, dtype=np.float64)


def adjacency(
    polygons: NDArray[np.object_], gap_tolerance: float = 0.0
) -> tuple[sparse.csr_matrix, NDArray[np.int64]]:
    """Queen contiguity graph of polygons, made connected; returns (matrix, added_links).

    Two polygons are neighbours when they share at least one boundary point (or overlap);
    with ``gap_tolerance`` (degrees) polygons closer than that count too, which absorbs the
    slivers of data digitised separately. The matrix is symmetric boolean CSR, no diagonal.

    Islands and other disconnected components are then joined, smallest first, to the
    nearest polygon of another component, so that contiguity-constrained balancing can
    always reach every unit. ``added_links`` is an ``(k, 2)`` array of those extra pairs
    (i < j), so a caller can show or discount them.
    """
    polys = np.asarray(polygons, dtype=object)
    n = len(polys)
    tree = shapely.STRtree(polys)
    if gap_tolerance > 0:
        a, b = tree.query(polys, predicate="dwithin", distance=gap_tolerance)
    else:
        a, b = tree.query(polys, predicate="intersects")
    keep = a < b
    pairs = [np.column_stack([a[keep], b[keep]])]
    added: list[tuple[int, int]] = []
    matrix = _sym(pairs[0], n)
    while n > 1:
        ncomp, comp = connected_components(matrix, directed=False)
        if ncomp <= 1:
            break
        sizes = np.bincount(comp)
        small = int(np.argmin(sizes))
        inside = np.flatnonzero(comp == small)
        others = np.flatnonzero(comp != small)
        other_tree = shapely.STRtree(polys[others])
        (src, dst), dist = other_tree.query_nearest(polys[inside], return_distance=True)
        best = int(np.argmin(dist))
        i, j = int(inside[src[best]]), int(others[dst[best]])
        added.append((min(i, j), max(i, j)))
        matrix = _sym(np.vstack([*pairs, np.array(added, dtype=np.int64)]), n)
    links = np.array(added, dtype=np.int64).reshape(-1, 2)
    return matrix, links


def _sym(pairs: NDArray[np.int64], n: int) -> sparse.csr_matrix:
    rows = np.concatenate([pairs[:, 0], pairs[:, 1]])
    cols = np.concatenate([pairs[:, 1], pairs[:, 0]])
    data = np.ones(len(rows), dtype=bool)
    m = sparse.csr_matrix((data, (rows, cols)), shape=(n, n), dtype=bool)
    m.sum_duplicates()
    return m


def outlines(
    polygons: NDArray[np.object_],
    labels: NDArray[np.integer[Any]],
    touched: Iterable[int] | None = None,
    *,
    valid_coverage: bool = False,
) -> dict[int, BaseGeometry]:
    """Outline (union) of the polygons of each label >= 0; only ``touched`` labels if given.

    Uses the fast ``coverage_union_all`` (valid for edge-matched polygons such as Census
    units); when the group is not a valid coverage GEOS may raise ("incorrectly noded
    inputs") or return an invalid geometry, and the general ``union_all`` is used instead.
    ``valid_coverage``: the caller checked the polygons once (``shapely.coverage_is_valid``),
    so each union's validity check (slower than the union itself) is skipped.
    A touched label with no polygons left maps to an empty polygon so the caller can erase it.
    """
    polys = np.asarray(polygons, dtype=object)
    labels = np.asarray(labels, dtype=np.int64)
    wanted = np.unique(labels[labels >= 0]) if touched is None else np.unique(list(touched))
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    out: dict[int, BaseGeometry] = {}
    for label in wanted.tolist():
        lo, hi = np.searchsorted(sorted_labels, [label, label + 1])
        group = polys[order[lo:hi]]
        if len(group) == 0:
            out[int(label)] = shapely.Polygon()
            continue
        out[int(label)] = _union(group, valid_coverage)
    return out


def _union(group: NDArray[np.object_], valid_coverage: bool = False) -> BaseGeometry:
    try:
        merged = shapely.coverage_union_all(group)
        if valid_coverage or shapely.is_valid(merged):
            return merged
    except shapely.errors.GEOSException:
        pass
    return shapely.union_all(group)


def simplify_for_display(
    polygons: NDArray[np.object_], tolerance_deg: float = 0.01
) -> NDArray[np.object_]:
    """Lighter polygons for the map that keep shared edges shared (no slivers or gaps).

    ``coverage_simplify`` simplifies each shared edge once. Polygons that are not a valid
    coverage (neighbours whose shared edges do not match vertex for vertex, as Voronoi cells
    clipped one by one) are first cleaned into one (``coverage_clean``: areas change by parts
    per trillion), so the map's territory outlines can use the fast coverage union: at 41,000
    ZIP-like cells the general union of every territory took seconds at each open and edit.
    If GEOS still refuses, each polygon is simplified on its own (topology-preserving), which
    may open hairline gaps between neighbours but never fails.
    """
    polys = np.asarray(polygons, dtype=object)
    if len(polys) == 0:
        return polys
    try:
        if not shapely.coverage_is_valid(polys):
            clean = shapely.coverage_clean  # type: ignore[attr-defined]  # 2.2; no stubs yet
            polys = np.asarray(clean(polys), dtype=object)
    except shapely.errors.GEOSException:
        pass
    try:
        simplified = shapely.coverage_simplify(polys, tolerance_deg)
        return np.asarray(simplified, dtype=object)
    except shapely.errors.GEOSException:
        return np.asarray(
            shapely.simplify(polys, tolerance_deg, preserve_topology=True), dtype=object
        )
