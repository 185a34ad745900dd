"""SeenIds finds the first row of every id seen in an earlier chunk, hash collisions apart."""

from __future__ import annotations

import numpy as np

from planner.model.io._seen_ids import SeenIds, id_hashes


def test_first_rows_match_a_dictionary_over_many_chunks() -> None:
    rng = np.random.default_rng(3)
    seen, first = SeenIds(), {}
    row = 2
    for size in [5, 1, 300, 7, 64, 64, 1000, 3, 250, 2]:  # uneven chunks
        ids = [f"A{int(v)}" for v in rng.integers(0, 3000, size)]
        rows = np.arange(row, row + size)
        row += size
        h1, h2 = id_hashes(ids)
        found = seen.first_rows(h1, h2)
        assert found.tolist() == [first.get(i, -1) for i in ids]
        new = np.array([i not in first for i in ids]) & ~_repeats(ids)
        for i, r in zip(ids, rows.tolist(), strict=True):
            first.setdefault(i, r)
        seen.add(h1[new], h2[new], rows[new])


def _repeats(ids: list[str]) -> np.ndarray:
    out, met = np.zeros(len(ids), dtype=bool), set()
    for k, i in enumerate(ids):
        out[k] = i in met
        met.add(i)
    return out


def test_equal_first_hash_other_id_is_not_a_duplicate() -> None:
    seen = SeenIds()
    h1 = np.array([7, 7, 9], dtype=np.uint64)
    seen.add(h1, np.array([1, 2, 3], dtype=np.int64), np.array([10, 11, 12], dtype=np.int64))
    seen.add(
        np.array([7], dtype=np.uint64),
        np.array([4], dtype=np.int64),
        np.array([13], dtype=np.int64),
    )
    found = seen.first_rows(
        np.array([7, 7, 7, 7, 9], dtype=np.uint64), np.array([2, 5, 1, 4, 3], dtype=np.int64)
    )
    assert found.tolist() == [11, -1, 10, 13, 12]
