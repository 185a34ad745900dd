"""Run by test_crash_safety in a child process: open the window, make N edits, then hang.

Each edit goes the user's way: a paint message through the bridge, then Enter's action.
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QApplication


def main() -> None:
    project, n, page_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    QStandardPaths.setTestModeEnabled(True)
    app = QApplication([])
    from planner.ui.main_window import MainWindow

    w = MainWindow(page_dir=__import__("pathlib").Path(page_dir))
    w.show()
    assert w.open_project(project)
    w.territory_combo.setCurrentIndex(2)
    for i in range(n):
        w.map_view.bridge.receive(f'{{"kind": "paint", "units": [{i + 1}]}}')
        assert w.workspace.pending is not None, i
        w.workspace.apply_pending()
        app.processEvents()
        sys.stdout.write(f"applied {i + 1}\n")
        sys.stdout.flush()
    while True:  # the parent kills us with SIGKILL
        app.processEvents()
        time.sleep(0.05)


if __name__ == "__main__":
    main()
