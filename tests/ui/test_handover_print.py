"""Handover PDF: rendered and read back with poppler (pdftoppm, pdffonts, pdftotext, pdfinfo).

Packets come from a generated demo project whose moved accounts include a Chinese, a Japanese
and a ``<script>`` name; the checks are what a user would see in the file.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtGui import QImage
from sqlalchemy import update

from planner.model import moves
from planner.model.demo import create_demo
from planner.model.handover import Packet, generate_packets
from planner.model.impact import impact
from planner.model.plan import Plan
from planner.model.scenarios import create_scenario
from planner.model.schema import Account
from planner.ui.handover_print import packets_to_pdf

pytestmark = pytest.mark.skipif(
    shutil.which("pdffonts") is None, reason="poppler-utils missing (scripts/setup.sh --dev)"
)
CHINESE = "王小明商贸有限公司"
JAPANESE = "山田製作所"
SCRIPT = "<script>alert(1)</script>"


def _run(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def _text(pdf: Path) -> str:
    """pdftotext, NFKC-normalised (poppler maps some CJK glyphs to look-alike radicals)."""
    return unicodedata.normalize("NFKC", _run("pdftotext", "-layout", str(pdf), "-"))


def _pages(pdf: Path) -> int:
    info = _run("pdfinfo", str(pdf))
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


@pytest.fixture(scope="module")
def packets(tmp_path_factory: pytest.TempPathFactory) -> list[Packet]:
    project = create_demo(tmp_path_factory.mktemp("d") / "demo.tplan", accounts=3000, seed=1)
    create_scenario(project, "S1")
    plan = Plan.load(project, "S1")
    units = plan.alignment[: plan.atoms.n_units]
    plan.apply(moves.for_units(plan, np.flatnonzero(units == 0)[:2], 1))
    plan.apply(moves.for_units(plan, np.flatnonzero(units == 5)[:1], 6))
    moved = impact(project, "S1").moved["account_id"].tolist()
    with project.transaction() as s:
        for ext, name in zip(moved[-3:], (CHINESE, JAPANESE, SCRIPT), strict=True):
            s.execute(update(Account).where(Account.external_id == ext).values(name=name))
    result = generate_packets(project, "S1", effective_date=dt.date(2026, 12, 1), persist=False)
    project.close()
    return result


def test_pdf_renders_with_cjk_glyphs_headers_and_literal_markup(
    qapp: Any, tmp_path: Path, packets: list[Packet]
) -> None:
    out = packets_to_pdf(packets, tmp_path / "handover.pdf")
    assert out.exists()
    assert not list(tmp_path.glob("*.partial"))
    assert len(packets) == 2
    n_accounts = sum(p.n_accounts for p in packets)
    pages = _pages(out)
    assert pages >= n_accounts + len(packets)  # a cover per packet, a page (at least) per account

    assert "NotoSansCJK" in _run("pdffonts", str(out))  # the CJK font is embedded
    text = _text(out)
    for name in (CHINESE, JAPANESE, SCRIPT):
        assert name in text
    assert "page 1 of" in text
    assert f"page {pages} of {pages}" in text
    assert text.count("packet page 1 of") == len(packets)  # numbering restarts per packet
    for p in packets:
        assert p.title in text
        # The packet's header on each of its pages, plus its cover heading and account pages.
        assert text.count(p.title) >= 2 * p.n_accounts + 1
        for a in p.accounts:
            assert a.external_id in text

    # Each packet starts with its cover and each account on a page of its own.
    by_page = text.split("\f")
    covers = [i for i, t in enumerate(by_page) if "Outgoing rep supports until" in t]
    assert len(covers) == len(packets)
    assert all("Key contacts" not in by_page[i] for i in covers)
    assert sum(t.count("Key contacts") for t in by_page) == n_accounts
    assert all(t.count("Key contacts") <= 1 for t in by_page)

    _run("pdftoppm", "-png", "-r", "60", str(out), str(tmp_path / "page"))
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) == pages
    image = QImage(str(pngs[0]))
    assert image.width() > 400
    ink = sum(
        image.pixelColor(x, y).lightness() < 128
        for x in range(0, image.width(), 3)
        for y in range(0, image.height(), 3)
    )
    assert ink > 200  # real text on the cover, not a blank page


def test_letter_size_and_empty_list(qapp: Any, tmp_path: Path, packets: list[Packet]) -> None:
    out = packets_to_pdf(packets[:1], tmp_path / "letter.pdf", page_size="Letter")
    assert "612 x 792" in _run("pdfinfo", str(out))
    empty = packets_to_pdf([], tmp_path / "empty.pdf")
    assert "No accounts change hands" in _text(empty)
    with pytest.raises(ValueError, match="page size"):
        packets_to_pdf(packets, tmp_path / "x.pdf", page_size="A5")
