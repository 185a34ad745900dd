"""Auto-balance: contiguous results, locks and budgets respected, tolerance met when possible."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import shapely
from numpy.typing import NDArray
from scipy import sparse
from sqlalchemy import select

from planner.model.errors import PlannerError
from planner.model.geo import adjacency
from planner.model.measures import disruption, pieces
from planner.model.optimize import (
    OptimizeInputs,
    OptimizeOptions,
    Search,
    optimize,
)
from planner.model.optimize.moves import move_round
from planner.model.optimize.project import save_as_scenario
from planner.model.optimize.reallocate import reallocate_round
from planner.model.optimize.recombine import recombine_round
from planner.model.optimize.relabel import relabel
from planner.model.optimize.swaps import swap_round
from planner.model.optimize.triples import triple_round
from planner.model.plan import Plan
from planner.model.progress import run_to_end
from planner.model.schema import EditLog, Scenario, Territory

NX, NY = 12, 6


def _grid_inputs(start_widths: tuple[int, ...], **kw: object) -> OptimizeInputs:
    """A 12x6 grid of real square polygons. Every column holds the same values, so equal-width
    vertical stripes balance both metrics exactly: a balanced contiguous plan exists."""
    boxes = [shapely.box(i, j, i + 1, j + 1) for i in range(NX) for j in range(NY)]
    graph, _ = adjacency(np.array(boxes, dtype=object))
    col = np.repeat(np.arange(NX), NY)
    row = np.tile(np.arange(NY), NX)
    base = np.column_stack([10.0 + 3 * row, 20.0 - 2 * row]).astype(float)
    edges = np.cumsum(start_widths)
    start = np.searchsorted(edges, col, side="right").astype(np.int32)
    k = len(start_widths)
    args = {
        "graph": graph,
        "lon": -84 + col * 0.1,
        "lat": 33 + row * 0.1,
        "base": base,
        "per_minute": np.zeros_like(base),
        "metrics": ("potential", "workload_hours"),
        "start": start,
        "anchor_lon": np.full(k, np.nan),
        "anchor_lat": np.full(k, np.nan),
        "target_weights": np.ones(k),
        "cost": np.full(NX * NY, 1.0 / (NX * NY)),
    }
    args.update(kw)
    return OptimizeInputs(**args)  # type: ignore[arg-type]


def _max_dev(inp: OptimizeInputs, labels: np.ndarray, k: int) -> float:
    tot = np.column_stack(
        [np.bincount(labels, weights=inp.base[:, j], minlength=k) for j in (0, 1)]
    )
    return float(np.abs(tot / tot.mean(axis=0) - 1).max())


def _run(inp: OptimizeInputs, **opts: object):
    options = OptimizeOptions(time_limit=20, **opts)  # type: ignore[arg-type]
    return run_to_end(optimize(inp, options))


def test_unbalanced_start_reaches_tolerance_and_stays_contiguous() -> None:
    inp = _grid_inputs((2, 3, 7))
    assert _max_dev(inp, inp.start, 3) > 0.4
    result = _run(inp, tolerance=0.05)
    assert _max_dev(inp, result.unit_alignment, 3) <= 0.05
    assert (pieces(inp.graph, result.unit_alignment) == 1).all()
    assert result.score_after < result.score_before
    for u in result.moved_units:  # every moved unit says why
        why = result.reasons[int(u)]
        assert why.to_territory == result.unit_alignment[u]
        assert why.score_gain >= 0


def test_from_scratch_builds_k_contiguous_balanced_territories() -> None:
    inp = _grid_inputs((12,), target_weights=np.ones(1))
    result = _run(inp, tolerance=0.05, from_scratch=4, seed=3)
    labels = result.unit_alignment
    assert sorted(np.unique(labels)) == [0, 1, 2, 3]
    assert (pieces(inp.graph, labels) == 1).all()
    assert _max_dev(inp, labels, 4) <= 0.05


def test_locked_units_and_territories_never_move() -> None:
    frozen = np.zeros(NX * NY, dtype=bool)
    frozen[[13, 14, 60]] = True  # inside the heavy stripe and the light one
    locked = np.array([False, True, False])
    inp = _grid_inputs((2, 3, 7), frozen=frozen, locked_territories=locked)
    result = _run(inp)
    labels = result.unit_alignment
    np.testing.assert_array_equal(labels[frozen], inp.start[frozen])
    np.testing.assert_array_equal(labels == 1, inp.start == 1)  # locked stripe as it was
    assert (pieces(inp.graph, labels) == 1).all()


@pytest.mark.parametrize("budget", [0.0, 0.05, 0.15])
def test_disruption_budget_is_never_exceeded(budget: float) -> None:
    inp = _grid_inputs((2, 3, 7))
    result = _run(inp, max_disruption=budget)
    moved = disruption(result.unit_alignment, inp.start, {"accounts": inp.cost})["accounts"]
    assert moved <= budget + 1e-9
    assert (pieces(inp.graph, result.unit_alignment) == 1).all()
    if budget > 0:  # the budget is spent on balance: the worst territory gets better
        assert _max_dev(inp, result.unit_alignment, 3) < _max_dev(inp, inp.start, 3) - 0.05


def test_closing_after_one_step_keeps_a_valid_alignment() -> None:
    inp = _grid_inputs((2, 3, 7))
    gen = optimize(inp, OptimizeOptions())
    first = next(gen)
    gen.close()
    assert first.snapshot is not None
    result = first.snapshot()
    assert result.cancelled
    assert (result.unit_alignment >= 0).all()
    assert (pieces(inp.graph, result.unit_alignment) == 1).all()


def test_cancel_flag_returns_the_best_so_far() -> None:
    inp = _grid_inputs((2, 3, 7))
    stop = threading.Event()
    gen = optimize(inp, OptimizeOptions(cancel=stop))
    next(gen)
    stop.set()
    result = run_to_end(gen)
    assert result.cancelled
    assert (pieces(inp.graph, result.unit_alignment) == 1).all()


def test_same_seed_same_result() -> None:
    inp = _grid_inputs((12,), target_weights=np.ones(1))
    a = _run(inp, from_scratch=3, seed=7).unit_alignment
    b = _run(inp, from_scratch=3, seed=7).unit_alignment
    np.testing.assert_array_equal(a, b)


def test_from_scratch_refuses_a_disruption_budget() -> None:
    inp = _grid_inputs((6, 6))
    with pytest.raises(PlannerError, match="from scratch"):
        _run(inp, from_scratch=2, max_disruption=0.1)


def test_project_result_is_saved_as_one_undoable_scenario_step(grid) -> None:
    plan = Plan.load(grid)
    pinned = plan.alignment[plan.atoms.n_units :].copy()
    result = run_to_end(optimize(plan, OptimizeOptions(tolerance=0.05, time_limit=10)))
    assert (result.unit_alignment >= 0).all()
    saved = save_as_scenario(grid, result, "Auto-balanced")
    np.testing.assert_array_equal(saved.alignment[: plan.atoms.n_units], result.unit_alignment)
    np.testing.assert_array_equal(saved.alignment[plan.atoms.n_units :], pinned)
    reopened = Plan.load(grid, "Auto-balanced")
    np.testing.assert_array_equal(reopened.alignment, saved.alignment)
    assert Plan.load(grid).alignment.tolist() == plan.alignment.tolist()  # baseline untouched
    with grid.session() as s:
        sid = s.scalar(select(Scenario.id).where(Scenario.name == "Auto-balanced"))
        kinds = s.scalars(select(EditLog.kind).where(EditLog.scenario_id == sid)).all()
    assert kinds == ["optimize"]
    before, after = plan.summary()["max_abs_deviation"], saved.summary()["max_abs_deviation"]
    assert (
        after["potential"] + after["workload_hours"]
        < before["potential"] + before["workload_hours"]
    )


def _bricks(**opts: object) -> tuple[OptimizeInputs, Search]:
    """4x3 grid with heavy bricks (6) among light units (1), split into two halves, after
    single moves and swaps have done all they can (max deviation still 12.5%)."""
    nx, ny = 4, 3
    boxes = [shapely.box(i, j, i + 1, j + 1) for i in range(nx) for j in range(ny)]
    graph, _ = adjacency(np.array(boxes, dtype=object))
    col = np.repeat(np.arange(nx), ny)
    v = np.array([[6, 1, 1, 6], [1, 1, 1, 6], [1, 1, 1, 6]], dtype=float).T.ravel()
    base = np.column_stack([v, v])
    inp = OptimizeInputs(
        graph=graph, lon=col * 0.1, lat=np.zeros(nx * ny), base=base,
        per_minute=np.zeros_like(base), metrics=("potential", "workload_hours"),
        start=(col >= 2).astype(np.int32), anchor_lon=np.full(2, np.nan),
        anchor_lat=np.full(2, np.nan), target_weights=np.ones(2),
        cost=np.full(nx * ny, 1 / (nx * ny)), **opts,
    )  # fmt: skip
    s = Search(inp, OptimizeOptions(tolerance=0.02), 2)
    while move_round(s) or swap_round(s):
        pass
    return inp, s


def test_recombination_balances_where_single_moves_and_swaps_stall() -> None:
    inp, s = _bricks()
    assert move_round(s) == 0
    assert swap_round(s) == 0
    before = s.score()
    dev_before = np.abs(s.totals[:, 0] / s.target[:, 0] - 1).max()
    assert recombine_round(s) == 1
    assert s.score() < before
    assert np.abs(s.totals[:, 0] / s.target[:, 0] - 1).max() < dev_before
    assert (pieces(inp.graph, s.assign) == 1).all()
    # The incremental totals equal a recount of the new alignment.
    for j in (0, 1):
        np.testing.assert_allclose(s.totals[:, j], np.bincount(s.assign, weights=inp.base[:, j]))


def test_recombination_keeps_frozen_units_and_the_budget() -> None:
    inp, s = _bricks()
    recombine_round(s)
    assert (s.assign[[0, 3]] != inp.start[[0, 3]]).any()  # unfrozen, the corner moves
    frozen = np.zeros(12, dtype=bool)
    frozen[[0, 3]] = True
    inp, s = _bricks(frozen=frozen)
    recombine_round(s)
    np.testing.assert_array_equal(s.assign[frozen], inp.start[frozen])
    inp, s = _bricks()
    s.budget = s.used + 1 / 12  # room for one more unit to change hands
    recombine_round(s)
    assert disruption(s.assign, inp.start, {"accounts": inp.cost})["accounts"] <= s.budget + 1e-12


def test_budget_spent_on_swaps_is_moved_to_a_balancing_move() -> None:
    """Two stripes 5 | 7 columns wide; the budget (4 units) went on two same-row swaps across
    the border, which changed nothing. Reallocation sends swapped units home and spends the
    refund on moving units of the big stripe into the small one."""
    inp = _grid_inputs((5, 7))
    s = Search(inp, OptimizeOptions(tolerance=0.02, max_disruption=4 / (NX * NY)), 2)
    for row in (0, NY - 1):  # column 4 (stripe 0) and column 5 (stripe 1) trade one unit
        left, right = 4 * NY + row, 5 * NY + row
        s.move(right, 1, 0, 0.0, float(inp.cost[right]))
        s.move(left, 0, 1, 0.0, float(inp.cost[left]))
    assert s.used == pytest.approx(s.budget)
    dev_before = _max_dev(inp, s.assign, 2)
    score = s.score()

    assert reallocate_round(s) >= 1

    assert s.score() < score
    assert _max_dev(inp, s.assign, 2) < dev_before - 0.02
    assert disruption(s.assign, inp.start, {"accounts": inp.cost})["accounts"] <= s.budget + 1e-12
    assert (s.assign != inp.start).sum() <= 4
    assert (pieces(inp.graph, s.assign) == 1).all()
    for j in (0, 1):  # the incremental totals equal a recount
        np.testing.assert_allclose(s.totals[:, j], np.bincount(s.assign, weights=inp.base[:, j]))


def test_reallocation_needs_a_budget() -> None:
    _, s = _bricks()
    assert reallocate_round(s) == 0


def test_a_unit_above_its_share_stays_alone() -> None:
    """The corner unit is 1.7 shares and a territory on its own; its neighbour stripe is two
    columns over its share. Giving units to the corner territory looked free while its
    target was its own total (until the next refresh re-targets it), so they must go to the
    other stripe instead: the corner territory stays one unit."""
    inp = _grid_inputs((8, 4))
    base = inp.base.copy()
    base[0] = 1.7 * base.sum(axis=0) / 3
    start = inp.start + 1
    start[0] = 0
    inp = _grid_inputs(
        (8, 4), base=base, start=start, anchor_lon=np.full(3, np.nan),
        anchor_lat=np.full(3, np.nan), target_weights=np.ones(3),
    )  # fmt: skip
    s = Search(inp, OptimizeOptions(tolerance=0.05), 3)
    while move_round(s):  # between two refreshes (a refresh re-targets a grown territory)
        assert (s.assign == 0).sum() == 1
    labels = _run(inp, tolerance=0.05).unit_alignment
    assert (labels == 0).sum() == 1
    rest = np.bincount(labels, weights=inp.base[:, 0], minlength=3)[1:]
    assert abs(rest[0] / rest.mean() - 1) <= 0.05  # the two stripes balance each other
    assert (pieces(inp.graph, labels) == 1).all()


def test_from_scratch_with_more_territories_adds_coloured_ones(grid) -> None:
    plan = Plan.load(grid)
    k = plan.atoms.n_territories + 2
    result = run_to_end(optimize(plan, OptimizeOptions(from_scratch=k, time_limit=5)))
    saved = save_as_scenario(grid, result, "Five")
    assert saved.atoms.n_territories == k
    with grid.session() as s:
        rows = s.execute(
            select(Territory.name, Territory.colour).where(Territory.name.like("Auto %"))
        ).all()
    added = {str(n): str(c) for n, c in rows}
    assert sorted(added) == [f"Auto {plan.atoms.n_territories + i}" for i in (1, 2)]
    colours = set(added.values())
    assert len(colours) == 2
    assert not colours & set(plan.atoms.territory_colours.tolist())  # told apart on the map
    # The new territories belong to the new scenario only; the baseline is untouched.
    assert Plan.load(grid).atoms.n_territories == plan.atoms.n_territories


def _three(**opts: object) -> Search:
    """4x3 grid (values total 27, 9 a territory) in three territories, after single moves,
    swaps and pair recombination have done all they can (found by a random search)."""
    nx, ny = 4, 3
    boxes = [shapely.box(i, j, i + 1, j + 1) for i in range(nx) for j in range(ny)]
    graph, _ = adjacency(np.array(boxes, dtype=object))
    v = np.array([1, 2, 5, 1, 2, 1, 1, 2, 5, 5, 1, 1], dtype=float)
    base = np.column_stack([v, v])
    budget = opts.pop("max_disruption", None)
    cancel = opts.pop("cancel", None)
    inp = OptimizeInputs(
        graph=graph, lon=np.repeat(np.arange(nx), ny) * 0.1, lat=np.tile(np.arange(ny), nx) * 0.1,
        base=base, per_minute=np.zeros_like(base), metrics=("potential", "workload_hours"),
        start=np.array([0, 0, 0, 1, 1, 1, 2, 1, 2, 2, 2, 1], dtype=np.int32),
        anchor_lon=np.full(3, np.nan), anchor_lat=np.full(3, np.nan), target_weights=np.ones(3),
        cost=np.full(nx * ny, 1 / (nx * ny)), **opts,
    )  # fmt: skip
    options = OptimizeOptions(
        tolerance=0.02,
        compactness=0.0,
        max_disruption=budget,
        cancel=cancel,  # type: ignore[arg-type]
    )
    s = Search(inp, options, 3)
    while move_round(s) or swap_round(s) or recombine_round(s, trees=40):
        pass
    return s


def test_three_territories_recut_together_where_pairs_cannot_help() -> None:
    s = _three()
    before = s.score()
    assert before > 1.0  # someone is far off
    assert recombine_round(s, trees=200) == 0  # no pair of territories can do better
    assert triple_round(s) == 1
    np.testing.assert_allclose(s.totals[:, 0], [9, 9, 9])
    assert pieces(s.inp.graph, s.assign).tolist() == [1, 1, 1]


def _grow(graph: sparse.csr_matrix, k: int, rng: np.random.Generator) -> NDArray[np.int32]:
    """A random contiguous plan: k seeds, then a random neighbour joins a random territory."""
    labels = np.full(graph.shape[0], -1, dtype=np.int32)
    labels[rng.choice(graph.shape[0], k, replace=False)] = np.arange(k)
    while (labels < 0).any():
        u = int(rng.choice(np.flatnonzero(labels < 0)))
        nb = labels[graph.indices[graph.indptr[u] : graph.indptr[u + 1]]]
        if (nb >= 0).any():
            labels[u] = int(rng.choice(nb[nb >= 0]))
    return labels


def test_three_way_recuts_keep_frozen_units_the_budget_and_contiguity() -> None:
    nx, ny = 5, 4
    boxes = [shapely.box(i, j, i + 1, j + 1) for i in range(nx) for j in range(ny)]
    graph, _ = adjacency(np.array(boxes, dtype=object))
    rng = np.random.default_rng(1)
    applied = 0
    for _ in range(40):
        start = _grow(graph, 3, rng)
        v = rng.choice([1.0, 1.0, 2.0, 3.0, 8.0], size=nx * ny)
        frozen = rng.random(nx * ny) < 0.2
        budget = float(rng.choice([0.1, 0.2]))
        inp = OptimizeInputs(
            graph=graph, lon=np.zeros(nx * ny), lat=np.zeros(nx * ny),
            base=np.column_stack([v, v]), per_minute=np.zeros((nx * ny, 2)),
            metrics=("potential", "workload_hours"), start=start, anchor_lon=np.full(3, np.nan),
            anchor_lat=np.full(3, np.nan), target_weights=np.ones(3),
            cost=np.full(nx * ny, 1 / (nx * ny)), frozen=frozen,
        )  # fmt: skip
        s = Search(inp, OptimizeOptions(tolerance=0.02, max_disruption=budget, seed=2), 3)
        before = s.score()
        if triple_round(s, trees=12) == 0:
            continue
        applied += 1
        assert s.score() < before
        assert (s.assign[frozen] == start[frozen]).all()
        assert s.cost[s.assign != start].sum() <= budget + 1e-12
        assert (pieces(graph, s.assign) == 1).all()
    assert applied >= 5  # the checks above did run


def test_from_scratch_with_fewer_territories_than_the_plan() -> None:
    result = _run(_grid_inputs((3, 3, 3, 3)), from_scratch=2, tolerance=0.05)
    assert set(result.unit_alignment.tolist()) == {0, 1}
    assert pieces(_grid_inputs((12,)).graph, result.unit_alignment).tolist() == [1, 1]
    locked = np.array([False, False, False, True])
    with pytest.raises(PlannerError, match="cannot build 2 territories"):
        _run(_grid_inputs((3, 3, 3, 3), locked_territories=locked), from_scratch=2)


def test_cancel_stops_recombination_between_pairs_and_triples() -> None:
    stop = threading.Event()
    s = _three(cancel=stop)
    stop.set()  # Cancel pressed while the search is in a recombination round
    before = s.assign.copy()
    assert triple_round(s) == 0  # would re-cut the three (see the test above)
    assert recombine_round(s, trees=200) == 0
    assert (s.assign == before).all()


def test_relabelling_gives_each_rep_the_territory_around_their_home() -> None:
    per_minute = np.column_stack([np.zeros(NX * NY), np.full(NX * NY, 0.2)])  # travel counts
    # Rep 0 lives at the east edge, rep 1 at the west edge: the stripes are the wrong way round.
    inp = _grid_inputs(
        (6, 6), per_minute=per_minute, anchor_lon=np.array([-82.9, -84.0]),
        anchor_lat=np.array([33.25, 33.25]),
    )  # fmt: skip
    s = Search(inp, OptimizeOptions(from_scratch=2), 2)
    s.assign[:] = inp.start
    s.refresh()
    before = s.totals[:, 1].copy()
    assert relabel(s)
    east = np.repeat(np.arange(NX), NY) >= 6
    assert (s.assign[east] == 0).all()
    assert (s.assign[~east] == 1).all()
    assert (s.totals[:, 1] < before).all()  # both reps drive less
    assert not relabel(s)  # already the best owners


def test_a_big_unit_alone_goes_to_its_nearest_rep() -> None:
    base = np.column_stack([np.ones(NX * NY), np.ones(NX * NY)])
    base[0] = [80.0, 80.0]  # the south-west corner unit is 1.6 shares: a territory of its own
    per_minute = np.zeros_like(base)
    per_minute[0, 1] = 0.1  # and its visits are driven from its rep's home
    start = np.where(np.arange(NX * NY) < NX * NY // 2, 1, 2).astype(np.int32)
    start[0] = 0  # held by the rep at the east edge
    inp = _grid_inputs(
        (4, 4, 4), base=base, per_minute=per_minute, start=start,
        anchor_lon=np.array([-82.9, -83.5, -84.0]), anchor_lat=np.full(3, 33.0),
    )  # fmt: skip
    s = Search(inp, OptimizeOptions(from_scratch=3), 3)
    s.assign[:] = start
    s.refresh()
    assert s.solo[0]
    far = s.totals[0, 1]
    assert relabel(s)
    assert s.assign[0] == 2  # the rep at the west edge, next to it
    assert (s.assign == 2).sum() == 1
    assert s.totals[2, 1] < far  # less driving for the same visits
