"""Spanning trees of groups of units, shared by the neighbourhoods that cut along them.

Construction (``seed``) bisects along a random spanning tree; recombination (``recombine``,
``triples``) merges territories and re-cuts them along one. Cutting a tree edge leaves both
sides connected whatever is cut, which is why all three use trees.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse.csgraph import minimum_spanning_tree as mst

if TYPE_CHECKING:
    from planner.model.optimize.search import Search


def merged(
    s: Search, ts: tuple[int, ...]
) -> tuple[NDArray[np.intp], sparse.coo_matrix, NDArray[np.int64]]:
    """Units of territories ``ts``, their adjacency edges (upper triangle, indices into the
    units) and their current territories: what a re-cut of them works on."""
    units = np.flatnonzero(np.isin(s.assign, ts))
    tri = sparse.triu(s.inp.graph[units][:, units], k=1, format="coo")
    return units, tri, s.assign[units]


def random_tree(
    s: Search, tri: sparse.coo_matrix, border: NDArray[np.bool_], keep: bool
) -> sparse.csr_matrix:
    """A random spanning tree of the merged units; with ``keep``, border edges are drawn last,
    so the tree crosses the current borders as little as it can and its cuts hand over pieces."""
    n = tri.shape[0]
    weights = s.rng.random(len(tri.data)) + 1e-3
    if keep:
        weights += 2.0 * border
    # a csr_matrix in, a csr_matrix out (the stub says csr_array whatever the input)
    return cast(
        "sparse.csr_matrix", mst(sparse.csr_matrix((weights, (tri.row, tri.col)), shape=(n, n)))
    )


def subtree(
    order: NDArray[np.integer[Any]], parent: NDArray[np.integer[Any]], node: int
) -> NDArray[np.bool_]:
    """Units in the subtree of ``node`` (``order``: BFS order, ``parent``: -1 at the root)."""
    inside = np.zeros(len(order), dtype=bool)
    inside[node] = True
    for x in order.tolist():  # BFS order: parents come before children
        p = parent[x]
        if p >= 0 and inside[p]:
            inside[x] = True
    return inside
