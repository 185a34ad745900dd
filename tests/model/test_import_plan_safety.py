"""Issue 13 items 4 and 6: a plan import never wipes a scenario silently, is one undoable edit,
and every import moves the scenario version on, so a planner with it open cannot overwrite it
(or undo it as part of their own undo)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from planner.cli import main
from planner.model import moves
from planner.model.errors import ImportRefused
from planner.model.io.accounts import import_accounts
from planner.model.io.territories import import_territories
from planner.model.plan import Plan, StaleScenario
from planner.model.store import Project
from tests.model.importing import dump


def cli(capsys: pytest.CaptureFixture[str], *argv: Any) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_partial_plan_is_refused_and_the_baseline_kept(grid, tmp_path, capsys) -> None:
    header_only = tmp_path / "empty.csv"
    header_only.write_text("unit_code,territory\n")
    plan_csv = tmp_path / "plan.csv"
    plan_csv.write_text("unit_code,territory\nU0_0,T3\n")
    before = dump(grid)
    code, _, err = cli(capsys, "import-territories", grid.location, header_only)
    assert code == 1
    assert "no data rows; nothing imported" in err
    code, _, err = cli(capsys, "import-territories", grid.location, plan_csv)
    assert code == 1
    assert err.count("\n") == 1
    assert "would leave 23 of the 24 unit(s) that have a territory without one (U0_1," in err
    assert "--replace" in err
    assert dump(grid) == before
    # Asked for, it replaces everything - as one step that undo takes back.
    assert cli(capsys, "import-territories", grid.location, plan_csv, "--replace")[0] == 0
    replaced = Plan.load(Project.open(grid.location))
    assert int((replaced.alignment[: replaced.atoms.n_units] >= 0).sum()) == 1
    assert cli(capsys, "undo", grid.location)[0] == 0
    restored = Plan.load(Project.open(grid.location))
    assert restored.unassigned_accounts() == 0
    assert [h["kind"] for h in restored.history()] == ["import-territories"]


def test_a_polygon_file_with_swapped_coordinates_is_refused_with_a_hint(grid, tmp_path) -> None:
    # The grid lies at lon -84..-82.8, lat 33..33.8; the file has them the other way round.
    ring = [[33.0, -84.0], [33.8, -84.0], [33.8, -82.8], [33.0, -82.8], [33.0, -84.0]]
    path = tmp_path / "terr.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "All"},
         "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))  # fmt: skip
    before = dump(grid)
    with pytest.raises(ImportRefused, match="longitude and latitude swapped"):
        import_territories(grid, path)
    assert dump(grid) == before


def test_an_update_changes_only_what_the_file_lists_and_is_undoable(grid, tmp_path) -> None:
    plan = Plan.load(grid)
    original = plan.alignment.copy()
    path = tmp_path / "plan.csv"
    path.write_text("unit_code,territory\nU0_0,T3\nU0_1,Brand new\n")
    report = import_territories(grid, path, mode="update")
    assert report.extra["territories_created"] == ["Brand new"]
    after = Plan.load(Project.open(grid.location))
    a = after.atoms
    changed = {str(a.unit_codes[u]) for u in np.flatnonzero(after.alignment[: a.n_units]
                                                            != original[: a.n_units])}  # fmt: skip
    assert changed == {"U0_0", "U0_1"}
    assert after.rows()[-1]["name"] == "Brand new"
    after.undo()
    assert [str(n) for n in after.atoms.territory_names] == ["T1", "T2", "T3"]
    np.testing.assert_array_equal(after.alignment, original)


def test_an_import_into_an_open_scenario_makes_the_open_copy_stale(grid, tmp_path) -> None:
    open_in_window = Plan.load(grid)
    open_in_window.apply(moves.for_units(open_in_window, np.array([5]), 2))
    path = tmp_path / "plan.csv"
    path.write_text("unit_code,territory\nU0_0,T3\n")
    import_territories(Project.open(grid.location), path, mode="update")
    # The stale copy can neither edit nor undo (its undo would have reverted the import).
    with pytest.raises(StaleScenario, match=r"import plan\.csv"):
        open_in_window.apply(moves.for_units(open_in_window, np.array([6]), 2))
    with pytest.raises(StaleScenario):
        open_in_window.undo()
    fresh = Plan.load(Project.open(grid.location))
    assert fresh.alignment[0] == 2  # the import stands


def test_an_accounts_import_makes_every_open_scenario_stale_and_ends_undo(grid, tmp_path) -> None:
    open_in_window = Plan.load(grid)
    open_in_window.apply(moves.for_units(open_in_window, np.array([5]), 2))
    csv = tmp_path / "acc.csv"
    csv.write_text("id,name,lat,lon,potential\nNEW1,New Co,33.1,-83.9,1000\n")
    import_accounts(Project.open(grid.location), csv)
    with pytest.raises(StaleScenario, match="import accounts"):
        open_in_window.apply(moves.for_units(open_in_window, np.array([6]), 2))
    fresh = Plan.load(Project.open(grid.location))
    assert fresh.can_undo() is None  # undo does not cross a data import
    assert [h["kind"] for h in fresh.history()] == ["paint", "import-accounts"]
