"""The README walkthrough, as a new user would do it, with a screenshot after each step.

    .venv/bin/python scripts/walkthrough.py build/demo.tplan docs/

Opens the real window (offscreen unless DISPLAY is set) and works it with real input, as a
person does (tests/ui/real_input.py: mouse events on the map, keys on the window): D, then a
freehand loop around Atlanta drawn with the button held; Enter; P, then a stroke over three
counties; Enter; Ctrl+Z; close, reopen, and the edit and the undo history are back.
"""

from __future__ import annotations

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
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.ui import real_input as ri

    project, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    QStandardPaths.setTestModeEnabled(True)
    app = QApplication([])
    QSettings().clear()  # a first run: default window layout
    w = open_window(project)
    shot(w, out, "walkthrough-1-open.png", "the demo project opened")

    def key(code: Qt.Key, mod: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
        w.activateWindow()
        ri.key(w, code, mod)
        pause(300)

    view = w.map_view
    key(Qt.Key.Key_D)  # Draw new territory
    ri.drag_path(view, [ri.container_point(view, lat, lon) for lon, lat in ATLANTA])
    pause(1500)
    shot(w, out, "walkthrough-2-draw-preview.png", "a new territory drawn: preview, Enter applies")
    key(Qt.Key.Key_Return)
    key(Qt.Key.Key_Escape)  # back to pan
    shot(w, out, "walkthrough-3-applied.png", "applied: the balance table has the new territory")

    key(Qt.Key.Key_P)  # Paint units into the new (active) territory
    stroke = [(33.9, -84.95), (33.9, -84.85), (33.75, -84.85)]
    ri.drag_path(view, [ri.container_point(view, lat, lon) for lat, lon in stroke])
    pause(800)
    key(Qt.Key.Key_Return)
    shot(w, out, "walkthrough-4-paint.png", "units painted into the new territory")
    key(Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    shot(w, out, "walkthrough-5-undo.png", "Ctrl+Z: the paint stroke is undone")
    w.close()
    app.processEvents()

    w2 = open_window(project)
    w2.docks["history"].raise_()
    shot(w2, out, "walkthrough-6-reopened.png", "reopened: the edit and its history are back")
    w2.close()
    app.processEvents()


if __name__ == "__main__":
    main()
