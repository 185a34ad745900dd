"""Install the Results, Alerts and Plan docks in the main window (issue 17).

One call, ``install(window)``, so the window gains the docks with a one-line change: they
follow ``window.planChanged``, colour the map through the map view, count alerts in the status
bar and report errors and exports the way the other docks do.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QLabel

from planner.ui.alerts_dock import AlertsDock
from planner.ui.plan_dock import PlanDock
from planner.ui.results_dock import ResultsDock


def install(window: Any) -> tuple[ResultsDock, AlertsDock, PlanDock]:
    results = ResultsDock(window)
    alerts = AlertsDock(results, window)
    plan = PlanDock(results, window)
    for key, title, widget, area in (
        ("results", "Results", results, Qt.DockWidgetArea.BottomDockWidgetArea),
        ("alerts", "Alerts", alerts, Qt.DockWidgetArea.BottomDockWidgetArea),
        ("plan", "Plan", plan, Qt.DockWidgetArea.RightDockWidgetArea),
    ):
        dock = QDockWidget(title, window)
        dock.setObjectName(f"dock-{key}")
        dock.setWidget(widget)
        window.addDockWidget(area, dock)
        window.docks[key] = dock
        dock.hide()  # opened from the Docks menu
    window.tabifyDockWidget(window.docks["results"], window.docks["alerts"])
    menu = getattr(getattr(window, "menu_actions", None), "docks_menu", None)
    if menu is not None:
        for key in ("results", "alerts", "plan"):
            menu.addAction(window.docks[key].toggleViewAction())
    count = QLabel()
    count.setTextFormat(Qt.TextFormat.PlainText)
    window.statusBar().addPermanentWidget(count)
    alerts.countChanged.connect(lambda n: count.setText(f"{n:,} alerts" if n else ""))
    show = window.statusBar().showMessage
    for w in (results, alerts, plan):
        w.error.connect(lambda m: window._show_error(m))
    for w in (alerts, plan):
        w.exported.connect(lambda f: show(f"Wrote {f}", 8000))
    results.message.connect(lambda m: show(m, 8000))

    def fills(colours: Any, legend: Any) -> None:
        if colours is None:  # back to the window's own colouring
            window.workspace.set_colour_mode(window.workspace.colour_mode)
            return
        window.map_view.set_fills(colours)
        window.map_view.set_legend(legend)

    results.fillsRequested.connect(fills)
    waiting: dict[str, Any] = {}

    def held(new_plan: Any) -> None:
        """A plan the results follow once the map has painted it (or the dock is shown): at
        10M accounts reading bookings and building the results take seconds of CPU, which
        the map's first paint needs more on a two-core machine."""
        if window.docks["results"].isVisible() or window.docks["alerts"].isVisible():
            waiting.pop("plan", None)
            results.set_plan(new_plan)
        else:
            waiting["plan"] = new_plan

    def release(*_args: Any) -> None:
        new_plan = waiting.pop("plan", None)
        if new_plan is not None and new_plan is getattr(window, "plan", None):
            results.set_plan(new_plan)

    window.map_rendered.connect(release)
    for key in ("results", "alerts"):
        window.docks[key].visibilityChanged.connect(lambda on: release() if on else None)
    window.map_rendered.connect(results.push_fills)  # the page draws its own colours first
    window.planChanged.connect(held)
    window.planChanged.connect(plan.set_plan)
    if getattr(window, "plan", None) is not None:
        held(window.plan)
        plan.set_plan(window.plan)
    return results, alerts, plan
