"""A scenario's edit history as people read it: who did what, when, and what it did to balance.

The undo order lives in the log (:mod:`planner.model.plan`); this module only reads it, for the
Edit history dock and ``planner history``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, true

from planner.model.edits import BARRIERS
from planner.model.schema import EditLog
from planner.model.store import Project


def scenario_history(
    project: Project, scenario_id: int, log_id: int | None = None
) -> list[dict[str, Any]]:
    """Every step of a scenario's log, oldest first (only step ``log_id`` when given).

    ``state`` is "applied", "undone" (can be redone) or "discarded" (undone, then a new edit
    replaced it); ``undoable`` is False for steps undo never crosses (publish, data imports).
    """
    with project.session() as s:
        rows = s.execute(
            select(
                EditLog.id, EditLog.at, EditLog.user, EditLog.kind, EditLog.label,
                EditLog.undone, EditLog.discarded, EditLog.effect,
            )
            .where(EditLog.scenario_id == scenario_id)
            .where(EditLog.id == log_id if log_id is not None else true())
            .order_by(EditLog.id)
        ).all()  # fmt: skip
    return [
        {
            "id": r.id,
            "at": r.at.isoformat(timespec="seconds") if r.at is not None else None,
            "user": r.user,
            "kind": r.kind,
            "label": r.label,
            "state": "discarded" if r.discarded else ("undone" if r.undone else "applied"),
            "undoable": r.kind not in BARRIERS,
            "effect": r.effect or {},
        }
        for r in rows
    ]


def effect_text(entry: dict[str, Any], metric: str = "potential") -> str:
    """'label · max dev 12.1% → 8.3%' for one history entry.

    The max |deviation| often stays where it is for a small edit (a far-away territory holds
    the maximum); the line then names the territories the step changed, with theirs.
    """
    effect = entry.get("effect") or {}
    label = str(entry.get("label", ""))
    mx = effect.get("max_abs_deviation", {})
    before, after = mx.get("before", {}).get(metric), mx.get("after", {}).get(metric)
    if before is None or after is None:
        return label
    if abs(after - before) >= 0.0005:
        return f"{label} · max dev {before:.1%} → {after:.1%}"
    parts = [
        f"{t['name']} {t['before'].get(metric, 0.0):+.1%} → {t['after'].get(metric, 0.0):+.1%}"
        for t in effect.get("territories", [])[:2]
        if abs(t["after"].get(metric, 0.0) - t["before"].get(metric, 0.0)) >= 0.0005
    ]
    return f"{label} · " + "; ".join(parts) if parts else f"{label} · balance unchanged"
