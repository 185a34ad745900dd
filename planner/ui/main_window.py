"""The main window: the map in the centre, docks around it, menus, toolbar, status bar.

Wiring only. Edits go through :class:`~planner.ui.workspace.MapWorkspace` (gestures) and
:class:`~planner.ui.territory_actions.TerritoryActions` (the Territory menu); figures come from
the Plan; every dock takes the plan and follows its change events itself, so nothing here
refreshes widgets after an edit.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QUndoStack
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QUndoView,
    QVBoxLayout,
    QWidget,
)

from planner.model.errors import PlannerError
from planner.model.events import PlanChange
from planner.model.plan import Plan
from planner.model.progress import run_to_end
from planner.model.store import Project
from planner.ui import layout, preferences, workers
from planner.ui.account_panel import AccountPanel
from planner.ui.actions import build_menus, refresh_recent_menu
from planner.ui.balance_chart import BalanceChart
from planner.ui.balance_table import BalanceDock
from planner.ui.commands import UndoMirror
from planner.ui.handover_dock import HandoverDock
from planner.ui.hierarchy_actions import HierarchyActions
from planner.ui.impact_dock import ImpactDock
from planner.ui.layers_panel import LayersPanel
from planner.ui.map.view import MapView
from planner.ui.preview_bar import PreviewBar
from planner.ui.quota_dock import QuotaDock
from planner.ui.scenario_mixin import ScenarioMixin
from planner.ui.scenarios_dock import ScenariosDock
from planner.ui.territory_actions import TerritoryActions
from planner.ui.workspace import MapWorkspace

if TYPE_CHECKING:
    from planner.model.loading import LoadedProject

MAX_RECENT = 8


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
        self.selected_account: int | None = None
        self.last_error = ""
        self.undo_stack = QUndoStack(self)
        self.mirror = UndoMirror(self.undo_stack, self._show_error)
        self.map_view = MapView(self, page_dir=page_dir, **preferences.load().map_options())
        self.preview_bar = PreviewBar(self)
        centre = QWidget(self)
        lay = QVBoxLayout(centre)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.preview_bar)
        lay.addWidget(self.map_view, 1)
        self.setCentralWidget(centre)

        self.workspace = MapWorkspace(self.map_view, self.mirror)
        self.workspace.previewChanged.connect(self._on_preview)
        self.workspace.message.connect(lambda m: self.statusBar().showMessage(m, 5000))
        self.workspace.error.connect(self._show_error)
        self.workspace.rendered.connect(self.map_rendered)
        self.workspace.activeChanged.connect(self._on_active)
        self.preview_bar.applyRequested.connect(self.workspace.apply_pending)
        self.preview_bar.cancelRequested.connect(self.cancel_gesture)
        QShortcut(QKeySequence(Qt.Key.Key_Return), self, self._enter)
        QShortcut(QKeySequence(Qt.Key.Key_Enter), self, self._enter)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.cancel_gesture)
        self.territory_actions = TerritoryActions(
            self, self.workspace, self._show_error, lambda: self.selected_account
        )

        self.hierarchy_actions = HierarchyActions(
            self, self.workspace, self._show_error,
            lambda title, text: self.territory_actions.confirm(title, text),
        )  # fmt: skip

        self.territory_combo = QComboBox(self)
        self.territory_combo.setMinimumWidth(200)
        self.territory_combo.setToolTip("Active territory: lasso, paint and draw move units to it")
        self.territory_combo.currentIndexChanged.connect(self.workspace.set_active)
        self.scenario_combo = QComboBox(self)
        self.scenario_combo.setMinimumWidth(160)
        self.scenario_combo.setToolTip("Active scenario: edits apply to it only")
        self.scenario_combo.activated.connect(
            lambda i: self.switch_scenario(int(self.scenario_combo.itemData(i)))
        )
        self.history_view = QUndoView(self.undo_stack)
        self.history_view.setEmptyLabel("Opened")
        self.balance_dock = BalanceDock(None, self)
        self.balance_dock.table.territorySelected.connect(self.workspace.set_active)
        self.balance_dock.metric_box.currentIndexChanged.connect(lambda _i: self._sync_metric())
        self.chart = BalanceChart(None, self)
        self.account_panel = AccountPanel(None, self)
        self.layers_panel = LayersPanel(self)
        self.layers_panel.layerToggled.connect(self.map_view.set_layer_visible)
        self.layers_panel.colourModeChanged.connect(self._on_colour_mode)
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
        self.quota_dock = QuotaDock(self.workspace.apply, self)
        self.quota_dock.error.connect(self._show_error)
        self.quota_dock.yearChanged.connect(lambda _y: self._quota_year_shown())
        self.handover_dock = HandoverDock(self)
        self.handover_dock.exported.connect(
            lambda f: self.statusBar().showMessage(f"Wrote {f}", 8000)
        )
        self.docks: dict[str, QDockWidget] = layout.add_docks(self, {
            "balance": ("Balance", self.balance_dock), "chart": ("Balance chart", self.chart),
            "history": ("Edit history", self.history_view),
            "scenarios": ("Scenarios", self.scenarios_dock),
            "handovers": ("Handovers", self.handover_dock),
            "impact": ("Impact", self.impact_dock), "account": ("Account", self.account_panel),
            "layers": ("Layers", self.layers_panel),
        })  # fmt: skip
        self._add_quota_dock()
        self.hierarchy_actions.selected_node = self.balance_dock.table.selected_node
        self.map_view.bridge.accountClicked.connect(self._on_account_clicked)
        self.selection_label = QLabel()
        self.selection_label.setTextFormat(Qt.TextFormat.PlainText)  # names are user text
        self.statusBar().addPermanentWidget(self.selection_label)
        self.menu_actions = build_menus(self)
        refresh_recent_menu(self, self.menu_actions.recent_menu)
        from planner.ui.results_docks import install  # Results, Alerts, Plan docks (issue 17)

        install(self)
        self._first_show = layout.restore(self, self._remember_layout)

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

    def _opened(self, path: Path | str, loaded: LoadedProject) -> None:
        if self.project is not None:
            self.project.close()
        self.project = loaded.plan.project
        self._remember_recent(str(path))
        self.set_plan(
            loaded.plan, geoms=loaded.geometries, display=loaded.display,
            display_json=loaded.display_json,
        )  # fmt: skip

    def set_plan(
        self,
        plan: Plan,
        *,
        geoms: object = None,
        display: object = None,
        display_json: list[str] | None = None,
    ) -> None:
        """Show a plan (after open or a scenario switch) and restore its edit history."""
        if self.plan is not None:
            self.plan.changed.disconnect(self._on_plan_change)
        self.plan = plan
        info = plan.project.info()
        active = info.get(f"active_territory:{plan.scenario_id}", "")
        if active.isdigit() and plan.territory_position(int(active)) is not None:
            self.workspace.active_id = int(active)
        self.workspace.set_plan(plan, geoms=geoms, display=display, display_json=display_json)  # type: ignore[arg-type]
        for widget in (self.balance_dock, self.chart, self.account_panel, self.impact_dock,
                       self.quota_dock):  # fmt: skip
            widget.set_plan(plan)
        self.layers_panel.set_levels(plan)
        self.preview_bar.set_quota_line(bool(plan.quotas.years))
        self.scenarios_dock.set_project(plan.project, plan.scenario_id)
        self.handover_dock.set_project(plan.project, plan.scenario_id, plan.atoms)
        self._fill_scenarios()
        plan.project.set_info(active_scenario=plan.scenario_id)
        # The history list is filled with the view detached: the view relaid itself out at
        # every push (0.35-1 s of the open of a project with 176 steps).
        self.history_view.setStack(None)  # type: ignore[arg-type]
        self.mirror.rebuild(plan)
        self.history_view.setStack(self.undo_stack)
        self.setWindowTitle(f"{info.get('name', 'Project')} — {plan.name} — Territory Planner")
        self._fill_territories()
        plan.changed.connect(self._on_plan_change)
        self._update_status()
        self.planChanged.emit(plan)

    def _on_plan_change(self, change: PlanChange) -> None:
        if change.territories_changed:
            node = self.balance_dock.table.selected_node()
            self._fill_territories()
            if node is not None:  # a node the user is working on stays selected
                self.balance_dock.table.select_node(node)
            self.layers_panel.set_levels(self.plan)  # a node of a new level
        if self.plan is not None:
            self.preview_bar.set_quota_line(bool(self.plan.quotas.years))
        self._update_status()

    def _add_quota_dock(self) -> None:
        """The Quota dock, tabbed with the balance chart (below the balance table)."""
        dock = QDockWidget("Quota", self)
        dock.setObjectName("dock-quota")
        dock.setWidget(self.quota_dock)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.tabifyDockWidget(self.docks["chart"], dock)
        self.docks["chart"].raise_()
        self.docks["quota"] = dock

    def _quota_year_shown(self) -> None:
        """The Quota dock shows another fiscal year: so do the balance table and chart."""
        self.balance_dock.table.balance_model.refresh()
        self.chart.refresh()

    def _sync_metric(self) -> None:
        self.workspace.metric = self.mirror.metric = self.balance_dock.chosen_metric

    def _on_colour_mode(self, mode: str, metric: str) -> None:
        self.workspace.set_colour_mode(mode, metric)
        self.menu_actions.deviation_action.blockSignals(True)  # type: ignore[union-attr]
        self.menu_actions.deviation_action.setChecked(mode == "deviation")  # type: ignore[union-attr]
        self.menu_actions.deviation_action.blockSignals(False)  # type: ignore[union-attr]

    def _fill_territories(self) -> None:
        """The active-territory box: the plan's territories, the active one selected."""
        if self.plan is None:
            return
        combo = self.territory_combo
        combo.blockSignals(True)
        combo.clear()
        for name in self.plan.atoms.territory_names:
            combo.addItem(str(name))
        combo.setCurrentIndex(self.workspace.active if self.plan.atoms.n_territories else -1)
        combo.blockSignals(False)
        self._on_active(self.workspace.active)

    def _on_active(self, index: int) -> None:
        """The active territory changed (combo, table, a new territory): show it everywhere."""
        if self.plan is None or not self.plan.atoms.n_territories:
            return
        for widget in (self.territory_combo, self.balance_dock.table):
            widget.blockSignals(True)
        self.territory_combo.setCurrentIndex(index)
        self.balance_dock.table.select_territory(index)
        for widget in (self.territory_combo, self.balance_dock.table):
            widget.blockSignals(False)
        tid = int(self.plan.atoms.territory_ids[index])
        self.plan.project.set_info(**{f"active_territory:{self.plan.scenario_id}": tid})
        self._update_status()

    # -- modes and gestures ----------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        self.workspace.cancel_pending()
        plan = self.plan
        if mode == "reshape" and plan is not None and plan.atoms.n_territories:
            self.map_view.edit_outline(int(plan.atoms.territory_ids[self.workspace.active]))
        else:
            self.map_view.set_mode(mode)
        self.menu_actions.mode_actions[mode].setChecked(True)
        self.statusBar().showMessage(f"Mode: {mode}", 3000)

    def cancel_gesture(self) -> None:
        """Esc: drop a previewed edit (nothing was written) and any gesture in progress."""
        if self.map_view.gesture_active:
            self.map_view.cancel_gesture()  # a lasso being drawn: Esc drops the trace
        else:
            self.workspace.cancel_pending()

    def _enter(self) -> None:
        if self.workspace.pending is not None:
            self.workspace.apply_pending()

    def _on_preview(self, pv: object) -> None:
        if pv is None:
            self.preview_bar.clear()
        else:
            a = self.plan.atoms  # type: ignore[union-attr]
            names = dict(zip(map(int, a.territory_ids), map(str, a.territory_names), strict=True))
            self.preview_bar.show_preview(pv, self.workspace.metric, names)  # type: ignore[arg-type]

    # -- status ------------------------------------------------------------------------------
    def _update_status(self) -> None:
        plan = self.plan
        if plan is None or plan.atoms.n_territories == 0:
            self.selection_label.setText("")
            return
        r = plan.rows()[self.workspace.active]
        metric = self.balance_dock.chosen_metric
        dev = r["deviation"][metric]
        name = r["name"] if len(r["name"]) <= 40 else r["name"][:39] + "…"  # fits the bar
        self.selection_label.setToolTip(r["name"])
        self.selection_label.setText(
            f"{name}: {r['accounts']:,.0f} accounts · potential {r['potential']:,.0f} · "
            f"workload {r['workload_hours']:,.0f} h · revenue {r['revenue']:,.0f} · "
            f"{metric.replace('_hours', '')} {dev:+.1%} vs target"
        )

    def _show_error(self, text: str, title: str = "Territory Planner") -> None:
        self.last_error = text
        self.statusBar().showMessage(text, 10000)
        if self.isVisible() and not _headless():
            box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=self)
            box.setTextFormat(Qt.TextFormat.PlainText)  # messages quote user text
            box.exec()

    def show_dock(self, key: str) -> None:
        dock = self.docks[key]
        dock.show()
        dock.raise_()
        if key in layout.AREAS:
            layout.fit_shown_dock(self, key)

    # -- files -----------------------------------------------------------------------------
    def choose_and_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open project", "", "Projects (*.tplan)")
        if path:
            self.open_project(path, background=True)

    def reload(self) -> bool:
        """Read the project again, on the scenario shown (after a colleague's edit or an
        import made this copy stale: its next edit would be refused)."""
        if self.project is None or self.plan is None:
            return False
        return self.open_project(self.project.location, self.plan.name)

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
        refresh_recent_menu(self, self.menu_actions.recent_menu)

    # -- layout ----------------------------------------------------------------------------
    def showEvent(self, event: object) -> None:
        """On the first run, size the docks for the window as shown: sizes set before the
        window has its size are redistributed when it grows, and the map came out narrow."""
        super().showEvent(event)  # type: ignore[arg-type]
        if self._first_show:
            self._first_show = False
            QTimer.singleShot(0, lambda: layout.default_sizes(self))

    def closeEvent(self, event: object) -> None:
        if self._remember_layout:
            layout.save(self)
        workers.cancel_all()
        self.map_view.dispose(delete_view=False)
        if self.project is not None:
            self.project.close()
        super().closeEvent(event)  # type: ignore[arg-type]

    # -- accounts ----------------------------------------------------------------------------
    def select_account(self, index: int) -> None:
        """Remember the account for pin/unpin and show its details."""
        self.selected_account = index
        if self.plan is not None:
            self.account_panel.show_account(
                self.plan.project, int(self.plan.atoms.account_ids[index])
            )

    def _on_account_clicked(self, account_id: int) -> None:
        if self.plan is not None:
            index = self.plan.atoms.account_index().get(int(account_id))
            if index is not None:
                self.select_account(index)

    def find_account(self) -> None:
        if self.plan is None:
            return
        text, ok = QInputDialog.getText(self, "Find account", "Name or account id contains:")
        if ok and text.strip():
            self.select_account_by_text(text.strip())

    def select_account_by_text(self, text: str) -> int | None:
        a = self.plan.atoms  # type: ignore[union-attr]
        needle = text.casefold()
        by_id = [int(i) for i in a.account_ext_ids.find(needle)
                 if str(a.account_ext_ids[int(i)]).casefold() == needle]  # fmt: skip
        hits = sorted({*by_id, *(int(i) for i in a.account_names.find(needle))})
        if not hits:
            self.statusBar().showMessage(f"No account matches '{text}'", 5000)
            return None
        i = hits[0]
        self.select_account(i)
        lon, lat = a.account_lon[i], a.account_lat[i]
        if np.isfinite(lon) and np.isfinite(lat):
            self.map_view.fit_bounds(lat - 0.05, lon - 0.05, lat + 0.05, lon + 0.05)
        self.statusBar().showMessage(f"{len(hits)} match(es); showing {a.account_names[i]}", 5000)
        return i

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
