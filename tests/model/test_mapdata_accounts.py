"""The binary accounts layer's data (issue 14): every account by index as typed arrays, no names,
no per-account Python object; after an edit only the changed accounts, by index."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text

from planner.model import mapdata, moves
from planner.model.atoms import FOLLOW
from planner.model.plan import Plan
from planner.model.store import Project
from planner.model.strings import StringColumn
from planner.model.synthetic import grid_project


def test_account_arrays_carry_every_account_by_index(grid: Project) -> None:
    plan = Plan.load(grid)
    a = plan.atoms
    arrays = mapdata.account_arrays(plan)
    assert arrays.n == a.n_accounts
    assert arrays.lon.dtype == np.float32
    assert arrays.lat.dtype == np.float32
    assert arrays.unit.dtype == np.int32
    assert arrays.own.dtype == np.int32
    np.testing.assert_allclose(arrays.lon, a.account_lon, atol=1e-5)
    np.testing.assert_allclose(arrays.lat, a.account_lat, atol=1e-5)
    assert arrays.unit.tolist() == a.unit_ids[a.account_unit].tolist()
    own = plan.alignment[a.n_units :]
    assert (arrays.own[own == FOLLOW] == mapdata.FOLLOW_UNIT).all()
    pinned = np.flatnonzero(own >= 0)
    assert len(pinned) == 2
    assert arrays.own[pinned].tolist() == a.territory_ids[own[pinned]].tolist()
    assert arrays.ids is a.account_ids  # not copied


def test_unassigned_and_unlocated_accounts_keep_their_index(tmp_path: Path) -> None:
    """The page's index of an account is the model's: an unlocated account (NaN, not drawn)
    still takes its place, so edits by index never shift onto a neighbour."""
    project = grid_project(tmp_path / "free.tplan", free_form=True)
    try:
        with project.transaction() as s:
            third = s.execute(text("SELECT id FROM account ORDER BY id LIMIT 1 OFFSET 2")).scalar()
            s.execute(text("UPDATE account SET lon = NULL, lat = NULL WHERE id = :i"), {"i": third})
        plan = Plan.load(project)
        a = plan.atoms
        plan.alignment[a.n_units + 3] = -1
        arrays = mapdata.account_arrays(plan)
        assert arrays.n == a.n_accounts
        assert np.isnan(arrays.lon[2])
        assert arrays.any_located
        assert np.isfinite(arrays.lon[3])
        assert arrays.own[3] == mapdata.UNASSIGNED_ID
        assert (arrays.unit == -1).all()  # free-form: no units
        assigned = np.flatnonzero(plan.alignment[a.n_units :] >= 0)
        own = plan.alignment[a.n_units :][assigned]
        assert arrays.own[assigned].tolist() == a.territory_ids[own].tolist()
    finally:
        project.close()


def test_an_empty_project_has_an_empty_layer(empty_project: Project) -> None:
    arrays = mapdata.account_arrays(Plan.load(empty_project))
    assert arrays.n == 0
    assert not arrays.any_located
    assert mapdata.own_codes(Plan.load(empty_project)).tolist() == []


def test_changed_atoms_name_units_by_id_and_accounts_by_index(grid: Project) -> None:
    plan = Plan.load(grid)
    a = plan.atoms
    ms = moves.for_units(plan, np.array([0, 1]), 2)
    plan.apply(ms)
    units, accounts = mapdata.changed_atoms(plan, ms)
    t3 = int(a.territory_ids[2])
    assert units == {int(a.unit_ids[0]): t3, int(a.unit_ids[1]): t3}
    assert len(accounts) == 0  # accounts that follow their unit: the page derives them
    pin = moves.for_pin(plan, 5, 1)
    plan.apply(pin)
    units, accounts = mapdata.changed_atoms(plan, pin)
    assert units == {}
    assert accounts.indices.tolist() == [5]
    assert accounts.codes.tolist() == [int(a.territory_ids[1])]
    plan.undo()
    assert mapdata.changed_atoms(plan, pin)[1].codes.tolist() == [mapdata.FOLLOW_UNIT]
    # The JSON form (by database id) says the same.
    assert mapdata.changed_assignments(plan, pin)[1] == {int(a.account_ids[5]): -2}


def test_differing_atoms_after_a_scenario_switch(grid: Project) -> None:
    plan = Plan.load(grid)
    a = plan.atoms
    before = plan.alignment.copy()
    plan.apply(moves.for_pin(plan, 7, 2))
    plan.apply(moves.for_pin(plan, 9, 0))
    units, accounts = mapdata.differing_atoms(plan, before)
    assert units == {}
    assert accounts.indices.tolist() == [7, 9]
    assert accounts.codes.tolist() == [int(a.territory_ids[2]), int(a.territory_ids[0])]


def test_ids_beyond_32_bits_are_refused_not_wrapped() -> None:
    big = np.array([2**31 + 5], dtype=np.int64)
    with pytest.raises(ValueError, match="32-bit"):
        mapdata._int32(big, "unit ids")


def test_bounds_cover_units_and_located_accounts_only(tmp_path: Path) -> None:
    project = grid_project(tmp_path / "b.tplan")
    try:
        with project.transaction() as s:  # one account far east, without a latitude
            s.execute(text("UPDATE account SET lon = 10.0, lat = NULL WHERE id = 1"))
        a = Plan.load(project).atoms
        lon = np.concatenate([a.unit_rep_lon, a.account_lon])
        lat = np.concatenate([a.unit_rep_lat, a.account_lat])
        ok = np.isfinite(lon) & np.isfinite(lat)
        assert np.isfinite(a.account_lon).sum() > ok.sum() - a.n_units  # the half-located one
        expected = (lat[ok].min(), lon[ok].min(), lat[ok].max(), lon[ok].max())
        assert mapdata.bounds(Plan.load(project)) == expected
    finally:
        project.close()


def test_an_empty_project_has_no_bounds(empty_project: Project) -> None:
    assert mapdata.bounds(Plan.load(empty_project)) is None


def test_a_tooltip_label_reads_one_row_not_every_name(grid: Project) -> None:
    """Names are lazy columns that load whole on first use (10M names: seconds): a hover asks
    for one account, read from its row; the columns stay unread."""
    plan = Plan.load(grid)
    a = plan.atoms
    with grid.transaction() as s:
        s.execute(text("UPDATE account SET name = 'Café <b>7</b>' WHERE id = :i"),
                  {"i": int(a.account_ids[7])})  # fmt: skip

    def unread() -> StringColumn:
        raise AssertionError("every account name was loaded for one tooltip")

    plan.atoms = dataclasses.replace(
        a, account_names=StringColumn.lazy(unread), account_ext_ids=StringColumn.lazy(unread)
    )
    ext = str(a.account_ext_ids[7])
    assert mapdata.account_label(plan, 7) == ("Café <b>7</b>", ext)
