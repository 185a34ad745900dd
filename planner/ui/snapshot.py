"""``planner PROJECT --snapshot OUT.png``: render the window once the map is ready, save, exit.

As QGIS's ``--snapshot``: the window opens, waits until the map has drawn its data layers
(or a timeout), grabs the whole window to a PNG and exits 0; exit 1 with a reason otherwise.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

from planner.model.io._output import OutputError, write_atomic

TIMEOUT_MS = 60_000


def take_snapshot(
    app: QApplication, window: QMainWindow, out: Path, timeout_ms: int = TIMEOUT_MS
) -> int:
    loop = QEventLoop()
    ready = getattr(window, "map_rendered", None)  # a Signal once the map workspace exists
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(loop.quit)
    timer.start(timeout_ms if ready is not None else 300)
    if ready is not None:
        ready.connect(loop.quit)
    loop.exec()
    if ready is not None and not timer.isActive():
        sys.stderr.write(f"planner: error: the map did not render within {timeout_ms // 1000} s\n")
        window.close()
        return 1
    timer.stop()
    settle = QEventLoop()  # let the compositor deliver the last frame (fitBounds, legend)
    QTimer.singleShot(700, settle.quit)
    settle.exec()
    app.processEvents()
    image = window.grab()
    out.parent.mkdir(parents=True, exist_ok=True)

    def save(tmp: Path) -> None:
        if not image.save(str(tmp), "PNG"):
            raise OSError(f"cannot write {out}")

    try:  # a temporary file renamed on success; never over the project or an input
        write_atomic(out, save)
    except (OutputError, OSError) as err:
        sys.stderr.write(f"planner: error: {err}\n")
        window.close()
        return 1
    sys.stdout.write(f"snapshot saved to {out}\n")
    window.close()
    return 0
