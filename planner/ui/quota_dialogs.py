"""The Allocate quota dialog: a total, from a node down, by a blend of measures, within guardrails.

Everything the user types is checked by the model (:func:`planner.model.quota.ops.allocate_edit`
names the field in its error); an error is shown in the dialog, which stays open with the
values as typed. After the allocation is applied (one undoable edit, through the window's
``apply``) the dialog shows the model's report of what the guardrails did and what was kept,
because a planner must see that a territory was capped before sending the numbers out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from planner.model.edits import Edit
from planner.model.errors import PlannerError
from planner.model.hierarchy import ROOT, Tree
from planner.model.quota import ops
from planner.model.quota.allocation import format_basis, parse_basis
from planner.model.quota.settings import normalise
from planner.model.quota.topdown import Outcome

if TYPE_CHECKING:
    from planner.model.plan import Plan

BASIS = (("even", "Even split"), ("revenue", "Last year's revenue"), ("potential", "Potential"),
         ("pipeline", "Open pipeline"))  # fmt: skip


def _percent_box(value: float | None, parent: QWidget) -> tuple[QCheckBox, QDoubleSpinBox]:
    box = QDoubleSpinBox(parent)
    box.setRange(-100.0, 1000.0)
    box.setDecimals(1)
    box.setSuffix(" %")
    check = QCheckBox(parent)
    check.setChecked(value is not None)
    box.setValue(0.0 if value is None else value * 100)
    box.setEnabled(value is not None)
    check.toggled.connect(box.setEnabled)
    return check, box


class AllocateDialog(QDialog):
    """Allocate a fiscal year's quota; ``apply(edit)`` makes it one step of the undo history."""

    def __init__(
        self, plan: Plan, apply: Callable[[Edit], bool], parent: QWidget | None = None,
        *, year: int | None = None, node: int = ROOT,
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self.setWindowTitle("Allocate quota")
        self.plan, self._apply = plan, apply
        self.applied = False
        year = year or plan.quotas.active_year() or _next_year()
        yp = plan.quotas.year(year)
        settings = normalise(yp.settings if yp is not None else None)
        form = QFormLayout()
        self.year = QSpinBox(self)
        self.year.setRange(1900, 2200)
        self.year.setValue(year)
        form.addRow("Fiscal year", self.year)
        self.total = QLineEdit(self)
        total = settings.get("total")
        if total is None:
            revenue = sum(r["revenue"] for r in plan.rows())
            total = round(revenue * 1.1) * 100
        self.total.setText(f"{total / 100:,.0f}")
        form.addRow("Total quota", self.total)
        self.node = QComboBox(self)
        tree = Tree.of_plan(plan)
        self.node.addItem(tree.name(ROOT), ROOT)
        for item in tree.walk():
            if not tree.is_territory(item):
                self.node.addItem("  " * (tree.depth(item) - 1) + tree.name(item), item)
        self.node.setCurrentIndex(max(self.node.findData(node), 0))
        form.addRow("Allocate from", self.node)
        weights = parse_basis(settings["basis"])
        self.weights: dict[str, QDoubleSpinBox] = {}
        for key, label in BASIS:
            box = QDoubleSpinBox(self)
            box.setRange(0.0, 100.0)
            box.setDecimals(2)
            box.setSingleStep(0.1)
            box.setValue(weights.get(key, 0.0))
            form.addRow(f"Weight of {label.lower()}", box)
            self.weights[key] = box
        self.min_check, self.min_growth = _percent_box(settings["min_growth"], self)
        self.max_check, self.max_growth = _percent_box(settings["max_growth"], self)
        for label, check, box in (("Minimum growth", self.min_check, self.min_growth),
                                  ("Maximum growth", self.max_check, self.max_growth)):  # fmt: skip
            row = QHBoxLayout()
            row.addWidget(check)
            row.addWidget(box, 1)
            form.addRow(label, row)
        self.preserve = QCheckBox("Keep the quotas adjusted by hand", self)
        self.preserve.setChecked(True)
        form.addRow("Adjustments", self.preserve)
        self.season = QComboBox(self)
        self.season.addItem("Flat (equal months)", "flat")
        self.season.addItem("From opportunity close dates", "opportunities")
        if settings["seasonality"] == "opportunities":
            self.season.setCurrentIndex(1)
        form.addRow("Seasonality", self.season)
        self.follow = QCheckBox("Quota follows accounts moved to another territory", self)
        self.follow.setChecked(bool(settings["follow"]))
        form.addRow("When accounts move", self.follow)
        self.error = QLabel(self)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b71c1c")
        self.report = QPlainTextEdit(self)
        self.report.setReadOnly(True)
        self.report.hide()
        self.allocate_button = QPushButton("Allocate", self)
        self.allocate_button.setDefault(True)
        self.allocate_button.clicked.connect(self.allocate)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.addButton(self.allocate_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.error)
        lay.addWidget(self.report, 1)
        lay.addWidget(self.buttons)

    def basis(self) -> str:
        return format_basis({k: box.value() for k, box in self.weights.items() if box.value()})

    def build(self) -> tuple[Edit, Outcome]:
        """The allocation as typed (PlannerError naming the field when something is wrong)."""
        basis = self.basis()
        if not basis:
            raise PlannerError("basis: the weights must add up to a positive number")
        low = self.min_growth.value() / 100 if self.min_check.isChecked() else None
        high = self.max_growth.value() / 100 if self.max_check.isChecked() else None
        # Guardrails go in the settings too: an unticked one must clear the plan's old value.
        settings = {"seasonality": self.season.currentData(), "follow": self.follow.isChecked(),
                    "min_growth": low, "max_growth": high}  # fmt: skip
        return ops.allocate_edit(
            self.plan, self.year.value(), ops.cents(self.total.text(), "total"),
            node=int(self.node.currentData()), basis=basis, min_growth=low, max_growth=high,
            preserve=self.preserve.isChecked(), settings=settings,
        )  # fmt: skip

    def allocate(self) -> bool:
        """Apply the allocation; show the report (or the error, and stay as typed)."""
        try:
            edit, outcome = self.build()
        except PlannerError as err:
            self.error.setText(str(err))
            return False
        self.error.setText("")
        if not edit.is_empty() and not self._apply(edit):
            self.error.setText("the allocation was not applied (see the status bar)")
            return False
        self.applied = True
        lines = outcome.report(Tree.of_plan(self.plan)) or [
            "Allocated: no guardrail was reached and no adjusted quota was kept."
        ]
        total = outcome.total / 100
        self.report.setPlainText(f"FY{self.year.value()}: {total:,.2f} allocated.\n" +
                                 "\n".join(lines))  # fmt: skip
        self.report.show()
        self.allocate_button.setEnabled(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Close")
        return True


def _next_year() -> int:
    import datetime as dt

    return dt.date.today().year + 1
