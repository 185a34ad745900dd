"""The Alerts dock: every alert of the scenario, the rules to tune them, and a CSV export.

Alerts are computed (planner.model.alerts), never stored: the Results dock re-evaluates them
after every edit and this dock shows what it has. Changing a threshold saves the rule set with
the project (shared in team mode) and re-evaluates at once.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from planner.model.alert_rules import AlertRules, load_rules, save_rules
from planner.model.alerts import RULES, AlertList
from planner.model.errors import PlannerError
from planner.model.io.alerts_export import write_alerts_csv
from planner.ui.frame_model import FrameModel, fit_columns
from planner.ui.impact_dock import _table as table_of
from planner.ui.results_dock import ResultsDock
from planner.ui.when_shown import FillWhenShown

#: Rule fields the dock edits: label, minimum, maximum, step, shown as percent.
FIELDS = {
    "behind_pace_pct": ("Behind pace by more than (%)", 0, 1000, 5, True),
    "capacity_margin": ("Workload above capacity by more than (%)", 0, 1000, 5, True),
    "top_share": ("Top accounts by potential (%)", 1, 100, 5, True),
    "unvisited_days": ("…not visited in (days)", 1, 3650, 15, False),
    "min_pipeline_coverage": ("Pipeline coverage below (x)", 0, 1000, 0.5, False),
    "book_loss_pct": ("Rep losing more than (%) of book", 0, 100, 5, True),
}


class AlertsDock(FillWhenShown, QWidget):
    countChanged = Signal(int)
    exported = Signal(str)
    error = Signal(str)

    def __init__(self, results: ResultsDock, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.results = results
        results.updated.connect(self.show_alerts)
        self.rule = QComboBox()
        self.rule.addItem("All alerts", "")
        for key, title in RULES.items():
            self.rule.addItem(title, key)
        self.rule.currentIndexChanged.connect(lambda _i: self.show_alerts())
        export = QPushButton("Export CSV…")
        export.clicked.connect(self._export)
        self.model = FrameModel()
        self.table, self._proxy = table_of(self.model)
        self.spins: dict[str, QDoubleSpinBox | QSpinBox] = {}
        form = QFormLayout()
        for key, (label, lo, hi, step, _pct) in FIELDS.items():
            spin: QDoubleSpinBox | QSpinBox = (
                QSpinBox() if key == "unvisited_days" else (QDoubleSpinBox())
            )
            spin.setRange(lo, hi)  # type: ignore[arg-type]
            spin.setSingleStep(step)  # type: ignore[arg-type]
            spin.setKeyboardTracking(False)
            self.spins[key] = spin
            form.addRow(label, spin)
        box = QGroupBox("Rules")
        box.setLayout(form)
        bar = QHBoxLayout()
        bar.addWidget(self.rule)
        bar.addStretch(1)
        bar.addWidget(export)
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(self.table, 1)
        lay.addWidget(box)
        self._loading = False
        for spin in self.spins.values():
            spin.valueChanged.connect(lambda _v: self._rules_changed())

    @property
    def alerts(self) -> AlertList | None:
        return self.results.alerts

    def show_alerts(self) -> None:
        """Fill the table and the rule boxes from the Results dock's current alerts; while the
        dock is hidden only the count goes out (the status bar shows it) and the table is
        filled when the dock is shown."""
        if self._defer():
            al = self.alerts
            self.countChanged.emit(al.total if al else 0)
            return
        plan = self.results.plan
        if plan is not None:
            self._loading = True
            rules = load_rules(plan.project)
            for key, (_l, _lo, _hi, _s, pct) in FIELDS.items():
                v = getattr(rules, key)
                self.spins[key].setValue(v * 100 if pct else v)
            self._loading = False
        al = self.alerts
        want = self.rule.currentData()
        rows = (
            []
            if al is None
            else [
                {
                    "Alert": RULES[r],
                    "Concerns": a.name,
                    "Territory": a.territory,
                    "Detail": a.message,
                }
                for r, items in al.items.items()
                if not want or r == want
                for a in items
            ]
        )
        self.model.set_frame(
            pd.DataFrame(rows, columns=["Alert", "Concerns", "Territory", "Detail"])
        )
        fit_columns(self.table, self.model)
        self.countChanged.emit(al.total if al else 0)

    def _fill_shown(self) -> None:
        self.show_alerts()

    def _rules_changed(self) -> None:
        plan = self.results.plan
        if self._loading or plan is None:
            return
        values = {}
        for key, (_l, _lo, _hi, _s, pct) in FIELDS.items():
            v = self.spins[key].value()
            values[key] = int(v) if key == "unvisited_days" else (v / 100 if pct else v)
        try:
            current = load_rules(plan.project)
            save_rules(plan.project, AlertRules(**{**current.to_json(), **values}))
        except PlannerError as err:
            self.error.emit(str(err))
            return
        self.results.set_rules()

    def _export(self) -> None:
        if self.alerts is None:
            return
        name, _ = QFileDialog.getSaveFileName(self, "Export alerts", "alerts.csv", "CSV (*.csv)")
        if name:
            self.export_to(Path(name))

    def export_to(self, path: Path) -> None:
        plan = self.results.plan
        try:
            from planner.model.io._output import protected

            guard = protected(None if plan is None else plan.project.path, [])
            out = write_alerts_csv(self.alerts, path, protect=guard)  # type: ignore[arg-type]
        except (OSError, PlannerError) as err:
            self.error.emit(str(err))
            return
        self.exported.emit(str(out))
