"""The preview of a pending edit: what would move and the balance deltas; Enter applies."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from planner.model.plan import Preview


def preview_html(pv: Preview, metric: str = "potential") -> str:
    """Three short lines (what, how much, whose balance); every name escaped (territory
    names are user data). Lines do not wrap: the bar keeps its size, the tooltip has it all."""
    m = pv.moved
    what = f"<b>{html.escape(pv.moveset.label)}</b> — {pv.units} units, {pv.accounts} accounts"
    mb, ma = pv.max_abs_deviation_before[metric], pv.max_abs_deviation_after[metric]
    much = (
        f"max |dev| {mb:.1%} → {ma:.1%} · moves potential {m['potential']:,.0f} · "
        f"workload {m['workload_hours']:,.0f} h · revenue {m['revenue']:,.0f}"
    )
    parts = [
        f"{html.escape(t.name)} {t.deviation_before[metric]:+.1%} → "
        f"{t.deviation_after[metric]:+.1%}"
        for t in pv.territories[:6]
    ]
    whose = "; ".join(parts) + ("; …" if len(pv.territories) > 6 else "")
    return f"{what}<br>{much}<br>{whose}"


IDLE_TEXT = (
    "Lasso (L), paint (P), reshape (R), draw (D) or split (S):<br>a preview of the change "
    "appears here;<br>Enter applies it, Esc cancels."
)


class PreviewBar(QWidget):
    """Above the map; shows a pending edit, which waits for Enter (apply) or Esc (cancel).

    Always visible, with a hint when idle: showing and hiding it resized the map view, and a
    resize makes the page re-lay out and repaint every layer (~250 ms at 3,000 units and 100k
    accounts) on every applied edit.
    """

    applyRequested = Signal()
    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.apply_button = QPushButton("Apply (Enter)")
        self.cancel_button = QPushButton("Cancel (Esc)")
        self.apply_button.clicked.connect(self.applyRequested)
        self.cancel_button.clicked.connect(self.cancelRequested)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(6, 2, 6, 2)
        lay.addWidget(self.label, 1)
        lay.addWidget(self.apply_button)
        lay.addWidget(self.cancel_button)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        # A fixed height (three lines; the full text is in the tooltip), so the map below never
        # changes size whatever the preview says.
        self.label.setFixedHeight(3 * self.label.fontMetrics().lineSpacing() + 4)
        self.label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        # ... nor width: a label's minimum width follows its text, which would push the docks
        # aside when a preview with a long territory name appears (long lines are clipped).
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.clear()

    @property
    def pending(self) -> bool:
        """True while a preview waits for Enter or Esc."""
        return self.apply_button.isEnabled()

    def show_preview(self, pv: Preview, metric: str = "potential") -> None:
        text = preview_html(pv, metric)
        self.label.setText(text)
        self.label.setToolTip(text)
        self.apply_button.setEnabled(True)
        self.cancel_button.setEnabled(True)
        self.setStyleSheet("PreviewBar { background: #fff7d6; border-bottom: 1px solid #e0c060; }")

    def clear(self) -> None:
        self.label.setText(f"<span style='color:#666'>{IDLE_TEXT}</span>")
        self.label.setToolTip("")
        self.apply_button.setEnabled(False)
        self.cancel_button.setEnabled(False)
        self.setStyleSheet("PreviewBar { border-bottom: 1px solid #ddd; }")
