"""The Plan dock: the written plan of one territory (the five steps), edited and saved.

Every save is a revision (planner.model.territory_plan) and one step of this dock's undo stack:
undo and redo write the previous or next content back as a new revision, so nothing is lost
and a colleague's save in between is refused with their name instead of overwritten. Text is
edited as plain text (one SWOT item per line) and never shown as rich text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import select

from planner.model import territory_plan as tp
from planner.model.errors import PlannerError
from planner.model.plan import Plan
from planner.model.schema import Account
from planner.ui.plan_dock_tables import PlanTable, partner_list
from planner.ui.results_dock import ResultsDock

SWOT_TITLES = {
    "strengths": "Strengths",
    "weaknesses": "Weaknesses",
    "opportunities": "Opportunities",
    "threats": "Threats",
}


class SaveCommand(QUndoCommand):
    """One save: redo writes ``after``, undo writes ``before``, each as a new revision."""

    def __init__(
        self, dock: PlanDock, tid: int, before: dict[str, Any], after: dict[str, Any]
    ) -> None:
        super().__init__("edit plan")
        self.dock, self.tid, self.before, self.after = dock, tid, before, after

    def redo(self) -> None:
        self.dock.write(self.tid, self.after, "edit plan")

    def undo(self) -> None:
        self.dock.write(self.tid, self.before, "undo")


class PlanDock(QWidget):
    error = Signal(str)
    exported = Signal(str)

    def __init__(self, results: ResultsDock, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.results = results
        self.plan: Plan | None = None
        self.revision = 0
        self.stack = QUndoStack(self)
        self.territory = QComboBox()
        self.territory.currentIndexChanged.connect(lambda _i: self.load())
        self.info = QLabel()
        self.swot = {k: QPlainTextEdit() for k in SWOT_TITLES}
        swot = QWidget()
        form = QFormLayout(swot)
        for k, title in SWOT_TITLES.items():
            self.swot[k].setPlaceholderText("one item per line")
            form.addRow(title, self.swot[k])
        self.goals = PlanTable(
            ("Description", "Metric", "Target", "Due", "Owner", "Progress"), read_only=(5,)
        )
        self.focus = PlanTable(("Account ID", "Reason"))
        self.freq = PlanTable(("Tier", "Visits a year"))
        self.partners = partner_list()
        self.notes = QPlainTextEdit()
        strategy = QWidget()
        sform = QFormLayout(strategy)
        sform.addRow("Focus accounts", self.focus)
        sform.addRow("Visit frequency", self.freq)
        sform.addRow("Channel partners", self.partners)
        sform.addRow("Notes", self.notes)
        self.review = PlanTable(("Date", "What happened", "What changes"))
        tabs = QTabWidget()
        for w, title in (
            (swot, "SWOT"),
            (self.goals, "Goals"),
            (strategy, "Strategy"),
            (self.review, "Review log"),
        ):
            tabs.addTab(w, title)
        buttons = QHBoxLayout()
        for label, slot in (
            ("Save", self.save),
            ("Undo", self.stack.undo),
            ("Redo", self.stack.redo),
            ("Print PDF…", self._pdf),
            ("Export XLSX…", self._xlsx),
        ):
            b = QPushButton(label)
            b.clicked.connect(slot)
            buttons.addWidget(b)
        buttons.addStretch(1)
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel("Territory"))
        top.addWidget(self.territory, 1)
        lay.addLayout(top)
        lay.addWidget(self.info)
        lay.addWidget(tabs, 1)
        lay.addLayout(buttons)

    def set_plan(self, plan: Plan | None) -> None:
        self.plan = plan
        self.stack.clear()
        self.territory.blockSignals(True)
        self.territory.clear()
        if plan is not None:
            a = plan.atoms
            for tid, name in zip(a.territory_ids, a.territory_names, strict=True):
                self.territory.addItem(str(name), int(tid))
        self.territory.blockSignals(False)
        self.load()

    @property
    def territory_id(self) -> int | None:
        data = self.territory.currentData()
        return None if data is None else int(data)

    # -- content <-> widgets ---------------------------------------------------------------
    def load(self) -> None:
        tid = self.territory_id
        if self.plan is None or tid is None:
            return
        rev = tp.current(self.plan.project, tid)
        self.revision = rev.revision
        self.info.setText(
            f"Revision {rev.revision}"
            + (f" by {rev.user} at {rev.at:%Y-%m-%d %H:%M}" if rev.at else " (not written yet)")
        )
        self.show_content(rev.content)

    def show_content(self, c: dict[str, Any]) -> None:
        for k, edit in self.swot.items():
            edit.setPlainText("\n".join(c["swot"][k]))
        row = self._result_row()
        self.goals.set_rows(
            [
                [
                    g["description"],
                    g["metric"],
                    _num(g["target"]),
                    g["due"],
                    g["owner"],
                    _progress(g, row),
                ]
                for g in c["goals"]
            ]
        )
        ext = self._external_ids([f["account_id"] for f in c["strategy"]["focus"]])
        self.focus.set_rows(
            [
                [ext.get(f["account_id"], str(f["account_id"])), f["reason"]]
                for f in c["strategy"]["focus"]
            ]
        )
        freq = c["strategy"]["visit_frequency"]
        self.freq.set_rows([[t, _num(freq.get(t))] for t in tp.TIERS])
        if self.plan is not None:
            self.partners.fill(self.plan, c["strategy"]["partners"])
        self.notes.setPlainText(c["strategy"]["notes"])
        self.review.set_rows([[r["date"], r["happened"], r["changes"]] for r in c["review"]])

    def content(self) -> dict[str, Any]:
        """The plan as the widgets have it (validated by territory_plan.normalise on save)."""
        goals = [
            dict(zip(("description", "metric", "target", "due", "owner"), r[:5], strict=True))
            for r in self.goals.rows()
        ]
        ids = self._account_ids([r[0] for r in self.focus.rows()])
        return {
            "swot": {
                k: [x for x in e.toPlainText().splitlines() if x.strip()]
                for k, e in self.swot.items()
            },
            "goals": goals,
            "strategy": {
                "focus": [{"account_id": ids[r[0]], "reason": r[1]} for r in self.focus.rows()],
                "visit_frequency": {r[0]: r[1] for r in self.freq.rows() if r[0]},
                "partners": self.partners.checked(),
                "notes": self.notes.toPlainText(),
            },
            "review": [
                dict(zip(("date", "happened", "changes"), r, strict=True))
                for r in self.review.rows()
            ],
        }

    # -- saving ----------------------------------------------------------------------------
    def save(self) -> None:
        tid = self.territory_id
        if self.plan is None or tid is None:
            return
        try:
            after = tp.normalise(self.content())
        except (PlannerError, KeyError) as err:
            self.error.emit(str(err).strip("'\""))
            return
        before = tp.current(self.plan.project, tid).content
        if after != before:
            self.stack.push(SaveCommand(self, tid, before, after))

    def write(self, tid: int, content: dict[str, Any], label: str) -> None:
        assert self.plan is not None
        try:
            self.revision = tp.save(
                self.plan.project, tid, content, expected=self.revision, label=label
            )
        except PlannerError as err:
            self.error.emit(str(err))
        if self.territory_id == tid:
            self.load()

    # -- export ----------------------------------------------------------------------------
    def _reports(self) -> list[Any]:
        from planner.model.plan_report import build_reports

        r = self.results
        if self.plan is None or r.results is None or self.territory_id is None:
            return []
        return build_reports(r.results, self.plan, r.alerts, [self.territory_id])

    def _pdf(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, "Print plan", "territory-plan.pdf", "PDF (*.pdf)"
        )
        if name:
            self.export(Path(name))

    def _xlsx(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, "Export plan", "territory-plan.xlsx", "Excel (*.xlsx)"
        )
        if name:
            self.export(Path(name))

    def export(self, path: Path) -> None:
        """Write the current territory's plan as PDF or XLSX (by the file's suffix)."""
        from planner.model.io._output import protected
        from planner.model.io.plan_export import write_plan_xlsx
        from planner.ui.plan_print import plan_to_pdf

        reports = self._reports()
        if not reports or self.plan is None:
            return
        guard = protected(self.plan.project.path, [])
        try:
            if path.suffix.lower() == ".xlsx":
                out = write_plan_xlsx(reports, path, protect=guard)
            else:
                out = plan_to_pdf(reports, self.plan, path, protect=guard)
        except (OSError, PlannerError) as err:
            self.error.emit(str(err))
            return
        self.exported.emit(str(out))

    # -- helpers ---------------------------------------------------------------------------
    def _result_row(self) -> dict[str, Any]:
        res = self.results.results
        if res is None:
            return {}
        return next((r for r in res.rows() if r["id"] == self.territory_id), {})

    def _external_ids(self, ids: list[int]) -> dict[int, str]:
        if self.plan is None or not ids:
            return {}
        with self.plan.project.session() as s:
            return dict(
                s.execute(select(Account.id, Account.external_id).where(Account.id.in_(ids))).all()
            )  # type: ignore[arg-type]

    def _account_ids(self, ext: list[str]) -> dict[str, int]:
        if self.plan is None or not ext:
            return {}
        with self.plan.project.session() as s:
            found = dict(
                s.execute(
                    select(Account.external_id, Account.id).where(Account.external_id.in_(ext))
                ).all()
            )
        missing = [e for e in ext if e not in found]
        if missing:
            raise PlannerError(f"focus accounts: no account with id {missing[0]!r}")
        return found  # type: ignore[return-value]


def _num(v: Any) -> str:
    return "" if v is None else f"{v:g}"


def _progress(goal: dict[str, Any], row: dict[str, Any]) -> str:
    from planner.model.plan_report import goal_progress

    g = goal_progress(goal, row)
    if g.actual is None:
        return "not measured"
    return f"{g.actual:,.2f}" + ("" if g.progress is None else f" ({g.progress:.0%})")
