"""Location-allocation restarts for the dispersion walk: balanced assignment to given centres.

With the territory centres fixed, the best balanced assignment of units to centres is a small
integer programme (units x nearest centres, one row per unit, two per territory and metric for
the tolerance band); its linear relaxation, rounded, is solved by HiGHS in milliseconds. It ignores
contiguity, so the result is repaired (:func:`repair`): every territory keeps the connected
piece that holds its centre and the stray pieces join the adjacent territory with the nearest
centre, piece by piece; the walk then restores the balance the repair broke. Moving whole
groups of units to a new centre is what single-unit moves cannot do, so a restart from a
perturbed set of centres escapes the walk's local optima (as in the location-allocation
heuristics of the territory design literature).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

#: Centres each unit may be assigned to (its nearest ones): keeps the programme small.
NEAREST = 5


def allocate(
    dc: NDArray[np.float64],
    values: NDArray[np.float64],
    target: NDArray[np.float64],
    tol: NDArray[np.float64],
    centres: NDArray[np.int64],
    fixed: NDArray[np.int64],
    time_limit: float,
) -> NDArray[np.int64] | None:
    """Units to centres minimising the sum of distances within the tolerance bands.

    ``dc[u, t]``: the (weighted) distance from unit ``u`` to centre ``centres[t]``.

    The linear relaxation is solved (an integer solve takes up to seconds at 200 units, the
    relaxation milliseconds) and each unit goes to the centre holding most of it: at most a
    few units per balance row are split, so the rounded assignment is balanced to within a
    unit or two, which the walk then settles. Each unit may join its ``NEAREST`` centres
    (all of them if that leaves no balanced solution). ``fixed[u] >= 0`` pins unit ``u``.
    Returns None when no balanced fractional assignment exists.
    """
    n, k = len(dc), len(centres)
    for nearest in (min(NEAREST, k), k):
        us, ts = np.nonzero(_allowed(dc, centres, fixed, nearest))
        x = _relaxation(dc[us, ts], us, ts, n, k, values, target, tol, time_limit)
        if x is not None:
            share = np.zeros((n, k))
            share[us, ts] = x
            labels: NDArray[np.int64] = np.argmax(share, axis=1).astype(np.int64)
            return labels
        if nearest == k:
            break
    return None


def _allowed(
    dc: NDArray[np.float64], centres: NDArray[np.int64], fixed: NDArray[np.int64], nearest: int
) -> NDArray[np.bool_]:
    """Which (unit, centre) pairs may be used: the nearest centres; a centre its own; pins."""
    n, k = dc.shape
    near = np.argsort(dc, axis=1)[:, :nearest]
    allowed = np.zeros((n, k), dtype=bool)
    allowed[np.repeat(np.arange(n), near.shape[1]), near.ravel()] = True
    allowed[centres, :] = False
    allowed[centres, np.arange(k)] = True
    pinned = fixed >= 0
    allowed[pinned] = False
    allowed[np.flatnonzero(pinned), fixed[pinned]] = True
    return allowed


def _relaxation(
    cost: NDArray[np.float64],
    us: NDArray[np.intp],
    ts: NDArray[np.intp],
    n: int,
    k: int,
    values: NDArray[np.float64],
    target: NDArray[np.float64],
    tol: NDArray[np.float64],
    time_limit: float,
) -> NDArray[np.float64] | None:
    """Shares of each allowed pair: every unit whole, every territory inside every band."""
    nv = len(us)
    rows = [sparse.csr_matrix((np.ones(nv), (us, np.arange(nv))), shape=(n, nv))]
    lo, hi = [np.ones(n)], [np.ones(n)]
    for j in range(values.shape[1]):
        rows.append(sparse.csr_matrix((values[us, j], (ts, np.arange(nv))), shape=(k, nv)))
        lo.append(target[:, j] * (1 - tol[j]))
        hi.append(target[:, j] * (1 + tol[j]))
    res = milp(
        cost,
        integrality=np.zeros(nv, dtype=np.int64),
        bounds=Bounds(0, 1),
        constraints=LinearConstraint(
            sparse.vstack(rows).tocsr(), np.concatenate(lo), np.concatenate(hi)
        ),
        options={"time_limit": time_limit, "disp": False},
    )
    return None if res.x is None else np.asarray(res.x, dtype=np.float64)


def repair(
    labels: NDArray[np.int64],
    centres: NDArray[np.int64],
    dc: NDArray[np.float64],
    indptr: NDArray[np.int32],
    indices: NDArray[np.int32],
) -> NDArray[np.int64]:
    """Make every territory connected: keep each centre's piece, re-attach the rest
    (``dc[u, t]``: distance from unit ``u`` to centre ``centres[t]``).

    Units outside their centre's piece are released, then claimed by the adjacent territory
    whose centre is nearest, closest first, until none is left (the graph is connected).
    """
    labels = labels.copy()
    n = len(labels)
    keep = np.zeros(n, dtype=bool)
    for t, c in enumerate(centres.tolist()):
        stack = [c]
        keep[c] = True
        while stack:
            x = stack.pop()
            for v in indices[indptr[x] : indptr[x + 1]].tolist():
                if not keep[v] and labels[v] == t:
                    keep[v] = True
                    stack.append(v)
    labels[~keep] = -1
    while (labels < 0).any():
        free = np.flatnonzero(labels < 0)
        best: tuple[float, int, int] | None = None
        for u in free.tolist():
            for v in indices[indptr[u] : indptr[u + 1]].tolist():
                t = int(labels[v])
                if t >= 0 and (best is None or dc[u, t] < best[0]):
                    best = (float(dc[u, t]), u, t)
        if best is None:  # pieces with no assigned neighbour (a disconnected graph)
            labels[free] = np.argmin(dc[free], axis=1)
            break
        labels[best[1]] = best[2]
    return labels
