"""The preview of a pending edit: what would move and the balance deltas; Enter applies."""

from __future__ import annotations

import html
from collections.abc import Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QResizeEvent, QTextDocument
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from planner.model.plan import Preview
from planner.ui.numbers import compact


def preview_lines(pv: Preview, metric: str = "potential") -> list[str]:
    """Three plain-text lines: what moves, how much, whose balance changes how."""
    m = pv.moved
    label = pv.edit.label if pv.edit is not None else pv.moveset.label
    # Labels already count the units or accounts they move ("lasso 4 unit(s) to T3").
    what = f"{label} — {pv.accounts:,} accounts" if pv.accounts else label
    mb, ma = pv.max_abs_deviation_before[metric], pv.max_abs_deviation_after[metric]
    much = (
        f"max |dev| {mb:.1%} → {ma:.1%} · moves potential {compact(m['potential'])} · "
        f"workload {compact(m['workload_hours'])} h · revenue {compact(m['revenue'])}"
    )
    parts = [
        f"{t.name} {t.deviation_before[metric]:+.1%} → {t.deviation_after[metric]:+.1%}"
        for t in pv.territories[:6]
    ]
    whose = "; ".join(parts) + ("; …" if len(pv.territories) > 6 else "")
    return [what, much, whose]


def quota_line(pv: Preview, names: Mapping[int, str]) -> str:
    """The quota that changes hands (the latest fiscal year the preview touches): the total
    that territories gain and, largest first, each territory's change. Empty without quota."""
    if not pv.quotas:
        return ""
    year = max(q.year for q in pv.quotas)
    deltas: dict[int, int] = {}
    for q in pv.quotas:
        if q.year == year and q.node in names:
            after = q.after.amount if q.after is not None else 0
            before = q.before.amount if q.before is not None else 0
            deltas[q.node] = deltas.get(q.node, 0) + after - before
    moving = sorted(((d, n) for n, d in deltas.items() if d), key=lambda x: -abs(x[0]))
    if not moving:
        return f"FY{year} quota: no territory's quota changes"
    total = sum(d for d, _ in moving if d > 0) / 100
    parts = [f"{names[n]} {'+' if d > 0 else '−'}{compact(abs(d) / 100)}" for d, n in moving[:6]]
    more = "; …" if len(moving) > 6 else ""
    return f"FY{year} quota changing hands {compact(total)}: " + "; ".join(parts) + more


def preview_html(pv: Preview, metric: str = "potential", extra: str = "") -> str:
    """The lines as HTML, every name escaped (territory names are user data)."""
    lines = [html.escape(line) for line in [*preview_lines(pv, metric), extra] if line]
    return f"<b>{lines[0]}</b><br>" + "<br>".join(lines[1:])


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
        # A fixed height (three lines, four with a quota plan; the full text is in the
        # tooltip), so the map below never changes size whatever the preview says.
        self.quota_line = False
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

    def set_quota_line(self, on: bool) -> None:
        """Room for the quota line (the shown plan has a quota plan): set per plan, not per
        preview, so the map resizes at most when a plan gains or loses its quota plan."""
        if on != self.quota_line:
            self.quota_line = on
            lines = 4 if on else 3
            self.label.setFixedHeight(lines * self.label.fontMetrics().lineSpacing() + 4)

    def show_preview(
        self, pv: Preview, metric: str = "potential", names: Mapping[int, str] | None = None
    ) -> None:
        """``names``: territory id -> name, for the quota line (shown with a quota plan)."""
        extra = quota_line(pv, names or {}) if self.quota_line else ""
        self._lines = [*preview_lines(pv, metric), *([extra] if extra else [])]
        self._fill()
        self.label.setToolTip(preview_html(pv, metric, extra))
        self.apply_button.setEnabled(True)
        self.cancel_button.setEnabled(True)
        self.setStyleSheet("PreviewBar { background: #fff7d6; border-bottom: 1px solid #e0c060; }")

    def _fill(self) -> None:
        """The lines, each shortened with "…" to the label's width (never cut mid-letter at
        the edge: the bar keeps its size, the tooltip has the whole text)."""
        width = max(self.label.width() - 4, 40)
        bold = QFont(self.label.font())
        bold.setBold(True)
        fits = [
            QFontMetrics(bold if i == 0 else self.label.font()).elidedText(
                line, Qt.TextElideMode.ElideRight, width
            )
            for i, line in enumerate(self._lines)
        ]
        what, *rest = (html.escape(line) for line in fits)
        self.label.setText(f"<b>{what}</b><br>" + "<br>".join(rest))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.pending:
            self._fill()

    def shown_lines(self) -> list[str]:
        """The lines as displayed (after eliding), for tests."""
        doc = QTextDocument()
        doc.setHtml(self.label.text())
        return doc.toPlainText().split("\n")

    def clear(self) -> None:
        self._lines = []
        self.label.setText(f"<span style='color:#666'>{IDLE_TEXT}</span>")
        self.label.setToolTip("")
        self.apply_button.setEnabled(False)
        self.cancel_button.setEnabled(False)
        self.setStyleSheet("PreviewBar { border-bottom: 1px solid #ddd; }")
