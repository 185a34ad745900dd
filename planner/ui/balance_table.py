"""The live balance table: one row per territory, refreshed cell by cell after every edit.

:class:`BalanceTableModel` caches ``plan.rows()`` and, on each :class:`PlanChange`, recomputes
the rows and emits ``dataChanged`` only for the cells whose value actually changed (always
including the touched territories). Comparing values instead of trusting ``touched`` alone
matters because a move changes the *target* of every territory when the total changes (e.g.
workload, whose travel part depends on the anchor) and the disruption share of untouched
territories never changes; diffing K small dicts costs microseconds, far less than repainting
every row. The model is reset only when the territory list itself changes (``set_plan``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from planner.model.balance import METRICS, default_metric, metrics_with_data
from planner.model.events import PlanChange
from planner.model.plan import Plan
from planner.ui.numbers import compact, full

#: Role giving the raw value (number, or lower-cased text) used for sorting and the bar.
RAW_ROLE = Qt.ItemDataRole.UserRole
_Index = QModelIndex | QPersistentModelIndex

METRIC_LABELS = {
    "accounts": "Accounts",
    "potential": "Potential",
    "workload_hours": "Workload h",
    "revenue": "Revenue",
    "pipeline": "Pipeline",
}


def metric_chooser(label: str, parent: QWidget) -> tuple[QComboBox, QHBoxLayout]:
    """The "<label> [metric]" row above the balance table and chart (potential first shown)."""
    box = QComboBox(parent)
    for m in METRICS:
        box.addItem(METRIC_LABELS[m], m)
    box.setCurrentIndex(METRICS.index("potential"))
    row = QHBoxLayout()
    row.addWidget(QLabel(label, parent))
    row.addWidget(box)
    row.addStretch(1)
    return box, row


def _num(decimals: int) -> Callable[[float], str]:
    return lambda v: compact(v, decimals)


def _pct(signed: bool) -> Callable[[float], str]:
    return lambda v: f"{v * 100:+.1f} %" if signed else f"{v * 100:.1f} %"


#: (key, header, formatter or None for text). "deviation" reads the selected metric. The
#: deviation comes right after the name: at 1366x768 the dock shows four columns, and those
#: must be the territory, how far off it is and its main figures (the rest scroll).
COLUMNS: tuple[tuple[str, str, Callable[[float], str] | None], ...] = (
    ("name", "Territory", None),
    ("deviation", "Deviation %", _pct(True)),
    ("potential", "Potential", _num(0)),
    ("workload_hours", "Workload h", _num(0)),
    ("accounts", "Accounts", _num(0)),
    ("revenue", "Revenue", _num(0)),
    ("pipeline", "Pipeline", _num(0)),
    ("rep", "Rep", None),
    ("disruption", "Disruption %", _pct(False)),
)
COLUMN = {key: i for i, (key, _, _) in enumerate(COLUMNS)}
PERCENT = frozenset({"deviation", "disruption"})


def _same(a: Any, b: Any) -> bool:
    """Equal, ignoring float noise from O(|S|) subtract/add (which would repaint every row)."""
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
    return bool(a == b)


class BalanceTableModel(QAbstractTableModel):
    """Territory balance rows of a :class:`Plan`; subscribes to ``plan.changed``."""

    def __init__(self, plan: Plan, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._plan: Plan | None = None
        self._rows: list[dict[str, Any]] = []
        self._metric = "potential"
        self.set_plan(plan)

    # -- plan wiring ---------------------------------------------------------------------------
    @property
    def plan(self) -> Plan | None:
        return self._plan

    def set_plan(self, plan: Plan | None) -> None:
        """Switch scenario (or project): the one place the model is reset."""
        if self._plan is not None:
            self._plan.changed.disconnect(self._on_change)
        self.beginResetModel()
        self._plan = plan
        self._rows = plan.rows() if plan is not None else []
        self.endResetModel()
        if plan is not None:
            plan.changed.connect(self._on_change)

    def _on_change(self, change: PlanChange) -> None:
        if shiboken6.isValid(self):
            self.refresh(change.touched)

    def refresh(self, touched: tuple[int, ...] = ()) -> None:
        """Re-read the plan; emit ``dataChanged`` only for cells whose value changed.

        Call after ``plan.refresh_territories()`` (rename, recolour, new rep, new territory):
        territories appended to the plan become inserted rows, not a reset.
        """
        if self._plan is None:
            return
        new = self._plan.rows()
        old = self._rows
        if len(new) < len(old):
            self.beginResetModel()
            self._rows = new
            self.endResetModel()
            return
        self._rows = new[: len(old)]
        for r in range(len(old)):
            cols = [
                c
                for c in range(len(COLUMNS))
                if not _same(self._cell(old[r], c), self._cell(new[r], c))
            ]
            if r in touched and not cols:
                cols = [COLUMN["accounts"], COLUMN["disruption"]]
            if cols:
                self.dataChanged.emit(self.index(r, min(cols)), self.index(r, max(cols)))
        if len(new) > len(old):
            self.beginInsertRows(QModelIndex(), len(old), len(new) - 1)
            self._rows = new
            self.endInsertRows()

    # -- deviation metric ----------------------------------------------------------------------
    @property
    def deviation_metric(self) -> str:
        return self._metric

    def set_deviation_metric(self, metric: str) -> None:
        """Choose which metric the Deviation % column shows (one of ``METRICS``)."""
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r}; expected one of {', '.join(METRICS)}")
        if metric == self._metric:
            return
        self._metric = metric
        col = COLUMN["deviation"]
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, col, col)
        if self._rows:
            self.dataChanged.emit(self.index(0, col), self.index(len(self._rows) - 1, col))

    # -- Qt model API --------------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def _cell(self, row: dict[str, Any], col: int) -> Any:
        key = COLUMNS[col][0]
        if key == "deviation":
            return row["deviation"][self._metric]
        return row[key]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        row, col = self._rows[index.row()], index.column()
        value = self._cell(row, col)
        fmt = COLUMNS[col][2]
        if role == Qt.ItemDataRole.DisplayRole:
            return str(value) if fmt is None else fmt(value)
        if role == Qt.ItemDataRole.ToolTipRole and fmt is not None:
            key = COLUMNS[col][0]  # the exact figure behind a compact one
            exact = (
                fmt(value) if key in PERCENT else full(value, 1 if key == "workload_hours" else 0)
            )
            return f"{row['name']} · {COLUMNS[col][1]}: {exact}"
        if role == RAW_ROLE:
            return str(value).casefold() if fmt is None else float(value)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if fmt is None:
                return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.DecorationRole and col == COLUMN["name"]:
            colour = QColor(row["colour"])
            return colour if colour.isValid() else None
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not (0 <= section < len(COLUMNS)):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            if COLUMNS[section][0] == "deviation":
                return f"Deviation % ({METRIC_LABELS[self._metric]})"
            return COLUMNS[section][1]
        if role == Qt.ItemDataRole.TextAlignmentRole and COLUMNS[section][2] is not None:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def territory_index(self, row: int) -> int:
        """Territory index (the Plan's) of a source row."""
        return int(self._rows[row]["index"])


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


class BalanceTableView(QTableView):
    """The balance table wired up: sortable proxy (numeric sort), deviation bars, row select.

    ``territorySelected(int)`` gives the Plan's territory index of the clicked row, whatever
    the sort order.
    """

    territorySelected = Signal(int)

    def __init__(self, plan: Plan, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.balance_model = BalanceTableModel(plan, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.balance_model)
        self.proxy.setSortRole(RAW_ROLE)
        self.setModel(self.proxy)
        self.deviation_delegate = DeviationBarDelegate(self)
        self.setItemDelegateForColumn(COLUMN["deviation"], self.deviation_delegate)
        self.setSortingEnabled(True)
        self.sortByColumn(COLUMN["name"], Qt.SortOrder.AscendingOrder)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().hide()
        # Widths are measured once per plan, not on every edit: ResizeToContents re-reads every
        # cell on each dataChanged, which cost ~80 ms per edit at 50 territories.
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.horizontalHeader().setStretchLastSection(True)
        # One re-sort per event-loop turn instead of one per dataChanged emission.
        self.proxy.setDynamicSortFilter(False)
        self._sort_timer = QTimer(self)  # owned by the view: never fires after it is deleted
        self._sort_timer.setSingleShot(True)
        self._sort_timer.setInterval(0)
        self._sort_timer.timeout.connect(self._resort)
        self.balance_model.dataChanged.connect(self._schedule_sort)
        self.balance_model.rowsInserted.connect(self._schedule_sort)
        self.selectionModel().currentRowChanged.connect(self._on_current)
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Column widths from the texts, measured with the font (resizeColumnsToContents asked
        every cell's delegate for its size: 0.35 s at 40 territories, on every switch)."""
        m = self.balance_model
        fm, header = self.fontMetrics(), self.horizontalHeader().fontMetrics()
        pad = 2 * self.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 12
        icon = self.iconSize().width() or 16
        for col in range(m.columnCount()):
            title = str(m.headerData(col, Qt.Orientation.Horizontal))
            cells = (str(m.data(m.index(r, col))) for r in range(m.rowCount()))
            width = max([header.horizontalAdvance(title) + 24, *map(fm.horizontalAdvance, cells)])
            self.setColumnWidth(col, width + pad + (icon + 4 if col == COLUMN["name"] else 0))
        self.setColumnWidth(COLUMN["deviation"], max(140, self.columnWidth(COLUMN["deviation"])))

    def _schedule_sort(self, *_args: object) -> None:
        self._sort_timer.start()

    def _resort(self) -> None:
        header = self.horizontalHeader()
        if self.isSortingEnabled() and header.sortIndicatorSection() >= 0:
            # sort() with an unchanged column/order is a no-op in Qt: reset it first.
            self.proxy.sort(-1)
            self.proxy.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())

    def set_plan(self, plan: Plan | None) -> None:
        self.balance_model.set_plan(plan)
        self._fit_columns()

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            src = self.proxy.mapToSource(current)
            self.territorySelected.emit(self.balance_model.territory_index(src.row()))

    def select_territory(self, territory: int) -> None:
        """Make the row of a territory index current (e.g. when the map activates one)."""
        m = self.balance_model
        for r in range(m.rowCount()):
            if m.territory_index(r) == territory:
                self.setCurrentIndex(self.proxy.mapFromSource(m.index(r, 0)))
                return


def summary_text(plan: Plan, metric: str, disruption: dict[str, float] | None = None) -> str:
    """The footer line: max |deviation| and Gini of ``metric``, disruption, unassigned.

    A metric with no data says so: "Max |deviation| 0.0 %" would read as perfectly balanced.
    """
    s = plan.summary()
    d = disruption if disruption is not None else plan.disruption()
    if metric in metrics_with_data(plan.balance.totals):
        spread = (
            f"Max |deviation| {s['max_abs_deviation'][metric] * 100:.1f} % · "
            f"Gini {s['gini'][metric]:.3f}"
        )
    else:
        spread = f"No {METRIC_LABELS[metric].lower()} data in this project's accounts"
    return (
        f"{spread} · Disruption {d['accounts'] * 100:.1f} % of accounts · "
        f"Unassigned {plan.unassigned_accounts():,} account(s)"
    )


def offer_metrics(box: QComboBox, plan: Plan | None) -> None:
    """Mark metrics without data "(no data)" and, if the chosen one has none, choose the
    default (potential, else workload...). Called when a plan is shown."""
    if plan is None:
        return
    have = metrics_with_data(plan.balance.totals)
    for i in range(box.count()):
        m = str(box.itemData(i))
        box.setItemText(i, METRIC_LABELS[m] + ("" if m in have else " (no data)"))
    if str(box.currentData()) not in have:
        box.setCurrentIndex(box.findData(default_metric(plan.balance.totals)))


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


class BalanceDock(QWidget):
    """Metric selector, the balance table, a summary line and the disruption meter."""

    def __init__(self, plan: Plan, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._plan: Plan | None = None
        self.metric_box, top = metric_chooser("Deviation of", self)
        self.table = BalanceTableView(plan, self)
        self.summary = QLabel(self)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)  # a long line would widen the dock and shrink the map
        self.meter = DisruptionMeter(self)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.meter)
        self.metric_box.currentIndexChanged.connect(self._on_metric)
        self.set_plan(plan)

    @property
    def chosen_metric(self) -> str:
        return str(self.metric_box.currentData())

    def set_plan(self, plan: Plan | None) -> None:
        if self._plan is not None:
            self._plan.changed.disconnect(self._on_change)
        self._plan = plan
        self.table.set_plan(plan)
        offer_metrics(self.metric_box, plan)
        if plan is not None:
            plan.changed.connect(self._on_change)
        self.refresh()

    def _on_metric(self, _i: int) -> None:
        self.table.balance_model.set_deviation_metric(self.chosen_metric)
        self.refresh()

    def _on_change(self, _change: PlanChange) -> None:
        if shiboken6.isValid(self):
            self.refresh()

    def refresh(self) -> None:
        """Recompute the summary line and the meter (O(accounts): a few ms at 100k)."""
        if self._plan is None:
            self.summary.setText("")
            self.meter.set_values(0.0, 0.0)
            return
        d = self._plan.disruption()
        self.summary.setText(summary_text(self._plan, self.chosen_metric, d))
        self.meter.set_values(d["accounts"], d["revenue"])
