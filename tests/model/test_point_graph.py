"""The derived graph of point units: Delaunay without its long edges, still in one piece."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse

from planner.model.planar import delaunay_graph
from planner.model.store import Project
from planner.model.unit_graph import project_graph
from tests.clirun import one_error_line, run

GAP = 20_000.0  # metres between the two clusters (the points are 1,000 m apart)


def _two_clusters(tmp: Path) -> Path:
    rows = ["id,x,y,calls"]
    for c, x0 in enumerate((0.0, GAP)):
        rows += [f"C{c}_{i}_{j},{x0 + 1000 * i},{1000 * j},10" for i in range(4) for j in range(3)]
    path = tmp / "units.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _import(tmp: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> Path:
    proj = tmp / "p.tplan"
    assert run(capsys, "new", proj)[0] == 0
    code, _, err = run(capsys, "import-units", proj, _two_clusters(tmp), "--x", "x", "--y", "y",
                       "--crs", "EPSG:3857", "--code-field", "id", *extra)  # fmt: skip
    assert code == 0, err
    return proj


def _bridges(proj: Path, queen: bool = False) -> int:
    """Edges between the two clusters in the project's graph (or the cells' contiguity)."""
    from planner.model.atoms import load_unit_geometries
    from planner.model.geo import adjacency
    from planner.model.schema import Unit

    p = Project.open(proj)
    try:
        graph = adjacency(load_unit_geometries(p))[0] if queen else project_graph(p)[0]
        with p.session() as s:
            codes = [c for (c,) in s.query(Unit.code).order_by(Unit.id)]
    finally:
        p.close()
    side = np.array([c.startswith("C1") for c in codes])
    rows, cols = sparse.triu(graph, k=1).nonzero()
    return int((side[rows] != side[cols]).sum())


def test_point_units_are_joined_by_delaunay_without_the_long_edges(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proj = _import(tmp_path, capsys)
    _, out, _ = run(capsys, "adjacency", proj, "--json")
    data = json.loads(out)
    assert data["source"] == "delaunay"
    assert data["components"] == 1  # one long edge is put back: the clusters stay reachable
    assert data["delaunay"]["max_edge"] == 3.0
    assert data["delaunay"]["dropped_edges"] >= 2
    assert data["delaunay"]["relinked_edges"] == 1
    assert _bridges(proj) == 1
    # The display cells of the buffered hull touch across the gap: their contiguity (what the
    # graph was before) joins the clusters by several edges.
    assert _bridges(proj, queen=True) >= 2
    # Inside a cluster (a 4 x 3 grid of squares) every Delaunay edge is short: 17 sides and
    # one diagonal per square.
    assert data["edges"] == 2 * (17 + 6) + 1


def test_max_edge_option_keeps_longer_edges(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proj = _import(tmp_path, capsys, "--max-edge", "100")
    _, out, _ = run(capsys, "adjacency", proj, "--json")
    data = json.loads(out)
    assert data["delaunay"]["dropped_edges"] == 0
    assert _bridges(proj) >= 2


def test_max_edge_is_refused_for_polygon_units(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proj = tmp_path / "p.tplan"
    run(capsys, "new", proj)
    code, _, err = run(capsys, "import-units", proj, tmp_path / "x.geojson", "--max-edge", "2")
    assert code != 0
    one_error_line(err, "--max-edge applies to point units")


def test_collinear_and_tiny_point_sets_still_get_a_connected_graph() -> None:
    line = np.column_stack([np.array([3.0, 0.0, 2.0, 1.0]), np.zeros(4)])
    graph, info = delaunay_graph(line)
    assert sorted(map(tuple, np.argwhere(sparse.triu(graph).toarray()).tolist())) == [
        (0, 2), (1, 3), (2, 3),
    ]  # fmt: skip
    assert info["dropped_edges"] == 0
    two, _ = delaunay_graph(np.array([[0.0, 0.0], [5.0, 5.0]]))
    assert two.nnz == 2
    one, _ = delaunay_graph(np.array([[0.0, 0.0]]))
    assert one.nnz == 0


def _line(tmp: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """Ten points 1 km apart on a line (their graph is the chain), one of them heavy."""
    rows = ["id,x,y,n,calls"] + [f"P{i},{1000 * i},0,1,{100 if i == 0 else 1}" for i in range(10)]
    path = tmp / "line.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    proj = tmp / "line.tplan"
    assert run(capsys, "new", proj)[0] == 0
    code, _, err = run(capsys, "import-units", proj, path, "--x", "x", "--y", "y",
                       "--crs", "EPSG:3857", "--code-field", "id")  # fmt: skip
    assert code == 0, err
    return proj


@pytest.mark.parametrize(
    ("centre", "heavy_side", "dispersion"),
    [
        # Median centres: five and five (6 + 6 km) beats four and six (4 + 9 km).
        ("median", 5, 12.0),
        # The heavy unit is its territory's centre, and each unit of that territory costs its
        # distance to it: four units (1 + 2 + 3 km) and six (9 km) beat five and five (10 + 6).
        ("weighted:calls", 4, 15.0),
    ],
)
def test_dispersion_centre_is_the_median_unit_or_weighted_by_a_metric(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], centre: str, heavy_side: int,
    dispersion: float,
) -> None:  # fmt: skip
    proj = _line(tmp_path, capsys)
    code, out, err = run(capsys, "optimize", proj, "--from-scratch", "2", "--out-scenario", "S",
                         "--metrics", "n:0.2", "--compactness", "dispersion", "--centre", centre,
                         "--time-limit", "2", "--json")  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert data["balanced"] is True
    assert data["measures"]["centre"] == centre
    assert data["measures"]["dispersion"] == pytest.approx(dispersion, rel=1e-3)
    p = Project.open(proj)
    try:
        from planner.model.plan import Plan

        units = Plan.load(p, "S").alignment[:10].tolist()
    finally:
        p.close()
    assert units.count(units[0]) == heavy_side


def test_centre_weighted_by_an_unknown_metric_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proj = _line(tmp_path, capsys)
    code, _, err = run(capsys, "optimize", proj, "--from-scratch", "2", "--out-scenario", "S",
                       "--metrics", "n", "--compactness", "dispersion",
                       "--centre", "weighted:colour")  # fmt: skip
    assert code == 1
    one_error_line(err, "--centre weighted:colour: unknown metric 'colour'")
