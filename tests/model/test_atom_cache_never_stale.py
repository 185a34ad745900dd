"""The atom cache is never used stale (issue 14), beyond tests/model/test_atom_cache.py: the
imports that keep it (territories, contacts, activities) and an upsert that changes figures
without changing a row count, a real schema migration, and any project giving the same results
opened with and without the cache (property test)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.model import atom_cache, moves
from planner.model.atoms import account_territories, load_atoms, read_arrays
from planner.model.database import alembic_config, current_revision, head_revision, upgrade
from planner.model.io.accounts import import_accounts
from planner.model.io.related import import_related
from planner.model.io.territories import import_territories
from planner.model.loading import load_project
from planner.model.plan import Plan
from planner.model.progress import run_to_end
from planner.model.store import Project
from planner.model.synthetic import grid_project
from tests.model.test_atom_cache import arrays_equal, opened


def _import(project: Project, tmp_path: Path, kind: str) -> None:
    csv = tmp_path / f"{kind}.csv"
    if kind == "accounts-upsert":  # same rows, other figures: only the data version tells
        csv.write_text("id,name,potential,revenue\nA000001,Renamed Co,999999,123\n")
        import_accounts(project, csv)
    elif kind == "territories":
        csv.write_text("unit_code,territory\nU0_0,North\nU1_0,North\nU2_0,South\n")
        import_territories(project, csv, mode="update")
    elif kind == "contacts":
        csv.write_text("account_id,name,email\nA000001,Ann Lee,ann@example.com\n")
        import_related(project, csv, "contacts")
    else:
        csv.write_text("account_id,type,date,summary\nA000001,Visit,2026-01-05,Demo\n")
        import_related(project, csv, "activities")


@pytest.mark.parametrize("kind", ["accounts-upsert", "territories", "contacts", "activities"])
def test_after_every_other_import_the_arrays_opened_are_the_tables(
    tmp_path: Path, kind: str
) -> None:
    grid_project(tmp_path / "g.tplan").close()
    plan = opened(tmp_path / "g.tplan")
    _import(plan.project, tmp_path, kind)
    cached = atom_cache.read(plan.project)
    if kind == "accounts-upsert":
        assert cached is None  # the figures changed: dropped with the row counts unchanged
    else:
        assert cached is not None  # nothing the arrays hold changed: still valid ...
        arrays_equal(cached, read_arrays(plan.project))  # ... and equal to the tables
    again = opened(tmp_path / "g.tplan")
    arrays_equal(atom_cache.read(again.project), read_arrays(again.project))
    if kind == "accounts-upsert":
        i = again.atoms.account_index()[int(again.atoms.account_ids[1])]
        assert again.atoms.account_names[i] == "Renamed Co"
        assert again.atoms.account_matrix[i, 1] == 999999


def test_a_schema_migration_rebuilds_the_cache(tmp_path: Path) -> None:
    """A cache written under an older schema is not used once the project is migrated: the
    cache as the previous schema left it (its fingerprint names that revision), then the
    migration to the head."""
    import json

    from alembic import command
    from sqlalchemy import select, update

    from planner.model.schema import AtomCache

    grid_project(tmp_path / "g.tplan").close()
    plan = opened(tmp_path / "g.tplan")
    before = plan.rows()
    engine = plan.project.engine
    with plan.project.transaction() as s:  # the cache as the previous schema wrote it
        raw = s.scalar(select(AtomCache.data).where(AtomCache.name == "atoms/meta"))
        meta = json.loads(bytes(raw).decode("utf-8"))
        previous = meta["fingerprint"]["schema"]
        meta["fingerprint"]["schema"] = "0007"
        s.execute(update(AtomCache).where(AtomCache.name == "atoms/meta")
                  .values(data=json.dumps(meta).encode("utf-8")))  # fmt: skip
    plan.project.close()
    command.downgrade(alembic_config(engine), "-1")
    assert current_revision(engine) != head_revision() == previous
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    project = Project.open(tmp_path / "g.tplan")
    assert atom_cache.read(project) is None  # what was cached before the migration is not used
    project.close()
    again = opened(tmp_path / "g.tplan")
    assert atom_cache.read(again.project) is not None  # rebuilt
    arrays_equal(atom_cache.read(again.project), read_arrays(again.project))
    assert again.rows() == before


def _results(plan: Plan) -> tuple[object, ...]:
    lasso = shapely.box(-84.0, 33.0, -83.75, 33.2)
    preview = plan.preview(moves.for_polygon(plan, lasso, 0))
    return (
        plan.rows(),
        plan.disruption(),
        plan.summary(),
        account_territories(plan.atoms, plan.alignment).tolist(),
        list(plan.atoms.account_names),
        list(plan.atoms.account_ext_ids),
        (preview.units, preview.accounts, preview.moved, repr(preview.territories)),
    )


@given(
    nx=st.integers(1, 5),
    ny=st.integers(1, 4),
    per_unit=st.integers(1, 4),
    territories=st.integers(1, 4),
    pins=st.integers(0, 3),
    free_form=st.booleans(),
    seed=st.integers(0, 1000),
)
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_results_are_identical_with_and_without_the_cache(
    tmp_path_factory: pytest.TempPathFactory,
    nx: int,
    ny: int,
    per_unit: int,
    territories: int,
    pins: int,
    free_form: bool,
    seed: int,
) -> None:
    path = tmp_path_factory.mktemp("p") / "p.tplan"
    grid_project(path, nx=nx, ny=ny, accounts_per_unit=per_unit, territories=min(territories, nx),
                 pins=0 if free_form else min(pins, nx * ny * per_unit), seed=seed,
                 free_form=free_form).close()  # fmt: skip
    with Project.open(path) as project:  # no cache: the tables
        plain = Plan.load(project, atoms=load_atoms(project))
        expected = _results(plain)
        arrays = read_arrays(project)
    first = run_to_end(load_project(path))  # writes the cache
    second = run_to_end(load_project(path))  # reads it
    try:
        cached = atom_cache.read(second.plan.project)
        assert cached is not None
        arrays_equal(cached, arrays)
        for key in ("account_matrix", "account_lon", "account_unit", "unit_travel_lon"):
            np.testing.assert_array_equal(getattr(second.plan.atoms, key), arrays[key])
        assert _results(second.plan) == expected
        assert _results(first.plan) == expected
    finally:
        first.plan.project.close()
        second.plan.project.close()


def test_what_a_window_keeps_after_another_programs_import_is_not_used(tmp_path: Path) -> None:
    """A window holds a project's arrays; another program imports accounts (the figures
    change); the window then keeps what it derives from the arrays it holds (the map's drawing
    order, the atom arrays themselves when it read them just before the import): each kept for
    the data it came from, so the next open, of the new data, derives them again."""
    from planner.model import mapdata, mapdata_grid

    path = tmp_path / "g.tplan"
    grid_project(path).close()
    window = opened(path)  # keeps its caches; the import below drops them all
    other = Project.open(path)
    _import(other, tmp_path, "accounts-upsert")
    mapdata.account_arrays(window, cached_order=True)  # the map's first call, after it
    fresh = Project.open(path)
    assert atom_cache.read(fresh, mapdata_grid.CACHE_GROUP) is None  # not the new data's
    assert atom_cache.read(window.project, mapdata_grid.CACHE_GROUP, stamp=window.atoms.stamp)
    fresh.close()

    # the arrays read from the tables, then the import, then the window keeps them
    import planner.model.atoms as atoms_module

    original = atoms_module.read_arrays

    def read_then_import(project: Project) -> dict:
        arrays = original(project)
        (tmp_path / "accounts-upsert.csv").unlink()
        csv = tmp_path / "again.csv"
        csv.write_text("id,name,potential,revenue\nA000001,Again Co,5,6\n")
        import_accounts(other, csv)
        return arrays

    atoms_module.read_arrays = read_then_import  # type: ignore[assignment]
    try:
        load_atoms(Project.open(path), keep_cache=True)
    finally:
        atoms_module.read_arrays = original  # type: ignore[assignment]
    fresh = Project.open(path)
    cached = atom_cache.read(fresh)
    assert cached is None or cached["account_names"][1] == "Again Co"
    again = opened(path)
    i = again.atoms.account_index()[int(again.atoms.account_ids[1])]
    assert again.atoms.account_names[i] == "Again Co"
    assert again.atoms.account_matrix[i, 1] == 5
    other.close()
    fresh.close()
