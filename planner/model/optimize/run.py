"""The auto-balance driver: which neighbourhood runs when, the best state kept, Progress yielded.

The order (see the package docstring): construction from scratch (``seed``, ``relabel``), flow
rounds for existing plans (``flow``), then best single moves (``moves``) and swaps (``swaps``)
until they stall, then budget reallocation, pair and triple recombination (``reallocate``,
``recombine``, ``triples``) until they stop adding up, then with ``objective="dispersion"`` the
anytime walk (``disperse``). The neighbourhoods only know the :class:`Search` state; this
module is the only one that knows them all.
"""

from __future__ import annotations

import time
from collections.abc import Generator

import numpy as np

from planner.model.errors import PlannerError
from planner.model.optimize.disperse import disperse
from planner.model.optimize.flow import flow_round
from planner.model.optimize.inputs import OptimizeInputs, OptimizeOptions
from planner.model.optimize.moves import move_round
from planner.model.optimize.reallocate import reallocate_round
from planner.model.optimize.recombine import recombine_round
from planner.model.optimize.relabel import relabel
from planner.model.optimize.results import OptimizeResult, Progress
from planner.model.optimize.search import Search
from planner.model.optimize.seed import seed_from_scratch
from planner.model.optimize.swaps import swap_round
from planner.model.optimize.triples import triple_round

#: Share of the time limit after which the dispersion walk starts even if not yet balanced.
HANDOVER = 0.25


def optimize(
    plan_or_inputs: object, options: OptimizeOptions | None = None
) -> Generator[Progress, None, OptimizeResult]:
    """Yield :class:`Progress` while improving; return the :class:`OptimizeResult`.

    ``plan_or_inputs`` is a :class:`planner.model.plan.Plan` or :class:`OptimizeInputs`. Stop
    early with ``options.cancel.set()`` (returns normally) or ``gen.close()`` (then call the
    last Progress's ``snapshot()``): both keep the best valid alignment so far.
    """
    opts = options or OptimizeOptions()
    if isinstance(plan_or_inputs, OptimizeInputs):
        inp = plan_or_inputs
    else:
        from planner.model.optimize.project import inputs_from_plan

        inp = inputs_from_plan(plan_or_inputs, opts)  # type: ignore[arg-type]
    return _run(inp, opts)


def _run(inp: OptimizeInputs, opts: OptimizeOptions) -> Generator[Progress, None, OptimizeResult]:
    t0 = time.perf_counter()
    k = opts.from_scratch or len(inp.target_weights)
    if opts.from_scratch and opts.max_disruption is not None:
        raise PlannerError("a plan built from scratch cannot keep a disruption budget")
    search = Search(inp, opts, k)
    if opts.from_scratch:
        seed_from_scratch(search)
        relabel(search)
    score0 = search.score()
    dispersing = opts.objective == "dispersion"
    #: Cut edges of the best state while it is balanced (None: not balanced, or dispersion).
    feasible = _feasible_cut(search, dispersing)
    yield _report(search, t0, opts, score0, feasible)
    deadline = t0 + opts.time_limit
    handover = t0 + opts.time_limit * HANDOVER
    #: Long balance steps (recombination) stop by then, so the walk gets its share of time.
    balance_by = handover if dispersing else deadline
    rounds = 0
    cancelled = False
    history = [score0]
    best = (score0, search.assign.copy())
    since_best = 0
    flowing = not opts.from_scratch
    phases: list[float] = []  # best score each time local moves were exhausted
    while True:
        if opts.cancel is not None and opts.cancel.is_set():
            cancelled = True
            break
        if time.perf_counter() > deadline:
            break
        if dispersing and (search.within_tolerance() or time.perf_counter() > handover):
            break  # balanced (or a quarter of the time spent): the dispersion walk takes over
        if rounds % 10 == 0:
            search.refresh()
        applied = flow_round(search) if flowing else move_round(search)
        rounds += 1
        score = search.score()
        history.append(score)
        if score < best[0]:
            if score < best[0] * (1 - 1e-4) - 1e-12:
                since_best = 0
            best = (score, search.assign.copy())
            feasible = _feasible_cut(search, dispersing)
        else:
            since_best += 1
        if since_best > opts.patience_rounds:
            break  # moves and swaps still apply, but nothing has improved the best for long
        if rounds % 5 == 0 or applied == 0:
            yield _report(search, t0, opts, best[0], feasible)
        stalled = len(history) > 20 and history[-21] - history[-1] < 1e-9 + 2e-3 * history[-1]
        if flowing and (applied == 0 or stalled):
            flowing, history = False, [score]
            continue
        if applied == 0 or stalled:
            search.refresh()
            exhausted = swap_round(search) == 0 and (stalled or move_round(search) == 0)
            if exhausted or (stalled and np.isfinite(search.budget)):
                # Local moves are exhausted, or (under a budget) cycle through the units the
                # budget still allows: spend the budget better, re-cut pairs of territories
                # (big bricks), then triples around the territories still out of tolerance.
                changed = reallocate_round(search) + recombine_round(search, deadline=balance_by)
                if opts.from_scratch:
                    changed += relabel(search)
                if changed + triple_round(search, deadline=balance_by) == 0:
                    break
                history = [search.score()]
                phases.append(min(best[0], search.score()))
                gain, n_ph = opts.stall_gain, opts.stall_phases
                if len(phases) > n_ph and phases[-1 - n_ph] - phases[-1] < gain * phases[-1]:
                    break  # recombination still finds changes, but they no longer add up
    if best[0] < search.score():
        search.assign[:] = best[1]
        search.refresh()
    if opts.objective == "dispersion" and not cancelled:
        for frac, disp, snap in disperse(search, deadline, t0):
            elapsed = time.perf_counter() - t0
            if np.isfinite(disp):
                text = f"balanced; sum of distances to centres {disp:,.1f}"
                yield Progress(frac, text, disp, snap, elapsed, disp, DISPERSION)
            else:  # no balanced state seen yet by the walk
                text = "balancing: moving towards the tolerances"
                yield Progress(frac, text, disp, snap, elapsed, None, DISPERSION)
        cancelled = opts.cancel is not None and opts.cancel.is_set()
    search.rounds = rounds
    return search.result(score0, time.perf_counter() - t0, cancelled)


#: What ``Progress.objective`` measures in each phase.
CUT_EDGES = "cut edges"
DISPERSION = "sum of distances to centres"


def _feasible_cut(search: Search, dispersing: bool) -> int | None:
    """Cut edges of the current state when it is balanced (the cut-edge objective only)."""
    return None if dispersing or search.out_of_tolerance() else search.cut_edges()


def _report(
    search: Search, t0: float, opts: OptimizeOptions, best: float, feasible: int | None
) -> Progress:
    """Progress of the balance phase in a user's terms: how far from balanced, or the cut
    edges of the best balanced state (not the search's internal rounds)."""
    elapsed = time.perf_counter() - t0
    frac = min(0.99, elapsed / max(opts.time_limit, 1e-9))
    if feasible is None:
        out = search.out_of_tolerance()
        text = f"balancing: {out} territory(ies) out of tolerance" if out else "balanced"
        name = DISPERSION if opts.objective == "dispersion" else CUT_EDGES
        return Progress(frac, text, best, search.snapshot, elapsed, None, name)
    text = f"balanced; {feasible:,} cut edge(s)"
    return Progress(frac, text, best, search.snapshot, elapsed, float(feasible), CUT_EDGES)
