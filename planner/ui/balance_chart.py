"""Balance chart: one bar per territory in its colour, against a target line, metric selectable.

Painted with QPainter (50 rectangles and a step line) rather than QtCharts: giving each bar its
own colour in QtCharts takes one bar set per territory, K x K bar items, whose repaint cost
~150 ms per edit at 50 territories; this one repaints in about a millisecond. The target of a
territory is ``total x weight / sum(weights)``, drawn as a dashed step across each bar.

A hidden chart (a tabbed-away dock) keeps no state up to date and catches up when shown.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import shiboken6
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QLabel, QSizePolicy, QToolTip, QVBoxLayout, QWidget

from planner.model.balance import METRICS
from planner.model.events import PlanChange
from planner.model.plan import Plan
from planner.ui.balance_model import shown_year
from planner.ui.balance_table import METRIC_LABELS, metric_chooser, offer_metrics
from planner.ui.numbers import compact, full
from planner.ui.quota_chart import difficulty_view, quota_view
from planner.ui.when_shown import FillWhenShown

TARGET_PEN = QColor("#424242")
MARKER = QColor("#ff9800")
#: Chart views beyond the balance metrics, offered while the scenario has a quota plan.
QUOTA_VIEWS = (("quota", "Quota vs revenue"), ("difficulty", "Quota difficulty"))


def targets(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per-territory target: total x weight / sum(weights) (zeros when no weight)."""
    w = np.asarray(weights, dtype=np.float64)
    if len(values) == 0 or w.sum() <= 0:
        return np.zeros(len(values))
    return float(np.sum(values)) * w / w.sum()


def _nice_top(top: float) -> float:
    """A round axis maximum (1, 2, 2.5 or 5 x 10^n) at or above ``top``."""
    if top <= 0:
        return 1.0
    exp = 10 ** np.floor(np.log10(top))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if step * exp >= top:
            return float(step * exp)
    return float(10 * exp)


class _Canvas(QWidget):
    """The painted bars; data is pushed by BalanceChart.

    Every bar is labelled with its territory (vertical text under it, elided to fit), and
    hovering a bar shows its name, value, target and deviation: 40 unlabelled bars told a
    planner nothing about which territory was off.
    """

    LABEL_SPACE = 84  # pixels under the plot for vertical names

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.values = np.zeros(0)
        self.targets = np.zeros(0)
        self.colours: list[QColor] = []
        self.names: list[str] = []
        self.title = ""
        self.top = 1.0
        #: Quota views: a marker per bar (NaN: none) and the text a hovered bar shows.
        self.markers = np.zeros(0)
        self.describe: Callable[[int], str] | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(160)
        self.setMouseTracking(True)

    def label_space(self) -> int:
        """Room for the names under the bars: up to LABEL_SPACE, a third of a short chart."""
        return int(min(self.LABEL_SPACE, max(40, self.height() // 3)))

    def plot_rect(self) -> QRectF:
        fm = self.fontMetrics()
        left = max(fm.horizontalAdvance(compact(self.top * f)) for f in (0.0, 0.5, 1.0)) + 10
        bottom = self.label_space()
        return QRectF(left, 8, max(self.width() - left - 8, 1), max(self.height() - bottom - 12, 1))

    def bar_at(self, x: float) -> int | None:
        """Index of the bar under a horizontal position, or None."""
        plot, k = self.plot_rect(), len(self.values)
        if not k or not plot.left() <= x < plot.right():
            return None
        return min(int((x - plot.left()) / (plot.width() / k)), k - 1)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        i = self.bar_at(event.position().x())
        if i is None:
            QToolTip.hideText()
            return
        if self.describe is not None:
            QToolTip.showText(event.globalPosition().toPoint(), self.describe(i), self)
            return
        target = float(self.targets[i])
        dev = (float(self.values[i]) - target) / target if target > 0 else 0.0
        QToolTip.showText(
            event.globalPosition().toPoint(),
            f"{self.names[i]}\n{self.title}: {full(self.values[i])}\n"
            f"target {full(target)} ({dev:+.1%})",
            self,
        )

    def paintEvent(self, _event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("white"))
        fm = p.fontMetrics()
        plot = self.plot_rect()
        left = plot.left()
        p.setPen(QColor("#9e9e9e"))
        for frac in (0.0, 0.5, 1.0):  # grid and y labels
            y = plot.bottom() - frac * plot.height()
            p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            label = compact(self.top * frac) if self.top >= 10 else f"{self.top * frac:.1f}"
            right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            p.drawText(QRectF(0, y - fm.height() / 2, left - 4, fm.height()), right, label)
        k = len(self.values)
        if k:
            slot = plot.width() / k
            scale = plot.height() / self.top
            p.setPen(Qt.PenStyle.NoPen)
            for i in range(k):
                h = max(float(self.values[i]), 0.0) * scale
                p.setBrush(self.colours[i])
                p.drawRect(QRectF(plot.left() + i * slot + 0.15 * slot, plot.bottom() - h,
                                  0.7 * slot, h))  # fmt: skip
            p.setPen(QPen(TARGET_PEN, 2, Qt.PenStyle.DashLine))
            for i in range(k):
                y = plot.bottom() - float(self.targets[i]) * scale
                p.drawLine(
                    QPointF(plot.left() + i * slot, y), QPointF(plot.left() + (i + 1) * slot, y)
                )
            self._markers(p, plot, slot, scale)
            self._names(p, plot, slot)
        p.end()

    def _markers(self, p: QPainter, plot: QRectF, slot: float, scale: float) -> None:
        """A diamond on each bar that has a marker value (the commitment)."""
        if len(self.markers) != len(self.values):
            return
        p.setPen(QPen(QColor("#212121"), 1))
        p.setBrush(MARKER)
        r = max(3.0, min(6.0, slot * 0.3))
        for i, v in enumerate(self.markers):
            if np.isfinite(v):
                x, y = plot.left() + (i + 0.5) * slot, plot.bottom() - float(v) * scale
                p.drawPolygon([QPointF(x, y - r), QPointF(x + r, y), QPointF(x, y + r),
                               QPointF(x - r, y)])  # fmt: skip

    def _names(self, p: QPainter, plot: QRectF, slot: float) -> None:
        """Territory names under the bars, read bottom-up, every n-th when bars are thinner
        than a line of text."""
        fm = p.fontMetrics()
        every = max(1, int(np.ceil(fm.height() / max(slot, 1e-9))))
        p.setPen(QColor("#424242"))
        space = self.label_space() - 6
        for i in range(0, len(self.names), every):
            text = fm.elidedText(self.names[i], Qt.TextElideMode.ElideRight, space)
            p.save()
            p.translate(plot.left() + (i + 0.5) * slot + fm.ascent() / 2 - 1, plot.bottom() + 4)
            p.rotate(-90)
            p.drawText(QRectF(-space, -fm.ascent(), space, fm.height()),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop, text)  # fmt: skip
            p.restore()


class BalanceChart(FillWhenShown, QWidget):
    """Metric per territory against its target; subscribes to ``plan.changed``."""

    def __init__(self, plan: Plan | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._plan: Plan | None = None
        self.metric_box, top = metric_chooser("Metric", self)
        self.view = _Canvas(self)
        self.key = QLabel(self)  # what the bars, lines and markers of a quota view mean
        self.key.setTextFormat(Qt.TextFormat.PlainText)
        self.key.setWordWrap(True)
        self.key.hide()
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.key)
        layout.addWidget(self.view, 1)
        self.metric_box.currentIndexChanged.connect(lambda _i: self.refresh())
        self.set_plan(plan)

    # -- public --------------------------------------------------------------------------------
    @property
    def chosen_metric(self) -> str:
        return str(self.metric_box.currentData())

    @property
    def y_max(self) -> float:
        self._catch_up()
        return self.view.top

    def set_metric(self, metric: str) -> None:
        i = self.metric_box.findData(metric)
        if i < 0:
            raise ValueError(f"unknown metric {metric!r}; expected one of {', '.join(METRICS)}")
        self.metric_box.setCurrentIndex(i)

    def set_plan(self, plan: Plan | None) -> None:
        if self._plan is not None:
            self._plan.changed.disconnect(self._on_change)
        self._plan = plan
        self._quota_views()
        offer_metrics(self.metric_box, plan)
        if plan is not None:
            plan.changed.connect(self._on_change)
        self._update()

    def values(self) -> list[float]:
        """The bar heights shown, in territory order (brought up to date if stale)."""
        self._catch_up()
        return [float(v) for v in self.view.values]

    def target_values(self) -> list[float]:
        self._catch_up()
        return [float(v) for v in self.view.targets]

    # -- updates -------------------------------------------------------------------------------
    def _fill_shown(self) -> None:
        self._update()

    def _quota_views(self) -> None:
        """Offer the quota views while the plan has a quota plan (and only then)."""
        box, plan = self.metric_box, self._plan
        want = plan is not None and bool(plan.quotas.years)
        box.blockSignals(True)
        for key, label in QUOTA_VIEWS:
            i = box.findData(key)
            if want and i < 0:
                box.addItem(label, key)
            elif not want and i >= 0:
                if box.currentIndex() == i:
                    box.setCurrentIndex(box.findData("potential"))
                box.removeItem(i)
        box.blockSignals(False)

    def _on_change(self, _change: PlanChange) -> None:
        if shiboken6.isValid(self):
            self._quota_views()
            self.refresh()

    def refresh(self) -> None:
        """After an edit, a metric switch or a rename/recolour; hidden: just mark stale."""
        if self._plan is None:
            return
        if not self._defer():
            self._update()

    def _update(self) -> None:
        v = self.view
        plan = self._plan
        if plan is None:
            v.values, v.targets, v.colours, v.names = np.zeros(0), np.zeros(0), [], []
            v.update()
            return
        a = plan.atoms
        v.markers, v.describe = np.zeros(0), None
        self.key.hide()
        if self.chosen_metric in ("quota", "difficulty"):
            rows, year = plan.rows(), shown_year(plan)
            build = quota_view if self.chosen_metric == "quota" else difficulty_view
            view = build(rows, year)
            v.values, v.targets, v.markers = view.values, view.line, view.markers
            v.colours, v.names, v.title = view.colours, view.names, view.title
            v.describe = view.describe
            v.top = _nice_top(max(np.nanmax(np.r_[view.values, view.line, view.markers, 0.0]), 0))
            self.key.setText(view.key)
            self.key.show()
            v.update()
            return
        vals = np.array(plan.metrics()[self.chosen_metric], dtype=np.float64)  # a copy, not a view
        v.values = vals
        v.targets = targets(vals, a.territory_weights)
        v.colours = [QColor(str(c)) for c in a.territory_colours]
        v.names = [str(n) for n in a.territory_names]
        v.title = METRIC_LABELS[self.chosen_metric]
        v.top = _nice_top(max(float(vals.max(initial=0.0)), float(v.targets.max(initial=0.0))))
        v.update()
