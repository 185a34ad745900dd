"""The Impact dock shows the quota changing hands (issue 16, point 4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from planner.model import moves
from planner.model.plan import Plan
from planner.model.quota.ops import allocate_edit
from planner.model.scenarios import create_scenario
from planner.model.synthetic import grid_project
from planner.ui.impact_dock import ImpactDock


def test_impact_dock_lists_the_quota_each_moved_account_takes(qtbot: Any, tmp_path: Path) -> None:
    project = grid_project(tmp_path / "grid.tplan")
    base = Plan.load(project)
    base.apply(allocate_edit(base, 2027, 1_000_000_00, basis="potential")[0])
    create_scenario(project, "S1")
    plan = Plan.load(project, "S1")
    dock = ImpactDock()
    qtbot.addWidget(dock)
    dock.set_plan(plan)
    dock.show()
    plan.apply(moves.for_units(plan, np.arange(0, 4), 1))
    qtbot.waitUntil(lambda: dock.quota is not None and dock.quota.total_moved > 0, timeout=10_000)
    lost = base.quotas.year(2027).amount(int(plan.atoms.territory_ids[0]))  # type: ignore[union-attr]
    lost -= plan.quotas.year(2027).amount(int(plan.atoms.territory_ids[0]))  # type: ignore[union-attr]
    assert dock.quota.total_moved == pytest.approx(lost / 100, abs=0.12)
    assert "FY2027 quota changing hands" in dock.summary.text()
    frame = dock.moved_model.frame
    assert "quota_moved" in frame.columns
    assert frame["quota_moved"].sum() == pytest.approx(lost / 100, abs=0.12)
    project.close()


def test_impact_dock_exports_carry_the_map_and_the_quota(qtbot: Any, tmp_path: Path) -> None:
    import subprocess
    import zipfile

    from openpyxl import load_workbook

    project = grid_project(tmp_path / "grid.tplan")
    base = Plan.load(project)
    base.apply(allocate_edit(base, 2027, 1_000_000_00, basis="potential")[0])
    create_scenario(project, "S1")
    plan = Plan.load(project, "S1")
    plan.apply(moves.for_units(plan, np.arange(0, 4), 1))
    dock = ImpactDock()
    qtbot.addWidget(dock)
    dock.set_plan(plan)
    dock.show()
    qtbot.waitUntil(lambda: dock.quota is not None, timeout=10_000)
    pdf = dock.export("pdf", tmp_path / "impact.pdf")
    assert pdf is not None
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True)
    assert len(images.stdout.strip().splitlines()) > 2  # header lines + the map picture
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Quota changing hands" in text
    xlsx = dock.export("xlsx", tmp_path / "impact.xlsx")
    assert xlsx is not None
    with zipfile.ZipFile(xlsx) as z:
        assert [n for n in z.namelist() if n.startswith("xl/media/")] == ["xl/media/image1.png"]
    assert any(name.startswith("Quota FY2027") for name in load_workbook(xlsx).sheetnames)
    project.close()
