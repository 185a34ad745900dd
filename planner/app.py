"""Application start: Qt environment, QApplication, the main window, ``--snapshot``.

QtWebEngine's Chromium refuses to run as root without its sandbox switched off, and a machine
without a display needs the offscreen platform; both are set here before Qt is imported so the
app starts the same way from ``make run``, the CLI and tests.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def configure_qt_environment() -> None:
    """Set what Qt needs on this machine, never overriding what the user set."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    has_display = any(os.environ.get(v) for v in ("DISPLAY", "WAYLAND_DISPLAY"))
    if not has_display and sys.platform.startswith("linux"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # Chromium's noise about dbus/GPU on headless machines is not actionable for users.
    os.environ.setdefault("QT_LOGGING_RULES", "qt.webenginecontext.debug=false")


def parse_size(text: str) -> tuple[int, int]:
    from planner.model.errors import PlannerError

    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise PlannerError(f"--size expects WIDTHxHEIGHT such as 1600x1000, got '{text}'") from None
    if not (200 <= w <= 8000 and 200 <= h <= 8000):
        raise PlannerError(f"--size {text}: width and height must be between 200 and 8000")
    return w, h


def run_gui(
    project: Path | str | None,
    *,
    snapshot: Path | None = None,
    size: str = "1600x1000",
    scenario: str | None = None,
    title: str | None = None,
    legend: bool = False,
) -> int:
    """Open the main window; with ``snapshot`` save a PNG once the map has rendered and exit
    (with ``title`` or ``legend``: the map alone as a sheet, :mod:`planner.ui.map_sheet`).

    ``project`` is a file or a database URL (a ``str`` containing ``://``). The snapshot path
    is checked before the window opens: never the project, its ``-wal``/``-shm``, or a folder.
    """
    configure_qt_environment()
    width, height = parse_size(size)
    if snapshot is not None:
        from planner.model.io._output import check_output, protected

        is_file = project is not None and "://" not in str(project)
        check_output(snapshot, protected(project if is_file else None))
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtWidgets import QApplication

    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Territory Planner")
    app.setOrganizationName("TerritoryPlanner")

    from planner.ui.main_window import MainWindow

    window = MainWindow(remember_layout=snapshot is None)
    window.resize(width, height)
    window.show()
    if project is not None:
        # A snapshot opens synchronously so a bad project fails at once with its reason.
        opened = window.open_project(project, scenario=scenario, background=snapshot is None)
        if not opened and snapshot is not None:
            sys.stderr.write(f"planner: error: {window.last_error}\n")
            window.close()
            return 1
    if snapshot is not None:
        from planner.ui.snapshot import take_snapshot

        return take_snapshot(app, window, snapshot, title=title, legend=legend)
    return app.exec()
