"""Menus and the toolbar of the main window. Builds them and hands back what the window keeps.

The window's methods do the work; this module only lays out the menus, so MainWindow stays a
readable list of wiring. Nothing here creates attributes on the window: :func:`build_menus`
returns an :class:`Actions` record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar, QToolButton

from planner.ui.autobalance import run_auto_balance
from planner.ui.map_export import export_map, print_map
from planner.ui.preferences_dialog import edit_preferences

if TYPE_CHECKING:
    from planner.ui.main_window import MainWindow

MODES = (
    ("pan", "Pan", "Esc"),
    ("lasso", "Lasso units", "L"),
    ("paint", "Paint units", "P"),
    ("reshape", "Reshape outline", "R"),
    ("draw", "Draw new territory", "D"),
    ("split", "Split territory", "S"),
)


@dataclass
class Actions:
    """What the window needs to reach after the menus are built."""

    recent_menu: QMenu
    docks_menu: QMenu
    mode_actions: dict[str, QAction] = field(default_factory=dict)
    deviation_action: QAction | None = None


def build_menus(w: MainWindow) -> Actions:
    mb = w.menuBar()
    file = mb.addMenu("&File")
    _act(w, file, "&Open…", w.choose_and_open, QKeySequence.StandardKey.Open)
    recent = file.addMenu("Open &Recent")
    _act(w, file, "Save &As…", w.save_as, QKeySequence("Ctrl+Shift+S"))
    _act(w, file, "Re&load (a colleague or an import changed it)", w.reload, QKeySequence("F5"))
    file.addSeparator()
    _act(w, file, "E&xport map…", lambda: export_map(w), QKeySequence("Ctrl+Shift+E"))
    _act(w, file, "&Print map…", lambda: print_map(w), QKeySequence.StandardKey.Print)
    file.addSeparator()
    _act(w, file, "&Quit", w.close, QKeySequence.StandardKey.Quit)

    edit = mb.addMenu("&Edit")
    undo = w.undo_stack.createUndoAction(w, "&Undo")
    undo.setShortcut(QKeySequence("Ctrl+Z"))
    redo = w.undo_stack.createRedoAction(w, "&Redo")
    redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    edit.addAction(undo)
    edit.addAction(redo)
    edit.addSeparator()
    _act(w, edit, "&Find account…", w.find_account, QKeySequence("Ctrl+F"))
    edit.addSeparator()
    _act(w, edit, "&Preferences…", lambda: edit_preferences(w, w.map_view),
         QKeySequence.StandardKey.Preferences)  # fmt: skip

    view = mb.addMenu("&Map")
    tb = QToolBar("Map tools", w)
    tb.setObjectName("toolbar-map")
    w.addToolBar(tb)
    _stack_buttons(w, tb)
    tb.addSeparator()
    group = QActionGroup(w)
    modes: dict[str, QAction] = {}
    for mode, label, key in MODES:
        a = QAction(label, w, checkable=True)
        a.setToolTip(f"{label} ({key})")
        if mode != "pan":
            a.setShortcut(QKeySequence(key))
        a.triggered.connect(lambda _c=False, m=mode: w.set_mode(m))
        group.addAction(a)
        view.addAction(a)
        tb.addAction(a)
        modes[mode] = a
    modes["pan"].setChecked(True)
    view.addSeparator()
    _act(w, view, "Zoom to &all", w.workspace.zoom_to_all, QKeySequence("Ctrl+0"))
    _act(w, view, "&Zoom to active territory", w.zoom_to_active, QKeySequence("Ctrl+E"))
    dev = QAction("Colour by &deviation from target", w, checkable=True)
    dev.toggled.connect(w.layers_panel.set_deviation_mode)
    view.addAction(dev)
    tb.addSeparator()
    tb.addWidget(w.scenario_combo)
    tb.addWidget(w.territory_combo)

    scen = mb.addMenu("&Scenario")
    _act(w, scen, "&New scenario (copy of this one)…", w.new_scenario, QKeySequence("Ctrl+N"))
    _act(w, scen, "&Publish this scenario…", lambda: w.publish_scenario())
    _act(w, scen, "&Auto-balance…", lambda: run_auto_balance(w), QKeySequence("Ctrl+B"))
    _act(w, scen, "Show &impact", lambda: w.show_dock("impact"), QKeySequence("Ctrl+I"))
    _act(w, scen, "&Manage scenarios", lambda: w.show_dock("scenarios"))
    scen.addSeparator()
    _act(w, scen, "&Quotas", lambda: w.show_dock("quota"))
    _act(w, scen, "Allocate &quota…", lambda: w.quota_dock.open_allocate())
    terr = mb.addMenu("&Territory")
    ta = w.territory_actions
    _act(w, terr, "&New territory…", ta.new)
    _act(w, terr, "&Rename…", ta.rename, QKeySequence("F2"))
    _act(w, terr, "Re&colour…", ta.recolour)
    _act(w, terr, "Recolour all for &contrast", ta.recolour_for_contrast)
    _act(w, terr, "Assign &rep…", ta.assign_rep)
    _act(w, terr, "&Merge into…", ta.merge)
    _act(w, terr, "&Lock / unlock (edits and Auto-balance leave it alone)", ta.toggle_lock)
    _act(w, terr, "&Delete…", ta.delete, QKeySequence("Ctrl+Del"))
    terr.addSeparator()
    ha = w.hierarchy_actions
    _act(w, terr, "New &district or region…", ha.new_node)
    _act(w, terr, "Rename &node…", ha.rename_node)
    _act(w, terr, "Recolour n&ode…", ha.recolour_node)
    _act(w, terr, "Move &under…", ha.move_under)
    _act(w, terr, "Delete nod&e (what is under it moves up)", ha.delete_node)
    terr.addSeparator()
    _act(w, terr, "&Pin selected account to active territory", lambda: ta.pin(True))
    _act(w, terr, "&Unpin selected account", lambda: ta.pin(False))
    docks = mb.addMenu("&Docks")
    for dock in w.docks.values():
        docks.addAction(dock.toggleViewAction())
    return Actions(recent, docks, modes, dev)


def _stack_buttons(w: MainWindow, tb: QToolBar) -> None:
    """Undo/Redo buttons of fixed width: the descriptive text ("Undo paint 3 units to T5")
    goes in the tooltip, so the toolbar does not jump sideways after every edit."""
    stack = w.undo_stack
    for label, run, can, text in (
        ("Undo", stack.undo, stack.canUndoChanged, stack.undoTextChanged),
        ("Redo", stack.redo, stack.canRedoChanged, stack.redoTextChanged),
    ):
        a = QAction(label, w)
        a.setEnabled(False)
        a.setToolTip(label)
        a.triggered.connect(lambda _c=False, f=run: f())
        can.connect(a.setEnabled)
        text.connect(lambda s, a=a, label=label: a.setToolTip(f"{label} {s}" if s else label))
        tb.addAction(a)
        button = tb.widgetForAction(a)
        if isinstance(button, QToolButton):
            button.setMinimumWidth(button.fontMetrics().horizontalAdvance("Redo") + 24)


def _act(w: MainWindow, menu: Any, text: str, slot: Any, key: Any = None) -> QAction:
    a = QAction(text, w)
    if key is not None:
        a.setShortcut(key)
    a.triggered.connect(lambda _c=False: slot())
    menu.addAction(a)
    return a


def refresh_recent_menu(w: MainWindow, menu: QMenu) -> None:
    menu.clear()
    for path in w.recent_projects():
        a = menu.addAction(path)
        a.triggered.connect(lambda _c=False, p=path: w.open_project(p, background=True))
    menu.setEnabled(bool(w.recent_projects()))
