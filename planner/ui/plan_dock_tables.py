"""Editable pieces of the Plan dock: a table of text rows with add/remove, and the partner
list. Cells are plain text items (never rich text): plan text is user text."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from planner.model.partners import partner_choices


class PlanTable(QWidget):
    """Rows of text cells; ``read_only`` columns are shown but not edited or returned."""

    def __init__(self, headers: tuple[str, ...], read_only: tuple[int, ...] = ()) -> None:
        super().__init__()
        self.read_only = read_only
        self.table = QTableWidget(0, len(headers))
        self.table.setHorizontalHeaderLabels(list(headers))
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().hide()
        add, remove = QPushButton("Add"), QPushButton("Remove")
        add.clicked.connect(lambda: self.set_rows([*self.rows(), [""] * self.editable]))
        remove.clicked.connect(self._remove)
        bar = QHBoxLayout()
        bar.addWidget(add)
        bar.addWidget(remove)
        bar.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.table)
        lay.addLayout(bar)

    @property
    def editable(self) -> int:
        return self.table.columnCount() - len(self.read_only)

    def set_rows(self, rows: list[list[Any]]) -> None:
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            for j in range(self.table.columnCount()):
                item = QTableWidgetItem("" if j >= len(row) or row[j] is None else str(row[j]))
                if j in self.read_only:
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(i, j, item)

    def rows(self) -> list[list[str]]:
        """Editable cells of the non-empty rows."""
        out = []
        for i in range(self.table.rowCount()):
            cells = [
                (self.table.item(i, j).text() if self.table.item(i, j) else "").strip()
                for j in range(self.table.columnCount())
                if j not in self.read_only
            ]
            if any(cells):
                out.append(cells)
        return out

    def _remove(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)
        for r in rows or [self.table.rowCount() - 1]:
            if r >= 0:
                self.table.removeRow(r)


class PartnerList(QListWidget):
    """The project's partner accounts, checkable; the checked ones serve the territory."""

    def fill(self, plan: Any, checked: list[int]) -> None:
        self.clear()
        rows = partner_choices(plan.atoms)
        for pid, name in rows:
            item = QListWidgetItem(str(name))
            item.setData(Qt.ItemDataRole.UserRole, int(pid))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if pid in checked else Qt.CheckState.Unchecked)
            self.addItem(item)

    def checked(self) -> list[int]:
        return [
            int(self.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(self.count())
            if self.item(i).checkState() == Qt.CheckState.Checked
        ]


def partner_list() -> PartnerList:
    w = PartnerList()
    w.setMaximumHeight(120)
    return w
