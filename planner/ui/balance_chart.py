"""Balance chart: one bar per territory in its colour, against a target line, metric selectable.

Bars are a :class:`QStackedBarSeries` with one :class:`QBarSet` per territory whose only
non-zero value sits in the territory's own category: that is the usual QtCharts way to give
each bar its own colour (a set's colour applies to all its bars) and, being stacked, the zero
entries take no room. The target of a territory is ``total x weight / sum(weights)``; with
unequal weights it differs per bar, so the target is drawn as a step line across each bar.

On a :class:`PlanChange` the bar values and line points are replaced in place; the series are
rebuilt only when the number of territories changes (``set_plan`` or ``refresh`` after new
territories).
"""

from __future__ import annotations

import numpy as np
import shiboken6
from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QChartView,
    QLineSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QShowEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from planner.model.balance import METRICS
from planner.model.events import PlanChange
from planner.model.plan import Plan
from planner.ui.balance_table import METRIC_LABELS


def targets(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per-territory target: total x weight / sum(weights) (zeros when no weight)."""
    w = np.asarray(weights, dtype=np.float64)
    if len(values) == 0 or w.sum() <= 0:
        return np.zeros(len(values))
    return float(np.sum(values)) * w / w.sum()


class BalanceChart(QWidget):
    """Metric per territory against its target; subscribes to ``plan.changed``."""

    def __init__(self, plan: Plan | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._plan: Plan | None = None
        self.metric_box = QComboBox(self)
        for m in METRICS:
            self.metric_box.addItem(METRIC_LABELS[m], m)
        self.metric_box.setCurrentIndex(METRICS.index("potential"))
        self.chart = QChart()
        self.chart.legend().hide()
        self.chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        self.chart.setMargins(self.chart.margins() * 0)
        self.view = QChartView(self.chart, self)
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.bars = QStackedBarSeries()
        self.bars.setBarWidth(0.7)
        self.target_line = QLineSeries()
        self.target_line.setName("Target")
        self.target_line.setPen(QPen(QColor("#424242"), 2, Qt.PenStyle.DashLine))
        self.chart.addSeries(self.bars)
        self.chart.addSeries(self.target_line)
        self.x_axis = QBarCategoryAxis()
        self.line_x_axis = QValueAxis()  # the line needs continuous x to span each bar
        self.line_x_axis.setVisible(False)
        self.y_axis = QValueAxis()
        self.y_axis.setLabelFormat("%.0f")
        self.chart.addAxis(self.x_axis, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(self.line_x_axis, Qt.AlignmentFlag.AlignBottom)
        self.chart.addAxis(self.y_axis, Qt.AlignmentFlag.AlignLeft)
        self.bars.attachAxis(self.x_axis)
        self.bars.attachAxis(self.y_axis)
        self.target_line.attachAxis(self.line_x_axis)
        self.target_line.attachAxis(self.y_axis)
        self._sets: list[QBarSet] = []
        self._stale = False
        top = QHBoxLayout()
        top.addWidget(QLabel("Metric", self))
        top.addWidget(self.metric_box)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        self.metric_box.currentIndexChanged.connect(lambda _i: self.refresh())
        self.set_plan(plan)

    # -- public --------------------------------------------------------------------------------
    @property
    def metric(self) -> str:
        return str(self.metric_box.currentData())

    def set_metric(self, metric: str) -> None:
        i = self.metric_box.findData(metric)
        if i < 0:
            raise ValueError(f"unknown metric {metric!r}; expected one of {', '.join(METRICS)}")
        self.metric_box.setCurrentIndex(i)

    def set_plan(self, plan: Plan | None) -> None:
        """Switch scenario or project; rebuilds the bars for the new territory list."""
        if self._plan is not None:
            self._plan.changed.disconnect(self._on_change)
        self._plan = plan
        if plan is not None:
            plan.changed.connect(self._on_change)
        self._rebuild()

    def values(self) -> list[float]:
        """The bar heights shown, in territory order (brought up to date if stale)."""
        self._flush()
        return [s.at(i) for i, s in enumerate(self._sets)]

    def target_values(self) -> list[float]:
        """The target line's level over each bar, in territory order."""
        self._flush()
        pts = self.target_line.points()
        return [pts[2 * i].y() for i in range(len(pts) // 2)]

    def _flush(self) -> None:
        if self._stale:
            self._stale = False
            self._update()

    def bar_sets(self) -> list[QBarSet]:
        return list(self._sets)

    # -- updates -------------------------------------------------------------------------------
    def _on_change(self, _change: PlanChange) -> None:
        if shiboken6.isValid(self):
            self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def refresh(self) -> None:
        """Update values in place (after an edit, a metric switch or a rename/recolour).

        Only bars whose value, label or colour changed are touched (each QBarSet change
        re-lays out the chart: ~0.5 ms each). A hidden chart (a tabbed-away dock) only marks
        itself stale and catches up when shown.
        """
        plan = self._plan
        if plan is None:
            return
        if not self.isVisible() and self._sets:
            self._stale = True
            return
        self._stale = False
        self._update()

    def _update(self) -> None:
        plan = self._plan
        if plan is None:
            return
        a = plan.atoms
        if a.n_territories != len(self._sets):
            self._rebuild()
            return
        vals = np.asarray(plan.metrics()[self.metric], dtype=np.float64)
        tgt = targets(vals, a.territory_weights)
        names = [str(n) for n in a.territory_names]
        for i, s in enumerate(self._sets):
            if s.at(i) != float(vals[i]):
                s.replace(i, float(vals[i]))
            if s.label() != names[i]:
                s.setLabel(names[i])
            colour = QColor(str(a.territory_colours[i]))
            if s.color() != colour:
                s.setColor(colour)
        if self.x_axis.categories() != names:
            self.x_axis.setCategories(names)
        points = []
        for i, t in enumerate(tgt):
            points += [QPointF(i - 0.45, float(t)), QPointF(i + 0.45, float(t))]
        self.target_line.replace(points)
        top = max(float(vals.max(initial=0.0)), float(tgt.max(initial=0.0)))
        top = top * 1.1 if top > 0 else 1.0
        if abs(self.y_axis.max() - top) > 0.02 * top or self.y_axis.min() != 0.0:
            self.y_axis.setRange(0.0, top)  # hysteresis: do not re-lay out for tiny changes
        fmt = "%.1f" if top < 10 else "%.0f"
        if self.y_axis.labelFormat() != fmt:
            self.y_axis.setLabelFormat(fmt)
        if self.y_axis.titleText() != METRIC_LABELS[self.metric]:
            self.y_axis.setTitleText(METRIC_LABELS[self.metric])

    def _rebuild(self) -> None:
        self.bars.clear()  # deletes the old sets
        self._sets = []
        plan = self._plan
        k = plan.atoms.n_territories if plan is not None else 0
        self.line_x_axis.setRange(-0.5, k - 0.5 if k else 0.5)
        if plan is None:
            self.x_axis.clear()
            self.target_line.clear()
            return
        sets = []
        for i in range(k):
            s = QBarSet(str(plan.atoms.territory_names[i]))
            s.append([0.0] * k)
            sets.append(s)
        self.bars.append(sets)
        self._sets = sets
        self._update()
