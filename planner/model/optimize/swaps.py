"""One-for-one swaps for the auto-balance search: a unit each way between two territories.

When every single move would worsen some metric of a territory, exchanging a unit with a
neighbour can still change its mix of metrics (more potential, less workload). Each pair of
adjacent territories prices every exchange of its boundary units at once and applies the best
one that keeps both territories connected and fits the budget.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from planner.model.optimize.search import Search


def swap_round(s: Search) -> int:
    """Exchange one unit each way between adjacent territories (changes a territory's mix
    of metrics when any single move would worsen one of them); returns swaps applied."""
    a = s.assign
    mask = s.candidates()
    us, bs = np.nonzero(mask)
    if len(us) == 0:
        return 0
    fa = a[us]
    pair_key = np.minimum(fa, bs) * s.k + np.maximum(fa, bs)
    order = np.argsort(pair_key, kind="stable")
    keys, starts = np.unique(pair_key[order], return_index=True)
    ends = np.append(starts[1:], len(order))
    touched = np.zeros(s.k, dtype=bool)
    applied = 0
    for key, lo, hi in zip(keys.tolist(), starts.tolist(), ends.tolist(), strict=True):
        t1, t2 = divmod(key, s.k)
        if touched[t1] or touched[t2]:
            continue
        idx = order[lo:hi]
        out, inn = us[idx[fa[idx] == t1]], us[idx[fa[idx] == t2]]
        if len(out) == 0 or len(inn) == 0:
            continue
        if _try_swap(s, out, inn, t1, t2):
            touched[t1] = touched[t2] = True
            applied += 1
    return applied


def _try_swap(
    s: Search, out: NDArray[np.integer[Any]], inn: NDArray[np.integer[Any]], t1: int, t2: int
) -> bool:
    ta, tb = s.totals[t1], s.totals[t2]
    g = s.target[[t1, t2]]
    new_a = ta - s.value(out, t1)[:, None, :] + s.value(inn, t1)[None, :, :]
    new_b = tb + s.value(out, t2)[:, None, :] - s.value(inn, t2)[None, :, :]
    gain = s.terms(np.stack([ta, tb]), g).sum() - s.terms(new_a, g[0]) - s.terms(new_b, g[1])
    # Cut edges too, else a swap undoes what a compactness-aware move did and the two
    # cycle. u and v touching each other stay on opposite sides (+2 over the sum).
    cut = (
        (s.nbr[out, t1] - s.nbr[out, t2])[:, None]
        + (s.nbr[inn, t2] - s.nbr[inn, t1])[None, :]
        + 2 * s.inp.graph[out][:, inn].toarray()
    )
    gain = (gain - s.lam * cut).ravel()
    start = s.inp.start
    for flat in np.argsort(-gain)[:6].tolist():
        if gain[flat] <= 1e-12:
            return False
        u, v = int(out[flat // len(inn)]), int(inn[flat % len(inn)])
        du = s.cost[u] * (float(start[u] != t2) - float(start[u] != t1))
        dv = s.cost[v] * (float(start[v] != t1) - float(start[v] != t2))
        if s.used + du + dv > s.budget + 1e-12 or not s.can_leave(u, t1):
            continue
        s.move(u, t1, t2, 0.0, du)
        if s.nbr[v, t1] > 0 and s.can_leave(v, t2):
            s.move(v, t2, t1, float(gain[flat]), dv)
            return True
        s.move(u, t2, t1, 0.0, -du)  # undo
        s.reasons.pop(u, None)
    return False
