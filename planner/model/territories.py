"""Territory metadata edits (rename, recolour, assign a rep, create, delete).

These change Territory rows, not the alignment; each is one transaction. The Plan keeps its
arrays in step through :meth:`planner.model.plan.Plan.refresh_territories`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select

from planner.model.colours import next_colour
from planner.model.errors import PlannerError
from planner.model.schema import Assignment, Pin, Rep, Territory, TerritoryShape
from planner.model.store import Project

EDITABLE = ("name", "colour", "rep_id", "target_weight", "locked", "parent_id")


def update_territory(project: Project, territory_id: int, **fields: Any) -> dict[str, Any]:
    """Change fields of a territory; returns the previous values (for undo)."""
    bad = set(fields) - set(EDITABLE)
    if bad:
        raise PlannerError(f"cannot edit territory field(s): {', '.join(sorted(bad))}")
    with project.transaction() as s:
        t = s.get(Territory, territory_id)
        if t is None:
            raise PlannerError(f"territory {territory_id} no longer exists")
        if "name" in fields:
            name = str(fields["name"]).strip()
            if not name:
                raise PlannerError("a territory needs a name")
            clash = s.scalar(
                select(Territory.id).where(Territory.name == name, Territory.id != territory_id)
            )
            if clash is not None:
                raise PlannerError(f"a territory named '{name}' already exists")
            fields["name"] = name
        if fields.get("rep_id") is not None and s.get(Rep, fields["rep_id"]) is None:
            raise PlannerError(f"rep {fields['rep_id']} does not exist")
        old = {k: getattr(t, k) for k in fields}
        for k, v in fields.items():
            setattr(t, k, v)
    return old


def create_territory(
    project: Project,
    name: str,
    colour: str | None = None,
    rep_id: int | None = None,
    *,
    near: Iterable[str] = (),
) -> int:
    """A new empty territory; without ``colour`` it takes the palette colour used least,
    avoiding the colours ``near`` it (its neighbours on the map)."""
    name = name.strip()
    if not name:
        raise PlannerError("a territory needs a name")
    with project.transaction() as s:
        if s.scalar(select(Territory.id).where(Territory.name == name)) is not None:
            raise PlannerError(f"a territory named '{name}' already exists")
        if colour is None:
            colour = next_colour(s.scalars(select(Territory.colour)), near)
        t = Territory(name=name, colour=colour, rep_id=rep_id, level="territory")
        s.add(t)
        s.flush()
        return t.id


def delete_territory(project: Project, territory_id: int) -> None:
    """Delete a territory that no scenario uses (undo of a create)."""
    with project.transaction() as s:
        used = (
            s.scalar(select(func.count()).where(Assignment.territory_id == territory_id))
            + s.scalar(select(func.count()).where(Pin.territory_id == territory_id))
            + s.scalar(select(func.count()).where(TerritoryShape.territory_id == territory_id))
        )
        if used:
            raise PlannerError("the territory still holds units or accounts in some scenario")
        t = s.get(Territory, territory_id)
        if t is not None:
            s.delete(t)


def unique_name(project: Project, base: str) -> str:
    with project.session() as s:
        names = set(s.scalars(select(Territory.name)))
    if base not in names:
        return base
    n = 2
    while f"{base} {n}" in names:
        n += 1
    return f"{base} {n}"
