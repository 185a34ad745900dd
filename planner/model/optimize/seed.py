"""From-scratch seeding for the auto-balance search: recursive random-spanning-tree bisection.

The free units are cut in two along one edge of a random spanning tree, so that both sides
carry their share of every metric (combined), recursively until each region holds one
territory, as GerryChain's ``recursive_tree_part`` does for one metric. Regions are matched to
territories by an optimal assignment (rep home base, else the starting plan's centre); stray
pieces left by big units or locked territories are re-attached so every territory is whole.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from planner.model.optimize.trees import subtree

if TYPE_CHECKING:
    from planner.model.optimize.search import Search


def seed_from_scratch(s: Search) -> None:
    """Recursive spanning-tree bisection of the free units, then regions matched to reps.

    Each region holding ``k`` territories is cut along one edge of a random spanning tree
    so that both sides carry their share of every metric within a shrinking tolerance
    (as GerryChain's ``recursive_tree_part``, but on all metrics at once). Regions are then
    given to territories by an optimal assignment: nearest rep home base, or, without home
    bases, the most overlap with the starting plan (least disruption).
    """
    from scipy.optimize import linear_sum_assignment

    free = np.flatnonzero(s.assign < 0)
    open_t = [t for t in range(s.k) if not s.locked[t]]
    if not open_t or len(free) == 0:
        return
    region = np.full(len(s.assign), -1, dtype=np.int64)
    labels_left = list(range(len(open_t)))
    raw = np.maximum(s.inp.base, 0.0)
    combined = (raw / np.maximum(raw[free].sum(axis=0), 1e-12)) @ s.w
    while len(labels_left) > 1:  # a unit above a territory's share gets one of its own
        big = free[combined[free] * len(labels_left) >= combined[free].sum()]
        if len(big) == 0:
            break
        u = int(big[np.argmax(combined[big])])
        region[u] = labels_left.pop()
        free = free[free != u]
    stack: list[tuple[NDArray[np.int64], list[int]]] = [(free, labels_left)]
    while stack:
        units, labels = stack.pop()
        if len(labels) == 1 or len(units) <= 1:
            region[units] = labels[0] if labels else -1
            continue
        k1 = len(labels) // 2
        share = (
            s.tw[[open_t[i] for i in labels[:k1]]].sum() / s.tw[[open_t[i] for i in labels]].sum()
        )
        side = _split(s, units, float(share))
        stack.append((units[side], labels[:k1]))
        stack.append((units[~side], labels[k1:]))
    inp = s.inp
    n_open = len(open_t)
    ok = region >= 0
    w = np.maximum(inp.base[:, 0], 1e-12)
    # Regions go to the territory whose anchor is nearest: the rep's home base, or for a
    # territory without one its centre in the starting plan (least disruption).
    ws = np.bincount(region[ok], weights=w[ok], minlength=n_open)
    cx = np.bincount(region[ok], weights=(w * inp.lon)[ok], minlength=n_open) / ws
    cy = np.bincount(region[ok], weights=(w * inp.lat)[ok], minlength=n_open) / ws
    start = inp.start
    cost = np.zeros((n_open, n_open))
    for i, t in enumerate(open_t):
        if s.home[t]:
            hx, hy = s.alon[t], s.alat[t]
        elif (held := start == t).any():
            hx = float(np.average(inp.lon[held], weights=w[held]))
            hy = float(np.average(inp.lat[held], weights=w[held]))
        else:
            continue
        cost[:, i] = (cx - hx) ** 2 + ((cy - hy) * 1.2) ** 2
    rows, cols = linear_sum_assignment(cost)
    to_terr = np.empty(n_open, dtype=np.int64)
    to_terr[rows] = np.asarray(open_t)[cols]
    s.assign[ok] = to_terr[region[ok]]
    _repair(
        s,
    )
    s.refresh()


def _repair(s: Search) -> None:
    """Keep each territory's largest piece; give stray pieces to a neighbouring territory.

    Bisection can leave a region in pieces when removing big units or locked territories
    cut the map; reassigning strays this way always ends with every piece attached."""
    from scipy.sparse.csgraph import connected_components

    a, g = s.assign, s.inp.graph
    for _ in range(len(a)):
        same = a[g.indices] == np.repeat(a, np.diff(g.indptr))
        same &= np.repeat(a >= 0, np.diff(g.indptr))
        sub = sparse.csr_matrix((same.astype(np.int8), g.indices, g.indptr), shape=g.shape)
        _, comp = connected_components(sub, directed=False)
        stray = np.zeros(len(a), dtype=bool)
        for t in range(s.k):
            held = np.flatnonzero(a == t)
            if len(held) and not s.frozen[held].all():
                sizes = np.bincount(comp[held])
                stray[held] = comp[held] != np.argmax(sizes)
        stray &= ~s.frozen
        if not stray.any():
            return
        a[stray] = -1
        for u in np.flatnonzero(stray).tolist():  # grow back from attached neighbours
            nb = a[g.indices[g.indptr[u] : g.indptr[u + 1]]]
            nb = nb[(nb >= 0) & ~s.locked[np.maximum(nb, 0)]]
            if len(nb):
                a[u] = int(np.bincount(nb).argmax())


def _split(s: Search, units: NDArray[np.int64], share: float) -> NDArray[np.bool_]:
    """Side of a random spanning-tree cut closest to ``share`` of every metric."""
    from scipy.sparse.csgraph import breadth_first_order, connected_components
    from scipy.sparse.csgraph import minimum_spanning_tree as mst

    sub = s.inp.graph[units][:, units]
    tri = sparse.triu(sub, k=1, format="coo")
    # One combined measure (weighted shares of every metric): a 1-D target is hit by some
    # subtree of almost every random tree; the local search then fixes the mix.
    raw = np.maximum(s.inp.base[units], 0.0)
    vals = (raw / np.maximum(raw.sum(axis=0), 1e-12)) @ s.w
    vals = vals[:, None]
    total = vals.sum(axis=0)
    want = np.maximum(share * total, 1e-12)
    ncomp, comp = connected_components(sub, directed=False)
    best_err, best = np.inf, np.zeros(len(units), dtype=bool)
    for attempt in range(400):
        weights = s.rng.random(len(tri.data)) + 1e-3
        tree = mst(sparse.csr_matrix((weights, (tri.row, tri.col)), shape=sub.shape))
        tree = tree + tree.T
        sums = vals.copy()
        parent = np.full(len(units), -1, dtype=np.int64)
        orders = []
        for c in range(ncomp):
            root = int(np.flatnonzero(comp == c)[0])
            order, pred = breadth_first_order(tree, root, directed=False)
            parent[order[1:]] = pred[order[1:]]
            orders.append(order)
        order = np.concatenate(orders)
        plist = parent.tolist()
        cols = [sums[:, j].tolist() for j in range(sums.shape[1])]
        for node in reversed(order.tolist()):
            p = plist[node]
            if p >= 0:
                for col in cols:
                    col[p] += col[node]
        sums = np.column_stack(cols)
        err1 = np.abs(sums[:, 0] / want[0] - 1.0)  # subtree is side 1
        err2 = np.abs((total[0] - sums[:, 0]) / want[0] - 1.0)  # subtree is side 2
        i1, i2 = int(np.argmin(err1)), int(np.argmin(err2))
        flip = err2[i2] < err1[i1]
        node, err = (i2, err2[i2]) if flip else (i1, err1[i1])
        if err < best_err:
            best_err = float(err)
            inside = subtree(order, parent, node)
            best = ~inside if flip else inside
        if best_err <= float(s.tol.min()) * (0.05 + attempt / 200):
            break
    return best
