"""Budget reallocation for the auto-balance search: undo cheap moves to fund better ones.

Under a disruption budget the search spends the budget in the order it finds moves (flow
rounds first, then the best gain per unit of budget). Once it is spent, an improving move that
costs budget is blocked even when some earlier move bought much less balance for the same
accounts. This step pairs them: the blocked moves with the most gain per account are tried in
turn, each funded by sending back to their starting territory the moved units that lose the
least objective per account refunded; the exchange is kept only when the exact objective falls,
else every move of it is undone (in reverse order, so each state on the way stays valid and
every territory contiguous).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from planner.model.optimize.trial import Trial

if TYPE_CHECKING:
    from planner.model.optimize.search import Search

#: Blocked moves tried per round (best gain per account first).
TRIES = 40
#: Refunding moves one exchange may undo.
MAX_UNDO = 300


def reallocate_round(s: Search) -> int:
    """Exchange budget from low-value moves to blocked high-value ones; returns exchanges."""
    if not np.isfinite(s.budget):
        return 0
    a, start = s.assign, s.inp.start
    us, bs = np.nonzero(s.candidates())
    fa = a[us]
    delta, dcost = s.delta(us, fa, bs), s.dcost(us, fa, bs)
    blocked = np.flatnonzero((delta < -1e-13) & (dcost > 0) & (s.used + dcost > s.budget + 1e-12))
    back = np.flatnonzero((a >= 0) & (a != start) & (start >= 0) & ~s.frozen)
    back = back[~s.locked[start[back]] & (s.nbr[back, start[back]] > 0)]
    if len(blocked) == 0 or len(back) == 0:
        return 0
    loss = s.delta(back, a[back], start[back])
    order = np.argsort(loss / np.maximum(s.cost[back], 1e-12), kind="stable")
    back, loss = back[order], loss[order]
    blocked = blocked[np.argsort(delta[blocked] / dcost[blocked], kind="stable")][:TRIES]
    done = 0
    for i in blocked.tolist():
        u, t, b = int(us[i]), int(fa[i]), int(bs[i])
        if a[u] != t or s.nbr[u, b] == 0 or s.size[t] <= 1:
            continue
        if _exchange(s, u, t, b, float(dcost[i]), float(-delta[i]), back, loss):
            done += 1
    return done


def _exchange(
    s: Search,
    u: int,
    t: int,
    b: int,
    cost: float,
    gain: float,
    back: NDArray[np.integer[Any]],
    loss: NDArray[np.float64],
) -> bool:
    """Send units of ``back`` home until ``u``'s move from ``t`` to ``b`` (worth ``gain``)
    fits the budget, while their estimated ``loss`` stays below the gain; then make the move.
    Keep all of it if the exact objective fell, else undo all of it."""
    a, start = s.assign, s.inp.start
    trial = Trial(s)
    spent = 0.0
    for v, lv in zip(back.tolist(), loss.tolist(), strict=True):
        if s.used + cost <= s.budget + 1e-12 or len(trial) >= MAX_UNDO or spent + lv >= gain:
            break
        home = int(start[v])
        if v == u or a[v] == home:
            continue
        if trial.try_move(v, int(a[v]), home):
            spent += max(lv, 0.0)
    if trial.try_move(u, t, b) and (won := trial.gain()) > 1e-12:
        s.reasons[u] = replace(s.reasons[u], score_gain=won)
        return True
    trial.undo()
    return False
