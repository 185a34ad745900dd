"""The project's unit graph: the given adjacency when one was imported, else derived.

Contiguity checks, the optimiser and the measures all ask this module, so a street graph or a
service-area network imported with ``planner import-adjacency`` replaces the derived graph
everywhere at once. Derived: queen contiguity of the unit polygons, or for point units (a
project whose units were imported as points records it, with the cut-off) the Delaunay graph
of the points without its long edges (:func:`planner.model.planar.delaunay_graph`), not the
contiguity of their clipped display cells, which joins points across empty stretches.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from sqlalchemy import text

from planner.model.planar import (
    DEFAULT_MAX_EDGE,
    delaunay_graph,
    edges_to_graph,
    planar_xy_of,
)

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


#: ``project_info`` key of point units: their Delaunay cut-off (JSON ``{"max_edge": 3.0}``).
POINT_UNITS_KEY = "point_units_graph"


def point_units_setting(project: Project) -> dict[str, Any] | None:
    """The Delaunay settings when the project's units were imported as points, else None."""
    with project.engine.connect() as conn:
        raw = conn.execute(
            text("SELECT value FROM project_info WHERE key = :k"), {"k": POINT_UNITS_KEY}
        ).scalar()
    return dict(json.loads(raw)) if raw else None


def point_graph(project: Project) -> tuple[sparse.csr_matrix, dict[str, Any]]:
    """Delaunay graph of the unit points (``unit`` id order) and what the cut-off did."""
    setting = point_units_setting(project) or {}
    with project.engine.connect() as conn:
        pts = conn.execute(text("SELECT rep_lon, rep_lat FROM unit ORDER BY id")).all()
    lonlat = np.array(pts, dtype=np.float64).reshape(-1, 2)
    xy = planar_xy_of(lonlat[:, 0], lonlat[:, 1]) if len(lonlat) else lonlat
    return delaunay_graph(xy, float(setting.get("max_edge", DEFAULT_MAX_EDGE)))


def project_graph(
    project: Project, geometries: NDArray[np.object_] | None = None
) -> tuple[sparse.csr_matrix, str]:
    """(unit graph, source) where source is ``"given"``, ``"delaunay"`` (point units) or
    ``"derived"`` (queen contiguity of the unit polygons, islands linked to their nearest
    neighbour)."""
    from planner.model.atoms import load_unit_geometries
    from planner.model.geo import adjacency

    edges = given_edges(project)
    if len(edges):
        n = len(geometries) if geometries is not None else _count_units(project)
        return edges_to_graph(edges, n), "given"
    if point_units_setting(project) is not None:
        return point_graph(project)[0], "delaunay"
    geoms = load_unit_geometries(project) if geometries is None else geometries
    if len(geoms) < 2:
        return edges_to_graph(np.zeros((0, 2), dtype=np.int64), len(geoms)), "derived"
    return adjacency(geoms)[0], "derived"


def _count_units(project: Project) -> int:
    with project.engine.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM unit")).scalar() or 0)


def describe_project(project: Project) -> dict[str, Any]:
    """:func:`describe` of the project's graph; for point units also the Delaunay cut-off."""
    graph, source = project_graph(project)
    out = describe(graph, source)
    if source == "delaunay":
        out["delaunay"] = point_graph(project)[1]
    return out


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
