"""``planner PROJECT --snapshot OUT.png``: render the window once the map is ready, save, exit.

As QGIS's ``--snapshot``: the window opens, waits until the map has drawn its data layers
(or a timeout), grabs the whole window to a PNG and exits 0; exit 1 with a reason otherwise.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QMainWindow

from planner.model.errors import PlannerError
from planner.model.io._output import OutputError, write_atomic

TIMEOUT_MS = 60_000


def take_snapshot(
    app: QApplication,
    window: QMainWindow,
    out: Path,
    timeout_ms: int = TIMEOUT_MS,
    *,
    title: str | None = None,
    legend: bool = False,
) -> int:
    """Grab the window (or, with ``title``/``legend``, the map view as a sheet: title, legend,
    scale bar, north arrow, scenario and date) once the map has rendered; 0 or 1."""
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
    view = getattr(window, "map_view", None)
    if view is not None:  # the basemap's finer levels load by zoom: wait for this one
        from planner.ui.map_capture import settle as basemap_drawn

        try:
            basemap_drawn(view, timeout_ms / 1000)
        except PlannerError as err:
            sys.stderr.write(f"planner: error: {err}\n")
            window.close()
            return 1
    if title is not None or legend:
        try:
            image = _sheet(window, title or "", legend)
        except PlannerError as err:
            sys.stderr.write(f"planner: error: {err}\n")
            window.close()
            return 1
    else:
        image = window.grab().toImage()
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


def _sheet(window: QMainWindow, title: str, legend: bool) -> QImage:
    from planner.ui.map_capture import capture
    from planner.ui.map_export import sheet_text
    from planner.ui.map_sheet import sheet_image

    cap = capture(window.map_view)  # type: ignore[attr-defined]
    plan = getattr(window, "plan", None)
    return sheet_image(cap, sheet_text(plan, title, legend=legend))
