"""Geometry functions on small hand-made layers: a 3x3 grid, an island, an enclave."""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import Polygon, box

from planner.model.geo import (
    adjacency,
    area_km2,
    outlines,
    place_points,
    polsby_popper,
    simplify_for_display,
)


def grid3() -> np.ndarray:
    """Nine unit squares, index = row * 3 + col, from (0, 0) to (3, 3)."""
    return np.array([box(c, r, c + 1, r + 1) for r in range(3) for c in range(3)], dtype=object)


def test_place_points_inside_outside_and_nan() -> None:
    lon = np.array([0.5, 2.5, 5.0, np.nan, 1.5])
    lat = np.array([0.5, 2.5, 5.0, 1.0, 1.5])
    assert place_points(lon, lat, grid3()).tolist() == [0, 8, -1, -1, 4]


def test_place_points_edge_goes_to_lowest_index() -> None:
    # (1, 1) is a corner of squares 0, 1, 3, 4; (1, 0.5) is on the edge of 0 and 1.
    got = place_points(np.array([1.0, 1.0, 3.0]), np.array([1.0, 0.5, 3.0]), grid3())
    assert got.tolist() == [0, 0, 8]


def test_place_points_matches_plain_strtree_on_random_points() -> None:
    rng = np.random.default_rng(1)
    polys = grid3()
    lon, lat = rng.uniform(-0.5, 3.5, 5000), rng.uniform(-0.5, 3.5, 5000)
    tree = shapely.STRtree(polys)
    pt, poly = tree.query(shapely.points(lon, lat), predicate="intersects")
    expected = np.full(len(lon), -1)
    for p, g in sorted(zip(pt.tolist(), poly.tolist(), strict=True), reverse=True):
        expected[p] = g  # reverse order: the lowest polygon index is written last
    assert np.array_equal(place_points(lon, lat, polys), expected)


def test_place_points_empty_inputs() -> None:
    assert place_points(np.array([]), np.array([]), grid3()).tolist() == []
    assert place_points(np.array([1.0]), np.array([1.0]), np.array([], dtype=object)).tolist() == [
        -1
    ]


def test_adjacency_queen_grid_is_connected_without_added_links() -> None:
    matrix, added = adjacency(grid3())
    assert matrix.shape == (9, 9)
    assert (matrix != matrix.T).nnz == 0
    assert matrix[4].nnz == 8  # the centre touches all (corners count: queen)
    assert matrix[0].nnz == 3
    assert not matrix[0, 8]
    assert added.shape == (0, 2)


def test_adjacency_joins_island_to_nearest_and_reports_link() -> None:
    polys = np.append(grid3(), box(5, 1.2, 6, 1.8))  # island east of square 5
    matrix, added = adjacency(polys)
    assert added.tolist() == [[5, 9]]  # square 5 (x 2..3, y 1..2) is nearest
    assert matrix[9, 5]
    assert matrix[5, 9]


def test_adjacency_gap_tolerance_bridges_slivers() -> None:
    polys = np.array([box(0, 0, 1, 1), box(1.001, 0, 2, 1)], dtype=object)
    _, added = adjacency(polys)
    assert added.tolist() == [[0, 1]]
    _, added = adjacency(polys, gap_tolerance=0.01)
    assert added.shape == (0, 2)


def test_enclave_is_adjacent_only_to_its_surrounding_polygon() -> None:
    outer = Polygon(box(0, 0, 4, 4).exterior.coords, [box(1, 1, 2, 2).exterior.coords])
    polys = np.array([outer, box(1, 1, 2, 2), box(4, 0, 5, 4)], dtype=object)
    matrix, added = adjacency(polys)
    assert matrix[1].indices.tolist() == [0]
    assert added.shape == (0, 2)


def test_outlines_union_per_label_and_only_touched() -> None:
    labels = np.array([0, 0, 1, 0, 0, 1, 2, 2, -1])
    out = outlines(grid3(), labels)
    assert set(out) == {0, 1, 2}
    assert out[0].equals(box(0, 0, 2, 2))
    assert out[1].equals(box(2, 0, 3, 2))
    only = outlines(grid3(), labels, touched=[2, 7])
    assert set(only) == {2, 7}
    assert only[2].equals(box(0, 2, 2, 3))
    assert only[7].is_empty  # a label with no polygons left: erase its outline


def test_outlines_fall_back_when_not_a_coverage() -> None:
    overlapping = np.array([box(0, 0, 2, 2), box(1, 1, 3, 3)], dtype=object)
    out = outlines(overlapping, np.array([0, 0]))
    assert out[0].is_valid
    assert math.isclose(out[0].area, 7.0)


def test_simplify_for_display_keeps_shared_edges() -> None:
    # Two squares sharing a wiggly edge with many tiny zig-zags.
    ys = np.linspace(0, 1, 41)
    xs = 1 + np.where(np.arange(41) % 2, 0.001, -0.001)
    edge = list(zip(xs, ys, strict=True))
    left = Polygon([(0, 0), *edge, (0, 1)])
    right = Polygon([*edge, (2, 1), (2, 0)])
    simple = simplify_for_display(np.array([left, right], dtype=object), tolerance_deg=0.01)
    assert shapely.get_num_coordinates(simple).sum() < 30
    shared = shapely.intersection(simple[0], simple[1])
    assert shared.length > 0.99  # still one common edge: no gap, no overlap
    assert shapely.area(shapely.intersection(simple[0], simple[1])) < 1e-12


def test_cells_clipped_one_by_one_become_a_valid_coverage_for_display() -> None:
    """Neighbours whose shared edge does not match vertex for vertex (one has a vertex the
    other lacks, one edge is off by 1e-9, as Voronoi cells clipped one by one) are cleaned
    into a valid coverage, so outline unions can use the fast coverage union; areas stay."""
    left = Polygon([(0, 0), (1, 0), (1, 0.5), (1, 1), (0, 1)])  # a vertex mid-edge
    right = Polygon([(1 + 1e-9, 0), (2, 0), (2, 1), (1, 1)])  # edge nearly shared
    below = box(0, -1, 2, 0)
    polys = np.array([left, right, below], dtype=object)
    assert not shapely.coverage_is_valid(polys)
    simple = simplify_for_display(polys, tolerance_deg=0.001)
    assert len(simple) == 3
    assert shapely.coverage_is_valid(simple)
    assert np.allclose(shapely.area(simple), shapely.area(polys), rtol=1e-6)
    union = shapely.coverage_union_all(simple)
    assert union.is_valid
    assert math.isclose(union.area, 4.0, rel_tol=1e-6)


def test_polsby_popper_square_vs_strip() -> None:
    pp = polsby_popper(np.array([box(-100, 40, -99, 41), box(-100, 40, -90, 40.1)], dtype=object))
    assert 0.7 < pp[0] < 0.8  # a square is pi/4 ~ 0.785 (a little distorted in Albers)
    assert pp[1] < 0.1


def test_area_km2_one_degree_square_at_equator() -> None:
    assert math.isclose(area_km2(np.array([box(0, 0, 1, 1)], dtype=object))[0], 12308, rel_tol=0.01)
