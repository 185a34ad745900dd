"""Anytime dispersion search: tabu search with strategic oscillation on balance, until the limit.

The dispersion objective of the Commercial Territory Design Problem literature: the sum over
territories of the distances from each unit to the territory's centre, the centre being the
member unit that minimises that sum (a discrete median). The balance tolerances are hard
constraints; the search walks through infeasible states on purpose, pricing the excess over
each tolerance by a multiplier ``mu`` that grows while the walk stays infeasible and shrinks
while it is feasible (strategic oscillation), so it crosses narrow infeasible valleys that a
feasible-only descent cannot. Only feasible, contiguous states are recorded as the best.

Every candidate move (a boundary unit to an adjacent territory) is priced exactly at once with
numpy from ``S[v, t]`` = sum of distances from unit ``v`` to the members of ``t``: the donor's
new dispersion is ``min over its other members v of S[v, a] - D[v, u]`` and the receiver's is
``min(S[u, b], min over its members v of S[v, b] + D[v, u])``. Only the two territories a move
touches are re-priced, so one step costs O(n x territory size). A unit that moved may not go
back for a few steps (tabu tenure); a stall restarts from the best state with a random kick.
Distances come from :mod:`~planner.model.optimize.distances` (a matrix up to 4,000 units,
computed on demand above, so any number of units can be dispersed).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import cast

import numpy as np
from numpy.typing import NDArray

from planner.model.optimize.distances import BLOCK, Distances

#: Steps without a better best state after which the walk restarts from the best with a kick.
STALL = 60
#: Share of the units moved at random by one kick.
KICK = 0.06


@dataclass
class DispersionProblem:
    """Plain arrays: planar coordinates, per-unit values, per-territory targets and tolerances.

    A state is feasible when for every territory ``t`` and metric ``j``
    ``|totals[t, j] / target[t, j] - 1| <= tol[j]`` and every territory is connected in the graph.
    """

    xy: NDArray[np.float64]
    values: NDArray[np.float64]
    target: NDArray[np.float64]
    tol: NDArray[np.float64]
    indptr: NDArray[np.int32]
    indices: NDArray[np.int32]
    #: Units that must stay where they are, and territories nothing may join or leave.
    frozen: NDArray[np.bool_]
    locked: NDArray[np.bool_]
    #: Per-unit weight of its distance (1 = the CTDP definition; a metric weights by demand).
    weight: NDArray[np.float64] | None = None


def dispersion_of(
    xy: NDArray[np.float64], labels: NDArray[np.integer], weight: NDArray[np.float64] | None = None
) -> tuple[float, float]:
    """(sum of distances to the centres, largest distance to a centre) of ``labels``.

    The centre of a territory is its member minimising the (weighted) sum of distances to the
    others. Unassigned units (label < 0) are left out.
    """
    total, far = 0.0, 0.0
    w = np.ones(len(xy)) if weight is None else weight
    for t in np.unique(labels[labels >= 0]).tolist():
        m = np.flatnonzero(labels == t)
        sums = np.zeros(len(m))
        for lo in range(0, len(m), BLOCK):  # blocks of rows: a big territory fits in memory
            part = m[lo : lo + BLOCK]
            sums += w[part] @ np.hypot(*(xy[part, None, :] - xy[None, m, :]).transpose(2, 0, 1))
        c = int(np.argmin(sums))
        total += float(sums[c])
        far = max(far, float(np.hypot(*(xy[m] - xy[m[c]]).T).max()))
    return total, far


class DispersionSearch:
    """The walk's state: assignment, per-territory distance sums, totals, tabu list."""

    def __init__(self, p: DispersionProblem, assign: NDArray[np.int64], k: int, seed: int) -> None:
        self.p, self.k = p, k
        n = len(assign)
        self.rng = np.random.default_rng(seed)
        self.w = np.ones(n) if p.weight is None else np.asarray(p.weight, dtype=np.float64)
        #: wd[v, u] = weight of u x distance(u, v): S[:, t] = wd[:, members].sum(axis=1).
        self.dist = Distances(p.xy, self.w)
        self.set_state(assign)
        self.mu = max(self.disp.sum() / max(k, 1), 1e-9)
        self.tabu = np.zeros((n, k), dtype=np.int64)
        self.step = 0

    # -- state ---------------------------------------------------------------------------------
    def set_state(self, assign: NDArray[np.int64]) -> None:
        p, k, n = self.p, self.k, len(assign)
        self.assign = assign.astype(np.int64).copy()
        ok = self.assign >= 0
        onehot = np.zeros((n, k))
        onehot[np.flatnonzero(ok), self.assign[ok]] = 1.0
        self.s = self.dist.sums(onehot)
        self.nbr = np.zeros((n, k), dtype=np.int32)
        src = np.repeat(np.arange(n), np.diff(p.indptr))
        np.add.at(self.nbr, (src, np.where(ok[p.indices], self.assign[p.indices], 0)),
                  ok[p.indices].astype(np.int32))  # fmt: skip
        self.totals = onehot.T @ p.values
        self.size = onehot.sum(axis=0).astype(np.int64)
        self.disp = np.zeros(k)
        self.leave = np.zeros(n)  # donor's dispersion without the unit
        self.join = np.zeros((n, k))  # receiver's dispersion with the unit
        for t in range(k):
            self._reprice(t)

    def _reprice(self, t: int) -> None:
        m = np.flatnonzero(self.assign == t)
        st = self.s[m, t]
        if len(m) == 0:
            self.disp[t] = 0.0
            self.join[:, t] = 0.0
            return
        self.disp[t] = float(st.min())
        # join: the unit's own sum, or an existing member's sum plus its distance to the unit
        self.join[:, t] = np.minimum(self.s[:, t], self.dist.join(m, st))
        if len(m) == 1:
            self.leave[m] = 0.0
            return
        self.leave[m] = self.dist.leave(m, st)

    def violation(
        self, totals: NDArray[np.float64], target: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Excess over the tolerances, in tolerances, summed over metrics (last axis)."""
        dev = np.abs(totals / target - 1.0)
        excess = np.maximum(dev - self.p.tol, 0.0).sum(axis=-1)
        return cast("NDArray[np.float64]", excess / max(float(self.p.tol.min()), 1e-6))

    def feasible(self) -> bool:
        return bool((self.violation(self.totals, self.p.target) <= 1e-12).all())

    # -- one step ------------------------------------------------------------------------------
    def candidates(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        a = self.assign
        mask = self.nbr > 0
        ok = a >= 0
        mask[~ok] = False
        mask[np.flatnonzero(ok), a[ok]] = False
        mask[self.p.frozen] = False
        mask[:, self.p.locked] = False
        mask[np.flatnonzero(ok & self.p.locked[np.maximum(a, 0)])] = False
        mask[self.size[np.maximum(a, 0)] <= 1] = False
        us, bs = np.nonzero(mask)
        return us.astype(np.int64), bs.astype(np.int64)

    def price(
        self, us: NDArray[np.int64], bs: NDArray[np.int64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(dispersion change, violation change) of each move on its own."""
        fa = self.assign[us]
        dd = self.leave[us] - self.disp[fa] + self.join[us, bs] - self.disp[bs]
        tgt = self.p.target
        ta, tb = self.totals[fa], self.totals[bs]
        val = self.p.values[us]
        dv = (
            self.violation(ta - val, tgt[fa])
            + self.violation(tb + val, tgt[bs])
            - self.violation(ta, tgt[fa])
            - self.violation(tb, tgt[bs])
        )
        return dd, dv

    def connected_without(self, u: int) -> bool:
        """True when u's territory stays connected without u (BFS over the territory)."""
        ip, ix, a = self.p.indptr, self.p.indices, self.assign
        t = a[u]
        nb = [int(v) for v in ix[ip[u] : ip[u + 1]] if a[v] == t]
        if len(nb) <= 1:
            return True
        seen = {u, nb[0]}
        stack = [nb[0]]
        want = set(nb)
        want.discard(nb[0])
        while stack and want:
            x = stack.pop()
            for v in ix[ip[x] : ip[x + 1]].tolist():
                if a[v] == t and v not in seen:
                    seen.add(v)
                    want.discard(v)
                    stack.append(v)
        return not want

    def move(self, u: int, b: int) -> None:
        a = int(self.assign[u])
        self.assign[u] = b
        col = self.dist.weighted_col(u)
        self.s[:, a] -= col
        self.s[:, b] += col
        val = self.p.values[u]
        self.totals[a] -= val
        self.totals[b] += val
        self.size[a] -= 1
        self.size[b] += 1
        nbrs = self.p.indices[self.p.indptr[u] : self.p.indptr[u + 1]]
        self.nbr[nbrs, a] -= 1
        self.nbr[nbrs, b] += 1
        self._reprice(a)
        self._reprice(b)

    def walk_step(self, best_disp: float) -> bool:
        """One tabu step (the best admissible move, improving or not); False when none."""
        us, bs = self.candidates()
        if len(us) == 0:
            return False
        dd, dv = self.price(us, bs)
        f = dd + self.mu * dv + self.rng.uniform(0, 1e-9, len(dd))
        viol_now = float(self.violation(self.totals, self.p.target).sum())
        cur = float(self.disp.sum())
        aspire = (viol_now + dv <= 1e-12) & (cur + dd < best_disp - 1e-9)
        allowed = (self.tabu[us, bs] <= self.step) | aspire
        order = np.flatnonzero(allowed)
        order = order[np.argsort(f[order], kind="stable")]
        self.step += 1
        for i in order[:30].tolist():
            u = int(us[i])
            if self.connected_without(u):
                a = int(self.assign[u])
                self.move(u, int(bs[i]))
                self.tabu[u, a] = self.step + int(self.rng.integers(5, 5 + max(5, len(us) // 8)))
                return True
        return False

    def centres(self) -> NDArray[np.int64]:
        """Each territory's median unit (its centre)."""
        out = np.zeros(self.k, dtype=np.int64)
        for t in range(self.k):
            m = np.flatnonzero(self.assign == t)
            out[t] = m[int(np.argmin(self.s[m, t]))] if len(m) else 0
        return out

    def recentre(self, best: NDArray[np.int64], moves: int) -> bool:
        """Restart from ``best`` with ``moves`` centres shifted to a nearby unit (all of them
        drawn anew, spread out, when ``moves`` is 0), the units re-allocated to the centres
        (balanced) and contiguity repaired; False if no balanced allocation was found."""
        self.set_state(best)
        c = self.centres()
        if moves == 0:
            c = self._spread_centres(c)
        for t in self.rng.choice(self.k, size=min(moves, self.k), replace=False).tolist():
            if self.p.locked[t] or self.p.frozen[c[t]]:
                continue
            near = np.argsort(self.dist.rows(c[t : t + 1])[0])[1:13]
            near = near[(self.assign[near] >= 0) & ~self.p.frozen[near]]
            near = near[~np.isin(near, c)]
            if len(near):
                c[t] = int(self.rng.choice(near))
        if not self._allocate(c):
            return False
        if moves == 0:  # a few location-allocation rounds: centres to medians, re-allocate
            for _ in range(3):
                again = self.centres()
                if (again == c).all() or not self._allocate(again):
                    break
                c = again
        return True

    def _spread_centres(self, c: NDArray[np.int64]) -> NDArray[np.int64]:
        """k-means++ centres: each next one drawn with probability ~ squared distance to the
        nearest chosen (locked territories and frozen centres keep theirs)."""
        keep = self.p.locked | self.p.frozen[c]
        chosen = [int(x) for x in c[keep]]
        free = ~self.p.frozen & (self.assign >= 0)
        out = c.copy()
        for t in np.flatnonzero(~keep).tolist():
            d2 = (
                self.dist.rows(np.array(chosen)).min(axis=0) ** 2 * free
                if chosen
                else free.astype(float)
            )
            out[t] = int(self.rng.choice(len(d2), p=d2 / d2.sum()))
            chosen.append(int(out[t]))
        return out

    def _allocate(self, c: NDArray[np.int64]) -> bool:
        from planner.model.optimize.allocate import allocate, repair

        fixed = np.where(self.p.frozen | self.p.locked[np.maximum(self.assign, 0)],
                         self.assign, -1)  # fmt: skip
        dc = self.dist.rows(c).T  # [u, t]: distance from u to centre t
        cost = dc if self.p.weight is None else dc * self.w[:, None]  # weight of u x distance
        labels = allocate(cost, self.p.values, self.p.target, self.p.tol, c, fixed, 1.0)
        if labels is None:
            return False
        self.set_state(repair(labels, c, dc, self.p.indptr, self.p.indices))
        self.tabu[:] = 0
        return True

    def kick(self) -> None:
        """A handful of random admissible boundary moves (diversification after a stall)."""
        n_moves = max(2, int(KICK * len(self.assign)))
        for _ in range(n_moves):
            us, bs = self.candidates()
            if len(us) == 0:
                return
            for i in self.rng.permutation(len(us))[:10].tolist():
                if self.connected_without(int(us[i])):
                    self.move(int(us[i]), int(bs[i]))
                    break


def walk(
    p: DispersionProblem,
    assign: NDArray[np.int64],
    k: int,
    *,
    seed: int,
    deadline: float,
    stop: Callable[[], bool],
    every: float = 0.25,
) -> Generator[tuple[float, NDArray[np.int64]], None, tuple[NDArray[np.int64], float, int]]:
    """Walk from ``assign`` until ``deadline`` or ``stop()``; return (best, its dispersion, steps).

    Yields (best feasible dispersion so far, ``inf`` while none; the best state) about every
    ``every`` seconds, for the progress chart and a Cancel that closes the generator. The best
    is the best feasible state seen, or, while none was feasible, the state with the least
    violation (ties: least dispersion).
    """
    s = DispersionSearch(p, assign, k, seed)
    viol = float(s.violation(s.totals, p.target).sum())
    best = s.assign.copy()
    best_key = (viol if viol > 1e-12 else 0.0, float(s.disp.sum()))
    since = restarts = 0
    tick = time.perf_counter() + every
    while not stop() and time.perf_counter() < deadline:
        if time.perf_counter() > tick:
            yield (best_key[1] if best_key[0] == 0 else float("inf")), best
            tick = time.perf_counter() + every
        if not s.walk_step(best_key[1] if best_key[0] == 0 else np.inf):
            s.set_state(best)
            s.kick()
            continue
        viol = float(s.violation(s.totals, p.target).sum())
        feas_now = viol <= 1e-12
        s.mu *= 0.97 if feas_now else 1.06
        key = (0.0 if feas_now else viol, float(s.disp.sum()))
        if key < (best_key[0], best_key[1] - 1e-9):
            best, best_key, since = s.assign.copy(), key, 0
        else:
            since += 1
        if since > STALL:
            restarts += 1
            kind = restarts % 5
            if kind == 4 or not s.recentre(best, 0 if kind == 0 else kind):
                s.set_state(best)
                s.kick()
            since = 0
    return best, float(best_key[1]), s.step
