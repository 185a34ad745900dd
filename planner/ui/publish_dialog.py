"""Publish a scenario: a confirmation that summarises its impact, with an effective date."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from planner.model.impact import Impact
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
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Publish")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(text)
        lay.addLayout(form)
        lay.addWidget(buttons)

    @property
    def effective_date(self) -> dt.date:
        d = self.date.date()
        return dt.date(d.year(), d.month(), d.day())
