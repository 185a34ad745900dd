"""Quality measures of any alignment: balance, contiguity, compactness and disruption.

Everything a planner (and the optimiser's benchmark) compares between plans, as one JSON-ready
dict. Works on unit-level alignments (``units -> territory``), with per-unit metric values, so
it serves the CLI, the balance dock and benchmarks that have no project file alike.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from planner.model.balance import deviations, gini
from planner.model.geo import outlines, polsby_popper


def pieces(graph: sparse.csr_matrix, labels: NDArray[np.int64]) -> NDArray[np.int64]:
    """Number of connected pieces of each territory ``0 .. max(labels)`` in the unit graph."""
    labels = np.asarray(labels, dtype=np.int64)
    k = int(labels.max()) + 1 if len(labels) and labels.max() >= 0 else 0
    coo = graph.tocoo()
    keep = (labels[coo.row] == labels[coo.col]) & (labels[coo.row] >= 0)
    sub = sparse.csr_matrix(
        (np.ones(keep.sum(), dtype=np.int8), (coo.row[keep], coo.col[keep])), shape=graph.shape
    )
    _, comp = connected_components(sub, directed=False)
    out = np.zeros(k, dtype=np.int64)
    ok = labels >= 0
    for t in range(k):
        out[t] = len(np.unique(comp[ok & (labels == t)]))
    return out


def cut_edges(graph: sparse.csr_matrix, labels: NDArray[np.int64]) -> int:
    """Adjacency edges whose two units lie in different territories (fewer = more compact)."""
    coo = sparse.triu(graph, k=1).tocoo()
    return int((labels[coo.row] != labels[coo.col]).sum())


def disruption(
    labels: NDArray[np.integer[Any]],
    reference: NDArray[np.integer[Any]],
    weights: dict[str, NDArray[np.float64]],
) -> dict[str, float]:
    """Share of each weight (accounts, revenue, ...) whose territory differs from ``reference``."""
    changed = np.asarray(labels) != np.asarray(reference)
    out = {}
    for name, w in weights.items():
        total = float(np.sum(w))
        out[name] = float(np.sum(np.asarray(w)[changed]) / total) if total > 0 else 0.0
    return out


def measures(
    labels: NDArray[np.int64],
    values: dict[str, NDArray[np.float64]],
    *,
    graph: sparse.csr_matrix | None = None,
    polygons: NDArray[np.object_] | None = None,
    reference: NDArray[np.int64] | None = None,
    disruption_weights: dict[str, NDArray[np.float64]] | None = None,
    target_weights: NDArray[np.float64] | None = None,
    territory_values: dict[str, NDArray[np.float64]] | None = None,
    crs: str = "EPSG:5070",
) -> dict[str, Any]:
    """All measures of one unit alignment, JSON-ready.

    ``values`` are per-unit metric values (summed per territory) unless ``territory_values``
    gives exact per-territory totals (e.g. workload from the Balance engine, whose travel term
    depends on the territory). Polsby-Popper is measured on territory outlines in ``crs``.
    """
    labels = np.asarray(labels, dtype=np.int64)
    ok = labels >= 0
    k = int(labels.max()) + 1 if ok.any() else 0
    if territory_values is not None:
        k = max(k, *(len(v) for v in territory_values.values()))
    tw = np.ones(k) if target_weights is None else np.asarray(target_weights, dtype=np.float64)
    out: dict[str, Any] = {
        "territories": k,
        "max_abs_deviation": {},
        "mean_abs_deviation": {},
        "gini": {},
    }
    for name, per_unit in values.items():
        if territory_values is not None and name in territory_values:
            tot = np.asarray(territory_values[name], dtype=np.float64)
        else:
            # numpy's stub types bincount as intp even with float weights
            tot = cast(
                "NDArray[np.float64]",
                np.bincount(labels[ok], weights=np.asarray(per_unit)[ok], minlength=k),
            )
        dev = np.abs(deviations(tot, tw))
        out["max_abs_deviation"][name] = float(dev.max()) if k else 0.0
        out["mean_abs_deviation"][name] = float(dev.mean()) if k else 0.0
        out["gini"][name] = gini(tot)
    if graph is not None:
        p = pieces(graph, labels)
        out["noncontiguous_territories"] = int((p > 1).sum())
        out["cut_edges"] = cut_edges(graph, labels)
    if polygons is not None:
        shapes = outlines(polygons, labels)
        pp = polsby_popper(np.array(list(shapes.values()), dtype=object), crs=crs)
        out["mean_polsby_popper"] = float(np.nanmean(pp)) if len(pp) else 0.0
    if reference is not None:
        weights = disruption_weights or {"units": np.ones(len(labels))}
        out["disruption"] = disruption(labels, reference, weights)
    return out


def plan_measures(plan: Any, reference: NDArray[np.int32] | None = None) -> dict[str, Any]:
    """Measures of a :class:`planner.model.plan.Plan` with its exact Balance totals.

    Disruption is measured per account against ``reference`` (an atom alignment; default the
    plan's baseline), like ``Plan.disruption``.
    """
    from planner.model.atoms import COL, account_territories, load_unit_geometries
    from planner.model.balance import METRICS
    from planner.model.unit_graph import project_graph

    a = plan.atoms
    units = plan.alignment[: a.n_units].astype(np.int64)
    vals = plan.metrics()
    um = plan.balance.unit_matrix
    per_unit = {m: um[:, COL[m]] if m in COL else np.zeros(a.n_units) for m in METRICS}
    geoms = load_unit_geometries(plan.project) if a.n_units else None
    graph = project_graph(plan.project, geoms)[0] if geoms is not None and len(geoms) > 1 else None
    out = measures(
        units,
        per_unit,
        graph=graph,
        polygons=geoms,
        target_weights=a.territory_weights,
        territory_values={m: vals[m] for m in METRICS},
    )
    ref = plan.baseline if reference is None else reference
    now, before = plan.account_territories(), account_territories(a, ref)
    m = a.account_matrix
    out["disruption"] = disruption(
        now, before, {"accounts": m[:, COL["accounts"]], "revenue": m[:, COL["revenue"]]}
    )
    return out
