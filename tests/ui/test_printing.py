"""HTML -> PDF: CJK glyphs embedded, literal markup stays literal, paged with "page x of y".

Checked with poppler's tools on the real file (pdffonts, pdftotext, pdftoppm), as a user would
open it. The impact report is printed end to end from a generated project.
"""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from planner.model import moves
from planner.model.impact import impact
from planner.model.io.impact_report import impact_html
from planner.model.plan import Plan
from planner.model.scenarios import create_scenario
from planner.model.schema import Account
from planner.model.synthetic import grid_project
from planner.ui.printing import html_to_pdf

pytestmark = pytest.mark.skipif(
    shutil.which("pdffonts") is None, reason="poppler-utils missing (scripts/setup.sh --dev)"
)


def _run(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def _text(pdf: Path) -> str:
    """pdftotext output, NFKC-normalised: poppler maps some CJK glyphs to Kangxi radicals
    (U+2F00 block) that look the same; normalising gives back the ordinary ideographs."""
    return unicodedata.normalize("NFKC", _run("pdftotext", "-layout", str(pdf), "-"))


def _pages(pdf: Path) -> int:
    info = _run("pdfinfo", str(pdf))
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def test_cjk_text_prints_as_glyphs_and_markup_stays_literal(qapp: Any, tmp_path: Path) -> None:
    rows = "".join(f"<p>Row {i}</p>" for i in range(120))
    html = (
        "<h1>王小明 と 山田太郎</h1><p>&lt;b&gt;not bold&lt;/b&gt;</p>"
        f"{rows}<h2 style='page-break-before: always'>Last section</h2><p>end</p>"
    )
    out = html_to_pdf(html, tmp_path / "r.pdf", page_size="Letter", title="Impact", header="東区")
    assert out.exists()
    assert not (tmp_path / "r.pdf.partial").exists()

    fonts = _run("pdffonts", str(out))
    assert "NotoSansCJK" in fonts  # the CJK fallback is embedded
    text = _text(out)
    assert "王" in text
    assert "山田" in text
    assert "<b>not bold</b>" in text
    n = _pages(out)
    assert n >= 3
    assert f"page 1 of {n}" in text
    assert f"page {n} of {n}" in text
    last_page = text.split("\f")[n - 1]
    assert "Last section" in last_page  # page-break-before: alone on the last page
    assert "Row 119" not in last_page

    _run("pdftoppm", "-png", "-r", "50", str(out), str(tmp_path / "p"))
    pngs = sorted(tmp_path.glob("p-*.png"))
    assert len(pngs) == n
    assert all(p.stat().st_size > 1000 for p in pngs)


def test_landscape_a4_is_wider_than_tall(qapp: Any, tmp_path: Path) -> None:
    out = html_to_pdf("<p>x</p>", tmp_path / "l.pdf", landscape=True)
    size = next(line for line in _run("pdfinfo", str(out)).splitlines() if "Page size" in line)
    w, h = (float(v) for v in size.split()[2:5:2])
    assert w > h
    with pytest.raises(ValueError, match="page size"):
        html_to_pdf("<p>x</p>", tmp_path / "b.pdf", page_size="A3")


def test_impact_report_prints_with_hostile_names_literally(qapp: Any, tmp_path: Path) -> None:
    project = grid_project(tmp_path / "g.tplan", pins=2)
    try:
        with project.transaction() as s:
            s.get(Account, 1).name = "<script>alert(1)</script> 北京有限公司"
        create_scenario(project, "East <draft>")
        plan = Plan.load(project, "East <draft>")
        plan.apply(moves.for_units(plan, np.arange(0, 4), 2))  # unit 0 holds account 1
        imp = impact(project, "East <draft>")
        out = html_to_pdf(impact_html(imp), tmp_path / "impact.pdf", landscape=True,
                          title="Impact report", header=imp.scenario)  # fmt: skip
    finally:
        project.close()
    text = _text(out)
    assert "<script>alert(1)</script>" in text
    assert "北京有限公司" in text
    assert "East <draft>" in text
    assert "Moved accounts" in text
    assert _pages(out) >= 2
