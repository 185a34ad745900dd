"""Handovers dock: generate on the worker pool, tick, note, reopen, overdue flags, exports."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QDate, Qt

from planner.model import moves
from planner.model.handover import load_packets
from planner.model.plan import Plan
from planner.model.scenarios import create_scenario, scenario_id
from planner.model.store import Project
from planner.model.synthetic import grid_project
from planner.ui.handover_dock import COL_DONE, COL_DUE, COL_ITEM, COL_NOTE, HandoverDock

TIMEOUT_MS = 20_000


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """The 6x4 grid with scenario S1: the first column of T1 goes to T2 (20 accounts)."""
    project = grid_project(tmp_path / "grid.tplan")
    create_scenario(project, "S1")
    plan = Plan.load(project, "S1")
    plan.apply(moves.for_units(plan, np.arange(0, 4), 1))
    return project


def _dock(qtbot: Any, project: Project | None = None, **kw: Any) -> HandoverDock:
    dock = HandoverDock(user="tester", **kw)
    qtbot.addWidget(dock)
    if project is not None:
        dock.set_project(project, scenario_id(project, "S1"))
    return dock


def _generate(qtbot: Any, dock: HandoverDock, day: dt.date) -> None:
    dock.effective.setDate(QDate(day.year, day.month, day.day))
    with qtbot.waitSignal(dock.generated, timeout=TIMEOUT_MS):
        dock.generate_button.click()


def test_ticks_and_notes_persist_across_reopen(qtbot: Any, project: Project) -> None:
    dock = _dock(qtbot, project)
    assert dock.tree.topLevelItemCount() == 0
    _generate(qtbot, dock, dt.date.today() + dt.timedelta(days=30))
    assert dock.tree.topLevelItemCount() == 1
    packet = dock.tree.topLevelItem(0)
    assert packet.text(COL_ITEM) == "Handover: Rep 1 → Rep 2"
    rows = dock.item_rows()
    required = sum(r.data(COL_NOTE, Qt.ItemDataRole.UserRole) for r in rows)
    assert packet.text(COL_DUE) == f"0/{required} done, 0 %"
    assert dock.overdue_label.text() == "Overdue: 0"

    with qtbot.waitSignal(dock.itemTicked):
        rows[0].setCheckState(COL_ITEM, Qt.CheckState.Checked)
    assert rows[0].text(COL_DONE).startswith("tester ")
    assert packet.text(COL_DUE).startswith(f"1/{required} done")
    rows[1].setText(COL_NOTE, "customer asked for a call on Monday")
    reps = {dock.reps.topLevelItem(i).text(0) for i in range(dock.reps.topLevelItemCount())}
    assert reps == {"Rep 1", "Rep 2"}

    location = project.location
    project.close()
    with Project.open(location) as again:
        fresh = _dock(qtbot, again)
        rows = fresh.item_rows()
        assert rows[0].checkState(COL_ITEM) == Qt.CheckState.Checked
        assert rows[0].text(COL_DONE).startswith("tester ")
        assert rows[1].checkState(COL_ITEM) == Qt.CheckState.Unchecked
        assert rows[1].text(COL_NOTE) == "customer asked for a call on Monday"
        assert fresh.tree.topLevelItem(0).text(COL_DUE).startswith(f"1/{required} done")
        stored = load_packets(again, "S1")[0].accounts[0].items[0]
        assert (stored.done, stored.done_by) == (True, "tester")

        with qtbot.waitSignal(fresh.itemTicked):
            rows[0].setCheckState(COL_ITEM, Qt.CheckState.Unchecked)
        assert rows[0].text(COL_DONE) == ""
        assert fresh.tree.topLevelItem(0).text(COL_DUE).startswith(f"0/{required} done")


def test_items_past_due_are_flagged(qtbot: Any, project: Project) -> None:
    dock = _dock(qtbot, project, today=lambda: dt.date(2026, 6, 10))
    _generate(qtbot, dock, dt.date(2026, 6, 1))  # due on E (June 1) and E+14 (June 15)
    rows = dock.item_rows()
    late = [r for r in rows if r.toolTip(COL_ITEM) == "Overdue"]
    n_accounts = dock.packets[0].n_accounts
    assert len(late) == 2 * n_accounts  # informed + CRM owner, due June 1
    assert dock.overdue_label.text() == f"Overdue: {2 * n_accounts}"
    red = late[0].foreground(COL_ITEM).color().name()
    assert red == "#c62828"
    assert rows[1].toolTip(COL_ITEM) == ""  # intro call, due June 15: not yet

    with qtbot.waitSignal(dock.itemTicked):
        late[0].setCheckState(COL_ITEM, Qt.CheckState.Checked)
    assert late[0].toolTip(COL_ITEM) == ""
    assert late[0].foreground(COL_ITEM).color().name() != red
    assert dock.overdue_label.text() == f"Overdue: {2 * n_accounts - 1}"

    dock.today = lambda: dt.date(2026, 5, 1)
    dock.reload()
    assert dock.overdue_label.text() == "Overdue: 0"


def test_exports_write_their_files(qtbot: Any, project: Project, tmp_path: Path) -> None:
    dock = _dock(qtbot, project)
    _generate(qtbot, dock, dt.date(2026, 12, 1))
    with qtbot.waitSignal(dock.exported, timeout=TIMEOUT_MS) as sig:
        dock.export_pdf(tmp_path / "h.pdf")
    assert sig.args == [str(tmp_path / "h.pdf")]
    assert (tmp_path / "h.pdf").read_bytes()[:5] == b"%PDF-"
    dock.export_csv(tmp_path / "h.csv")
    with (tmp_path / "h.csv").open(encoding="utf-8-sig") as f:
        assert len(list(csv.DictReader(f))) == len(dock.item_rows())
    dock.export_xlsx(tmp_path / "h.xlsx")
    dock.export_html(tmp_path / "h.html")
    assert "Handover: Rep 1 → Rep 2" in (tmp_path / "h.html").read_text(encoding="utf-8")
    assert (tmp_path / "h.xlsx").stat().st_size > 0


def test_nothing_to_print_disables_export_and_orphans_are_named(qtbot: Any, tmp_path: Path) -> None:
    from planner.model.atoms import UNASSIGNED

    project = grid_project(tmp_path / "g.tplan")
    create_scenario(project, "S1")
    plan = Plan.load(project, "S1")
    plan.apply(moves.for_units(plan, np.arange(0, 4), UNASSIGNED))  # nobody takes them over
    dock = _dock(qtbot, project)
    assert not any(b.isEnabled() for b in dock.output_buttons)  # nothing generated yet
    _generate(qtbot, dock, dt.date.today())
    assert dock.tree.topLevelItemCount() == 0  # no packet addressed to "unassigned"
    assert not any(b.isEnabled() for b in dock.output_buttons)
    assert dock.notice.isVisibleTo(dock)
    assert dock.notice.text().startswith("20 moved account(s) have no incoming rep")
    plan.apply(moves.for_units(plan, np.arange(0, 4), 2))  # now Rep 3 takes them over
    _generate(qtbot, dock, dt.date.today())
    assert dock.tree.topLevelItemCount() == 1
    assert all(b.isEnabled() for b in dock.output_buttons)
    assert not dock.notice.isVisibleTo(dock)
