"""MoveSet: the one shape every edit takes, and the builders that turn gestures into one.

A lasso, a paint stroke, a reshaped outline, a pin, a merge, a split or the optimiser's result
all become a :class:`MoveSet` ``(atoms, before, after)``. It is applied, undone, previewed,
logged and persisted the same way whatever produced it (DESIGN.md). Unlike the first sketch in
DESIGN.md, ``after`` is per atom, not a single destination: merges, splits and optimiser
results move atoms to several territories in one undoable step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from planner.model.atoms import FOLLOW
from planner.model.errors import PlannerError

if TYPE_CHECKING:
    from planner.model.plan import Plan


def _frozen(values: ArrayLike, dtype: type[np.generic]) -> NDArray[Any]:
    arr = np.array(values, dtype=dtype)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class MoveSet:
    """Atoms and their alignment values before and after (read-only arrays)."""

    atoms: NDArray[np.int64]
    before: NDArray[np.int32]
    after: NDArray[np.int32]
    kind: str = "move"
    label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "atoms", _frozen(self.atoms, np.int64))
        object.__setattr__(self, "before", _frozen(self.before, np.int32))
        object.__setattr__(self, "after", _frozen(self.after, np.int32))
        if not (len(self.atoms) == len(self.before) == len(self.after)):
            raise ValueError("MoveSet arrays differ in length")
        if len(np.unique(self.atoms)) != len(self.atoms):
            raise ValueError("MoveSet atoms must be unique")

    def __len__(self) -> int:
        return len(self.atoms)

    def inverse(self) -> MoveSet:
        return MoveSet(self.atoms, self.after, self.before, self.kind, f"undo {self.label}")

    @classmethod
    def empty(cls, kind: str = "move", label: str = "") -> MoveSet:
        z = np.zeros(0, dtype=np.int32)
        return cls(np.zeros(0, dtype=np.int64), z, z, kind, label)


def locked(plan: Plan, territories: NDArray[np.integer]) -> NDArray[np.bool_]:
    """Per value: a locked territory? (Unassigned, FOLLOW and an empty plan are not.)"""
    flags = np.append(plan.atoms.territory_locked, False)  # index -1 -> not locked
    t = np.asarray(territories, dtype=np.int64)
    return flags[np.where(t >= 0, t, -1)]


def build(plan: Plan, atoms: NDArray[np.int64], to: int, kind: str, label: str) -> MoveSet:
    """Move ``atoms`` to territory ``to`` (or FOLLOW/UNASSIGNED), skipping no-ops and locks.

    Atoms whose current territory is locked are left where they are; moving into a locked
    territory is refused with a message naming it.
    """
    a = plan.atoms
    atoms = np.unique(np.asarray(atoms, dtype=np.int64))
    if to >= 0 and a.territory_locked[to]:
        raise PlannerError(f"territory '{a.territory_names[to]}' is locked; unlock it to edit")
    before = plan.alignment[atoms]
    eff = plan.effective_territories(atoms)
    keep = before != to
    keep &= ~locked(plan, eff)
    atoms = atoms[keep]
    return MoveSet(atoms, plan.alignment[atoms], np.full(len(atoms), to), kind, label)


def for_units(plan: Plan, units: NDArray[np.int64], to: int, kind: str = "paint") -> MoveSet:
    """Paint: these unit indices go to ``to``."""
    name = plan.territory_label(to)
    ms = build(plan, np.asarray(units, dtype=np.int64), to, kind, "")
    return relabel(ms, f"{kind} {len(ms)} unit(s) to {name}")


def inside(plan: Plan, polygon: shapely.Geometry) -> NDArray[np.int64]:
    """Atoms a polygon holds: units whose representative point is inside (free-form projects:
    the accounts inside)."""
    a = plan.atoms
    if a.free_form:
        return (
            np.flatnonzero(shapely.contains_xy(polygon, a.account_lon, a.account_lat)) + a.n_units
        )
    return np.flatnonzero(shapely.contains_xy(polygon, a.unit_rep_lon, a.unit_rep_lat))


def for_polygon(plan: Plan, polygon: shapely.Geometry, to: int, kind: str = "lasso") -> MoveSet:
    """Lasso: units whose representative point is inside (free-form: accounts inside)."""
    what = "account(s)" if plan.atoms.free_form else "unit(s)"
    ms = build(plan, inside(plan, polygon), to, kind, "")
    return relabel(ms, f"{kind} {len(ms)} {what} to {plan.territory_label(to)}")


def for_pin(plan: Plan, account: int, to: int) -> MoveSet:
    """Pin an account (index) to a territory; ``to=FOLLOW`` unpins it."""
    a = plan.atoms
    if a.free_form:
        raise PlannerError("pins need a unit layer: in a free-form project draw the territory")
    ms = build(plan, np.array([a.n_units + account]), to, "pin" if to != FOLLOW else "unpin", "")
    name = a.account_names[account]
    verb = f"pin {name} to {plan.territory_label(to)}" if to != FOLLOW else f"unpin {name}"
    return relabel(ms, verb)


def relabel(ms: MoveSet, label: str) -> MoveSet:
    return MoveSet(ms.atoms, ms.before, ms.after, ms.kind, label)


def for_reshape(plan: Plan, territory: int, outline: shapely.Geometry) -> MoveSet:
    """Reshape: units whose representative point changes side of the edited outline.

    Units now inside join ``territory``; units of ``territory`` now outside go to the territory
    of the nearest unit (by representative point) that is neither leaving nor in ``territory``.
    """
    a = plan.atoms
    if a.free_form:
        inside = shapely.contains_xy(outline, a.account_lon, a.account_lat)
        ms = build(plan, np.flatnonzero(inside) + a.n_units, territory, "reshape", "")
        return relabel(ms, f"reshape {plan.territory_label(territory)}: {len(ms)} account(s)")
    unit_terr = plan.alignment[: a.n_units]
    inside = shapely.contains_xy(outline, a.unit_rep_lon, a.unit_rep_lat)
    joining = np.flatnonzero(inside & (unit_terr != territory))
    leaving = np.flatnonzero(~inside & (unit_terr == territory))
    others = np.flatnonzero((unit_terr != territory) & (unit_terr >= 0) & ~inside)
    atoms, after = list(joining), [territory] * len(joining)
    if len(leaving) and len(others):
        # array x and y give an array of points; the stub also allows a single Point
        pts = cast(
            "NDArray[np.object_]", shapely.points(a.unit_rep_lon[others], a.unit_rep_lat[others])
        )
        tree = shapely.STRtree(pts)
        near = tree.nearest(shapely.points(a.unit_rep_lon[leaving], a.unit_rep_lat[leaving]))
        atoms += list(leaving)
        after += list(unit_terr[others[near]])
    atoms_arr = np.asarray(atoms, dtype=np.int64)
    after_arr = np.asarray(after, dtype=np.int32)
    fixed = locked(plan, plan.alignment[atoms_arr]) | locked(plan, after_arr)
    atoms_arr, after_arr = atoms_arr[~fixed], after_arr[~fixed]
    return MoveSet(
        atoms_arr,
        plan.alignment[atoms_arr],
        after_arr,
        "reshape",
        f"reshape {plan.territory_label(territory)}: {len(atoms_arr)} unit(s) change side",
    )


def split_side(
    plan: Plan, territory: int, outline: shapely.Geometry, line: shapely.Geometry
) -> NDArray[np.int64]:
    """Units of ``territory`` (its ``outline``) on the smaller side(s) of a drawn line; empty
    when the line does not cut it in two."""
    from shapely.ops import split

    try:
        pieces = sorted(split(outline, line).geoms, key=lambda g: g.area, reverse=True)
    except (ValueError, shapely.errors.GEOSException):
        return np.zeros(0, dtype=np.int64)
    if len(pieces) < 2:
        return np.zeros(0, dtype=np.int64)
    cut = shapely.union_all(pieces[1:])
    a = plan.atoms
    mine = np.flatnonzero(plan.alignment[: a.n_units] == territory)
    return mine[shapely.contains_xy(cut, a.unit_rep_lon[mine], a.unit_rep_lat[mine])]
