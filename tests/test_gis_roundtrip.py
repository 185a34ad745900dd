"""A territory file exported, (edited,) and imported back as a new scenario reproduces the plan
(issue 18, item 4): same territories (ids, reps, colours), same units in each, one undo step."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from planner.model.plan import Plan
from planner.model.store import Project
from planner.model.synthetic import CELL, ORIGIN, grid_project
from tests.clirun import dump, one_error_line, run
from tests.gis import AWKWARD, planned_project


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return planned_project(tmp_path / "p.tplan")


def _territory_ids(project: Path, scenario: str, accounts: bool = False) -> np.ndarray:
    """The territory id of each unit (or each account) in ``scenario`` (-1: none)."""
    with Project.open(project) as p:
        plan = Plan.load(p, scenario)
        a = plan.atoms
        index = plan.account_territories() if accounts else plan.alignment[: a.n_units]
        return np.where(index >= 0, np.append(a.territory_ids, -1)[index], -1)


def _import(capsys, project: Path, file: Path, *extra: str) -> tuple[int, dict, str]:
    code, out, err = run(capsys, "import-territories", project, file, "--scenario", "Back",
                         "--create-scenario", "--json", *extra)  # fmt: skip
    return code, json.loads(out) if out.strip() else {}, err


@pytest.mark.parametrize("name", ["plan.gpkg", "plan.zip", "plan.geojson"])
def test_an_exported_scenario_comes_back_as_a_new_scenario(project, tmp_path, capsys,
                                                           name) -> None:  # fmt: skip
    fmt = {"gpkg": "gpkg", "zip": "shp", "geojson": "geojson"}[name.rsplit(".", 1)[1]]
    out = tmp_path / name
    assert run(capsys, "export", project, "--format", fmt, out, "--scenario", "East")[0] == 0
    code, report, err = _import(capsys, project, out)
    assert code == 0, err
    assert report["scenario"] == "Back"
    assert report["territories_created"] == []
    assert np.array_equal(_territory_ids(project, "Back"), _territory_ids(project, "East"))
    with Project.open(project) as p:
        back, east = Plan.load(p, "Back"), Plan.load(p, "East")
        kept = {r["name"]: (r["id"], r["rep"], r["colour"]) for r in back.rows()}
        assert {r["name"]: (r["id"], r["rep"], r["colour"]) for r in east.rows()
                if r["name"] != "Empty"} == kept  # fmt: skip
        assert AWKWARD in kept
        assert [h["state"] for h in back.history()] == ["applied"]  # one undoable step
    assert run(capsys, "undo", project, "--scenario", "Back")[0] == 0
    assert np.array_equal(_territory_ids(project, "Back"), _territory_ids(project, "Baseline"))


def test_a_territory_reshaped_in_a_gis_moves_the_units_it_took(project, tmp_path,
                                                                capsys) -> None:  # fmt: skip
    out, edited = tmp_path / "plan.gpkg", tmp_path / "edited.gpkg"
    assert run(capsys, "export", project, "--format", "gpkg", out, "--scenario", "East")[0] == 0
    layer = gpd.read_file(out, layer="territories")
    x0, y0 = ORIGIN
    cell = shapely.box(x0 + 2 * CELL, y0, x0 + 3 * CELL, y0 + CELL)  # unit U2_0, now in T3
    t3 = layer["name"] == "T3"
    assert not layer.geometry[t3].iloc[0].contains(cell.centroid)
    layer.loc[t3, "geometry"] = layer.geometry[t3].union(cell)
    other = layer.geometry.intersects(cell.centroid) & ~t3
    layer.loc[other, "geometry"] = layer.geometry[other].difference(cell)
    pyogrio.write_dataframe(layer, edited, layer="territories")
    code, _, err = _import(capsys, project, edited)
    assert code == 0, err
    east, back = _territory_ids(project, "East"), _territory_ids(project, "Back")
    with Project.open(project) as p:
        codes = [str(c) for c in Plan.load(p).atoms.unit_codes]
    changed = [codes[i] for i in np.flatnonzero(east != back)]
    assert changed == ["U2_0"]
    assert back[codes.index("U2_0")] == back[codes.index("U0_0")]  # T3's id


def test_a_refused_import_leaves_no_scenario_and_the_project_unchanged(project, tmp_path,
                                                                       capsys) -> None:  # fmt: skip
    out, partial = tmp_path / "plan.gpkg", tmp_path / "partial.gpkg"
    assert run(capsys, "export", project, "--format", "gpkg", out, "--scenario", "East")[0] == 0
    layer = gpd.read_file(out, layer="territories")
    pyogrio.write_dataframe(layer[layer["name"] != "T1"], partial, layer="territories")
    before = dump(project)
    code, report, err = _import(capsys, project, partial)
    assert code == 1
    one_error_line(err, "would leave", "without one")
    assert report["refused"] is True
    assert dump(project) == before
    code, _, err = run(capsys, "import-territories", project, out, "--scenario", "East",
                       "--create-scenario")  # fmt: skip
    assert code == 1
    one_error_line(err, "already exists")
    assert dump(project) == before


def test_a_free_form_plan_comes_back_account_for_account(tmp_path, capsys) -> None:
    free = tmp_path / "free.tplan"
    grid_project(free, free_form=True).close()
    x0, y0 = ORIGIN
    stripes = gpd.GeoDataFrame(
        {"name": ["West", "Middle", "East"]},
        geometry=[shapely.box(x0 + i * 2 * CELL, y0, x0 + (i + 1) * 2 * CELL, y0 + 4 * CELL)
                  for i in range(3)],
        crs="EPSG:4326",
    )  # fmt: skip
    drawn = tmp_path / "drawn.gpkg"
    pyogrio.write_dataframe(stripes, drawn)
    assert run(capsys, "import-territories", free, drawn, "--replace")[0] == 0
    out = tmp_path / "plan.gpkg"
    code, stdout, _ = run(capsys, "export", free, "--format", "gpkg", out, "--json")
    assert code == 0
    data = json.loads(stdout)  # T1..T3 of the grid have no drawn shape: reported, not written
    assert data["layers"] == {"territories": 3}
    assert data["without_area"] == ["T1", "T2", "T3"]
    code, _, err = _import(capsys, free, out)
    assert code == 0, err
    back = _territory_ids(free, "Back", accounts=True)
    assert (back >= 0).all()
    assert np.array_equal(back, _territory_ids(free, "Baseline", accounts=True))
