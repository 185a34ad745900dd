"""Geometry: placement of points in polygons, outlines, display simplification, adjacency.

Everything here works in EPSG:4326 (lon/lat) as stored in the project; measures that need
metres reproject to an equal-area CRS locally.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray


def place_points(
    lon: NDArray[np.float64], lat: NDArray[np.float64], polygons: NDArray[np.object_]
) -> NDArray[np.int64]:
    """Index of the polygon containing each point, or -1 (outside all, or NaN coordinates).

    Points on a shared edge go to the polygon with the lowest index, so placement is
    deterministic.
    """
    n = len(lon)
    out = np.full(n, -1, dtype=np.int64)
    if n == 0 or len(polygons) == 0:
        return out
    ok = np.isfinite(lon) & np.isfinite(lat)
    idx = np.flatnonzero(ok)
    pts = shapely.points(lon[idx], lat[idx])
    tree = shapely.STRtree(polygons)
    pt_i, poly_i = tree.query(pts, predicate="intersects")
    order = np.lexsort((poly_i, pt_i))
    pt_i, poly_i = pt_i[order], poly_i[order]
    first = np.ones(len(pt_i), dtype=bool)
    first[1:] = pt_i[1:] != pt_i[:-1]
    out[idx[pt_i[first]]] = poly_i[first]
    return out
