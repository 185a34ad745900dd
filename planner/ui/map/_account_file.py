"""The binary accounts layer on its way to the page: typed arrays in a file of the page's folder.

Why a file: at a million accounts the JSON text of the layer was 50 MB (2-3 s to build in Python,
5-11 s for Chromium to parse) and at ten million it exhausted memory. Measured on this machine
(benchmarks/map_accounts.py, 16 bytes per account): writing the arrays and reading them in the
page with an ``XMLHttpRequest`` for an ``ArrayBuffer`` took 0.11 s at 1M and 1.2 s at 10M;
base64 chunks through ``runJavaScript`` took 0.58 s and 3.3 s. The page may read the file: it lies
in the page's own folder, which the request interceptor allows (``_security``).

No per-account Python object is made: each column goes from numpy to the file as bytes, in the
narrowest type the page reads exactly (int16 when the ids fit), 8-byte aligned.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from planner.model.mapdata import AccountArrays

PREFIX = "accounts-"
_ALIGN = 8
_TYPES = {
    np.dtype(np.float32): "f32",
    np.dtype(np.float64): "f64",
    np.dtype(np.int16): "i16",
    np.dtype(np.int32): "i32",
}


def _narrow(values: NDArray[np.int32]) -> NDArray[Any]:
    """int16 when every value fits (unit and territory ids of most projects), else int32."""
    if not len(values) or (values.min() >= -32768 and values.max() <= 32767):
        return values.astype(np.int16)
    return values


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
    ``TP.loadAccounts`` takes (the file's URL, each column's type and offset)."""
    columns: dict[str, NDArray[Any]] = {
        "lon": arrays.lon.astype(np.float32, copy=False),
        "lat": arrays.lat.astype(np.float32, copy=False),
        "unit": _narrow(arrays.unit),
        "own": _narrow(arrays.own),
    }
    header: dict[str, Any] = {"layer": layer, "n": arrays.n, "fields": {}}
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
            header["fields"][name] = {"type": _TYPES[values.dtype], "offset": offset}
            data = np.ascontiguousarray(values)
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
