"""Handover packets to PDF and print preview, with the packet's name on every page.

Uses the same Qt text engine as :mod:`planner.ui.printing` (no GPU, no Chromium, works
headless) but paginates by itself: each packet is laid out as its own QTextDocument so every
page's header names *its* packet ("Handover: Ana Ruiz → Ben Okafor", with "packet page i of n"
on the right). The footer "page x of y" counts the whole document. Page breaks come from the
HTML (:mod:`planner.model.io.handover_export`): one before each packet and each account.

Chinese and Japanese names print as glyphs: the default font lists a CJK family (Noto Sans CJK,
from ``printing.font_families()``) after the Latin one and Qt embeds the subsets it used.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from PySide6.QtCore import QRectF, QSizeF
from PySide6.QtGui import (
    QFont,
    QImage,
    QPainter,
    QTextDocument,
)
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QWidget

from planner.model.handover import Packet
from planner.model.io._output import Protected
from planner.model.io.handover_export import STYLE, account_html, cover_html
from planner.ui.printing import (
    add_images,
    document_fonts,
    draw_chrome,
    draw_document_page,
    page_frame,
    print_pdf,
    setup_printer,
)

TITLE = "Handover packets"
#: Accounts laid out per QTextDocument. Every account starts a page, so splitting there changes
#: nothing on paper, but drawing a page of a long document costs time proportional to the
#: document: chunks keep the 1,000-account PDF linear (benchmarks/handover.py).
CHUNK = 8


def _documents(
    packet: Packet,
    printer: QPrinter,
    font: QFont,
    size: QSizeF,
    cover_map: tuple[str, QImage] | None = None,
) -> list[QTextDocument]:
    """The packet's cover (with its map, if given) and accounts as a few documents, each
    starting on a new page."""
    name = cover_map[0] if cover_map else None
    parts = [cover_html(packet, True, name)] + [account_html(packet, a) for a in packet.accounts]
    brk = 'style="page-break-before: always"'
    chunks = ["".join(parts[i : i + CHUNK]) for i in range(0, len(parts), CHUNK)]
    # A chunk after the first starts with an account: its page break is the document's start.
    bodies = [c if i == 0 else c.replace(brk, "", 1) for i, c in enumerate(chunks)]
    docs = [_document(b, printer, font, size) for b in bodies]
    if cover_map is not None:
        add_images(docs[0], dict([cover_map]), size.width(), size.height() * 0.45)
    return docs


def _document(body: str, printer: QPrinter, font: QFont, size: QSizeF) -> QTextDocument:
    doc = QTextDocument()
    doc.documentLayout().setPaintDevice(printer)
    doc.setDefaultFont(font)
    css = ", ".join(f"'{f}'" for f in font.families())
    doc.setDefaultStyleSheet(
        STYLE + (f"body, table, td, th {{ font-family: {css}; }}" if css else "")
    )
    doc.setPageSize(size)  # before the content: laid out once, at the page size
    doc.setHtml(f"<html><body>{body}</body></html>")
    return doc


def paint_packets(
    printer: QPrinter, packets: list[Packet], maps: Mapping[str, QImage] | None = None
) -> int:
    """Paint ``packets`` on ``printer`` (a PDF file or the preview); returns the page count.
    ``maps``: cover maps by :func:`planner.ui.report_maps.packet_map_name` of the packet's
    position."""
    font, small = document_fonts()
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError(f"cannot write {printer.outputFileName()}")
    try:
        frame = page_frame(painter, printer, small)
        size = QSizeF(frame.width, frame.body_h)
        maps = maps or {}
        docs = [
            _documents(p, printer, font, size, _cover_map(maps, i)) for i, p in enumerate(packets)
        ]
        pages = [[(d, i) for d in ds for i in range(max(d.pageCount(), 1))] for ds in docs]
        total = max(sum(len(x) for x in pages), 1)
        if not packets:
            painter.drawText(QRectF(0, frame.band, frame.width, frame.line_h),
                             "No accounts change hands.")  # fmt: skip
        number = 0
        for p, own in zip(packets, pages, strict=True):
            for k, (doc, i) in enumerate(own):
                if number:
                    printer.newPage()
                number += 1
                here = f"packet page {k + 1} of {len(own)}"
                draw_chrome(painter, small, frame, p.title, here, f"page {number} of {total}")
                draw_document_page(painter, doc, i, frame)
        return total
    finally:
        painter.end()


def _cover_map(maps: Mapping[str, QImage], index: int) -> tuple[str, QImage] | None:
    name = f"tp-map:packet-{index}"  # planner.ui.report_maps.packet_map_name
    return (name, maps[name]) if name in maps else None


def packets_to_pdf(
    packets: list[Packet],
    out: Path,
    *,
    page_size: str = "A4",
    protect: Protected | None = None,
    maps: Mapping[str, QImage] | None = None,
) -> Path:
    """Write ``packets`` to the PDF ``out`` (under a temporary name, then renamed; never over
    a protected file such as the project); ``maps``: cover maps (see :func:`paint_packets`)."""
    return print_pdf(out, page_size, TITLE, lambda printer: paint_packets(printer, packets, maps),
                     protect=protect)  # fmt: skip


def preview(
    parent: QWidget | None,
    packets: list[Packet],
    *,
    page_size: str = "A4",
    maps: Mapping[str, QImage] | None = None,
) -> int:
    """Open a print preview of ``packets`` painted by :func:`paint_packets` (with the cover
    ``maps``, as the PDF); returns exec()."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    setup_printer(printer, page_size, TITLE)
    dialog = QPrintPreviewDialog(printer, parent)
    dialog.setWindowTitle(TITLE)
    dialog.paintRequested.connect(lambda p: paint_packets(p, packets, maps))
    return dialog.exec()
