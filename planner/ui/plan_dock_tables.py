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
from planner.ui.when_shown import FillWhenShown


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


class PartnerList(FillWhenShown, QListWidget):
    """The project's partner accounts, checkable; the checked ones serve the territory.

    The list is built when it is first shown (the Strategy tab), not at every open: it sorts
    every partner account's name (seconds at 10M accounts with 500k partners). Until then, and
    for checked partners beyond the listed ones, the checked ids are kept as given."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._plan: Any = None
        self._given: list[int] = []
        self._filled = False

    def fill(self, plan: Any, checked: list[int]) -> None:
        self.clear()
        self._plan, self._given, self._filled = plan, [int(c) for c in checked], False
        if not self._defer():
            self._fill_shown()

    def _fill_shown(self) -> None:
        if self._plan is None:
            return
        self._filled = True
        for pid, name in partner_choices(self._plan.atoms):
            item = QListWidgetItem(str(name))  # a list item shows plain text, never markup
            item.setData(Qt.ItemDataRole.UserRole, int(pid))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            on = pid in self._given
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            self.addItem(item)

    def checked(self) -> list[int]:
        if not self._filled:
            return list(self._given)
        listed = [int(self.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(self.count())]
        ticked = [
            pid
            for i, pid in enumerate(listed)
            if self.item(i).checkState() == Qt.CheckState.Checked
        ]
        unseen = set(listed)
        return ticked + [pid for pid in self._given if pid not in unseen]


def partner_list() -> PartnerList:
    w = PartnerList()
    w.setMaximumHeight(120)
    return w
