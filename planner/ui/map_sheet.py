"""A map sheet: the map picture with a title, legend, scale bar, north arrow, scenario and date,
painted on any page or picture (PNG, SVG, PDF, a printer, a report's image).

Why painted here rather than in the page: a printout needs its chrome at the printer's
resolution and sized to the paper, and the same sheet goes into PDF reports, workbooks and the
Print dialog. Every text is drawn with ``QPainter.drawText`` as plain text, so a territory named
``<b>x</b>`` prints as typed; the fonts are the report fonts (Latin + CJK fallback).

Layout, as GIS print layouts have it: title and subtitle (scenario, date) above the map; in the
map's corners a north arrow (top left; the map is Web Mercator, north up), the legend (top
right, one row per item: a swatch, a dashed line or a hatched box) and the scale bar (bottom
left); the data credits below.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPaintDevice, QPainter, QPen, QPolygonF

from planner.model.io._output import Protected, write_atomic
from planner.ui.map_capture import MapCapture

BASEMAP_CREDIT = "Basemap: Natural Earth (public domain)"
MAX_LEGEND_ROWS = 24
PAGE_SIZES = ("A4", "A3", "Letter", "Legal", "Tabloid")


@dataclass(frozen=True)
class LegendItem:
    """One legend row: ``kind`` is ``fill`` (a swatch), ``dashed`` (an outline) or ``hatched``."""

    label: str
    colour: str
    kind: str = "fill"


@dataclass(frozen=True)
class SheetText:
    """What is written around the map."""

    title: str
    subtitle: str = ""
    legend: Sequence[LegendItem] = field(default_factory=tuple)
    credits: str = ""


def nice_length(metres: float) -> float:
    """The largest 1, 2 or 5 × 10^k metres not above ``metres`` (a scale bar's length)."""
    if metres <= 0 or not math.isfinite(metres):
        return 0.0
    power = 10 ** math.floor(math.log10(metres))
    return max(m * power for m in (1, 2, 5) if m * power <= metres)


def distance_label(metres: float) -> str:
    return f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"


def _fonts(height: float) -> tuple[QFont, QFont, QFont]:
    from planner.ui.printing import document_fonts

    base, _small = document_fonts()
    title, body, small = QFont(base), QFont(base), QFont(base)
    title.setPixelSize(max(int(height * 0.032), 10))
    title.setBold(True)
    body.setPixelSize(max(int(height * 0.017), 8))
    small.setPixelSize(max(int(height * 0.013), 7))
    return title, body, small


def paint_sheet(painter: QPainter, rect: QRectF, cap: MapCapture, text: SheetText) -> QRectF:
    """Paint the sheet into ``rect`` (device pixels); returns where the map went."""
    title_font, body, small = _fonts(rect.height())
    pad = min(rect.width(), rect.height()) * 0.015
    painter.save()
    painter.fillRect(rect, Qt.GlobalColor.white)
    painter.setPen(Qt.GlobalColor.black)
    y = rect.top() + pad * 0.5
    inner = rect.adjusted(pad, 0, -pad, 0)
    for line, font in ((text.title, title_font), (text.subtitle, body)):
        if line:
            painter.setFont(font)
            h = painter.fontMetrics().height()
            painter.drawText(QRectF(inner.left(), y, inner.width(), h),
                             Qt.AlignmentFlag.AlignLeft, line)  # fmt: skip
            y += h
    y += pad * 0.5 if (text.title or text.subtitle) else 0
    painter.setFont(small)
    foot_h = painter.fontMetrics().height() * 1.4
    credits = "  ·  ".join(c for c in (BASEMAP_CREDIT, text.credits) if c)
    painter.drawText(
        QRectF(inner.left(), rect.bottom() - foot_h, inner.width(), foot_h),
        Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, credits,
    )  # fmt: skip
    area = QRectF(inner.left(), y, inner.width(), rect.bottom() - foot_h - y)
    img = cap.image
    scale = min(area.width() / max(img.width(), 1), area.height() / max(img.height(), 1))
    target = QRectF(0, 0, img.width() * scale, img.height() * scale)
    target.moveCenter(area.center())
    target.moveTop(area.top())
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.drawImage(target, img)
    painter.setPen(QPen(QColor("#555555"), max(pad * 0.08, 1)))
    painter.drawRect(target)
    _north_arrow(painter, target, pad, body)
    _scale_bar(painter, target, pad, small, cap.metres_per_pixel / scale)
    if text.legend:
        _legend(painter, target, pad, body, text.legend)
    painter.restore()
    return target


def _box(painter: QPainter, r: QRectF) -> None:
    painter.setPen(QPen(QColor("#00000055"), 1))
    painter.setBrush(QColor(255, 255, 255, 235))
    painter.drawRect(r)


def _north_arrow(painter: QPainter, map_rect: QRectF, pad: float, font: QFont) -> None:
    painter.setFont(font)
    fh = painter.fontMetrics().height()
    w = fh * 1.4
    r = QRectF(map_rect.left() + pad, map_rect.top() + pad, w + pad, fh * 3.2)
    _box(painter, r)
    cx, top = r.center().x(), r.top() + pad * 0.4
    painter.setPen(QPen(Qt.GlobalColor.black, 1))
    painter.setBrush(Qt.GlobalColor.black)
    tip, base = QPointF(cx, top), top + fh * 1.6
    painter.drawPolygon(
        QPolygonF([tip, QPointF(cx - w * 0.35, base), QPointF(cx, base - fh * 0.4)])
    )
    painter.setBrush(Qt.GlobalColor.white)
    painter.drawPolygon(
        QPolygonF([tip, QPointF(cx + w * 0.35, base), QPointF(cx, base - fh * 0.4)])
    )
    painter.drawText(QRectF(r.left(), base, r.width(), fh * 1.3), Qt.AlignmentFlag.AlignCenter, "N")


def _scale_bar(painter: QPainter, map_rect: QRectF, pad: float, font: QFont, mpp: float) -> None:
    if mpp <= 0 or not math.isfinite(mpp):
        return
    metres = nice_length(mpp * map_rect.width() * 0.22)
    if metres <= 0:
        return
    length = metres / mpp
    painter.setFont(font)
    fh = painter.fontMetrics().height()
    r = QRectF(
        map_rect.left() + pad, map_rect.bottom() - pad - fh * 2.4, length + pad * 2, fh * 2.2
    )
    _box(painter, r)
    x0, y0 = r.left() + pad, r.top() + fh * 1.3
    bar_h = fh * 0.45
    half = length / 2
    painter.setPen(QPen(Qt.GlobalColor.black, 1))
    painter.setBrush(Qt.GlobalColor.black)
    painter.drawRect(QRectF(x0, y0, half, bar_h))
    painter.setBrush(Qt.GlobalColor.white)
    painter.drawRect(QRectF(x0 + half, y0, half, bar_h))
    painter.drawText(QRectF(x0, r.top() + pad * 0.2, length, fh), Qt.AlignmentFlag.AlignCenter,
                     distance_label(metres))  # fmt: skip


def _legend(
    painter: QPainter, map_rect: QRectF, pad: float, font: QFont, items: Sequence[LegendItem]
) -> None:
    painter.setFont(font)
    fm = painter.fontMetrics()
    rows = list(items[:MAX_LEGEND_ROWS])
    more = len(items) - len(rows)
    labels = [i.label if len(i.label) <= 40 else i.label[:39] + "…" for i in rows]
    if more:
        labels.append(f"… and {more} more")
    fh = fm.height()
    sw = fh * 1.6
    width = min(
        max(fm.horizontalAdvance(t) for t in labels) + sw + pad * 2.5, map_rect.width() * 0.4
    )
    r = QRectF(map_rect.right() - pad - width, map_rect.top() + pad, width, fh * len(labels) + pad)
    _box(painter, r)
    for n, label in enumerate(labels):
        row = QRectF(r.left() + pad, r.top() + pad / 2 + n * fh, r.width() - pad * 2, fh)
        if n < len(rows):
            _swatch(painter, QRectF(row.left(), row.top() + fh * 0.15, sw, fh * 0.7), rows[n])
        painter.setPen(Qt.GlobalColor.black)
        text_rect = row.adjusted(sw + pad * 0.5, 0, 0, 0)
        shown = fm.elidedText(label, Qt.TextElideMode.ElideRight, int(text_rect.width()))
        flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(text_rect, flags, shown)


def _swatch(painter: QPainter, r: QRectF, item: LegendItem) -> None:
    colour = QColor(item.colour)
    if item.kind == "dashed":
        pen = QPen(colour, max(r.height() * 0.18, 1), Qt.PenStyle.DashLine)
        painter.setPen(pen)
        y = r.center().y()
        painter.drawLine(QPointF(r.left(), y), QPointF(r.right(), y))
        return
    painter.setPen(QPen(QColor("#00000066"), 1))
    painter.setBrush(QBrush(colour, Qt.BrushStyle.BDiagPattern if item.kind == "hatched"
                            else Qt.BrushStyle.SolidPattern))  # fmt: skip
    painter.drawRect(r)


# -- outputs -----------------------------------------------------------------------------------
def sheet_image(cap: MapCapture, text: SheetText, size: QSize | None = None) -> QImage:
    """The sheet as a picture (``size`` px; the map's own size plus room for the text)."""
    if size is None:
        size = QSize(cap.image.width(), int(cap.image.height() * 1.12))
    image = QImage(size, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    try:
        paint_sheet(painter, QRectF(0, 0, size.width(), size.height()), cap, text)
    finally:
        painter.end()
    return image


def _paint_on(device: QPaintDevice, rect: Callable[[], QRectF], cap: MapCapture,
              text: SheetText) -> None:  # fmt: skip
    painter = QPainter()
    if not painter.begin(device):
        raise OSError("cannot paint the map sheet")
    try:
        paint_sheet(painter, rect(), cap, text)
    finally:
        painter.end()


def sheet_suffix(out: Path) -> str:
    """The sheet format ``out`` names (.png, .svg, .pdf), or OSError before anything is drawn."""
    suffix = out.suffix.lower()
    if suffix not in (".png", ".svg", ".pdf"):
        raise OSError(f"{out}: export the map as .png, .svg or .pdf")
    return suffix


def save_sheet(
    out: Path,
    cap: MapCapture,
    text: SheetText,
    *,
    page_size: str = "A4",
    landscape: bool = True,
    protect: Protected | None = None,
) -> Path:
    """Write the sheet to ``out`` as PNG, SVG or PDF (by its suffix), atomically. PNG and SVG
    take the map's size; PDF the paper size."""
    suffix = sheet_suffix(out)

    def write(tmp: Path) -> None:
        if suffix == ".png":
            if not sheet_image(cap, text).save(str(tmp), "PNG"):
                raise OSError(f"cannot write {out}")
        elif suffix == ".svg":
            from PySide6.QtSvg import QSvgGenerator

            size = QSize(cap.image.width(), int(cap.image.height() * 1.12))
            gen = QSvgGenerator()
            gen.setFileName(str(tmp))
            gen.setSize(size)
            gen.setViewBox(QRectF(0, 0, size.width(), size.height()))
            gen.setTitle(text.title)
            _paint_on(gen, lambda: QRectF(0, 0, size.width(), size.height()), cap, text)
        else:
            printer = pdf_printer(tmp, page_size, text.title, landscape=landscape)
            _paint_on(printer, lambda: printer_rect(printer), cap, text)

    return write_atomic(out, write, protect=protect)


def map_pixels(page_size: str, landscape: bool, dpi: float) -> tuple[int, int]:
    """Pixels of the map picture that fills a sheet on this paper at ``dpi``: the printable
    width (10 mm margins) and the height left under the title and above the credits (the
    sheet's map area is 1/1.12 of its height, as :func:`sheet_image` lays it out)."""
    from PySide6.QtGui import QPageLayout
    from PySide6.QtPrintSupport import QPrinter

    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)  # no device opened: page maths
    setup_paper(printer, page_size, "", landscape=landscape)
    rect = printer.pageLayout().paintRect(QPageLayout.Unit.Inch)
    return round(rect.width() * dpi), round(rect.height() * dpi / 1.12)


def pdf_printer(path: Path, page_size: str, title: str, *, landscape: bool) -> object:
    """A high-resolution PDF printer on ``page_size`` paper."""
    from PySide6.QtPrintSupport import QPrinter

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    setup_paper(printer, page_size, title, landscape=landscape)
    return printer


def setup_paper(printer: object, page_size: str, title: str, *, landscape: bool) -> None:
    from PySide6.QtCore import QMarginsF
    from PySide6.QtGui import QPageLayout, QPageSize

    ids = {"A4": QPageSize.PageSizeId.A4, "A3": QPageSize.PageSizeId.A3,
           "Letter": QPageSize.PageSizeId.Letter, "Legal": QPageSize.PageSizeId.Legal,
           "Tabloid": QPageSize.PageSizeId.Tabloid}  # fmt: skip
    if page_size not in ids:
        raise ValueError(f"paper size must be one of {', '.join(ids)}, not {page_size!r}")
    printer.setPageSize(QPageSize(ids[page_size]))  # type: ignore[attr-defined]
    orient = QPageLayout.Orientation
    printer.setPageOrientation(orient.Landscape if landscape else orient.Portrait)  # type: ignore[attr-defined]
    printer.setPageMargins(QMarginsF(10, 10, 10, 10), QPageLayout.Unit.Millimeter)  # type: ignore[attr-defined]
    printer.setDocName(title)  # type: ignore[attr-defined]
    printer.setCreator("Territory Planner")  # type: ignore[attr-defined]


def printer_rect(printer: object) -> QRectF:
    from PySide6.QtPrintSupport import QPrinter

    page = printer.pageRect(QPrinter.Unit.DevicePixel)  # type: ignore[attr-defined]
    return QRectF(0, 0, page.width(), page.height())
