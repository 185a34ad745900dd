"""The Impact dock: what the active scenario changes against the baseline (or any scenario).

Recomputed in memory from the two alignment vectors (``impact.compare``) a moment after each
edit, so it is live while planning; only the open-opportunity counts of moved accounts are
read from the project.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import cast

import numpy as np
from PySide6.QtCore import QSortFilterProxyModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from planner.model import scenarios
from planner.model.atoms import for_scenario, load_alignment
from planner.model.errors import PlannerError
from planner.model.impact import Impact, compare, open_opportunity_counts
from planner.model.io._output import check_output, protected
from planner.model.plan import Plan
from planner.model.quota.book import QuotaBook
from planner.model.quota.impact import QuotaImpact, quota_impact
from planner.ui.frame_model import RAW_ROLE, FrameModel
from planner.ui.when_shown import FillWhenShown

DEBOUNCE_MS = 250


def summary_text(imp: Impact) -> str:
    s = imp.summary
    mb, ma = s.balance_before["max_abs_deviation"], s.balance_after["max_abs_deviation"]
    return (
        f"{imp.scenario} vs {imp.against}: {s.accounts_moved:,} accounts move "
        f"({s.disruption['accounts']:.1%}), revenue {s.revenue_moved:,.0f} "
        f"({s.disruption['revenue']:.1%}), potential {s.potential_moved:,.0f} "
        f"({s.disruption['potential']:.1%}), {s.open_opportunities_moved} open opportunities · "
        f"max |dev| potential {mb['potential']:.1%} → {ma['potential']:.1%}, workload "
        f"{mb['workload_hours']:.1%} → {ma['workload_hours']:.1%} · "
        f"{s.reps_flagged} rep(s) flagged"
    )


def _table(model: FrameModel) -> tuple[QTableView, QSortFilterProxyModel]:
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setSortRole(RAW_ROLE)
    proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    proxy.setFilterKeyColumn(-1)
    view = QTableView()
    view.setModel(proxy)
    view.setSortingEnabled(True)
    view.verticalHeader().hide()
    return view, proxy


class ImpactDock(FillWhenShown, QWidget):
    highlightUnits = Signal(list)  # unit ids to outline on the map ([] clears)
    handoverRequested = Signal(list, int)  # account external ids, "against" scenario id
    baselineOutlines = Signal(object)  # alignment vector of the "against" scenario, or None
    error = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plan: Plan | None = None
        self.impact: Impact | None = None
        #: The quota changing hands with the moved accounts (None: no quota plan).
        self.quota: QuotaImpact | None = None
        self._against_quotas = QuotaBook()
        self._against_id: int | None = None
        self._against: np.ndarray | None = None
        self.against = QComboBox()
        self.against.currentIndexChanged.connect(lambda _i: self._choose_against())
        self.highlight = QCheckBox("Highlight changes on map")
        self.highlight.setChecked(True)
        self.highlight.toggled.connect(lambda _on: self._emit_map())
        self.outlines = QCheckBox("Show baseline outlines")
        self.outlines.toggled.connect(lambda _on: self._emit_map())
        handover = QPushButton("Handover packets…")
        handover.setToolTip("Checklists for the selected moved accounts (all if none selected)")
        handover.clicked.connect(self._request_handover)
        xlsx, pdf = QPushButton("Export XLSX…"), QPushButton("Export PDF…")
        xlsx.clicked.connect(lambda: self._export("xlsx"))
        pdf.clicked.connect(lambda: self._export("pdf"))
        top = QHBoxLayout()
        top.addWidget(QLabel("Against"))
        top.addWidget(self.against, 1)
        for w in (self.highlight, self.outlines, handover, xlsx, pdf):
            top.addWidget(w)
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)
        self.moved_model, self.territory_model, self.rep_model = (FrameModel() for _ in range(3))
        self.moved_view, self.moved_proxy = _table(self.moved_model)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter moved accounts (name, id, territory, rep)…")
        self.filter.textChanged.connect(self.moved_proxy.setFilterFixedString)
        moved = QWidget()
        ml = QVBoxLayout(moved)
        ml.setContentsMargins(0, 0, 0, 0)
        ml.addWidget(self.filter)
        ml.addWidget(self.moved_view)
        self.tabs = QTabWidget()
        self.tabs.addTab(moved, "Moved accounts")
        self.tabs.addTab(_table(self.territory_model)[0], "Territories")
        self.tabs.addTab(_table(self.rep_model)[0], "Reps")
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.summary)
        lay.addWidget(self.tabs, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.recompute)

    # -- wiring --------------------------------------------------------------------------------
    def set_plan(self, plan: Plan | None) -> None:
        if self.plan is not None:
            self.plan.changed.disconnect(self._schedule)
        self.plan = plan
        if plan is None:
            return
        plan.changed.connect(self._schedule)
        self.against.blockSignals(True)
        self.against.clear()
        for row in scenarios.list_scenarios(plan.project):
            self.against.addItem(row["name"], row["id"])
        base = self.against.findData(plan.project.baseline_id())
        self.against.setCurrentIndex(max(base, 0))
        self.against.blockSignals(False)
        self._choose_against()

    def _schedule(self, *_args: object) -> None:
        if not self._defer():  # hidden: recomputed when the dock is shown, no cost meanwhile
            self._timer.start()

    def _fill_shown(self) -> None:
        self._timer.start()

    def _choose_against(self) -> None:
        if self.plan is None or self.against.currentIndex() < 0:
            return
        self._against_id = int(self.against.currentData())
        self._against = None  # read when next computed (not while the dock is hidden)
        self._schedule()

    # -- computing -----------------------------------------------------------------------------
    def recompute(self) -> None:
        plan = self.plan
        if plan is None or self._against_id is None:
            return
        project = plan.project
        if self._against is None or self._against_id == plan.scenario_id:
            # The other scenario's own territories (names, reps) and alignment in their index.
            self._against_atoms = for_scenario(plan.atoms, project, self._against_id)
            self._against = load_alignment(project, self._against_atoms, self._against_id)
            self._against_quotas = QuotaBook.load(project, self._against_id)
        self.impact = compare(
            plan.atoms, self._against, plan.alignment, scenario=plan.name,
            against=self.against.currentText(),
            count_open=lambda ids: open_opportunity_counts(project, ids),
            before_atoms=self._against_atoms,
        )  # fmt: skip
        before = SimpleNamespace(atoms=self._against_atoms, alignment=self._against,
                                 quotas=self._against_quotas)  # fmt: skip
        self.quota = quota_impact(plan, cast("Plan", before), self.impact)
        text = summary_text(self.impact)
        moved = self.impact.moved
        if self.quota is not None:
            text += f" · FY{self.quota.year} quota changing hands {self.quota.total_moved:,.0f}"
            moved = moved.assign(quota_moved=self.quota.per_account)
        self.summary.setText(text)
        self.moved_model.set_frame(moved)
        self.territory_model.set_frame(self.impact.territories)
        self.rep_model.set_frame(self.impact.reps)
        self._emit_map()

    def _emit_map(self) -> None:
        if self.impact is None or self.plan is None:
            return
        units = self.plan.atoms.unit_ids[self.impact.moved_unit_index]
        self.highlightUnits.emit([int(u) for u in units] if self.highlight.isChecked() else [])
        self.baselineOutlines.emit(self._against if self.outlines.isChecked() else None)

    def selected_account_ids(self) -> list[str]:
        """External ids of the moved accounts selected in the table (all when none is)."""
        if self.impact is None:
            return []
        rows = {self.moved_proxy.mapToSource(i).row()
                for i in self.moved_view.selectionModel().selectedIndexes()}  # fmt: skip
        frame = self.impact.moved
        picked = frame.iloc[sorted(rows)] if rows else frame
        return [str(v) for v in picked["account_id"]]

    def _request_handover(self) -> None:
        if self.impact is not None and self._against_id is not None:
            self.handoverRequested.emit(self.selected_account_ids(), self._against_id)

    # -- export --------------------------------------------------------------------------------
    def _export(self, kind: str) -> None:
        if self.impact is None:
            return
        pattern = "Excel (*.xlsx)" if kind == "xlsx" else "PDF (*.pdf)"
        path, _ = QFileDialog.getSaveFileName(self, "Export impact report", "", pattern)
        if path:
            self.export(kind, Path(path))

    def export(self, kind: str, out: Path) -> Path | None:
        """The report as the CLI writes it: with the impact map (rendered offscreen from the
        map page) and the quota changing hands."""
        from planner.model.io.impact_report import impact_html, write_xlsx
        from planner.ui.report_maps import IMPACT_MAP, impact_map, png_bytes

        if self.impact is None or self.plan is None:
            return None
        try:
            check_output(out, protected(self.plan.project.path))  # before the map is drawn
            picture = impact_map(self.plan.project, self.impact)
            if kind == "xlsx":
                return write_xlsx(self.impact, out, quota=self.quota, map_png=png_bytes(picture))
            from planner.ui.printing import html_to_pdf

            html = impact_html(self.impact, map_image=IMPACT_MAP, quota=self.quota)
            return html_to_pdf(html, out, title="Impact report", header=self.impact.scenario,
                               landscape=True, images={IMPACT_MAP: picture})  # fmt: skip
        except (PlannerError, OSError) as err:
            self.error.emit(str(err))
            return None
