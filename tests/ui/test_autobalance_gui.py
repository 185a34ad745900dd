"""Auto-balance from the window: runs on a worker, result opened as a scenario with impact;
Cancel keeps a valid result; a locked territory is shown locked and left alone."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from planner.model.optimize import OptimizeOptions
from planner.model.plan import Plan
from planner.ui.autobalance import run_auto_balance
from tests.ui.test_main_window import js, window  # noqa: F401 - the fixture

pytestmark = pytest.mark.webengine


def test_auto_balance_opens_a_new_scenario_with_its_impact(qtbot: Any, window: Any) -> None:  # noqa: F811
    w = window
    base = w.plan
    start = base.summary()["max_abs_deviation"]["potential"]
    handle = run_auto_balance(w, OptimizeOptions(max_disruption=0.3, time_limit=10), "Auto")
    qtbot.waitUntil(lambda: w.plan.name == "Auto", timeout=30_000)
    assert not handle.is_running()
    assert w.plan.summary()["max_abs_deviation"]["potential"] < start
    assert w.docks["impact"].isVisible()
    qtbot.waitUntil(lambda: w.impact_dock.impact is not None
                    and w.impact_dock.impact.scenario == "Auto", timeout=5000)  # fmt: skip
    assert w.impact_dock.impact.summary.disruption["accounts"] <= 0.3 + 1e-9
    assert w.undo_stack.count() == 1  # the whole result is one undoable step
    assert base.project.baseline_id() != w.plan.scenario_id


def test_locked_territory_is_marked_and_kept(qtbot: Any, window: Any) -> None:  # noqa: F811
    w = window
    w.territory_combo.setCurrentIndex(1)
    w.territory_actions.toggle_lock()
    assert bool(w.plan.atoms.territory_locked[1])
    tid = int(w.plan.atoms.territory_ids[1])
    dash = ("(function(){var d=null;TP.map().eachLayer(function(l){if(l.feature&&"
            f"l.feature.properties.id==={tid}&&l.feature.properties.locked)d=l.options.dashArray;"
            "});return d;})()")  # fmt: skip
    qtbot.waitUntil(lambda: js(qtbot, w, dash) == "1 7", timeout=10_000)
    before = w.plan.alignment[: w.plan.atoms.n_units].copy()
    run_auto_balance(w, OptimizeOptions(time_limit=5), "With lock")
    qtbot.waitUntil(lambda: w.plan.name == "With lock", timeout=30_000)
    after = w.plan.alignment[: w.plan.atoms.n_units]
    np.testing.assert_array_equal(after[before == 1], 1)
    assert ((after == 1) == (before == 1)).all()


def test_cancel_keeps_a_valid_contiguous_result(qtbot: Any, window: Any) -> None:  # noqa: F811
    from planner.model.measures import plan_measures

    w = window
    handle = run_auto_balance(w, OptimizeOptions(time_limit=60), "Cancelled")
    with qtbot.waitSignal(handle.progress, timeout=10_000):
        pass  # the optimiser has started: cancelling now must keep its best result
    handle.cancel()
    qtbot.waitUntil(lambda: w.plan.name == "Cancelled", timeout=30_000)
    assert plan_measures(Plan.load(w.plan.project, "Cancelled"))["noncontiguous_territories"] == 0


def test_chained_runs_keep_the_budget_against_the_baseline(qtbot: Any, window: Any) -> None:  # noqa: F811
    w = window
    run_auto_balance(w, OptimizeOptions(max_disruption=0.15, time_limit=5), "First")
    qtbot.waitUntil(lambda: w.plan.name == "First", timeout=30_000)
    first = w.plan.disruption()["accounts"]
    assert 0 < first <= 0.15 + 1e-9
    run_auto_balance(w, OptimizeOptions(max_disruption=0.15, time_limit=5), "Second")
    qtbot.waitUntil(lambda: w.plan.name == "Second" or "uses up" in w.last_error, timeout=30_000)
    if w.plan.name == "Second":  # budget left: the chain stays within 15 % of the baseline
        assert w.plan.disruption()["accounts"] <= 0.15 + 1e-9
    else:  # the first run used it all: refused, with the figures
        assert f"{first:.1%}" in w.last_error


def test_progress_chart_follows_the_best_balanced_result_and_cancel_keeps_it(
    qtbot: Any,
    window: Any,  # noqa: F811
) -> None:
    from PySide6.QtCore import Qt

    from planner.model.optimize.report import result_report

    w = window
    opts = OptimizeOptions(metrics={"potential": 1.0}, tolerance=0.1, objective="dispersion",
                           from_scratch=3, time_limit=60)  # fmt: skip
    handle = run_auto_balance(w, opts, "Charted")
    qtbot.waitUntil(lambda: handle.dialog is not None and handle.dialog.isVisible(), timeout=10_000)
    dialog = handle.dialog
    chart = dialog.chart
    qtbot.waitUntil(lambda: chart.series.count() >= 3, timeout=30_000)  # real progress events
    assert "round" not in dialog.label.text()
    assert "distances to centres" in chart.chart().title()
    history = chart.history
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.plan.name == "Charted", timeout=30_000)
    assert handle.was_cancelled
    values = [v for _, v in history.points]
    assert values == sorted(values, reverse=True)  # the best only gets better
    measured = result_report(Plan.load(w.plan.project, "Charted"), {"potential": 0.1})
    assert measured["balanced"] is True
    assert measured["dispersion"] == pytest.approx(values[-1])  # Cancel kept the best
