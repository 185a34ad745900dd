"""Typed, Qt-free change notifications (psygnal), carrying what changed.

A Plan announces every applied, undone or redone :class:`~planner.model.edits.Edit` with one
:class:`PlanChange`. Views refresh only what it names: the territories in ``touched`` (their
totals changed), the atoms of ``moveset`` (their territory changed) and, when
``territories_changed`` is set, the territory list itself (names, colours, reps, locks, or
territories created or deleted: indices may have shifted, so views holding indices re-read).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from planner.model.moves import MoveSet

if TYPE_CHECKING:
    from planner.model.edits import Edit


@dataclass(frozen=True, eq=False)
class PlanChange:
    #: The atom moves as they happened (for an undo: the inverse of the edit's moves).
    moveset: MoveSet
    #: True when this change undid an edit.
    undone: bool
    #: Territory indices (after the change) whose totals changed.
    touched: tuple[int, ...]
    #: EditLog row id of the step.
    log_id: int | None = None
    #: The edit (forward direction, index form before it was applied).
    edit: Edit | None = None
    #: "apply", "undo" or "redo".
    action: str = "apply"
    #: Territories were created, deleted or changed attributes: re-read the territory list.
    territories_changed: bool = False
    #: Database ids of the territories created, deleted or updated by this change.
    territory_ids: tuple[int, ...] = ()
