"""The window's export buttons cannot overwrite the open project either (issue 13, item 1).

The docks call the same model writers as the CLI; those refuse any file of a project this
process has open, so a user who picks the project (or its -wal) in the save dialog gets a
message and keeps the project.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from planner.model import moves
from planner.model.handover import generate_packets
from planner.model.plan import Plan
from planner.model.scenarios import create_scenario, scenario_id
from planner.model.synthetic import grid_project
from planner.ui.handover_dock import HandoverDock
from planner.ui.impact_dock import ImpactDock
from tests.clirun import dump, integrity


@pytest.fixture
def plan(tmp_path: Path) -> Any:
    project = grid_project(tmp_path / "grid.tplan")
    create_scenario(project, "S1")
    plan = Plan.load(project, "S1")
    plan.apply(moves.for_units(plan, np.arange(0, 4), 1))
    yield plan
    project.close()


def test_handover_exports_refuse_the_open_project(qtbot: Any, plan: Any, monkeypatch) -> None:
    project = plan.project
    generate_packets(project, "S1", effective_date=dt.date(2027, 1, 4))
    dock = HandoverDock(user="tester")
    qtbot.addWidget(dock)
    dock.set_project(project, scenario_id(project, "S1"))
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: shown.append(text))
    before = dump(project.path)
    for export in (dock.export_csv, dock.export_xlsx, dock.export_html):
        for target in (project.path, Path(f"{project.path}-wal")):
            export(target)
    assert len(shown) == 6
    assert all("is the project" in m and "choose another file name" in m for m in shown)
    assert dump(project.path) == before
    assert integrity(project.path) == "ok"


def test_impact_export_refuses_the_open_project(qtbot: Any, plan: Any) -> None:
    dock = ImpactDock()
    qtbot.addWidget(dock)
    dock.set_plan(plan)
    dock.show()  # the impact is computed when the dock is shown
    qtbot.waitUntil(lambda: dock.impact is not None, timeout=10_000)
    before = dump(plan.project.path)
    for kind in ("xlsx", "pdf"):
        with qtbot.waitSignal(dock.error) as message:
            assert dock.export(kind, plan.project.path) is None
        assert "is the project" in message.args[0]
    assert dump(plan.project.path) == before
