"""Auto-balance…: options dialog, the optimiser on a worker with progress and Cancel, and the
result opened as a new scenario with its impact (nothing goes live until it is published)."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QSpinBox,
    QWidget,
)

from planner.model.errors import PlannerError
from planner.model.optimize import OptimizeOptions, OptimizeResult, optimize
from planner.model.plan import Plan
from planner.model.progress import run_to_end
from planner.model.unit_metrics import available_metrics
from planner.ui import workers
from planner.ui._dialogs import ok_cancel

if TYPE_CHECKING:
    from planner.ui.main_window import MainWindow

METRIC_CHOICES = (("potential", "Potential"), ("workload_hours", "Workload"),
                  ("accounts", "Accounts"), ("revenue", "Revenue"),
                  ("pipeline", "Pipeline"))  # fmt: skip


class AutoBalanceDialog(QDialog):
    def __init__(self, plan: Plan, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Auto-balance")
        k = plan.atoms.n_territories
        form = QFormLayout(self)
        self.name = QLineEdit(f"{plan.name} (balanced)")
        form.addRow("New scenario", self.name)
        # Every balanceable metric, imported unit columns included, each with its tolerance.
        grid = QGridLayout()
        self.metrics: dict[str, QCheckBox] = {}
        self.tolerances: dict[str, QDoubleSpinBox] = {}
        labels = dict(METRIC_CHOICES)
        for row, m in enumerate(available_metrics(plan.project)):
            key = m["name"]
            cb = QCheckBox(labels.get(key, key))
            cb.setChecked(key in ("potential", "workload_hours"))
            tol = QDoubleSpinBox(suffix=" %", minimum=0.5, maximum=50.0, value=5.0)
            tol.setPrefix("± ")
            tol.setEnabled(cb.isChecked())
            cb.toggled.connect(tol.setEnabled)
            grid.addWidget(cb, row, 0)
            grid.addWidget(tol, row, 1)
            self.metrics[key] = cb
            self.tolerances[key] = tol
        form.addRow("Balance", grid)
        self.compactness = QComboBox()
        self.compactness.addItem("Fewest cut edges", "cut_edges")
        self.compactness.addItem("Least distance to centre (uses the whole time limit)",
                                 "dispersion")  # fmt: skip
        form.addRow("Compactness", self.compactness)
        # Dispersion's centre: the median unit (CTDP), or weighted by a metric.
        self.centre = QComboBox()
        self.centre.addItem("Median unit", "median")
        for key in self.metrics:
            self.centre.addItem(f"Weighted by {labels.get(key, key)}", f"weighted:{key}")
        self.centre.setEnabled(False)
        self.compactness.currentIndexChanged.connect(
            lambda: self.centre.setEnabled(self.compactness.currentData() == "dispersion")
        )
        form.addRow("Centre", self.centre)
        self.existing = QRadioButton(f"Improve the existing {k} territories")
        self.scratch = QRadioButton("Build from scratch:")
        self.existing.setChecked(True)
        self.k = QSpinBox(minimum=2, maximum=max(2, plan.atoms.n_units or 2), value=max(k, 2))
        mode = QHBoxLayout()
        for w in (self.existing, self.scratch, self.k):
            mode.addWidget(w)
        form.addRow("Territories", mode)
        self.limit_disruption = QCheckBox("at most")
        self.limit_disruption.setChecked(True)
        self.disruption = QDoubleSpinBox(suffix=" % of accounts", minimum=0.0, maximum=100.0,
                                         value=15.0)  # fmt: skip
        row = QHBoxLayout()
        row.addWidget(self.limit_disruption)
        row.addWidget(self.disruption)
        form.addRow("Change owner", row)
        used = plan.disruption()["accounts"]
        if used > 0:
            note = QLabel(
                f"This scenario already moves {used:.1%} of accounts away from the baseline; "
                "the limit counts from the baseline, so that share is already used."
            )
            note.setWordWrap(True)
            note.setTextFormat(Qt.TextFormat.PlainText)
            form.addRow("", note)
        self.time_limit = QSpinBox(suffix=" s", minimum=1, maximum=3600, value=30)
        form.addRow("Time limit", self.time_limit)
        self.seed = QSpinBox(minimum=0, maximum=1_000_000, value=0)
        form.addRow("Seed", self.seed)
        form.addRow(ok_cancel(self, "Run"))

    def options(self) -> OptimizeOptions:
        metrics = {k: 1.0 for k, cb in self.metrics.items() if cb.isChecked()}
        if not metrics:
            raise PlannerError("choose at least one metric to balance")
        scratch = self.scratch.isChecked()
        tolerances = {k: self.tolerances[k].value() / 100.0 for k in metrics}
        return OptimizeOptions(
            metrics=metrics,
            tolerance=min(tolerances.values()),
            tolerances=tolerances,
            objective=str(self.compactness.currentData()),
            centre=str(self.centre.currentData()),
            max_disruption=(self.disruption.value() / 100.0
                            if self.limit_disruption.isChecked() and not scratch else None),
            from_scratch=self.k.value() if scratch else None,
            time_limit=float(self.time_limit.value()),
            seed=self.seed.value(),
            cancel=threading.Event(),
        )  # fmt: skip


def cancellable(plan: Plan, opts: OptimizeOptions) -> Generator[Any, None, OptimizeResult]:
    """The optimiser as a job whose Cancel keeps the best valid alignment found so far."""
    if opts.cancel is None:
        opts = dataclasses.replace(opts, cancel=threading.Event())
    gen = optimize(plan, opts)
    try:
        while True:
            yield next(gen)
    except StopIteration as stop:
        return stop.value
    except workers.JobCancelled:
        opts.cancel.set()  # the optimiser checks it each round and returns its best
        return run_to_end(gen)


def budget_from_baseline(plan: Plan, opts: OptimizeOptions) -> OptimizeOptions:
    """The disruption limit counts from the baseline, not from the scenario the run starts
    from: chained 15 % runs reached 30 % against the baseline without a word. What the
    scenario already moves is taken off the budget; none left is refused, with the figures."""
    if opts.max_disruption is None:
        return opts
    used = plan.disruption()["accounts"]
    left = opts.max_disruption - used
    if left <= 1e-9:
        raise PlannerError(
            f"'{plan.name}' already moves {used:.1%} of accounts away from the baseline, which "
            f"uses up the {opts.max_disruption:.0%} limit; raise the limit or start from the "
            "baseline"
        )
    return dataclasses.replace(opts, max_disruption=left)


def run_auto_balance(w: MainWindow, opts: OptimizeOptions | None = None, name: str = "") -> Any:
    """Ask for options (unless given), run, save as a scenario and switch to it."""
    plan = w.plan
    if plan is None:
        return None
    try:
        if opts is None:
            dialog = AutoBalanceDialog(plan, w)
            if w._confirm(dialog) != QDialog.DialogCode.Accepted:
                return None
            opts = dialog.options()
            name = dialog.name.text().strip()
        opts = budget_from_baseline(plan, opts)
    except PlannerError as err:
        w._show_error(str(err))
        return None
    name = name or f"{plan.name} (balanced)"

    def done(result: OptimizeResult) -> None:
        from planner.model.optimize.project import save_as_scenario

        try:
            saved = save_as_scenario(plan.project, result, name, based_on=plan.scenario_id)
        except PlannerError as err:
            w._show_error(str(err))
            return
        w.switch_scenario(saved.scenario_id)
        w.show_dock("impact")
        note = " (cancelled: best found so far)" if result.cancelled else ""
        w.statusBar().showMessage(f"Auto-balance saved as scenario '{name}'{note}", 10000)

    from planner.ui.optimize_progress import ObjectiveHistory, OptimizeProgressDialog

    history = ObjectiveHistory()
    handle = workers.run_job(
        w, "Auto-balance", lambda: cancellable(plan, opts), on_done=done,
        on_error=lambda e: w._show_error(str(e) or repr(e)),
        dialog_factory=lambda parent: OptimizeProgressDialog(parent, history, opts.time_limit),
    )  # fmt: skip
    history.setParent(handle)  # lives as long as the run
    handle.progress.connect(history.record)  # before any Progress arrives (they are queued)
    return handle
