"""HTML to PDF with Qt's text engine: reports, impact summaries and handover packets.

Why QTextDocument + QPrinter rather than the web engine: it needs no GPU, no Chromium process
and no event loop, so the headless CLI (``planner impact --pdf``) prints the same document the
GUI does, offscreen, in a fraction of a second. The price is Qt's HTML subset (tables, CSS
basics, ``page-break-before/after: always`` on block elements), which is all a report needs.

Pagination is done by hand: the document is laid out at the body height of a page and each page
is painted with a header line (``title``, ``header`` right-aligned) and a footer
``page x of y``. Text in Chinese, Japanese or Korean prints as glyphs because the default font
lists a CJK family (Noto Sans CJK, installed by scripts/setup.sh) after the Latin one; the
fonts used are embedded in the PDF (subsetted) by Qt.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QMarginsF, QRectF, QSizeF, Qt, QUrl
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QFont,
    QFontDatabase,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication

from planner.model.io._output import Protected, write_atomic

PAGE_SIZES = {"A4": QPageSize.PageSizeId.A4, "Letter": QPageSize.PageSizeId.Letter}
LATIN_FAMILIES = ("Noto Sans", "DejaVu Sans", "Liberation Sans", "Arial")
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "Noto Sans CJK KR")
BASE_POINT_SIZE = 9
_app: QCoreApplication | None = None  # kept alive for the process when we had to create it


def ensure_app() -> QCoreApplication:
    """The running Qt application, or a new offscreen QApplication (CLI, no display).

    A QApplication, not a QGuiApplication: a later print preview or any widget in the same
    process (tests, the CLI opening a dialog) would abort without one.
    """
    global _app
    app = QCoreApplication.instance()
    if app is not None:
        return app
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _app = QApplication([])
    return _app


def font_families() -> list[str]:
    """A Latin family then a CJK fallback, among those installed (may be empty: Qt default)."""
    installed = set(QFontDatabase.families())
    latin = [f for f in LATIN_FAMILIES if f in installed][:1]
    cjk = [f for f in CJK_FAMILIES if f in installed][:1]
    return latin + cjk


def setup_printer(
    printer: QPrinter, page_size: str = "A4", title: str = "", *, landscape: bool = False
) -> None:
    """Page size, orientation, margins and metadata shared by every PDF export and print
    dialog. ``page_size`` is "A4" or "Letter"."""
    if page_size not in PAGE_SIZES:
        raise ValueError(f"page size must be one of {', '.join(PAGE_SIZES)}, not {page_size!r}")
    printer.setPageSize(QPageSize(PAGE_SIZES[page_size]))
    printer.setPageOrientation(
        QPageLayout.Orientation.Landscape if landscape else QPageLayout.Orientation.Portrait
    )
    printer.setPageMargins(QMarginsF(12, 12, 12, 12), QPageLayout.Unit.Millimeter)
    printer.setDocName(title)
    printer.setCreator("Territory Planner")


def document_fonts() -> tuple[QFont, QFont]:
    """Body and header/footer fonts: the Latin + CJK families found, at the base size."""
    font = QFont()
    families = font_families()
    if families:
        font.setFamilies(families)
    font.setPointSize(BASE_POINT_SIZE)
    small = QFont(font)
    small.setPointSize(BASE_POINT_SIZE - 1)
    return font, small


def html_to_pdf(
    html: str,
    out: Path,
    *,
    page_size: str = "A4",
    title: str = "",
    header: str = "",
    landscape: bool = False,
    protect: Protected | None = None,
    images: Mapping[str, QImage] | None = None,
) -> Path:
    """Print ``html`` to the PDF file ``out`` (written under a temporary name, then renamed).

    ``page_size`` is "A4" or "Letter"; ``title`` goes left in the header line of every page
    and into the PDF's metadata, ``header`` right; ``protect``: files it must not replace;
    ``images``: pictures the HTML shows as ``<img src="NAME">`` (maps), fitted to the page.
    Returns ``out``.
    """
    ensure_app()
    font, small = document_fonts()
    return print_pdf(
        out, page_size, title,
        lambda printer: _paint(printer, html, font, small, title, header, images or {}),
        landscape=landscape, protect=protect,
    )  # fmt: skip


def print_pdf(
    out: Path,
    page_size: str,
    title: str,
    paint: Callable[[QPrinter], object],
    *,
    landscape: bool = False,
    protect: Protected | None = None,
) -> Path:
    """Let ``paint`` draw on a PDF printer writing ``out``: through
    :func:`planner.model.io._output.write_atomic` (never a protected file such as the project;
    a temporary name renamed only when painting finished)."""
    ensure_app()

    def write(tmp: Path) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(tmp))
        setup_printer(printer, page_size, title, landscape=landscape)
        paint(printer)

    return write_atomic(out, write, protect=protect)


@dataclass(frozen=True)
class PageFrame:
    """Printable page in device pixels: header and footer bands of one text line plus a gap."""

    width: float
    height: float
    line_h: float
    band: float

    @property
    def body_h(self) -> float:
        return self.height - 2 * self.band


def page_frame(painter: QPainter, printer: QPrinter, small: QFont) -> PageFrame:
    page = printer.pageRect(QPrinter.Unit.DevicePixel)
    painter.setFont(small)
    line_h = painter.fontMetrics().height()
    return PageFrame(page.width(), page.height(), line_h, line_h * 2.0)


def draw_chrome(
    painter: QPainter, small: QFont, frame: PageFrame, left: str, right: str, footer: str
) -> None:
    """Header line (``left`` and ``right`` texts over a rule) and the centred footer."""
    painter.setFont(small)
    painter.setPen(Qt.GlobalColor.black)
    top = QRectF(0, 0, frame.width, frame.line_h)
    painter.drawText(top, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, left)
    painter.drawText(top, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, right)
    rule = int(frame.line_h * 1.3)
    painter.drawLine(0, rule, int(frame.width), rule)
    painter.drawText(
        QRectF(0, frame.height - frame.line_h, frame.width, frame.line_h),
        Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter,
        footer,
    )


def draw_document_page(painter: QPainter, doc: QTextDocument, index: int, frame: PageFrame) -> None:
    """Paint page ``index`` of a document laid out at ``(width, body_h)`` inside the bands."""
    painter.save()
    painter.translate(0, frame.band - index * frame.body_h)
    ctx = QAbstractTextDocumentLayout.PaintContext()
    ctx.clip = QRectF(0, index * frame.body_h, frame.width, frame.body_h)
    painter.setClipRect(ctx.clip)
    doc.documentLayout().draw(painter, ctx)
    painter.restore()


def add_images(
    doc: QTextDocument, images: Mapping[str, QImage], width: float, height: float
) -> None:
    """Give ``doc`` the pictures its ``<img src="NAME">`` tags name, each drawn as large as fits
    ``width`` x ``height`` (the printer's pixels) with its proportions.

    Why sized here: Qt's HTML takes image sizes in the printer's pixels only (no percentages),
    which the model's HTML cannot know; the picture keeps its own pixels (the PDF embeds it
    once, at that resolution) and is scaled when drawn.
    """
    if not images:
        return
    device = doc.documentLayout().paintDevice()
    dpi_scale = device.logicalDpiX() / 96 if device is not None else 1.0
    for name, image in images.items():
        doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl(name), image)
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            frag = it.fragment()
            fmt = frag.charFormat()
            if fmt.isImageFormat() and fmt.toImageFormat().name() in images:
                img_fmt = fmt.toImageFormat()
                image = images[img_fmt.name()]
                scale = min(width / max(image.width(), 1), height / max(image.height(), 1))
                scale /= dpi_scale  # Qt multiplies an image format's size by the device's dpi
                img_fmt.setWidth(image.width() * scale)
                img_fmt.setHeight(image.height() * scale)
                cursor = QTextCursor(doc)
                cursor.setPosition(frag.position())
                cursor.setPosition(frag.position() + frag.length(), QTextCursor.MoveMode.KeepAnchor)
                cursor.setCharFormat(img_fmt)
            it += 1
        block = block.next()


def _paint(
    printer: QPrinter,
    html: str,
    font: QFont,
    small: QFont,
    title: str,
    header: str,
    images: Mapping[str, QImage],
) -> None:
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError(f"cannot write {printer.outputFileName()}")
    try:
        frame = page_frame(painter, printer, small)
        doc = QTextDocument()
        doc.documentLayout().setPaintDevice(printer)
        doc.setDefaultFont(font)
        if font.families():
            css_families = ", ".join(f"'{f}'" for f in font.families())
            doc.setDefaultStyleSheet(f"body, table, td, th {{ font-family: {css_families}; }}")
        doc.setHtml(html)
        doc.setPageSize(QSizeF(frame.width, frame.body_h))
        add_images(doc, images, frame.width * 0.98, frame.body_h * 0.85)
        pages = max(doc.pageCount(), 1)
        for i in range(pages):
            if i:
                printer.newPage()
            draw_chrome(painter, small, frame, title, header, f"page {i + 1} of {pages}")
            draw_document_page(painter, doc, i, frame)
    finally:
        painter.end()
