"""File > Export map… / Print map… and ``--snapshot --title --legend``: the real map page of a
Tokyo project as a sheet (title, legend, scale bar, north arrow, scenario, date), read back as
pixels (PNG, the PDF rendered by pdftoppm), as XML (SVG) and as page sizes (pdfinfo)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QImage

from planner.model.plan import Plan
from planner.model.store import Project
from tests.ui.pixels import COAST, count, fill_on_land, pdf_pages, rgb
from tests.ui.tokyo import tokyo_project

pytestmark = pytest.mark.webengine
TITLE = "東京 <b>plan</b> & =SUM(1)"


@pytest.fixture(scope="module")
def tokyo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tokyo_project(tmp_path_factory.mktemp("tokyo"))


@pytest.fixture(scope="module")
def colours(tokyo: Path) -> list[str]:
    with Project.open(tokyo) as p:
        return [str(c) for c in Plan.load(p).atoms.territory_colours]


@pytest.fixture
def window(qtbot: Any, tmp_path: Path, tokyo: Path) -> Iterator[Any]:
    from PySide6.QtCore import QCoreApplication, QEvent, QSettings, QStandardPaths

    QStandardPaths.setTestModeEnabled(True)
    QSettings().clear()
    from planner.ui.main_window import MainWindow

    w = MainWindow(page_dir=tmp_path / "page")
    qtbot.addWidget(w, before_close_func=lambda win: win.map_view.dispose(delete_view=False))
    w.resize(1400, 900)
    w.show()
    with qtbot.waitSignal(w.map_rendered, timeout=30_000):
        assert w.open_project(tokyo)
    yield w
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def shows_the_plan(image: QImage, colours: list[str], min_pixels: int = 200) -> None:
    """Every territory's fill (over land) and the coastline appear in the picture."""
    for colour in colours:
        assert count(image, fill_on_land(colour), tol=16) > min_pixels, colour
    assert count(image, COAST, tol=24) > min_pixels // 4


def test_snapshot_with_title_and_legend_is_a_map_sheet(tokyo: Path, tmp_path: Path,
                                                       colours: list[str]) -> None:  # fmt: skip
    out = tmp_path / "sheet.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "planner", str(tokyo), "--snapshot", str(out), "--size",
         "1400x900", "--title", TITLE, "--legend"],
        capture_output=True, text=True, timeout=180, env=env, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-1500:]
    image = QImage(str(out))
    shows_the_plan(image, colours)
    for colour in colours:  # legend swatches: the exact colours, painted opaque
        assert count(image, rgb(colour), tol=2) > 60, colour
    top = image.copy(0, 0, image.width(), image.height() // 25)
    assert count(top, (0, 0, 0), tol=60) > 50  # the title's glyphs


def test_title_and_legend_need_a_snapshot(tokyo: Path, capsys: Any) -> None:
    from planner.cli import main

    assert main([str(tokyo), "--title", "x"]) == 1
    assert "--snapshot" in capsys.readouterr().err


def test_export_map_as_pdf_on_a3_svg_and_png(window: Any, tmp_path: Path,
                                             colours: list[str]) -> None:  # fmt: skip
    from planner.ui.map_export import export_map_to

    pdf = export_map_to(window, tmp_path / "map.pdf", title=TITLE, page_size="A3")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert "1191 x 842 pts (A3)" in info.stdout  # A3 landscape
    assert re.search(r"^Pages:\s+1$", info.stdout, re.MULTILINE)
    (page,) = pdf_pages(pdf, dpi=100)
    shows_the_plan(page, colours, min_pixels=500)

    svg = export_map_to(window, tmp_path / "map.svg", title=TITLE, legend=True)
    root = ET.parse(svg).getroot()  # well-formed: the title's markup is text, not XML
    ns = "{http://www.w3.org/2000/svg}"
    assert root.findtext(f"{ns}title") == TITLE
    assert root.iter(f"{ns}image") is not None
    assert any(el.tag == f"{ns}image" for el in root.iter())

    png = export_map_to(window, tmp_path / "map.png", title=TITLE, legend=False)
    image = QImage(str(png))
    shows_the_plan(image, colours)
    assert all(count(image, rgb(c), tol=2) < 30 for c in colours)  # no legend swatches


def test_print_map_paints_the_sheet_on_the_printer(window: Any, tmp_path: Path,
                                                   colours: list[str]) -> None:  # fmt: skip
    from PySide6.QtPrintSupport import QPrinter

    from planner.ui.map_export import print_sheet
    from planner.ui.map_sheet import setup_paper

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)  # a PDF printer stands in for paper
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    setup_paper(printer, "Letter", TITLE, landscape=False)
    assert print_sheet(window, printer, title=TITLE, legend=True)
    info = subprocess.run(["pdfinfo", str(tmp_path / "printed.pdf")], capture_output=True,
                          text=True, check=True)  # fmt: skip
    assert "612 x 792 pts (letter)" in info.stdout
    (page,) = pdf_pages(tmp_path / "printed.pdf", dpi=100)
    shows_the_plan(page, colours, min_pixels=300)


def test_export_refuses_other_formats_and_keeps_the_page_controls(
    window: Any, tmp_path: Path
) -> None:
    from planner.ui.map_export import export_map_to

    with pytest.raises(OSError, match=r"\.png, \.svg or \.pdf"):
        export_map_to(window, tmp_path / "map.docx", title="x")
    assert not (tmp_path / "map.docx").exists()
    box: list[Any] = []
    window.map_view.run_js_json(
        "document.querySelector('.leaflet-control-container').style.visibility", box.append
    )
    while not box:
        from PySide6.QtCore import QCoreApplication

        QCoreApplication.processEvents()
    assert box[0] in ("", "visible")  # the window's own view never loses its controls


def test_exports_are_drawn_at_print_resolution(window: Any, tmp_path: Path,
                                               colours: list[str]) -> None:  # fmt: skip
    """A3 landscape at 192 dpi: the printable 400 x 277 mm (10 mm margins) is ~3,024 x 2,094
    pixels (Qt rounds the margins to points: a pixel or two more); the map takes the width and
    the height under the title (1/1.12 of it)."""
    from planner.ui.map_export import export_map_to

    width, height = round(400 / 25.4 * 192), round(277 / 25.4 * 192)
    png = export_map_to(window, tmp_path / "map.png", title=TITLE, page_size="A3")
    image = QImage(str(png))
    assert abs(image.width() - width) <= 3
    assert abs(image.height() - height) <= 3
    shows_the_plan(image, colours, min_pixels=20_000)  # the territories, at that size

    pdf = export_map_to(window, tmp_path / "map.pdf", title=TITLE, page_size="A3")
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True,
                             check=True).stdout.splitlines()[2:]  # fmt: skip
    sizes = [(int(row.split()[3]), int(row.split()[4])) for row in listing]
    assert any(abs(w - width) <= 3 and abs(h - height / 1.12) <= 3 for w, h in sizes), sizes
    (page,) = pdf_pages(pdf, dpi=100)
    shows_the_plan(page, colours, min_pixels=500)
