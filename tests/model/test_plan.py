"""Plan: edits persist at once, undo restores exactly, previews equal applies, stale writes fail."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from planner.model import moves, territories
from planner.model.errors import PlannerError
from planner.model.plan import Plan, StaleScenario
from planner.model.store import Project


def test_lasso_moves_units_by_representative_point_and_persists(grid) -> None:
    plan = Plan.load(grid)
    # Cells x=0..1 (stripe T1) and y=0..1: a lasso around the representative points of 4 cells.
    lasso = shapely.box(-84.0, 33.0, -83.8, 33.2)
    ms = moves.for_polygon(plan, lasso, to=2)
    assert sorted(plan.atoms.unit_codes[ms.atoms]) == ["U0_0", "U0_1", "U1_0", "U1_1"]
    plan.apply(ms)
    reopened = Plan.load(Project.open(grid.location))
    np.testing.assert_array_equal(reopened.alignment, plan.alignment)
    np.testing.assert_allclose(reopened.balance.totals, plan.balance.totals)


def test_undo_restores_totals_and_file_exactly(grid) -> None:
    plan = Plan.load(grid)
    before = plan.balance.totals.copy()
    align = plan.alignment.copy()
    ms = moves.for_units(plan, np.array([0, 1, 2]), 2)
    log_id = plan.apply(ms)
    assert not np.allclose(plan.balance.totals, before)
    assert plan.undo() == log_id
    np.testing.assert_allclose(plan.balance.totals, before, rtol=1e-12)
    np.testing.assert_array_equal(plan.alignment, align)
    np.testing.assert_array_equal(Plan.load(Project.open(grid.location)).alignment, align)
    # The undone step stays in the history, redoable, until a new edit replaces it.
    assert [h["state"] for h in plan.history()] == ["undone"]
    assert plan.undo() is None


def test_history_survives_reopening_and_undo_redo_replay_it(grid) -> None:
    plan = Plan.load(grid)
    original = plan.alignment.copy()
    a = moves.for_units(plan, np.array([0]), 1)
    plan.apply(a)
    b = moves.for_units(plan, np.array([5, 6]), 2)
    plan.apply(b)
    after_both = plan.alignment.copy()
    again = Plan.load(Project.open(grid.location))
    assert [h["label"] for h in again.history()] == [a.label, b.label]
    assert again.can_undo() == b.label
    # Undoing the restored steps in reverse brings back the original alignment...
    again.undo()
    again.undo()
    np.testing.assert_array_equal(again.alignment, original)
    assert again.can_undo() is None
    assert again.can_redo() == a.label
    # ... and the redo stack survives another reopening.
    third = Plan.load(Project.open(grid.location))
    third.redo()
    third.redo()
    np.testing.assert_array_equal(third.alignment, after_both)
    np.testing.assert_allclose(third.balance.totals, third.balance.recompute())


def test_a_new_edit_drops_the_redo_stack(grid) -> None:
    plan = Plan.load(grid)
    plan.apply(moves.for_units(plan, np.array([0]), 1))
    plan.undo()
    plan.apply(moves.for_units(plan, np.array([3]), 2))
    assert plan.can_redo() is None
    assert [h["state"] for h in plan.history()] == ["discarded", "applied"]


def test_preview_matches_apply_and_changes_nothing(grid) -> None:
    plan = Plan.load(grid)
    totals = plan.balance.totals.copy()
    align = plan.alignment.copy()
    ms = moves.for_units(plan, np.array([0, 4, 8]), 2)
    pv = plan.preview(ms)
    np.testing.assert_array_equal(plan.alignment, align)
    np.testing.assert_array_equal(plan.balance.totals, totals)
    assert pv.units == 3
    assert pv.accounts == 15  # 5 accounts per cell
    plan.apply(ms)
    after = {r["name"]: r for r in plan.rows()}
    for td in pv.territories:
        for m, v in td.after.items():
            assert after[td.name][m] == pytest.approx(v)


def test_events_name_the_touched_territories(grid) -> None:
    plan = Plan.load(grid)
    seen = []
    plan.changed.connect(seen.append)
    ms = moves.for_units(plan, np.array([0]), 2)
    log_id = plan.apply(ms)
    assert seen[0].moveset is ms
    assert set(seen[0].touched) == {0, 2}
    assert not seen[0].undone
    assert seen[0].log_id == log_id
    assert seen[0].action == "apply"
    plan.undo()
    assert seen[1].undone
    assert set(seen[1].touched) == {0, 2}
    np.testing.assert_array_equal(seen[1].moveset.after, ms.before)


def test_locked_territory_is_neither_source_nor_target(grid) -> None:
    plan = Plan.load(grid)
    plan.apply(territories.set_locked(plan, 0, True))
    with pytest.raises(PlannerError, match="locked"):
        moves.for_units(plan, np.array([20]), 0)
    ms = moves.for_units(plan, np.array([0, 12]), 2)  # unit 0 is in locked T1
    assert list(plan.atoms.unit_codes[ms.atoms]) == ["U3_0"]


def test_stale_copy_cannot_overwrite_a_colleague(grid) -> None:
    mine = Plan.load(grid)
    theirs = Plan.load(Project.open(grid.location))
    theirs.user = "colleague"
    theirs.apply(moves.for_units(theirs, np.array([0]), 2))
    with pytest.raises(StaleScenario, match="colleague"):
        mine.apply(moves.for_units(mine, np.array([1]), 2))
    # Nothing of the refused edit reached the file.
    fresh = Plan.load(Project.open(grid.location))
    assert fresh.alignment[1] == theirs.alignment[1]


def test_disruption_counts_accounts_revenue_and_potential(grid) -> None:
    from planner.model.scenarios import create_scenario

    create_scenario(grid, "S")
    plan = Plan.load(grid, "S")
    assert plan.disruption() == {"accounts": 0.0, "revenue": 0.0, "potential": 0.0}
    plan.apply(moves.for_units(plan, np.array([0]), 2))
    d = plan.disruption()
    pinned = plan.alignment[plan.atoms.n_units :] >= 0
    moved = (plan.atoms.account_unit == 0) & ~pinned
    assert d["accounts"] == pytest.approx(moved.sum() / plan.atoms.n_accounts)
    assert 0 < d["potential"] < 1
    assert Plan.load(Project.open(grid.location), "S").disruption() == pytest.approx(d)


def test_the_baseline_counts_disruption_from_its_last_publish(grid) -> None:
    from planner.model.scenarios import create_scenario, publish

    base = Plan.load(grid)
    base.apply(moves.for_units(base, np.array([0]), 2))  # never published: its own reference
    assert base.disruption()["accounts"] == 0.0
    assert Plan.load(Project.open(grid.location)).disruption()["accounts"] == 0.0
    create_scenario(grid, "S")
    s = Plan.load(grid, "S")
    s.apply(moves.for_units(s, np.array([1]), 2))
    publish(grid, "S", handovers=False)
    published = Plan.load(grid)  # against what the publish replaced: unit 1 moved
    assert published.disruption()["accounts"] > 0
    published.apply(moves.for_units(published, np.array([1]), 0))  # moved back
    assert published.disruption()["accounts"] == pytest.approx(0.0, abs=1e-12)
    assert Plan.load(Project.open(grid.location)).disruption() == published.disruption()


def test_new_territory_joins_the_plan_and_balance_stays_exact(grid) -> None:
    from tests.model.test_balance import assert_matches_reference

    plan = Plan.load(grid)
    plan.apply(territories.create(plan, "North", colour="#00aa00", atoms=np.array([0, 1])))
    new = plan.atoms.n_territories - 1
    assert plan.atoms.territory_names[new] == "North"
    assert plan.rows()[new]["accounts"] > 0
    plan.apply(territories.rename(plan, new, "North East"))
    assert plan.rows()[new]["name"] == "North East"
    np.testing.assert_allclose(plan.balance.totals, plan.balance.recompute())
    # A fresh load (anchor from the centre of its accounts as documented) matches pandas.
    assert_matches_reference(Plan.load(Project.open(grid.location)))


def test_reshape_moves_units_whose_point_changes_side(grid) -> None:
    plan = Plan.load(grid)
    # T1 is columns x=0..1 (lon -84.0..-83.8). Pull its east edge to -83.7 and cut off row y=3.
    outline = shapely.box(-84.0, 33.0, -83.7, 33.3)
    ms = moves.for_reshape(plan, 0, outline)
    got = dict(zip(plan.atoms.unit_codes[ms.atoms], ms.after, strict=True))
    assert {c for c, t in got.items() if t == 0} == {"U2_0", "U2_1", "U2_2"}
    assert {c: t for c, t in got.items() if t != 0} == {"U0_3": 1, "U1_3": 1}


def test_split_sends_the_smaller_piece_to_the_new_territory(grid) -> None:
    plan = Plan.load(grid)
    outline = shapely.box(-84.0, 33.0, -83.8, 33.4)
    line = shapely.LineString([(-84.1, 33.1), (-83.7, 33.1)])
    edit = territories.split(plan, 0, outline, line)
    assert sorted(plan.atoms.unit_codes[edit.moves.atoms]) == ["U0_0", "U1_0"]
    assert edit.creates[0].spec["name"] == "T1 (split)"
    with pytest.raises(PlannerError, match="cross the territory"):
        territories.split(plan, 0, outline, shapely.LineString([(-85, 30), (-85, 31)]))
