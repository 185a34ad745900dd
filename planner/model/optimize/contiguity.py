"""Exact contiguity of a move's donor: does territory ``t`` stay connected without unit ``u``?

Every move of the search asks it, so it must be cheap in the usual case (the neighbours of
``u`` in ``t`` touch each other: one ring) and bounded otherwise (lockstep searches from each
group of neighbours stop as soon as the groups meet or the smaller side runs out).
"""

from __future__ import annotations

from collections import deque

import numpy as np
from numpy.typing import NDArray


class Contiguity:
    """The unit graph (CSR arrays) and the refusals remembered until the territory changes."""

    def __init__(self, indptr: NDArray[np.int32], indices: NDArray[np.int32]) -> None:
        self.indptr, self.indices = indptr, indices
        #: unit -> (territory, its version) of the last refusal.
        self.failed: dict[int, tuple[int, int]] = {}

    def can_leave(
        self, assign: NDArray[np.int64], version: NDArray[np.int64], u: int, t: int
    ) -> bool:
        """True when territory ``t`` stays connected without unit ``u`` (exact).

        The neighbours of u in t are grouped by the edges among them (usually one group: done).
        Otherwise one BFS per group runs in lockstep until the groups meet (connected) or one
        group runs out of units (u is a cut vertex), so the cost is bounded by the smaller
        side. A refusal is remembered until ``t`` changes.
        """
        ip, ix, a = self.indptr, self.indices, assign
        nb = [int(v) for v in ix[ip[u] : ip[u + 1]] if a[v] == t]
        if len(nb) <= 1:
            return True
        ring = set(nb)
        label: dict[int, int] = {}
        groups = 0
        for start in nb:
            if start in label:
                continue
            label[start] = groups
            stack = [start]
            while stack:
                x = stack.pop()
                for v in ix[ip[x] : ip[x + 1]].tolist():
                    if v in ring and v not in label:
                        label[v] = groups
                        stack.append(v)
            groups += 1
        if groups == 1:
            return True
        if self.failed.get(u) == (t, int(version[t])):
            return False
        ok = self._groups_meet(a, u, t, label, groups)
        if not ok:
            self.failed[u] = (t, int(version[t]))
        return ok

    def _groups_meet(
        self, a: NDArray[np.int64], u: int, t: int, label: dict[int, int], groups: int
    ) -> bool:
        ip, ix = self.indptr, self.indices
        parent = list(range(groups))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        queues = [deque(v for v, g in label.items() if g == i) for i in range(groups)]
        label[u] = -1
        roots = groups
        while roots > 1:
            alive = [False] * groups
            for i in range(groups):
                if queues[i]:
                    alive[find(i)] = True
            if not all(alive[r] for r in {find(i) for i in range(groups)}):
                return False  # a group is exhausted: it is cut off without u
            for i in range(groups):
                if not queues[i]:
                    continue
                x = queues[i].popleft()
                for v in ix[ip[x] : ip[x + 1]].tolist():
                    if a[v] != t:
                        continue
                    g = label.get(v)
                    if g is None:
                        label[v] = i
                        queues[i].append(v)
                    elif g >= 0 and find(g) != find(i):
                        parent[find(g)] = find(i)
                        roots -= 1
        return True
