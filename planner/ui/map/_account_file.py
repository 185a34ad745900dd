"""The binary accounts layer on its way to the page: typed arrays in a file of the page's folder.

Why a file: at a million accounts the JSON text of the layer was 50 MB (2-3 s to build in Python,
5-11 s for Chromium to parse) and at ten million it exhausted memory. Measured on this machine
(benchmarks/map_accounts.py, 16 bytes per account): writing the arrays and reading them in the
page with an ``XMLHttpRequest`` for an ``ArrayBuffer`` took 0.11 s at 1M and 1.2 s at 10M;
base64 chunks through ``runJavaScript`` took 0.58 s and 3.3 s. The page may read the file: it lies
in the page's own folder, which the request interceptor allows (``_security``).

No per-account Python object is made: each column goes from numpy to the file as bytes, in the
narrowest type the page reads exactly (int16 when the ids fit), 8-byte aligned. The accounts are
sorted for drawing here too (``mapdata_grid``: numpy, ~6x faster than the page's own sort).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from planner.model.mapdata import FOLLOW_UNIT, AccountArrays
from planner.model.mapdata_grid import GRID, AccountGrid, account_grid, narrow, narrow_type

PREFIX = "accounts-"
_ALIGN = 8
_TYPES = {
    np.dtype(np.float32): "f32",
    np.dtype(np.float64): "f64",
    np.dtype(np.int16): "i16",
    np.dtype(np.int32): "i32",
}


def _own_columns(values: NDArray[np.int32], grid: AccountGrid) -> dict[str, NDArray[Any]]:
    """The own assignments (by index) in drawing order: ``own`` by position, or, when most
    accounts go with their unit (the usual case) and the grid knows the ranks, only the others
    as ``ownAt`` (positions) and ``ownCode``: at 10M accounts no 20 MB column to write and
    read, and no gather of every account."""
    if grid.rank is not None:
        other = np.flatnonzero(values != FOLLOW_UNIT)
        if 3 * len(other) < len(values):  # 6 bytes each against 2 for every account
            at = grid.rank[other]
            located = at >= 0
            order = np.argsort(at[located], kind="stable")
            return {
                "ownAt": at[located][order],
                "ownCode": np.asarray(values[other[located]][order], narrow_type(values)),
            }
    return {"own": narrow(values[grid.order])}


def _consecutive(ids: NDArray[np.int64]) -> bool:
    return (
        len(ids) > 0
        and int(ids[-1]) - int(ids[0]) == len(ids) - 1
        and bool((np.diff(ids) == 1).all())
    )


def file_path(folder: Path, layer: int) -> Path:
    return folder / f"{PREFIX}{layer}.bin"


def write_layer(folder: Path, layer: int, arrays: AccountArrays) -> dict[str, Any]:
    """Write ``arrays`` as layer number ``layer`` into ``folder``; return the header
    ``TP.loadAccounts`` takes (the file's URL, each column's type, offset and length).

    The located accounts go in the page's drawing order (``mapdata_grid``): their Web Mercator
    offsets, unit and own assignment by position (:func:`_own_columns`), ``order`` (position
    -> index) and the occupied grid cells; database ids, if not consecutive, by index."""
    grid = arrays.grid if arrays.grid is not None else account_grid(arrays.lon, arrays.lat)
    columns: dict[str, NDArray[Any]] = {
        "x": grid.x,
        "y": grid.y,
        "unit": narrow(arrays.unit[grid.order]) if grid.unit is None else grid.unit,
        **_own_columns(arrays.own, grid),
        "order": grid.order,
        "cellKeys": grid.cell_keys,
        "cellStart": grid.cell_start,
    }
    header: dict[str, Any] = {
        "layer": layer,
        "n": arrays.n,
        "m": grid.m,
        "x0": grid.x0,
        "y0": grid.y0,
        "grid": GRID,
        "fields": {},
    }
    if _consecutive(arrays.ids):
        header["idStart"] = int(arrays.ids[0])
    elif arrays.n:
        if np.abs(arrays.ids).max() > 2**53:
            raise ValueError("account ids beyond 2**53 cannot be sent to the map")
        columns["ids"] = arrays.ids.astype(np.float64)
    path = file_path(folder, layer)
    tmp = path.with_suffix(".tmp")
    offset = 0
    with open(tmp, "wb") as f:
        for name, values in columns.items():
            pad = -offset % _ALIGN
            f.write(b"\0" * pad)
            offset += pad
            data = np.ascontiguousarray(values)
            header["fields"][name] = {
                "type": _TYPES[data.dtype],
                "offset": offset,
                "length": len(data),
            }
            f.write(memoryview(data).cast("B"))
            offset += data.nbytes
    os.replace(tmp, path)
    header["bytes"] = offset
    header["url"] = path.resolve().as_uri()
    return header


def remove_layers(folder: Path, up_to: int | None = None) -> None:
    """Delete the layer files numbered ``up_to`` or lower (all if None): read or superseded."""
    for path in folder.glob(f"{PREFIX}*.bin"):
        number = path.stem.removeprefix(PREFIX)
        if number.isdigit() and (up_to is None or int(number) <= up_to):
            path.unlink(missing_ok=True)
