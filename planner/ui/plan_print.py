"""The territory plan to PDF: the HTML of planner.model.io.plan_export plus a map picture.

Same Qt text engine, fonts (Latin + CJK fallback, embedded) and page chrome as the handover
packets (:mod:`planner.ui.printing`). The map of each territory is painted with QPainter into
an image (its units filled in the territory colour over the neighbouring units in grey, or its
accounts as dots in a free-form project) and handed to the document as a resource, so no file
is written besides the PDF and nothing loads from outside.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import shapely
from PySide6.QtCore import QPointF, QSizeF, QUrl
from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen, QTextDocument
from PySide6.QtPrintSupport import QPrinter

from planner.model.atoms import load_unit_geometries
from planner.model.io._output import Protected
from planner.model.io.plan_export import STYLE, plan_html
from planner.model.plan_report import PlanReport
from planner.ui.printing import (
    document_fonts,
    draw_chrome,
    draw_document_page,
    ensure_app,
    page_frame,
    print_pdf,
)

MAP_SIZE = (1120, 640)


def territory_map(plan: Any, report: PlanReport, geoms: Any = None) -> QImage:
    """A picture of the territory: its units (or accounts) over its neighbours."""
    a = plan.atoms
    img = QImage(*MAP_SIZE, QImage.Format.Format_RGB32)
    img.fill(QColor("white"))
    index = a.territory_index().get(report.territory_id)
    colour = QColor(str(a.territory_colours[index]) if index is not None else "#1f77b4")
    units = np.zeros(0, dtype=np.int64)
    if a.n_units and index is not None:
        units = np.flatnonzero(plan.alignment[: a.n_units] == index)
    lon = a.account_lon[report.account_index]
    lat = a.account_lat[report.account_index]
    if len(units):
        geoms = load_unit_geometries(plan.project) if geoms is None else geoms
        box = shapely.total_bounds(geoms[units])
    elif np.isfinite(lon).any():
        box = np.array([np.nanmin(lon), np.nanmin(lat), np.nanmax(lon), np.nanmax(lat)])
    else:
        return img
    pad = max(box[2] - box[0], box[3] - box[1], 1e-3) * 0.08
    x0, y0, x1, y1 = box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad
    scale = min(MAP_SIZE[0] / (x1 - x0), MAP_SIZE[1] / (y1 - y0))

    def pt(x: float, y: float) -> QPointF:
        return QPointF((x - x0) * scale, MAP_SIZE[1] - (y - y0) * scale)

    painter = QPainter(img)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    try:
        if len(units):
            near = shapely.intersects(geoms, shapely.box(x0, y0, x1, y1))
            mine = np.zeros(len(geoms), dtype=bool)
            mine[units] = True
            for i in np.flatnonzero(near):
                fill = colour if mine[i] else QColor("#e4e4e4")
                painter.setPen(QPen(QColor("#ffffff" if not mine[i] else "#444444"), 1))
                painter.setBrush(fill)
                painter.drawPath(_path(geoms[i], pt))
        painter.setPen(QPen(QColor("#222222"), 1))
        painter.setBrush(QColor("#222222"))
        ok = np.isfinite(lon) & np.isfinite(lat)
        for x, y in zip(lon[ok][:5000], lat[ok][:5000], strict=True):
            painter.drawEllipse(pt(x, y), 2.0, 2.0)
    finally:
        painter.end()
    return img


def _path(geom: Any, pt: Any) -> QPainterPath:
    path = QPainterPath()
    polys = getattr(geom, "geoms", [geom])
    for poly in polys:
        for ring in [poly.exterior, *poly.interiors]:
            coords = np.asarray(ring.coords)
            path.moveTo(pt(*coords[0][:2]))
            for c in coords[1:]:
                path.lineTo(pt(*c[:2]))
            path.closeSubpath()
    return path


def plan_to_pdf(
    reports: list[PlanReport],
    plan: Any,
    out: Path,
    *,
    page_size: str = "A4",
    with_map: bool = True,
    protect: Protected | None = None,
) -> Path:
    """Print the plans of ``reports`` (one section per territory) to ``out``."""
    ensure_app()
    font, small = document_fonts()
    geoms = load_unit_geometries(plan.project) if with_map and plan.atoms.n_units else None
    images = {r.territory_id: territory_map(plan, r, geoms) for r in reports} if with_map else {}
    title = "Territory plan" if len(reports) == 1 else f"Territory plans ({len(reports)})"
    header = reports[0].territory if len(reports) == 1 else reports[0].scenario

    def paint(printer: QPrinter) -> None:
        painter = QPainter()
        if not painter.begin(printer):
            raise OSError(f"cannot write {printer.outputFileName()}")
        try:
            frame = page_frame(painter, printer, small)
            doc = QTextDocument()
            doc.documentLayout().setPaintDevice(printer)
            doc.setDefaultFont(font)
            css = ", ".join(f"'{f}'" for f in font.families())
            doc.setDefaultStyleSheet(
                STYLE + (f"body, table, td, th {{ font-family: {css}; }}" if css else "")
            )
            for tid, img in images.items():
                doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl(f"map-{tid}"), img)
            src = (lambda t: f"map-{t}") if with_map else None
            # <img> sizes are in 96-dpi pixels; Qt scales them to the printer's resolution
            width = int(frame.width * 0.9 * 96 / max(printer.logicalDpiX(), 1))
            height = int(width * MAP_SIZE[1] / MAP_SIZE[0])
            doc.setHtml(plan_html(reports, src, width, height))
            doc.setPageSize(QSizeF(frame.width, frame.body_h))
            pages = max(doc.pageCount(), 1)
            for i in range(pages):
                if i:
                    printer.newPage()
                draw_chrome(painter, small, frame, title, header, f"page {i + 1} of {pages}")
                draw_document_page(painter, doc, i, frame)
        finally:
            painter.end()

    return print_pdf(out, page_size, title, paint, protect=protect)
