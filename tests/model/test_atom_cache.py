"""The atom cache (issue 14): a project opens as a memory copy, and the copy is never stale."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely
import shapely.affinity
from sqlalchemy import delete, insert, select, text, update

from planner.model import atom_cache, mapdata
from planner.model.atoms import load_atoms, read_arrays
from planner.model.io.accounts import import_accounts
from planner.model.io.related import import_related
from planner.model.io.units import import_units
from planner.model.loading import load_project
from planner.model.plan import Plan
from planner.model.progress import run_to_end
from planner.model.schema import Account, AtomCache
from planner.model.store import Project
from planner.model.strings import StringColumn
from planner.model.synthetic import grid_project


def arrays_equal(a: dict, b: dict) -> None:
    assert set(a) == set(b)
    for name in a:
        x, y = a[name], b[name]
        if isinstance(x, StringColumn) or isinstance(y, StringColumn):
            assert list(x) == list(y), name
        else:
            np.testing.assert_array_equal(np.asarray(x), np.asarray(y), err_msg=name)


def opened(path: Path) -> Plan:
    """What the window does: load the project (and keep its cache)."""
    return run_to_end(load_project(path)).plan


def test_the_window_keeps_a_cache_and_the_next_open_reads_it(tmp_path: Path) -> None:
    grid_project(tmp_path / "g.tplan", pins=2).close()
    first = opened(tmp_path / "g.tplan")
    cached = atom_cache.read(first.project)
    assert cached is not None
    arrays_equal(cached, read_arrays(first.project))  # the same arrays as the tables give
    second = opened(tmp_path / "g.tplan")
    assert second.rows() == first.rows()
    assert second.disruption() == first.disruption()


def test_commands_that_only_read_leave_the_file_alone(grid: Project) -> None:
    load_atoms(grid)
    with grid.session() as s:
        assert s.scalar(select(AtomCache.name)) is None


@pytest.mark.parametrize("kind", ["accounts", "units", "opportunities"])
def test_every_import_that_changes_the_figures_drops_the_cache(tmp_path: Path, kind: str) -> None:
    grid_project(tmp_path / "g.tplan").close()
    plan = opened(tmp_path / "g.tplan")
    project = plan.project
    before = plan.rows()
    if kind == "accounts":
        csv = tmp_path / "a.csv"
        csv.write_text("id,name,lat,lon,potential\nNEW1,New Co,33.15,-83.95,123456\n")
        import_accounts(project, csv)
    elif kind == "opportunities":
        csv = tmp_path / "o.csv"
        csv.write_text(
            "account_id,name,stage,amount,close_date\nA000001,Big,Proposal,777777,2027-01-01\n"
        )
        import_related(project, csv, "opportunities")
    else:
        geojson = tmp_path / "u.geojson"
        geojson.write_text(
            '{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
            '{"code":"EXTRA"},"geometry":{"type":"Polygon","coordinates":'
            "[[[-83.3,33.0],[-83.2,33.0],[-83.2,33.1],[-83.3,33.1],[-83.3,33.0]]]}}]}"
        )
        import_units(project, geojson)
    assert atom_cache.read(project) is None  # never used stale
    after = opened(tmp_path / "g.tplan")
    arrays_equal(atom_cache.read(after.project), read_arrays(after.project))
    assert after.rows() != before or kind == "units"


def test_a_damaged_cache_is_detected_and_rebuilt(tmp_path: Path) -> None:
    grid_project(tmp_path / "g.tplan").close()
    plan = opened(tmp_path / "g.tplan")
    with plan.project.transaction() as s:
        s.execute(update(AtomCache).where(AtomCache.name == "atoms/account_matrix.array")
                  .values(data=b"\x00" * 64))  # fmt: skip
    assert atom_cache.read(plan.project) is None
    again = opened(tmp_path / "g.tplan")
    assert again.rows() == plan.rows()
    assert atom_cache.read(again.project) is not None  # rewritten


def test_rows_written_behind_the_cache_are_seen(tmp_path: Path) -> None:
    """A program writing accounts without the importers (no data version) still cannot make
    the cache stale: the fingerprint counts rows."""
    grid_project(tmp_path / "g.tplan").close()
    plan = opened(tmp_path / "g.tplan")
    with plan.project.transaction() as s:
        s.execute(insert(Account).values(external_id="SQL1", name="Direct", potential=5.0))
    assert atom_cache.read(plan.project) is None
    assert opened(tmp_path / "g.tplan").atoms.n_accounts == plan.atoms.n_accounts + 1


def test_a_cache_from_another_schema_revision_is_not_used(tmp_path: Path) -> None:
    grid_project(tmp_path / "g.tplan").close()
    plan = opened(tmp_path / "g.tplan")
    meta = atom_cache.read(plan.project)
    assert meta is not None
    with plan.project.transaction() as s:
        raw = s.scalar(select(AtomCache.data).where(AtomCache.name == "atoms/meta"))
        s.execute(update(AtomCache).where(AtomCache.name == "atoms/meta")
                  .values(data=raw.replace(b'"schema": "', b'"schema": "old-')))  # fmt: skip
    assert atom_cache.read(plan.project) is None


def test_strings_index_like_object_arrays() -> None:
    names = ["Acme", "Bäcker & Söhne", "", "東京商事", "<b>x</b>"]
    col = StringColumn.from_strings(names)
    assert len(col) == 5
    assert col[1] == "Bäcker & Söhne"
    assert col[-1] == "<b>x</b>"
    assert list(col[[3, 0]]) == ["東京商事", "Acme"]
    assert list(col[np.array([False, True, False, True, False])]) == ["Bäcker & Söhne", "東京商事"]
    assert list(col[1:3]) == ["Bäcker & Söhne", ""]
    assert list(col) == names
    assert list(col.find("SÖH")) == [1]
    with pytest.raises(IndexError):
        col[5]


def test_names_are_read_when_first_asked_for_and_display_geometry_is_kept(tmp_path: Path) -> None:
    from planner.model.atoms import load_unit_geometries

    grid_project(tmp_path / "g.tplan").close()
    first = run_to_end(load_project(tmp_path / "g.tplan"))
    again = run_to_end(load_project(tmp_path / "g.tplan"))
    names = again.plan.atoms.account_names
    assert names._loader is not None  # not read at open
    assert names[7] == "Account 7"
    assert names._loader is not None  # one name read from the blobs, not the column
    assert list(names)[7] == "Account 7"
    assert names._loader is None
    assert list(again.plan.atoms.account_ext_ids[[0, 1]]) == ["A000000", "A000001"]
    assert [g.wkb for g in again.display] == [g.wkb for g in first.display]  # from the cache
    assert len(load_unit_geometries(again.plan.project)) == len(again.display)
    # The map's text of those polygons is kept too: the very text geometry_json writes.
    assert again.display_json == first.display_json == mapdata.geometry_json(again.display)
    assert atom_cache.read(again.plan.project, "displayjson") is not None


def test_the_maps_polygon_text_is_made_again_when_the_units_change(tmp_path: Path) -> None:
    """Units imported again (here: one unit's polygon moved): the cached display text is
    dropped with the data version and the next open writes the new polygon's text."""
    grid_project(tmp_path / "g.tplan").close()
    first = run_to_end(load_project(tmp_path / "g.tplan"))
    project = first.plan.project
    moved = shapely.affinity.translate(first.geometries[0], xoff=0.5)
    with project.transaction() as s:
        s.execute(text("UPDATE unit SET geometry = :g WHERE id = :i"),
                  {"g": shapely.to_wkb(moved), "i": int(first.plan.atoms.unit_ids[0])})  # fmt: skip
        atom_cache.invalidate(s)  # what every import does with the data version
    project.close()
    again = run_to_end(load_project(tmp_path / "g.tplan"))
    assert again.display_json == mapdata.geometry_json(again.display)
    assert again.display_json is not None
    assert first.display_json is not None
    assert again.display_json[0] != first.display_json[0]


def test_rows_deleted_behind_the_cache_are_seen_at_the_next_open(tmp_path: Path) -> None:
    """Counting 10M rows is counted once per open project; another program deleting a row
    that is not the last (largest ids unchanged) is still seen by the next open."""
    grid_project(tmp_path / "g.tplan").close()
    plan = opened(tmp_path / "g.tplan")
    first = int(plan.atoms.account_ids[0])
    assert atom_cache.read(plan.project) is not None  # counted once, reused
    other = Project.open(tmp_path / "g.tplan")
    with other.transaction() as s:
        s.execute(delete(Account).where(Account.id == first))
    other.close()
    assert opened(tmp_path / "g.tplan").atoms.n_accounts == plan.atoms.n_accounts - 1


def test_a_few_names_are_read_without_loading_the_column(tmp_path: Path) -> None:
    """A tooltip's or an alert list's names come straight from the cache's blobs; the whole
    column is loaded (and verified) only for more than PICK_MAX of them."""
    from planner.model.strings import PICK_MAX

    grid_project(tmp_path / "g.tplan").close()
    opened(tmp_path / "g.tplan")  # writes the cache
    fresh = read_arrays(Project.open(tmp_path / "g.tplan"))
    expected = list(fresh["account_names"])
    project = Project.open(tmp_path / "g.tplan")
    names = load_atoms(project).account_names
    n = len(expected)
    assert len(names) == n  # the length is known without reading anything
    assert names._loader is not None
    idx = np.array([3, 0, n - 1, 7, 3])
    assert list(names[idx]) == [expected[i] for i in idx]
    assert names[-1] == expected[-1]
    assert names[5] == expected[5]
    assert list(names[2:9:3]) == expected[2:9:3]
    mask = np.zeros(n, dtype=bool)
    mask[[1, 4]] = True
    assert list(names[mask]) == [expected[1], expected[4]]
    assert names._loader is not None  # still not loaded
    with pytest.raises(IndexError):
        names[n]
    assert n <= PICK_MAX
    assert list(names[np.arange(n)]) == expected  # every one, still picked
    assert list(names) == expected  # iterating loads the whole column
    assert names._loader is None
    project.close()


def test_damaged_string_blobs_are_never_shown(tmp_path: Path) -> None:
    """Offsets that point outside the data make a pick give up: the column is then loaded,
    its checksum fails and the names come from the account table."""
    grid_project(tmp_path / "g.tplan").close()
    opened(tmp_path / "g.tplan")
    expected = list(read_arrays(Project.open(tmp_path / "g.tplan"))["account_names"])
    project = Project.open(tmp_path / "g.tplan")
    names = load_atoms(project).account_names
    with project.transaction() as s:
        s.execute(update(AtomCache).where(AtomCache.name == "atoms/account_names.offsets")
                  .values(data=np.full(len(expected) + 1, 10**9, np.int64).tobytes()))  # fmt: skip
    assert names[2] == expected[2]
    assert list(names[np.array([0, 5])]) == [expected[0], expected[5]]
    project.close()
