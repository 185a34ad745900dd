"""The README walkthrough, as a new user would do it, with a screenshot after each step.

    .venv/bin/python scripts/walkthrough.py build/demo.tplan docs/

Opens the real window (offscreen unless DISPLAY is set), then: draws a new territory around
Atlanta (draw mode, the same JS path a finished Geoman polygon takes), applies it with Enter,
paints three units into it, undoes the paint, closes the app, reopens the project and shows
that the edits and the undo history are still there.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QSettings, QStandardPaths, Qt, QTimer
from PySide6.QtWidgets import QApplication

ATLANTA = [[-84.75, 33.55], [-84.05, 33.55], [-84.05, 34.05], [-84.75, 34.05], [-84.75, 33.55]]


def pause(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def open_window(project: Path):
    from planner.ui.main_window import MainWindow

    w = MainWindow()
    w.resize(1600, 1000)
    w.show()
    loop = QEventLoop()
    w.map_rendered.connect(loop.quit)
    w.open_project(project)
    QTimer.singleShot(60_000, loop.quit)
    loop.exec()
    w.map_view.fit_bounds(33.0, -85.6, 34.6, -83.2)
    pause(1200)
    return w


def shot(w, out: Path, name: str, note: str) -> None:
    pause(600)
    w.grab().save(str(out / name))
    sys.stdout.write(f"{name}: {note}\n")


def main() -> None:
    project, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    QStandardPaths.setTestModeEnabled(True)
    app = QApplication([])
    QSettings().clear()  # a first run: default window layout
    w = open_window(project)
    shot(w, out, "walkthrough-1-open.png", "the demo project opened")

    w.map_view.call("setMode", "draw")
    js = f"TP._onPmCreate({{layer: L.polygon({json.dumps([[y, x] for x, y in ATLANTA])})}})"
    w.map_view.run_js_json(js + " || 1", None)
    pause(1500)
    shot(w, out, "walkthrough-2-draw-preview.png", "a new territory drawn: preview, Enter applies")
    w.workspace.apply_pending()
    w.map_view.call("setMode", "pan")
    shot(w, out, "walkthrough-3-applied.png", "applied: the balance table has the new territory")

    plan = w.plan
    a = plan.atoms
    near = ((a.unit_rep_lon + 84.9) ** 2 + (a.unit_rep_lat - 33.8) ** 2).argsort()
    units = [int(a.unit_ids[u]) for u in near if plan.alignment[u] != w.workspace.active][:3]
    w.map_view.call("setMode", "paint")
    w.map_view.call("_send", {"kind": "paint", "units": units})  # what a paint stroke sends
    pause(800)
    w.workspace.apply_pending()
    shot(w, out, "walkthrough-4-paint.png", "three units painted into the new territory")
    w.undo_stack.undo()
    shot(w, out, "walkthrough-5-undo.png", "Ctrl+Z: the paint stroke is undone")
    w.close()
    app.processEvents()

    w2 = open_window(project)
    w2.docks["history"].raise_()
    shot(w2, out, "walkthrough-6-reopened.png", "reopened: the edit and its history are back")
    w2.close()
    app.processEvents()
    _ = Qt


if __name__ == "__main__":
    main()
