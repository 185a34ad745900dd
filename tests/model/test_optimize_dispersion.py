"""Dispersion objective and anytime search: tolerances per metric, budgets used, Cancel."""

from __future__ import annotations

import itertools
import threading
import time

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy import sparse
from scipy.spatial import Delaunay

from planner.model.measures import pieces
from planner.model.optimize import OptimizeInputs, OptimizeOptions, optimize
from planner.model.optimize.dispersion import dispersion_of
from planner.model.progress import run_to_end

METRICS = ("w1", "w2", "w3")


def _instance(n: int, k: int, seed: int) -> OptimizeInputs:
    """A CTDP-like instance: random points, their Delaunay graph, three activities."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 1000, (n, 2))
    tri = Delaunay(xy).simplices
    pairs = np.vstack([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [0, 2]]])
    g = sparse.coo_matrix((np.ones(2 * len(pairs)), (np.r_[pairs[:, 0], pairs[:, 1]],
                                                     np.r_[pairs[:, 1], pairs[:, 0]])),
                          shape=(n, n)).tocsr()  # fmt: skip
    g.data[:] = 1
    w = np.column_stack([rng.integers(800, 900, n), rng.integers(2000, 3000, n),
                         rng.integers(2500, 3000, n)]).astype(float)  # fmt: skip
    return OptimizeInputs(
        graph=g, lon=xy[:, 0], lat=xy[:, 1], base=w, per_minute=np.zeros_like(w),
        metrics=METRICS, start=np.zeros(n, dtype=np.int32), anchor_lon=np.full(k, np.nan),
        anchor_lat=np.full(k, np.nan), target_weights=np.ones(k), xy=xy,
    )  # fmt: skip


def _opts(k: int, **kw: object) -> OptimizeOptions:
    args: dict[str, object] = {"metrics": dict.fromkeys(METRICS, 1.0), "from_scratch": k,
                               "time_limit": 3.0, "objective": "dispersion"}  # fmt: skip
    args.update(kw)
    return OptimizeOptions(**args)  # type: ignore[arg-type]


def _max_dev(inp: OptimizeInputs, labels: NDArray[np.int32], k: int) -> NDArray[np.float64]:
    tot = np.stack([inp.base[labels == t].sum(axis=0) for t in range(k)])
    return np.abs(tot / tot.mean(axis=0) - 1).max(axis=0)


@pytest.mark.parametrize("objective", ["dispersion", "cut_edges"])
def test_each_metric_is_held_to_its_own_tolerance(objective: str) -> None:
    inp, k = _instance(90, 5, seed=1), 5
    tols = {"w1": 0.02, "w2": 0.08, "w3": 0.04}
    res = run_to_end(optimize(inp, _opts(k, tolerances=tols, tolerance=0.5,
                                         objective=objective)))  # fmt: skip
    dev = _max_dev(inp, res.unit_alignment, k)
    assert (dev <= np.array(list(tols.values())) + 1e-12).all(), dev
    assert dev[0] > 0.0
    assert (pieces(inp.graph, res.unit_alignment) == 1).all()


def test_dispersion_objective_gives_tighter_territories_than_cut_edges() -> None:
    inp, k = _instance(100, 6, seed=2), 6
    by_cut = run_to_end(optimize(inp, _opts(k, objective="cut_edges")))
    by_disp = run_to_end(optimize(inp, _opts(k)))
    d_cut = dispersion_of(inp.xy, by_cut.unit_alignment)[0]  # type: ignore[arg-type]
    d_disp = dispersion_of(inp.xy, by_disp.unit_alignment)[0]  # type: ignore[arg-type]
    assert d_disp < 0.97 * d_cut
    assert (_max_dev(inp, by_disp.unit_alignment, k) <= 0.05 + 1e-12).all()
    assert (pieces(inp.graph, by_disp.unit_alignment) == 1).all()


def test_search_uses_its_budget_and_cancel_returns_the_best_so_far() -> None:
    inp, k = _instance(80, 4, seed=3), 4
    t0 = time.perf_counter()
    full = run_to_end(optimize(inp, _opts(k, time_limit=2.5)))
    assert time.perf_counter() - t0 >= 2.4  # keeps improving until the limit
    cancel = threading.Event()
    threading.Timer(0.8, cancel.set).start()
    t0 = time.perf_counter()
    early = run_to_end(optimize(inp, _opts(k, time_limit=60, cancel=cancel)))
    assert time.perf_counter() - t0 < 5
    assert early.cancelled
    assert (_max_dev(inp, early.unit_alignment, k) <= 0.05 + 1e-12).all()
    assert (pieces(inp.graph, early.unit_alignment) == 1).all()
    assert dispersion_of(inp.xy, full.unit_alignment)[0] <= (  # type: ignore[arg-type]
        dispersion_of(inp.xy, early.unit_alignment)[0] + 1e-9  # type: ignore[arg-type]
    )


def test_progress_reports_the_best_dispersion_over_time() -> None:
    inp, k = _instance(60, 4, seed=4), 4
    gen = optimize(inp, _opts(k, time_limit=3))
    seen = [p.objective for p in gen if p.objective is not None]
    assert len(seen) >= 2
    assert all(b <= a + 1e-9 for a, b in itertools.pairwise(seen))


def test_closing_the_search_keeps_the_best_dispersion_it_reported() -> None:
    """The window's Cancel closes the generator and builds the result from the last Progress."""
    inp, k = _instance(70, 4, seed=5), 4
    gen = optimize(inp, _opts(k, time_limit=60))
    t0 = time.perf_counter()
    last = None
    for p in gen:
        if p.objective is not None:
            last = p
            if time.perf_counter() - t0 > 1.5:
                break
    gen.close()
    assert last is not None
    assert last.snapshot is not None
    res = last.snapshot()
    assert dispersion_of(inp.xy, res.unit_alignment)[0] == pytest.approx(last.objective)  # type: ignore[arg-type]
    assert (_max_dev(inp, res.unit_alignment, k) <= 0.05 + 1e-12).all()
    assert (pieces(inp.graph, res.unit_alignment) == 1).all()
