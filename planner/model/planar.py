"""Points in the plane: local planar coordinates and the derived graph of point units.

Point units (stores, city blocks, ZIP centroids) have no shared borders, so when no adjacency
is given their graph is derived from the points themselves: the Delaunay triangulation, whose
edges join each point to its natural neighbours (the dual of their Voronoi display cells),
without the edges longer than a cut-off (``max_edge`` times the median edge length), which
would join points across a bay, a mountain range or an empty stretch at the edge of the
hull. Dropping edges must not cut the graph in parts (a territory could then never reach a
lone point), so the shortest dropped edges that join parts are put back, as islands are
linked for polygons (:func:`planner.model.geo.adjacency`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

#: Delaunay edges longer than this many median edge lengths are dropped (unless needed).
DEFAULT_MAX_EDGE = 3.0


def planar_xy_of(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.float64]:
    """lon/lat as km east/north of their mean (equirectangular: exact enough within a
    country for comparing distances)."""
    lat0 = float(np.nanmean(lat))
    x = (lon - np.nanmean(lon)) * 111.32 * np.cos(np.radians(lat0))
    return np.column_stack([x, (lat - lat0) * 110.57])


def delaunay_graph(
    xy: NDArray[np.float64], max_edge: float = DEFAULT_MAX_EDGE
) -> tuple[sparse.csr_matrix, dict[str, Any]]:
    """(symmetric boolean CSR graph, what was done) of the points ``xy`` (``n x 2``, planar).

    The info says the cut-off length, how many edges were dropped and how many of those were
    put back to keep the graph in one piece.
    """
    n = len(xy)
    edges = _delaunay_edges(xy)
    length = np.hypot(*(xy[edges[:, 0]] - xy[edges[:, 1]]).T) if len(edges) else np.zeros(0)
    cutoff = float(max_edge * np.median(length)) if len(edges) else 0.0
    long = length > cutoff
    kept = edges[~long]
    relinked = _relink(n, kept, edges[long], length[long])
    final = np.vstack([kept, relinked]) if len(relinked) else kept
    info = {
        "max_edge": max_edge,
        "cutoff_km": cutoff,
        "dropped_edges": int(long.sum() - len(relinked)),
        "relinked_edges": len(relinked),
    }
    return edges_to_graph(final, n), info


def _delaunay_edges(xy: NDArray[np.float64]) -> NDArray[np.int64]:
    """Unique edges ``(i < j)`` of the triangulation; points on one line form a chain."""
    from scipy.spatial import Delaunay, QhullError

    n = len(xy)
    if n < 2:
        return np.zeros((0, 2), dtype=np.int64)
    try:
        tri = Delaunay(xy).simplices if n >= 3 else None
    except QhullError:  # all points on one line: no triangle
        tri = None
    if tri is None:
        centred = xy - xy.mean(axis=0)
        direction = np.linalg.svd(centred, full_matrices=False)[2][0]
        order = np.argsort(centred @ direction, kind="stable")
        pairs = np.column_stack([order[:-1], order[1:]])
    else:
        pairs = np.vstack([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [0, 2]]])
    pairs = np.sort(pairs.astype(np.int64), axis=1)
    return np.unique(pairs, axis=0)


def _relink(
    n: int, kept: NDArray[np.int64], dropped: NDArray[np.int64], length: NDArray[np.float64]
) -> NDArray[np.int64]:
    """The shortest dropped edges joining the parts of the kept graph (Kruskal)."""
    from scipy.sparse.csgraph import connected_components

    if not len(dropped):
        return np.zeros((0, 2), dtype=np.int64)
    parts, label = connected_components(edges_to_graph(kept, n), directed=False)
    parent = list(range(parts))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    out = []
    for e in np.argsort(length, kind="stable").tolist():
        a, b = find(int(label[dropped[e, 0]])), find(int(label[dropped[e, 1]]))
        if a != b:
            parent[a] = b
            out.append(dropped[e])
    return np.array(out, dtype=np.int64).reshape(-1, 2)


def edges_to_graph(edges: NDArray[np.int64], n: int) -> sparse.csr_matrix:
    """Symmetric boolean CSR matrix of ``edges`` over ``n`` points (no diagonal)."""
    rows = np.concatenate([edges[:, 0], edges[:, 1]])
    cols = np.concatenate([edges[:, 1], edges[:, 0]])
    m = sparse.csr_matrix((np.ones(len(rows), dtype=bool), (rows, cols)), shape=(n, n))
    m.sum_duplicates()
    return m
