"""Publish a scenario: a confirmation that summarises its impact, with an effective date."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from planner.model.impact import Impact
from planner.ui._dialogs import ok_cancel
from planner.ui.impact_dock import summary_text


class PublishDialog(QDialog):
    def __init__(self, imp: Impact, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Publish '{imp.scenario}' as the new baseline")
        text = QLabel(
            summary_text(imp)
            + "\n\nThe current baseline is kept as a dated snapshot that can be restored."
        )
        text.setTextFormat(Qt.TextFormat.PlainText)
        text.setWordWrap(True)
        self.date = QDateEdit(QDate.currentDate())
        self.date.setCalendarPopup(True)
        form = QFormLayout()
        form.addRow("Effective date", self.date)
        lay = QVBoxLayout(self)
        lay.addWidget(text)
        lay.addLayout(form)
        lay.addWidget(ok_cancel(self, "Publish"))

    @property
    def effective_date(self) -> dt.date:
        d = self.date.date()
        return dt.date(d.year(), d.month(), d.day())
