"""What the optimiser reports while it runs: the objective of its best balanced state over
time, in a user's terms (no internal round counts), ending at the result's own figure."""

from __future__ import annotations

import pytest
from scipy import sparse

from planner.model.optimize import OptimizeResult, Progress, optimize
from planner.model.optimize.dispersion import dispersion_of
from tests.model.test_optimize_dispersion import _instance, _opts


def _run(objective: str) -> tuple[list[Progress], OptimizeResult]:
    inp, k = _instance(90, 5, seed=4), 5
    gen = optimize(inp, _opts(k, objective=objective, time_limit=2.0))
    seen = []
    try:
        while True:
            seen.append(next(gen))
    except StopIteration as stop:
        return seen, stop.value


@pytest.mark.parametrize("objective", ["dispersion", "cut_edges"])
def test_progress_reports_the_best_balanced_objective_over_time(objective: str) -> None:
    seen, result = _run(objective)
    assert all("round" not in p.message for p in seen)
    times = [p.elapsed for p in seen]
    assert times == sorted(times)
    values = [p.objective for p in seen if p.objective is not None]
    assert values, [p.message for p in seen]
    inp = _instance(90, 5, seed=4)
    if objective == "dispersion":
        assert values == sorted(values, reverse=True)  # the best only gets better
        assert {p.objective_name for p in seen} == {"sum of distances to centres"}
        final = dispersion_of(inp.xy, result.unit_alignment)[0]  # type: ignore[arg-type]
    else:
        labels = result.unit_alignment
        rows, cols = sparse.triu(inp.graph, k=1).nonzero()
        final = float((labels[rows] != labels[cols]).sum())
    assert values[-1] == pytest.approx(final)
