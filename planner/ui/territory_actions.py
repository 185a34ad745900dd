"""The Territory menu: ask the user, build the Edit in the model, apply it through the workspace.

Each action is a dialog and one model builder (:mod:`planner.model.territories`); the edit is
applied like a lasso (one undo step, logged, announced), so nothing here refreshes widgets: they
follow the plan's change event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QColorDialog, QInputDialog, QMessageBox, QWidget

from planner.model import moves, territories
from planner.model.atoms import FOLLOW
from planner.model.edits import Edit
from planner.model.errors import PlannerError

if TYPE_CHECKING:
    from planner.model.plan import Plan
    from planner.ui.workspace import MapWorkspace


def apply_built(
    plan: Plan | None,
    build: Callable[[Plan], Edit],
    apply: Callable[[Edit], bool],
    show_error: Callable[[str], None],
) -> bool:
    """Build an Edit for ``plan`` and apply it (one undo step); a refused one (PlannerError)
    is shown and nothing is written; an edit that changes nothing is not applied."""
    if plan is None:
        return False
    try:
        edit = build(plan)
    except PlannerError as err:
        show_error(str(err))
        return False
    return not edit.is_empty() and apply(edit)


class TerritoryActions:
    """Territory operations of the window; ``parent`` hosts the dialogs."""

    def __init__(
        self,
        parent: QWidget,
        workspace: MapWorkspace,
        show_error: Callable[[str], None],
        selected_account: Callable[[], int | None],
    ) -> None:
        self.parent = parent
        self.workspace = workspace
        self.show_error = show_error
        self.selected_account = selected_account

    @property
    def plan(self) -> Plan | None:
        plan = self.workspace.plan
        return plan if plan is not None and plan.atoms.n_territories else None

    def _apply(self, build: Callable[[Plan], Edit]) -> bool:
        return apply_built(self.plan, build, self.workspace.apply, self.show_error)

    # -- the menu ------------------------------------------------------------------------------
    def new(self) -> bool:
        """An empty territory (draw or paint units into it next)."""
        plan = self.plan or self.workspace.plan
        if plan is None:
            return False
        name, ok = QInputDialog.getText(
            self.parent,
            "New territory",
            "Name:",
            text=territories.unique_name(plan, "New territory"),
        )
        return ok and self._apply(lambda p: territories.create(p, name))

    def rename(self) -> bool:
        plan, t = self.plan, self.workspace.active
        if plan is None:
            return False
        old = plan.territory_label(t)
        name, ok = QInputDialog.getText(self.parent, "Rename territory", "Name:", text=old)
        if not ok or name.strip() == old:
            return False
        return self._apply(lambda p: territories.rename(p, t, name))

    def recolour(self) -> bool:
        plan, t = self.plan, self.workspace.active
        if plan is None:
            return False
        old = QColor(str(plan.atoms.territory_colours[t]))
        colour = QColorDialog.getColor(old, self.parent, "Territory colour")
        if not colour.isValid():
            return False
        return self._apply(lambda p: territories.recolour(p, t, colour.name()))

    def recolour_for_contrast(self) -> bool:
        """Neighbouring territories get clearly different fills (one undoable step)."""
        from planner.model.geo import adjacency

        plan = self.plan
        if plan is None:
            return False
        graph, links = adjacency(self.workspace.unit_geometries)
        done = self._apply(lambda p: territories.recolour_for_contrast(p, graph, links))
        if not done:
            self.show_error("every pair of neighbouring territories already looks different")
        return done

    def assign_rep(self) -> bool:
        plan, t = self.plan, self.workspace.active
        if plan is None:
            return False
        reps = sorted(plan.atoms.rep_names.items(), key=lambda kv: kv[1])
        if not reps:
            self.show_error("the project has no reps")
            return False
        labels = ["(no rep)", *(name for _id, name in reps)]
        choice, ok = QInputDialog.getItem(self.parent, "Assign rep", "Rep:", labels, 0, False)
        if not ok:
            return False
        rep_id = None if choice == labels[0] else reps[labels.index(choice) - 1][0]
        return self._apply(lambda p: territories.assign_rep(p, t, rep_id))

    def toggle_lock(self) -> bool:
        plan, t = self.plan, self.workspace.active
        if plan is None:
            return False
        locked = not bool(plan.atoms.territory_locked[t])
        return self._apply(lambda p: territories.set_locked(p, t, locked))

    def merge(self) -> bool:
        plan, src = self.plan, self.workspace.active
        if plan is None or plan.atoms.n_territories < 2:
            return False
        names = [str(n) for i, n in enumerate(plan.atoms.territory_names) if i != src]
        target, ok = QInputDialog.getItem(
            self.parent, "Merge territory",
            f"Merge {plan.territory_label(src)} into:", names, 0, False,
        )  # fmt: skip
        if not ok:
            return False
        to = [str(n) for n in plan.atoms.territory_names].index(target)
        return self._apply(lambda p: territories.merge(p, src, to))

    def delete(self) -> bool:
        """Delete the active territory; its units become unassigned (undo brings all back)."""
        plan, t = self.plan, self.workspace.active
        if plan is None:
            return False
        name = plan.territory_label(t)
        accounts = int(plan.rows()[t]["accounts"])
        answer = self.confirm(
            "Delete territory",
            f"Delete '{name}'? Its {accounts:,} account(s) become unassigned. "
            "Undo (Ctrl+Z) brings it back.",
        )
        return answer and self._apply(lambda p: territories.delete(p, t))

    def confirm(self, title: str, text: str) -> bool:
        """A Yes/No question (tests answer it by replacing this method)."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=self.parent)
        box.setTextFormat(Qt.TextFormat.PlainText)  # names are user text
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        return box.exec() == QMessageBox.StandardButton.Yes

    def pin(self, on: bool) -> bool:
        account = self.selected_account()
        plan = self.workspace.plan
        if plan is None or account is None:
            self.show_error("click an account on the map (or find one with Ctrl+F) first")
            return False
        to = self.workspace.active if on else FOLLOW
        return self._apply(lambda p: Edit.of_moves(moves.for_pin(p, account, to)))
