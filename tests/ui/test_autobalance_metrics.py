"""The auto-balance dialog lists every metric (imported unit columns too), each with its own
tolerance, and the compactness objective; its options carry them to the optimiser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import update

from planner.model.plan import Plan
from planner.model.schema import Unit
from planner.model.synthetic import grid_project
from planner.ui.autobalance import AutoBalanceDialog


def test_dialog_lists_imported_columns_with_their_own_tolerance(qtbot: Any, tmp_path: Path) -> None:
    project = grid_project(tmp_path / "g.tplan")
    with project.transaction() as s:
        s.execute(update(Unit).values(attributes={"calls": 12.0, "region": "north"}))
    dialog = AutoBalanceDialog(Plan.load(project))
    qtbot.addWidget(dialog)
    assert {"potential", "workload_hours", "pipeline", "calls"} <= set(dialog.metrics)
    assert "region" not in dialog.metrics  # text: not a metric
    assert not dialog.tolerances["calls"].isEnabled()
    dialog.metrics["calls"].setChecked(True)
    assert dialog.tolerances["calls"].isEnabled()
    dialog.tolerances["calls"].setValue(2.0)
    dialog.metrics["workload_hours"].setChecked(False)
    dialog.compactness.setCurrentIndex(dialog.compactness.findData("dispersion"))
    opts = dialog.options()
    assert opts.metrics == {"potential": 1.0, "calls": 1.0}
    assert opts.tolerances == {"potential": 0.05, "calls": 0.02}
    assert opts.objective == "dispersion"


def test_dialog_centre_is_chosen_for_dispersion_and_reaches_the_options(
    qtbot: Any, tmp_path: Path
) -> None:
    project = grid_project(tmp_path / "g.tplan")
    with project.transaction() as s:
        s.execute(update(Unit).values(attributes={"calls": 12.0}))
    dialog = AutoBalanceDialog(Plan.load(project))
    qtbot.addWidget(dialog)
    assert not dialog.centre.isEnabled()  # cut edges: no centre
    assert dialog.options().centre == "median"
    dialog.compactness.setCurrentIndex(dialog.compactness.findData("dispersion"))
    assert dialog.centre.isEnabled()
    dialog.centre.setCurrentIndex(dialog.centre.findData("weighted:calls"))
    opts = dialog.options()
    assert (opts.objective, opts.centre) == ("dispersion", "weighted:calls")
