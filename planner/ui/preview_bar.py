"""The preview of a pending edit: what would move and the balance deltas; Enter applies."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from planner.model.plan import Preview


def preview_html(pv: Preview, metric: str = "potential") -> str:
    """One-paragraph summary; every name escaped (territory names are user data)."""
    m = pv.moved
    head = (
        f"<b>{html.escape(pv.moveset.label)}</b> — {pv.units} units, {pv.accounts} accounts, "
        f"potential {m['potential']:,.0f}, workload {m['workload_hours']:,.0f} h, "
        f"revenue {m['revenue']:,.0f}"
    )
    parts = [
        f"{html.escape(t.name)}: "
        f"{t.deviation_before[metric]:+.1%} → {t.deviation_after[metric]:+.1%}"
        for t in pv.territories[:6]
    ]
    mb, ma = pv.max_abs_deviation_before[metric], pv.max_abs_deviation_after[metric]
    tail = f"max |dev| {mb:.1%} → {ma:.1%}"
    return f"{head}<br>{'; '.join(parts)}{'; …' if len(pv.territories) > 6 else ''} · {tail}"


class PreviewBar(QWidget):
    """Shown above the map while an edit waits for Enter (apply) or Esc (cancel)."""

    applyRequested = Signal()
    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setWordWrap(True)
        self.apply_button = QPushButton("Apply (Enter)")
        self.cancel_button = QPushButton("Cancel (Esc)")
        self.apply_button.clicked.connect(self.applyRequested)
        self.cancel_button.clicked.connect(self.cancelRequested)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(6, 2, 6, 2)
        lay.addWidget(self.label, 1)
        lay.addWidget(self.apply_button)
        lay.addWidget(self.cancel_button)
        self.setStyleSheet("PreviewBar { background: #fff7d6; border-bottom: 1px solid #e0c060; }")
        self.hide()

    def show_preview(self, pv: Preview, metric: str = "potential") -> None:
        self.label.setText(preview_html(pv, metric))
        self.show()
