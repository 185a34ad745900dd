"""The two GIS layers of a scenario, with the fields QGIS users expect (issue 18, item 4).

- ``territories``: one feature per territory that has an area: the union of its units (or its
  drawn polygon in a free-form project), with its name, rep, district and region (when the
  project has that hierarchy), colour, lock, unit count, every balance metric of
  :data:`~planner.model.balance.METRICS`, each metric's deviation from target (``dev_<metric>``),
  disruption and the equal-area ``area_km2``. A territory without an area (no units: only
  pinned accounts, or empty) is not a polygon; it is listed in :attr:`Layers.without_area` so
  the command reports it instead of writing a feature with no geometry, which many GIS tools
  and :func:`~planner.model.io.territories.import_territories` refuse.
- ``units``: one feature per unit with its territory in the scenario (project with units only).

A value that is not known (no rep, no district or region) is a missing value (NULL), not "".
Field names are lower case ``snake_case`` (no spaces), the same in every format; the Shapefile
writer maps them to its 10-character names (:mod:`planner.model.io.gis_export`). The names the
territory importer recognises (``name``, ``rep``, ``colour``) are the ones used here, so an
exported file imports back as the same plan. Numbers without a finite value (a deviation from
a target of 0) are missing values (NULL), never NaN.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from sqlalchemy import text

from planner.model.atoms import load_unit_geometries
from planner.model.balance import METRICS
from planner.model.geo import area_km2, outlines

if TYPE_CHECKING:
    from planner.model.plan import Plan

LAYERS = ("territories", "units")
#: Territory fields in file order: kind of value per field ("str", "int", "float", "bool").
TERRITORY_FIELDS: dict[str, str] = {
    "name": "str", "rep": "str", "district": "str", "region": "str", "colour": "str",
    "locked": "bool", "units": "int",
    **dict.fromkeys(METRICS, "float"),
    **{f"dev_{m}": "float" for m in METRICS},
    "disruption": "float", "area_km2": "float",
}  # fmt: skip
UNIT_FIELDS: dict[str, str] = {
    "code": "str", "name": "str", "territory": "str", "rep": "str", "colour": "str",
    "area_km2": "float",
}  # fmt: skip
#: Parent links followed at most this deep (a cycle in hand-edited data must not hang).
_MAX_DEPTH = 8


@dataclass(frozen=True, eq=False)
class Layer:
    """One layer: attribute table (columns = :attr:`fields` in order) and EPSG:4326 shapes."""

    name: str
    table: pd.DataFrame
    geometry: NDArray[np.object_]
    fields: dict[str, str]

    def __len__(self) -> int:
        return len(self.table)


@dataclass
class Layers:
    """The layers asked for, and the territories that could not be a polygon."""

    layers: list[Layer] = field(default_factory=list)
    without_area: list[str] = field(default_factory=list)


def build_layers(plan: Plan, names: tuple[str, ...]) -> Layers:
    """The layers ``names`` (a subset of :data:`LAYERS`, in that order) of ``plan``."""
    out = Layers()
    if "territories" in names:
        layer, out.without_area = territory_layer(plan)
        out.layers.append(layer)
    if "units" in names:
        out.layers.append(unit_layer(plan))
    return out


def territory_layer(plan: Plan) -> tuple[Layer, list[str]]:
    """The dissolved territories of ``plan`` and the names of those without an area."""
    a = plan.atoms
    shapes = _territory_shapes(plan)
    has = np.array([i in shapes and not shapely.is_empty(shapes[i])
                    for i in range(a.n_territories)], dtype=np.bool_)  # fmt: skip
    rows = plan.rows()
    district, region = _hierarchy(plan)
    units = np.bincount(plan.alignment[: a.n_units][plan.alignment[: a.n_units] >= 0],
                        minlength=a.n_territories)  # fmt: skip
    geoms = np.array([shapes[int(i)] for i in np.flatnonzero(has)], dtype=np.object_)
    data: dict[str, object] = {
        "name": [r["name"] for r in rows],
        "rep": [r["rep"] or None for r in rows],
        "district": district,
        "region": region,
        "colour": [r["colour"] for r in rows],
        "locked": [r["locked"] for r in rows],
        "units": units.astype(np.int64),
        **{m: [r[m] for r in rows] for m in METRICS},
        **{f"dev_{m}": [r["deviation"][m] for r in rows] for m in METRICS},
        "disruption": [r["disruption"] for r in rows],
    }
    table = pd.DataFrame(data)[has].reset_index(drop=True)
    table["area_km2"] = area_km2(geoms)
    floats = [f for f, kind in TERRITORY_FIELDS.items() if kind == "float"]
    table[floats] = table[floats].astype(float).where(np.isfinite(table[floats]))
    without = [str(r["name"]) for r, ok in zip(rows, has, strict=True) if not ok]
    return Layer("territories", table[list(TERRITORY_FIELDS)], geoms, TERRITORY_FIELDS), without


def unit_layer(plan: Plan) -> Layer:
    """Every unit with its territory, rep and colour in ``plan`` ("" when unassigned)."""
    a = plan.atoms
    geoms = load_unit_geometries(plan.project)
    t = plan.alignment[: a.n_units]
    rows = plan.rows()
    pick = np.append(np.arange(a.n_territories), -1)[t]  # -1 stays -1 (unassigned)

    def of(key: str) -> list[str]:
        values = [str(r[key]) for r in rows] + [""]
        return [values[i] for i in pick]

    table = pd.DataFrame(
        {
            "code": [str(c) for c in a.unit_codes],
            "name": [str(n) for n in a.unit_names],
            "territory": of("name"),
            "rep": of("rep"),
            "colour": of("colour"),
            "area_km2": area_km2(geoms),
        }
    )
    return Layer("units", table, geoms, UNIT_FIELDS)


def _territory_shapes(plan: Plan) -> dict[int, shapely.Geometry]:
    """Territory index -> its polygon: the union of its units, or its drawn shape."""
    a = plan.atoms
    if not a.free_form:
        return dict(outlines(load_unit_geometries(plan.project), plan.alignment[: a.n_units]))
    with plan.project.engine.connect() as c:
        shapes = c.execute(
            text("SELECT territory_id, geometry FROM territory_shape WHERE scenario_id = :s"),
            {"s": plan.scenario_id},
        ).all()
    index = a.territory_index()
    return {index[int(t)]: shapely.from_wkb(g) for t, g in shapes if int(t) in index}


def _hierarchy(plan: Plan) -> tuple[list[str | None], list[str | None]]:
    """District and region name of each territory (None, a NULL field, where it has none).

    A territory's parent (per scenario) is a district or region row of the ``territory``
    table (DESIGN.md: region > district > territory); districts name their region the same way.
    """
    with plan.project.engine.connect() as c:
        nodes = {
            int(i): (str(name), str(level), int(parent) if parent is not None else None)
            for i, name, level, parent in c.execute(
                text("SELECT id, name, level, parent_id FROM territory WHERE level != 'territory'")
            )
        }
    districts: list[str | None] = []
    regions: list[str | None] = []
    for parent in plan.atoms.territory_parent_ids:
        found = {"district": "", "region": ""}
        node = int(parent) if np.isfinite(parent) else None
        for _ in range(_MAX_DEPTH):
            if node not in nodes:
                break
            name, level, node = nodes[node]
            if level in found and not found[level]:
                found[level] = name
        districts.append(found["district"] or None)
        regions.append(found["region"] or None)
    return districts, regions
