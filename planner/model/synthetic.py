"""Generated grid projects for tests and benchmarks: square units, random accounts, reps.

A grid of ``nx x ny`` one-tenth-degree squares near lon -84, lat 33, territories made of
vertical stripes (contiguous by construction), optional pins. Deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import shapely
from sqlalchemy import insert

from planner.model.schema import Account, Assignment, Opportunity, Pin, Rep, Territory, Unit
from planner.model.store import Project
from planner.model.territories import add_to_scenarios

ORIGIN = (-84.0, 33.0)
CELL = 0.1
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip


def grid_project(
    path: Path,
    *,
    nx: int = 6,
    ny: int = 4,
    accounts_per_unit: int = 5,
    territories: int = 3,
    seed: int = 0,
    free_form: bool = False,
    pins: int = 0,
    with_reps: bool = True,
) -> Project:
    """Create a project at ``path``; returns it open. Units are coded ``U{x}_{y}``."""
    rng = np.random.default_rng(seed)
    project = Project.create(path, name="grid")
    base = project.baseline_id()
    x0, y0 = ORIGIN
    stripe = np.minimum(np.arange(nx) * territories // nx, territories - 1)
    with project.transaction() as s:
        rep_ids: list[int | None] = []
        for t in range(territories):
            if with_reps:
                cx = x0 + CELL * (np.flatnonzero(stripe == t).mean() + 0.5)
                rep = Rep(name=f"Rep {t + 1}", home_lon=float(cx), home_lat=y0 + CELL * ny / 2)
                s.add(rep)
                s.flush()
                rep_ids.append(rep.id)
            else:
                rep_ids.append(None)
        terr_ids = []
        for t in range(territories):
            terr = Territory(name=f"T{t + 1}", colour=PALETTE[t % len(PALETTE)], rep_id=rep_ids[t])
            s.add(terr)
            s.flush()
            terr_ids.append(terr.id)
        add_to_scenarios(s, terr_ids)
        unit_rows, cells = [], []
        for i in range(nx):
            for j in range(ny):
                poly = shapely.box(
                    x0 + i * CELL, y0 + j * CELL, x0 + (i + 1) * CELL, y0 + (j + 1) * CELL
                )
                p = shapely.point_on_surface(poly)
                unit_rows.append(
                    {
                        "code": f"U{i}_{j}",
                        "name": f"Cell {i},{j}",
                        "geometry": shapely.to_wkb(poly),
                        "rep_lon": p.x,
                        "rep_lat": p.y,
                        "area_km2": 100.0,
                        "population": float(rng.integers(1000, 50000)),
                    }
                )
                cells.append((i, j))
        if not free_form:
            s.execute(insert(Unit), unit_rows)
        n_acc = nx * ny * accounts_per_unit
        cell_of = np.repeat(np.arange(nx * ny), accounts_per_unit)
        ci = np.array([cells[c][0] for c in cell_of])
        cj = np.array([cells[c][1] for c in cell_of])
        lon = x0 + (ci + rng.uniform(0.05, 0.95, n_acc)) * CELL
        lat = y0 + (cj + rng.uniform(0.05, 0.95, n_acc)) * CELL
        potential = np.round(rng.lognormal(11, 0.8, n_acc), 2)
        acc_rows = [
            {
                "external_id": f"A{k:06d}",
                "name": f"Account {k}",
                "lon": float(lon[k]),
                "lat": float(lat[k]),
                "location_source": "exact",
                "unit_id": None if free_form else int(cell_of[k]) + 1,
                "potential": float(potential[k]),
                "revenue": float(np.round(potential[k] * rng.uniform(0, 0.6), 2)),
                "visits_per_year": float(rng.integers(2, 24)),
                "minutes_per_visit": float(rng.choice([30, 45, 60, 90])),
                "status": "customer",
            }
            for k in range(n_acc)
        ]
        s.execute(insert(Account), acc_rows)
        opp_rows = [
            {
                "account_id": k + 1,
                "name": f"Deal {k}",
                "stage": "Proposal",
                "amount": float(rng.integers(1, 50) * 1000),
                "close_date": dt.date(2027, 1, 15),
                "is_open": bool(k % 5 != 0),
            }
            for k in range(0, n_acc, 3)
        ]
        if opp_rows:
            s.execute(insert(Opportunity), opp_rows)
        if free_form:
            terr_of_acc = stripe[ci]
            s.execute(
                insert(Assignment),
                [
                    {"scenario_id": base, "atom_kind": "account", "atom_id": k + 1,
                     "territory_id": terr_ids[int(terr_of_acc[k])]}
                    for k in range(n_acc)
                ],
            )  # fmt: skip
        else:
            s.execute(
                insert(Assignment),
                [
                    {"scenario_id": base, "atom_kind": "unit", "atom_id": u + 1,
                     "territory_id": terr_ids[int(stripe[cells[u][0]])]}
                    for u in range(nx * ny)
                ],
            )  # fmt: skip
            for k in rng.choice(n_acc, size=min(pins, n_acc), replace=False):
                own = int(stripe[ci[k]])
                s.add(Pin(scenario_id=base, account_id=int(k) + 1,
                          territory_id=terr_ids[(own + 1) % territories]))  # fmt: skip
    return project
