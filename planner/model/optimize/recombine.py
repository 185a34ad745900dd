"""Recombination for the auto-balance search: merge two adjacent territories and cut them again.

Single-unit moves and swaps stall where units are big bricks (metro counties next to each
other): any one move overshoots the neighbour. Recombination, as in ReCom (DeFord, Duchin and
Solomon 2021), draws a random spanning tree of the two territories' units and cuts one tree
edge, so both sides stay connected whatever is cut; every cut of the tree is priced at once
with subtree sums, and the best one is taken when it lowers the objective.

When a disruption budget applies, the tree is drawn with one edge across the current border
only (a cut then hands a connected piece of one territory to the other: the least disruptive
form); without a budget, every other tree ignores the border (a fresh split of the pair).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse.csgraph import breadth_first_order

from planner.model.optimize.trees import merged, random_tree, subtree

if TYPE_CHECKING:
    from planner.model.optimize.search import Search

#: Pairs larger than this are skipped (the per-tree cost grows with the pair's units).
MAX_PAIR_UNITS = 6000
#: Candidate cuts per tree whose exact compactness is measured.
TOP_CUTS = 4


def recombine_round(s: Search, trees: int = 6, deadline: float | None = None) -> int:
    """Try pairs of adjacent territories, most different deviation first; return pairs changed.

    Each territory takes part in at most one applied recombination per round, so the prices
    of a round stay exact.
    """
    k, a = s.k, s.assign
    ok = a >= 0
    touch = np.zeros((k, k))
    np.add.at(touch, a[ok], s.nbr[ok])
    adj = np.triu((touch > 0) | (touch.T > 0), 1)
    adj[s.locked | s.solo] = False
    adj[:, s.locked | s.solo] = False
    dev = (s.totals / s.target - 1.0) @ s.w
    t1s, t2s = np.nonzero(adj)
    order = np.argsort(-np.abs(dev[t1s] - dev[t2s]), kind="stable")
    touched = np.zeros(k, dtype=bool)
    applied = 0
    for i in order.tolist():
        if s.out_of_time(deadline):
            break
        t1, t2 = int(t1s[i]), int(t2s[i])
        if touched[t1] or touched[t2]:
            continue
        if _recombine_pair(s, t1, t2, trees):
            touched[t1] = touched[t2] = True
            applied += 1
    return applied


def _recombine_pair(s: Search, t1: int, t2: int, trees: int) -> bool:
    """Re-cut territories ``t1`` and ``t2`` along the best cut of a few random spanning trees."""
    units, tri, cur = merged(s, (t1, t2))
    n = len(units)
    if n < 3 or n > MAX_PAIR_UNITS:
        return False
    border = (cur[tri.row] != cur[tri.col]).astype(np.float64)
    old_cut = int(border.sum())
    m = len(s.inp.metrics)
    v1, v2 = s.value(units, t1), s.value(units, t2)
    in1, in2 = cur == t1, cur == t2
    base1 = s.totals[t1] - v1[in1].sum(axis=0)
    base2 = s.totals[t2] - v2[in2].sum(axis=0)
    start = s.inp.start[units]
    cost = s.cost[units]
    c1, c2 = cost * (start != t1), cost * (start != t2)
    used_here = float(c1[in1].sum() + c2[in2].sum())
    room = s.budget - s.used + used_here
    frozen = s.frozen[units]
    # Columns summed over subtrees: values in t1, values in t2, costs, frozen units of each.
    cols = np.column_stack([v1, v2, c1, c2, frozen & in1, frozen & in2]).astype(np.float64)
    whole = cols.sum(axis=0)
    tgt1, tgt2 = s.target[t1], s.target[t2]
    old_terms = float(s.terms(s.totals[[t1, t2]], s.target[[t1, t2]]).sum())
    budgeted = np.isfinite(s.budget)
    mean_cost = s.cost_unit
    best_key, best_delta, best_lab = -1e-12, 0.0, None
    for j in range(trees):
        tree = random_tree(s, tri, border, budgeted or j % 2 == 0)
        order, pred = breadth_first_order(tree, 0, directed=False)
        if len(order) < n:
            return False  # the pair is not connected (a broken start): leave it to repair
        sums = cols.copy()
        plist = pred.tolist()
        for node in order[:0:-1].tolist():
            sums[plist[node]] += sums[node]
        sub_s = sums[order[1:]]  # every non-root node's subtree; the rest holds the root
        rest = whole - sub_s
        # Option 0: subtree -> t1, rest -> t2. Option 1: subtree -> t2, rest -> t1.
        new1 = np.stack([base1 + sub_s[:, :m], base1 + rest[:, :m]])
        new2 = np.stack([base2 + rest[:, m : 2 * m], base2 + sub_s[:, m : 2 * m]])
        used = np.stack(
            [sub_s[:, 2 * m] + rest[:, 2 * m + 1], rest[:, 2 * m] + sub_s[:, 2 * m + 1]]
        )
        valid = np.stack(
            [
                (sub_s[:, 2 * m + 3] == 0) & (rest[:, 2 * m + 2] == 0),
                (sub_s[:, 2 * m + 2] == 0) & (rest[:, 2 * m + 3] == 0),
            ]
        )
        valid &= used <= room + 1e-12
        delta = s.terms(new1, tgt1) + s.terms(new2, tgt2) - old_terms
        key = np.where(valid, delta, np.inf)
        if budgeted:
            dcost = used - used_here
            key = np.where(valid, delta / np.maximum(dcost / mean_cost, 0.05), np.inf)
        flat = np.argsort(key, axis=None)[:TOP_CUTS]
        parent = pred.copy()
        parent[order[0]] = -1
        for f in flat.tolist():
            opt, idx = divmod(f, n - 1)
            if not np.isfinite(key[opt, idx]) or key[opt, idx] >= best_key:
                continue
            inside = subtree(order, parent, int(order[1 + idx]))
            lab = np.where(inside, t1 if opt == 0 else t2, t2 if opt == 0 else t1)
            cut = int((lab[tri.row] != lab[tri.col]).sum())
            full = float(delta[opt, idx]) + s.lam * (cut - old_cut)
            rank = full
            if budgeted:
                rank = full / max(float(used[opt, idx] - used_here) / mean_cost, 0.05)
            if full < -1e-12 and rank < best_key:
                best_key, best_delta, best_lab = rank, full, lab
    if best_lab is None:
        return False
    s.relabel_units(units, best_lab, -best_delta)
    return True
