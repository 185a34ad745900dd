"""Distances between units for the dispersion walk: a dense matrix when small, else on demand.

The walk needs, per territory, sums of (weighted) distances from every unit to its members,
and per move the distances from one unit to all. Up to ``DENSE_UNITS`` units an ``n x n``
matrix is kept (128 MB at 4,000 units: every lookup is an index). Above, the matrix would not
fit (3.2 GB at 20,000 units), so each request computes the distances it needs from the planar
coordinates, a block of ``BLOCK`` rows at a time: the same figures in O(n x block) memory,
for the price of recomputing them (a move touches two territories: O(n x their size)).
"""

from __future__ import annotations

from typing import cast

import numpy as np
from numpy.typing import NDArray

#: Largest unit count kept as a dense matrix; above, distances are computed on demand.
DENSE_UNITS = 4000
#: Rows of distances computed at once on demand.
BLOCK = 256


class Distances:
    """``d(u, v)`` between units at ``xy``; "weighted" rows scale by the far unit's ``w``."""

    def __init__(self, xy: NDArray[np.float64], w: NDArray[np.float64]) -> None:
        self.xy, self.w = xy, w
        self.dense = len(xy) <= DENSE_UNITS
        if self.dense:
            diff = xy[:, None, :] - xy[None, :, :]
            self.d = np.sqrt((diff**2).sum(axis=2))
            #: wd[v, u] = weight of u x distance(u, v).
            self.wd = self.d * w[None, :]

    def pair(self, a: NDArray[np.int64], b: NDArray[np.int64]) -> NDArray[np.float64]:
        """``d[a][:, b]``."""
        if self.dense:
            return cast("NDArray[np.float64]", self.d[np.ix_(a, b)])
        diff = self.xy[a][:, None, :] - self.xy[b][None, :, :]
        return cast("NDArray[np.float64]", np.sqrt((diff**2).sum(axis=2)))

    def rows(self, a: NDArray[np.int64]) -> NDArray[np.float64]:
        """``d[a, :]`` (``len(a) x n``)."""
        if self.dense:
            return cast("NDArray[np.float64]", self.d[a])
        return self.pair(a, np.arange(len(self.xy)))

    def weighted_col(self, u: int) -> NDArray[np.float64]:
        """``wd[:, u]``: the distance of every unit to ``u``, times ``u``'s weight."""
        if self.dense:
            return cast("NDArray[np.float64]", self.wd[:, u])
        return cast("NDArray[np.float64]", self.rows(np.array([u]))[0] * self.w[u])

    def sums(self, onehot: NDArray[np.float64]) -> NDArray[np.float64]:
        """``wd @ onehot``: per unit and territory, the weighted distances to its members."""
        if self.dense:
            return cast("NDArray[np.float64]", self.wd @ onehot)
        n = len(self.xy)
        weighted = onehot * self.w[:, None]
        out = np.empty((n, onehot.shape[1]))
        for lo in range(0, n, BLOCK):
            out[lo : lo + BLOCK] = self.rows(np.arange(lo, min(lo + BLOCK, n))) @ weighted
        return out

    def join(self, m: NDArray[np.int64], st: NDArray[np.float64]) -> NDArray[np.float64]:
        """Per unit: ``min over members i of st[i] + wd[m_i, unit]`` (a member as centre)."""
        if self.dense:
            return cast("NDArray[np.float64]", (st[:, None] + self.wd[m, :]).min(axis=0))
        out = np.full(len(self.xy), np.inf)
        for lo in range(0, len(m), BLOCK):
            part = st[lo : lo + BLOCK, None] + self.rows(m[lo : lo + BLOCK]) * self.w[None, :]
            np.minimum(out, part.min(axis=0), out=out)
        return out

    def leave(self, m: NDArray[np.int64], st: NDArray[np.float64]) -> NDArray[np.float64]:
        """Per member j: ``min over other members i of st[i] - wd[m_i, m_j]`` (the territory's
        dispersion once j has left, another member as centre)."""
        if self.dense:
            left = st[:, None] - self.wd[m][:, m]  # [v, u]: v's sum once u has left
            np.fill_diagonal(left, np.inf)
            return cast("NDArray[np.float64]", left.min(axis=0))
        out = np.empty(len(m))
        for lo in range(0, len(m), BLOCK):
            cols = np.arange(lo, min(lo + BLOCK, len(m)))
            left = st[:, None] - self.pair(m, m[cols]) * self.w[m[cols]][None, :]
            left[cols, np.arange(len(cols))] = np.inf
            out[cols] = left.min(axis=0)
        return out
