"""The Quota dock and the Allocate dialog, driven with real keys and clicks (no web view)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView

from planner.model.edits import Edit
from planner.model.errors import PlannerError
from planner.model.plan import Plan
from planner.ui.quota_dock import PLAN_ROW, QuotaDock
from tests.ui.quota_fixture import TOTAL, YEAR, hierarchy_project, node


@pytest.fixture
def plan(tmp_path: Path) -> Plan:
    return hierarchy_project(tmp_path / "q.tplan")


def _dock(qtbot: Any, plan: Plan) -> QuotaDock:
    def apply(edit: Edit) -> bool:
        try:
            return plan.apply(edit) is not None
        except PlannerError:
            return False

    dock = QuotaDock(apply)
    qtbot.addWidget(dock)
    dock.set_plan(plan)
    dock.resize(1200, 500)
    dock.show()
    qtbot.waitExposed(dock)
    return dock


def _cell(dock: QuotaDock, item: int, key: str) -> Any:
    return dock.model.item_index(item, dock.model.keys.index(key))


def _type_into(qtbot: Any, dock: QuotaDock, item: int, key: str, text: str) -> None:
    """Click the cell, type the amount (typing starts the editor), Enter commits."""
    index = _cell(dock, item, key)
    tree = dock.tree
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton,
                     pos=tree.visualRect(index).center())  # fmt: skip
    assert tree.currentIndex() == index
    qtbot.keyClicks(tree, text[0])
    editor = tree.focusWidget()
    assert tree.state() == QAbstractItemView.State.EditingState
    qtbot.keyClicks(editor, text[1:])
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # the delegate commits on the next turn
    qtbot.waitUntil(lambda: tree.state() != QAbstractItemView.State.EditingState, timeout=2000)


def test_table_shows_quota_children_sum_and_gap(qtbot: Any, plan: Plan) -> None:
    dock = _dock(qtbot, plan)
    assert dock.year == YEAR
    assert _cell(dock, PLAN_ROW, "quota").data(Qt.ItemDataRole.EditRole) == f"{TOTAL / 100:.2f}"
    assert _cell(dock, PLAN_ROW, "gap").data() == "0"
    assert [dock.model.headerData(c, Qt.Orientation.Horizontal) for c in range(5, 9)] == [
        "Q1", "Q2", "Q3", "Q4",
    ]  # fmt: skip
    dock.period_box.setCurrentIndex(1)  # months
    assert dock.model.columnCount() == 5 + 12
    assert dock.model.headerData(5, Qt.Orientation.Horizontal) == f"Jan {YEAR}"


def test_typing_a_quota_adjusts_it_shows_the_gap_and_undo_restores(qtbot: Any, plan: Plan) -> None:
    dock = _dock(qtbot, plan)
    t1, d1 = int(plan.atoms.territory_ids[0]), node(plan, "D1")
    before = plan.quotas.year(YEAR).cells[t1].amount
    _type_into(qtbot, dock, t1, "quota", "1234567.89")
    cell = plan.quotas.year(YEAR).cells[t1]
    assert (cell.amount, cell.adjusted) == (123456789, True)
    assert _cell(dock, t1, "quota").data().endswith("✎")
    # The district keeps its quota: the gap says by how much its children now differ.
    gap = plan.quotas.year(YEAR).amount(d1) - sum(
        plan.quotas.year(YEAR).amount(int(t)) for t in plan.atoms.territory_ids[:2]
    )
    assert _cell(dock, d1, "gap").data(Qt.ItemDataRole.EditRole) == f"{gap / 100:.2f}"
    assert gap != 0
    assert _cell(dock, d1, "gap").data(Qt.ItemDataRole.BackgroundRole) is not None
    assert plan.history()[-1]["label"].startswith(f"adjust FY{YEAR} quota of T1")
    plan.undo()
    assert plan.quotas.year(YEAR).cells[t1].amount == before
    assert not _cell(dock, t1, "quota").data().endswith("✎")
    assert _cell(dock, d1, "gap").data() == "0"


def test_typing_a_commitment_rolls_up_and_bad_text_names_the_field(qtbot: Any, plan: Plan) -> None:
    dock = _dock(qtbot, plan)
    errors: list[str] = []
    dock.error.connect(errors.append)
    t2, d1 = int(plan.atoms.territory_ids[1]), node(plan, "D1")
    _type_into(qtbot, dock, t2, "commitment", "500000")
    assert plan.quotas.year(YEAR).cells[t2].committed == 50_000_000
    assert _cell(dock, d1, "commitment").data(Qt.ItemDataRole.EditRole) == "500000.00"
    assert not _cell(dock, d1, "commitment").flags() & Qt.ItemFlag.ItemIsEditable
    steps = len(plan.history())
    _type_into(qtbot, dock, t2, "quota", "-5")
    assert errors
    assert errors[-1].startswith("quota:")
    assert len(plan.history()) == steps  # nothing was written


def _allocate_dialog(qtbot: Any, plan: Plan, total: str) -> Any:
    """The dock's Allocate dialog with ``total`` typed over the suggested one."""
    dialog = _dock(qtbot, plan).open_allocate(modal=False)
    qtbot.addWidget(dialog)
    dialog.total.selectAll()
    qtbot.keyClicks(dialog.total, total)
    return dialog


def test_allocate_dialog_applies_and_reports_what_the_guardrails_did(
    qtbot: Any, plan: Plan
) -> None:
    dialog = _allocate_dialog(qtbot, plan, "2,850,000")
    dialog.max_check.setChecked(True)
    dialog.max_growth.setValue(5.0)  # +5 % at most: someone is capped
    dialog.min_check.setChecked(False)
    steps = len(plan.history())
    qtbot.mouseClick(dialog.allocate_button, Qt.MouseButton.LeftButton)
    assert dialog.applied, dialog.error.text()
    assert plan.quotas.year(YEAR).amount(0) == 285_000_000
    assert len(plan.history()) == steps + 1
    assert "capped at its maximum" in dialog.report.toPlainText()
    assert dialog.report.isVisible()
    plan.undo()
    assert plan.quotas.year(YEAR).amount(0) == TOTAL


def test_allocate_dialog_keeps_the_form_on_an_error_naming_the_field(
    qtbot: Any, plan: Plan
) -> None:
    dialog = _allocate_dialog(qtbot, plan, "lots")
    steps = len(plan.history())
    qtbot.mouseClick(dialog.allocate_button, Qt.MouseButton.LeftButton)
    assert dialog.error.text().startswith("total:")
    assert dialog.total.text() == "lots"
    assert not dialog.applied
    for box in dialog.weights.values():
        box.setValue(0.0)
    dialog.total.setText("100")
    qtbot.mouseClick(dialog.allocate_button, Qt.MouseButton.LeftButton)
    assert dialog.error.text().startswith("basis:")
    assert len(plan.history()) == steps


def test_release_adjustment_button(qtbot: Any, plan: Plan) -> None:
    from planner.model.quota import ops

    dock = _dock(qtbot, plan)
    t1 = int(plan.atoms.territory_ids[0])
    plan.apply(ops.adjust_edit(plan, YEAR, t1, 100_000_00))
    index = _cell(dock, t1, "name")
    qtbot.mouseClick(dock.tree.viewport(), Qt.MouseButton.LeftButton,
                     pos=dock.tree.visualRect(index).center())  # fmt: skip
    assert dock.release_button.isEnabled()
    qtbot.mouseClick(dock.release_button, Qt.MouseButton.LeftButton)
    assert not plan.quotas.year(YEAR).cells[t1].adjusted
