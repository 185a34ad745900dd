"""The OK/Cancel buttons of the app's dialogs: labelled per dialog, wired to accept/reject."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QDialog, QDialogButtonBox

from planner.model.impact import impact
from planner.model.plan import Plan
from planner.model.synthetic import grid_project
from planner.ui.autobalance import AutoBalanceDialog
from planner.ui.publish_dialog import PublishDialog

Button = QDialogButtonBox.StandardButton
Code = QDialog.DialogCode
#: OK label -> the dialog.
DIALOGS: dict[str, Callable[[Plan], QDialog]] = {
    "Run": AutoBalanceDialog,
    "Publish": lambda plan: PublishDialog(impact(plan.project, None)),
}


@pytest.fixture
def plan(tmp_path: Path) -> Plan:
    return Plan.load(grid_project(tmp_path / "g.tplan", pins=2))


@pytest.mark.parametrize("ok_text", list(DIALOGS))
@pytest.mark.parametrize(("button", "code"), [(Button.Ok, Code.Accepted),
                                              (Button.Cancel, Code.Rejected)])  # fmt: skip
def test_ok_and_cancel(qtbot: Any, plan: Plan, ok_text: str, button: Button, code: Code) -> None:
    dialog = DIALOGS[ok_text](plan)
    qtbot.addWidget(dialog)
    (box,) = dialog.findChildren(QDialogButtonBox)
    assert box.button(Button.Ok).text() == ok_text
    dialog.open()
    with qtbot.waitSignal(dialog.finished, timeout=1000) as finished:
        box.button(button).click()
    assert finished.args == [code.value]
