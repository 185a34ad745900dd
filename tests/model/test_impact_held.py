"""Free-form impact from the open plan's in-memory alignments (issue 14) equals the impact read
from the project: any lassos, in the scenario and in the baseline, whichever side is held."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.model import moves
from planner.model.atoms import UNASSIGNED
from planner.model.impact import Impact, held_by, impact
from planner.model.plan import Plan
from planner.model.scenarios import create_scenario
from planner.model.store import Project
from planner.model.synthetic import grid_project

TERRITORIES = 4
_names = itertools.count()

#: A lasso (a box inside the grid's extent) and where it sends the accounts (-1: unassign).
lasso = st.tuples(
    st.floats(-84.0, -83.45),
    st.floats(33.0, 33.35),
    st.floats(0.02, 0.3),
    st.floats(0.02, 0.3),
    st.integers(UNASSIGNED, TERRITORIES - 1),
)


@pytest.fixture(scope="module")
def free(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    path = Path(tmp_path_factory.mktemp("free")) / "free.tplan"
    project = grid_project(path, free_form=True, seed=3, territories=TERRITORIES)
    yield project
    project.close()


def _draw(plan: Plan, lassos: list[tuple[float, float, float, float, int]]) -> None:
    for x, y, w, h, to in lassos:
        plan.apply(moves.for_polygon(plan, shapely.box(x, y, x + w, y + h), to))


def _same(fast: Impact, slow: Impact) -> None:
    assert fast.summary == slow.summary
    np.testing.assert_array_equal(fast.moved_account_index, slow.moved_account_index)
    for name in ("moved", "territories", "reps"):
        pd.testing.assert_frame_equal(getattr(fast, name), getattr(slow, name))


@given(st.lists(lasso, max_size=4), st.lists(lasso, max_size=2))
@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_held_alignments_give_the_impact_read_from_the_project(
    free: Project,
    in_scenario: list[tuple[float, float, float, float, int]],
    in_baseline: list[tuple[float, float, float, float, int]],
) -> None:
    baseline = Plan.load(free)
    _draw(baseline, in_baseline)
    sid = create_scenario(free, f"S{next(_names)}")
    plan = Plan.load(free, sid, atoms=baseline.atoms)
    _draw(plan, in_scenario)
    slow = impact(free, sid)
    # The window's path: the open scenario and its baseline both held in memory ...
    _same(impact(free, sid, atoms=plan.atoms, held=held_by(plan)), slow)
    # ... or only the baseline (publishing another scenario while the baseline is open).
    _same(impact(free, sid, atoms=baseline.atoms, held=held_by(baseline)), slow)


def test_held_by_names_the_scenario_and_its_baseline(free: Project) -> None:
    sid = create_scenario(free, "Held")
    plan = Plan.load(free, sid)
    held = held_by(plan)
    assert set(held) == {sid, free.baseline_id()}
    assert len(held[sid]) == plan.atoms.n_accounts
    assert set(held_by(Plan.load(free))) == {free.baseline_id()}
