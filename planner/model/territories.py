"""Territory operations as Edits: create, rename, recolour, assign a rep, lock, delete, merge.

Each builder returns an :class:`~planner.model.edits.Edit` for the plan's scenario; nothing is
written until :meth:`Plan.apply`, so a preview of any of them is free and undo/redo, the log
and the change events work the same as for a lasso. Builders check what a user would be told
before anything happens (an empty or duplicate name, an unknown rep).

:func:`add_to_scenarios` is for what creates territories for the whole project at once (the
demo, imports, tests): each gets a row in every scenario.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from planner.model import moves
from planner.model._territory_state import spec_of
from planner.model.atoms import FOLLOW, UNASSIGNED
from planner.model.colours import (
    distinct_colours,
    is_colour,
    next_colour,
    territory_adjacency,
)
from planner.model.edits import DeletedTerritory, Edit, NewTerritory, TerritoryUpdate
from planner.model.errors import PlannerError
from planner.model.schema import Scenario, ScenarioNode, ScenarioTerritory, Territory

if TYPE_CHECKING:
    import shapely

    from planner.model.plan import Plan

MAX_NAME = 200


def add_to_scenarios(
    s: Session, territory_ids: Iterable[int], scenario_ids: Sequence[int] = ()
) -> None:
    """Rows for these territories in every scenario (or the given ones), with the attributes
    of their Territory row: how project-wide creators (demo, imports) add territories.
    Hierarchy nodes (a level other than territory) get ScenarioNode rows instead."""
    targets = list(scenario_ids) or list(s.scalars(select(Scenario.id)))
    rows, nodes = [], []
    for t in s.scalars(select(Territory).where(Territory.id.in_(list(territory_ids)))):
        if t.level != "territory":
            nodes += [
                {"scenario_id": sid, "node_id": t.id, "name": t.name, "level": t.level,
                 "colour": t.colour, "rep_id": t.rep_id, "parent_id": t.parent_id}
                for sid in targets
            ]  # fmt: skip
            continue
        for sid in targets:
            rows.append(
                {"scenario_id": sid, "territory_id": t.id, "name": t.name, "colour": t.colour,
                 "rep_id": t.rep_id, "parent_id": t.parent_id,
                 "target_weight": t.target_weight if t.target_weight is not None else 1.0,
                 "locked": bool(t.locked)}
            )  # fmt: skip
    if rows:
        s.execute(insert(ScenarioTerritory), rows)
    if nodes:
        s.execute(insert(ScenarioNode), nodes)


# -- names -------------------------------------------------------------------------------------
def clean_name(plan: Plan, name: str, territory: int | None = None) -> str:
    """A valid name for a territory of this scenario (stripped, unique, not too long)."""
    name = " ".join(str(name).split())
    if not name:
        raise PlannerError("a territory needs a name")
    if len(name) > MAX_NAME:
        raise PlannerError(f"territory names are limited to {MAX_NAME} characters")
    for i, other in enumerate(plan.atoms.territory_names):
        if str(other) == name and i != territory:
            raise PlannerError(f"a territory named '{name}' already exists in this scenario")
    return name


def unique_name(plan: Plan, base: str) -> str:
    """``base``, or ``base 2``, ``base 3``... whichever this scenario does not use yet."""
    names = {str(n) for n in plan.atoms.territory_names}
    if base not in names:
        return base
    n = 2
    while f"{base} {n}" in names:
        n += 1
    return f"{base} {n}"


# -- builders ----------------------------------------------------------------------------------
def create(
    plan: Plan,
    name: str,
    *,
    colour: str | None = None,
    rep_id: int | None = None,
    near: Iterable[str] = (),
    atoms: Any = None,
    kind: str = "create",
) -> Edit:
    """A new territory (placeholder index ``K``) and, optionally, ``atoms`` moving into it.

    Without ``colour`` it takes the palette colour used least, avoiding ``near`` (the colours
    of its neighbours on the map).
    """
    name = clean_name(plan, name)
    a = plan.atoms
    if colour is None:
        colour = next_colour([str(c) for c in a.territory_colours], near)
    elif not is_colour(colour):
        raise PlannerError(f"'{colour}' is not a colour like #1f77b4")
    _check_rep(plan, rep_id)
    spec = {"name": name, "colour": colour, "rep_id": rep_id, "parent_id": None,
            "target_weight": 1.0, "locked": False}  # fmt: skip
    k = a.n_territories
    ms = moves.MoveSet.empty(kind)
    if atoms is not None and len(atoms):
        ms = _into(plan, np.asarray(atoms, dtype=np.int64), k, kind)
    label = f"{'draw' if kind == 'draw' else kind} {name}" + (
        f": {len(ms)} {'account(s)' if a.free_form else 'unit(s)'}" if len(ms) else ""
    )
    return Edit(kind, label, moves.relabel(ms, label), creates=(NewTerritory(spec),))


def _into(plan: Plan, atoms: np.ndarray, new: int, kind: str) -> moves.MoveSet:
    """Atoms into a territory that does not exist yet (placeholder ``new``): like
    :func:`moves.build`, minus the lock check of the target (a new territory is unlocked)."""
    atoms = np.unique(atoms)
    atoms = atoms[~moves.locked(plan, plan.effective_territories(atoms))]
    return moves.MoveSet(atoms, plan.alignment[atoms], np.full(len(atoms), new), kind, "")


def draw(plan: Plan, polygon: shapely.Geometry, near: Iterable[str] = ()) -> Edit:
    """Draw a new territory: everything inside the polygon moves to it (one Edit)."""
    name = unique_name(plan, "New territory")
    return create(plan, name, near=near, atoms=moves.inside(plan, polygon), kind="draw")


def split(
    plan: Plan,
    territory: int,
    outline: shapely.Geometry,
    line: shapely.Geometry,
    near: Iterable[str] = (),
) -> Edit:
    """Split ``territory`` by a drawn line: the smaller side becomes a new territory."""
    name = unique_name(plan, f"{plan.territory_label(territory)} (split)")
    side = moves.split_side(plan, territory, outline, line)
    if not len(side):
        raise PlannerError("the line must cross the territory from one side to the other")
    edit = create(plan, name, near=near, atoms=side, kind="split")
    label = f"split {plan.territory_label(territory)}: {len(edit.moves)} unit(s) to {name}"
    return Edit("split", label, moves.relabel(edit.moves, label), creates=edit.creates)


def rename(plan: Plan, t: int, name: str) -> Edit:
    old = str(plan.atoms.territory_names[t])
    new = clean_name(plan, name, t)
    return _update(plan, t, {"name": new}, f"rename {old} to {new}")


def recolour(plan: Plan, t: int, colour: str) -> Edit:
    if not is_colour(colour):
        raise PlannerError(f"'{colour}' is not a colour like #1f77b4")
    return _update(plan, t, {"colour": colour.lower()}, f"recolour {plan.territory_label(t)}")


def assign_rep(plan: Plan, t: int, rep_id: int | None) -> Edit:
    _check_rep(plan, rep_id)
    who = plan.atoms.rep_names.get(int(rep_id), "") if rep_id is not None else "no rep"
    return _update(plan, t, {"rep_id": rep_id}, f"assign {who} to {plan.territory_label(t)}")


def set_locked(plan: Plan, t: int, locked: bool) -> Edit:
    verb = "lock" if locked else "unlock"
    return _update(plan, t, {"locked": bool(locked)}, f"{verb} {plan.territory_label(t)}")


def delete(plan: Plan, t: int, to: int = UNASSIGNED, *, kind: str = "delete") -> Edit:
    """Remove territory ``t`` from the scenario; its units, pins and accounts go to ``to``
    (default: unassigned). A locked territory is not deleted."""
    a = plan.atoms
    if a.territory_locked[t]:
        raise PlannerError(f"territory '{a.territory_names[t]}' is locked; unlock it to delete")
    if to >= 0 and a.territory_locked[to]:
        raise PlannerError(f"territory '{a.territory_names[to]}' is locked; unlock it to edit")
    held = np.flatnonzero(plan.alignment == t)
    after = np.full(len(held), to)
    if to == UNASSIGNED and not a.free_form:
        after[held >= a.n_units] = (
            FOLLOW  # its pinned accounts are unpinned: they follow their unit
        )
    ms = moves.MoveSet(held, plan.alignment[held], after, kind, "")
    name = plan.territory_label(t)
    if kind == "merge":
        label = f"merge {name} into {plan.territory_label(to)}"
    else:
        where = "unassigned" if to < 0 else f"to {plan.territory_label(to)}"
        what = "account(s)" if a.free_form else "unit(s)/pin(s)"
        label = f"delete {name} ({len(held)} {what} {where})"
    deleted = DeletedTerritory(int(a.territory_ids[t]), spec_of(a, t))
    return Edit(kind, label, moves.relabel(ms, label), deletes=(deleted,))


def merge(plan: Plan, source: int, target: int) -> Edit:
    """Everything of ``source`` goes to ``target`` and ``source`` is removed."""
    if source == target:
        raise PlannerError("a territory cannot be merged into itself")
    return delete(plan, source, target, kind="merge")


def recolour_for_contrast(
    plan: Plan, unit_graph: Any, exclude: Any = None, keep: Iterable[int] = ()
) -> Edit:
    """Give neighbouring territories clearly different fills, changing as few as possible.

    ``unit_graph`` is the unit adjacency (``geo.adjacency(geometries)``), ``exclude`` its island
    links, ``keep`` territory indices whose colour was picked by hand. One undoable edit of the
    colours that change (an empty edit when every neighbour already differs enough).
    """
    a = plan.atoms
    if a.free_form:
        raise PlannerError("recolouring for contrast needs a unit layer")
    pairs = territory_adjacency(unit_graph, plan.alignment[: a.n_units], a.n_territories, exclude)
    current = [str(c) for c in a.territory_colours]
    new = distinct_colours(pairs, current, fixed=keep)
    updates = tuple(
        TerritoryUpdate(int(a.territory_ids[t]), {"colour": current[t]}, {"colour": new[t]})
        for t in range(a.n_territories)
        if new[t].lower() != current[t].lower()
    )
    return Edit("recolour", f"recolour {len(updates)} territories for contrast", updates=updates)


def _update(plan: Plan, t: int, after: dict[str, Any], label: str) -> Edit:
    before = {k: v for k, v in spec_of(plan.atoms, t).items() if k in after}
    if before == after:
        return Edit("rename", label)  # nothing changes: an empty edit
    kind = {"name": "rename", "colour": "recolour", "rep_id": "assign-rep", "locked": "lock"}.get(
        next(iter(after)), "territory"
    )
    upd = TerritoryUpdate(int(plan.atoms.territory_ids[t]), before, after)
    return Edit(kind, label, updates=(upd,))


def _check_rep(plan: Plan, rep_id: int | None) -> None:
    if rep_id is not None and int(rep_id) not in plan.atoms.rep_names:
        raise PlannerError(f"rep {rep_id} does not exist")
