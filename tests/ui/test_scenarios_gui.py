"""Scenarios in the window: switching, per-scenario edits and history, live impact, publish."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from planner.model import moves
from planner.model.atoms import load_alignment
from planner.model.scenarios import create_scenario, list_scenarios
from planner.model.store import Project
from planner.ui.balance_table import COLUMN, RAW_ROLE
from tests.ui.test_main_window import js, unit_fill, window  # noqa: F401 - the fixture

pytestmark = pytest.mark.webengine


def potential_in_table(w: Any, territory: int) -> float:
    model = w.balance_dock.table.balance_model
    return model.data(model.index(territory, COLUMN["potential"]), RAW_ROLE)


def test_switching_scenarios_moves_table_and_map(qtbot: Any, window: Any) -> None:  # noqa: F811
    w = window
    project = w.plan.project
    base_id = w.plan.scenario_id
    sid = create_scenario(project, "East grows")
    w.scenarios_dock.refresh()
    assert w.switch_scenario(sid)
    assert w.plan.name == "East grows"
    assert "East grows" in w.windowTitle()
    # An edit in the scenario: U0_0 (unit id 1) from T1 to T3.
    w.workspace.apply(moves.for_units(w.plan, np.array([0]), 2))
    t3 = str(w.plan.atoms.territory_colours[2])
    qtbot.waitUntil(lambda: unit_fill(qtbot, w, 1) == t3, timeout=10_000)
    scen_pot = potential_in_table(w, 2)
    assert w.undo_stack.count() == 1
    # The live impact follows the edit (computed while its dock is open).
    w.docks["impact"].show()
    qtbot.waitUntil(lambda: w.impact_dock.impact is not None
                    and w.impact_dock.impact.summary.units_moved == 1, timeout=5000)  # fmt: skip
    assert w.impact_dock.moved_model.rowCount() == w.impact_dock.impact.summary.accounts_moved > 0

    # Back to the baseline: its own figures, colours and (empty) history.
    assert w.switch_scenario(base_id)
    t1 = str(w.plan.atoms.territory_colours[0])
    qtbot.waitUntil(lambda: unit_fill(qtbot, w, 1) == t1, timeout=10_000)
    assert potential_in_table(w, 2) < scen_pot
    assert w.undo_stack.count() == 0
    assert w.balance_dock.table.balance_model.rowCount() == 3
    # The baseline was not touched by the scenario's edit.
    base = load_alignment(project, w.plan.atoms, base_id)
    assert base[0] == 0
    # Reopening shows the scenario worked on last.
    w.switch_scenario(sid)
    assert Project.open(project.location).info()["active_scenario"] == str(sid)


def test_publish_replaces_the_baseline_and_keeps_a_snapshot(qtbot: Any, window: Any) -> None:  # noqa: F811
    from planner.ui.publish_dialog import PublishDialog

    w = window
    project = w.plan.project
    sid = create_scenario(project, "Plan B")
    w.switch_scenario(sid)
    w.workspace.apply(moves.for_units(w.plan, np.array([0, 1]), 2))
    expected = w.plan.alignment.copy()
    w._confirm = lambda dialog: PublishDialog.DialogCode.Accepted
    assert w.publish_scenario()
    names = {r["name"]: r for r in list_scenarios(project)}
    assert any(r["snapshot_of_baseline_at"] for r in names.values())
    base = load_alignment(project, w.plan.atoms, project.baseline_id())
    np.testing.assert_array_equal(base[: w.plan.atoms.n_units], expected[: w.plan.atoms.n_units])
    assert w.plan.disruption()["accounts"] == 0.0  # the scenario now equals the baseline


def test_publish_and_impact_selection_make_handover_packets(qtbot: Any, window: Any) -> None:  # noqa: F811
    from planner.model.handover import load_packets
    from planner.ui.publish_dialog import PublishDialog

    w = window
    project = w.plan.project
    sid = create_scenario(project, "Handover")
    w.switch_scenario(sid)
    w.workspace.apply(moves.for_units(w.plan, np.array([0]), 2))
    w.docks["impact"].show()
    qtbot.waitUntil(lambda: w.impact_dock.impact is not None
                    and w.impact_dock.impact.summary.accounts_moved > 0, timeout=5000)  # fmt: skip
    moved = list(w.impact_dock.impact.moved["account_id"])
    w.impact_dock.moved_view.selectRow(0)
    picked = w.impact_dock.selected_account_ids()
    assert len(picked) == 1
    w.impact_dock._request_handover()
    packets = load_packets(project, sid)
    assert [a.external_id for pk in packets for a in pk.accounts] == picked
    w._confirm = lambda dialog: PublishDialog.DialogCode.Accepted
    assert w.publish_scenario()
    packets = load_packets(project, sid)
    assert sorted(a.external_id for pk in packets for a in pk.accounts) == sorted(moved)
