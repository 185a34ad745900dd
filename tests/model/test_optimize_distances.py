"""Dispersion above 4,000 units: distances computed on demand give the dense matrix's figures."""

from __future__ import annotations

import numpy as np
import pytest

from planner.model.measures import pieces
from planner.model.optimize import optimize
from planner.model.optimize.dispersion import dispersion_of
from planner.model.optimize.distances import DENSE_UNITS, Distances
from tests.model.test_optimize_dispersion import _instance, _max_dev, _opts


def test_on_demand_distances_equal_the_dense_matrix() -> None:
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 100, (700, 2))
    w = rng.uniform(0.5, 2.0, 700)
    dense = Distances(xy, w)
    lazy = Distances(xy, w)
    lazy.dense = False  # the on-demand path, on data the matrix also holds
    m = np.sort(rng.choice(700, 300, replace=False))
    st = rng.uniform(0, 1000, len(m))
    onehot = np.zeros((700, 4))
    onehot[np.arange(700), rng.integers(0, 4, 700)] = 1.0
    np.testing.assert_allclose(lazy.sums(onehot), dense.sums(onehot), rtol=1e-12)
    np.testing.assert_allclose(lazy.join(m, st), dense.join(m, st), rtol=1e-12)
    np.testing.assert_allclose(lazy.leave(m, st), dense.leave(m, st), rtol=1e-12)
    np.testing.assert_allclose(lazy.weighted_col(17), dense.weighted_col(17), rtol=1e-12)
    np.testing.assert_allclose(lazy.rows(m[:5]), dense.rows(m[:5]), rtol=1e-12)


def test_dispersion_runs_above_the_dense_limit() -> None:
    n, k = DENSE_UNITS + 200, 8
    inp = _instance(n, k, seed=6)
    gen = optimize(inp, _opts(k, time_limit=12.0))
    best = None
    try:
        while True:
            p = next(gen)
            if p.objective is not None:
                best = p.objective
    except StopIteration as stop:
        result = stop.value
    assert best is not None  # the walk ran and reported balanced states
    assert (_max_dev(inp, result.unit_alignment, k) <= 0.05 + 1e-12).all()
    assert (pieces(inp.graph, result.unit_alignment) == 1).all()
    assert dispersion_of(inp.xy, result.unit_alignment)[0] == pytest.approx(best)  # type: ignore[arg-type]
