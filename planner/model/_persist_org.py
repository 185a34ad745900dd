"""The database side of an Edit's hierarchy nodes and quotas (planner.model.plan writes them).

Like territory updates, every change carries what it replaces and is refused when the project
no longer holds that (a colleague changed the node or the quota since): a stale quota plan gets
the same conflict as a stale scenario instead of a silent overwrite.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from planner.model.edits import Edit, NodeChange
from planner.model.errors import PlannerError
from planner.model.quota.book import QuotaCell
from planner.model.schema import Quota, QuotaPlan, ScenarioNode, ScenarioTerritory, Territory

MAX_NAME = 200


def create_nodes(s: Session, sid: int, edit: Edit) -> dict[int, int]:
    """Territory-table rows for nodes the edit creates under a placeholder (negative) id;
    returns placeholder -> id. Created nodes with a real id (a redo) keep it."""
    ids: dict[int, int] = {}
    for n in edit.nodes:
        if n.before is None and n.node_id < 0:
            spec = n.after or {}
            row = Territory(
                name=str(spec.get("name", "")),
                level=str(spec.get("level", "district")),
                colour=str(spec.get("colour", "#888888")),
            )
            s.add(row)
            s.flush()
            ids[n.node_id] = int(row.id)
    return ids


def write_nodes(s: Session, sid: int, edit: Edit, *, deletes: bool) -> None:
    """Creates and changes (``deletes=False``, before territory updates that may name them),
    or deletes (``deletes=True``, after the territories left them)."""
    for n in edit.nodes:
        if (n.after is None) != deletes:
            continue
        row = s.get(ScenarioNode, (sid, n.node_id))
        if n.before is None:
            if row is not None:
                raise PlannerError("this hierarchy node already exists; reload and try again")
            if s.get(Territory, n.node_id) is None:  # a redo after the row went: bring it back
                spec = n.after or {}
                s.add(Territory(id=n.node_id, name=spec["name"], level=spec["level"]))
                s.flush()
            _check_name(s, sid, n)
            s.add(ScenarioNode(scenario_id=sid, node_id=n.node_id, **_spec(n.after)))
            continue
        if row is None:
            raise PlannerError("this hierarchy node is no longer part of the scenario; reload")
        for key, value in n.before.items():
            if getattr(row, key) != value:
                raise PlannerError(f"the node's {key} changed since; reload and try again")
        if n.after is None:
            _check_unused(s, sid, n.node_id)
            s.delete(row)
        else:
            _check_name(s, sid, n)
            for key, value in n.after.items():
                setattr(row, key, value)
    s.flush()


def write_quotas(s: Session, sid: int, edit: Edit) -> None:
    """Quota cells (12 rows per cell) then plan settings, each checked against its before (a
    plan deleted takes its cells with it, so its cells are checked first)."""
    for q in edit.quotas:
        if _read_cell(s, sid, q.year, q.node) != q.before:
            raise PlannerError(
                f"the FY{q.year} quota of a territory or node changed since; reload and try again"
            )
        s.execute(
            delete(Quota).where(
                Quota.scenario_id == sid, Quota.fiscal_year == q.year, Quota.node_id == q.node
            )
        )
        if q.after is not None:
            s.execute(insert(Quota), _cell_rows(sid, q.year, q.node, q.after))
    for p in edit.quota_plans:
        row = s.get(QuotaPlan, (sid, p.year))
        current = None if row is None else dict(row.settings or {})
        if current != (None if p.before is None else dict(p.before)):
            raise PlannerError(f"the FY{p.year} quota plan changed since; reload and try again")
        if p.after is None:
            s.execute(delete(Quota).where(Quota.scenario_id == sid, Quota.fiscal_year == p.year))
            if row is not None:
                s.delete(row)
        elif row is None:
            s.add(QuotaPlan(scenario_id=sid, fiscal_year=p.year, settings=dict(p.after)))
        else:
            row.settings = dict(p.after)
        s.flush()
    s.flush()


def _cell_rows(sid: int, year: int, node: int, cell: QuotaCell) -> list[dict[str, Any]]:
    return [
        {
            "scenario_id": sid,
            "fiscal_year": year,
            "node_id": node,
            "month": m + 1,
            "amount": int(cell.months[m]),
            "commitment": None if cell.commitment is None else int(cell.commitment[m]),
            "adjusted": cell.adjusted,
            "note": cell.note if m == 0 else "",
        }
        for m in range(12)
    ]


def _read_cell(s: Session, sid: int, year: int, node: int) -> QuotaCell | None:
    rows = s.execute(
        select(Quota.month, Quota.amount, Quota.commitment, Quota.adjusted, Quota.note).where(
            Quota.scenario_id == sid, Quota.fiscal_year == year, Quota.node_id == node
        )
    ).all()
    if not rows:
        return None
    months: list[int] = [0] * 12
    commit: list[int | None] = [None] * 12
    adjusted, note = False, ""
    for month, amount, commitment, adj, text in rows:
        months[month - 1] = int(amount)
        commit[month - 1] = commitment
        adjusted, note = adjusted or bool(adj), note or (text or "")
    c = None if all(v is None for v in commit) else tuple(int(v or 0) for v in commit)
    return QuotaCell(tuple(months), c, adjusted, note)


def _spec(spec: Any) -> dict[str, Any]:
    return {k: spec[k] for k in ("name", "level", "colour", "rep_id", "parent_id") if k in spec}


def _check_name(s: Session, sid: int, n: NodeChange) -> None:
    name = str((n.after or {}).get("name", "")).strip()
    if "name" not in (n.after or {}):
        return
    if not name:
        raise PlannerError("a hierarchy node needs a name")
    if len(name) > MAX_NAME:
        raise PlannerError(f"node names are limited to {MAX_NAME} characters")
    clash = s.scalar(
        select(ScenarioNode.node_id).where(
            ScenarioNode.scenario_id == sid, ScenarioNode.name == name
        )
    )
    if clash is not None and clash != n.node_id:
        raise PlannerError(f"a node named '{name}' already exists in this scenario")


def _check_unused(s: Session, sid: int, node_id: int) -> None:
    """A node is deleted only once nothing hangs from it (the edit moves its children up)."""
    child = s.scalar(
        select(ScenarioTerritory.territory_id)
        .where(ScenarioTerritory.scenario_id == sid, ScenarioTerritory.parent_id == node_id)
        .limit(1)
    ) or s.scalar(
        select(ScenarioNode.node_id)
        .where(ScenarioNode.scenario_id == sid, ScenarioNode.parent_id == node_id)
        .limit(1)
    )
    if child is not None:
        raise PlannerError("a hierarchy node can only be deleted once nothing hangs from it")
