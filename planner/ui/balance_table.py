"""The balance dock: the hierarchy tree of balance figures, a summary line, the disruption meter.

:class:`BalanceTableView` shows :class:`~planner.ui.balance_model.BalanceTableModel` (regions >
districts > territories, every metric rolled up, deviation among siblings, quota columns when
the scenario has a quota plan) through a sort proxy: sorting orders the rows within each
parent. The model emits ``dataChanged`` only for cells whose value changed; collapsed rows and
the current row survive edits that reshape the tree (:class:`~planner.ui.tree_model.TreeMemory`).
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from planner.model.balance import METRICS, default_metric, metrics_with_data
from planner.model.events import PlanChange
from planner.model.plan import Plan
from planner.ui.balance_bars import RAW_ROLE, DeviationBarDelegate, DisruptionMeter
from planner.ui.balance_model import (
    COLUMN,
    COLUMNS,
    METRIC_LABELS,
    QUOTA_KEYS,
    BalanceTableModel,
)
from planner.ui.tree_model import TreeMemory, fit_columns

__all__ = [
    "COLUMN",
    "COLUMNS",
    "METRIC_LABELS",
    "RAW_ROLE",
    "BalanceDock",
    "BalanceTableModel",
    "BalanceTableView",
    "DeviationBarDelegate",
    "DisruptionMeter",
    "metric_chooser",
    "offer_metrics",
    "summary_text",
]


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


class BalanceTableView(QTreeView):
    """The balance tree wired up: sortable proxy (numeric sort), deviation bars, row select.

    ``territorySelected(int)`` gives the Plan's territory index of the clicked territory row,
    whatever the sort order; ``nodeSelected(int)`` the id of a clicked hierarchy node.
    """

    territorySelected = Signal(int)
    nodeSelected = Signal(int)

    def __init__(self, plan: Plan | None, parent: QWidget | None = None) -> None:
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
        self.setUniformRowHeights(True)
        self.setIndentation(10)
        # Widths are measured once per plan, not on every edit: ResizeToContents re-reads every
        # cell on each dataChanged, which cost ~80 ms per edit at 50 territories.
        self.header().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.header().setStretchLastSection(True)
        # One re-sort per event-loop turn instead of one per dataChanged emission.
        self.proxy.setDynamicSortFilter(False)
        self._sort_timer = QTimer(self)  # owned by the view: never fires after it is deleted
        self._sort_timer.setSingleShot(True)
        self._sort_timer.setInterval(0)
        self._sort_timer.timeout.connect(self._resort)
        self.balance_model.dataChanged.connect(self._schedule_sort)
        self.balance_model.modelReset.connect(self._schedule_sort)
        self.balance_model.headerDataChanged.connect(lambda *_a: self._quota_columns())
        self.memory = TreeMemory(self, self.balance_model, self.proxy.mapToSource,
                                 self.proxy.mapFromSource)  # fmt: skip
        self.selectionModel().currentRowChanged.connect(self._on_current)
        self.memory.restore()
        self._quota_columns()
        self._fit_columns()

    def _quota_columns(self) -> None:
        """Quota columns only while the scenario has a quota plan."""
        hide = self.balance_model.quota_year is None
        for key in QUOTA_KEYS:
            self.setColumnHidden(COLUMN[key], hide)

    def _fit_columns(self) -> None:
        fit_columns(self, self.balance_model, icon=(self.iconSize().width() or 16) + 4)
        self.setColumnWidth(COLUMN["deviation"], max(140, self.columnWidth(COLUMN["deviation"])))

    def _schedule_sort(self, *_args: object) -> None:
        self._sort_timer.start()

    def _resort(self) -> None:
        header = self.header()
        if self.isSortingEnabled() and header.sortIndicatorSection() >= 0:
            # sort() with an unchanged column/order is a no-op in Qt: reset it first.
            self.proxy.sort(-1)
            self.proxy.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())

    def set_plan(self, plan: Plan | None) -> None:
        self.balance_model.set_plan(plan)
        self._quota_columns()
        self._fit_columns()

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            src = self.proxy.mapToSource(current)
            node = self.balance_model.node_id(src)
            if node is not None:
                self.nodeSelected.emit(node)
            else:
                self.territorySelected.emit(self.balance_model.territory_index(src))

    def selected_node(self) -> int | None:
        """The hierarchy node of the current row (None when it is a territory or none)."""
        current = self.currentIndex()
        return self.balance_model.node_id(self.proxy.mapToSource(current))

    def select_node(self, node: int) -> None:
        """Make a hierarchy node's row current, without signals (nothing was chosen anew)."""
        index = self.proxy.mapFromSource(self.balance_model.item_index(node))
        if index.isValid():
            self.selectionModel().blockSignals(True)
            self.setCurrentIndex(index)
            self.selectionModel().blockSignals(False)
            self.viewport().update()

    def select_territory(self, territory: int) -> None:
        """Make the row of a territory index current (e.g. when the map activates one)."""
        index = self.proxy.mapFromSource(self.balance_model.index_of_territory(territory))
        if index.isValid():
            self.setCurrentIndex(index)
            self.scrollTo(index)


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
        if m not in METRIC_LABELS:
            continue  # a chart view (quota), not a metric
        box.setItemText(i, METRIC_LABELS[m] + ("" if m in have else " (no data)"))
    if str(box.currentData()) not in have:
        box.setCurrentIndex(box.findData(default_metric(plan.balance.totals)))


class BalanceDock(QWidget):
    """Metric selector, the balance table, a summary line and the disruption meter."""

    def __init__(self, plan: Plan | None, parent: QWidget | None = None) -> None:
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
