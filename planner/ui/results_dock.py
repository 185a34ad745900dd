"""The Results dock: results per territory, rep or hierarchy level, with charts, live per edit.

Holds the scenario's :class:`~planner.model.results.Results` and the alert engine: after each
edit (debounced) the results follow the accounts that changed territory
(``Results.refresh``), the alerts are re-evaluated and ``updated`` tells the Alerts dock and
the status bar. The facts (bookings, opportunities, visits) are read once per project and kept
across scenario switches; :meth:`reload` reads them again (after an import).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pandas as pd
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from planner.model.alert_rules import load_rules
from planner.model.alerts import AlertEngine, AlertList
from planner.model.errors import PlannerError
from planner.model.io.actuals import import_actuals
from planner.model.plan import Plan
from planner.model.results import LEVELS, Results
from planner.model.results_colours import MEASURES, measure_fills
from planner.model.results_data import Facts, read_facts
from planner.ui import workers
from planner.ui.frame_model import FrameModel, fit_columns
from planner.ui.impact_dock import _table as table_of
from planner.ui.results_charts import AttainmentChart, FunnelChart, TrendChart
from planner.ui.when_shown import FillWhenShown

DEBOUNCE_MS = 200
COLUMNS = {
    "name": "Name",
    "rep": "Rep",
    "bookings": "Bookings",
    "partner_bookings": "Via partners",
    "quota": "Quota",
    "attainment": "Attainment",
    "pace_delta": "Ahead/behind",
    "pace_pct": "Pace",
    "yoy_growth": "Growth y/y",
    "win_rate": "Win rate",
    "avg_deal": "Avg deal",
    "pipeline": "Pipeline",
    "pipeline_coverage": "Pipeline cover",
    "penetration": "Penetration",
    "potential_won": "Potential won",
    "coverage": "Visited 90 d",
    "coverage_potential": "Visited (potential)",
}
PERCENT = {
    "attainment",
    "pace_pct",
    "yoy_growth",
    "win_rate",
    "penetration",
    "potential_won",
    "coverage",
    "coverage_potential",
}


def _read(
    project: Any, plan: Any, atoms: Any, alignment: Any, as_of: Any
) -> Generator[None, None, tuple[Facts, Results, AlertEngine]]:
    """The facts, the results and the alert engine from them, as a worker job (a generator
    that only returns): at 10M accounts the results' account columns and the engine's
    potential ranking take seconds too, so none of it runs on the GUI thread. ``alignment``
    is the plan's at the start (a copy: edits made meanwhile are followed when it is done);
    of ``plan`` only the project and scenario id are read."""
    facts = read_facts(project, atoms)
    results = Results(project, plan.scenario_id, atoms, alignment, as_of=as_of, facts=facts)
    return facts, results, AlertEngine(results, plan, load_rules(project))
    yield  # unreachable: it makes this function a generator for workers.run_job


def frame_of(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The table: money rounded, shares as percentages (sorting keeps the numbers)."""
    data = {}
    for key in COLUMNS:
        vals = [r.get(key, "") for r in rows]
        if key in PERCENT:
            vals = [None if v is None else round(v * 100, 1) for v in vals]
        elif key == "pipeline_coverage":
            vals = [None if v is None else round(v, 2) for v in vals]
        elif key not in ("name", "rep"):
            vals = [None if v is None else round(v) for v in vals]
        data[COLUMNS[key] + (" %" if key in PERCENT else "")] = vals
    return pd.DataFrame(data)


class ResultsDock(FillWhenShown, QWidget):
    updated = Signal()  # results and alerts are current
    fillsRequested = Signal(object, object)  # {territory id: colour} or None; legend rows
    error = Signal(str)
    message = Signal(str)  # status bar text (an import's outcome)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plan: Plan | None = None
        self.results: Results | None = None
        self.alerts: AlertList | None = None
        self.engine: AlertEngine | None = None
        self._facts: tuple[Any, Facts] | None = None
        self.level = QComboBox()
        for lv in LEVELS:
            self.level.addItem(lv.capitalize(), lv)
        self.level.currentIndexChanged.connect(lambda _i: self.show_rows())
        self.as_of = QDateEdit(dt.date.today())
        self.as_of.setCalendarPopup(True)
        self.as_of.setDisplayFormat("yyyy-MM-dd")
        self.as_of.dateChanged.connect(lambda _d: self.rebuild())
        self.colour = QComboBox()
        self.colour.addItem("Map: territory colours", "")
        for key, label in MEASURES.items():
            self.colour.addItem(f"Map: {label}", key)
        self.colour.currentIndexChanged.connect(lambda _i: self.push_fills())
        import_btn = QPushButton("Import actuals…")
        import_btn.setToolTip("Bookings per account and date from CSV or XLSX (all or nothing)")
        import_btn.clicked.connect(self._choose_import)
        reload_btn = QPushButton("Reload data")
        reload_btn.setToolTip("Read bookings, opportunities and visits again (after an import)")
        reload_btn.clicked.connect(self.reload)
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)
        self.model = FrameModel()
        self.table, self.proxy = table_of(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setMinimumHeight(140)  # a few rows stay visible however small the dock
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selected())
        self.attainment, self.funnel, self.trend = AttainmentChart(), FunnelChart(), TrendChart()
        tabs = QTabWidget()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.attainment)
        tabs.addTab(scroll, "Attainment and pace")
        tabs.addTab(self.funnel, "Funnel")
        tabs.addTab(self.trend, "Trend by month")
        bar = QHBoxLayout()
        for w in (
            QLabel("Level"),
            self.level,
            QLabel("As of"),
            self.as_of,
            self.colour,
            import_btn,
            reload_btn,
        ):
            bar.addWidget(w)
        bar.addStretch(1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(tabs)
        split.setSizes([300, 200])
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(self.summary)
        lay.addWidget(split, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._follow_edit)
        self._rows: list[dict[str, Any]] = []
        #: The map shows this dock's measure fills (so "none" must give the map back).
        self._colouring = False

    # -- plan ----------------------------------------------------------------------------------
    def set_plan(self, plan: Plan | None) -> None:
        if self.plan is not None:
            self.plan.changed.disconnect(self._schedule)
        self.plan = plan
        if plan is None:
            return
        plan.changed.connect(self._schedule)
        self.rebuild()

    def _choose_import(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Import actuals", "", "Tables (*.csv *.xlsx);;All files (*)"
        )
        if name:
            self.import_file(Path(name))

    def import_file(self, path: Path) -> None:
        """Import bookings (planner.model.io.actuals); a refused file changes nothing and its
        first problem is shown; the results are then read again."""
        if self.plan is None:
            return
        try:
            report = import_actuals(self.plan.project, path)
        except PlannerError as err:  # ImportRefused included: one line naming file/row/field
            self.error.emit(str(err))
            return
        self.message.emit(
            f"Imported {report.imported:,} bookings from {path.name}"
            f" ({report.updated:,} already there, replaced)"
        )
        self.reload()

    def reload(self) -> None:
        self._facts = None
        self.rebuild()

    def rebuild(self) -> None:
        """Results from scratch for the plan and the as-of date. The facts are read once per
        project, on the worker pool (millions of bookings take seconds): ``updated`` follows."""
        plan = self.plan
        if plan is None:
            return
        day = self.as_of.date().toPython()
        if self._facts is None or self._facts[0] is not plan.project:
            project, atoms, alignment = plan.project, plan.atoms, plan.alignment.copy()
            self.summary.setText("Reading bookings, opportunities and visits…")
            self._job = workers.run_job(
                self,
                "Reading results data",
                lambda: _read(project, plan, atoms, alignment, day),
                on_done=lambda got: self._got(project, *got),
                on_error=lambda err: self.error.emit(str(err)),
                cancellable=False,
            )
            return
        self.results = Results.of_plan(plan, as_of=day, facts=self._facts[1])  # type: ignore[arg-type]
        self.engine = AlertEngine(self.results, plan, load_rules(plan.project))
        self._evaluate()

    def _got(self, project: Any, facts: Facts, results: Results, engine: AlertEngine) -> None:
        plan = self.plan
        if plan is None or plan.project is not project:
            return
        self._facts = (project, facts)
        if results.scenario_id != plan.scenario_id or results.as_of != self.as_of.date().toPython():
            self.rebuild()  # another scenario or date meanwhile: from the facts now read
            return
        self.results, self.engine = results, engine
        self._follow_edit()  # edits made while it was built (or an import: from the facts)

    def set_rules(self) -> None:
        """The alert rules changed: a new engine, the same results."""
        if self.plan is not None and self.results is not None:
            self.engine = AlertEngine(self.results, self.plan, load_rules(self.plan.project))
            self._evaluate()

    def _schedule(self, _change: object = None) -> None:
        self._timer.start()

    def _follow_edit(self) -> None:
        if self.plan is None or self.results is None:
            return
        if self.results.project is not self.plan.project:
            self.rebuild()
            return
        if self.plan.atoms.n_accounts != self.results.atoms.n_accounts:
            self.rebuild()  # the accounts themselves changed (an import): start again
            return
        self.results.refresh(self.plan.atoms, self.plan.alignment)
        self.results.refresh_nodes()
        self._evaluate()

    def _evaluate(self) -> None:
        assert self.results is not None
        assert self.engine is not None
        assert self.plan is not None
        self.alerts = self.engine.evaluate(self.results, self.plan)
        self.show_rows()
        self.push_fills()
        self.updated.emit()

    # -- view ----------------------------------------------------------------------------------
    def show_rows(self) -> None:
        """The table, charts and summary from the results; while the dock is hidden (as it
        is by default) only marked to do when it is shown: refilling a table no one sees
        cost a 1M-account plan ~0.2 s after every edit."""
        res = self.results
        if res is None:
            return
        if self._defer():
            return
        level = str(self.level.currentData())
        self._rows = res.rows(level)
        self.model.set_frame(frame_of(self._rows))
        fit_columns(self.table, self.model)
        self.attainment.set_rows(self._rows)
        source = "closed-won opportunities" if res.facts.bookings_from_crm else "imported actuals"
        total = res.rows("plan")[0]
        att = total["attainment"]
        self.summary.setText(
            f"Fiscal year {res.fiscal_year} as of {res.as_of}: bookings "
            f"{total['bookings']:,.0f} ({source})"
            + (f", {att:.0%} of quota" if att is not None else ", no quota set")
            + f" · {self.alerts.total if self.alerts else 0:,} alerts"
        )
        self._selected()

    def _fill_shown(self) -> None:
        self.show_rows()

    def _selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        row = (
            self._rows[self.proxy.mapToSource(rows[0]).row()]
            if rows
            else (self._rows[0] if self._rows else None)
        )
        for chart in (self.funnel, self.trend):
            chart.set_rows([row] if row else [])

    def push_fills(self) -> None:
        """The map's fills by the chosen measure; with none chosen, the window's own
        colouring back, only if this dock had replaced it (results landing after the planner
        picked the region view must not undo it)."""
        key = self.colour.currentData()
        if not key or self.results is None:
            if self._colouring:
                self._colouring = False
                self.fillsRequested.emit(None, None)
            return
        fills, legend = measure_fills(self.results.rows("territory"), str(key))
        self._colouring = True
        self.fillsRequested.emit(fills, legend)
