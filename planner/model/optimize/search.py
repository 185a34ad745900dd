"""The state of one auto-balance search and the objective every neighbourhood prices.

The objective, per territory ``t`` and metric ``j`` (deviation from its target, weight ``w_j``):

    ``sum_t sum_j w_j (dev_tj^2 + HINGE * max(0, |dev_tj| - AIM tol_j)^2) + lam x cut edges``

(the hinge makes out-of-tolerance territories dominate; inside the band compactness wins ties).
A unit's value in a territory is ``base + per_minute x travel minutes from the territory's
anchor`` (``units x K`` travel matrix, anchors of rep-less territories follow their centre and
are refreshed with :meth:`Search.refresh`), so every candidate move is priced in O(1).
"""

from __future__ import annotations

import time
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from planner.model.errors import PlannerError
from planner.model.optimize.contiguity import Contiguity
from planner.model.optimize.geometry import travel_matrix
from planner.model.optimize.inputs import OptimizeInputs, OptimizeOptions
from planner.model.optimize.results import MoveReason, OptimizeResult

HINGE = 200.0
#: Share of the tolerance the search aims at, so exact re-measurement stays inside it.
AIM = 0.8


class Search:
    """The mutable state of one optimisation: assignment, totals, neighbour counts, budget.

    Every neighbourhood (``moves``, ``swaps``, ``flow``, ``recombine``, ``triples``,
    ``reallocate``, ``relabel``, ``seed``, ``disperse``) reads it and changes it only through
    :meth:`move` and :meth:`relabel_units`, which keep totals, neighbour counts, the budget
    and the move reasons consistent; :meth:`refresh` rebuilds them exactly.
    """

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
        self.contiguity = Contiguity(self.indptr, self.indices)
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

    def terms(self, tot: NDArray[np.float64], tgt: NDArray[np.float64]) -> NDArray[np.float64]:
        dev = tot / tgt - 1.0
        over = np.maximum(np.abs(dev) - AIM * self.tol, 0.0)
        return cast("NDArray[np.float64]", ((dev**2 + HINGE * over**2) * self.w).sum(axis=-1))

    def within_tolerance(self) -> bool:
        """Every territory inside every metric's tolerance (exact totals of this state)."""
        dev = np.abs(self.totals / self.target - 1.0)
        return bool((dev <= self.tol).all())

    def cut_edges(self) -> int:
        """Graph edges between two territories (or a territory and an unassigned unit)."""
        ok = self.assign >= 0
        inside = self.nbr[np.flatnonzero(ok), self.assign[ok]].sum()
        return int(self.nbr.sum() - inside) // 2

    def out_of_tolerance(self) -> int:
        """Territories with some metric outside its tolerance (exact totals of this state)."""
        return int((np.abs(self.totals / self.target - 1.0) > self.tol).any(axis=1).sum())

    def score(self) -> float:
        cut = float(self.nbr.sum() - self.nbr[np.arange(len(self.assign)), self.assign].sum())
        return float(self.terms(self.totals, self.target).sum()) + self.lam * cut / 2

    def value(
        self, u: int | NDArray[np.integer[Any]], t: int | NDArray[np.integer[Any]]
    ) -> NDArray[np.float64]:
        # numpy's stubs lose the dtype under fancy indexing
        value = self.inp.base[u] + self.inp.per_minute[u] * self.travel[u, t][..., None]
        return cast("NDArray[np.float64]", value)

    # -- one round -----------------------------------------------------------------------------
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
            self.terms(ta - ca, ga)
            + self.terms(tb + cb, gb)
            - self.terms(ta, ga)
            - self.terms(tb, gb)
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
                self.move(u, old, new, gain, self.move_cost(u, old, new))

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

    def candidates(self) -> NDArray[np.bool_]:
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

    def move_gain(self, u: int, a: int, b: int) -> float:
        ta, tb = self.totals[a], self.totals[b]
        ca, cb = self.value(u, a), self.value(u, b)
        terms = self.terms(np.stack([ta, tb, ta - ca, tb + cb]), self.target[[a, b, a, b]])
        return float(terms[0] + terms[1] - terms[2] - terms[3]) - self.lam * float(
            self.nbr[u, a] - self.nbr[u, b]
        )

    def can_leave(self, u: int, t: int) -> bool:
        """True when territory ``t`` stays connected without unit ``u`` (exact, cached)."""
        return self.contiguity.can_leave(self.assign, self.version, u, t)

    def move(self, u: int, a: int, b: int, gain: float, dcost: float) -> None:
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
