"""Menus, toolbar and the territory actions of the main window (kept out of main_window.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtGui import QAction, QActionGroup, QColor, QKeySequence
from PySide6.QtWidgets import QColorDialog, QInputDialog, QToolBar

from planner.model import moves
from planner.model.atoms import FOLLOW
from planner.model.errors import PlannerError
from planner.ui.autobalance import run_auto_balance
from planner.ui.commands import TerritoryEditCommand

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


def build_menus(w: MainWindow) -> None:
    mb = w.menuBar()
    file = mb.addMenu("&File")
    _act(w, file, "&Open…", w.choose_and_open, QKeySequence.StandardKey.Open)
    w.recent_menu = file.addMenu("Open &Recent")
    refresh_recent_menu(w)
    _act(w, file, "Save &As…", w.save_as, QKeySequence("Ctrl+Shift+S"))
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
    _act(w, edit, "&Find account…", lambda: find_account(w), QKeySequence("Ctrl+F"))

    view = mb.addMenu("&Map")
    group = QActionGroup(w)
    w.mode_actions = {}
    tb = QToolBar("Map tools", w)
    tb.setObjectName("toolbar-map")
    w.addToolBar(tb)
    tb.addAction(undo)
    tb.addAction(redo)
    tb.addSeparator()
    for mode, label, key in MODES:
        a = QAction(label, w, checkable=True)
        if mode != "pan":
            a.setShortcut(QKeySequence(key))
        a.triggered.connect(lambda _c=False, m=mode: set_mode(w, m))
        group.addAction(a)
        view.addAction(a)
        tb.addAction(a)
        w.mode_actions[mode] = a
    w.mode_actions["pan"].setChecked(True)
    view.addSeparator()
    _act(w, view, "&Zoom to active territory", w.zoom_to_active, QKeySequence("Ctrl+E"))
    dev = QAction("Colour by &deviation from target", w, checkable=True)
    dev.toggled.connect(lambda on: w.workspace.set_colour_mode("deviation" if on else "territory"))
    view.addAction(dev)
    w.deviation_action = dev
    tb.addSeparator()
    tb.addWidget(w.scenario_combo)
    tb.addWidget(w.territory_combo)

    scen = mb.addMenu("&Scenario")
    _act(w, scen, "&New scenario (copy of this one)…", w.new_scenario, QKeySequence("Ctrl+N"))
    _act(w, scen, "&Publish this scenario…", lambda: w.publish_scenario())
    _act(w, scen, "&Auto-balance…", lambda: run_auto_balance(w), QKeySequence("Ctrl+B"))
    _act(w, scen, "Show &impact", lambda: (w.docks["impact"].show(), w.docks["impact"].raise_()),
         QKeySequence("Ctrl+I"))  # fmt: skip
    _act(w, scen, "&Manage scenarios", lambda: (w.docks["scenarios"].show(),
                                                w.docks["scenarios"].raise_()))  # fmt: skip
    terr = mb.addMenu("&Territory")
    _act(w, terr, "&Rename…", lambda: rename(w), QKeySequence("F2"))
    _act(w, terr, "Re&colour…", lambda: recolour(w))
    _act(w, terr, "Assign &rep…", lambda: assign_rep(w))
    _act(w, terr, "&Merge into…", lambda: merge(w))
    _act(w, terr, "&Lock / unlock (edits and Auto-balance leave it alone)", lambda: lock(w))
    terr.addSeparator()
    _act(w, terr, "&Pin selected account to active territory", lambda: pin(w, True))
    _act(w, terr, "&Unpin selected account", lambda: pin(w, False))
    w.docks_menu = mb.addMenu("&Docks")
    for dock in w.docks.values():
        w.docks_menu.addAction(dock.toggleViewAction())


def _act(w: MainWindow, menu: object, text: str, slot: object, key: object = None) -> QAction:
    a = QAction(text, w)
    if key is not None:
        a.setShortcut(key)
    a.triggered.connect(lambda _c=False: slot())
    menu.addAction(a)
    return a


def refresh_recent_menu(w: MainWindow) -> None:
    menu = getattr(w, "recent_menu", None)
    if menu is None:
        return
    menu.clear()
    for path in w.recent_projects():
        a = menu.addAction(path)
        a.triggered.connect(lambda _c=False, p=path: w.open_project(p, background=True))
    menu.setEnabled(bool(w.recent_projects()))


def set_mode(w: MainWindow, mode: str) -> None:
    w.workspace.cancel_pending()
    if mode == "reshape" and w.plan is not None and w.plan.atoms.n_territories:
        w.map_view.edit_outline(int(w.plan.atoms.territory_ids[w.workspace.active]))
    else:
        w.map_view.set_mode(mode)
    w.mode_actions[mode].setChecked(True)
    w.statusBar().showMessage(f"Mode: {mode}", 3000)


def _active_id(w: MainWindow) -> int | None:
    if w.plan is None or w.plan.atoms.n_territories == 0:
        return None
    return int(w.plan.atoms.territory_ids[w.workspace.active])


def _edit(w: MainWindow, fields: dict, text: str) -> None:
    tid = _active_id(w)
    if tid is None:
        return
    try:
        cmd = TerritoryEditCommand(w.plan, tid, fields, text, lambda _t: _after_meta(w))
    except PlannerError as err:
        w._show_error(str(err))
        return
    w.undo_stack.push(cmd)


def _after_meta(w: MainWindow) -> None:
    w.refresh_territory_widgets()


def rename(w: MainWindow) -> None:
    if _active_id(w) is None:
        return
    old = w.plan.territory_label(w.workspace.active)
    name, ok = QInputDialog.getText(w, "Rename territory", "Name:", text=old)
    if ok and name.strip() and name.strip() != old:
        _edit(w, {"name": name.strip()}, f"rename {old} to {name.strip()}")


def recolour(w: MainWindow) -> None:
    if _active_id(w) is None:
        return
    old = str(w.plan.atoms.territory_colours[w.workspace.active])
    colour = QColorDialog.getColor(QColor(old), w, "Territory colour")
    if colour.isValid():
        _edit(
            w, {"colour": colour.name()}, f"recolour {w.plan.territory_label(w.workspace.active)}"
        )


def assign_rep(w: MainWindow) -> None:
    if _active_id(w) is None:
        return
    reps = sorted(w.plan.atoms.rep_names.items(), key=lambda kv: kv[1])
    if not reps:
        w._show_error("the project has no reps")
        return
    labels = [name for _id, name in reps]
    choice, ok = QInputDialog.getItem(w, "Assign rep", "Rep:", labels, 0, False)
    if ok:
        rep_id = reps[labels.index(choice)][0]
        _edit(
            w,
            {"rep_id": rep_id},
            f"assign {choice} to {w.plan.territory_label(w.workspace.active)}",
        )


def lock(w: MainWindow) -> None:
    if _active_id(w) is None:
        return
    t = w.workspace.active
    locked = not bool(w.plan.atoms.territory_locked[t])
    verb = "lock" if locked else "unlock"
    _edit(w, {"locked": locked}, f"{verb} {w.plan.territory_label(t)}")


def merge(w: MainWindow) -> None:
    if _active_id(w) is None:
        return
    a = w.plan.atoms
    src = w.workspace.active
    names = [str(n) for i, n in enumerate(a.territory_names) if i != src]
    target, ok = QInputDialog.getItem(
        w, "Merge territory", f"Merge {a.territory_names[src]} into:", names, 0, False
    )
    if ok:
        t = list(a.territory_names).index(target)
        w.workspace.apply(moves.for_merge(w.plan, src, t))


def pin(w: MainWindow, on: bool) -> None:
    account = getattr(w, "selected_account", None)
    if w.plan is None or account is None:
        w._show_error("click an account on the map (or find one with Ctrl+F) first")
        return
    try:
        ms = moves.for_pin(w.plan, account, w.workspace.active if on else FOLLOW)
    except PlannerError as err:
        w._show_error(str(err))
        return
    w.workspace.apply(ms)


def find_account(w: MainWindow) -> None:
    if w.plan is None:
        return
    text, ok = QInputDialog.getText(w, "Find account", "Name or account id contains:")
    if not ok or not text.strip():
        return
    select_account_by_text(w, text.strip())


def select_account_by_text(w: MainWindow, text: str) -> int | None:
    a = w.plan.atoms
    needle = text.casefold()
    hits = [i for i, (n, e) in enumerate(zip(a.account_names, a.account_ext_ids, strict=True))
            if needle in str(n).casefold() or needle == str(e).casefold()]  # fmt: skip
    if not hits:
        w.statusBar().showMessage(f"No account matches '{text}'", 5000)
        return None
    i = hits[0]
    w.select_account(i)
    lon, lat = a.account_lon[i], a.account_lat[i]
    if np.isfinite(lon) and np.isfinite(lat):
        w.map_view.fit_bounds(lat - 0.05, lon - 0.05, lat + 0.05, lon + 0.05)
    w.statusBar().showMessage(f"{len(hits)} match(es); showing {a.account_names[i]}", 5000)
    return i
