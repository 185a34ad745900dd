"""A territory or plan file as one undoable Edit of a scenario, never a silent wipe.

The readers (:mod:`planner.model.io.territories`) say what the file asks for: a
:class:`Target`, i.e. per unit / pinned account / free-form account the territory it should
have, the territories to create, the colours and reps to set, the drawn shapes. This module
turns it into an :class:`~planner.model.edits.Edit` against the scenario as it stands and
applies it through :meth:`Plan.apply`: logged, version-checked (a planner with the scenario open
gets a stale-scenario error instead of undoing the import by accident) and undoable.

What the file does not mention is decided by ``mode``:

- ``"check"`` (default): it keeps nothing by accident. If any unit (free-form: account) that has
  a territory now would be left without one, the import is refused, naming how many and a few
  of them: a header-only plan or a polygon file with swapped coordinates used to unassign the
  whole baseline with exit 0.
- ``"replace"`` (``--replace``): the file is the whole plan; what it does not place is unassigned.
- ``"update"`` (``--update``): only what the file places changes; the rest keeps its territory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from planner.model.atoms import FOLLOW, UNASSIGNED
from planner.model.colours import next_colour
from planner.model.edits import Edit, NewTerritory, NodeChange, ShapeChange, TerritoryUpdate
from planner.model.io.report import ImportReport
from planner.model.moves import MoveSet
from planner.model.plan import Plan
from planner.model.schema import TerritoryShape

MODES = ("check", "replace", "update")


@dataclass
class Target:
    """What a file asks for. A territory is named by a key: its database id if the scenario
    has it, else ``("new", j)`` for the j-th territory to create."""

    #: New territories: name, colour ("" = a palette colour), rep id.
    new: list[dict[str, Any]] = field(default_factory=list)
    #: Existing territory id -> attributes to set (colour, rep_id).
    updates: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: unit id -> key; account id -> key (free-form accounts, or pins in a unit project).
    units: dict[int, Any] = field(default_factory=dict)
    accounts: dict[int, Any] = field(default_factory=dict)
    pins: dict[int, Any] = field(default_factory=dict)
    #: Accounts the file lists whose pin must go (they follow their unit's new territory).
    unpin: set[int] = field(default_factory=set)
    #: key -> WKB of the drawn polygon (free-form projects).
    shapes: dict[Any, bytes] = field(default_factory=dict)
    #: key -> its hierarchy, nearest first: [("district", "North"), ("region", "East")].
    hierarchy: dict[Any, list[tuple[str, str]]] = field(default_factory=dict)


def apply_target(
    plan: Plan, s: Session, target: Target, report: ImportReport, mode: str, label: str
) -> None:
    """Build the Edit, check what would be lost, apply it inside session ``s``."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    a = plan.atoms
    k = a.n_territories
    index = {int(t): i for i, t in enumerate(a.territory_ids)}

    def pos(key: Any) -> int:
        return k + key[1] if isinstance(key, tuple) else index[int(key)]

    new_align = plan.alignment.copy()
    keep = mode == "update"
    if a.free_form:
        _set(new_align, a.n_units, a.account_index(), target.accounts, pos, keep)
    else:
        _set(new_align, 0, a.unit_index(), target.units, pos, keep)
        acc = new_align[a.n_units :]
        if not keep:
            acc[acc >= 0] = FOLLOW  # the file's pins replace the scenario's
        aidx = a.account_index()
        for aid in target.unpin:
            acc[aidx[aid]] = FOLLOW
        for aid, key in target.pins.items():
            acc[aidx[aid]] = pos(key)
    _check_losses(plan, new_align, report, mode)
    atoms = np.flatnonzero(new_align != plan.alignment)
    ms = MoveSet(atoms, plan.alignment[atoms], new_align[atoms], "import-territories", label)
    # Colours in use once the file's recolourings are done (a colour freed by one is free).
    used = [str(target.updates.get(int(t), {}).get("colour", c))
            for t, c in zip(a.territory_ids, a.territory_colours, strict=True)]  # fmt: skip
    nodes, parent_of = _hierarchy(plan, target)
    creates = []
    for j, spec in enumerate(target.new):
        colour = spec.get("colour") or next_colour(used)
        used.append(colour)
        creates.append(NewTerritory({"name": spec["name"], "colour": colour,
                                     "rep_id": spec.get("rep_id"),
                                     "parent_id": parent_of.get(("new", j)),
                                     "target_weight": 1.0, "locked": False}))  # fmt: skip
    updates = []
    for key, parent in parent_of.items():
        if not isinstance(key, tuple):
            target.updates.setdefault(int(key), {})["parent_id"] = parent
    for tid, after in target.updates.items():
        t = index[tid]
        par = a.territory_parent_ids[t]
        before = {"colour": str(a.territory_colours[t]),
                  "rep_id": int(a.territory_rep_ids[t]) if np.isfinite(a.territory_rep_ids[t])
                  else None, "parent_id": int(par) if np.isfinite(par) else None}  # fmt: skip
        changed = {key: v for key, v in after.items() if before[key] != v}
        if changed:
            updates.append(TerritoryUpdate(tid, {key: before[key] for key in changed}, changed))
    edit = Edit(
        "import-territories",
        label,
        ms,
        creates=tuple(creates),
        updates=tuple(updates),
        shapes=_shapes(plan, s, target, pos, keep),
        nodes=tuple(nodes),
    )
    report.extra["moved_atoms"] = len(ms)
    if not edit.is_empty():
        plan.apply(edit, session=s)


def _hierarchy(plan: Plan, target: Target) -> tuple[list[NodeChange], dict[Any, int | None]]:
    """Node changes for the file's district/region columns (nodes created under placeholder
    ids, or moved under the parent the file gives) and each territory key's parent."""
    by_name = {n.name.casefold(): n for n in plan.org.values()}
    made: dict[str, int] = {}
    changes: list[NodeChange] = []
    moved: set[int] = set()
    parent_of: dict[Any, int | None] = {}

    def node(level: str, name: str, parent: int | None) -> int:
        key = name.casefold()
        if key in made:
            return made[key]
        old = by_name.get(key)
        if old is None:
            made[key] = -(len(made) + 1)
            spec = {"name": name, "level": level, "colour": "#888888", "rep_id": None,
                    "parent_id": parent}  # fmt: skip
            changes.append(NodeChange(made[key], None, spec))
            return made[key]
        made[key] = old.id
        if old.parent_id != parent and old.id not in moved:
            moved.add(old.id)
            changes.append(NodeChange(old.id, {"parent_id": old.parent_id}, {"parent_id": parent}))
        return old.id

    for key, chain in target.hierarchy.items():
        parent: int | None = None
        for level, name in reversed(chain):  # top level first
            parent = node(level, name, parent)
        parent_of[key] = parent
    return changes, parent_of


def _set(
    align: np.ndarray,
    offset: int,
    index: Mapping[int, int],
    wanted: dict[int, Any],
    pos: Any,
    keep: bool,
) -> None:
    """Atoms of one kind to their wanted territory; the others unassigned unless kept."""
    part = align[offset : offset + len(index)]
    if not keep:
        part[:] = UNASSIGNED
    for db_id, key in wanted.items():
        part[index[db_id]] = pos(key)


def _check_losses(plan: Plan, new_align: np.ndarray, report: ImportReport, mode: str) -> None:
    """Refuse (mode "check") when atoms that have a territory would be left without one."""
    a = plan.atoms
    span = slice(a.n_units, None) if a.free_form else slice(0, a.n_units)
    lost = np.flatnonzero((plan.alignment[span] >= 0) & (new_align[span] == UNASSIGNED))
    what = "account(s)" if a.free_form else "unit(s)"
    report.extra["unassigned_now"] = len(lost)
    if not len(lost) or mode != "check":
        return
    codes = a.account_ext_ids if a.free_form else a.unit_codes
    some = ", ".join(str(c) for c in codes[lost[:5]]) + (", …" if len(lost) > 5 else "")
    total = int((plan.alignment[span] >= 0).sum())
    hint = (
        " (none of them lies in any territory of the file: are longitude and latitude swapped?)"
        if len(lost) == total
        else ""
    )
    raise report.refuse(
        f"{report.file} would leave {len(lost):,} of the {total:,} {what} that have a territory "
        f"without one ({some}){hint}; give --replace to make the file the whole plan, or "
        "--update to change only what it lists"
    )


def _shapes(
    plan: Plan, s: Session, target: Target, pos: Any, keep: bool
) -> tuple[ShapeChange, ...]:
    """Drawn polygons (free-form): the file's replace the scenario's (all of them, unless
    only updating)."""
    if not plan.atoms.free_form or (not target.shapes and keep):
        return ()
    old = dict(
        s.execute(
            select(TerritoryShape.territory_id, TerritoryShape.geometry).where(
                TerritoryShape.scenario_id == plan.scenario_id
            )
        ).all()
    )
    index = plan.atoms.territory_index()
    changes = {pos(key): wkb for key, wkb in target.shapes.items()}
    if not keep:
        for tid in old:
            if tid in index and index[tid] not in changes:
                changes[index[tid]] = None  # type: ignore[assignment]
    out = []
    for t, wkb in changes.items():
        before = old.get(int(plan.atoms.territory_ids[t])) if t < plan.atoms.n_territories else None
        if before != wkb:
            out.append(ShapeChange(t, before, wkb))
    return tuple(out)
