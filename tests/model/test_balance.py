"""Balance engine: delta path == full recompute == independent pandas reference."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.model import moves
from planner.model.atoms import FOLLOW
from planner.model.balance import Balance, deviations, gini, summary
from planner.model.plan import Plan
from planner.model.synthetic import grid_project
from tests.model.reference import reference_balance

METRICS = ["accounts", "potential", "revenue", "pipeline", "workload_hours"]


def assert_matches_reference(plan: Plan) -> None:
    ref = reference_balance(plan.project, plan.scenario_id)
    rows = {r["name"]: r for r in plan.rows()}
    for name, expected in ref.iterrows():
        for m in METRICS:
            assert rows[name][m] == pytest.approx(expected[m], rel=1e-9, abs=1e-6), (name, m)


def test_loaded_totals_match_pandas_reference(grid) -> None:
    assert_matches_reference(Plan.load(grid))


def test_free_form_project_matches_reference(tmp_path: Path) -> None:
    project = grid_project(tmp_path / "ff.tplan", free_form=True)
    plan = Plan.load(project)
    assert plan.atoms.free_form
    assert_matches_reference(plan)


def test_territory_without_rep_uses_centre_of_its_accounts(tmp_path: Path) -> None:
    project = grid_project(tmp_path / "norep.tplan", with_reps=False)
    plan = Plan.load(project)
    assert all(w > 0 for w in plan.metrics()["workload_hours"])
    assert_matches_reference(plan)


def test_gini_and_deviation_basics() -> None:
    assert gini(np.array([5.0, 5.0, 5.0])) == pytest.approx(0.0)
    assert gini(np.array([0.0, 0.0, 9.0])) == pytest.approx(2 / 3)
    dev = deviations(np.array([50.0, 150.0]), np.array([1.0, 1.0]))
    np.testing.assert_allclose(dev, [-0.5, 0.5])
    weighted = deviations(np.array([100.0, 200.0]), np.array([1.0, 2.0]))
    np.testing.assert_allclose(weighted, [0.0, 0.0])


# One step of a random edit session: ("units", [unit indices], territory) or ("pin", account,
# territory or FOLLOW).
step = st.one_of(
    st.tuples(st.just("units"), st.lists(st.integers(0, 23), min_size=1, max_size=6),
              st.integers(-1, 2)),
    st.tuples(st.just("pin"), st.integers(0, 119), st.sampled_from([FOLLOW, 0, 1, 2])),
)  # fmt: skip


@pytest.fixture(scope="module")
def shared_grid(tmp_path_factory: pytest.TempPathFactory):
    project = grid_project(tmp_path_factory.mktemp("h") / "h.tplan", pins=4)
    yield project
    project.close()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(step, min_size=1, max_size=12))
def test_delta_updates_equal_full_recompute(shared_grid, steps) -> None:
    plan = Plan.load(shared_grid)
    bal = plan.balance
    start = bal.totals.copy()
    applied = []
    for kind, what, to in steps:
        if kind == "units":
            ms = moves.build(plan, np.array(what), to, "paint", "")
        else:
            ms = moves.build(plan, np.array([plan.atoms.n_units + what]), to, "pin", "")
        bal.apply(ms.atoms, ms.after)  # memory only: the property is about the arithmetic
        applied.append(ms)
        np.testing.assert_allclose(bal.totals, bal.recompute(), rtol=1e-9, atol=1e-6)
        fresh = Balance(plan.atoms, plan.alignment.copy())
        np.testing.assert_allclose(bal.unit_matrix, fresh.unit_matrix, rtol=1e-9, atol=1e-6)
    for ms in reversed(applied):
        bal.apply(ms.atoms, ms.before)
    np.testing.assert_allclose(bal.totals, start, rtol=1e-9, atol=1e-6)


def test_pinned_account_stays_when_its_unit_moves(grid) -> None:
    plan = Plan.load(grid)
    n_u = plan.atoms.n_units
    acc = 0
    unit = int(plan.atoms.account_unit[acc])
    home = int(plan.alignment[unit])
    other = (home + 1) % plan.atoms.n_territories
    plan.apply(moves.for_pin(plan, acc, home))
    plan.apply(moves.for_units(plan, np.array([unit]), other))
    assert plan.account_territories()[acc] == home
    assert plan.alignment[n_u + acc] == home
    assert_matches_reference(plan)
    plan.apply(moves.for_pin(plan, acc, FOLLOW))
    assert plan.account_territories()[acc] == other
    assert_matches_reference(plan)


def test_summary_reports_every_metric(grid) -> None:
    plan = Plan.load(grid)
    s = summary(plan.balance.totals, plan.atoms.territory_weights)
    assert set(s) == {"max_abs_deviation", "mean_abs_deviation", "gini"}
    for part in s.values():
        assert set(part) == set(METRICS)


def test_accounts_of_units_is_the_same_as_a_full_scan(grid) -> None:
    from planner.model.atoms import load_atoms

    a = load_atoms(grid)
    for units in ([0], [3, 7, 23], [], list(range(a.n_units))):
        expected = np.flatnonzero(np.isin(a.account_unit, units))
        np.testing.assert_array_equal(np.sort(a.accounts_of_units(np.array(units))), expected)
