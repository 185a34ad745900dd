"""Three-territory recombination for the auto-balance search: merge three, cut in three.

Pair recombination (``_recombine``) cannot fix a territory whose only balanced shapes need
units to rotate through two neighbours: on US counties at K = 20, the Long Island territory
(+7 % with Manhattan, -11 % without) balances only if Manhattan goes to the New Jersey
territory, New Jersey hands a county upstate and the Bronx joins Long Island. Re-cutting the
three territories at once along a random spanning tree of their units finds such plans: the
first cut (a subtree) is one territory, the second cut of what is left gives the other two, so
all three are connected whatever is cut. Every first cut is priced at once with subtree sums;
for the best few, every second cut is priced at once too (a subtree that contains the first one
loses its sums). Runs only for territories still out of tolerance once everything else stalls.
"""

from __future__ import annotations

from itertools import permutations
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse.csgraph import depth_first_order

from planner.model.optimize.trees import merged, random_tree

if TYPE_CHECKING:
    from planner.model.optimize.search import Search

#: Triples larger than this are skipped.
MAX_UNITS = 3000
#: Out-of-tolerance territories tried per round (worst first), and triples tried for each.
WORST = 4
TRIPLES = 6
#: First cuts per tree whose second cuts are all priced.
FIRST_CUTS = 8


def triple_round(s: Search, trees: int = 8, deadline: float | None = None) -> int:
    """Re-cut triples around the territories furthest out of tolerance; returns triples
    changed (each territory in at most one)."""
    from planner.model.optimize.search import AIM

    k, a = s.k, s.assign
    ok = a >= 0
    touch = np.zeros((k, k))
    np.add.at(touch, a[ok], s.nbr[ok])
    adj = ((touch > 0) | (touch.T > 0)) & ~np.eye(k, dtype=bool)
    closed = s.locked | s.solo
    adj[closed] = False
    adj[:, closed] = False
    dev = s.totals / s.target - 1.0
    out = (np.abs(dev) > AIM * s.tol).any(axis=1) & ~closed
    terms = s.terms(s.totals, s.target)
    excess = dev @ s.w
    touched = np.zeros(k, dtype=bool)
    applied = 0
    for t in np.flatnonzero(out)[np.argsort(-terms[out], kind="stable")][:WORST].tolist():
        if touched[t]:
            continue
        triples = {
            (t, *sorted((int(x), int(y))))
            for x in np.flatnonzero(adj[t])
            for y in np.flatnonzero(adj[t] | adj[x])
            if y not in (t, x)
        }
        # Triples whose combined excess is nearest zero can absorb t's excess among them.
        ranked = sorted(triples, key=lambda tr: (abs(excess[list(tr)].sum()), tr))[:TRIPLES]
        for tr in ranked:
            if s.out_of_time(deadline):
                return applied
            if touched[list(tr)].any():
                continue
            if _recombine_triple(s, tr, trees):
                touched[list(tr)] = True
                applied += 1
                break
    return applied


def _recombine_triple(s: Search, ts: tuple[int, int, int], trees: int) -> bool:
    units, tri, cur = merged(s, ts)
    n = len(units)
    if n < 4 or n > MAX_UNITS:
        return False
    border = (cur[tri.row] != cur[tri.col]).astype(np.float64)
    old_cut = int(border.sum())
    m = len(s.inp.metrics)
    start, cost, frozen = s.inp.start[units], s.cost[units], s.frozen[units]
    vals = [s.value(units, t) for t in ts]
    base = np.stack([s.totals[t] - vals[i][cur == t].sum(axis=0) for i, t in enumerate(ts)])
    costs = [cost * (start != t) for t in ts]
    used_here = float(sum(costs[i][cur == t].sum() for i, t in enumerate(ts)))
    room = s.budget - s.used + used_here
    # Columns summed over subtrees: values in each territory, cost in each, frozen of each,
    # and ones (subtree sizes).
    held = [(frozen & (cur == t))[:, None] for t in ts]
    cols = np.column_stack([*vals, *[c[:, None] for c in costs], *held, np.ones((n, 1))]).astype(
        np.float64
    )
    cc, fz = 3 * m, 3 * m + 3  # first cost column, first frozen column
    tgt = s.target[list(ts)]
    old_terms = float(s.terms(s.totals[list(ts)], tgt).sum())
    budgeted = np.isfinite(s.budget)
    best: tuple[float, float, NDArray[np.int64]] | None = None
    for j in range(trees):
        tree = random_tree(s, tri, border, budgeted or j % 2 == 0)
        order, pred = depth_first_order(tree, 0, directed=False)
        if len(order) < n:
            return False
        sums = cols.copy()
        plist = pred.tolist()
        for node in order[:0:-1].tolist():  # preorder: children after their parent
            sums[plist[node]] += sums[node]
        pre = np.empty(n, dtype=np.int64)
        pre[order] = np.arange(n)
        span = (pre, sums[:, -1].astype(np.int64))
        for lab, delta, spend in _cuts(s, sums, span, order, base, tgt, (m, cc, fz), room):
            labels = np.asarray(ts)[lab]
            cut = int((labels[tri.row] != labels[tri.col]).sum())
            full = delta - old_terms + s.lam * (cut - old_cut)
            rank = full / max((spend - used_here) / s.cost_unit, 0.05) if budgeted else full
            if full < -1e-12 and (best is None or rank < best[0]):
                best = (rank, full, labels)
    if best is None:
        return False
    _, full, labels = best
    s.relabel_units(units, labels, -full)
    return True


def _cuts(
    s: Search,
    sums: NDArray[np.float64],
    span: tuple[NDArray[np.int64], NDArray[np.int64]],
    order: NDArray[np.integer[Any]],
    base: NDArray[np.float64],
    tgt: NDArray[np.float64],
    layout: tuple[int, int, int],
    room: float,
) -> list[tuple[NDArray[np.int64], float, float]]:
    """Best three-way cuts of one tree: (part index of every unit, new terms, budget used).

    ``span``: preorder index and subtree size of every unit (y is in x's subtree when
    ``pre[x] <= pre[y] < pre[x] + size[x]``); ``layout``: metrics per territory, first cost
    column, first frozen column of ``sums``."""
    m, cc, fz = layout
    pre, size = span
    n = len(order)
    whole = sums[order[0]]
    nodes = order[1:]
    first = sums[nodes]
    # Terms of a subtree as territory i, invalid where it holds another territory's frozen unit.
    fit = np.stack([s.terms(base[i] + first[:, i * m : (i + 1) * m], tgt[i]) for i in range(3)])
    frozen_elsewhere = np.stack(
        [first[:, fz : fz + 3].sum(axis=1) - first[:, fz + i] for i in range(3)]
    )
    fit[frozen_elsewhere > 0] = np.inf
    out = []
    for f in np.argsort(fit, axis=None)[:FIRST_CUTS].tolist():
        i, idx = divmod(f, len(nodes))
        if not np.isfinite(fit[i, idx]):
            break
        x = int(nodes[idx])
        inside_x = (pre >= pre[x]) & (pre < pre[x] + size[x])
        anc = (pre < pre[x]) & (pre + size > pre[x])  # x lies in their subtrees
        ys = np.flatnonzero(~inside_x)
        ys = ys[ys != order[0]]
        if len(ys) == 0:
            continue
        b_sums = sums[ys] - anc[ys, None] * sums[x]
        c_sums = whole - sums[x] - b_sums
        for j, l_ in permutations([q for q in range(3) if q != i]):
            terms = (
                fit[i, idx]
                + s.terms(base[j] + b_sums[:, j * m : (j + 1) * m], tgt[j])
                + s.terms(base[l_] + c_sums[:, l_ * m : (l_ + 1) * m], tgt[l_])
            )
            bad = (b_sums[:, fz : fz + 3].sum(axis=1) - b_sums[:, fz + j] > 0) | (
                c_sums[:, fz : fz + 3].sum(axis=1) - c_sums[:, fz + l_] > 0
            )
            spend_all = sums[x, cc + i] + b_sums[:, cc + j] + c_sums[:, cc + l_]
            terms[bad | (spend_all > room + 1e-12)] = np.inf
            y_i = int(np.argmin(terms))
            if not np.isfinite(terms[y_i]):
                continue
            y = int(ys[y_i])
            spend = float(spend_all[y_i])
            lab = np.full(n, l_, dtype=np.int64)
            inside_y = (pre >= pre[y]) & (pre < pre[y] + size[y]) & ~inside_x
            lab[inside_y] = j
            lab[inside_x] = i
            out.append((lab, float(terms[y_i]), spend))
    return out
