"""Thin QUndoCommands: redo/undo call the model's MoveSet apply/undo (tested headless).

A command is pushed *after* its edit was applied (so a refused edit never reaches the stack):
the first ``redo()`` that QUndoStack.push makes is skipped. Steps restored from the edit log on
reopen are pushed the same way. If a later undo/redo is refused by the model (e.g. a colleague
changed the scenario), the command reports the error and marks itself obsolete.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QUndoCommand

from planner.model.errors import PlannerError
from planner.model.moves import MoveSet
from planner.model.plan import Plan
from planner.model.territories import update_territory

ErrorHandler = Callable[[str], None]


def effect_text(plan: Plan, before: dict[str, float], label: str, metric: str = "potential") -> str:
    """'label · max dev 12.1% → 8.3%' for the edit history."""
    after = plan.summary()["max_abs_deviation"][metric]
    return f"{label} · max dev {before[metric]:.1%} → {after:.1%}"


class MoveCommand(QUndoCommand):
    def __init__(
        self,
        plan: Plan,
        moveset: MoveSet,
        log_id: int | None,
        text: str,
        on_error: ErrorHandler | None = None,
    ) -> None:
        super().__init__(text)
        self.plan = plan
        self.moveset = moveset
        self.log_id = log_id
        self._on_error = on_error
        self._skip_redo = True

    def redo(self) -> None:
        if self._skip_redo:
            self._skip_redo = False
            return
        self._guard(lambda: setattr(self, "log_id", self.plan.apply(self.moveset)))

    def undo(self) -> None:
        self._guard(lambda: self.plan.undo(self.moveset, self.log_id))

    def _guard(self, action: Callable[[], Any]) -> None:
        try:
            action()
        except PlannerError as err:
            self.setObsolete(True)
            if self._on_error is not None:
                self._on_error(str(err))


class TerritoryEditCommand(QUndoCommand):
    """Rename, recolour, assign a rep: fields of one territory, applied before the push."""

    def __init__(
        self,
        plan: Plan,
        territory_id: int,
        fields: dict[str, Any],
        text: str,
        on_changed: Callable[[int], None],
    ) -> None:
        super().__init__(text)
        self.plan = plan
        self.territory_id = territory_id
        self.new = fields
        self._on_changed = on_changed
        # Applied now, so a refused edit (duplicate name...) raises before reaching the stack.
        self.old = update_territory(plan.project, territory_id, **fields)
        self._changed()
        self._skip_redo = True

    def _changed(self) -> None:
        self.plan.refresh_territories()
        self._on_changed(self.territory_id)

    def redo(self) -> None:
        if self._skip_redo:
            self._skip_redo = False
            return
        update_territory(self.plan.project, self.territory_id, **self.new)
        self._changed()

    def undo(self) -> None:
        update_territory(self.plan.project, self.territory_id, **self.old)
        self._changed()
