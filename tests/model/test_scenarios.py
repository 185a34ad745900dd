"""Scenarios: independent copies, unique names, a baseline that cannot be deleted, publish with
an audited snapshot, and a restore that gives back the exact old alignment."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import shapely
from sqlalchemy import func, select

from planner.model import moves
from planner.model.atoms import load_alignment, load_atoms
from planner.model.errors import PlannerError
from planner.model.impact import impact
from planner.model.plan import Plan, StaleScenario
from planner.model.scenarios import (
    StalePublish,
    create_scenario,
    delete_scenario,
    list_scenarios,
    publications,
    publish,
    rename_scenario,
    restore_snapshot,
    scenario_id,
)
from planner.model.schema import Assignment, EditLog, Pin, Publication, Scenario, TerritoryShape
from planner.model.store import Project
from planner.model.synthetic import grid_project


def _alignment(project: Project, scenario: int | str | None) -> np.ndarray:
    return load_alignment(project, load_atoms(project), scenario_id(project, scenario))


def _count(project: Project, table: type, sid: int) -> int:
    with project.session() as s:
        return s.scalar(select(func.count()).select_from(table).where(table.scenario_id == sid))


def test_a_copy_is_independent_of_its_original(grid: Project) -> None:
    base = _alignment(grid, None)
    create_scenario(grid, "Draft", description="try east")
    np.testing.assert_array_equal(_alignment(grid, "Draft"), base)  # pins copied too
    assert _count(grid, Pin, scenario_id(grid, "Draft")) == 2

    plan = Plan.load(grid, "Draft")
    plan.apply(moves.for_units(plan, np.array([0, 1]), 2))
    plan.apply(moves.for_pin(plan, 3, 1))
    np.testing.assert_array_equal(_alignment(grid, None), base)  # the baseline did not move
    edited = _alignment(grid, "Draft")
    assert (edited != base).sum() == 3

    create_scenario(grid, "Draft 2", based_on="Draft")  # a copy of a scenario, not the baseline
    np.testing.assert_array_equal(_alignment(grid, "Draft 2"), edited)
    later = Plan.load(grid, "Draft 2")
    later.apply(moves.for_units(later, np.array([5]), 0))
    np.testing.assert_array_equal(_alignment(grid, "Draft"), edited)

    rows = {r["name"]: r for r in list_scenarios(grid)}
    assert next(iter(rows)) == "Baseline"
    assert rows["Baseline"]["is_baseline"]
    assert rows["Draft"]["edits"] == 2
    assert rows["Draft"]["description"] == "try east"
    assert rows["Draft 2"]["based_on"] == "Draft"


def test_names_are_unique_and_the_baseline_cannot_be_deleted(grid: Project) -> None:
    create_scenario(grid, "A")
    create_scenario(grid, "B")
    with pytest.raises(PlannerError, match="'A' already exists"):
        create_scenario(grid, "A")
    with pytest.raises(PlannerError, match="'B' already exists"):
        rename_scenario(grid, "A", "B")
    with pytest.raises(PlannerError, match="needs a name"):
        create_scenario(grid, "   ")
    with pytest.raises(PlannerError, match="baseline"):
        delete_scenario(grid, "Baseline")
    with pytest.raises(PlannerError, match="no scenario 'Z'"):
        delete_scenario(grid, "Z")

    rename_scenario(grid, "A", "Plan A")
    sid = scenario_id(grid, "Plan A")
    Plan.load(grid, sid).apply(moves.for_units(Plan.load(grid, sid), np.array([0]), 2))
    delete_scenario(grid, "Plan A")
    assert [r["name"] for r in list_scenarios(grid)] == ["Baseline", "B"]
    assert _count(grid, Assignment, sid) == 0
    assert _count(grid, EditLog, sid) == 0


def test_rename_bumps_the_version_so_an_open_plan_sees_it(grid: Project) -> None:
    create_scenario(grid, "A")
    plan = Plan.load(grid, "A")
    rename_scenario(grid, "A", "A2")
    with pytest.raises(StaleScenario):
        plan.apply(moves.for_units(plan, np.array([0]), 2))


def test_publish_moves_the_baseline_and_records_the_audit_row(grid: Project) -> None:
    base_id = grid.baseline_id()
    old_plan = Plan.load(grid)  # someone has the baseline open
    old_plan.apply(moves.for_units(old_plan, np.array([20]), 0))
    old = _alignment(grid, None)
    create_scenario(grid, "East")
    plan = Plan.load(grid, "East")
    plan.apply(moves.for_units(plan, np.arange(0, 8), 2))
    new = plan.alignment.copy()
    seen = impact(grid, "East").to_json()["summary"]

    pub = publish(
        grid, "East", user="dana", effective_date=dt.date(2027, 1, 1), scenario_version=plan.version
    )
    assert grid.baseline_id() == base_id  # same id: references stay valid
    np.testing.assert_array_equal(_alignment(grid, None), new)

    with grid.session() as s:
        row = s.get(Publication, pub.id)
        snap = s.get(Scenario, row.snapshot_id)
        assert row.user == "dana"
        assert row.effective_date == dt.date(2027, 1, 1)
        assert row.scenario_id == scenario_id(grid, "East")
        assert row.at is not None
        assert snap.snapshot_of_baseline_at is not None
        assert snap.name.startswith("Baseline before ")
        assert not snap.is_baseline
        # The old baseline's edit history went with its alignment into the snapshot.
        kinds = s.scalars(select(EditLog.kind).where(EditLog.scenario_id == base_id)).all()
    assert kinds == ["publish"]
    assert row.summary == {"kind": "publish", **seen}
    assert row.summary["accounts_moved"] == seen["accounts_moved"] > 0
    np.testing.assert_array_equal(_alignment(grid, snap.id), old)
    assert publications(grid)[0]["scenario"] == "East"

    with pytest.raises(StaleScenario):  # the baseline changed under the open plan
        old_plan.apply(moves.for_units(old_plan, np.array([21]), 0))
    with pytest.raises(PlannerError, match="already the baseline"):
        publish(grid, "Baseline")
    with pytest.raises(PlannerError, match="not a snapshot"):
        restore_snapshot(grid, "East")

    # Restoring the snapshot gives back the exact old alignment, audited, and keeps the
    # published one as another snapshot.
    back = restore_snapshot(grid, snap.name, user="dana")
    np.testing.assert_array_equal(_alignment(grid, None), old)
    assert back.summary == {"kind": "restore", "restored_snapshot": snap.name}
    with grid.session() as s:
        kept = s.get(Scenario, back.snapshot_id)
    np.testing.assert_array_equal(_alignment(grid, kept.id), new)
    assert [p["summary"]["kind"] for p in publications(grid)] == ["publish", "restore"]


def test_publishing_a_scenario_edited_after_review_is_refused(grid: Project) -> None:
    create_scenario(grid, "East")
    plan = Plan.load(grid, "East")
    reviewed = plan.version
    plan.apply(moves.for_units(plan, np.array([0]), 2))
    with pytest.raises(StalePublish, match="review"):
        publish(grid, "East", scenario_version=reviewed)
    with grid.session() as s:
        assert s.scalar(select(func.count()).select_from(Publication)) == 0


def test_free_form_scenarios_copy_drawn_shapes(tmp_path: Path) -> None:
    project = grid_project(tmp_path / "free.tplan", free_form=True)
    try:
        base = project.baseline_id()
        with project.transaction() as s:
            s.add(
                TerritoryShape(
                    scenario_id=base,
                    territory_id=1,
                    geometry=shapely.to_wkb(shapely.box(0, 0, 1, 1)),
                )
            )
        sid = create_scenario(project, "Redraw")
        assert _count(project, TerritoryShape, sid) == 1
        assert _count(project, Assignment, sid) == _count(project, Assignment, base) == 120
        np.testing.assert_array_equal(_alignment(project, sid), _alignment(project, None))
    finally:
        project.close()
