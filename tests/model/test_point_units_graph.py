"""Point units, given adjacency and imported metrics through the ``planner`` command."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
import shapely

from planner.model.atoms import load_unit_geometries
from planner.model.measures import pieces
from planner.model.plan import Plan
from planner.model.planar import edges_to_graph
from planner.model.store import Project
from planner.model.synthetic import grid_project
from planner.model.unit_graph import given_edges
from tests.clirun import dump, one_error_line, run


def _write(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _points(tmp: Path, n_x: int = 6, n_y: int = 2, jitter: float = 0.0) -> Path:
    rng = np.random.default_rng(0)
    rows = []
    for j in range(n_y):
        for i in range(n_x):
            x, y = 1000 * i + rng.uniform(-jitter, jitter), 1000 * j + rng.uniform(-jitter, jitter)
            rows.append(f"P{j}{i},{x},{y},10,{3 + i},north side" if j else
                        f"P{j}{i},{x},{y},10,{3 + i},south side")  # fmt: skip
    return _write(tmp / "units.csv", "id,x,y,calls,volume,note", rows)


def _new_points(tmp: Path, capsys: pytest.CaptureFixture[str], **kw: int) -> Path:
    proj = tmp / "p.tplan"
    assert run(capsys, "new", proj)[0] == 0
    code, _, err = run(capsys, "import-units", proj, _points(tmp, **kw), "--x", "x", "--y", "y",
                         "--crs", "EPSG:3857", "--code-field", "id", "--json")  # fmt: skip
    assert code == 0, err
    return proj


def test_point_units_get_cells_that_tile_the_hull_and_hold_their_point(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proj = _new_points(tmp_path, capsys, n_x=7, n_y=5, jitter=300)
    p = Project.open(proj)
    try:
        cells = load_unit_geometries(p)
        plan = Plan.load(p)
        pts = shapely.points(plan.atoms.unit_rep_lon, plan.atoms.unit_rep_lat)
    finally:
        p.close()
    assert len(cells) == 35
    assert shapely.contains(cells, pts).all()  # every point inside its own cell
    union = shapely.union_all(cells)
    assert sum(shapely.area(cells)) == pytest.approx(union.area, rel=1e-9)  # no overlaps
    hull = shapely.convex_hull(shapely.multipoints(pts))
    assert union.contains(hull)  # the cells cover the (buffered) hull


def test_unknown_numeric_columns_are_kept_listed_and_balanced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proj = _new_points(tmp_path, capsys)
    code, out, _ = run(capsys, "metrics", proj, "--json")
    listed = {m["name"]: m for m in json.loads(out)["metrics"]}
    assert listed["volume"]["source"] == "unit attribute"
    assert listed["volume"]["total"] == sum(2 * (3 + i) for i in range(6))
    assert "note" not in listed  # text column: not a metric
    code, out, err = run(capsys, "optimize", proj, "--from-scratch", "2", "--out-scenario", "S",
                         "--metrics", "volume:0.05,calls:0.01", "--time-limit", "3",
                         "--json")  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert data["balanced"] is True
    assert data["measures"]["metrics"]["volume"]["within_tolerance"] is True
    assert data["measures"]["metrics"]["calls"]["tolerance"] == 0.01
    code, _, err = run(capsys, "optimize", proj, "--from-scratch", "2", "--out-scenario", "T",
                       "--metrics", "colour")  # fmt: skip
    one_error_line(err, "unknown metric 'colour'", "volume")


def test_optimize_json_names_the_territory_and_metric_out_of_tolerance(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proj = _new_points(tmp_path, capsys)
    # 12 units of 10 calls in 5 territories: 24 calls each is impossible within 1 %.
    _, out, _ = run(capsys, "optimize", proj, "--from-scratch", "5", "--out-scenario", "S",
                       "--metrics", "calls:0.01", "--time-limit", "1", "--json")  # fmt: skip
    data = json.loads(out)
    assert data["balanced"] is False
    assert data["measures"]["metrics"]["calls"]["within_tolerance"] is False
    worst = data["measures"]["out_of_tolerance"][0]
    assert worst["metric"] == "calls"
    assert abs(worst["deviation"]) > 0.01
    assert worst["territory"].startswith("Auto")


def test_given_adjacency_is_the_graph_territories_must_be_connected_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 6x2 grid whose given graph is one path (along the bottom, up at the right end, back
    along the top): a 2x2 block is connected by contiguity, and the most compact shape, but
    not connected in the path. Every territory must be a run of the path."""
    proj = _new_points(tmp_path, capsys)
    path = [f"P0{i}" for i in range(6)] + [f"P1{i}" for i in reversed(range(6))]
    edges = _write(tmp_path / "edges.csv", "a,b", [f"{a},{b}" for a, b in itertools.pairwise(path)])
    code, out, err = run(capsys, "import-adjacency", proj, edges, "--json")
    assert code == 0, err
    code, out, _ = run(capsys, "adjacency", proj, "--json")
    assert json.loads(out) | {"component_sizes": None} == {
        "source": "given",
        "nodes": 12,
        "edges": 11,
        "components": 1,
        "component_sizes": None,
    }
    for seed in range(3):
        name = f"S{seed}"
        code, out, err = run(capsys, "optimize", proj, "--from-scratch", "3", "--out-scenario",
                             name, "--metrics", "calls:0.0001", "--compactness", "dispersion",
                             "--time-limit", "2", "--seed", seed, "--json")  # fmt: skip
        assert code == 0, err
        assert json.loads(out)["balanced"] is True
        p = Project.open(proj)
        try:
            plan = Plan.load(p, name)
            labels = plan.alignment[: plan.atoms.n_units].astype(np.int64)
            graph = edges_to_graph(given_edges(p), plan.atoms.n_units)
        finally:
            p.close()
        assert (pieces(graph, labels) == 1).all()


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["U0_0,U1_0", "U1_0,NOPE"], "row 3, field 'b': unknown unit code 'NOPE'"),
        (["U0_0,U1_0", "U2_0,U2_0"], "row 3: unit 'U2_0' is linked to itself"),
        (["U0_0,U1_0"], "separate parts but the plan has 3 territories"),
    ],
)
def test_bad_adjacency_files_are_refused_and_nothing_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rows: list[str], message: str
) -> None:
    proj = tmp_path / "g.tplan"
    grid_project(proj, territories=3).close()
    before = dump(proj)
    code, _, err = run(capsys, "import-adjacency", proj, _write(tmp_path / "e.csv", "a,b", rows))
    assert code == 1
    one_error_line(err, "e.csv", message, "nothing imported")
    assert dump(proj) == before


def test_optimize_refuses_fewer_territories_than_parts_of_the_given_graph(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proj = _new_points(tmp_path, capsys)  # no territories yet: the import only warns
    rows = [f"P0{i},P0{i + 1}" for i in range(5)] + ["P10,P11", "P11,P12", "P13,P14", "P14,P15"]
    code, out, err = run(capsys, "import-adjacency", proj, _write(tmp_path / "e.csv", "a,b", rows),
                         "--json")  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["components"] == 3
    before = dump(proj)
    code, _, err = run(capsys, "optimize", proj, "--from-scratch", "2", "--out-scenario", "S",
                       "--metrics", "calls")  # fmt: skip
    assert code == 1
    one_error_line(err, "the unit graph has 3 separate parts", "build at least 3")
    assert dump(proj) == before


def test_point_cells_are_clipped_to_a_given_boundary_and_outside_points_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import geopandas as gpd
    from pyproj import Transformer

    back = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
    ring = [back.transform(x, y) for x, y in ((-600, -600), (5600, -600), (5600, 1600),
                                               (-600, 1600))]  # fmt: skip
    area = shapely.Polygon(ring)
    boundary = tmp_path / "area.geojson"
    gpd.GeoDataFrame({"name": ["area"]}, geometry=[area], crs="EPSG:4326").to_file(boundary)
    proj = tmp_path / "p.tplan"
    run(capsys, "new", proj)
    code, _, err = run(capsys, "import-units", proj, _points(tmp_path), "--x", "x", "--y", "y",
                       "--crs", "EPSG:3857", "--code-field", "id",
                       "--boundary", boundary)  # fmt: skip
    assert code == 0, err
    p = Project.open(proj)
    try:
        cells = load_unit_geometries(p)
    finally:
        p.close()
    union = shapely.union_all(cells)
    assert union.symmetric_difference(area).area < 1e-9 * area.area  # exactly the boundary
    far = _write(tmp_path / "far.csv", "id,x,y", ["A,0,0", "B,9000,9000"])
    before = dump(proj)
    code, _, err = run(capsys, "import-units", proj, far, "--x", "x", "--y", "y", "--crs",
                       "EPSG:3857", "--code-field", "id", "--boundary", boundary)  # fmt: skip
    assert code == 1
    one_error_line(err, "far.csv", "row 3", "outside the boundary")
    assert dump(proj) == before
