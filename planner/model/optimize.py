"""Auto-balance: move boundary units between adjacent territories until the metrics balance.

Works at unit level on the queen adjacency graph (DESIGN.md "an alignment is a vector"). A
unit's metric values are the sums of the accounts that follow it; workload's travel term is
``visits x minutes-per-visit-from-the-territory's-anchor``, precomputed as a ``units x K`` matrix
(anchors without a rep home base follow the territory's centre and are refreshed each round),
so every candidate move is priced in O(1). Final figures come from the exact Balance engine.

Phases: (1) from scratch only, recursive random-spanning-tree bisection on the combined metric,
regions matched to rep home bases (``linear_sum_assignment``; ``_seed``; ``_relabel`` weighs
the travel and runs again on stalls); (2) existing plans, flow rounds (``_flow``): the excess
of every territory is routed over the territory graph (Laplacian potentials; under a disruption
budget, to the nearest deficits first, since every hop costs) and boundary units, or a cut
vertex with the part it would cut off, move along the flow, so an excess crosses balanced
territories instead of diffusing one neighbour at a time;
(3) polish: every boundary move priced at once with numpy against the objective

    ``sum_t sum_j w_j (dev_tj^2 + HINGE * max(0, |dev_tj| - 0.8 tol)^2) + compactness x cut edges``

(the hinge makes out-of-tolerance territories dominate; inside the band compactness wins ties),
best first, then one-for-one swaps when single moves stall, then recombination of pairs of
territories along random spanning trees (``_recombine``) for big units that no single move can
place, and of triples around territories still out of tolerance (``_triples``); under a budget,
low-value moves are undone to fund better ones (``_reallocate``); (4) with
``objective="dispersion"``, an anytime walk that minimises the distances to territory centres
under the same tolerances until the time limit (``_disperse``, ``_dispersion``, ``_allocate``).
Every move keeps the donor
connected (exact check: neighbours' ring, else lockstep BFS), respects locked territories,
frozen units and the disruption budget, so every visited state is valid and cancelling keeps a
usable, contiguous result (the best-scoring state is returned).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from planner.model._disperse import disperse
from planner.model._flow import flow_round
from planner.model._reallocate import reallocate_round
from planner.model._recombine import recombine_round
from planner.model._relabel import relabel
from planner.model._seed import seed_from_scratch
from planner.model._triples import triple_round
from planner.model.errors import PlannerError

HINGE = 200.0
#: Share of the tolerance the search aims at, so exact re-measurement stays inside it.
AIM = 0.8


@dataclass(frozen=True)
class OptimizeOptions:
    """What to balance and what must not change. ``from_scratch`` = K builds K new territories."""

    metrics: dict[str, float] = field(
        default_factory=lambda: {"potential": 1.0, "workload_hours": 1.0}
    )
    tolerance: float = 0.05
    locked_units: tuple[int, ...] = ()
    #: Share of accounts (or revenue, see ``disruption_by``) allowed to change territory.
    max_disruption: float | None = None
    disruption_by: str = "accounts"
    from_scratch: int | None = None
    time_limit: float = 30.0
    seed: int = 0
    #: Weight of one cut adjacency edge, in units of tolerance² (compactness tie-breaker).
    compactness: float = 1.0
    #: Per-metric tolerance (share of the target); metrics not named use ``tolerance``.
    tolerances: dict[str, float] = field(default_factory=dict)
    #: ``"cut_edges"``: fewest cut adjacency edges once balanced; ``"dispersion"``: then keep
    #: improving the sum of distances from each unit to its territory's centre until the time
    #: limit (``_dispersion``), as in the Commercial Territory Design Problem literature.
    objective: str = "cut_edges"
    #: The balance phase stops before its time limit after this many rounds without a 0.01 %
    #: better best score, or when ``stall_phases`` recombination phases in a row improved the
    #: best by less than ``stall_gain`` (a share of it) together. Larger values search longer.
    patience_rounds: int = 60
    stall_phases: int = 3
    stall_gain: float = 5e-3
    cancel: threading.Event | None = None


@dataclass(frozen=True)
class Progress:
    fraction: float
    message: str
    best_score: float
    #: Builds the result of the best state so far (valid after the generator was closed).
    snapshot: Callable[[], OptimizeResult] | None = None


@dataclass(frozen=True)
class MoveReason:
    """Why a unit moved: its last move and the deviations of the two territories it changed."""

    unit: int
    from_territory: int
    to_territory: int
    deviation_before: dict[int, dict[str, float]]
    deviation_after: dict[int, dict[str, float]]
    score_gain: float


@dataclass(frozen=True)
class OptimizeResult:
    unit_alignment: NDArray[np.int32]
    start: NDArray[np.int32]
    n_territories: int
    reasons: dict[int, MoveReason]
    score_before: float
    score_after: float
    seconds: float
    rounds: int
    cancelled: bool
    #: Per metric: the smallest max |deviation| possible (a single unit above its target).
    reachable_tolerance: dict[str, float]

    @property
    def moved_units(self) -> NDArray[np.int64]:
        return np.flatnonzero(self.unit_alignment != self.start)


@dataclass(frozen=True)
class OptimizeInputs:
    """Plain arrays the search needs (built from a Plan, or directly by benchmarks and tests).

    Value of metric ``j`` for unit ``u`` in territory ``t``:
    ``base[u, j] + per_minute[u, j] * travel_minutes(u, anchor_t)``; ``offset`` holds fixed
    contributions (pinned accounts). NaN anchors follow the territory's potential centre.
    """

    graph: sparse.csr_matrix
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    base: NDArray[np.float64]
    per_minute: NDArray[np.float64]
    metrics: tuple[str, ...]
    start: NDArray[np.int32]
    anchor_lon: NDArray[np.float64]
    anchor_lat: NDArray[np.float64]
    target_weights: NDArray[np.float64]
    offset: NDArray[np.float64] | None = None
    frozen: NDArray[np.bool_] | None = None
    locked_territories: NDArray[np.bool_] | None = None
    cost: NDArray[np.float64] | None = None
    #: Weights of the centre that anchors rep-less territories (visits); default base[:, 0].
    centre_weight: NDArray[np.float64] | None = None
    #: Planar coordinates (metres or any planar unit) for the dispersion objective; default:
    #: lon/lat projected equirectangularly around their mean.
    xy: NDArray[np.float64] | None = None

    @property
    def n(self) -> int:
        return len(self.start)


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
        from planner.model.optimize_project import inputs_from_plan

        inp = inputs_from_plan(plan_or_inputs, opts)  # type: ignore[arg-type]
    return _run(inp, opts)


def _run(inp: OptimizeInputs, opts: OptimizeOptions) -> Generator[Progress, None, OptimizeResult]:
    t0 = time.perf_counter()
    k = opts.from_scratch or len(inp.target_weights)
    if opts.from_scratch and opts.max_disruption is not None:
        raise PlannerError("a plan built from scratch cannot keep a disruption budget")
    search = _Search(inp, opts, k)
    if opts.from_scratch:
        seed_from_scratch(search)
        relabel(search)
    score0 = search.score()
    yield Progress(0.0, "seeded", score0, search.snapshot)
    deadline = t0 + opts.time_limit
    dispersing = opts.objective == "dispersion"
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
        applied = flow_round(search) if flowing else search.round()
        rounds += 1
        score = search.score()
        history.append(score)
        if score < best[0]:
            if score < best[0] * (1 - 1e-4) - 1e-12:
                since_best = 0
            best = (score, search.assign.copy())
        else:
            since_best += 1
        if since_best > opts.patience_rounds:
            break  # moves and swaps still apply, but nothing has improved the best for long
        if rounds % 5 == 0 or applied == 0:
            frac = min(0.99, (time.perf_counter() - t0) / max(opts.time_limit, 1e-9))
            yield Progress(frac, f"round {rounds}: {applied} moves", best[0], search.snapshot)
        stalled = len(history) > 20 and history[-21] - history[-1] < 1e-9 + 2e-3 * history[-1]
        if flowing and (applied == 0 or stalled):
            flowing, history = False, [score]
            continue
        if applied == 0 or stalled:
            search.refresh()
            exhausted = search.swap_round() == 0 and (stalled or search.round() == 0)
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
            yield Progress(frac, f"best dispersion {disp:,.1f}", disp, snap)
        cancelled = opts.cancel is not None and opts.cancel.is_set()
    search.rounds = rounds
    return search.result(score0, time.perf_counter() - t0, cancelled)


#: Share of the time limit after which the dispersion walk starts even if not yet balanced.
HANDOVER = 0.25


def travel_matrix(
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    alon: NDArray[np.float64],
    alat: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Round-trip minutes per visit from every anchor to every unit (``units x K``)."""
    from planner.model.balance import travel_minutes_per_visit

    return travel_minutes_per_visit(lon[:, None], lat[:, None], alon[None, :], alat[None, :])


class _Search:
    """The mutable state of one optimisation: assignment, totals, neighbour counts, budget."""

    def __init__(self, inp: OptimizeInputs, opts: OptimizeOptions, k: int) -> None:
        n = inp.n
        self.inp, self.opts, self.k = inp, opts, k
        self.indptr, self.indices = inp.graph.indptr, inp.graph.indices
        self.rng = np.random.default_rng(opts.seed)
        w = np.array([opts.metrics.get(m, 0.0) for m in inp.metrics], dtype=np.float64)
        self.w: NDArray[np.float64] = w / w.sum()
        #: Tolerance per metric (the global one unless ``opts.tolerances`` names the metric).
        self.tol = np.array([opts.tolerances.get(m, opts.tolerance) for m in inp.metrics])
        self.tw = _pad(inp.target_weights, k, 1.0)
        self.locked = _pad(inp.locked_territories, k, False).astype(bool)
        frozen = inp.frozen.copy() if inp.frozen is not None else np.zeros(n, dtype=bool)
        dropped = inp.start >= k  # from scratch with fewer territories than the plan has
        locked_in = np.asarray(inp.locked_territories if inp.locked_territories is not None else [])
        if locked_in[k:].any() or (frozen & dropped).any():
            raise PlannerError(
                f"cannot build {k} territories: a locked territory or locked unit belongs to a "
                f"territory beyond the first {k}"
            )
        held = (inp.start >= 0) & ~dropped
        self.frozen = frozen | held & self.locked[np.where(held, inp.start, 0)]
        self.cost = inp.cost if inp.cost is not None else np.zeros(n)
        #: Budget a typical unit's move spends: gains under a budget are priced per this much.
        self.cost_unit = max(
            float(self.cost[self.cost > 0].mean()) if (self.cost > 0).any() else 1.0, 1e-12
        )
        self.budget = np.inf if opts.max_disruption is None else opts.max_disruption
        self.offset = _pad(inp.offset, k, 0.0) if inp.offset is not None else np.zeros((k, 2))
        if self.offset.shape[1] != len(inp.metrics):
            self.offset = np.zeros((k, len(inp.metrics)))
        self.home = np.isfinite(_pad(inp.anchor_lon, k, np.nan))
        self.alon = _pad(inp.anchor_lon, k, np.nan)
        self.alat = _pad(inp.anchor_lat, k, np.nan)
        self.assign = inp.start.astype(np.int64).copy()
        if opts.from_scratch:
            self.assign[~self.frozen] = -1
        self.reasons: dict[int, MoveReason] = {}
        self.failed: dict[int, tuple[int, int]] = {}
        self.version = np.zeros(k, dtype=np.int64)
        self.rounds = 0
        self.lam = opts.compactness * float(self.tol.min()) ** 2
        self.refresh()

    def out_of_time(self, deadline: float | None) -> bool:
        """True past ``deadline`` or once the user cancelled: long steps check it between
        pieces of work, so Cancel answers within one pair or triple."""
        cancel = self.opts.cancel
        late = deadline is not None and time.perf_counter() > deadline
        return late or (cancel is not None and cancel.is_set())

    # -- totals --------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-anchor rep-less territories at their centre, rebuild totals and targets exactly."""
        inp, k, a = self.inp, self.k, self.assign
        ok = a >= 0
        wts = np.maximum(inp.base[:, 0] if inp.centre_weight is None else inp.centre_weight, 1e-9)
        ws = np.bincount(a[ok], weights=wts[ok], minlength=k)
        cx = np.bincount(a[ok], weights=(wts * inp.lon)[ok], minlength=k)
        cy = np.bincount(a[ok], weights=(wts * inp.lat)[ok], minlength=k)
        fill = ~self.home & (ws > 0)
        self.alon[fill], self.alat[fill] = cx[fill] / ws[fill], cy[fill] / ws[fill]
        alon = np.nan_to_num(self.alon, nan=float(np.nanmean(inp.lon)))
        alat = np.nan_to_num(self.alat, nan=float(np.nanmean(inp.lat)))
        self.travel = travel_matrix(inp.lon, inp.lat, alon, alat)
        self.totals = self.offset.copy()
        self.size = np.bincount(a[ok], minlength=k)
        for j in range(len(inp.metrics)):
            val = inp.base[ok, j] + inp.per_minute[ok, j] * self.travel[ok, a[ok]]
            self.totals[:, j] += np.bincount(a[ok], weights=val, minlength=k)
        grand = self.totals.sum(axis=0)
        if ok.sum() < len(a):  # unassigned units will join: count them at their mean travel
            free = ~ok
            extra = inp.base[free] + inp.per_minute[free] * self.travel[free].mean(axis=1)[:, None]
            grand = grand + extra.sum(axis=0)
        self.target = self._targets(grand)
        onehot = sparse.csr_matrix(
            (np.ones(ok.sum()), (np.flatnonzero(ok), a[ok])), shape=(len(a), k)
        )
        self.nbr = np.asarray((inp.graph.astype(np.float64) @ onehot).todense(), dtype=np.int32)
        changed = (a != inp.start) & (a >= 0)
        self.used = float(self.cost[changed].sum())

    def _targets(self, grand: NDArray[np.float64]) -> NDArray[np.float64]:
        """Equal shares (by target weight), except that a territory made of one unit bigger
        than its share keeps that unit (at its least travel) as its target and the others
        share the rest: the search then balances the territories it can balance instead of
        chasing the excess."""
        share = self.tw / self.tw.sum()
        target = np.outer(share, grand)
        solo = np.zeros(self.k, dtype=bool)
        one = np.flatnonzero(self.size == 1)
        if len(one):
            unit_of = np.full(self.k, -1)
            unit_of[self.assign[np.isin(self.assign, one)]] = np.flatnonzero(
                np.isin(self.assign, one)
            )
            for _ in range(len(one)):
                own = self.totals[one] @ (self.w / np.maximum(grand, 1e-12))
                left = grand - self.totals[solo].sum(axis=0)
                rest = share[~solo].sum()
                big = one[(own >= share[one] / max(rest, 1e-12) * (left @ (self.w / grand)))]
                big = big[~solo[big]]
                if len(big) == 0:
                    break
                solo[big] = True
            if solo.any():
                left = grand - self.totals[solo].sum(axis=0)
                target[~solo] = np.outer(share[~solo] / share[~solo].sum(), left)
                target[solo] = self.totals[solo]
                if self.opts.from_scratch:
                    # Reps can still swap territories (``_relabel``): the unit's value travelled
                    # from the nearest rep, so a far-away owner shows the extra as excess.
                    u = unit_of[solo]
                    reps = ~self.locked if (~self.locked).any() else np.ones(self.k, dtype=bool)
                    near = self.travel[u][:, reps].min(axis=1)
                    best = self.inp.base[u] + self.inp.per_minute[u] * near[:, None]
                    target[solo] = best + self.offset[solo]
        self.solo = solo
        return np.maximum(target, 1e-12)

    def _terms(self, tot: NDArray[np.float64], tgt: NDArray[np.float64]) -> NDArray[np.float64]:
        dev = tot / tgt - 1.0
        over = np.maximum(np.abs(dev) - AIM * self.tol, 0.0)
        return cast("NDArray[np.float64]", ((dev**2 + HINGE * over**2) * self.w).sum(axis=-1))

    def within_tolerance(self) -> bool:
        """Every territory inside every metric's tolerance (exact totals of this state)."""
        dev = np.abs(self.totals / self.target - 1.0)
        return bool((dev <= self.tol).all())

    def score(self) -> float:
        cut = float(self.nbr.sum() - self.nbr[np.arange(len(self.assign)), self.assign].sum())
        return float(self._terms(self.totals, self.target).sum()) + self.lam * cut / 2

    def value(
        self, u: int | NDArray[np.integer[Any]], t: int | NDArray[np.integer[Any]]
    ) -> NDArray[np.float64]:
        # numpy's stubs lose the dtype under fancy indexing
        value = self.inp.base[u] + self.inp.per_minute[u] * self.travel[u, t][..., None]
        return cast("NDArray[np.float64]", value)

    # -- one round -----------------------------------------------------------------------------
    def round(self) -> int:
        """Apply the best non-conflicting improving boundary moves; return how many."""
        a = self.assign
        us, bs = np.nonzero(self._candidates())
        if len(us) == 0:
            return 0
        fa = a[us]
        delta = self.delta(us, fa, bs)
        delta += self.rng.uniform(0, 1e-15, len(delta))  # seeded tie-break
        dcost = self.dcost(us, fa, bs)
        good = delta < -1e-13
        if np.isfinite(self.budget):
            good &= self.used + dcost <= self.budget + 1e-12
            key = delta / np.maximum(dcost / self.cost_unit, 0.05)
        else:
            key = delta
        order = np.flatnonzero(good)[np.argsort(key[good], kind="stable")]
        touched = np.zeros(self.k, dtype=bool)
        applied = 0
        for i in order.tolist():
            u, fa_i, b = int(us[i]), int(fa[i]), int(bs[i])
            if a[u] != fa_i or self.size[fa_i] <= 1 or self.nbr[u, b] == 0:
                continue
            gain = float(-delta[i])
            if touched[fa_i] or touched[b]:  # re-price against the totals as they are now
                gain = self._gain(u, fa_i, b)
                if gain <= 1e-13:
                    continue
            if self.used + dcost[i] > self.budget + 1e-12 or not self._can_leave(u, fa_i):
                continue
            self._move(u, fa_i, b, gain, float(dcost[i]))
            touched[fa_i] = touched[b] = True
            applied += 1
        return applied

    def delta(
        self,
        us: NDArray[np.integer[Any]],
        fa: NDArray[np.integer[Any]],
        bs: NDArray[np.integer[Any]],
    ) -> NDArray[np.float64]:
        """Objective change of moving each unit ``us`` from ``fa`` to ``bs`` on its own."""
        ca, cb = self.value(us, fa), self.value(us, bs)
        ta, tb = self.totals[fa], self.totals[bs]
        ga, gb = self.target[fa], self.target[bs]
        delta = (
            self._terms(ta - ca, ga)
            + self._terms(tb + cb, gb)
            - self._terms(ta, ga)
            - self._terms(tb, gb)
        )
        return cast("NDArray[np.float64]", delta + self.lam * (self.nbr[us, fa] - self.nbr[us, bs]))

    def move_cost(self, u: int, src: int, dst: int) -> float:
        """Budget that moving ``u`` from ``src`` to ``dst`` spends (negative: going home)."""
        home = self.inp.start[u]
        return float(self.cost[u]) * (float(dst != home) - float(src != home))

    def relabel_units(
        self, units: NDArray[np.integer[Any]], labels: NDArray[np.integer[Any]], gain: float
    ) -> None:
        """Move each of ``units`` whose territory differs from its new label (a re-cut or a
        re-assignment decided as a whole; ``gain`` is recorded as every move's reason)."""
        a = self.assign
        for u, new in zip(units.tolist(), labels.tolist(), strict=True):
            old = int(a[u])
            if old != new:
                self._move(u, old, new, gain, self.move_cost(u, old, new))

    def dcost(
        self,
        us: NDArray[np.integer[Any]],
        fa: NDArray[np.integer[Any]],
        bs: NDArray[np.integer[Any]],
    ) -> NDArray[np.float64]:
        """Budget each move spends (negative: a unit goes back to its starting territory)."""
        start = self.inp.start
        return cast(
            "NDArray[np.float64]",
            self.cost[us] * ((bs != start[us]).astype(float) - (fa != start[us])),
        )

    def swap_round(self) -> int:
        """Exchange one unit each way between adjacent territories (changes a territory's mix
        of metrics when any single move would worsen one of them); returns swaps applied."""
        a = self.assign
        mask = self._candidates()
        us, bs = np.nonzero(mask)
        if len(us) == 0:
            return 0
        fa = a[us]
        pair_key = np.minimum(fa, bs) * self.k + np.maximum(fa, bs)
        order = np.argsort(pair_key, kind="stable")
        keys, starts = np.unique(pair_key[order], return_index=True)
        ends = np.append(starts[1:], len(order))
        touched = np.zeros(self.k, dtype=bool)
        applied = 0
        for key, lo, hi in zip(keys.tolist(), starts.tolist(), ends.tolist(), strict=True):
            t1, t2 = divmod(key, self.k)
            if touched[t1] or touched[t2]:
                continue
            idx = order[lo:hi]
            out, inn = us[idx[fa[idx] == t1]], us[idx[fa[idx] == t2]]
            if len(out) == 0 or len(inn) == 0:
                continue
            if self._try_swap(out, inn, t1, t2):
                touched[t1] = touched[t2] = True
                applied += 1
        return applied

    def _try_swap(
        self, out: NDArray[np.integer[Any]], inn: NDArray[np.integer[Any]], t1: int, t2: int
    ) -> bool:
        ta, tb = self.totals[t1], self.totals[t2]
        g = self.target[[t1, t2]]
        new_a = ta - self.value(out, t1)[:, None, :] + self.value(inn, t1)[None, :, :]
        new_b = tb + self.value(out, t2)[:, None, :] - self.value(inn, t2)[None, :, :]
        gain = (
            self._terms(np.stack([ta, tb]), g).sum()
            - self._terms(new_a, g[0])
            - self._terms(new_b, g[1])
        )
        # Cut edges too, else a swap undoes what a compactness-aware move did and the two
        # cycle. u and v touching each other stay on opposite sides (+2 over the sum).
        cut = (
            (self.nbr[out, t1] - self.nbr[out, t2])[:, None]
            + (self.nbr[inn, t2] - self.nbr[inn, t1])[None, :]
            + 2 * self.inp.graph[out][:, inn].toarray()
        )
        gain = (gain - self.lam * cut).ravel()
        start = self.inp.start
        for flat in np.argsort(-gain)[:6].tolist():
            if gain[flat] <= 1e-12:
                return False
            u, v = int(out[flat // len(inn)]), int(inn[flat % len(inn)])
            du = self.cost[u] * (float(start[u] != t2) - float(start[u] != t1))
            dv = self.cost[v] * (float(start[v] != t1) - float(start[v] != t2))
            if self.used + du + dv > self.budget + 1e-12 or not self._can_leave(u, t1):
                continue
            self._move(u, t1, t2, 0.0, du)
            if self.nbr[v, t1] > 0 and self._can_leave(v, t2):
                self._move(v, t2, t1, float(gain[flat]), dv)
                return True
            self._move(u, t2, t1, 0.0, -du)  # undo
            self.reasons.pop(u, None)
        return False

    def _candidates(self) -> NDArray[np.bool_]:
        a = self.assign
        mask = self.nbr > 0
        mask[a < 0] = False
        mask[np.flatnonzero(a >= 0), a[a >= 0]] = False
        mask[self.frozen] = False
        mask[:, self.locked] = False
        # A territory that is one unit above its share keeps that unit as its target: adding
        # to it looks free until the next refresh re-targets it at a share (and it is 100 %
        # over). Nothing joins it.
        mask[:, self.solo] = False
        return mask

    def _gain(self, u: int, a: int, b: int) -> float:
        ta, tb = self.totals[a], self.totals[b]
        ca, cb = self.value(u, a), self.value(u, b)
        terms = self._terms(np.stack([ta, tb, ta - ca, tb + cb]), self.target[[a, b, a, b]])
        return float(terms[0] + terms[1] - terms[2] - terms[3]) - self.lam * float(
            self.nbr[u, a] - self.nbr[u, b]
        )

    def _can_leave(self, u: int, t: int) -> bool:
        """True when territory ``t`` stays connected without unit ``u`` (exact).

        The neighbours of u in t are grouped by the edges among them (usually one group: done).
        Otherwise one BFS per group runs in lockstep until the groups meet (connected) or one
        group runs out of units (u is a cut vertex), so the cost is bounded by the smaller
        side. A refusal is remembered until ``t`` changes.
        """
        ip, ix, a = self.indptr, self.indices, self.assign
        nb = [int(v) for v in ix[ip[u] : ip[u + 1]] if a[v] == t]
        if len(nb) <= 1:
            return True
        ring = set(nb)
        label: dict[int, int] = {}
        groups = 0
        for start in nb:
            if start in label:
                continue
            label[start] = groups
            stack = [start]
            while stack:
                x = stack.pop()
                for v in ix[ip[x] : ip[x + 1]].tolist():
                    if v in ring and v not in label:
                        label[v] = groups
                        stack.append(v)
            groups += 1
        if groups == 1:
            return True
        if self.failed.get(u) == (t, int(self.version[t])):
            return False
        ok = self._groups_meet(u, t, label, groups)
        if not ok:
            self.failed[u] = (t, int(self.version[t]))
        return ok

    def _groups_meet(self, u: int, t: int, label: dict[int, int], groups: int) -> bool:
        ip, ix, a = self.indptr, self.indices, self.assign
        parent = list(range(groups))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        queues = [deque(v for v, g in label.items() if g == i) for i in range(groups)]
        label[u] = -1
        roots = groups
        while roots > 1:
            alive = [False] * groups
            for i in range(groups):
                if queues[i]:
                    alive[find(i)] = True
            if not all(alive[r] for r in {find(i) for i in range(groups)}):
                return False  # a group is exhausted: it is cut off without u
            for i in range(groups):
                if not queues[i]:
                    continue
                x = queues[i].popleft()
                for v in ix[ip[x] : ip[x + 1]].tolist():
                    if a[v] != t:
                        continue
                    g = label.get(v)
                    if g is None:
                        label[v] = i
                        queues[i].append(v)
                    elif g >= 0 and find(g) != find(i):
                        parent[find(g)] = find(i)
                        roots -= 1
        return True

    def _move(self, u: int, a: int, b: int, gain: float, dcost: float) -> None:
        ca, cb = self.value(u, a), self.value(u, b)
        before = {t: self._devs(t) for t in (a, b)}
        self.totals[a] -= ca
        self.totals[b] += cb
        self.size[a] -= 1
        self.size[b] += 1
        self.version[a] += 1
        self.version[b] += 1
        nbrs = self.indices[self.indptr[u] : self.indptr[u + 1]]
        self.nbr[nbrs, a] -= 1
        self.nbr[nbrs, b] += 1
        self.assign[u] = b
        self.used += dcost
        prev = self.reasons.get(u)
        self.reasons[u] = MoveReason(
            u, prev.from_territory if prev else a, b, before, {t: self._devs(t) for t in (a, b)},
            gain,
        )  # fmt: skip

    def _devs(self, t: int) -> dict[str, float]:
        dev = self.totals[t] / self.target[t] - 1.0
        return {m: float(d) for m, d in zip(self.inp.metrics, dev, strict=True)}

    # -- result --------------------------------------------------------------------------------
    def snapshot(self) -> OptimizeResult:
        return self.result(float("nan"), float("nan"), True)

    def result(self, score0: float, seconds: float, cancelled: bool) -> OptimizeResult:
        final = self.assign.astype(np.int32).copy()
        start = self.inp.start.astype(np.int32)
        moved = set(np.flatnonzero(final != start).tolist())
        reasons = {
            u: r for u, r in self.reasons.items() if u in moved and r.to_territory == final[u]
        }
        unit_max = np.max(self.inp.base[:, None, :] / self.target[None, :, :], axis=(0, 1))
        reach = {
            m: float(max(0.0, v - 1.0)) for m, v in zip(self.inp.metrics, unit_max, strict=True)
        }
        return OptimizeResult(
            final, start, self.k, reasons, score0, self.score(), seconds, self.rounds, cancelled,
            reach,
        )  # fmt: skip


def _pad(arr: NDArray[Any] | None, k: int, fill: float | bool) -> NDArray[Any]:
    """Per-territory arrays grown (or cut) to K entries for from-scratch runs."""
    if arr is None:
        return np.full(k, fill)
    arr = np.asarray(arr)
    if arr.ndim == 2:
        out2 = np.full((k, arr.shape[1]), fill, dtype=np.float64)
        out2[: min(k, len(arr))] = arr[:k]
        return out2
    out = np.full(k, fill, dtype=arr.dtype if arr.dtype != bool else bool)
    out[: min(k, len(arr))] = arr[:k]
    return out
