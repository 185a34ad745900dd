"""Scenarios: the baseline (the alignment in force) and named what-if copies of it.

A scenario's alignment is its ``Assignment``, ``Pin`` and ``TerritoryShape`` rows. Creating a
scenario copies those rows with ``INSERT ... SELECT`` inside the database (one statement per
table, no Python loop), so copying a 1M-account free-form scenario stays a matter of seconds.

Publishing makes a scenario the alignment in force without changing the baseline's id (other
scenarios' ``based_on_id`` and open Plans keep pointing at "the baseline"): in one transaction the
baseline's rows are first kept as a dated snapshot scenario, then replaced by the published
scenario's rows, and a :class:`~planner.model.schema.Publication` audit row records who, when,
the effective date and the impact summary the approver saw. Restoring a snapshot is a publish of
the snapshot (itself audited and itself snapshotting the current baseline), so nothing is ever
lost by publishing or restoring.

Every write to a scenario bumps ``Scenario.version`` (the optimistic-concurrency counter used by
:class:`~planner.model.plan.Plan`), so a Plan opened before a publish fails its next write with
:class:`~planner.model.plan.StaleScenario` instead of overwriting the new baseline.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import CursorResult, Integer, and_, delete, func, insert, literal, select, update
from sqlalchemy.orm import Session

from planner.model.errors import PlannerError
from planner.model.handover import generate_packets
from planner.model.impact import impact
from planner.model.io._json import finite
from planner.model.scenario_rows import resolve, scenario_id
from planner.model.schema import (
    Assignment,
    EditLog,
    Pin,
    Publication,
    Quota,
    QuotaPlan,
    Scenario,
    ScenarioNode,
    ScenarioTerritory,
    TerritoryShape,
    utcnow,
)
from planner.model.store import Project
from planner.model.users import current_user

__all__ = [
    "StalePublish", "create_scenario", "delete_scenario", "list_scenarios", "publications",
    "publish", "rename_scenario", "resolve", "restore_snapshot", "scenario_id",
]  # fmt: skip

#: The tables that make up one scenario's alignment, with their non-scenario columns.
_ALIGNMENT_TABLES: tuple[tuple[type, tuple[str, ...]], ...] = (
    (
        ScenarioTerritory,
        ("territory_id", "name", "colour", "rep_id", "parent_id", "target_weight", "locked"),
    ),
    (Assignment, ("atom_kind", "atom_id", "territory_id")),
    (Pin, ("account_id", "territory_id")),
    (TerritoryShape, ("territory_id", "geometry")),
    (ScenarioNode, ("node_id", "name", "level", "colour", "rep_id", "parent_id")),
    (QuotaPlan, ("fiscal_year", "settings")),
    (Quota, ("fiscal_year", "node_id", "month", "amount", "commitment", "adjusted", "note")),
)


class StalePublish(PlannerError):
    """The scenario changed after its impact was shown; publishing it would approve unseen edits."""


def list_scenarios(project: Project) -> list[dict[str, Any]]:
    """Every scenario, baseline first, then snapshots and named scenarios by creation.

    ``edits`` counts the applied (not undone) steps of the scenario's edit log.
    """
    with project.session() as s:
        edits = dict(
            s.execute(
                select(EditLog.scenario_id, func.count())
                .where(EditLog.undone.is_(False))
                .group_by(EditLog.scenario_id)
            ).all()
        )
        rows = s.scalars(select(Scenario).order_by(Scenario.is_baseline.desc(), Scenario.id)).all()
        names = {r.id: r.name for r in rows}
        return [
            {
                "id": r.id,
                "name": r.name,
                "is_baseline": bool(r.is_baseline),
                "based_on": names.get(r.based_on_id) if r.based_on_id else None,
                "description": r.description,
                "created_at": _iso(r.created_at),
                "created_by": r.created_by,
                "snapshot_of_baseline_at": _iso(r.snapshot_of_baseline_at),
                "version": r.version,
                "edits": int(edits.get(r.id, 0)),
            }
            for r in rows
        ]


def create_scenario(
    project: Project,
    name: str,
    *,
    based_on: int | str | None = None,
    description: str = "",
    user: str = "",
) -> int:
    """Copy the baseline (or ``based_on``) into a new scenario named ``name``; returns its id.

    The copy is independent: editing it never changes the original.
    """
    name = _valid_name(name)
    with project.transaction() as s:
        _check_free(s, name)
        src = resolve(s, based_on)
        row = Scenario(
            name=name,
            is_baseline=False,
            based_on_id=src.id,
            description=description,
            created_by=user or current_user(),
        )
        s.add(row)
        s.flush()
        _copy_alignment(s, src.id, row.id)
        return row.id


def rename_scenario(project: Project, scenario: int | str | None, new_name: str) -> None:
    """Rename a scenario (the baseline too); names stay unique."""
    new_name = _valid_name(new_name)
    with project.transaction() as s:
        row = resolve(s, scenario)
        if row.name == new_name:
            return
        _check_free(s, new_name)
        _bump(s, row.id, name=new_name)


def delete_scenario(project: Project, scenario: int | str) -> None:
    """Delete a scenario with its alignment and edit log; the baseline cannot be deleted."""
    with project.transaction() as s:
        row = resolve(s, scenario)
        if row.is_baseline:
            raise PlannerError(
                f"'{row.name}' is the baseline (the alignment in force) and cannot be deleted; "
                "publish another scenario to replace it"
            )
        sid = row.id
        for table, _ in _ALIGNMENT_TABLES:
            s.execute(delete(table).where(table.scenario_id == sid))  # type: ignore[attr-defined]
        s.execute(delete(EditLog).where(EditLog.scenario_id == sid))
        s.execute(delete(Scenario).where(Scenario.id == sid))


def publish(
    project: Project,
    scenario: int | str,
    *,
    user: str = "",
    effective_date: dt.date | None = None,
    summary: dict[str, Any] | None = None,
    scenario_version: int | None = None,
    handovers: bool = True,
) -> Publication:
    """Make ``scenario``'s alignment the baseline, keeping the old baseline as a snapshot.

    ``summary`` is the impact summary the approver saw (stored in the audit row); when omitted
    it is computed here. ``scenario_version``, when given, must still be the scenario's version:
    otherwise a colleague edited it after the impact was shown and :class:`StalePublish` is
    raised rather than approving edits nobody reviewed.

    With ``handovers`` (the rule for the window and the CLI alike) every account that changed
    hands gets its handover checklist, dated as published; they can be regenerated from the
    Handovers dock or ``planner handover`` if that step fails after the publish committed.
    """
    with project.session() as s:
        row = resolve(s, scenario)
        if row.is_baseline:
            raise PlannerError(f"'{row.name}' is already the baseline")
        sid, version = row.id, row.version
    if scenario_version is not None and scenario_version != version:
        raise StalePublish(
            f"scenario '{row.name}' changed since its impact was computed; review it again"
        )
    if summary is None:
        summary = impact(project, sid).to_json()["summary"]
    pub = _replace_baseline(
        project,
        sid,
        kind="publish",
        user=user,
        effective_date=effective_date,
        summary=summary,
        expected_version=version,
    )
    if handovers:
        generate_packets(project, sid, effective_date=effective_date or dt.date.today())
    return pub


def restore_snapshot(
    project: Project,
    snapshot: int | str,
    *,
    user: str = "",
    effective_date: dt.date | None = None,
) -> Publication:
    """Make a snapshot of an earlier baseline the baseline again (audited like a publish).

    The baseline being replaced is itself kept as a new snapshot, so a restore can be undone by
    restoring that one.
    """
    with project.session() as s:
        row = resolve(s, snapshot)
        if row.snapshot_of_baseline_at is None:
            raise PlannerError(
                f"'{row.name}' is not a snapshot of an earlier baseline; publish it instead"
            )
        sid, version, name = row.id, row.version, row.name
    return _replace_baseline(
        project,
        sid,
        kind="restore",
        user=user,
        effective_date=effective_date,
        summary={"restored_snapshot": name},
        expected_version=version,
    )


def publications(project: Project) -> list[dict[str, Any]]:
    """The audit trail of publishes and restores, oldest first."""
    with project.session() as s:
        names: dict[int | None, str] = dict(s.execute(select(Scenario.id, Scenario.name)).all())
        return [
            {
                "id": p.id,
                "at": _iso(p.at),
                "user": p.user,
                "effective_date": p.effective_date.isoformat() if p.effective_date else None,
                "scenario": names.get(p.scenario_id),
                "snapshot": names.get(p.snapshot_id),
                "summary": p.summary,
            }
            for p in s.scalars(select(Publication).order_by(Publication.id))
        ]


# -- internals ---------------------------------------------------------------------------------
def _replace_baseline(
    project: Project,
    source_id: int,
    *,
    kind: str,
    user: str,
    effective_date: dt.date | None,
    summary: dict[str, Any],
    expected_version: int,
) -> Publication:
    user = user or current_user()
    now = utcnow()
    with project.transaction() as s:
        checked = s.execute(
            update(Scenario)
            .where(and_(Scenario.id == source_id, Scenario.version == expected_version))
            .values(version=expected_version)  # a no-op write: locks and checks the row
        )
        if cast("CursorResult[Any]", checked).rowcount != 1:
            raise StalePublish("the scenario changed while publishing; review its impact again")
        base = resolve(s, None)
        base_id = base.id
        snap = Scenario(
            name=_snapshot_name(s, now),
            is_baseline=False,
            based_on_id=base_id,
            description=f"The baseline in force until {kind} at {_local(now)}",
            created_by=user,
            snapshot_of_baseline_at=now,
        )
        s.add(snap)
        s.flush()
        _copy_alignment(s, base_id, snap.id)
        # The old baseline's edit history describes the snapshot's alignment, not the new one:
        # move it along so the baseline's undo history starts fresh at the publish.
        s.execute(update(EditLog).where(EditLog.scenario_id == base_id).values(scenario_id=snap.id))
        for table, _ in _ALIGNMENT_TABLES:
            s.execute(delete(table).where(table.scenario_id == base_id))  # type: ignore[attr-defined]
        _copy_alignment(s, source_id, base_id)
        _bump(s, base_id)
        source_name = s.scalar(select(Scenario.name).where(Scenario.id == source_id))
        s.add(
            EditLog(
                scenario_id=base_id,
                user=user,
                kind=kind,
                label=f"{kind} '{source_name}' (previous baseline kept as '{snap.name}')",
                payload={},
            )
        )
        pub = Publication(
            scenario_id=source_id,
            snapshot_id=snap.id,
            at=now,
            user=user,
            effective_date=effective_date,
            summary={"kind": kind, **finite(summary)},  # PostgreSQL's json refuses NaN
        )
        s.add(pub)
        s.flush()
    return pub


def _copy_alignment(s: Session, src: int, dest: int) -> None:
    """INSERT ... SELECT of every alignment table from scenario ``src`` into ``dest``."""
    for table, cols in _ALIGNMENT_TABLES:
        t = table.__table__  # type: ignore[attr-defined]
        sel = select(literal(dest, Integer), *(t.c[c] for c in cols)).where(t.c.scenario_id == src)
        s.execute(insert(t).from_select(["scenario_id", *cols], sel))


def _bump(s: Session, sid: int, **values: Any) -> None:
    s.execute(
        update(Scenario).where(Scenario.id == sid).values(version=Scenario.version + 1, **values)
    )


def _valid_name(name: str) -> str:
    name = " ".join(str(name).split())
    if not name:
        raise PlannerError("a scenario needs a name")
    if len(name) > 200:
        raise PlannerError("scenario names are limited to 200 characters")
    return name


def _check_free(s: Session, name: str) -> None:
    if s.scalar(select(Scenario.id).where(Scenario.name == name)) is not None:
        raise PlannerError(f"a scenario named '{name}' already exists; choose another name")


def _snapshot_name(s: Session, at: dt.datetime) -> str:
    base = f"Baseline before {_local(at)}"
    name, n = base, 2
    while s.scalar(select(Scenario.id).where(Scenario.name == name)) is not None:
        name, n = f"{base} ({n})", n + 1
    return name


def _local(at: dt.datetime) -> str:
    return at.astimezone().strftime("%Y-%m-%d %H:%M")


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite returns naive datetimes for UTC-stored values
        value = value.replace(tzinfo=dt.UTC)
    return value.isoformat(timespec="seconds")
