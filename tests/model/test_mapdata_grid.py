"""Accounts sorted for the map page's drawing (mapdata_grid): the order the page relies on to
draw only what is in view must be exactly "by grid cell, then by index"."""

from __future__ import annotations

import numpy as np
from sqlalchemy import text

from planner.model import atom_cache, mapdata, mapdata_grid
from planner.model.mapdata_grid import (
    CACHE_GROUP,
    GRID,
    AccountGrid,
    account_grid,
    cached_grid,
    mercator,
)
from planner.model.plan import Plan
from planner.model.store import Project


def test_accounts_come_by_cell_then_by_index_and_unlocated_ones_are_left_out() -> None:
    rng = np.random.default_rng(5)
    n = 20_000
    lon = rng.uniform(-100.0, -99.0, n).astype(np.float32)
    lat = rng.uniform(38.0, 39.0, n).astype(np.float32)
    lon[::7] = np.nan  # unlocated
    lat[3] = np.nan
    g = account_grid(lon, lat)
    located = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
    assert g.m == len(located)
    assert sorted(g.order.tolist()) == located.tolist()
    # Each account's cell, computed here from the definition (row * GRID + column).
    wx, wy = mercator(lon[g.order], lat[g.order])
    keys = np.floor(wy * GRID).astype(np.int64) * GRID + np.floor(wx * GRID).astype(np.int64)
    assert (np.diff(keys) >= 0).all()
    same_cell = np.diff(keys) == 0
    assert (np.diff(g.order)[same_cell] > 0).all()  # stable: index order within a cell
    assert g.cell_keys.tolist() == np.unique(keys).tolist()
    assert g.cell_start[0] == 0
    assert g.cell_start[-1] == g.m
    for c in range(len(g.cell_keys)):
        a, b = g.cell_start[c], g.cell_start[c + 1]
        assert (keys[a:b] == g.cell_keys[c]).all()
    # Offsets from the north-west corner, exact to float32.
    assert g.x0 == wx.min()
    assert g.y0 == wy.min()
    np.testing.assert_allclose(g.x, wx - g.x0, atol=1e-8)
    np.testing.assert_allclose(g.y, wy - g.y0, atol=1e-8)


def test_known_cells_and_the_poles() -> None:
    lon = np.array([0.0, -180.0, 179.9999, 10.0], dtype=np.float32)
    lat = np.array([0.0, 89.9, -89.9, 0.0], dtype=np.float32)
    g = account_grid(lon, lat)
    half = GRID // 2
    cells = {
        int(i): int(k)
        for i, k in zip(g.order, np.repeat(g.cell_keys, np.diff(g.cell_start)), strict=True)
    }
    assert cells[0] == half * GRID + half  # the equator at Greenwich: the world's centre
    assert cells[1] == 0  # beyond Web Mercator's edge: clamped to the first row, first column
    assert cells[2] == (GRID - 1) * GRID + GRID - 1  # the last row and column
    assert cells[3] == half * GRID + int(np.floor((190 / 360) * GRID))
    assert g.order.tolist() == [1, 0, 3, 2]  # north to south, west to east


def test_no_located_accounts() -> None:
    g = account_grid(np.array([np.nan], dtype=np.float32), np.array([1.0], dtype=np.float32))
    assert g.m == 0
    assert g.cell_keys.tolist() == []
    assert g.cell_start.tolist() == [0]
    empty = account_grid(np.zeros(0, np.float32), np.zeros(0, np.float32))
    assert (empty.m, empty.x0, empty.y0) == (0, 0.0, 0.0)


def _same(a: AccountGrid, b: AccountGrid) -> bool:
    return (
        a.order.tolist() == b.order.tolist()
        and a.x.tolist() == b.x.tolist()
        and a.y.tolist() == b.y.tolist()
        and (a.x0, a.y0) == (b.x0, b.y0)
        and a.cell_keys.tolist() == b.cell_keys.tolist()
        and a.cell_start.tolist() == b.cell_start.tolist()
    )


def test_the_window_keeps_the_order_in_the_project_and_never_uses_it_stale(grid: Project) -> None:
    a = Plan.load(grid).atoms
    lon, lat = a.account_lon.astype(np.float32), a.account_lat.astype(np.float32)
    fresh = account_grid(lon, lat)
    assert atom_cache.read(grid, CACHE_GROUP) is None
    assert _same(cached_grid(grid, lon, lat), fresh)
    kept = atom_cache.read(grid, CACHE_GROUP)
    assert kept is not None
    assert _same(cached_grid(grid, lon, lat), fresh)
    # Read back from the cache, not computed: a cache for other locations would be used...
    moved = lon + np.float32(1.0)
    assert _same(cached_grid(grid, moved, lat), fresh)
    # ...which is why every import drops it (with the data version): then it is rebuilt.
    with grid.transaction() as s:
        atom_cache.invalidate(s)
    assert _same(cached_grid(grid, moved, lat), account_grid(moved, lat))
    # A cache that does not fit the accounts (here: fewer of them) is not used.
    assert _same(cached_grid(grid, lon[:10], lat[:10]), account_grid(lon[:10], lat[:10]))


def test_a_damaged_cache_is_rebuilt(grid: Project) -> None:
    a = Plan.load(grid).atoms
    lon, lat = a.account_lon.astype(np.float32), a.account_lat.astype(np.float32)
    cached_grid(grid, lon, lat)
    with grid.transaction() as s:
        s.execute(
            text("UPDATE atom_cache SET data = zeroblob(length(data)) WHERE name = :n"),
            {"n": f"{CACHE_GROUP}/order.array"},
        )
    assert _same(cached_grid(grid, lon, lat), account_grid(lon, lat))
    assert _same(cached_grid(grid, lon, lat), account_grid(lon, lat))


def test_map_layer_arrays_carry_the_cached_order(grid: Project) -> None:
    plan = Plan.load(grid)
    assert mapdata.account_arrays(plan).grid is None
    arrays = mapdata.account_arrays(plan, cached_order=True)
    assert arrays.grid is not None
    assert _same(arrays.grid, account_grid(arrays.lon, arrays.lat))


def test_the_cached_grid_keeps_units_by_position_and_ranks(grid: Project) -> None:
    """The window's grid also carries each located account's unit id by position and each
    account's position (-1: unlocated), kept in the cache; a cache written without them (an
    older one) gets them once, and a unit column of another length is never used."""
    plan = Plan.load(grid)
    a = plan.atoms
    lon, lat = a.account_lon.astype(np.float32), a.account_lat.astype(np.float32)
    lon[5] = np.nan  # one unlocated account
    unit = np.where(a.account_unit >= 0, a.unit_ids[a.account_unit], -1).astype(np.int32)
    cached_grid(grid, lon, lat)  # an older cache: order only
    assert set(atom_cache.read(grid, CACHE_GROUP) or {}) >= {"order"}
    assert "unit" not in (atom_cache.read(grid, CACHE_GROUP) or {})
    g = cached_grid(grid, lon, lat, unit)
    assert g.unit is not None
    assert g.rank is not None
    assert g.unit.tolist() == unit[g.order].tolist()
    assert g.unit.dtype == np.int16  # the ids fit
    assert g.rank[5] == -1
    assert (g.rank[g.order] == np.arange(g.m)).all()
    again = cached_grid(grid, lon, lat, unit)  # now read back
    assert again.unit is not None
    assert again.rank is not None
    assert again.unit.tolist() == g.unit.tolist()
    assert again.rank.tolist() == g.rank.tolist()
    assert "unit" in (atom_cache.read(grid, CACHE_GROUP) or {})
    # Fewer accounts than the cache knows (never the case with a current fingerprint, but a
    # wrong-length column would scatter accounts to wrong places): computed afresh.
    fewer = cached_grid(grid, lon[:10], lat[:10], unit[:10])
    assert fewer.rank is not None
    assert len(fewer.rank) == 10


def test_an_open_reads_the_order_ahead_once_and_only_for_its_own_accounts(grid: Project) -> None:
    """Opening a project reads the cached drawing order on a thread while the plan loads; the
    map gets the same order as read afterwards, once (200 MB at 10M accounts is not kept),
    and never for other locations."""
    from planner.model.loading import load_project
    from planner.model.progress import run_to_end

    path = grid.location
    expected = mapdata.account_arrays(Plan.load(grid), cached_order=True)  # keeps the cache
    assert expected.grid is not None
    assert expected.grid.unit is not None
    loaded = run_to_end(load_project(path))
    try:
        project, atoms = loaded.plan.project, loaded.plan.atoms
        other = atoms.account_lon.copy()
        assert mapdata_grid.take_prefetched(project, other) is None  # not these locations
        loaded.plan.project.close()
        loaded = run_to_end(load_project(path))
        project, atoms = loaded.plan.project, loaded.plan.atoms
        ahead = mapdata_grid.take_prefetched(project, atoms.account_lon)
        assert ahead is not None
        assert _same(ahead, expected.grid)
        assert ahead.unit.tolist() == expected.grid.unit.tolist()  # type: ignore[union-attr]
        assert mapdata_grid.take_prefetched(project, atoms.account_lon) is None  # once
        arrays = mapdata.account_arrays(loaded.plan, cached_order=True)  # from the cache again
        assert arrays.grid is not None
        assert _same(arrays.grid, expected.grid)
    finally:
        loaded.plan.project.close()
