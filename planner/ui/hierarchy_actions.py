"""The Territory menu's hierarchy commands: new district/region, rename, recolour, move, delete.

Each is a dialog and one builder of :mod:`planner.model.org`, applied through the workspace like
a rename (one undo step, logged, announced), so the balance tree, the quota dock and the map
follow the plan's change event. The node acted on is the hierarchy row selected in the balance
table; without one, the user picks it from a list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QComboBox,
    QDialog,
    QFormLayout,
    QInputDialog,
    QLineEdit,
    QWidget,
)

from planner.model import org
from planner.model.colours import PALETTE
from planner.model.edits import Edit
from planner.model.hierarchy import ROOT, Tree
from planner.ui._dialogs import ok_cancel
from planner.ui.territory_actions import apply_built

if TYPE_CHECKING:
    from planner.model.plan import Plan
    from planner.ui.workspace import MapWorkspace

TOP_LEVEL = "(top level)"


def node_choices(tree: Tree, exclude: int | None = None) -> list[tuple[str, int]]:
    """(indented label, id) of every node, parents first; ``exclude`` and what is under it
    left out (a node cannot go under itself)."""
    out = []
    for item in tree.walk():
        if tree.is_territory(item) or item == exclude:
            continue
        if exclude is not None and exclude in tree.ancestors(item):
            continue
        out.append(("    " * (tree.depth(item) - 1) + f"{tree.name(item)} ({tree.level(item)})",
                    item))  # fmt: skip
    return out


class NodeDialog(QDialog):
    """Name, level and parent of a new hierarchy node; optionally the active territory in it."""

    def __init__(self, plan: Plan, territory: str | None, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New district or region")
        tree = Tree.of_plan(plan)
        self.name = QLineEdit(self)
        self.level = QComboBox(self)
        self.level.setEditable(True)
        levels = [lv for lv in tree.levels() if lv != "territory"]
        for lv in [*levels, *(lv for lv in ("district", "region") if lv not in levels)]:
            self.level.addItem(lv)
        self.level.setCurrentText(levels[-1] if levels else "district")
        self.parent_box = QComboBox(self)
        self.parent_box.addItem(TOP_LEVEL, ROOT)
        for label, item in node_choices(tree):
            self.parent_box.addItem(label, item)
        self.take = QCheckBox(f"Put {territory} under it" if territory else "", self)
        self.take.setChecked(territory is not None)
        self.take.setVisible(territory is not None)
        form = QFormLayout(self)
        form.addRow("Name", self.name)
        form.addRow("Level", self.level)
        form.addRow("Under", self.parent_box)
        form.addRow("", self.take)
        form.addRow(ok_cancel(self, "Create"))


class HierarchyActions:
    """Hierarchy operations of the window; ``parent`` hosts the dialogs."""

    def __init__(
        self,
        parent: QWidget,
        workspace: MapWorkspace,
        show_error: Callable[[str], None],
        confirm: Callable[[str, str], bool],
    ) -> None:
        """``confirm(title, text)`` asks Yes/No (the Territory menu's own question box)."""
        self.parent = parent
        self.workspace = workspace
        self.show_error = show_error
        self.confirm = confirm
        #: The hierarchy node the user selected (the window points it at the balance table).
        self.selected_node: Callable[[], int | None] = lambda: None

    def _apply(self, build: Callable[[Plan], Edit]) -> bool:
        return apply_built(self.workspace.plan, build, self.workspace.apply, self.show_error)

    def _node(self, title: str) -> int | None:
        """The selected node, else one the user picks (None: no node, or cancelled)."""
        plan = self.workspace.plan
        if plan is None:
            return None
        chosen = self.selected_node()
        if chosen is not None and chosen in plan.org:
            return chosen
        choices = node_choices(Tree.of_plan(plan))
        if not choices:
            self.show_error("this scenario has no districts or regions yet: create one first")
            return None
        labels = [label for label, _ in choices]
        label, ok = QInputDialog.getItem(self.parent, title, "Node:", labels, 0, False)
        return choices[labels.index(label)][1] if ok else None

    # -- the menu ----------------------------------------------------------------------------
    def new_node(self) -> bool:
        plan = self.workspace.plan
        if plan is None:
            return False
        has = plan.atoms.n_territories > 0
        territory = plan.territory_label(self.workspace.active) if has else None
        dialog = NodeDialog(plan, territory, self.parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        tid = int(plan.atoms.territory_ids[self.workspace.active]) if territory else None
        children = [tid] if tid is not None and dialog.take.isChecked() else []
        used = {n.colour for n in plan.org.values()}
        colour = next((c for c in PALETTE if c not in used), PALETTE[0])
        name, level = dialog.name.text(), dialog.level.currentText()
        under = int(dialog.parent_box.currentData())
        return self._apply(lambda p: org.create_node(p, name, level, parent=under or None,
                                                     children=children, colour=colour))  # fmt: skip

    def rename_node(self) -> bool:
        node = self._node("Rename node")
        plan = self.workspace.plan
        if node is None or plan is None:
            return False
        old = plan.org[node].name
        name, ok = QInputDialog.getText(self.parent, "Rename node", "Name:", text=old)
        if not ok or name.strip() == old:
            return False
        return self._apply(lambda p: org.update_node(p, node, name=name))

    def recolour_node(self) -> bool:
        node = self._node("Recolour node")
        plan = self.workspace.plan
        if node is None or plan is None:
            return False
        colour = QColorDialog.getColor(QColor(plan.org[node].colour), self.parent, "Node colour")
        if not colour.isValid():
            return False
        return self._apply(lambda p: org.update_node(p, node, colour=colour.name()))

    def move_under(self) -> bool:
        """Put the selected node (else the active territory) under another node."""
        plan = self.workspace.plan
        if plan is None:
            return False
        tree = Tree.of_plan(plan)
        item = self.selected_node()
        if item is None or item not in plan.org:
            if not plan.atoms.n_territories:
                return False
            item = int(plan.atoms.territory_ids[self.workspace.active])
        choices = [(TOP_LEVEL, ROOT), *node_choices(tree, exclude=item)]
        labels = [label for label, _ in choices]
        current = next((i for i, (_, n) in enumerate(choices) if n == tree.parent(item)), 0)
        label, ok = QInputDialog.getItem(
            self.parent, "Move under", f"Put {tree.name(item)} under:", labels, current, False
        )
        if not ok:
            return False
        target = choices[labels.index(label)][1]
        return self._apply(lambda p: org.reparent(p, item, target or None))

    def delete_node(self) -> bool:
        node = self._node("Delete node")
        plan = self.workspace.plan
        if node is None or plan is None:
            return False
        n = plan.org[node]
        text = (f"Delete the {n.level} '{n.name}'? What is under it moves up one level. "
                "Undo (Ctrl+Z) brings it back.")  # fmt: skip
        return self.confirm("Delete node", text) and self._apply(lambda p: org.delete_node(p, node))
