"""The painted parts of the balance dock: deviation bars in the table, the disruption meter.

Painted rather than built from stock widgets: a QProgressBar repainted synchronously on every
setValue (4 ms each, twice per edit), and a bar per table cell must cost nothing when 50 rows
repaint after an edit.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QHBoxLayout,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

#: Role giving the raw value (number, or lower-cased text) used for sorting and the bar.
RAW_ROLE = Qt.ItemDataRole.UserRole
_Index = QModelIndex | QPersistentModelIndex


class DeviationBarDelegate(QStyledItemDelegate):
    """A horizontal bar centred at 0 with the % text: green within ``tolerance``, amber within
    ``warning``, red beyond. The bar reaches the cell edge at ``scale`` (larger values clip)."""

    GREEN = QColor("#4caf50")
    AMBER = QColor("#ffb300")
    RED = QColor("#e53935")

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        tolerance: float = 0.05,
        warning: float = 0.15,
        scale: float = 0.30,
    ) -> None:
        super().__init__(parent)
        self.tolerance = tolerance
        self.warning = warning
        self.scale = scale

    def colour_for(self, fraction: float) -> QColor:
        dev = abs(fraction)
        if dev <= self.tolerance:
            return self.GREEN
        return self.AMBER if dev <= self.warning else self.RED

    def bar_rect(self, cell: QRect, fraction: float) -> QRect:
        """The bar's rectangle inside ``cell``: starts at the centre, grows left or right."""
        inner = cell.adjusted(3, 4, -3, -4)
        half = inner.width() / 2
        centre = inner.left() + half
        length = round(min(abs(fraction) / self.scale, 1.0) * half) if self.scale > 0 else 0
        left = int(centre) if fraction >= 0 else int(centre) - length
        return QRect(left, inner.top(), length, inner.height())

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        value = index.data(RAW_ROLE)
        if not isinstance(value, float):
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text = opt.text
        opt.text = ""
        style = opt.widget.style() if opt.widget is not None else None
        painter.save()
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        bar = self.bar_rect(option.rect, value)
        colour = QColor(self.colour_for(value))
        colour.setAlpha(170)
        painter.fillRect(bar, colour)
        painter.setPen(QColor("#9e9e9e"))
        mid = option.rect.left() + 3 + (option.rect.width() - 6) // 2
        painter.drawLine(mid, option.rect.top() + 2, mid, option.rect.bottom() - 2)
        painter.setPen(option.palette.text().color())
        align = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(option.rect.adjusted(4, 0, -4, 0), int(align), text)
        painter.restore()


class _Bar(QWidget):
    """One painted share bar with its text. QProgressBar repainted synchronously on every
    setValue (4 ms each, twice per edit); this one schedules a repaint like any widget."""

    def __init__(self, label: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.label = label
        self._value = 0
        self.setToolTip(f"{label} vs the baseline")
        self.setMinimumHeight(self.fontMetrics().height() + 8)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def value(self) -> int:
        """Tenths of a per cent (0..1000), as QProgressBar's value was."""
        return self._value

    def text(self) -> str:
        return f"{self.label} {self._value / 10:.1f} %"

    def set_share(self, share: float) -> None:
        value = round(min(max(share, 0.0), 1.0) * 1000)
        if value != self._value:
            self._value = value
            self.update()

    def paintEvent(self, _event: object) -> None:
        p = QPainter(self)
        r = self.rect().adjusted(0, 0, -1, -1)
        p.setPen(QColor("#bdbdbd"))
        p.setBrush(QColor("#ffffff"))
        p.drawRoundedRect(r, 3, 3)
        if self._value:
            fill = QRect(r.left() + 1, r.top() + 1, int((r.width() - 1) * self._value / 1000),
                         r.height() - 1)  # fmt: skip
            p.fillRect(fill, QColor("#90caf9"))
        p.setPen(QColor("#212121"))
        p.drawText(r, Qt.AlignmentFlag.AlignCenter, self.text())
        p.end()


class DisruptionMeter(QWidget):
    """Two bars: share of accounts and of revenue whose territory differs from the baseline."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.accounts_bar = _Bar("Accounts moved", self)
        self.revenue_bar = _Bar("Revenue moved", self)
        layout.addWidget(self.accounts_bar)
        layout.addWidget(self.revenue_bar)

    def set_values(self, accounts: float, revenue: float) -> None:
        self.accounts_bar.set_share(accounts)
        self.revenue_bar.set_share(revenue)
