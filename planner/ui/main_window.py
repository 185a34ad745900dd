"""The main window: the map in the centre, docks around it, menus, toolbar, status bar.

Wiring only: edits go through :class:`~planner.ui.workspace.MapWorkspace`, figures come from
the Plan, every dock takes the plan and subscribes to its change events itself.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QUndoStack
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QFrame,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QUndoView,
    QVBoxLayout,
    QWidget,
)

from planner.model.errors import PlannerError
from planner.model.plan import Plan
from planner.model.progress import run_to_end
from planner.model.store import Project
from planner.ui import actions, workers
from planner.ui.account_panel import AccountPanel
from planner.ui.balance_chart import BalanceChart
from planner.ui.balance_table import BalanceDock
from planner.ui.handover_dock import HandoverDock
from planner.ui.impact_dock import ImpactDock
from planner.ui.layers_panel import LayersPanel
from planner.ui.map.view import MapView
from planner.ui.preview_bar import PreviewBar
from planner.ui.scenario_mixin import ScenarioMixin
from planner.ui.scenarios_dock import ScenariosDock
from planner.ui.workspace import MapWorkspace

MAX_RECENT = 8
LAYOUT_VERSION = 4  # bump when docks change, so an older saved layout is not restored


#: Docks whose content is wider than a side column; tabified with narrow ones, they would set
#: the width of the whole side (the map came out ~500 px wide in a 1600 px window).
WIDE_DOCKS = frozenset({"scenarios", "handovers", "layers"})


class MainWindow(ScenarioMixin, QMainWindow):
    map_rendered = Signal()
    planChanged = Signal(object)  # the new Plan after open / scenario switch

    def __init__(self, *, page_dir: Path | None = None, remember_layout: bool = True) -> None:
        """``remember_layout=False`` (snapshots) uses the default layout and leaves the saved
        one alone, so a snapshot looks the same on every machine."""
        super().__init__()
        self._remember_layout = remember_layout
        self.setWindowTitle("Territory Planner")
        self.project: Project | None = None
        self.plan: Plan | None = None
        self.undo_stack = QUndoStack(self)
        self.map_view = MapView(self, page_dir=page_dir)
        self.preview_bar = PreviewBar(self)
        centre = QWidget(self)
        lay = QVBoxLayout(centre)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.preview_bar)
        lay.addWidget(self.map_view, 1)
        self.setCentralWidget(centre)

        self.workspace = MapWorkspace(self.map_view, self.undo_stack)
        self.workspace.previewChanged.connect(self._on_preview)
        self.workspace.message.connect(lambda m: self.statusBar().showMessage(m, 5000))
        self.workspace.error.connect(self._show_error)
        self.workspace.rendered.connect(self.map_rendered)
        self.workspace.territoriesChanged.connect(self.refresh_territory_widgets)
        self.preview_bar.applyRequested.connect(self.workspace.apply_pending)
        self.preview_bar.cancelRequested.connect(self.workspace.cancel_pending)
        QShortcut(QKeySequence(Qt.Key.Key_Return), self, self._enter)
        QShortcut(QKeySequence(Qt.Key.Key_Enter), self, self._enter)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.workspace.cancel_pending)

        self.territory_combo = QComboBox(self)
        self.territory_combo.setMinimumWidth(200)
        self.territory_combo.setToolTip("Active territory: lasso, paint and draw move units to it")
        self.history_view = QUndoView(self.undo_stack)
        self.history_view.setEmptyLabel("Opened")
        self.docks: dict[str, QDockWidget] = {}
        right, left = Qt.DockWidgetArea.RightDockWidgetArea, Qt.DockWidgetArea.LeftDockWidgetArea
        self.balance_dock = BalanceDock(None, self)
        self.balance_dock.table.territorySelected.connect(self.territory_combo.setCurrentIndex)
        self.balance_dock.metric_box.currentIndexChanged.connect(lambda _i: self._sync_metric())
        self.chart = BalanceChart(None, self)
        self.account_panel = AccountPanel(None, self)
        self.layers_panel = LayersPanel(self)
        self.layers_panel.layerToggled.connect(self.map_view.set_layer_visible)
        self.layers_panel.colourModeChanged.connect(self.workspace.set_colour_mode)
        self._add_dock("balance", "Balance", self.balance_dock, right)
        self._add_dock("chart", "Balance chart", self.chart, right)
        self._add_dock("history", "Edit history", self.history_view, right)
        self.scenarios_dock = ScenariosDock(self)
        self.scenarios_dock.switchRequested.connect(self.switch_scenario)
        self.scenarios_dock.publishRequested.connect(self.publish_scenario)
        self.scenarios_dock.changed.connect(self._scenarios_changed)
        self.scenarios_dock.error.connect(self._show_error)
        self.impact_dock = ImpactDock(self)
        self.impact_dock.highlightUnits.connect(self.map_view.set_selection)
        self.impact_dock.baselineOutlines.connect(self.workspace.set_baseline_outlines)
        self.impact_dock.error.connect(self._show_error)
        self.impact_dock.handoverRequested.connect(self.handover_for)
        self.handover_dock = HandoverDock(self)
        self.handover_dock.exported.connect(
            lambda f: self.statusBar().showMessage(f"Wrote {f}", 8000)
        )
        self._add_dock("scenarios", "Scenarios", self.scenarios_dock, left)
        self._add_dock("handovers", "Handovers", self.handover_dock, right)
        self._add_dock("impact", "Impact", self.impact_dock, Qt.DockWidgetArea.BottomDockWidgetArea)
        self._add_dock("account", "Account", self.account_panel, left)
        self._add_dock("layers", "Layers", self.layers_panel, left)
        self.tabifyDockWidget(self.docks["chart"], self.docks["history"])
        self.tabifyDockWidget(self.docks["account"], self.docks["layers"])
        self.tabifyDockWidget(self.docks["account"], self.docks["scenarios"])
        self.docks["impact"].hide()  # opened from the Scenario menu or the Docks menu
        self.tabifyDockWidget(self.docks["chart"], self.docks["handovers"])
        self.docks["chart"].raise_()
        self.docks["account"].raise_()
        self.territory_combo.currentIndexChanged.connect(self._set_active)
        self.scenario_combo = QComboBox(self)
        self.scenario_combo.setMinimumWidth(160)
        self.scenario_combo.setToolTip("Active scenario: edits apply to it only")
        self.scenario_combo.activated.connect(
            lambda i: self.switch_scenario(int(self.scenario_combo.itemData(i)))
        )
        self.selected_account: int | None = None
        self.last_error = ""
        self.map_view.bridge.accountClicked.connect(self._on_account_clicked)
        self.selection_label = QLabel()
        self.statusBar().addPermanentWidget(self.selection_label)
        actions.build_menus(self)
        self.undo_stack.indexChanged.connect(lambda _i: self._update_status())
        self._restore_layout()

    # -- docks -----------------------------------------------------------------------------
    def _add_dock(
        self, key: str, title: str, widget: QWidget, area: Qt.DockWidgetArea
    ) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{key}")
        if key in WIDE_DOCKS:  # rows of buttons: scroll sideways rather than widen the side
            scroll = QScrollArea(dock)
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setWidget(widget)
            dock.setWidget(scroll)
        else:
            dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.docks[key] = dock
        return dock

    # -- project ---------------------------------------------------------------------------
    def open_project(
        self, path: Path | str, scenario: str | None = None, *, background: bool = False
    ) -> bool:
        """Open a project. ``background`` reads it on a worker thread with progress and Cancel
        (the window stays responsive); otherwise it blocks (tests, scripts)."""
        from planner.model.loading import load_project

        if background:
            self._job = workers.run_job(
                self, "Opening project", lambda: load_project(path, scenario),
                on_done=lambda loaded: self._opened(path, loaded),
                on_error=lambda err: self._show_error(str(err), title="Cannot open project"),
                on_cancel=lambda: self.statusBar().showMessage("Opening cancelled", 5000),
            )  # fmt: skip
            return True
        try:
            loaded = run_to_end(load_project(path, scenario))
        except PlannerError as err:
            self._show_error(str(err), title="Cannot open project")
            return False
        self._opened(path, loaded)
        return True

    def _opened(self, path: Path | str, loaded: object) -> None:
        if self.project is not None:
            self.project.close()
        self.project = loaded.plan.project
        self._remember_recent(str(path))
        self.set_plan(loaded.plan, geoms=loaded.geometries, display=loaded.display)

    def set_plan(self, plan: Plan, *, geoms: object = None, display: object = None) -> None:
        """Show a plan (after open or a scenario switch) and restore its session history."""
        self.plan = plan
        self.undo_stack.clear()
        self.workspace.set_plan(plan, geoms=geoms, display=display)
        for widget in (self.balance_dock, self.chart, self.account_panel, self.impact_dock):
            widget.set_plan(plan)
        self.scenarios_dock.set_project(plan.project, plan.scenario_id)
        self.handover_dock.set_project(plan.project, plan.scenario_id, plan.atoms)
        self._fill_scenarios()
        plan.project.set_info(active_scenario=plan.scenario_id)
        self._restore_history(plan)
        info = plan.project.info()
        self.setWindowTitle(f"{info.get('name', 'Project')} — {plan.name} — Territory Planner")
        self._fill_territories()
        active = info.get(f"active_territory:{plan.scenario_id}")
        tidx = plan.atoms.territory_index()
        if active is not None and active.isdigit() and int(active) in tidx:
            self.territory_combo.setCurrentIndex(tidx[int(active)])
        plan.changed.connect(lambda _c: self._update_status())
        self._update_status()
        self.planChanged.emit(plan)

    def refresh_territory_widgets(self) -> None:
        """After rename/recolour/rep changes: table, chart, combo, map."""
        # First the table model (a new territory's row must exist before it is selected).
        self.balance_dock.table.balance_model.refresh()
        self.balance_dock.refresh()
        self.chart.refresh()
        self._fill_territories()
        self.workspace.refresh_territory_display()

    def _sync_metric(self) -> None:
        self.workspace.metric = self.balance_dock.metric

    def _restore_history(self, plan: Plan) -> None:
        from planner.ui.commands import MoveCommand

        for log_id, ms in plan.history():
            self.undo_stack.push(MoveCommand(plan, ms, log_id, ms.label, self._show_error))
        self.undo_stack.setClean()

    def _fill_territories(self) -> None:
        if self.plan is None:
            return
        a = self.plan.atoms
        self.territory_combo.blockSignals(True)
        self.territory_combo.clear()
        for name in a.territory_names:
            self.territory_combo.addItem(str(name))
        self.territory_combo.setCurrentIndex(min(self.workspace.active, a.n_territories - 1))
        self.territory_combo.blockSignals(False)
        self._set_active(self.territory_combo.currentIndex())  # persist, e.g. a new territory

    def _set_active(self, index: int) -> None:
        if self.plan is None or index < 0:
            return
        self.workspace.active = index
        table = self.balance_dock.table
        table.blockSignals(True)
        table.select_territory(index)
        table.blockSignals(False)
        tid = int(self.plan.atoms.territory_ids[index])
        self.plan.project.set_info(**{f"active_territory:{self.plan.scenario_id}": tid})
        self._update_status()

    # -- status ------------------------------------------------------------------------------
    def _update_status(self) -> None:
        plan = self.plan
        if plan is None or plan.atoms.n_territories == 0:
            self.selection_label.setText("")
            return
        r = plan.rows()[self.workspace.active]
        dev = r["deviation"]["potential"]
        self.selection_label.setText(
            f"{r['name']}: {r['accounts']:,.0f} accounts · potential {r['potential']:,.0f} "
            f"({dev:+.1%}) · workload {r['workload_hours']:,.0f} h · revenue {r['revenue']:,.0f}"
        )

    def _on_preview(self, pv: object) -> None:
        if pv is None:
            self.preview_bar.clear()
        else:
            self.preview_bar.show_preview(pv, self.workspace.metric)

    def _enter(self) -> None:
        if self.workspace.pending is not None:
            self.workspace.apply_pending()

    def _show_error(self, text: str, title: str = "Territory Planner") -> None:
        self.last_error = text
        self.statusBar().showMessage(text, 10000)
        if self.isVisible() and not _headless():
            QMessageBox.warning(self, title, text)

    # -- files -----------------------------------------------------------------------------
    def choose_and_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open project", "", "Projects (*.tplan)")
        if path:
            self.open_project(path, background=True)

    def save_as(self) -> None:
        if self.project is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save project as", "", "Projects (*.tplan)")
        if not path:
            return
        if not path.endswith(".tplan"):
            path += ".tplan"
        try:
            copy = self.project.save_as(Path(path), overwrite=Path(path).exists())
        except PlannerError as err:
            self._show_error(str(err))
            return
        copy.close()
        self.open_project(path)

    def recent_projects(self) -> list[str]:
        value = QSettings().value("recentProjects", [])
        return [str(v) for v in (value if isinstance(value, list) else [value]) if v]

    def _remember_recent(self, path: str) -> None:
        items = [p for p in self.recent_projects() if p != path]
        QSettings().setValue("recentProjects", [path, *items][:MAX_RECENT])
        actions.refresh_recent_menu(self)

    # -- layout ----------------------------------------------------------------------------
    def _restore_layout(self) -> None:
        s = QSettings()
        geometry, state = s.value("window/geometry"), s.value(f"window/state-v{LAYOUT_VERSION}")
        if not self._remember_layout:
            geometry = state = None
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)
        self._first_show = state is None

    def showEvent(self, event: object) -> None:
        """On the first run, size the docks for the window as shown: sizes set before the
        window has its size are redistributed when it grows, and the map came out narrow."""
        super().showEvent(event)  # type: ignore[arg-type]
        if getattr(self, "_first_show", False):
            self._first_show = False
            QTimer.singleShot(0, self._default_dock_sizes)

    def _default_dock_sizes(self) -> None:
        w, h = self.width(), self.height()
        horizontal, vertical = Qt.Orientation.Horizontal, Qt.Orientation.Vertical
        side = [self.docks["balance"], self.docks["account"]]
        self.resizeDocks(side, [max(420, int(w * 0.34)), max(240, int(w * 0.18))], horizontal)
        right = [self.docks["balance"], self.docks["chart"]]
        self.resizeDocks(right, [int(h * 0.6), int(h * 0.4)], vertical)

    def closeEvent(self, event: object) -> None:
        if self._remember_layout:
            s = QSettings()
            s.setValue("window/geometry", self.saveGeometry())
            s.setValue(f"window/state-v{LAYOUT_VERSION}", self.saveState())
        workers.cancel_all()
        self.map_view.dispose(delete_view=False)
        if self.project is not None:
            self.project.close()
        super().closeEvent(event)

    def select_account(self, index: int) -> None:
        """Remember the account for pin/unpin and show its details."""
        self.selected_account = index
        panel = getattr(self, "account_panel", None)
        if panel is not None and self.plan is not None:
            panel.show_account(self.plan.project, int(self.plan.atoms.account_ids[index]))

    def _on_account_clicked(self, account_id: int) -> None:
        if self.plan is not None:
            index = self.plan.atoms.account_index().get(int(account_id))
            if index is not None:
                self.select_account(index)

    def zoom_to_active(self) -> None:
        plan = self.plan
        if plan is None:
            return
        a = plan.atoms
        units = np.flatnonzero(plan.alignment[: a.n_units] == self.workspace.active)
        if len(units):
            lon, lat = a.unit_rep_lon[units], a.unit_rep_lat[units]
            pad = 0.2
            self.map_view.fit_bounds(
                lat.min() - pad, lon.min() - pad, lat.max() + pad, lon.max() + pad
            )


def _headless() -> bool:
    import os

    return os.environ.get("QT_QPA_PLATFORM", "") == "offscreen"
