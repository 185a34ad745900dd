"""The project's unit graph: the given adjacency when one was imported, else derived.

Contiguity checks, the optimiser and the measures all ask this module, so a street graph or a
service-area network imported with ``planner import-adjacency`` replaces queen contiguity of
the unit polygons everywhere at once (for point units the polygons are their display cells, so
the derived graph is their Delaunay-like neighbourhood).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from sqlalchemy import text

if TYPE_CHECKING:
    from planner.model.store import Project


def given_edges(project: Project) -> NDArray[np.int64]:
    """Imported edges as ``(m, 2)`` unit positions (in ``unit`` id order); empty if none."""
    with project.engine.connect() as conn:
        ids = [r[0] for r in conn.execute(text("SELECT id FROM unit ORDER BY id"))]
        rows = conn.execute(text("SELECT unit_a, unit_b FROM unit_edge")).all()
    if not rows:
        return np.zeros((0, 2), dtype=np.int64)
    pos = {uid: i for i, uid in enumerate(ids)}
    return np.array([(pos[a], pos[b]) for a, b in rows], dtype=np.int64)


def edges_to_graph(edges: NDArray[np.int64], n: int) -> sparse.csr_matrix:
    """Symmetric boolean CSR matrix of ``edges`` over ``n`` units (no diagonal)."""
    rows = np.concatenate([edges[:, 0], edges[:, 1]])
    cols = np.concatenate([edges[:, 1], edges[:, 0]])
    m = sparse.csr_matrix((np.ones(len(rows), dtype=bool), (rows, cols)), shape=(n, n))
    m.sum_duplicates()
    return m


def project_graph(
    project: Project, geometries: NDArray[np.object_] | None = None
) -> tuple[sparse.csr_matrix, str]:
    """(unit graph, source) where source is ``"given"`` or ``"derived"`` (queen contiguity of
    the unit polygons, islands linked to their nearest neighbour)."""
    from planner.model.atoms import load_unit_geometries
    from planner.model.geo import adjacency

    geoms = load_unit_geometries(project) if geometries is None else geometries
    edges = given_edges(project)
    if len(edges):
        return edges_to_graph(edges, len(geoms)), "given"
    if len(geoms) < 2:
        return edges_to_graph(np.zeros((0, 2), dtype=np.int64), len(geoms)), "derived"
    return adjacency(geoms)[0], "derived"


def describe(graph: sparse.csr_matrix, source: str) -> dict[str, Any]:
    """Nodes, edges, connected components (and the size of each) of a unit graph."""
    n = graph.shape[0]
    ncomp, comp = connected_components(graph, directed=False) if n else (0, np.zeros(0, int))
    sizes = np.sort(np.bincount(comp))[::-1] if n else np.zeros(0, int)
    return {
        "source": source,
        "nodes": int(n),
        "edges": int(sparse.triu(graph, k=1).nnz),
        "components": int(ncomp),
        "component_sizes": [int(s) for s in sizes[:20]],
    }
