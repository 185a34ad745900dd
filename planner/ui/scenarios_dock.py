"""The Scenarios dock: list, create (copy), rename, delete, switch, publish, restore."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from planner.model import scenarios
from planner.model.errors import PlannerError
from planner.model.store import Project


class ScenariosDock(QWidget):
    switchRequested = Signal(int)  # scenario id
    publishRequested = Signal(int)
    changed = Signal()  # list changed (names, additions, deletions)
    error = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project: Project | None = None
        self.active_id: int | None = None
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Scenario", "Based on", "Edits", "Created"])
        self.tree.setRootIsDecorated(False)
        self.tree.itemDoubleClicked.connect(lambda item, _c: self._switch(item))
        buttons = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        actions = (
            ("new", "New copy…"),
            ("switch", "Switch to"),
            ("rename", "Rename…"),
            ("delete", "Delete"),
            ("publish", "Publish…"),
            ("restore", "Restore"),
        )
        for key, label in actions:
            b = QPushButton(label)
            b.clicked.connect(getattr(self, f"_{key}"))
            buttons.addWidget(b)
            self.buttons[key] = b
        lay = QVBoxLayout(self)
        lay.addWidget(self.tree)
        lay.addLayout(buttons)

    def set_project(self, project: Project, active_id: int) -> None:
        self.project, self.active_id = project, active_id
        self.refresh()

    def refresh(self) -> None:
        self.tree.clear()
        if self.project is None:
            return
        for row in scenarios.list_scenarios(self.project):
            tag = " (baseline)" if row["is_baseline"] else (
                " (snapshot)" if row["snapshot_of_baseline_at"] else "")  # fmt: skip
            item = QTreeWidgetItem([row["name"] + tag, row["based_on"] or "", str(row["edits"]),
                                    (row["created_at"] or "")[:16].replace("T", " ")])  # fmt: skip
            item.setData(0, Qt.ItemDataRole.UserRole, row)
            if row["id"] == self.active_id:
                font = item.font(0)
                font.setBold(True)
                item.setFont(0, font)
            self.tree.addTopLevelItem(item)
        for c in range(4):
            self.tree.resizeColumnToContents(c)

    def selected(self) -> dict | None:
        item = self.tree.currentItem()
        return None if item is None else item.data(0, Qt.ItemDataRole.UserRole)

    def _guard(self, action: object) -> bool:
        try:
            action()
        except PlannerError as err:
            self.error.emit(str(err))
            return False
        self.refresh()
        self.changed.emit()
        return True

    def _switch(self, item: QTreeWidgetItem | None = None) -> None:
        row = item.data(0, Qt.ItemDataRole.UserRole) if item else self.selected()
        if row is not None:
            self.switchRequested.emit(row["id"])

    def _new(self) -> None:
        src = self.selected() or {"id": self.active_id, "name": ""}
        name, ok = QInputDialog.getText(self, "New scenario", f"Copy of '{src['name']}' named:")
        if ok and name.strip():
            self._guard(lambda: scenarios.create_scenario(self.project, name.strip(),
                                                          based_on=src["id"]))  # fmt: skip

    def _rename(self) -> None:
        row = self.selected()
        if row is None:
            return
        name, ok = QInputDialog.getText(self, "Rename scenario", "Name:", text=row["name"])
        if ok and name.strip():
            self._guard(lambda: scenarios.rename_scenario(self.project, row["id"], name.strip()))

    def _delete(self) -> None:
        row = self.selected()
        if row is None:
            return
        if row["id"] == self.active_id:
            self.error.emit("switch to another scenario before deleting this one")
            return
        text = f"Delete scenario '{row['name']}' and its edit log?"
        answer = QMessageBox.question(self, "Delete scenario", text)
        if answer == QMessageBox.StandardButton.Yes:
            self._guard(lambda: scenarios.delete_scenario(self.project, row["id"]))

    def _publish(self) -> None:
        row = self.selected()
        if row is not None:
            self.publishRequested.emit(row["id"])

    def _restore(self) -> None:
        row = self.selected()
        if row is not None and self._guard(
            lambda: scenarios.restore_snapshot(self.project, row["id"])
        ):
            self.switchRequested.emit(self.project.baseline_id())
