"""Relabelling for from-scratch auto-balance: which rep gets which territory.

Built from scratch, a territory is only a set of units until a rep owns it, and the workload
of a set depends on whose home base the visits are driven from. Bisection hands regions to
reps by centre distance, and the search can later leave a rep's territory far from home (a
big city county alone, owned by the rep of the next state). Because the objective is a sum
over territories, the best rep for every territory at once is a linear assignment: the cost of
giving the units of territory ``r`` to the rep of ``t`` is ``t``'s objective term with those
units travelled from ``t``'s home base (plus ``t``'s pinned accounts), plus a small price on
the driving itself, which balance alone cannot see when every rep drives less. Only
territories whose reps have home bases take part; locked territories and territories holding
frozen units keep their own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse
from scipy.optimize import linear_sum_assignment

if TYPE_CHECKING:
    from planner.model.optimize.search import Search


def relabel(s: Search) -> bool:
    """Give every movable territory's units to the rep that suits them best; True if any
    territory changed hands (the plan's shapes are untouched)."""
    k, a, inp = s.k, s.assign, s.inp
    ok = a >= 0
    pinned = np.zeros(k, dtype=bool)
    pinned[a[ok & s.frozen]] = True
    movable = np.flatnonzero(s.home & ~s.locked & ~pinned)
    if len(movable) < 2:
        return False
    onehot = sparse.csr_matrix((np.ones(ok.sum()), (a[ok], np.flatnonzero(ok))), shape=(k, len(a)))
    m = inp.base.shape[1]
    # tot[r, t, j]: territory r's units as t's, travelled from t's home base, with t's pins.
    tot = np.empty((k, k, m))
    travel = np.empty((k, k, m))
    for j in range(m):
        base = onehot @ inp.base[:, j]
        travel[:, :, j] = onehot @ (inp.per_minute[:, j][:, None] * s.travel)
        tot[:, :, j] = base[:, None] + travel[:, :, j] + s.offset[None, :, j]
    sub = np.ix_(movable, movable)
    idx = np.arange(len(movable))
    now = float(s.terms(tot[movable, movable], s.target[movable]).sum())
    # Targets are shares of the grand total, which less driving lowers for everyone: price an
    # assignment against the targets it would have (fixed-point passes from least driving).
    grand = s.totals.sum(axis=0)
    # A territory's share target whoever holds it now (a lone big unit's territory has its own
    # unit as target; given a region, the rep's target is a share again).
    shared = ~s.solo
    per_weight = (s.target[shared] / s.tw[shared, None]).mean(axis=0) if shared.any() else 0.0
    share_target = s.tw[:, None] * per_weight
    _, cols = linear_sum_assignment(((travel / s.target[None]) @ s.w)[sub])  # least driving
    for _ in range(4):
        new_grand = grand + (tot[movable, movable[cols]] - tot[movable, movable]).sum(axis=0)
        tgt = np.broadcast_to(share_target[None] * (new_grand / grand), tot.shape).copy()
        for r in np.flatnonzero(s.solo):  # a lone unit's target is its own, whoever owns it
            tgt[r] = s.target[r] - s.offset[r] + s.offset
        # Balance first; then less driving (travel in shares of a target, weighted like a cut
        # edge: tolerance^2), which settles assignments that balance equally well.
        drive = ((travel / np.maximum(tgt, 1e-12)) @ s.w) * float(s.tol.min()) ** 2
        cost = s.terms(tot[sub], tgt[sub]) + drive[sub]
        _, new_cols = linear_sum_assignment(cost)
        if (new_cols == cols).all():
            break
        cols = new_cols
    gain = now + float(drive[movable, movable].sum()) - float(cost[idx, cols].sum())
    if (cols == idx).all() or gain <= 1e-12:
        return False
    rows = idx
    to = np.arange(k)
    to[movable[rows]] = movable[cols]
    held = np.flatnonzero(ok)
    s.relabel_units(held, to[a[held]], 0.0)
    s.refresh()
    return True
