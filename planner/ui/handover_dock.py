"""The Handovers dock: packets -> accounts -> checklist items, ticked and tracked to done.

Ticking asks nothing: the item is saved at once with the user's login name and the time
(:func:`planner.model.handover.tick`), so ticks survive a crash or a reopen; the note column is
edited in place (double-click or F2). Packet rows show "done/required done, %" of the required
items, a small table shows the same per responsible rep, and required items past their due date
are red with an "Overdue: N" count. Generation and PDF export run on the worker pool
(:func:`planner.ui.workers.run_job`); the other exports are fast and run inline.

The dock never writes SQL: every change goes through :mod:`planner.model.handover`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QImage
from PySide6.QtWidgets import (
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from planner.model import handover as hv
from planner.model.atoms import AtomData
from planner.model.errors import PlannerError
from planner.model.io.handover_export import write_csv, write_html, write_xlsx
from planner.model.progress import Progress
from planner.model.store import Project
from planner.model.users import current_user
from planner.ui.workers import run_job

ID_ROLE = Qt.ItemDataRole.UserRole
COL_ITEM, COL_DUE, COL_DONE, COL_NOTE = range(4)
OVERDUE = QColor("#c62828")


class HandoverDock(QWidget):
    """Host in a QDockWidget; call :meth:`set_project` when a project or scenario is opened."""

    #: Emitted after packets were generated (number of packets).
    generated = Signal(int)
    #: Emitted after an export wrote its file (the path).
    exported = Signal(str)
    #: Emitted after an item was ticked or unticked (item id, done).
    itemTicked = Signal(int, bool)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        user: str = "",
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        super().__init__(parent)
        self.user = user or current_user()
        self.today = today
        self.project: Project | None = None
        self.scenario_id: int | None = None
        self.atoms: AtomData | None = None
        self.packets: list[hv.Packet] = []
        self._loading = False
        self._packet_rows: dict[int, QTreeWidgetItem] = {}

        self.effective = QDateEdit(QDate.currentDate())
        self.effective.setCalendarPopup(True)
        self.effective.setToolTip("Effective date of the new alignment (due dates follow it)")
        self.generate_button = QPushButton("Generate from scenario")
        self.generate_button.clicked.connect(self.generate)
        top = QHBoxLayout()
        top.addWidget(QLabel("Effective"))
        top.addWidget(self.effective)
        top.addWidget(self.generate_button)
        top.addStretch(1)

        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Packet / account / item", "Due / progress", "Done by", "Note"])
        self.tree.setColumnWidth(COL_ITEM, 300)
        self.tree.itemChanged.connect(self._on_item_changed)
        self.reps = QTreeWidget()
        self.reps.setHeaderLabels(["Rep", "Progress"])
        self.reps.setRootIsDecorated(False)
        self.reps.setMaximumHeight(90)
        self.overdue_label = QLabel("Overdue: 0")
        self.summary = QLabel("No handover packets")

        # One menu button instead of a row of five: the dock shares a column with the chart,
        # and the buttons left the checklist too little room to tick items.
        self.output_button = QToolButton()
        self.output_button.setText("Print / export")
        self.output_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.output_button)
        for text, slot in (
            ("Print preview…", self.print_preview),
            ("Export PDF…", lambda: self.export_pdf()),
            ("Export CSV (CRM tasks)…", lambda: self.export_csv()),
            ("Export XLSX (CRM tasks)…", lambda: self.export_xlsx()),
            ("Export HTML…", lambda: self.export_html()),
        ):
            menu.addAction(text).triggered.connect(lambda _c=False, f=slot: f())
        self.output_button.setMenu(menu)
        #: Print and export: disabled while there is nothing to print.
        self.output_buttons = [self.output_button]
        top.addWidget(self.output_button)
        #: Moved accounts without a packet, and why (nobody takes them over...).
        self.notice = QLabel("")
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("color: #8a5a00;")
        status = QHBoxLayout()
        status.addWidget(self.summary, 1)
        status.addWidget(self.overdue_label)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(status)
        layout.addWidget(self.notice)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.reps)
        self.set_project(None, None)

    # -- project ----------------------------------------------------------------------------
    def set_project(
        self, project: Project | None, scenario_id: int | None, atoms: AtomData | None = None
    ) -> None:
        """Show the stored packets of ``scenario_id`` (None: clear the dock). Pass the plan's
        ``atoms`` to skip re-reading the account table."""
        self.project, self.scenario_id, self.atoms = project, scenario_id, atoms
        enabled = project is not None and scenario_id is not None
        self.generate_button.setEnabled(enabled)
        packets = hv.load_packets(project, scenario_id, atoms=atoms) if enabled and project else []
        self._show(packets)

    def reload(self) -> None:
        self.set_project(self.project, self.scenario_id, self.atoms)

    def generate(self, **options: Any) -> None:
        """Generate packets for the scenario on the worker pool (``options`` go to the model)."""
        if self.project is None or self.scenario_id is None:
            return
        project, sid = self.project, self.scenario_id
        effective = self.effective.date().toPython()

        def job() -> Generator[Progress, None, list[hv.Packet]]:
            return (yield from hv.generate_job(project, sid, effective_date=effective, **options))

        def done(packets: list[hv.Packet]) -> None:
            self._show(packets)
            self.generated.emit(len(packets))

        run_job(self, "Generating handover packets", job, done, self._error, cancellable=False)

    # -- tree -------------------------------------------------------------------------------
    def _show(self, packets: list[hv.Packet]) -> None:
        self.packets = packets
        for b in self.output_buttons:
            b.setEnabled(bool(packets))
        self.notice.setText(packets.notice() if isinstance(packets, hv.PacketList) else "")
        self.notice.setVisible(bool(self.notice.text()))
        self.reps.setVisible(bool(packets))  # progress per rep: only with packets to show
        self._loading = True
        self.tree.clear()
        self._packet_rows.clear()
        for p in packets:
            prow = QTreeWidgetItem([p.title, "", "", ""])
            self.tree.addTopLevelItem(prow)
            if p.handover_id is not None:
                self._packet_rows[p.handover_id] = prow
            for a in p.accounts:
                arow = QTreeWidgetItem([f"{a.name} ({a.external_id})", "", "", ""])
                prow.addChild(arow)
                for it in a.items:
                    arow.addChild(self._item_row(it))
        self._loading = False
        self._refresh_status()

    def _item_row(self, it: hv.ChecklistItem) -> QTreeWidgetItem:
        label = it.label if it.required else f"{it.label} (optional)"
        row = QTreeWidgetItem([label, it.due.isoformat() if it.due else "", "", it.note])
        row.setData(COL_ITEM, ID_ROLE, it.id)
        row.setData(COL_DUE, ID_ROLE, it.due)
        row.setData(COL_NOTE, ID_ROLE, it.required)
        row.setFlags(row.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEditable)
        row.setCheckState(COL_ITEM, Qt.CheckState.Checked if it.done else Qt.CheckState.Unchecked)
        row.setText(COL_DONE, _done_text(it.done_by, it.done_at) if it.done else "")
        return row

    def item_rows(self) -> list[QTreeWidgetItem]:
        """Every checklist row, in display order (for tests and keyboard navigation)."""
        rows = []
        for i in range(self.tree.topLevelItemCount()):
            p = self.tree.topLevelItem(i)
            for j in range(p.childCount()):
                a = p.child(j)
                rows.extend(a.child(k) for k in range(a.childCount()))
        return rows

    def _on_item_changed(self, row: QTreeWidgetItem, column: int) -> None:
        item_id = row.data(COL_ITEM, ID_ROLE)
        if self._loading or self.project is None or item_id is None:
            return
        try:
            if column == COL_ITEM:
                done = row.checkState(COL_ITEM) == Qt.CheckState.Checked
                it = hv.tick(self.project, int(item_id), done=done, by=self.user)
                self._loading = True
                row.setText(COL_DONE, _done_text(it.done_by, it.done_at) if it.done else "")
                self._loading = False
                self.itemTicked.emit(int(item_id), done)
                self._refresh_status()
            elif column == COL_NOTE:
                hv.set_note(self.project, int(item_id), row.text(COL_NOTE))
        except Exception as exc:  # a failed write must be seen, and the tree reloaded
            self._error(exc)
            self.reload()

    def _refresh_status(self) -> None:
        """Progress per packet and rep, and the overdue flags (read back from the project)."""
        self._loading = True
        try:
            if self.project is None or self.scenario_id is None or not self.packets:
                self.summary.setText("No handover packets")
                self.overdue_label.setText("Overdue: 0")
                self.reps.clear()
                return
            prog = hv.progress(self.project, self.scenario_id)
            for r in prog.packets:
                if r.key in self._packet_rows:
                    self._packet_rows[int(r.key)].setText(COL_DUE, r.text)
            done, req = sum(r.done for r in prog.packets), sum(r.required for r in prog.packets)
            total = hv.ProgressRow(0, "", done, req)
            n_acc = sum(p.n_accounts for p in self.packets)
            self.summary.setText(f"{len(self.packets)} packets, {n_acc} accounts: {total.text}")
            self.reps.clear()
            for r in prog.reps:
                self.reps.addTopLevelItem(QTreeWidgetItem([r.label, r.text]))
            late = {o.item.id for o in hv.overdue(self.project, self.today(), self.scenario_id)}
            for row in self.item_rows():
                flag = row.data(COL_ITEM, ID_ROLE) in late
                brush = QBrush(OVERDUE) if flag else QBrush()
                for c in (COL_ITEM, COL_DUE):
                    row.setForeground(c, brush)
                row.setToolTip(COL_ITEM, "Overdue" if flag else "")
            self.overdue_label.setText(f"Overdue: {len(late)}")
            self.overdue_label.setStyleSheet("color: #c62828;" if late else "")
        finally:
            self._loading = False

    # -- print and export -------------------------------------------------------------------
    def print_preview(self) -> None:
        from planner.ui.handover_print import preview

        preview(self, self.packets, maps=self._cover_maps(self.packets))

    def _cover_maps(self, packets: list[hv.Packet]) -> dict[str, QImage]:
        """Each packet's cover map, as the CLI's PDF has it (the map page offscreen; drawn
        here, on the GUI thread, where the web view must live). A map that cannot be drawn
        leaves the covers without it and says why; the packets still print."""
        if self.project is None or not packets:
            return {}
        from planner.ui.report_maps import packet_maps

        try:
            return packet_maps(self.project, packets)
        except PlannerError as err:
            self._error(err)
            return {}

    def export_pdf(self, path: Path | None = None, page_size: str = "A4") -> None:
        """Write the PDF on the worker pool; ``exported`` is emitted when it is there."""
        from planner.ui.handover_print import packets_to_pdf

        out = path or self._ask("Export handover PDF", "handover.pdf", "PDF (*.pdf)")
        if out is None:
            return
        packets = list(self.packets)
        maps = self._cover_maps(packets)

        def job() -> Generator[Progress, None, Path]:
            yield Progress(None, f"Printing {sum(p.n_accounts for p in packets)} accounts")
            return packets_to_pdf(packets, out, page_size=page_size, maps=maps)

        run_job(self, "Exporting PDF", job, lambda p: self.exported.emit(str(p)), self._error,
                cancellable=False)  # fmt: skip

    def export_csv(self, path: Path | None = None) -> None:
        self._export(path, "handover-tasks.csv", "CSV (*.csv)", write_csv)

    def export_xlsx(self, path: Path | None = None) -> None:
        self._export(path, "handover-tasks.xlsx", "Excel (*.xlsx)", write_xlsx)

    def export_html(self, path: Path | None = None) -> None:
        self._export(path, "handover.html", "HTML (*.html)", write_html)

    def _export(
        self,
        path: Path | None,
        name: str,
        filt: str,
        write: Callable[[list[hv.Packet], Path], Path],
    ) -> None:
        out = path or self._ask("Export handover", name, filt)
        if out is None:
            return
        try:
            write(self.packets, out)
        except OSError as exc:
            self._error(exc)
            return
        self.exported.emit(str(out))

    def _ask(self, title: str, name: str, filt: str) -> Path | None:
        start = (
            str(self.project.path.with_name(name)) if self.project and self.project.path else name
        )
        chosen, _ = QFileDialog.getSaveFileName(self, title, start, filt)
        return Path(chosen) if chosen else None

    def _error(self, exc: BaseException) -> None:
        QMessageBox.warning(self, "Handovers", str(exc))


def _done_text(by: str, at: dt.datetime | None) -> str:
    if at is None:
        return by
    local = (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone()  # SQLite: naive UTC
    return f"{by} {local:%Y-%m-%d %H:%M}"
