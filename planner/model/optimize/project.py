"""Auto-balance glue to a project: search inputs from a Plan, the result as a scenario.

The search works on plain arrays (:class:`OptimizeInputs`); this module reads them from a
project's Plan (unit rows, pinned accounts as fixed offsets, locks, the disruption weights) and
writes a result back as a new scenario in one undoable step, adding territories when a plan
built from scratch has more than the project.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from planner.model.errors import PlannerError
from planner.model.optimize.geometry import travel_matrix
from planner.model.optimize.inputs import OptimizeInputs, OptimizeOptions
from planner.model.optimize.results import OptimizeResult
from planner.model.planar import planar_xy_of

if TYPE_CHECKING:
    from planner.model.edits import NewTerritory
    from planner.model.moves import MoveSet
    from planner.model.plan import Plan
    from planner.model.store import Project


def inputs_from_plan(plan: Plan, opts: OptimizeOptions) -> OptimizeInputs:
    """Unit rows (followers only: pinned accounts never move) and fixed pinned contributions."""
    from scipy.sparse.csgraph import connected_components

    from planner.model.atoms import COL
    from planner.model.balance import metric_values
    from planner.model.unit_graph import project_graph
    from planner.model.unit_metrics import atom_attributes, attribute_totals, unit_values

    a = plan.atoms
    if a.free_form:
        raise PlannerError("auto-balance needs a unit layer (this project has drawn territories)")
    um = plan.balance.unit_matrix
    metrics = tuple(opts.metrics)
    attrs = atom_attributes(plan)
    unknown = [m for m in metrics if m not in (*COL, "workload_hours", *attrs)]
    if unknown:
        raise PlannerError(f"cannot balance {', '.join(unknown)}")

    def column(m: str) -> NDArray[np.float64]:
        if m == "workload_hours":
            return um[:, COL["call_minutes"]] / 60
        return um[:, COL[m]] if m in COL else attrs[m][: a.n_units]

    base = np.column_stack([column(m) for m in metrics])
    per_minute = np.column_stack(
        [
            um[:, COL["visits"]] / 60 if m == "workload_hours" else np.zeros(a.n_units)
            for m in metrics
        ]
    )
    lon = np.where(np.isfinite(a.unit_travel_lon), a.unit_travel_lon, a.unit_rep_lon)
    lat = np.where(np.isfinite(a.unit_travel_lat), a.unit_travel_lat, a.unit_rep_lat)
    start = plan.alignment[: a.n_units].astype(np.int32)
    bal = plan.balance
    travel = travel_matrix(lon, lat, bal.anchor_lon, bal.anchor_lat)
    ok = start >= 0
    # Built-in names win over an imported column of the same name (as in ``column``).
    vals = {**attribute_totals(plan, attrs), **metric_values(bal.totals)}
    offset = np.zeros((a.n_territories, len(metrics)))
    for j, m in enumerate(metrics):  # what pinned accounts add to each territory
        unit_val = base[ok, j] + per_minute[ok, j] * travel[ok, start[ok]]
        offset[:, j] = vals[m] - np.bincount(start[ok], weights=unit_val, minlength=len(offset))
    frozen = np.zeros(a.n_units, dtype=bool)
    frozen[list(opts.locked_units)] = True
    col = a.account_matrix[:, COL[opts.disruption_by]]
    cost = um[:, COL[opts.disruption_by]] / max(float(col.sum()), 1e-12)
    graph, _ = project_graph(plan.project)
    k = opts.from_scratch or a.n_territories
    parts = connected_components(graph, directed=False)[0] if a.n_units else 0
    if parts > k:
        raise PlannerError(
            f"the unit graph has {parts} separate parts, so {k} territories cannot all be "
            f"connected; build at least {parts} (planner adjacency shows the graph)"
        )
    xy = planar_xy_of(a.unit_rep_lon, a.unit_rep_lat)
    centre_metric = opts.centre.partition(":")[2] if opts.centre.startswith("weighted:") else ""
    weight = unit_values(plan, centre_metric) if centre_metric else None
    return OptimizeInputs(
        graph=graph, lon=lon, lat=lat, base=base, per_minute=per_minute, metrics=metrics,
        start=start, anchor_lon=a.home_lon, anchor_lat=a.home_lat,
        target_weights=a.territory_weights, offset=offset, frozen=frozen,
        locked_territories=a.territory_locked, cost=cost, centre_weight=um[:, COL["visits"]], xy=xy,
        dispersion_weight=weight,
    )  # fmt: skip


def to_moveset(plan: Plan, result: OptimizeResult, label: str = "") -> MoveSet:
    """One undoable step of every changed unit (kind ``optimize``)."""
    from planner.model.moves import MoveSet

    n = plan.atoms.n_units
    units = np.flatnonzero(plan.alignment[:n] != result.unit_alignment)
    text = label or f"auto-balance: {len(units)} unit(s) moved"
    return MoveSet(units, plan.alignment[units], result.unit_alignment[units], "optimize", text)


def save_as_scenario(
    project: Project, result: OptimizeResult, name: str, based_on: int | str | None = None
) -> Plan:
    """Copy ``based_on`` (default baseline) into a new scenario and apply the result as ONE step.

    From-scratch results with more territories than the scenario has add territories to the
    new scenario only ("Auto 1", ...), in the same step. Returns the new scenario's Plan (its
    edit log holds the step for undo).
    """
    from planner.model.colours import next_colour
    from planner.model.edits import Edit
    from planner.model.plan import Plan
    from planner.model.scenarios import create_scenario
    from planner.model.territories import create, unique_name

    source = Plan.load(project, based_on)
    create_scenario(project, name, based_on=source.scenario_id, description="auto-balance result")
    plan = Plan.load(project, name)
    ms = to_moveset(plan, result)
    creates: list[NewTerritory] = []
    used = [str(c) for c in plan.atoms.territory_colours]
    for _ in range(result.n_territories - plan.atoms.n_territories):
        label = unique_name(plan, f"Auto {plan.atoms.n_territories + len(creates) + 1}")
        new = create(plan, label, colour=next_colour(used)).creates[0]
        used.append(str(new.spec["colour"]))
        creates.append(new)
    plan.apply(Edit("optimize", ms.label, ms, creates=tuple(creates)))
    # Reload: Balance fixes the anchors of rep-less territories at load time, and a territory
    # that was empty before this step would otherwise keep no anchor (no travel counted).
    return Plan.load(project, name)
