"""Which ids of a streamed file were seen in an earlier chunk, without keeping the ids.

An account import rejects a repeated id as "duplicate of row N". With the file read in chunks,
the ids of earlier chunks are gone; a set of ten million Python strings would cost over a
gigabyte. Each id is kept as two independent 64-bit hashes (pandas' SipHash-2-4 with a fixed
key, Python's own string hash with the process's random key) and its row number, 24 bytes,
in arrays sorted by the first hash. Two different ids agree on both hashes with a probability
of about 2^-128 per pair: among ten million ids, about 10^-25 for the whole file.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

_KEY = "territoryplanner"  # 16 characters, as pandas' hash_array wants


def id_hashes(ids: Sequence[str]) -> tuple[NDArray[np.uint64], NDArray[np.int64]]:
    """The two hashes of each id."""
    values = np.asarray(ids, dtype=object)
    h1 = np.asarray(pd.util.hash_array(values, hash_key=_KEY, categorize=False), dtype=np.uint64)
    h2 = np.fromiter(map(hash, ids), dtype=np.int64, count=len(ids))
    return h1, h2


class SeenIds:
    """First occurrences of ids so far: their hashes and row numbers, sorted by hash."""

    def __init__(self) -> None:
        self.h1 = np.zeros(0, dtype=np.uint64)
        self.h2 = np.zeros(0, dtype=np.int64)
        self.rows = np.zeros(0, dtype=np.int64)

    def first_rows(self, h1: NDArray[np.uint64], h2: NDArray[np.int64]) -> NDArray[np.int64]:
        """Row of the earlier occurrence of each id, -1 for ids not seen before."""
        out = np.full(len(h1), -1, dtype=np.int64)
        n = len(self.h1)
        if n == 0 or len(h1) == 0:
            return out
        order = np.argsort(h1)  # sorted keys: each search starts where the last ended, so
        pos = np.empty(len(h1), dtype=np.intp)  # 10M seen ids cost no random walks
        pos[order] = np.searchsorted(self.h1, h1[order])
        at = np.minimum(pos, n - 1)
        hit = (pos < n) & (self.h1[at] == h1)
        same = hit & (self.h2[at] == h2)
        out[same] = self.rows[at[same]]
        for i in np.flatnonzero(hit & ~same):  # equal first hashes, other ids: look further
            j = int(pos[i])
            while j < n and self.h1[j] == h1[i]:
                if self.h2[j] == h2[i]:
                    out[i] = self.rows[j]
                    break
                j += 1
        return out

    def add(self, h1: NDArray[np.uint64], h2: NDArray[np.int64], rows: NDArray[np.int64]) -> None:
        """Add ids not seen before (the caller has checked) with their row numbers."""
        if len(h1) == 0:
            return
        order = np.argsort(h1, kind="stable")
        h1, h2, rows = h1[order], h2[order], rows[order]
        at = np.searchsorted(self.h1, h1)
        self.h1 = np.insert(self.h1, at, h1)
        self.h2 = np.insert(self.h2, at, h2)
        self.rows = np.insert(self.rows, at, rows)
