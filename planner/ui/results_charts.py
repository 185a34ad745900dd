"""Charts of the Results dock, painted with QPainter (no chart library, no web view).

- :class:`AttainmentChart`: one bar per row (attainment of its year's quota) with a black tick
  at the pace line (the share of the quota expected by today); red when behind pace.
- :class:`FunnelChart`: the selected row's funnel, bar length = count, with value and the
  conversion to the next stage.
- :class:`TrendChart`: the selected row's bookings per fiscal month against quota (line) and
  last year (grey).

Names are drawn with ``drawText`` (plain text: user data never becomes markup).
"""

from __future__ import annotations

import itertools
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

GOOD, BAD, BAR, GREY = QColor("#2ca02c"), QColor("#d62728"), QColor("#1f77b4"), QColor("#bbbbbb")


class _Chart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[dict[str, Any]] = []
        self.setMinimumHeight(140)

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.update()

    def _empty(self, painter: QPainter, text: str) -> None:
        painter.setPen(QColor("#666666"))
        painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, text)


class AttainmentChart(_Chart):
    ROW = 16  # pixels per row: a long list scrolls rather than squeezes

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        n = sum(r.get("attainment") is not None for r in rows)
        self.setMinimumHeight(max(140, 8 + n * self.ROW))
        super().set_rows(rows)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        try:
            rows = [r for r in self.rows if r.get("attainment") is not None]
            if not rows:
                self._empty(p, "No quota: set quotas to see attainment")
                return
            h = float(self.ROW)
            label_w, w = 140.0, max(self.width() - 200.0, 40.0)
            top = max(1.5, max(r["attainment"] for r in rows) * 1.05)
            for i, r in enumerate(rows):
                y = 4 + i * h
                p.setPen(QColor("#222222"))
                p.drawText(
                    QRectF(2, y, label_w - 6, h), Qt.AlignmentFlag.AlignVCenter, str(r["name"])
                )
                behind = r.get("pace_pct") is not None and r["pace_pct"] < 0
                p.fillRect(
                    QRectF(label_w, y + 2, w * r["attainment"] / top, h - 4),
                    BAD if behind else GOOD,
                )
                if r.get("quota") and r.get("expected") is not None:
                    x = label_w + w * (r["expected"] / r["quota"]) / top
                    p.setPen(QPen(QColor("#000000"), 2))
                    p.drawLine(QPointF(x, y), QPointF(x, y + h))
                p.setPen(QColor("#222222"))
                p.drawText(
                    QRectF(label_w + w + 4, y, 56, h),
                    Qt.AlignmentFlag.AlignVCenter,
                    f"{r['attainment']:.0%}",
                )
        finally:
            p.end()


class FunnelChart(_Chart):
    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        try:
            funnel = self.rows[0].get("funnel") if self.rows else None
            if not funnel:
                self._empty(p, "No opportunities")
                return
            h = max(min((self.height() - 8) / len(funnel), 24.0), 8.0)
            top = max(s["count"] for s in funnel) or 1
            label_w, w = 150.0, max(self.width() - 330.0, 40.0)
            for i, s in enumerate(funnel):
                y = 4 + i * h
                p.setPen(QColor("#222222"))
                p.drawText(QRectF(2, y, label_w - 6, h), Qt.AlignmentFlag.AlignVCenter, s["stage"])
                p.fillRect(QRectF(label_w, y + 2, w * s["count"] / top, h - 4), BAR)
                conv = "" if s["conversion"] is None else f" → {s['conversion']:.0%}"
                p.drawText(
                    QRectF(label_w + w + 4, y, 180, h),
                    Qt.AlignmentFlag.AlignVCenter,
                    f"{s['count']:,} · {s['value']:,.0f}{conv}",
                )
        finally:
            p.end()


class TrendChart(_Chart):
    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        try:
            if not self.rows:
                self._empty(p, "Select a row")
                return
            r = self.rows[0]
            months, prior, quota = r["months"], r["prior_months"], r.get("quota_months")
            top = max([*months, *prior, *(quota or []), 1.0])
            left, bottom = 8.0, self.height() - 18.0
            step = (self.width() - 2 * left) / 12
            for i in range(12):
                x = left + i * step
                for j, (vals, colour) in enumerate(((prior, GREY), (months, BAR))):
                    hgt = (bottom - 8) * vals[i] / top
                    p.fillRect(
                        QRectF(x + 2 + j * step * 0.4, bottom - hgt, step * 0.38, hgt), colour
                    )
                p.setPen(QColor("#444444"))
                p.drawText(
                    QRectF(x, bottom + 2, step, 14), Qt.AlignmentFlag.AlignHCenter, f"M{i + 1}"
                )
            if quota:
                p.setPen(QPen(QColor("#000000"), 2))
                pts = [
                    QPointF(left + (i + 0.5) * step, bottom - (bottom - 8) * quota[i] / top)
                    for i in range(12)
                ]
                for a, b in itertools.pairwise(pts):
                    p.drawLine(a, b)
        finally:
            p.end()
