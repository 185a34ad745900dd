"""Flow rounds for the auto-balance search: move boundary units along a balancing flow.

Single moves that must lower the objective only diffuse an excess one neighbour at a time.
A flow round routes the excess of every territory over the territory graph at once (Laplacian
potentials; under a disruption budget, to the nearest deficits first, since every hop costs)
and moves boundary units, or a cut vertex with the part it would cut off, along it, so an
excess crosses balanced territories instead of creeping. Existing plans start with flow rounds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

if TYPE_CHECKING:
    from planner.model.optimize.search import Search


def flow_round(s: Search) -> int:
    """Move units along a balancing flow between adjacent territories; returns moves made.

    Single moves that must lower the objective only diffuse an excess one neighbour at a
    time. Here the excess of every territory (weighted deviations, in shares of a target)
    is routed at once: potentials ``phi`` solve ``L phi = excess`` on the territory graph
    (L its Laplacian) and ``phi_a - phi_b`` is what a should hand to b, passing through
    balanced territories when needed (diffusion load balancing as in graph partitioners).
    Boundary units are then moved along positive flows without overshooting them.
    """
    k, a = s.k, s.assign
    ok = a >= 0
    excess = (s.totals / s.target - 1.0) @ s.w
    touch = np.zeros((k, k))
    np.add.at(touch, a[ok], s.nbr[ok])
    adj = (touch > 0) & ~np.eye(k, dtype=bool)
    adj[s.locked] = False
    adj[:, s.locked] = False
    if np.isfinite(s.budget):
        remaining = _transport(s, adj, excess - excess.mean())
    else:
        lap = np.diag(adj.sum(axis=1)) - adj
        phi = np.linalg.lstsq(lap, excess - excess.mean(), rcond=None)[0]
        remaining = np.where(adj, phi[:, None] - phi[None, :], 0.0)
    us, bs = np.nonzero(s.candidates())
    if len(us) == 0:
        return 0
    fa = a[us]
    keep = remaining[fa, bs] > 0
    us, bs, fa = us[keep], bs[keep], fa[keep]
    size = (s.value(us, fa) / s.target[fa]) @ s.w
    dcost = s.dcost(us, fa, bs)
    key = (s.nbr[us, fa] - s.nbr[us, bs]).astype(float)
    if np.isfinite(s.budget):
        key += 4.0 * dcost / np.maximum(size, 1e-12) / max(float(s.cost.mean()), 1e-12)
    key += s.rng.uniform(0, 1e-6, len(key))
    applied = 0
    for i in np.argsort(key, kind="stable").tolist():
        u, t, b = int(us[i]), int(fa[i]), int(bs[i])
        if a[u] != t or s.size[t] <= 1 or s.nbr[u, b] == 0:
            continue
        if size[i] > 1.5 * remaining[t, b] or s.used + dcost[i] > s.budget + 1e-12:
            continue
        if s.can_leave(u, t):
            gain = s.move_gain(u, t, b)
            s.move(u, t, b, max(gain, 0.0), float(dcost[i]))
            remaining[t, b] -= size[i]
            applied += 1
        elif (moved := _move_piece(s, u, t, b, remaining[t, b])) > 0:
            remaining[t, b] -= moved
            applied += 1
    return applied


def _transport(
    s: Search, adj: NDArray[np.bool_], excess: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Edge flows that carry excess to the nearest deficits first (under a disruption
    budget every hop costs: the Laplacian flow spreads the excess over many paths and
    spends the budget on balanced territories in between)."""
    from scipy.sparse.csgraph import shortest_path

    k = s.k
    dist, pred = shortest_path(
        sparse.csr_matrix(adj.astype(np.float64)), unweighted=True, return_predecessors=True
    )
    give, take = np.maximum(excess, 0.0), np.maximum(-excess, 0.0)
    flow = np.zeros((k, k))
    # Disruption of moving one share of the combined metric over one edge (about 1 / K of
    # the accounts); stop routing when the budget left is spent.
    per_share = float(s.cost.sum()) / max(k, 1)
    left = max(s.budget - s.used, 0.0) / max(per_share, 1e-12)
    pairs = np.argwhere(np.isfinite(dist) & (dist > 0) & (give[:, None] > 0) & (take > 0))
    order = np.lexsort((-(give[pairs[:, 0]] + take[pairs[:, 1]]), dist[pairs[:, 0], pairs[:, 1]]))
    for i, j in pairs[order].tolist():
        x = min(give[i], take[j], left / dist[i, j])
        if x <= 1e-9:
            continue
        give[i] -= x
        take[j] -= x
        left -= x * dist[i, j]
        b = j
        while b != i:  # walk the path back from j to i
            p = int(pred[i, b])
            flow[p, b] += x
            b = p
    return np.where(adj, flow - flow.T, 0.0)


def _move_piece(s: Search, u: int, t: int, b: int, room: float) -> float:
    """Move cut vertex ``u`` together with the parts of ``t`` it would cut off (all but
    the largest) to ``b``: both stay connected. Returns the size moved (0 if refused)."""
    ip, ix, a = s.indptr, s.indices, s.assign
    held = np.flatnonzero(a == t)
    if len(held) > 2000:
        return 0.0
    comp: dict[int, int] = {}
    sizes: list[float] = []
    for start in held.tolist():
        if start == u or start in comp:
            continue
        comp[start] = len(sizes)
        stack, total = [start], 0.0
        while stack:
            x = stack.pop()
            total += float((s.value(x, t) / s.target[t]) @ s.w)
            for v in ix[ip[x] : ip[x + 1]].tolist():
                if v != u and a[v] == t and v not in comp:
                    comp[v] = len(sizes)
                    stack.append(v)
        sizes.append(total)
    if len(sizes) < 2:
        return 0.0
    keep = int(np.argmax(sizes))
    piece = [u] + [x for x, c in comp.items() if c != keep]
    arr = np.array(piece)
    size = float(((s.value(arr, t) / s.target[t]) @ s.w).sum())
    starting = s.inp.start
    changes = (b != starting[arr]).astype(float) - (t != starting[arr])
    dcost = float((s.cost[arr] * changes).sum())
    if size > 1.5 * room or s.frozen[arr].any() or s.used + dcost > s.budget + 1e-12:
        return 0.0
    for x, ch in zip(piece, changes.tolist(), strict=True):  # u first: the rest hang on u
        s.move(x, t, b, 0.0, float(s.cost[x] * ch))
    return size
