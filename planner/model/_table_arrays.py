"""Read table columns into numpy arrays a block of rows at a time.

The cold path of :func:`planner.model.atoms.read_arrays` (a project whose atom cache is gone,
i.e. the first open after an import). ``pandas.read_sql`` holds the whole result as Python
objects before converting it: a row tuple and a boxed value per cell, several GB at ten million
accounts (the open was stopped at 13 GB). Here the cursor is drained ``BLOCK`` rows at a time and
each block is converted and copied into the arrays before the next is fetched, so only one
block's objects exist at once; numbers go through ``np.fromiter`` over the flattened tuples (the
fastest conversion of row tuples measured here, ~1.7x ``np.array(rows)``) and strings are
encoded per block into a :class:`~planner.model.strings.StringColumn`.

NULL cannot be told apart inside ``fromiter``, so numeric queries must return a number for every
cell (``COALESCE`` to a sentinel, turned back into NaN by the caller).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import text

from planner.model.store import Project
from planner.model.strings import StringColumn

#: Rows per fetch: a block of 8 numbers per row is ~50 MB of Python objects at most.
BLOCK = 100_000


def _blocks(project: Project, sql: str, params: Mapping[str, Any]) -> Iterator[list[Any]]:
    """Rows of ``sql`` (``:name`` parameters) ``BLOCK`` at a time."""
    with project.engine.connect() as conn:
        if project.is_sqlite:  # the DB-API cursor: no SQLAlchemy row object per row
            cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            try:
                cur.execute(sql, dict(params))
                while rows := cur.fetchmany(BLOCK):
                    yield rows
            finally:
                cur.close()
        else:
            result = conn.execution_options(stream_results=True).execute(text(sql), dict(params))
            while rows := result.fetchmany(BLOCK):
                yield [tuple(r) for r in rows]


def numbers(
    project: Project,
    sql: str,
    n_cols: int,
    expected: int = 0,
    params: Mapping[str, Any] | None = None,
) -> NDArray[np.float64]:
    """``(rows x n_cols)`` float64 of a query whose every cell is a number (no NULL); ids
    are exact up to 2**53. ``expected`` rows are allocated at once (a count read before)."""
    out = np.empty((max(expected, 0), n_cols), dtype=np.float64)
    filled = 0
    for rows in _blocks(project, sql, params or {}):
        k = len(rows)
        block = np.fromiter(
            itertools.chain.from_iterable(rows), dtype=np.float64, count=k * n_cols
        ).reshape(k, n_cols)
        if filled + k > len(out):  # rows added since the count: grow
            out = np.concatenate([out[:filled], np.empty((filled + k - len(out), n_cols))])
        out[filled : filled + k] = block
        filled += k
    return out[:filled]


def strings(project: Project, sql: str, n_cols: int) -> list[StringColumn]:
    """One :class:`StringColumn` per selected column (NULL reads as the empty string)."""
    data: list[list[bytes]] = [[] for _ in range(n_cols)]
    lengths: list[list[NDArray[np.int64]]] = [[] for _ in range(n_cols)]
    for rows in _blocks(project, sql, {}):
        for j, column in enumerate(zip(*rows, strict=True)):
            encoded = [b"" if v is None else str(v).encode("utf-8") for v in column]
            data[j].append(b"".join(encoded))
            lengths[j].append(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)))
    out = []
    for j in range(n_cols):
        size = np.concatenate(lengths[j]) if lengths[j] else np.zeros(0, np.int64)
        offsets = np.zeros(len(size) + 1, dtype=np.int64)
        np.cumsum(size, out=offsets[1:])
        out.append(StringColumn(np.frombuffer(b"".join(data[j]), dtype=np.uint8), offsets))
        data[j] = []
    return out
