"""Projects and readers shared by the GIS export and round-trip tests (issue 18, item 4)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import shapely

from planner.model import moves, scenarios, territories
from planner.model.atoms import load_unit_geometries
from planner.model.geo import area_km2
from planner.model.plan import Plan
from planner.model.store import Project
from planner.model.synthetic import grid_project

#: A territory name that XML, shells and spreadsheets all find awkward.
AWKWARD = 'North <&> "Süd" 東京'


def planned_project(path: Path, *, pins: int = 0) -> Path:
    """The 6x4 grid (T1..T3, Rep 1..3) with a region > district hierarchy over T1 and T2 (T3
    directly in the region), T2 renamed :data:`AWKWARD`, and a scenario "East" that moves three
    units to T3 and adds a territory "Empty" without units."""
    grid_project(path, pins=pins).close()
    con = sqlite3.connect(path)
    with con:
        con.execute("INSERT INTO territory (id, name, colour, level, target_weight, locked) "
                    "VALUES (100, 'East Region', '#888888', 'region', 1.0, 0)")  # fmt: skip
        con.execute(
            "INSERT INTO territory (id, name, colour, level, parent_id, target_weight, "
            "locked) VALUES (101, 'North District', '#888888', 'district', 100, 1, 0)"
        )
        con.execute("UPDATE scenario_territory SET parent_id = 101 WHERE name IN ('T1', 'T2')")
        con.execute("UPDATE scenario_territory SET parent_id = 100 WHERE name = 'T3'")
        con.execute("UPDATE scenario_territory SET name = ? WHERE name = 'T2'", (AWKWARD,))
    con.close()
    with Project.open(path) as p:
        scenarios.create_scenario(p, "East")
        plan = Plan.load(p, "East")
        plan.apply(moves.for_units(plan, np.array([0, 1, 5]), 2))
        plan.apply(territories.create(plan, "Empty"))
    return path


def read_layer(path: Path, layer: str | None) -> pd.DataFrame:
    """A layer as a GIS user's tool reads it (pyogrio/GDAL), with lower-case column names
    (LIBKML reads a Placemark's <name> as ``Name``)."""
    df = pyogrio.read_dataframe(path, layer=layer)
    return df.rename(columns={c: c.lower() for c in df.columns if c != df.geometry.name})


def unit_areas(project: Project, plan: Plan) -> dict[str, float]:
    """Territory name -> area (km², equal-area) of the union of its units, measured here."""
    geoms = load_unit_geometries(project)
    units = plan.alignment[: plan.atoms.n_units]
    out = {}
    for t, name in enumerate(plan.atoms.territory_names):
        mine = geoms[units == t]
        if len(mine):
            out[str(name)] = float(area_km2(np.array([shapely.union_all(mine)]))[0])
    return out
