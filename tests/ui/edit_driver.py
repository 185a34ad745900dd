"""Run by test_crash_safety in a child process: open the window and make edits the user's way.

Each edit is a paint message through the bridge, then Enter's action, as a user's click and key.

``edit_driver.py PROJECT N PAGE_DIR``: make N edits (unit i+1 to T3), print ``applied i`` after
each, then idle until killed.

``edit_driver.py --zygote PROJECT PAGE_DIR``: import everything once, then for each ``go`` line
on stdin fork a window process (``child PID``) that edits forever: unit 1 alternately to T3 and
T2, announcing ``start E`` before and ``applied E`` after edit number E is committed (E counts
the project's history, so it continues across windows). The parent kills the window at a random
moment and tells from the last lines which edit it interrupted. Forking a process that has
imported Qt but created no QApplication (and has no threads) is safe; it makes a kill cost ~1 s
instead of the ~7 s a fresh interpreter needs to import the app.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QApplication


def say(line: str) -> None:
    os.write(1, (line + "\n").encode())  # one write: lines of parent and child never mix


def window(project: str, page_dir: str) -> tuple[QApplication, object]:
    QStandardPaths.setTestModeEnabled(True)
    app = QApplication([])
    from planner.ui.main_window import MainWindow

    w = MainWindow(page_dir=Path(page_dir))
    w.show()
    assert w.open_project(project)
    return app, w


def edit(app: QApplication, w: object, unit: int, territory_index: int) -> None:
    w.territory_combo.setCurrentIndex(territory_index)  # type: ignore[attr-defined]
    w.map_view.bridge.receive(f'{{"kind": "paint", "units": [{unit}]}}')  # type: ignore[attr-defined]
    assert w.workspace.pending is not None  # type: ignore[attr-defined]
    w.workspace.apply_pending()  # type: ignore[attr-defined]
    app.processEvents()


def idle(app: QApplication) -> None:
    while True:  # the parent kills us with SIGKILL
        app.processEvents()
        time.sleep(0.05)


def n_edits(project: str, n: int, page_dir: str) -> None:
    app, w = window(project, page_dir)
    for i in range(n):
        edit(app, w, i + 1, 2)
        say(f"applied {i + 1}")
    idle(app)


def edit_forever(project: str, page_dir: str) -> None:
    app, w = window(project, page_dir)
    done = len(w.plan.history())  # type: ignore[attr-defined]
    say("ready")
    while True:
        done += 1
        say(f"start {done}")
        edit(app, w, 1, 2 if done % 2 else 1)  # odd edits: T3, even edits: T2
        say(f"applied {done}")


def zygote(project: str, page_dir: str) -> None:
    import planner.ui.main_window  # noqa: F401 - the expensive part, done once

    say("zygote")
    for line in sys.stdin:
        if line.strip() != "go":
            continue
        pid = os.fork()
        if pid == 0:
            try:
                edit_forever(project, page_dir)
            finally:
                os._exit(1)
        say(f"child {pid}")
        os.waitpid(pid, 0)
        say("dead")


if __name__ == "__main__":
    if sys.argv[1] == "--zygote":
        zygote(sys.argv[2], sys.argv[3])
    else:
        n_edits(sys.argv[1], int(sys.argv[2]), sys.argv[3])
