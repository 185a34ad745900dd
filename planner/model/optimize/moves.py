"""Single boundary moves for the auto-balance search: the best improving moves, all priced at once.

Every boundary unit's move to each adjacent territory is priced with numpy against the
objective (``Search.delta``); the improving ones are applied best first (under a disruption
budget, best gain per unit of budget), re-priced when an earlier move of the round touched one
of their territories, and skipped when the donor would split.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from planner.model.optimize.search import Search


def move_round(s: Search) -> int:
    """Apply the best non-conflicting improving boundary moves; return how many."""
    a = s.assign
    us, bs = np.nonzero(s.candidates())
    if len(us) == 0:
        return 0
    fa = a[us]
    delta = s.delta(us, fa, bs)
    delta += s.rng.uniform(0, 1e-15, len(delta))  # seeded tie-break
    dcost = s.dcost(us, fa, bs)
    good = delta < -1e-13
    if np.isfinite(s.budget):
        good &= s.used + dcost <= s.budget + 1e-12
        key = delta / np.maximum(dcost / s.cost_unit, 0.05)
    else:
        key = delta
    order = np.flatnonzero(good)[np.argsort(key[good], kind="stable")]
    touched = np.zeros(s.k, dtype=bool)
    applied = 0
    for i in order.tolist():
        u, fa_i, b = int(us[i]), int(fa[i]), int(bs[i])
        if a[u] != fa_i or s.size[fa_i] <= 1 or s.nbr[u, b] == 0:
            continue
        gain = float(-delta[i])
        if touched[fa_i] or touched[b]:  # re-price against the totals as they are now
            gain = s.move_gain(u, fa_i, b)
            if gain <= 1e-13:
                continue
        if s.used + dcost[i] > s.budget + 1e-12 or not s.can_leave(u, fa_i):
            continue
        s.move(u, fa_i, b, gain, float(dcost[i]))
        touched[fa_i] = touched[b] = True
        applied += 1
    return applied
