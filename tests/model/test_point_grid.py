"""PointGrid places points exactly as place_points does, on the inputs that stress a grid:
clustered small polygons (refined cells), points on edges and vertices, overlapping polygons
(the pair budget), empty and degenerate geometries, NaN and far-away points."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.model import point_grid
from planner.model.geo import place_points
from planner.model.point_grid import PointGrid


def _voronoi(seed: int, n: int) -> np.ndarray:
    """A coverage of ``n`` cells: half around a dense cluster (a city), half spread out."""
    rng = np.random.default_rng(seed)
    spread = rng.uniform([-100, 30], [-70, 45], size=(n // 2, 2))
    city = rng.normal([-80, 40], 0.05, size=(n - n // 2, 2))
    cells = shapely.voronoi_polygons(shapely.multipoints(np.vstack([spread, city])))
    frame = shapely.box(-100, 30, -70, 45)
    polys = shapely.intersection(np.asarray(shapely.get_parts(cells)), frame)
    return np.asarray(polys[~shapely.is_empty(polys)], dtype=object)


def _probes(polys: np.ndarray, seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Random points (most in the cluster), every vertex, edge midpoints, NaN and far points."""
    rng = np.random.default_rng(seed)
    pts = [
        rng.uniform([-101, 29], [-69, 46], size=(n, 2)),
        rng.normal([-80, 40], 0.06, size=(n, 2)),
        shapely.get_coordinates(polys),
    ]
    ring = shapely.get_coordinates(shapely.get_exterior_ring(polys[:200]))
    pts.append((ring[:-1] + ring[1:]) / 2)
    pts.append(np.array([[np.nan, 40.0], [-80.0, np.nan], [0.0, 0.0], [-200.0, 40.0]]))
    xy = np.vstack(pts)
    return xy[:, 0].copy(), xy[:, 1].copy()


def _fresh(polys: np.ndarray) -> np.ndarray:
    return np.asarray(shapely.from_wkb(shapely.to_wkb(polys)), dtype=object)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_same_answer_as_place_points_on_a_clustered_coverage(seed: int) -> None:
    polys = _voronoi(seed, 3000)
    x, y = _probes(polys, seed, 20_000)
    grid = PointGrid(_fresh(polys))
    assert len(grid.gnx) > 1, "the cluster should have been refined"
    expected = place_points(x, y, _fresh(polys))
    assert (expected >= 0).sum() > 20_000
    assert np.array_equal(grid.place(x, y), expected)
    assert np.array_equal(grid.place(x, y), expected), "second batch (covers known) differs"
    assert np.array_equal(grid.place(y, x), place_points(y, x, _fresh(polys)))


def test_overlapping_polygons_within_the_pair_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    centres = rng.uniform(0, 10, size=(400, 2))
    polys = np.asarray(shapely.buffer(shapely.points(centres), rng.uniform(0.5, 8, 400)))
    monkeypatch.setattr(point_grid, "MAX_PAIRS", 5_000)  # forces a coarser top grid
    x, y = rng.uniform(-5, 15, size=(2, 20_000))
    grid = PointGrid(_fresh(polys))
    assert len(grid.cand) <= 5_000 or grid.cells == 1
    assert np.array_equal(grid.place(x, y), place_points(x, y, _fresh(polys)))


def test_empty_degenerate_and_no_polygons() -> None:
    x = np.array([0.5, 1.0, 2.0, np.nan])
    y = np.array([0.5, 1.0, 2.0, 0.0])
    assert (PointGrid(np.array([], dtype=object)).place(x, y) == -1).all()
    polys = np.array(
        [shapely.Polygon(), shapely.box(0, 0, 1, 1), shapely.LineString([(2, 0), (2, 5)])],
        dtype=object,
    )
    assert PointGrid(polys).place(x, y).tolist() == [1, 1, 2, -1]
    line_only = np.array([shapely.LineString([(2, 0), (2, 5)])], dtype=object)
    assert PointGrid(line_only).place(x, y).tolist() == [-1, -1, 0, -1]
    assert PointGrid(polys).place(np.zeros(0), np.zeros(0)).tolist() == []


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-50, 50), st.floats(-50, 50), st.floats(0.01, 30), st.floats(0.01, 30)),
        min_size=1,
        max_size=60,
    ),
    st.integers(0, 2**32 - 1),
)
def test_random_boxes_same_answer(boxes: list[tuple[float, ...]], seed: int) -> None:
    polys = np.array([shapely.box(x, y, x + w, y + h) for x, y, w, h in boxes], dtype=object)
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(-60, 90, size=(2, 2000))
    corners = shapely.get_coordinates(polys)  # corners and edges: the ties
    x, y = np.concatenate([x, corners[:, 0]]), np.concatenate([y, corners[:, 1]])
    assert np.array_equal(PointGrid(_fresh(polys)).place(x, y), place_points(x, y, _fresh(polys)))
