"""Where the docks go: the default layout, restoring and saving the user's own.

Kept apart from the window's wiring: which dock sits where, how wide the sides are on a first
run and which saved layouts are still valid are one job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDockWidget, QFrame, QScrollArea, QWidget

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMainWindow

#: Bump when docks change, so an older saved layout is not restored.
LAYOUT_VERSION = 5

#: Docks whose content is wider than a side column; tabified with narrow ones, they would set
#: the width of the whole side (the map came out ~500 px wide in a 1600 px window).
WIDE_DOCKS = frozenset({"scenarios", "handovers", "layers"})

_RIGHT, _LEFT = Qt.DockWidgetArea.RightDockWidgetArea, Qt.DockWidgetArea.LeftDockWidgetArea
_BOTTOM = Qt.DockWidgetArea.BottomDockWidgetArea
#: Default area of each dock; docks in one list entry are tabified, the first raised.
AREAS = {"balance": _RIGHT, "chart": _RIGHT, "history": _RIGHT, "handovers": _RIGHT,
         "scenarios": _LEFT, "account": _LEFT, "layers": _LEFT, "impact": _BOTTOM}  # fmt: skip
TABS = (("chart", "history", "handovers"), ("account", "layers", "scenarios"))


def add_docks(w: QMainWindow, docks: dict[str, tuple[str, QWidget]]) -> dict[str, QDockWidget]:
    """Dock every widget in its default place; returns the docks by key."""
    out: dict[str, QDockWidget] = {}
    for key, (title, widget) in docks.items():
        dock = QDockWidget(title, w)
        dock.setObjectName(f"dock-{key}")
        if key in WIDE_DOCKS:  # rows of buttons: scroll sideways rather than widen the side
            scroll = QScrollArea(dock)
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setWidget(widget)
            dock.setWidget(scroll)
        else:
            dock.setWidget(widget)
        w.addDockWidget(AREAS[key], dock)
        out[key] = dock
    for group in TABS:
        for other in group[1:]:
            w.tabifyDockWidget(out[group[0]], out[other])
        out[group[0]].raise_()
    out["impact"].hide()  # opened from the Scenario menu or the Docks menu
    return out


def restore(w: QMainWindow, remember: bool) -> bool:
    """The saved geometry and dock layout; True when there is none (a first run)."""
    s = QSettings()
    geometry, state = s.value("window/geometry"), s.value(f"window/state-v{LAYOUT_VERSION}")
    if not remember:
        geometry = state = None
    if geometry is not None:
        w.restoreGeometry(geometry)
    if state is not None:
        w.restoreState(state)
    return state is None


def save(w: QMainWindow) -> None:
    s = QSettings()
    s.setValue("window/geometry", w.saveGeometry())
    s.setValue(f"window/state-v{LAYOUT_VERSION}", w.saveState())


def fit_shown_dock(w: QMainWindow, key: str) -> None:
    """A dock opened from a menu gets room to be used: the Impact dock came up ~1.5 rows
    high at the bottom of the window."""
    docks = w.docks  # type: ignore[attr-defined]
    dock, height = docks[key], w.height()
    if AREAS[key] == _BOTTOM and dock.height() < height * 0.3:
        w.resizeDocks([dock], [int(height * 0.38)], Qt.Orientation.Vertical)
    elif key == "handovers" and dock.height() < height * 0.45:
        # The checklist needs rows to tick: the balance table above gives up some height.
        w.resizeDocks([docks["balance"], dock], [int(height * 0.4), int(height * 0.6)],
                      Qt.Orientation.Vertical)  # fmt: skip


def default_sizes(w: QMainWindow) -> None:
    """Side columns for the window as shown: the map keeps most of the width."""
    docks = w.docks  # type: ignore[attr-defined]
    width, height = w.width(), w.height()
    horizontal, vertical = Qt.Orientation.Horizontal, Qt.Orientation.Vertical
    side = [docks["balance"], docks["account"]]
    w.resizeDocks(side, [max(440, int(width * 0.34)), max(240, int(width * 0.15))], horizontal)
    right = [docks["balance"], docks["chart"]]
    w.resizeDocks(right, [int(height * 0.6), int(height * 0.4)], vertical)
