"""The QUndoStack mirrors the plan's edit log; it never holds the undo order itself.

The model owns undo (DESIGN.md "an Edit is the unit of change"): :meth:`Plan.undo` and
:meth:`Plan.redo` replay the log. Each step in the window's history is a :class:`HistoryCommand`
whose ``undo()``/``redo()`` call those, naming the log row they expect, so the stack and the log
cannot drift apart silently: if they disagree (a colleague edited the scenario), the model
refuses and :class:`UndoMirror` rebuilds the stack from the log.

A command is pushed *after* its edit was applied (so a refused edit never reaches the stack): the
first ``redo()`` QUndoStack.push makes is skipped. Rebuilding pushes the applied steps the same
way, then the redoable ones, undone without calling the model (they are undone there already).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand, QUndoStack

from planner.model.errors import PlannerError
from planner.model.history import effect_text
from planner.model.plan import Plan

ErrorHandler = Callable[[str], None]


class HistoryCommand(QUndoCommand):
    """One step of the plan's log, shown with its effect on the balance."""

    def __init__(self, mirror: UndoMirror, log_id: int, text: str) -> None:
        super().__init__(text)
        self.mirror = mirror
        self.log_id = log_id
        self._skip_redo = True

    def redo(self) -> None:
        if self._skip_redo or self.mirror.syncing:
            self._skip_redo = False
            return
        self.mirror.replay("redo", self.log_id)

    def undo(self) -> None:
        if self.mirror.syncing:
            return
        self.mirror.replay("undo", self.log_id)


class UndoMirror:
    """Keeps a QUndoStack in step with one plan's edit log."""

    def __init__(self, stack: QUndoStack, on_error: ErrorHandler) -> None:
        self.stack = stack
        self.on_error = on_error
        self.plan: Plan | None = None
        self.metric = "potential"
        self.syncing = False

    def rebuild(self, plan: Plan) -> None:
        """The plan's history as the stack: applied steps, then the redoable ones."""
        self.plan = plan
        self.syncing = True
        try:
            self.stack.clear()
            history = [h for h in plan.history() if h["state"] != "discarded"]
            # Steps before the last barrier (a publish, a data import) cannot be undone.
            barrier = max((i for i, h in enumerate(history) if not h["undoable"]), default=-1)
            history = history[barrier + 1 :]
            redo = [h for h in history if h["state"] == "undone"]
            for h in [*(h for h in history if h["state"] == "applied"), *redo]:
                self.stack.push(HistoryCommand(self, int(h["id"]), effect_text(h, self.metric)))
            for _ in redo:
                self.stack.undo()
            self.stack.setClean()
        finally:
            self.syncing = False

    def applied(self, log_id: int | None) -> None:
        """A new edit was applied: its step goes on the stack (the redo steps are dropped)."""
        if log_id is None or self.plan is None:
            return
        entry = self.plan.history(log_id)
        text = effect_text(entry[0], self.metric) if entry else ""
        self.stack.push(HistoryCommand(self, log_id, text))

    def replay(self, action: str, log_id: int) -> None:
        if self.plan is None:
            return
        try:
            getattr(self.plan, action)(expect=log_id)
        except PlannerError as err:
            self.on_error(str(err))
            from PySide6.QtCore import QTimer

            # The stack is mid-undo/redo: rebuild once it has finished.
            QTimer.singleShot(0, lambda plan=self.plan: plan is not None and self.rebuild(plan))
