"""Accounts in the order the map page draws them: sorted by their cell of a world grid.

The page keeps the located accounts sorted by their cell in a 4096 x 4096 Web Mercator grid, so
a redraw walks only the accounts in view (a few contiguous runs per grid row) and bins at small
zooms are counted from cells, not accounts (resources/map/accountdata.js). Sorting there cost
0.55-0.9 s of JavaScript at 1M accounts, most of the time the accounts layer took to appear
after its file was read; numpy sorts the same keys in ~0.1 s, and the page only reads the
columns in that order. The page still sorts small JSON layers itself, with the same grid: both
paths must agree on it (``GRID``, the Mercator formula, the clamping at the poles).

At 10M accounts the sort still costs ~3 s of CPU, at every open, for the same locations: the
window keeps it in the project's atom cache (group ``accountgrid``; every import that changes
accounts drops it with the rest, and a fingerprint of the tables guards it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from planner.model import atom_cache
from planner.model.store import Project

log = logging.getLogger(__name__)

#: Cells per axis over the whole Web Mercator world (accountdata.js ``G``).
GRID = 4096
#: Web Mercator's latitude limit: beyond it accounts are drawn at the edge.
MAX_LAT = 85.0511287798


@dataclass(frozen=True, eq=False)
class AccountGrid:
    """The located accounts in grid order (position ``k``); unlocated ones are left out.

    Attributes
    ----------
    order
        Position -> the account's index (the model's), int32.
    x, y
        Web Mercator coordinates (the world is 0..1) minus ``x0`` / ``y0``: float32 keeps
        ~1.5e-8 of the world, a pixel at zoom 18, only for offsets this small.
    x0, y0
        The north-west corner of the data.
    cell_keys
        The occupied cells, ascending (``row * GRID + column``).
    cell_start
        Where each occupied cell's accounts start, then ``m`` (the number located).
    unit
        Each located account's unit id by position (-1: none), when known: the static column
        of the page's layer, kept with the order so an open does not gather it again (a
        random gather of 10M accounts costs ~0.2-0.4 s).
    rank
        Index -> position (-1: unlocated), when known: an account's own assignment, which
        changes with the plan, goes to its position without a gather of every account.
    """

    order: NDArray[np.int32]
    x: NDArray[np.float32]
    y: NDArray[np.float32]
    x0: float
    y0: float
    cell_keys: NDArray[np.int32]
    cell_start: NDArray[np.int32]
    unit: NDArray[np.integer[Any]] | None = None
    rank: NDArray[np.int32] | None = None

    @property
    def m(self) -> int:
        return len(self.order)


def mercator(
    lon: NDArray[np.floating], lat: NDArray[np.floating]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Normalised Web Mercator (0..1 west to east, north to south) of degrees."""
    x = (np.asarray(lon, dtype=np.float64) + 180.0) / 360.0
    s = np.sin(np.radians(np.clip(np.asarray(lat, dtype=np.float64), -MAX_LAT, MAX_LAT)))
    y = 0.5 - np.log((1 + s) / (1 - s)) / (4 * np.pi)
    return x, y


def account_grid(lon: NDArray[np.floating], lat: NDArray[np.floating]) -> AccountGrid:
    """Sort the accounts at ``lon``/``lat`` (by index; NaN: unlocated) by grid cell, stably
    (accounts of one cell keep their index order)."""
    located = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
    wx, wy = mercator(lon[located], lat[located])
    gx = np.clip(np.floor(wx * GRID), 0, GRID - 1).astype(np.int32)
    gy = np.clip(np.floor(wy * GRID), 0, GRID - 1).astype(np.int32)
    keys = gy * GRID + gx
    sort = np.argsort(keys, kind="stable")
    keys = keys[sort]
    x0 = float(wx.min()) if len(wx) else 0.0
    y0 = float(wy.min()) if len(wy) else 0.0
    first = np.flatnonzero(np.diff(keys, prepend=-1)).astype(np.int32)
    return AccountGrid(
        order=located[sort].astype(np.int32),
        x=(wx[sort] - x0).astype(np.float32),
        y=(wy[sort] - y0).astype(np.float32),
        x0=x0,
        y0=y0,
        cell_keys=keys[first],
        cell_start=np.append(first, np.int32(len(keys))).astype(np.int32),
    )


CACHE_GROUP = "accountgrid"


def cached_grid(
    project: Project,
    lon: NDArray[np.floating],
    lat: NDArray[np.floating],
    unit: NDArray[np.integer[Any]] | None = None,
    *,
    stamp: dict[str, Any] | None = None,
) -> AccountGrid:
    """:func:`account_grid` of the project's accounts, from its atom cache when current, else
    computed and kept there (``lon``/``lat``: the accounts' locations, by index). With
    ``unit`` (each account's unit id, by index) the grid also carries it by position and the
    ranks (:class:`AccountGrid`), kept in the cache as well. ``stamp``: the fingerprint of the
    data ``lon``/``lat``/``unit`` come from (:attr:`AtomData.stamp`; None: the tables now)."""
    cached = atom_cache.read(project, CACHE_GROUP, stamp=stamp)
    grid = _from_cache(cached, len(lon)) if cached is not None else None
    if grid is not None and (unit is None or grid.unit is not None):
        return grid
    if grid is None:
        grid = account_grid(lon, lat)
    if unit is not None:
        grid = with_positions(grid, unit)
    atom_cache.write(project, _to_cache(grid), CACHE_GROUP, stamp=stamp)
    return grid


_PREFETCHED = "_prefetched_account_grid"


def prefetch(
    project: Project, lon: NDArray[np.floating], stamp: dict[str, Any] | None = None
) -> None:
    """Read the cached drawing order of the accounts at ``lon`` (the atoms' own array) now,
    for the next :func:`take_prefetched`: opening a project does it on a thread while the plan
    loads (~0.4-0.7 s of reading at 10M accounts that the map's first call waited for).
    Read only, best effort: a missing, stale or incomplete cache is left to
    :func:`cached_grid`."""
    try:
        cached = atom_cache.read(project, CACHE_GROUP, stamp=stamp)
    except Exception as exc:  # never fail an open because of the map's cache
        log.info("account grid of %s not read ahead: %s", project.location, exc)
        return
    grid = _from_cache(cached, len(lon)) if cached is not None else None
    if grid is not None and grid.unit is not None:
        project.__dict__[_PREFETCHED] = (lon, grid)


def take_prefetched(project: Project, lon: NDArray[np.floating]) -> AccountGrid | None:
    """The grid :func:`prefetch` read for these very locations (the same array object), once:
    it is not kept (200 MB at 10M accounts)."""
    found = project.__dict__.pop(_PREFETCHED, None)
    return found[1] if found is not None and found[0] is lon else None


def with_positions(grid: AccountGrid, unit: NDArray[np.integer[Any]]) -> AccountGrid:
    """``grid`` with :attr:`AccountGrid.unit` (``unit`` by index, taken by position) and
    :attr:`AccountGrid.rank` (``unit`` has one entry per account)."""
    rank = np.full(len(unit), -1, dtype=np.int32)
    rank[grid.order] = np.arange(grid.m, dtype=np.int32)
    return replace(grid, unit=narrow(unit[grid.order]), rank=rank)


def narrow_type(values: NDArray[np.integer[Any]]) -> type[np.int16] | type[np.int32]:
    """int16 when every value fits (unit and territory ids of most projects), else int32: the
    page reads either exactly."""
    if not len(values) or (values.min() >= -32768 and values.max() <= 32767):
        return np.int16
    return np.int32


def narrow(values: NDArray[np.integer[Any]]) -> NDArray[Any]:
    """``values`` as :func:`narrow_type`."""
    return values.astype(narrow_type(values))


def _to_cache(grid: AccountGrid) -> dict[str, NDArray[Any]]:
    arrays: dict[str, NDArray[Any]] = {
        "order": grid.order,
        "x": grid.x,
        "y": grid.y,
        "origin": np.array([grid.x0, grid.y0], dtype=np.float64),
        "cell_keys": grid.cell_keys,
        "cell_start": grid.cell_start,
    }
    if grid.unit is not None and grid.rank is not None:
        arrays |= {"unit": grid.unit, "rank": grid.rank}
    return arrays


def _from_cache(cached: dict[str, Any], n: int) -> AccountGrid | None:
    """The cached grid, or None if it does not fit ``n`` accounts (never drawn wrong)."""
    try:
        order, start, keys = cached["order"], cached["cell_start"], cached["cell_keys"]
        m = len(order)
        consistent = (
            m <= n
            and len(cached["x"]) == len(cached["y"]) == m
            and len(start) == len(keys) + 1
            and int(start[0]) == 0
            and int(start[-1]) == m
            and (m == 0 or (int(order.min()) >= 0 and int(order.max()) < n))
        )
        if not consistent:
            return None
        x0, y0 = (float(v) for v in cached["origin"])
        unit, rank = cached.get("unit"), cached.get("rank")
        if unit is None or rank is None or len(unit) != m or len(rank) != n:
            unit = rank = None  # an older cache, or one that does not fit: computed again
        return AccountGrid(order, cached["x"], cached["y"], x0, y0, keys, start, unit, rank)
    except (KeyError, TypeError, ValueError):
        return None
