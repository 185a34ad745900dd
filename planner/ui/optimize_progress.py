"""The auto-balance progress dialog: the best balanced result over time, as a small chart.

A planner watching a 30 s run wants to know whether waiting longer still pays, not how many
internal rounds went by: the chart plots the objective of the best balanced (and contiguous)
state found so far (``Progress.objective``: cut edges, or the sum of distances to the
territory centres) against the seconds spent. Points are collected from the first Progress on
(:class:`ObjectiveHistory`), so the chart is complete when the dialog appears after its
delay. Cancel keeps the best state, the last point of the chart.

The dialog has the few methods :class:`planner.ui.workers.JobHandle` drives a progress dialog
with (``setLabelText``, ``setRange``, ``setValue`` and the ``canceled`` signal).
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCharts import QChart, QChartView, QLineSeries, QValueAxis
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)


class ObjectiveHistory(QObject):
    """(seconds, objective) of each Progress that knows a balanced state, in order."""

    added = Signal(float, float)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.points: list[tuple[float, float]] = []
        self.name = ""

    def record(self, progress: Any) -> None:
        value = getattr(progress, "objective", None)
        self.name = getattr(progress, "objective_name", "") or self.name
        if value is None or not math.isfinite(value):
            return
        point = (float(getattr(progress, "elapsed", 0.0)), float(value))
        self.points.append(point)
        self.added.emit(*point)


class ObjectiveChart(QChartView):
    """A line of the best balanced objective against seconds (x up to the time limit)."""

    def __init__(self, history: ObjectiveHistory, time_limit: float) -> None:
        chart = QChart()
        chart.legend().hide()
        chart.setMargins(chart.margins() * 0)
        super().__init__(chart)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumSize(360, 200)
        self.series = QLineSeries()
        chart.addSeries(self.series)
        self.x_axis, self.y_axis = QValueAxis(), QValueAxis()
        self.x_axis.setTitleText("seconds")
        self.x_axis.setRange(0.0, max(float(time_limit), 1.0))
        self.x_axis.setLabelFormat("%.0f")
        self.y_axis.setLabelFormat("%.4g")
        chart.addAxis(self.x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self.y_axis, Qt.AlignmentFlag.AlignLeft)
        self.series.attachAxis(self.x_axis)
        self.series.attachAxis(self.y_axis)
        self.history = history
        for t, v in history.points:
            self.series.append(t, v)
        self._rescale()
        history.added.connect(self.add)

    def add(self, seconds: float, value: float) -> None:
        self.series.append(seconds, value)
        self._rescale()

    def _rescale(self) -> None:
        values = [v for _, v in self.history.points]
        name = self.history.name or "objective"
        self.chart().setTitle(f"Best balanced result: {name}")
        if not values:
            self.y_axis.setRange(0.0, 1.0)
            return
        low, high = min(values), max(values)
        pad = max((high - low) * 0.1, abs(high) * 0.01, 1e-9)
        self.y_axis.setRange(low - pad, high + pad)


class OptimizeProgressDialog(QDialog):
    """What the run is doing, how much of its time it used, the chart, and Cancel."""

    canceled = Signal()

    def __init__(
        self, parent: QWidget | None, history: ObjectiveHistory, time_limit: float
    ) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.bar = QProgressBar()
        self.chart = ObjectiveChart(history, time_limit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        buttons.rejected.connect(self.canceled.emit)
        for w in (self.label, self.bar, self.chart, buttons):
            layout.addWidget(w)

    # -- what JobHandle drives (QProgressDialog's names) ----------------------------------------
    def setLabelText(self, text: str) -> None:
        self.label.setText(text)

    def setRange(self, low: int, high: int) -> None:
        self.bar.setRange(low, high)

    def setValue(self, value: int) -> None:
        self.bar.setValue(value)

    def reject(self) -> None:
        """Escape or the window's close button cancel the run (it keeps its best)."""
        self.canceled.emit()
