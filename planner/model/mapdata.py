"""What the map page is sent: GeoJSON of units and outlines, account points, colours, labels.

Pure data (no Qt): the map view pushes these through the bridge. Geometry is simplified for
display with ``coverage_simplify`` so shared edges stay shared; the model keeps full geometry.
Strings are sent as data and the page shows them as text (never HTML).

The page keeps a **live territory model** (resources/map/territories.js) that mirrors the
alignment vector: territories by database id (name, colour, locked), each unit's territory id,
each account's own assignment (a pinned or free-form territory, or "follows its unit"). Fills,
tooltips, popups, labels and account colours are all derived from it in the page, so after an
edit only the changed atoms are sent (:func:`changed_assignments`) and a colour mode switch is
one small mapping (:func:`deviation_fills`), never a per-unit restyle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
import shapely.geometry
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select

from planner.model.atoms import FOLLOW
from planner.model.balance import deviations
from planner.model.geo import outlines, simplify_for_display
from planner.model.mapdata_grid import AccountGrid, cached_grid, take_prefetched
from planner.model.schema import Account

if TYPE_CHECKING:
    from planner.model.moves import MoveSet
    from planner.model.plan import Plan

UNASSIGNED_COLOUR = "#cfcfcf"
#: Page codes of an account's own assignment: no territory, or "goes with its unit".
UNASSIGNED_ID = -1
FOLLOW_UNIT = -2


def display_geometries(geoms: NDArray[np.object_], n_units: int) -> NDArray[np.object_]:
    """Tolerance scales with the layer: ~0.01 deg for thousands of counties, finer for few."""
    tol = 0.01 if n_units > 1500 else 0.003 if n_units > 200 else 0.0005
    return simplify_for_display(geoms, tol)


def geometry_json(geoms: NDArray[np.object_]) -> list[str]:
    """GeoJSON text per geometry, coordinates rounded to 1e-5 deg (~1 m), vectorised. Kept in
    the project by ``loading.display_json_of``: bump ``loading.DISPLAY_VERSION`` when this
    text changes."""
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


def deviation_colour(d: float) -> str:
    """Blue below target, white on target, red above; saturates at ±30 %."""
    x = float(np.clip(d / 0.3, -1, 1))
    if x >= 0:
        g = b = int(255 - 180 * x)
        return f"#ff{g:02x}{b:02x}"
    r = g = int(255 - 180 * -x)
    return f"#{r:02x}{g:02x}ff"


def bounds(plan: Plan) -> tuple[float, float, float, float] | None:
    """(south, west, north, east) of the data, or None for an empty project (reductions with
    a mask: no copy of the 10M-account coordinates, which took ~1 s at open)."""
    a = plan.atoms
    box = [np.inf, np.inf, -np.inf, -np.inf]
    for lon, lat in ((a.unit_rep_lon, a.unit_rep_lat), (a.account_lon, a.account_lat)):
        ok = np.isfinite(lon)
        ok &= np.isfinite(lat)
        box[0] = min(box[0], float(np.min(lat, where=ok, initial=np.inf)))
        box[1] = min(box[1], float(np.min(lon, where=ok, initial=np.inf)))
        box[2] = max(box[2], float(np.max(lat, where=ok, initial=-np.inf)))
        box[3] = max(box[3], float(np.max(lon, where=ok, initial=-np.inf)))
    if not np.isfinite(box[0]):
        return None
    return box[0], box[1], box[2], box[3]


# ------------------------------------------------------------------ live territory model


def territory_items(plan: Plan) -> list[dict[str, Any]]:
    """``[{id, name, colour, locked}]`` for ``TP.setTerritories``: names for tooltips, popups,
    labels; colours for fills, outlines, labels and account points."""
    a = plan.atoms
    return [
        {"id": int(i), "name": str(n), "colour": str(c), "locked": bool(lk)}
        for i, n, c, lk in zip(
            a.territory_ids, a.territory_names, a.territory_colours, a.territory_locked, strict=True
        )
    ]


def deviation_fills(
    plan: Plan, metric: str = "potential", territories: list[int] | None = None
) -> dict[int, str]:
    """``{territory id: deviation colour}`` for ``TP.setFills`` (all territories) or
    ``TP.updateFills`` (``territories``, indices, e.g. the ones an edit touched)."""
    a = plan.atoms
    dev = deviations(plan.metrics()[metric], a.territory_weights)
    wanted = range(a.n_territories) if territories is None else territories
    return {int(a.territory_ids[t]): deviation_colour(float(dev[t])) for t in wanted}


def _territory_id_of(plan: Plan, index: NDArray[np.integer[Any]]) -> list[int | None]:
    """Territory indices (negative = none) -> database ids (None)."""
    ids = plan.atoms.territory_ids
    return [int(ids[t]) if t >= 0 else None for t in np.asarray(index).tolist()]


def unit_features(plan: Plan) -> list[dict[str, Any]]:
    """Unit properties for ``TP.setUnits``: ``{id, code, name, territory}`` with the territory's
    database id (None when unassigned); the page derives fill and tooltip from it."""
    a = plan.atoms
    terr = _territory_id_of(plan, plan.alignment[: a.n_units])
    return [
        {"id": int(a.unit_ids[i]), "code": str(a.unit_codes[i]), "name": str(a.unit_names[i]),
         "territory": terr[i]}
        for i in range(a.n_units)
    ]  # fmt: skip


def unit_layer_json(plan: Plan, unit_geojson: list[str]) -> str:
    """The units FeatureCollection for ``TP.setUnits`` as JSON text (geometry from
    :func:`geometry_json` of the display geometries, computed once per project): the
    properties of :func:`unit_features`, each string escaped by the json module's own
    encoder (ASCII only, as ``json.dumps`` writes it). One f-string per unit: a dict and a
    ``json.dumps`` call per unit took ~0.3 s of every open at 41,000 ZIP areas."""
    a = plan.atoms
    text = encode_basestring_ascii
    terr = _territory_id_of(plan, plan.alignment[: a.n_units])
    feats = ",".join(
        f'{{"type":"Feature","properties":{{"id":{i},"code":{text(str(c))},'
        f'"name":{text(str(n))},"territory":{"null" if t is None else t}}},"geometry":{g}}}'
        for i, c, n, t, g in zip(
            a.unit_ids.tolist(), a.unit_codes, a.unit_names, terr, unit_geojson, strict=True
        )
    )
    return f'{{"type":"FeatureCollection","features":[{feats}]}}'


def unit_assignments(plan: Plan, units: NDArray[np.int64] | None = None) -> dict[int, int | None]:
    """``{unit id: territory id | None}`` of ``units`` (indices; all if None)."""
    a = plan.atoms
    idx = np.arange(a.n_units) if units is None else np.asarray(units, dtype=np.int64)
    terr = _territory_id_of(plan, plan.alignment[idx])
    return {int(a.unit_ids[u]): t for u, t in zip(idx.tolist(), terr, strict=True)}


def own_codes(plan: Plan, accounts: NDArray[np.integer[Any]] | None = None) -> NDArray[np.int32]:
    """Each account's own assignment as the page codes it (territory id, -1 none, -2 goes with
    its unit), for ``accounts`` (indices; all if None); vectorised, no per-account object."""
    a = plan.atoms
    own = plan.alignment[a.n_units :]
    if accounts is not None:
        own = own[np.asarray(accounts, dtype=np.int64)]
    # One gather through a table indexed by own + 2 (FOLLOW = -2, UNASSIGNED = -1, then the
    # territory indices): 10M accounts cost two masks and three passes more the other way.
    table = _int32(np.append([FOLLOW_UNIT, UNASSIGNED_ID], a.territory_ids), "territory ids")
    return table[own.astype(np.int64) - FOLLOW]


def _int32(values: NDArray[np.integer[Any]], what: str) -> NDArray[np.int32]:
    """``values`` as int32 (the page's typed arrays); database ids beyond that are refused."""
    if len(values) and (values.max() > np.iinfo(np.int32).max or values.min() < -2):
        raise ValueError(f"{what} do not fit the map's 32-bit arrays")
    return values.astype(np.int32)


def account_layer(plan: Plan) -> dict[str, list[Any]]:
    """Located accounts for ``TP.setAccounts`` as JSON lists: ``{ids, lon, lat, unit,
    territory, names}``. The JSON form, for small layers and tests: the window sends
    :func:`account_arrays` (binary, names on demand).

    ``unit`` is each account's unit id (-1: none) and ``territory`` its own assignment
    (territory id, -1 unassigned, -2 follows its unit), so the page colours a following account
    by its unit's live territory and a unit move needs no account message at all.
    """
    a = plan.atoms
    ok = np.flatnonzero(np.isfinite(a.account_lon) & np.isfinite(a.account_lat))
    arrays = account_arrays(plan)
    return {
        "ids": a.account_ids[ok].tolist(),
        "lon": np.round(a.account_lon[ok], 5).tolist(),
        "lat": np.round(a.account_lat[ok], 5).tolist(),
        "unit": arrays.unit[ok].tolist(),
        "territory": arrays.own[ok].tolist(),
        "names": [str(n) for n in a.account_names[ok]],
    }


@dataclass(frozen=True, eq=False)
class AccountArrays:
    """Every account (unlocated ones too, as NaN) for the page's binary accounts layer, by
    account index: what ``MapView.set_account_arrays`` writes as typed arrays. Names are not
    here: the page asks for one when the mouse is on its account.

    Attributes
    ----------
    lon, lat
        float32 degrees (about 1 m at US longitudes), NaN when unlocated.
    unit
        The unit's database id (-1: none): the page colours a following account by its unit.
    own
        The own assignment (:func:`own_codes`).
    ids
        Database ids (int64), sent only if they are not consecutive (clicks name an id).
    grid
        The drawing order (``mapdata_grid``) if already known; else it is computed when sent.
    """

    lon: NDArray[np.float32]
    lat: NDArray[np.float32]
    unit: NDArray[np.int32]
    own: NDArray[np.int32]
    ids: NDArray[np.int64]
    grid: AccountGrid | None = None

    @property
    def n(self) -> int:
        return len(self.lon)

    @property
    def any_located(self) -> bool:
        return bool(np.isfinite(self.lon).any())


def account_arrays(plan: Plan, *, cached_order: bool = False) -> AccountArrays:
    """The binary accounts layer of ``plan`` (numpy all the way: ~0.1 s per million).
    ``cached_order``: with the drawing order from the project's atom cache (kept there when
    it had to be computed: the window does, as it keeps the atom arrays)."""
    a = plan.atoms
    # Unit ids through a table whose last entry (index -1: no unit) is -1: one gather.
    unit = _int32(np.append(a.unit_ids, -1), "unit ids")[np.maximum(a.account_unit, -1)]
    lon, lat = a.account_lon.astype(np.float32), a.account_lat.astype(np.float32)
    grid = None
    if cached_order:
        grid = take_prefetched(plan.project, a.account_lon) or cached_grid(
            plan.project, lon, lat, unit, stamp=a.stamp
        )
    return AccountArrays(
        lon=lon, lat=lat, unit=unit, own=own_codes(plan), ids=a.account_ids, grid=grid
    )


def account_label(plan: Plan, index: int) -> tuple[str, str]:
    """Name and external id of the account at ``index`` for a map tooltip, read from its row:
    the in-memory columns are lazy and load whole on first use (every name at 10M accounts)."""
    a = plan.atoms
    with plan.project.session() as s:
        row = s.execute(
            select(Account.name, Account.external_id).where(Account.id == int(a.account_ids[index]))
        ).one_or_none()
    if row is None:  # removed since the plan was loaded: what the plan knows
        return str(a.account_names[index]), str(a.account_ext_ids[index])
    return str(row.name), "" if row.external_id is None else str(row.external_id)


@dataclass(frozen=True, eq=False)
class AccountCodes:
    """Own assignments of some accounts, by index, for ``TP.assignAccountsAt``."""

    indices: NDArray[np.int64]
    codes: NDArray[np.int32]

    def __len__(self) -> int:
        return len(self.indices)


def account_codes(plan: Plan, accounts: NDArray[np.integer[Any]]) -> AccountCodes:
    """The current own assignment of ``accounts`` (indices)."""
    idx = np.asarray(accounts, dtype=np.int64)
    return AccountCodes(idx, own_codes(plan, idx))


def changed_atoms(plan: Plan, moveset: MoveSet) -> tuple[dict[int, int | None], AccountCodes]:
    """What the page needs after ``moveset`` was applied or undone: its units with their
    territory and its accounts (pins, free-form) with their own assignment, by index."""
    n_u = plan.atoms.n_units
    atoms = np.asarray(moveset.atoms, dtype=np.int64)
    return unit_assignments(plan, atoms[atoms < n_u]), account_codes(
        plan, atoms[atoms >= n_u] - n_u
    )


def differing_atoms(
    plan: Plan, before: NDArray[np.integer[Any]]
) -> tuple[dict[int, int | None], AccountCodes]:
    """As :func:`changed_atoms` for the atoms whose value differs from ``before`` (a scenario
    switch: same project, same atoms; typically a few hundred entries, not a million)."""
    n_u = plan.atoms.n_units
    atoms = np.flatnonzero(np.asarray(before) != plan.alignment)
    return unit_assignments(plan, atoms[atoms < n_u]), account_codes(
        plan, atoms[atoms >= n_u] - n_u
    )


def _by_id(plan: Plan, accounts: AccountCodes) -> dict[int, int]:
    ids = plan.atoms.account_ids[accounts.indices].tolist()
    return dict(zip(ids, accounts.codes.tolist(), strict=True))


def changed_assignments(
    plan: Plan, moveset: MoveSet
) -> tuple[dict[int, int | None], dict[int, int]]:
    """:func:`changed_atoms` with the accounts by database id (``TP.assignAccounts``)."""
    units, accounts = changed_atoms(plan, moveset)
    return units, _by_id(plan, accounts)


def alignment_changes(
    plan: Plan, before: NDArray[np.integer[Any]]
) -> tuple[dict[int, int | None], dict[int, int]]:
    """:func:`differing_atoms` with the accounts by database id (``TP.assignAccounts``)."""
    units, accounts = differing_atoms(plan, before)
    return units, _by_id(plan, accounts)


# ------------------------------------------------------------------ outlines and labels


def territory_shapes(
    plan: Plan,
    display: NDArray[np.object_],
    touched: list[int] | None = None,
    *,
    valid_coverage: bool = False,
) -> dict[int, BaseGeometry]:
    """Outline per territory index (``touched`` only, if given; empty when it has no units).
    ``valid_coverage``: ``display`` was checked once to be a valid coverage (faster unions)."""
    a = plan.atoms
    if a.n_units == 0:
        return {}
    align = np.asarray(plan.alignment[: a.n_units], dtype=np.int64)
    return outlines(display, align, touched, valid_coverage=valid_coverage)


def outline_layer_json(plan: Plan, shapes: dict[int, BaseGeometry]) -> tuple[str, list[int]]:
    """Outlines FeatureCollection for ``TP.setOutlines`` / ``TP.updateOutlines`` and the ids of
    every territory in ``shapes`` (the empty ones too: their old outline must go)."""
    a = plan.atoms
    keep = [(t, g) for t, g in shapes.items() if not g.is_empty]
    props = [
        {"id": int(a.territory_ids[t]), "name": str(a.territory_names[t]),
         "colour": str(a.territory_colours[t]), "locked": bool(a.territory_locked[t])}
        for t, _ in keep
    ]  # fmt: skip
    geoms = geometry_json(np.array([g for _, g in keep], dtype=object))
    return collection_json(props, geoms), [int(a.territory_ids[t]) for t in shapes]


def label_points(plan: Plan, shapes: dict[int, BaseGeometry]) -> list[dict[str, Any]]:
    """``[{id, lat, lon, rank}]`` for ``TP.setLabels`` / ``TP.updateLabels``: where each
    territory's name goes.

    The point is the pole of inaccessibility of the territory's largest piece (the spot
    farthest from its edges, so the name sits well inside even a C-shaped territory); ``rank``
    is that piece's area in square degrees, so the page keeps the labels of big territories
    when names would overlap. Territories without units get no entry.
    """
    a = plan.atoms
    out: list[dict[str, Any]] = []
    for t, shape in shapes.items():
        if shape.is_empty:
            continue
        pieces = list(getattr(shape, "geoms", [shape]))
        piece = max(pieces, key=lambda g: g.area)
        tolerance = max(float(np.sqrt(piece.area)) / 100, 1e-6)
        try:  # GEOS' MaximumInscribedCircle: its centre is the pole of inaccessibility
            point = shapely.get_point(shapely.maximum_inscribed_circle(piece, tolerance), 0)
        except shapely.errors.GEOSException:  # odd slivers: any point inside will do
            point = piece.representative_point()
        out.append(
            {"id": int(a.territory_ids[t]), "lat": round(point.y, 5), "lon": round(point.x, 5),
             "rank": round(float(piece.area), 6)}
        )  # fmt: skip
    return out


def gesture_geometry(geometry: dict[str, Any]) -> shapely.Geometry:
    """A freehand lasso or drawn polygon as a valid shape (a trace that crosses itself is made
    valid: each loop counts), ready for ``moves.for_polygon``."""
    shape = shapely.geometry.shape(geometry)
    if shape.geom_type in ("Polygon", "MultiPolygon") and not shape.is_valid:
        fixed = shapely.make_valid(shape)
        polys = [
            g
            for g in getattr(fixed, "geoms", [fixed])
            if g.geom_type in ("Polygon", "MultiPolygon")
        ]
        shape = shapely.union_all(polys) if polys else fixed
    return shape
