"""Every change is one Edit: territory operations are previewed without writing, applied, logged,
undone and redone like moves, per scenario, and the window's figures always match a fresh load."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.model import moves, territories
from planner.model.atoms import UNASSIGNED
from planner.model.errors import PlannerError
from planner.model.history import effect_text
from planner.model.plan import Plan, StaleScenario
from planner.model.scenarios import create_scenario
from planner.model.store import Project
from planner.model.synthetic import grid_project
from tests.model.test_balance import assert_matches_reference


def digest(project: Project) -> str:
    """The project's content (every table), to prove that something wrote nothing."""
    with project.engine.connect() as c:
        c.exec_driver_sql("PRAGMA wal_checkpoint(FULL)")
        dump = "\n".join(c.connection.driver_connection.iterdump())
    return hashlib.sha256(dump.encode()).hexdigest()


def assert_same_summary(a: Plan, b: Plan) -> None:
    """What ``planner balance`` prints and what the window shows: the same figures."""
    sa, sb = a.summary(), b.summary()
    for key in sa:
        assert sa[key] == pytest.approx(sb[key], rel=1e-9, abs=1e-12), key


def assert_same_rows(a: list[dict], b: list[dict]) -> None:
    """Balance table rows: the same territories, names, reps and (to rounding) figures."""
    assert [(r["id"], r["name"], r["colour"], r["rep"], r["locked"]) for r in a] == [
        (r["id"], r["name"], r["colour"], r["rep"], r["locked"]) for r in b
    ]
    for ra, rb in zip(a, b, strict=True):
        for m in ("accounts", "potential", "workload_hours", "revenue", "pipeline"):
            assert ra[m] == pytest.approx(rb[m], rel=1e-9), (ra["name"], m)
            assert ra["deviation"][m] == pytest.approx(rb["deviation"][m], rel=1e-9, abs=1e-12)


def names(plan: Plan) -> list[str]:
    return [str(n) for n in plan.atoms.territory_names]


def test_a_drawn_territory_is_a_placeholder_until_applied(grid: Project) -> None:
    plan = Plan.load(grid)
    before, totals = digest(grid), plan.balance.totals.copy()
    edit = territories.draw(plan, shapely.box(-84.0, 33.0, -83.8, 33.2))
    pv = plan.preview(edit)
    # The preview names the new territory and what it would get...
    new = [t for t in pv.territories if t.name == "New territory"]
    assert len(new) == 1
    assert new[0].after["accounts"] == pv.accounts == 20
    # ... and nothing was written or changed (Esc just drops the edit).
    assert digest(grid) == before
    assert names(plan) == ["T1", "T2", "T3"]
    np.testing.assert_array_equal(plan.balance.totals, totals)
    assert Plan.load(Project.open(grid.location)).atoms.n_territories == 3


def test_draw_enter_then_undo_removes_the_territory_and_redo_brings_it_back(grid: Project) -> None:
    plan = Plan.load(grid)
    align = plan.alignment.copy()
    plan.apply(territories.draw(plan, shapely.box(-84.0, 33.0, -83.8, 33.2)))
    assert names(plan) == ["T1", "T2", "T3", "New territory"]
    tid = int(plan.atoms.territory_ids[3])
    assert plan.rows()[3]["accounts"] == 20
    plan.undo()
    assert names(plan) == ["T1", "T2", "T3"]
    np.testing.assert_array_equal(plan.alignment, align)
    assert names(Plan.load(Project.open(grid.location))) == ["T1", "T2", "T3"]
    plan.redo()
    assert int(plan.atoms.territory_ids[3]) == tid  # the same territory, not a copy
    assert_matches_reference(plan)
    assert_matches_reference(Plan.load(Project.open(grid.location)))


def test_split_preview_and_cancel_leave_no_empty_territory(grid: Project) -> None:
    plan = Plan.load(grid)
    before = digest(grid)
    outline = shapely.box(-84.0, 33.0, -83.8, 33.4)
    line = shapely.LineString([(-84.1, 33.1), (-83.7, 33.1)])
    plan.preview(territories.split(plan, 0, outline, line))
    assert digest(grid) == before
    applied = territories.split(plan, 0, outline, line)
    plan.apply(applied)
    assert names(plan)[-1] == "T1 (split)"
    assert_same_summary(plan, Plan.load(Project.open(grid.location)))


@pytest.mark.parametrize(
    ("build", "check"),
    [
        (lambda p: territories.rename(p, 0, "North"), lambda p: names(p)[0] == "North"),
        (lambda p: territories.recolour(p, 0, "#123456"),
         lambda p: p.atoms.territory_colours[0] == "#123456"),
        (lambda p: territories.set_locked(p, 0, True), lambda p: bool(p.atoms.territory_locked[0])),
        (lambda p: territories.assign_rep(p, 0, 3), lambda p: p.rows()[0]["rep"] == "Rep 3"),
    ],
)  # fmt: skip
def test_territory_edits_are_logged_and_undoable_after_reopening(grid, build, check) -> None:
    plan = Plan.load(grid)
    original = plan.rows()
    plan.apply(build(plan))
    assert check(plan)
    reopened = Plan.load(Project.open(grid.location))
    assert check(reopened)
    (entry,) = reopened.history()
    assert entry["state"] == "applied"
    assert "max_abs_deviation" in entry["effect"]  # figures survive the reopening
    reopened.undo()
    assert not check(reopened)
    assert_same_rows(reopened.rows(), original)
    assert not check(Plan.load(Project.open(grid.location)))


def test_a_new_rep_moves_the_travel_anchor_and_workload_follows(grid: Project) -> None:
    plan = Plan.load(grid)
    before = plan.rows()[0]["workload_hours"]
    plan.apply(territories.assign_rep(plan, 0, 3))  # Rep 3 lives at the east end
    assert plan.rows()[0]["workload_hours"] > before
    np.testing.assert_allclose(plan.balance.totals, plan.balance.recompute())
    assert_matches_reference(plan)


def test_territories_belong_to_their_scenario(grid: Project) -> None:
    create_scenario(grid, "What if")
    what_if = Plan.load(grid, "What if")
    what_if.apply(territories.rename(what_if, 0, "Ana's North"))
    what_if.apply(territories.assign_rep(what_if, 1, 1))
    what_if.apply(territories.draw(what_if, shapely.box(-84.0, 33.0, -83.8, 33.2)))
    base = Plan.load(grid)
    assert names(base) == ["T1", "T2", "T3"]
    assert base.rows()[1]["rep"] == "Rep 2"
    assert names(Plan.load(grid, "What if")) == ["Ana's North", "T2", "T3", "New territory"]
    # Two scenarios may use the same new name.
    base.apply(territories.create(base, "New territory"))


def test_delete_unassigns_its_units_and_undo_restores_everything(grid: Project) -> None:
    plan = Plan.load(grid)
    plan.apply(territories.recolour(plan, 1, "#abcdef"))
    rows = plan.rows()
    held = plan.alignment == 1
    plan.apply(territories.delete(plan, 1))
    assert names(plan) == ["T1", "T3"]
    assert plan.unassigned_accounts() > 0
    assert (plan.alignment[: plan.atoms.n_units][held[: plan.atoms.n_units]] == UNASSIGNED).all()
    assert_matches_reference(Plan.load(Project.open(grid.location)))
    plan.undo()
    assert_same_rows(plan.rows(), rows)  # name, colour, rep and every figure are back
    assert_same_rows(Plan.load(Project.open(grid.location)).rows(), rows)


def test_merge_moves_everything_and_removes_the_source(grid: Project) -> None:
    plan = Plan.load(grid)
    total = plan.rows()[0]["accounts"] + plan.rows()[1]["accounts"]
    plan.apply(territories.merge(plan, 0, 1))
    assert names(plan) == ["T2", "T3"]
    assert plan.rows()[0]["accounts"] == total
    with pytest.raises(PlannerError, match="itself"):
        territories.merge(plan, 0, 0)


def test_names_are_checked_before_anything_happens(grid: Project) -> None:
    plan = Plan.load(grid)
    with pytest.raises(PlannerError, match="already exists"):
        territories.rename(plan, 0, "T2")
    with pytest.raises(PlannerError, match="needs a name"):
        territories.rename(plan, 0, "   ")
    with pytest.raises(PlannerError, match="not a colour"):
        territories.recolour(plan, 0, "red;<script>")
    plan.apply(territories.set_locked(plan, 0, True))
    with pytest.raises(PlannerError, match="locked"):
        territories.delete(plan, 0)
    assert len(plan.history()) == 1


def test_a_stale_rename_is_refused(grid: Project) -> None:
    mine = Plan.load(grid)
    theirs = Plan.load(Project.open(grid.location))
    theirs.user = "colleague"
    theirs.apply(territories.rename(theirs, 0, "Theirs"))
    with pytest.raises(StaleScenario, match="colleague"):
        mine.apply(territories.rename(mine, 0, "Mine"))
    assert names(Plan.load(Project.open(grid.location)))[0] == "Theirs"
    assert names(mine)[0] == "T1"  # nothing of the refused edit in memory either


def test_history_says_what_a_small_edit_did_when_the_maximum_stays(grid: Project) -> None:
    plan = Plan.load(grid)
    plan.apply(moves.for_units(plan, np.array([0]), 1))
    text = effect_text(plan.history()[-1])
    assert text.startswith("paint 1 unit(s) to T2 · ")
    assert "%" in text


_STEP = st.sampled_from(["paint", "draw", "rename", "delete", "undo", "redo", "pin"])


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(st.tuples(_STEP, st.integers(0, 10_000)), min_size=1, max_size=12))
def test_any_sequence_of_edits_undo_and_redo_matches_a_fresh_load(
    tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[str, int]]
) -> None:
    path = Path(tmp_path_factory.mktemp("seq")) / "g.tplan"
    project = grid_project(path, pins=2)
    plan = Plan.load(project)
    try:
        for kind, n in steps:
            _step(plan, kind, n)
            np.testing.assert_allclose(plan.balance.totals, plan.balance.recompute(), atol=1e-6)
        fresh = Plan.load(Project.open(path))
        assert names(fresh) == names(plan)
        np.testing.assert_array_equal(fresh.alignment, plan.alignment)
        assert_same_summary(fresh, plan)
        assert_matches_reference(fresh)
        # Disruption is kept current per edit; a fresh load computes it from every account.
        assert plan.disruption() == pytest.approx(fresh.disruption())
        np.testing.assert_allclose(plan.territory_disruption(), fresh.territory_disruption())
        assert plan.unassigned_accounts() == fresh.unassigned_accounts()
        assert plan.unassigned_accounts() == int((plan.account_territories() < 0).sum())
    finally:
        project.close()


def _step(plan: Plan, kind: str, n: int) -> None:
    a = plan.atoms
    k = a.n_territories
    try:
        if kind == "paint" and k:
            plan.apply(
                moves.for_units(plan, np.array([n % a.n_units, (n // 7) % a.n_units]), n % k)
            )
        elif kind == "draw":
            x, y = -84.0 + (n % 6) * 0.1, 33.0 + (n % 4) * 0.1
            plan.apply(territories.draw(plan, shapely.box(x, y, x + 0.15, y + 0.15)))
        elif kind == "rename" and k:
            plan.apply(territories.rename(plan, n % k, f"R{n}"))
        elif kind == "delete" and k:
            plan.apply(territories.delete(plan, n % k))
        elif kind == "pin" and k:
            plan.apply(moves.for_pin(plan, n % a.n_accounts, n % k))
        elif kind == "undo":
            plan.undo()
        elif kind == "redo":
            plan.redo()
    except PlannerError:
        pass  # refused edits (a duplicate name, nothing to move) change nothing


def test_after_deleting_every_territory_a_new_one_can_be_drawn(grid: Project) -> None:
    plan = Plan.load(grid)
    for _ in range(3):
        plan.apply(territories.delete(plan, 0))
    assert plan.atoms.n_territories == 0
    plan.apply(territories.draw(plan, shapely.box(-84.0, 33.0, -83.8, 33.2)))
    assert names(plan) == ["New territory"]
    assert_matches_reference(Plan.load(Project.open(grid.location)))


def test_recolour_for_contrast_changes_only_clashing_neighbours_and_undoes(grid: Project) -> None:
    from planner.model._cielab import delta_e2000
    from planner.model.atoms import load_unit_geometries
    from planner.model.colours import perceived_lab
    from planner.model.geo import adjacency

    def delta_e(x: str, y: str) -> float:
        return float(delta_e2000(perceived_lab([x]), perceived_lab([y]))[0])

    plan = Plan.load(grid)
    plan.apply(territories.recolour(plan, 1, str(plan.atoms.territory_colours[0])))  # T2 = T1
    graph, links = adjacency(load_unit_geometries(grid))
    edit = territories.recolour_for_contrast(plan, graph, links)
    assert len(edit.updates) == 1  # one of the two neighbours changes, T3 keeps its colour
    plan.apply(edit)
    c = [str(x) for x in plan.atoms.territory_colours]
    assert delta_e(c[0], c[1]) >= 25
    assert delta_e(c[1], c[2]) >= 25
    assert territories.recolour_for_contrast(plan, graph, links).is_empty()
    plan.undo()
    assert plan.atoms.territory_colours[0] == plan.atoms.territory_colours[1]
