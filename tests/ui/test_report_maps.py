"""Maps in the reports: ``planner impact --pdf/--xlsx`` carry the impact map rendered from the
real map page; read back as a reader shows it (pdftoppm) and as the workbook's own parts."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QImage

from planner.cli import main
from planner.model.plan import Plan
from planner.model.store import Project
from tests.ui.pixels import COAST, count, fill_on_land, pdf_pages
from tests.ui.tokyo import TERRITORIES, tokyo_project

pytestmark = pytest.mark.webengine
MOVED = ["T20", "T21", "T22"]  # the middle column: Chiba <East> -> 東京 North


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tokyo_project(tmp_path_factory.mktemp("tokyo"))
    assert main(["scenario", str(project), "create", "East"]) == 0
    assert main(["assign", str(project), "--scenario", "East", "--units", *MOVED,
                 "--to", TERRITORIES[0]]) == 0  # fmt: skip
    return project


@pytest.fixture
def project(source: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "tokyo.tplan"
    shutil.copy(source, copy)
    return copy


def colours(project: Path, scenario: str) -> dict[str, str]:
    with Project.open(project) as p:
        a = Plan.load(p, scenario).atoms
        return {str(n): str(c) for n, c in zip(a.territory_names, a.territory_colours,
                                                strict=True)}  # fmt: skip


def test_impact_pdf_and_xlsx_show_the_map(qapp: Any, project: Path, tmp_path: Path) -> None:
    pdf, xlsx = tmp_path / "impact.pdf", tmp_path / "impact.xlsx"
    assert main(["impact", str(project), "--scenario", "East", "--pdf", str(pdf),
                 "--xlsx", str(xlsx)]) == 0  # fmt: skip
    fills = colours(project, "East")
    gained, lost = fills[TERRITORIES[0]], fills[TERRITORIES[1]]
    pages = pdf_pages(pdf, dpi=80)
    maps = [p for p in pages if count(p, fill_on_land(gained), tol=16) > 300]
    assert len(maps) == 1  # one page has the map, the tables have no fills
    page = maps[0]
    assert count(page, fill_on_land(lost), tol=16) > 300  # both territories of the move
    assert count(page, COAST, tol=24) > 50  # on the offline basemap
    with zipfile.ZipFile(xlsx) as z:
        names = z.namelist()
        media = [n for n in names if n.startswith("xl/media/")]
        assert media == ["xl/media/image1.png"]
        workbook = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
        png = z.read(media[0])
    assert workbook.index('name="Summary"') < workbook.index('name="Moved accounts"')
    assert "drawing1.xml" in rels  # the picture is on the first sheet, Summary
    picture = QImage.fromData(png)
    assert count(picture, fill_on_land(gained), tol=16) > 1000
    assert count(picture, fill_on_land(lost), tol=16) > 1000


def test_without_the_map_the_reports_are_the_tables(qapp: Any, project: Path,
                                                    tmp_path: Path) -> None:  # fmt: skip
    pdf, xlsx = tmp_path / "impact.pdf", tmp_path / "impact.xlsx"
    assert main(["impact", str(project), "--scenario", "East", "--pdf", str(pdf),
                 "--xlsx", str(xlsx), "--no-map"]) == 0  # fmt: skip
    with zipfile.ZipFile(xlsx) as z:
        assert not [n for n in z.namelist() if n.startswith("xl/media/")]
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    with_map = tmp_path / "with-map.pdf"
    assert main(["impact", str(project), "--scenario", "East", "--pdf", str(with_map)]) == 0
    info_map = subprocess.run(["pdfinfo", str(with_map)], capture_output=True, text=True,
                              check=True)  # fmt: skip
    pages = int(info.stdout.split("Pages:")[1].split()[0])
    assert int(info_map.stdout.split("Pages:")[1].split()[0]) == pages + 1


def test_the_handover_cover_shows_both_reps_territories(qapp: Any, tmp_path: Path) -> None:
    from planner.model.synthetic import grid_project

    project = tmp_path / "g.tplan"
    grid_project(project).close()
    assert main(["scenario", str(project), "create", "East"]) == 0
    move = ["--units", "U1_0", "U1_1", "--to", "T2"]  # two of T1's units: Rep 1 -> Rep 2
    assert main(["assign", str(project), "--scenario", "East", *move]) == 0
    pdf = tmp_path / "handover.pdf"
    assert main(["handover", str(project), "--scenario", "East", "--pdf", str(pdf),
                 "--no-save"]) == 0  # fmt: skip
    fills = colours(project, "East")
    cover, second = pdf_pages(pdf, dpi=80)[:2]
    for name in ("T1", "T2"):  # the outgoing and the incoming rep's territories
        assert count(cover, fill_on_land(fills[name]), tol=16) > 300, name
    assert count(second, fill_on_land(fills["T1"]), tol=16) < 20  # account pages: no map
    plain = tmp_path / "plain.pdf"
    assert main(["handover", str(project), "--scenario", "East", "--pdf", str(plain),
                 "--no-save", "--no-map"]) == 0  # fmt: skip
    assert count(pdf_pages(plain, dpi=80)[0], fill_on_land(fills["T1"]), tol=16) < 20
