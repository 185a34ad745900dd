"""The handover dock prints what the CLI's PDF has: a cover map per packet with both reps'
territories, in the print preview (opened from the dock's own menu) and in its PDF export.

Real parts: the dock, its menu action, Qt's QPrintPreviewDialog, the offscreen map page, and
poppler's pdftoppm for the exported file. Colours are counted as in the report-map tests.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QDate, QTimer
from PySide6.QtGui import QImage
from PySide6.QtPrintSupport import QPrintPreviewDialog, QPrintPreviewWidget
from PySide6.QtWidgets import QApplication

from planner.model import moves
from planner.model.plan import Plan
from planner.model.scenarios import create_scenario, scenario_id
from planner.model.store import Project
from planner.model.synthetic import grid_project
from planner.ui.handover_dock import HandoverDock
from tests.ui.pixels import count, fill_on_land, pdf_pages

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils missing")
TIMEOUT_MS = 60_000


@pytest.fixture
def dock(qtbot: Any, tmp_path: Path) -> HandoverDock:
    """The 6x4 grid; scenario S1 gives the first column of T1 (Rep 1) to T2 (Rep 2)."""
    project = grid_project(tmp_path / "grid.tplan")
    create_scenario(project, "S1")
    plan = Plan.load(project, "S1")
    plan.apply(moves.for_units(plan, np.arange(0, 4), 1))
    dock = HandoverDock(user="tester")
    qtbot.addWidget(dock)
    dock.set_project(project, scenario_id(project, "S1"))
    dock.effective.setDate(QDate(2026, 12, 1))
    with qtbot.waitSignal(dock.generated, timeout=TIMEOUT_MS):
        dock.generate_button.click()
    assert dock.packets
    return dock


def _fills(project: Project) -> dict[str, tuple[int, int, int]]:
    a = Plan.load(project, "S1").atoms
    return {str(n): fill_on_land(str(c)) for n, c in zip(a.territory_names, a.territory_colours,
                                                          strict=True)}  # fmt: skip


def _action(dock: HandoverDock, text: str) -> Any:
    menu = dock.output_button.menu()
    return next(a for a in menu.actions() if a.text() == text)


def test_the_print_preview_shows_the_cover_map(qtbot: Any, dock: HandoverDock) -> None:
    assert dock.project is not None
    fills = _fills(dock.project)
    seen: list[QImage] = []

    def look() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QPrintPreviewDialog):
            QTimer.singleShot(50, look)
            return
        dialog.resize(1000, 1300)
        page = dialog.findChild(QPrintPreviewWidget)
        page.setCurrentPage(1)
        page.fitInView()
        qtbot.wait(300)
        seen.append(page.grab().toImage())
        dialog.reject()

    QTimer.singleShot(0, look)
    _action(dock, "Print preview…").trigger()  # modal: returns once look() closed it
    assert seen, "no print preview opened"
    for name in ("T1", "T2"):  # the outgoing and the incoming rep's territories
        assert count(seen[0], fills[name], tol=16) > 200, name


def test_the_dock_pdf_has_the_cover_map(qtbot: Any, dock: HandoverDock, tmp_path: Path) -> None:
    assert dock.project is not None
    fills = _fills(dock.project)
    out = tmp_path / "handover.pdf"
    with qtbot.waitSignal(dock.exported, timeout=TIMEOUT_MS):
        dock.export_pdf(out)
    cover, second = pdf_pages(out, dpi=80)[:2]
    for name in ("T1", "T2"):
        assert count(cover, fills[name], tol=16) > 300, name
    assert count(second, fills["T1"], tol=16) < 20  # account pages: no map
