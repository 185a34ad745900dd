"""The Quota dock: the quota plan of a fiscal year as a tree, edited in place.

Rows come from :func:`planner.model.quota.ops.table` (the whole plan on top, then the
hierarchy). Every node shows its quota, the sum of its children and the gap between the two,
always (a manager's adjustment is not propagated, and hiding the difference would make the
numbers look consistent when they are not). Typing a quota sets an adjustment (marked ✎, kept
by a later allocation), typing a territory's commitment records it; both are one undoable
edit through the window's ``apply`` (the same path as a rename), so Ctrl+Z undoes them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStyledItemDelegate,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from planner.model.edits import Edit
from planner.model.events import PlanChange
from planner.model.hierarchy import ROOT
from planner.model.plan import Plan
from planner.model.quota import ops
from planner.model.quota.settings import month_labels, normalise
from planner.ui.balance_bars import RAW_ROLE
from planner.ui.balance_model import font
from planner.ui.numbers import compact, full
from planner.ui.territory_actions import apply_built
from planner.ui.tree_model import TOP, RowTreeModel, TreeMemory, fit_columns

_Index = QModelIndex | QPersistentModelIndex
#: Row id of the whole plan (the model's own ROOT, 0, is the tree's top level).
PLAN_ROW = 1 << 40
GAP = QColor("#ffe0b2")
FIXED = ("name", "quota", "children_sum", "gap", "commitment")
TITLES = {"name": "Node", "quota": "Quota", "children_sum": "Σ children", "gap": "Gap",
          "commitment": "Commitment"}  # fmt: skip


class _AmountEdit(QLineEdit):
    """The cell editor: Return, Enter and Esc are its own while it is open (the window binds
    them to apply and cancel a map preview, and a shortcut otherwise wins over the editor)."""

    KEYS = frozenset({Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape})

    def event(self, e: QEvent) -> bool:
        override = e.type() == QEvent.Type.ShortcutOverride
        if override and isinstance(e, QKeyEvent) and e.key() in self.KEYS:
            e.accept()
            return True
        return super().event(e)


class _AmountDelegate(QStyledItemDelegate):
    def createEditor(self, parent: QWidget, _option: Any, _index: Any) -> QWidget:
        return _AmountEdit(parent)


class QuotaTreeModel(RowTreeModel):
    """Quota rows of one fiscal year; ``editor(kind, node, text)`` applies an in-place edit."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.months = False
        self.labels: list[str] = []
        self.editor: Callable[[str, int, str], bool] = lambda _k, _n, _t: False
        self._set_keys()

    def _set_keys(self) -> None:
        periods = [f"m{i}" for i in range(12)] if self.months else [f"q{i}" for i in range(4)]
        self.keys = (*FIXED, *periods)

    def show(self, rows: list[dict[str, Any]], labels: list[str], months: bool) -> None:
        reset = months != self.months or labels != self.labels
        self.months, self.labels = months, labels
        self._set_keys()
        out = []
        for r in rows:
            r = dict(r)
            r["id"] = PLAN_ROW if r["id"] == ROOT else r["id"]
            r["parent"] = TOP if r["parent"] is None else (r["parent"] or PLAN_ROW)
            for i, v in enumerate(r["quarters"]):
                r[f"q{i}"] = v
            for i, v in enumerate(r["months"]):
                r[f"m{i}"] = v
            out.append(r)
        self.set_rows(out, reset=reset)

    @staticmethod
    def node(item: int) -> int:
        return ROOT if item == PLAN_ROW else item

    def flags(self, index: _Index) -> Qt.ItemFlag:
        base = super().flags(index)
        row = self.row_of(index)
        if row is None:
            return base
        key = self.keys[index.column()]
        if key == "quota" or (key == "commitment" and row["level"] == "territory"):
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        row = self.row_of(index)
        if row is None or role != Qt.ItemDataRole.EditRole:
            return False
        return self.editor(self.keys[index.column()], self.node(int(row["id"])), str(value))

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_of(index)
        if row is None:
            return None
        key = self.keys[index.column()]
        value = row.get(key)
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "name" or value is None:
                return "" if value is None else str(value)
            text = compact(value)
            return f"{text} ✎" if key == "quota" and row["adjusted"] else text
        if role == Qt.ItemDataRole.EditRole:
            return "" if value is None else f"{value:.2f}"
        if role == RAW_ROLE:
            return str(value).casefold() if key == "name" else value
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, key, value)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            side = Qt.AlignmentFlag.AlignLeft if key == "name" else Qt.AlignmentFlag.AlignRight
            return int(side | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.BackgroundRole and key == "gap" and value:
            return GAP
        if role == Qt.ItemDataRole.FontRole and key == "name" and row["level"] != "territory":
            return font(bold=True)
        return None

    def _tooltip(self, row: dict[str, Any], key: str, value: Any) -> str | None:
        name = row["name"]
        if key == "quota":
            text = f"{name} · quota {full(value, 2)}"
            if row["adjusted"]:
                text += " · adjusted by hand (kept when allocating again)"
            return text + (f" · {row['note']}" if row["note"] else "")
        if key == "gap" and value is not None:
            if not value:
                return f"{name}: its quota equals the sum of its children"
            more = "more" if value > 0 else "less"
            return f"{name}: its quota is {full(abs(value), 2)} {more} than the sum of its children"
        if key == "commitment" and row["level"] == "territory":
            return f"{name} · bottom-up commitment: type an amount (empty clears it)"
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.keys):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            key = self.keys[section]
            if key in TITLES:
                return TITLES[key]
            i = int(key[1:])
            return self.labels[i] if self.months else f"Q{i + 1}"
        return None


class QuotaDock(QWidget):
    """Year, quarters/months, Allocate…, Release adjustment, and the quota tree."""

    error = Signal(str)
    yearChanged = Signal(object)  # the fiscal year shown (int) or None

    def __init__(self, apply: Callable[[Edit], bool], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._apply = apply
        self._plan: Plan | None = None
        self.year_box = QComboBox(self)
        self.year_box.setToolTip("Fiscal year shown here and in the balance table")
        self.period_box = QComboBox(self)
        self.period_box.addItems(["Quarters", "Months"])
        self.allocate_button = QPushButton("Allocate…", self)
        self.release_button = QPushButton("Release adjustment", self)
        self.release_button.setToolTip("The selected node's quota is allocated again next time")
        # Two short rows: one wide row made the side column, and so the dock tabbed with this
        # one, wider than the default layout leaves it (the map shrank).
        top = QHBoxLayout()
        top.addWidget(QLabel("Fiscal year", self))
        top.addWidget(self.year_box)
        top.addWidget(self.period_box)
        top.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.allocate_button)
        buttons.addWidget(self.release_button)
        buttons.addStretch(1)
        self.model = QuotaTreeModel(self)
        self.model.editor = self._edit
        self.tree = QTreeView(self)
        self.tree.setModel(self.model)
        self.tree.setItemDelegate(_AmountDelegate(self.tree))
        self.tree.setUniformRowHeights(True)
        self.tree.setIndentation(10)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # Typing a number starts editing (F2 is the window's Rename).
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                  | QAbstractItemView.EditTrigger.AnyKeyPressed)  # fmt: skip
        self.memory = TreeMemory(self.tree, self.model)
        self.hint = QLabel(self)
        self.hint.setTextFormat(Qt.TextFormat.PlainText)
        self.hint.setWordWrap(True)
        self.hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addLayout(buttons)
        lay.addWidget(self.tree, 1)
        lay.addWidget(self.hint)
        self.year_box.activated.connect(lambda _i: self._on_year())
        self.period_box.currentIndexChanged.connect(lambda _i: self.refresh())
        self.allocate_button.clicked.connect(lambda: self.open_allocate())
        self.release_button.clicked.connect(self.release)
        self.tree.selectionModel().currentRowChanged.connect(lambda *_a: self._buttons())
        self.set_plan(None)

    # -- plan ----------------------------------------------------------------------------------
    @property
    def year(self) -> int | None:
        data = self.year_box.currentData()
        return None if data is None else int(data)

    def set_plan(self, plan: Plan | None) -> None:
        if self._plan is not None:
            self._plan.changed.disconnect(self._on_change)
        self._plan = plan
        if plan is not None:
            plan.changed.connect(self._on_change)
        self._fill_years()
        self.refresh()

    def _fill_years(self) -> None:
        plan = self._plan
        years = sorted(plan.quotas.years) if plan is not None else []
        want = self.year if self.year in years else None
        if want is None and plan is not None:
            want = plan.quota_year if plan.quota_year in years else plan.quotas.active_year()
        self.year_box.blockSignals(True)
        self.year_box.clear()
        for y in years:
            self.year_box.addItem(f"FY{y}", y)
        if not years:
            self.year_box.addItem("no quota plan", None)
        self.year_box.setCurrentIndex(max(self.year_box.findData(want), 0))
        self.year_box.blockSignals(False)

    def show_year(self, year: int) -> None:
        """Show a fiscal year's plan (here and in the balance table)."""
        self._fill_years()
        i = self.year_box.findData(year)
        if i >= 0 and i != self.year_box.currentIndex():
            self.year_box.setCurrentIndex(i)
            self._on_year()

    def _on_year(self) -> None:
        if self._plan is not None:
            self._plan.quota_year = self.year
        self.refresh()
        self.yearChanged.emit(self.year)

    def _on_change(self, change: PlanChange) -> None:
        if not shiboken6.isValid(self):
            return
        if change.edit is not None and change.edit.quota_plans:
            self._fill_years()
        self.refresh()

    def refresh(self) -> None:
        plan, year = self._plan, self.year
        months = self.period_box.currentIndex() == 1
        if plan is None or year is None or plan.quotas.year(year) is None:
            self.model.show([], [], months)
            self.hint.setText("No quota plan in this scenario: Allocate… makes one.")
            self._buttons()
            return
        settings = normalise(plan.quotas.years[year].settings)
        labels = month_labels(year, int(settings["start_month"]))
        first = self.model.rowCount() == 0 or months != self.model.months
        self.model.show(ops.table(plan, year), labels, months)
        if first:
            self.memory.restore()
            fit_columns(self.tree, self.model)
        self.hint.setText(
            "Type a quota to adjust it (✎, kept when allocating again) or a territory's "
            "commitment; Ctrl+Z undoes. Gap: a node's quota minus the sum of its children."
        )
        self._buttons()

    def _buttons(self) -> None:
        row = self.model.row_of(self.tree.currentIndex())
        self.release_button.setEnabled(bool(row and row["adjusted"]))
        self.allocate_button.setEnabled(self._plan is not None)

    # -- edits -----------------------------------------------------------------------------------
    def _run(self, build: Callable[[Plan], Edit]) -> bool:
        return apply_built(self._plan, build, self._apply, self.error.emit)

    def _edit(self, key: str, node: int, text: str) -> bool:
        year = self.year
        if year is None:
            return False
        if key == "quota":
            return self._run(lambda p: ops.adjust_edit(p, year, node, ops.cents(text, "quota")))
        amount = ops.cents(text, "commitment") if text.strip() else None
        return self._run(lambda p: ops.commitments_edit(p, year, {node: amount}))

    def selected_node(self) -> int | None:
        item = self.model.item_id(self.tree.currentIndex())
        return None if item is None else self.model.node(item)

    def release(self) -> bool:
        node, year = self.selected_node(), self.year
        if node is None or year is None:
            return False
        return self._run(lambda p: ops.clear_adjustment_edit(p, year, node))

    def open_allocate(self, *, modal: bool = True) -> Any:
        """The Allocate dialog (from the selected node); returns it (tests drive it)."""
        from planner.ui.quota_dialogs import AllocateDialog

        if self._plan is None:
            return None
        node = self.selected_node()
        node = ROOT if node is None or self._plan.territory_position(node) is not None else node

        def apply(edit: Edit) -> bool:
            done = self._apply(edit)
            if done:
                self.show_year(dialog.year.value())
            return done

        dialog = AllocateDialog(self._plan, apply, self, year=self.year, node=node)
        if modal:
            dialog.exec()
        else:
            dialog.show()
        return dialog
