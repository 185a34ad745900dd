"""Suggest which rep should own each territory: distance, industry fit and capacity.

After auto-balance (or any redraw) the territories no longer match the reps who held them.
Each (territory, rep) pair gets a cost made of three parts the planner can read and weigh:

* ``distance_km``: home base to the territory's potential-weighted centre (great circle);
* ``industry_miss``: share of the territory's potential in industries the rep does not list
  (0 when the rep lists none: no information is not a mismatch);
* ``overload``: workload hours over the rep's yearly capacity (``capacity_hours`` per week x
  46 working weeks), as a fraction above 1 (0 when within capacity).

``cost = distance_km / 100 * w_distance + industry_miss * w_industry + overload * w_capacity``,
minimised over all pairings at once with ``scipy.optimize.linear_sum_assignment`` (each rep at
most one territory). The result is a suggestion: the planner accepts or overrides it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment
from sqlalchemy import text

from planner.model.atoms import COL
from planner.model.balance import haversine_km

WORKING_WEEKS = 46


@dataclass(frozen=True)
class MatchWeights:
    distance: float = 1.0  # per 100 km
    industry: float = 2.0  # per share of potential outside the rep's industries
    capacity: float = 10.0  # per share of workload above capacity


@dataclass(frozen=True)
class Pairing:
    territory: int
    territory_name: str
    rep_id: int | None
    rep_name: str
    current_rep_id: int | None
    cost: float
    components: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "territory": self.territory_name,
            "rep": self.rep_name,
            "rep_id": self.rep_id,
            "current_rep_id": self.current_rep_id,
            "cost": self.cost,
            **self.components,
        }


def pair_costs(
    centre_lon: NDArray[np.float64],
    centre_lat: NDArray[np.float64],
    workload_hours: NDArray[np.float64],
    industry_share: pd.DataFrame,
    reps: pd.DataFrame,
    weights: MatchWeights = MatchWeights(),
) -> tuple[NDArray[np.float64], dict[str, NDArray[np.float64]]]:
    """Cost matrix (territories x reps) and its named components.

    ``industry_share``: territories x industries, each row the potential share per industry.
    ``reps``: columns home_lon, home_lat, capacity_hours, industries (list of names).
    """
    k, r = len(centre_lon), len(reps)
    dist = haversine_km(
        np.repeat(centre_lon, r).reshape(k, r),
        np.repeat(centre_lat, r).reshape(k, r),
        reps["home_lon"].to_numpy(float)[None, :],
        reps["home_lat"].to_numpy(float)[None, :],
    )
    dist = np.where(np.isfinite(dist), dist, np.nanmax(dist) if np.isfinite(dist).any() else 0.0)
    miss = np.zeros((k, r))
    for j, inds in enumerate(reps["industries"]):
        known = [i for i in (inds or []) if i in industry_share.columns]
        if inds:
            miss[:, j] = 1.0 - industry_share[known].sum(axis=1).to_numpy() if known else 1.0
    yearly = np.maximum(reps["capacity_hours"].to_numpy(float) * WORKING_WEEKS, 1e-9)
    overload = np.maximum(workload_hours[:, None] / yearly[None, :] - 1.0, 0.0)
    cost = dist / 100.0 * weights.distance + miss * weights.industry + overload * weights.capacity
    return cost, {"distance_km": dist, "industry_miss": miss, "overload": overload}


def suggest(
    centre_lon: NDArray[np.float64],
    centre_lat: NDArray[np.float64],
    workload_hours: NDArray[np.float64],
    industry_share: pd.DataFrame,
    reps: pd.DataFrame,
    territory_names: list[str] | None = None,
    current: list[int | None] | None = None,
    weights: MatchWeights = MatchWeights(),
) -> list[Pairing]:
    """Optimal pairing of territories and reps (``reps`` indexed by rep id)."""
    k = len(centre_lon)
    names = territory_names or [f"T{i + 1}" for i in range(k)]
    cur = current or [None] * k
    if len(reps) == 0:
        return [Pairing(t, names[t], None, "", cur[t], 0.0) for t in range(k)]
    cost, parts = pair_costs(centre_lon, centre_lat, workload_hours, industry_share, reps, weights)
    rows, cols = linear_sum_assignment(cost)
    chosen = dict(zip(rows.tolist(), cols.tolist(), strict=True))
    out = []
    for t in range(k):
        j = chosen.get(t)
        if j is None:  # more territories than reps
            out.append(Pairing(t, names[t], None, "", cur[t], float("nan")))
            continue
        comps = {n: float(v[t, j]) for n, v in parts.items()}
        rep = reps.iloc[j]
        out.append(
            Pairing(
                t, names[t], int(reps.index[j]), str(rep["name"]), cur[t], float(cost[t, j]), comps
            )
        )
    return out


def suggest_for_plan(plan: Any, weights: MatchWeights = MatchWeights()) -> list[Pairing]:
    """Pairings for a :class:`planner.model.plan.Plan`: field reps are reps who lead no
    district or region; industries are read from ``account.industry``."""
    a = plan.atoms
    with plan.project.engine.connect() as conn:
        reps = pd.read_sql_query(
            text(
                "SELECT id, name, home_lon, home_lat, capacity_hours, industries FROM rep "
                "WHERE id NOT IN (SELECT rep_id FROM territory WHERE level != 'territory' "
                "AND rep_id IS NOT NULL) ORDER BY id"
            ),
            conn,
        ).set_index("id")
        ind = pd.read_sql_query(text("SELECT id, industry FROM account ORDER BY id"), conn)
    reps["industries"] = [_as_list(v) for v in reps["industries"]]
    terr = plan.account_territories()
    pot = a.account_matrix[:, COL["potential"]]
    k = a.n_territories
    ok = (terr >= 0) & np.isfinite(a.account_lon) & np.isfinite(a.account_lat)
    w = np.maximum(pot, 1e-9)
    ws = np.bincount(terr[ok], weights=w[ok], minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        cx = np.bincount(terr[ok], weights=(w * a.account_lon)[ok], minlength=k) / ws
        cy = np.bincount(terr[ok], weights=(w * a.account_lat)[ok], minlength=k) / ws
    industry = ind.set_index("id")["industry"].reindex(a.account_ids).fillna("").to_numpy()
    frame = pd.DataFrame({"t": terr, "industry": industry, "potential": pot})
    frame = frame[frame["t"] >= 0]
    mix = frame.pivot_table(index="t", columns="industry", values="potential", aggfunc="sum")
    mix = mix.reindex(range(k)).fillna(0.0)
    mix = mix.div(mix.sum(axis=1).replace(0, 1.0), axis=0)
    current = [int(r) if np.isfinite(r) else None for r in a.territory_rep_ids]
    return suggest(
        cx, cy, plan.metrics()["workload_hours"], mix, reps,
        [str(n) for n in a.territory_names], current, weights,
    )  # fmt: skip


def _as_list(value: object) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str) and value.strip().startswith("["):
        import json

        return [str(v) for v in json.loads(value)]
    return []
