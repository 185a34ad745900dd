"""What the map page is sent: GeoJSON of units and outlines, account points, colours.

Pure data (no Qt): the map view pushes these through the bridge. Geometry is simplified for
display with ``coverage_simplify`` so shared edges stay shared; the model keeps full geometry.
Strings are sent as data and escaped by the page when displayed.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from numpy.typing import NDArray

from planner.model.balance import deviations
from planner.model.geo import outlines, simplify_for_display

if TYPE_CHECKING:
    from planner.model.plan import Plan

UNASSIGNED_COLOUR = "#cfcfcf"


def display_geometries(geoms: NDArray[np.object_], n_units: int) -> NDArray[np.object_]:
    """Tolerance scales with the layer: ~0.01 deg for thousands of counties, finer for few."""
    tol = 0.01 if n_units > 1500 else 0.003 if n_units > 200 else 0.0005
    return simplify_for_display(geoms, tol)


def geometry_json(geoms: NDArray[np.object_]) -> list[str]:
    """GeoJSON text per geometry, coordinates rounded to 1e-5 deg (~1 m), vectorised."""
    if len(geoms) == 0:
        return []
    rounded = shapely.transform(np.asarray(geoms, dtype=object), lambda xy: np.round(xy, 5))
    return [str(g) for g in shapely.to_geojson(rounded)]


def collection_json(properties: list[dict[str, Any]], geometries: list[str]) -> str:
    """A FeatureCollection as JSON text (properties serialised by json.dumps, so escaped)."""
    feats = ",".join(
        f'{{"type":"Feature","properties":{json.dumps(p)},"geometry":{g}}}'
        for p, g in zip(properties, geometries, strict=True)
    )
    return f'{{"type":"FeatureCollection","features":[{feats}]}}'


def unit_properties(plan: Plan) -> list[dict[str, Any]]:
    a = plan.atoms
    colours = unit_colours(plan)
    terr = plan.alignment[: a.n_units]
    names = np.append(a.territory_names, "unassigned")
    return [
        {"id": int(a.unit_ids[i]), "code": str(a.unit_codes[i]), "name": str(a.unit_names[i]),
         "territory": str(names[terr[i]]), "colour": colours[i]}
        for i in range(a.n_units)
    ]  # fmt: skip


def outlines_json(
    plan: Plan, display: NDArray[np.object_], touched: list[int] | None = None
) -> tuple[str, list[int]]:
    """Outlines of ``touched`` territories (all if None) as JSON text, and their ids."""
    a = plan.atoms
    shapes = outlines(display, plan.alignment[: a.n_units], touched)
    keep = [(t, g) for t, g in shapes.items() if not g.is_empty]
    props = [
        {"id": int(a.territory_ids[t]), "name": str(a.territory_names[t]),
         "colour": str(a.territory_colours[t]), "locked": bool(a.territory_locked[t])}
        for t, _ in keep
    ]  # fmt: skip
    geoms = geometry_json(np.array([g for _, g in keep], dtype=object))
    return collection_json(props, geoms), [int(a.territory_ids[t]) for t in shapes]


def unit_colours(plan: Plan, mode: str = "territory", metric: str = "potential") -> list[str]:
    """Colour per unit: its territory's colour, or a diverging deviation colour."""
    a = plan.atoms
    terr = plan.alignment[: a.n_units]
    if mode == "deviation":
        dev = deviations(plan.metrics()[metric], a.territory_weights)
        palette = np.array([deviation_colour(d) for d in dev] + [UNASSIGNED_COLOUR], dtype=object)
    else:
        palette = np.append(a.territory_colours, UNASSIGNED_COLOUR).astype(object)
    return list(palette[terr])


def deviation_colour(d: float) -> str:
    """Blue below target, white on target, red above; saturates at ±30 %."""
    x = float(np.clip(d / 0.3, -1, 1))
    if x >= 0:
        g = b = int(255 - 180 * x)
        return f"#ff{g:02x}{b:02x}"
    r = g = int(255 - 180 * -x)
    return f"#{r:02x}{g:02x}ff"


def account_points(plan: Plan) -> dict[str, list[Any]]:
    a = plan.atoms
    terr = plan.account_territories()
    ok = np.isfinite(a.account_lon) & np.isfinite(a.account_lat)
    palette = np.append(a.territory_colours, UNASSIGNED_COLOUR).astype(object)
    return {
        "ids": a.account_ids[ok].tolist(),
        "lon": np.round(a.account_lon[ok], 5).tolist(),
        "lat": np.round(a.account_lat[ok], 5).tolist(),
        "colour": palette[terr[ok]].tolist(),
        "names": [str(n) for n in a.account_names[ok]],
    }


def bounds(plan: Plan) -> tuple[float, float, float, float] | None:
    """(south, west, north, east) of the data, or None for an empty project."""
    a = plan.atoms
    lon = np.concatenate([a.unit_rep_lon, a.account_lon])
    lat = np.concatenate([a.unit_rep_lat, a.account_lat])
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        return None
    return float(lat[ok].min()), float(lon[ok].min()), float(lat[ok].max()), float(lon[ok].max())
