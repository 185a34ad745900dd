"""Writing one Edit to the project: the version check, territory rows, alignment rows, the log.

Everything here runs inside the caller's transaction (:meth:`Project.transaction`), so an Edit
is written completely or not at all. Split out of plan.py, which keeps the in-memory side.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import CursorResult, and_, delete, insert, select, update
from sqlalchemy.orm import Session

from planner.model import atom_cache
from planner.model.atoms import FOLLOW, AtomData
from planner.model.edits import ATTRIBUTES, Edit
from planner.model.errors import PlannerError
from planner.model.schema import (
    Assignment,
    EditLog,
    Pin,
    Scenario,
    ScenarioTerritory,
    Territory,
    TerritoryShape,
)

_CHUNK = 5000  # SQLite variable limit safety for IN (...) lists


class StaleScenario(PlannerError):
    """Someone else changed the scenario since it was loaded."""


def bump_version(s: Session, sid: int, version: int, name: str) -> None:
    """Take the scenario from ``version`` to ``version + 1`` or raise StaleScenario."""
    # an UPDATE gives a CursorResult (Session.execute is typed for any statement)
    result = s.execute(
        update(Scenario)
        .where(and_(Scenario.id == sid, Scenario.version == version))
        .values(version=version + 1)
    )
    bumped = cast("CursorResult[Any]", result).rowcount
    if bumped != 1:
        raise StaleScenario(stale_message(s, sid, name))


def stale_message(s: Session, sid: int, name: str) -> str:
    last = s.execute(
        select(EditLog.user, EditLog.at, EditLog.label)
        .where(EditLog.scenario_id == sid)
        .order_by(EditLog.id.desc())
        .limit(1)
    ).first()
    who = (
        f"{last.user or 'someone'} at {last.at:%Y-%m-%d %H:%M} ({last.label})"
        if last
        else "someone"
    )
    return f"scenario '{name}' was changed by {who} since you opened it; reload to see the changes"


# -- territories -------------------------------------------------------------------------------
def create_territories(s: Session, sid: int, edit: Edit) -> list[int]:
    """Territory rows for the edit's new territories (or the ids they had: a redo), and their
    rows in this scenario; returns the ids in order."""
    ids = []
    for new in edit.creates:
        spec = dict(new.spec)
        _check_name(s, sid, str(spec["name"]), None)
        tid = new.territory_id
        if tid is None or s.get(Territory, tid) is None:
            row = Territory(
                id=tid,
                name=spec["name"],
                colour=spec.get("colour", "#888888"),
                level="territory",
                rep_id=spec.get("rep_id"),
            )
            s.add(row)
            s.flush()
            tid = row.id
        s.add(ScenarioTerritory(scenario_id=sid, territory_id=tid, **_full(spec)))
        ids.append(int(tid))
    s.flush()
    return ids


def update_territories(s: Session, sid: int, edit: Edit) -> None:
    for u in edit.updates:
        row = s.get(ScenarioTerritory, (sid, u.territory_id))
        if row is None:
            raise PlannerError("this territory is no longer part of the scenario")
        for key, value in u.before.items():
            if _differs(getattr(row, key), value):
                raise PlannerError(f"the territory's {key} changed since; reload and try again")
        if "name" in u.after:
            _check_name(s, sid, str(u.after["name"]), u.territory_id)
        for key, value in u.after.items():
            setattr(row, key, value)
    s.flush()


def delete_territories(s: Session, sid: int, edit: Edit) -> None:
    for d in edit.deletes:
        held = s.scalar(
            select(Assignment.atom_id)
            .where(Assignment.scenario_id == sid, Assignment.territory_id == d.territory_id)
            .limit(1)
        ) or s.scalar(
            select(Pin.account_id)
            .where(Pin.scenario_id == sid, Pin.territory_id == d.territory_id)
            .limit(1)
        )
        if held is not None:
            raise PlannerError("a territory can only be deleted once it holds nothing")
        s.execute(
            delete(ScenarioTerritory).where(
                ScenarioTerritory.scenario_id == sid,
                ScenarioTerritory.territory_id == d.territory_id,
            )
        )


def _check_name(s: Session, sid: int, name: str, territory_id: int | None) -> None:
    name = name.strip()
    if not name:
        raise PlannerError("a territory needs a name")
    if len(name) > 200:
        raise PlannerError("territory names are limited to 200 characters")
    clash = s.scalar(
        select(ScenarioTerritory.territory_id).where(
            ScenarioTerritory.scenario_id == sid, ScenarioTerritory.name == name
        )
    )
    if clash is not None and clash != territory_id:
        raise PlannerError(f"a territory named '{name}' already exists in this scenario")


def _full(spec: Mapping[str, Any]) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "colour": "#888888",
        "rep_id": None,
        "parent_id": None,
        "target_weight": 1.0,
        "locked": False,
    }
    return {k: spec.get(k, defaults.get(k)) for k in ATTRIBUTES}


def _differs(stored: Any, expected: Any) -> bool:
    if isinstance(stored, float) or isinstance(expected, float):
        try:
            return not np.isclose(float(stored), float(expected))
        except (TypeError, ValueError):
            return bool(stored != expected)
    return bool(stored != expected)


def write_shapes(s: Session, sid: int, edit: Edit, territory_ids: Sequence[int]) -> None:
    """Drawn polygons of free-form territories: each change replaces the stored one."""
    for change in edit.shapes:
        tid = int(territory_ids[change.territory])
        s.execute(
            delete(TerritoryShape).where(
                TerritoryShape.scenario_id == sid, TerritoryShape.territory_id == tid
            )
        )
        if change.after is not None:
            s.add(TerritoryShape(scenario_id=sid, territory_id=tid, geometry=change.after))
    s.flush()


# -- alignment ---------------------------------------------------------------------------------
def write_alignment(
    s: Session,
    sid: int,
    a: AtomData,
    atoms: NDArray[np.int64],
    values: NDArray[np.int32],
    territory_ids: Sequence[int],
) -> None:
    """Store ``alignment[atoms] = values`` (indices into ``territory_ids``) for scenario sid."""
    tid = territory_ids
    is_unit = atoms < a.n_units

    def terr(v: int) -> int | None:
        return int(tid[v]) if v >= 0 else None

    unit_rows: list[dict[str, Any]] = [
        {"scenario_id": sid, "atom_kind": "unit", "atom_id": int(a.unit_ids[u]),
         "territory_id": terr(int(v))}
        for u, v in zip(atoms[is_unit], values[is_unit], strict=True)
    ]  # fmt: skip
    _replace(s, sid, Assignment, "unit", [r["atom_id"] for r in unit_rows], unit_rows)
    acc, vals = atoms[~is_unit] - a.n_units, values[~is_unit]
    acc_ids = [int(a.account_ids[i]) for i in acc]
    if a.free_form:
        rows = [
            {"scenario_id": sid, "atom_kind": "account", "atom_id": aid,
             "territory_id": terr(int(v))}
            for aid, v in zip(acc_ids, vals, strict=True)
        ]  # fmt: skip
        _replace(s, sid, Assignment, "account", acc_ids, rows)
    else:
        pins = [
            {"scenario_id": sid, "account_id": aid, "territory_id": terr(int(v))}
            for aid, v in zip(acc_ids, vals, strict=True)
            if v >= 0 and v != FOLLOW
        ]
        _replace(s, sid, Pin, None, acc_ids, pins)


def _replace(
    s: Session,
    sid: int,
    table: type,
    kind: str | None,
    ids: list[int],
    rows: list[dict[str, Any]],
) -> None:
    if not ids:
        return
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
        if table is Pin:
            s.execute(delete(Pin).where(Pin.scenario_id == sid, Pin.account_id.in_(chunk)))
        else:
            s.execute(
                delete(Assignment).where(
                    Assignment.scenario_id == sid,
                    Assignment.atom_kind == kind,
                    Assignment.atom_id.in_(chunk),
                )
            )
    if rows:
        s.execute(insert(table), rows)


# -- the log -----------------------------------------------------------------------------------
def log_edit(
    s: Session, sid: int, user: str, edit: Edit, payload: dict[str, Any], effect: dict[str, Any]
) -> int:
    """A new applied step; undone steps that could still be redone can no longer be."""
    s.execute(
        update(EditLog)
        .where(EditLog.scenario_id == sid, EditLog.undone.is_(True))
        .values(discarded=True)
    )
    entry = EditLog(
        scenario_id=sid, user=user, kind=edit.kind, label=edit.label, payload=payload, effect=effect
    )
    s.add(entry)
    s.flush()
    return int(entry.id)


def log_data_change(s: Session, user: str, kind: str, label: str) -> None:
    """The project's data changed under every scenario (accounts, units or open pipeline
    imported): each scenario's version moves on, so a planner who has one open is told to
    reload instead of writing over it (and undoing across it), and each history records the
    import as a step undo does not cross (its kind is in edits.BARRIERS)."""
    atom_cache.invalidate(s)  # the arrays a project opens with are rebuilt from the tables
    for sid in s.scalars(select(Scenario.id)).all():
        s.execute(update(Scenario).where(Scenario.id == sid).values(version=Scenario.version + 1))
        s.execute(
            update(EditLog)
            .where(EditLog.scenario_id == sid, EditLog.undone.is_(True))
            .values(discarded=True)
        )
        s.add(EditLog(scenario_id=sid, user=user, kind=kind, label=label, payload={}))
    s.flush()


def mark(s: Session, log_id: int, *, undone: bool) -> None:
    s.execute(update(EditLog).where(EditLog.id == log_id).values(undone=undone))


def next_step(s: Session, sid: int, action: str) -> EditLog | None:
    """The log row an undo (latest applied) or a redo (oldest redoable) would replay."""
    if action == "undo":
        row = s.scalar(
            select(EditLog)
            .where(EditLog.scenario_id == sid, EditLog.undone.is_(False))
            .order_by(EditLog.id.desc())
            .limit(1)
        )
    else:
        row = s.scalar(
            select(EditLog)
            .where(
                EditLog.scenario_id == sid,
                EditLog.undone.is_(True),
                EditLog.discarded.is_(False),
            )
            .order_by(EditLog.id)
            .limit(1)
        )
    return row
