"""The dispersion phase of auto-balance: hand the balanced state to the anytime walk.

``run`` balances first (construction, flow, moves, recombination) and, with
``objective="dispersion"``, then calls :func:`disperse`, which builds the walk's plain problem
(planar coordinates, unit values, targets, per-metric tolerances, frozen units, locked
territories) from the search state, relays the walk's best dispersion (``run`` turns it
into Progress), and adopts the best state into the search (also when a Cancel closes the
generator: the last Progress's snapshot adopts what it reported).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from planner.model.errors import PlannerError
from planner.model.optimize.dispersion import DispersionProblem, walk
from planner.model.optimize.geometry import planar_xy

if TYPE_CHECKING:
    from planner.model.optimize.inputs import OptimizeInputs
    from planner.model.optimize.results import OptimizeResult
    from planner.model.optimize.search import Search


def disperse(
    search: Search, deadline: float, t0: float
) -> Generator[tuple[float, float, Callable[[], OptimizeResult]], None, None]:
    """Yield (share of the time used, best dispersion, snapshot) while improving dispersion
    (balance and contiguity kept) until ``deadline`` or Cancel; the search ends on the best."""
    inp, opts = search.inp, search.opts
    search.refresh()
    a = search.assign
    ok = a >= 0
    values = (
        inp.base + inp.per_minute * search.travel[np.arange(inp.n), np.where(ok, a, 0)][:, None]
    )  # travel priced at the unit's current territory (exact figures come from Balance)
    problem = DispersionProblem(
        xy=planar_xy(inp), values=values, target=search.target - search.offset, tol=search.tol,
        indptr=search.indptr, indices=search.indices, frozen=search.frozen | ~ok,
        locked=search.locked,
    )  # fmt: skip
    problem.target = np.maximum(problem.target, 1e-12)
    problem.weight = distance_weight(inp, opts.centre)
    cancel = opts.cancel
    gen = walk(problem, a, search.k, seed=opts.seed, deadline=deadline,
               stop=lambda: cancel is not None and cancel.is_set())  # fmt: skip

    def adopt(best: NDArray[np.int64]) -> OptimizeResult:
        moved = np.flatnonzero(best != search.assign)
        if len(moved):
            search.relabel_units(moved, best[moved], 0.0)
        search.refresh()
        return search.snapshot()

    try:
        while True:
            disp, best = next(gen)
            frac = min(0.99, (time.perf_counter() - t0) / max(opts.time_limit, 1e-9))
            # a Cancel that closes this generator adopts the best state seen so far
            snap = functools.partial(adopt, best)
            yield frac, disp, snap
    except StopIteration as stop:
        adopt(stop.value[0])
        final = float(stop.value[1])
    if np.isfinite(final) and search.out_of_tolerance() == 0:
        # the walk may have improved since its last report: the last word is the result's
        frac = min(0.99, (time.perf_counter() - t0) / max(opts.time_limit, 1e-9))
        yield frac, final, search.snapshot


def distance_weight(inp: OptimizeInputs, centre: str) -> NDArray[np.float64] | None:
    """Per-unit distance weights for ``centre`` (None: the plain median of the CTDP)."""
    if centre == "median":
        return None
    kind, _, metric = centre.partition(":")
    if kind != "weighted" or not metric:
        raise PlannerError(f"unknown centre {centre!r}: median or weighted:METRIC")
    if inp.dispersion_weight is not None:
        weight = np.asarray(inp.dispersion_weight, dtype=np.float64)
    elif metric in inp.metrics:
        weight = inp.base[:, inp.metrics.index(metric)]
    else:
        raise PlannerError(f"cannot weight the centre by {metric!r}: not a metric of this search")
    return np.maximum(weight, 0.0)
