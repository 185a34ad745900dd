"""What ``planner optimize --json`` says about a result: balance per metric against its own
tolerance (which territory is out, by how much), contiguity in the project's graph, cut edges,
dispersion and disruption.

Feasibility first: a plan with a territory outside a metric's tolerance, or split in the
project's graph, is never called balanced; ``balanced`` is the conjunction and ``out_of_tolerance``
lists every (territory, metric) that breaks it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from planner.model.plan import Plan


def territory_totals(plan: Plan, names: list[str]) -> dict[str, NDArray[np.float64]]:
    """Exact per-territory totals of built-in metrics and imported unit and account columns."""
    from planner.model.unit_metrics import atom_attributes, attribute_totals

    vals = plan.metrics()
    wanted = [m for m in names if m not in vals]
    attrs = attribute_totals(plan, atom_attributes(plan)) if wanted else {}
    return {m: np.asarray(vals[m] if m in vals else attrs[m], dtype=np.float64) for m in names}


def result_report(
    plan: Plan,
    tolerances: dict[str, float],
    reference: NDArray[np.int32] | None = None,
    centre: str = "median",
) -> dict[str, Any]:
    """The measures of ``plan`` for the metrics of ``tolerances`` (see module doc); dispersion
    is measured to each territory's ``centre`` (``median`` or ``weighted:METRIC``)."""
    from planner.model.balance import deviations
    from planner.model.measures import plan_measures
    from planner.model.optimize.dispersion import dispersion_of
    from planner.model.planar import planar_xy_of
    from planner.model.unit_metrics import unit_values

    a = plan.atoms
    m = plan_measures(plan, reference=reference)
    names = list(tolerances)
    totals = territory_totals(plan, names)
    metrics: dict[str, Any] = {}
    out: list[dict[str, Any]] = []
    for name, tol in tolerances.items():
        dev = deviations(totals[name], a.territory_weights)
        worst = float(np.abs(dev).max()) if len(dev) else 0.0
        metrics[name] = {
            "tolerance": tol,
            "max_abs_deviation": worst,
            "mean_abs_deviation": float(np.abs(dev).mean()) if len(dev) else 0.0,
            "within_tolerance": worst <= tol + 1e-9,
        }
        for t in np.flatnonzero(np.abs(dev) > tol + 1e-9).tolist():
            out.append({"territory": str(a.territory_names[t]), "metric": name,
                        "deviation": float(dev[t]), "tolerance": tol,
                        "excess": float(abs(dev[t]) - tol)})  # fmt: skip
    units = plan.alignment[: a.n_units].astype(np.int64)
    xy = planar_xy_of(a.unit_rep_lon, a.unit_rep_lat)
    metric = centre.partition(":")[2] if centre.startswith("weighted:") else ""
    weight = np.maximum(unit_values(plan, metric), 0.0) if metric else None
    disp, far = dispersion_of(xy, units, weight) if a.n_units else (0.0, 0.0)
    contiguous = m.get("noncontiguous_territories", 0) == 0
    return {
        "balanced": not out and contiguous,
        "metrics": metrics,
        "out_of_tolerance": out,
        "max_abs_deviation": {k: v["max_abs_deviation"] for k, v in metrics.items()},
        "mean_abs_deviation": {k: v["mean_abs_deviation"] for k, v in metrics.items()},
        "noncontiguous_territories": m.get("noncontiguous_territories", 0),
        "mean_polsby_popper": m.get("mean_polsby_popper", 0.0),
        "cut_edges": m.get("cut_edges", 0),
        "dispersion": disp,
        "centre": centre,
        "max_distance_to_centre": far,
        "distance_unit": "km",
        "disruption": m["disruption"],
    }
