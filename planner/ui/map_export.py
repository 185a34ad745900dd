"""File > Export map… (PNG, SVG, PDF) and File > Print map…: the map view as a sheet with a
title, legend, scale bar, north arrow, the scenario's name and the date, on a chosen paper size.

Both take the picture from the window's own map view (:func:`planner.ui.map_capture.capture`),
so what prints is what the planner sees, minus the on-screen controls. An export is written
under a temporary name and renamed (never over the open project, :mod:`planner.model.io._output`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QLineEdit,
    QWidget,
)

from planner.model.errors import PlannerError
from planner.model.plan import Plan
from planner.ui._dialogs import ok_cancel
from planner.ui.map_capture import PRINT_DPI, MapCapture, capture, report_map, view_bounds
from planner.ui.map_sheet import (
    PAGE_SIZES,
    LegendItem,
    SheetText,
    map_pixels,
    paint_sheet,
    save_sheet,
    sheet_suffix,
)

if TYPE_CHECKING:
    from planner.ui.main_window import MainWindow


def plan_legend(plan: Plan) -> list[LegendItem]:
    """One row per territory of the plan, in its colour (``(locked)`` after a locked one)."""
    a = plan.atoms
    return [
        LegendItem(f"{n} (locked)" if locked else str(n), str(c))
        for n, c, locked in zip(
            a.territory_names, a.territory_colours, a.territory_locked, strict=True
        )
    ]


def sheet_text(plan: Plan | None, title: str, *, legend: bool, credits: str = "") -> SheetText:
    """Title as given; subtitle ``Scenario: S · date``; the plan's legend if asked for."""
    when = dt.date.today().isoformat()
    subtitle = f"Scenario: {plan.name} · {when}" if plan is not None else when
    items = plan_legend(plan) if legend and plan is not None else []
    return SheetText(title, subtitle, items, credits)


def default_title(window: MainWindow) -> str:
    plan = window.plan
    if plan is None:
        return "Territory map"
    name = plan.project.info().get("name", "") or "Territories"
    return f"{name} — {plan.name}"


class MapSheetDialog(QDialog):
    """Title, legend on/off, paper size and orientation of a map sheet."""

    def __init__(self, title: str, parent: QWidget | None = None, *, paper: bool = True) -> None:
        super().__init__(parent)
        self.setWindowTitle("Map sheet")
        self.title = QLineEdit(title)
        self.legend = QCheckBox("Legend (territories and their colours)")
        self.legend.setChecked(True)
        self.paper = QComboBox()
        self.paper.addItems(PAGE_SIZES)
        self.orientation = QComboBox()
        self.orientation.addItems(["Landscape", "Portrait"])
        form = QFormLayout(self)
        form.addRow("Title", self.title)
        form.addRow("", self.legend)
        if paper:
            form.addRow("Paper (PDF, print)", self.paper)
            form.addRow("Orientation", self.orientation)
        form.addRow(ok_cancel(self, "OK"))

    @property
    def landscape(self) -> bool:
        return self.orientation.currentText() == "Landscape"


def export_map_to(
    window: MainWindow,
    out: Path,
    *,
    title: str,
    legend: bool = True,
    page_size: str = "A4",
    landscape: bool = True,
) -> Path:
    """Write the window's map view as a sheet to ``out`` (.png, .svg or .pdf), drawn at print
    resolution for ``page_size`` (:func:`print_capture`)."""
    sheet_suffix(out)  # a wrong format is refused before the map is drawn
    cap = print_capture(window, map_pixels(page_size, landscape, PRINT_DPI))
    credits = tile_credit(window) if cap.tiles else ""
    text = sheet_text(window.plan, title, legend=legend, credits=credits)
    return save_sheet(out, cap, text, page_size=page_size, landscape=landscape)


def print_capture(window: MainWindow, pixels: tuple[int, int]) -> MapCapture:
    """The window's map for paper: the view's extent and colouring drawn again
    on an offscreen page of ``pixels`` (the paper's map area at :data:`PRINT_DPI`: ~3,000 px
    across A3), not the screen's few hundred pixels stretched over the page. Without a plan (nothing
    drawn but the basemap) the view itself is taken."""
    plan = window.plan
    if plan is None:
        return capture(window.map_view)
    live = window.workspace.sync
    m = report_map(*pixels)
    m.sync.set_colour_mode(live.colour_mode,
                           live.level if live.colour_mode == "level" else live.metric)  # fmt: skip
    return m.render(plan, focus=view_bounds(window.map_view))


def tile_credit(window: MainWindow) -> str:
    from planner.ui import preferences

    prefs = preferences.load()
    return f"Tiles: {prefs.tiles_attribution}" if prefs.online_tiles else ""


def export_map(window: MainWindow) -> Path | None:
    """File > Export map…: the options, then where to save (the suffix picks the format)."""
    dialog = MapSheetDialog(default_title(window), window)
    if not dialog.exec():
        return None
    path, chosen = QFileDialog.getSaveFileName(
        window, "Export map", "", "PNG image (*.png);;SVG drawing (*.svg);;PDF (*.pdf)"
    )
    if not path:
        return None
    out = Path(path)
    if out.suffix.lower() not in (".png", ".svg", ".pdf"):
        out = out.with_suffix("." + chosen.split("*.")[-1].rstrip(")"))
    try:
        done = export_map_to(window, out, title=dialog.title.text(),
                             legend=dialog.legend.isChecked(),
                             page_size=dialog.paper.currentText(),
                             landscape=dialog.landscape)  # fmt: skip
    except (PlannerError, OSError) as err:
        window._show_error(str(err), title="Cannot export the map")
        return None
    window.statusBar().showMessage(f"Wrote {done}", 8000)
    return done


def print_map(window: MainWindow) -> bool:
    """File > Print map…: the options, the system's print dialog, then the sheet on its paper."""
    from PySide6.QtPrintSupport import QPrintDialog, QPrinter

    from planner.ui.map_sheet import setup_paper

    dialog = MapSheetDialog(default_title(window), window)
    if not dialog.exec():
        return False
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    setup_paper(printer, dialog.paper.currentText(), dialog.title.text(),
                landscape=dialog.landscape)  # fmt: skip
    if QPrintDialog(printer, window).exec() != QDialog.DialogCode.Accepted:
        return False
    return print_sheet(window, printer, title=dialog.title.text(),
                       legend=dialog.legend.isChecked())  # fmt: skip


def print_sheet(window: MainWindow, printer: object, *, title: str, legend: bool) -> bool:
    """Paint the map sheet on a set-up printer (what Print map… does after its dialogs)."""
    from PySide6.QtGui import QPageLayout, QPainter

    from planner.ui.map_sheet import printer_rect

    paper = printer.pageLayout().paintRect(QPageLayout.Unit.Inch)  # type: ignore[attr-defined]
    pixels = round(paper.width() * PRINT_DPI), round(paper.height() * PRINT_DPI / 1.12)
    cap = print_capture(window, pixels)
    text = sheet_text(window.plan, title, legend=legend,
                      credits=tile_credit(window) if cap.tiles else "")  # fmt: skip
    painter = QPainter()
    if not painter.begin(printer):  # type: ignore[arg-type]
        window._show_error("The printer could not be started.", title="Cannot print the map")
        return False
    try:
        paint_sheet(painter, printer_rect(printer), cap, text)
    finally:
        painter.end()
    return True
