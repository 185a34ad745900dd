"""Measures on small hand-made layouts where every figure can be worked out by hand."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely

from planner.model.geo import adjacency
from planner.model.measures import cut_edges, disruption, measures, pieces, plan_measures
from planner.model.plan import Plan

# A 3x1 row of unit squares (lon/lat near Atlanta so EPSG:5070 applies): 0 - 1 - 2.
# Dyadic steps keep shared edges bit-identical, so outlines dissolve them.
ROW = np.array([shapely.box(-84 + i / 8, 33, -84 + (i + 1) / 8, 33.125) for i in range(3)])


def test_a_territory_split_by_another_counts_as_noncontiguous() -> None:
    graph, _ = adjacency(ROW)
    labels = np.array([0, 1, 0])
    assert pieces(graph, labels).tolist() == [2, 1]
    assert cut_edges(graph, labels) == 2
    m = measures(labels, {"potential": np.array([1.0, 1.0, 1.0])}, graph=graph)
    assert m["noncontiguous_territories"] == 1


def test_deviation_gini_and_disruption_by_hand() -> None:
    graph, _ = adjacency(ROW)
    labels = np.array([0, 0, 1])
    m = measures(
        labels,
        {"potential": np.array([1.0, 2.0, 1.0])},  # totals 3 and 1, target 2: +-50 %
        graph=graph,
        polygons=ROW,
        reference=np.array([0, 1, 1]),
        disruption_weights={"accounts": np.array([1.0, 3.0, 1.0])},
    )
    assert m["max_abs_deviation"]["potential"] == pytest.approx(0.5)
    assert m["mean_abs_deviation"]["potential"] == pytest.approx(0.5)
    assert m["gini"]["potential"] == pytest.approx(0.25)
    assert m["noncontiguous_territories"] == 0
    assert m["cut_edges"] == 1
    assert m["disruption"]["accounts"] == pytest.approx(3 / 5)  # unit 1 (3 accounts) moved
    json.dumps(m)  # JSON-ready


def test_polsby_popper_of_a_square_and_a_long_bar() -> None:
    square = measures(np.array([0, 1, 2]), {"p": np.ones(3)}, polygons=ROW)
    bar = measures(np.array([0, 0, 0]), {"p": np.ones(3)}, polygons=ROW)
    w, h = 0.125 * 111.32 * np.cos(np.radians(33.06)), 0.125 * 110.9  # km, roughly
    assert square["mean_polsby_popper"] == pytest.approx(np.pi * w * h / (w + h) ** 2, rel=0.03)
    assert bar["mean_polsby_popper"] == pytest.approx(
        np.pi * 3 * w * h / (3 * w + h) ** 2, rel=0.03
    )
    assert bar["mean_polsby_popper"] < square["mean_polsby_popper"]


def test_disruption_weights_shares() -> None:
    out = disruption(np.array([0, 1]), np.array([0, 0]), {"revenue": np.array([3.0, 1.0])})
    assert out == {"revenue": pytest.approx(0.25)}


def test_plan_measures_of_the_grid_baseline(grid) -> None:
    plan = Plan.load(grid)
    m = plan_measures(plan)
    assert m["noncontiguous_territories"] == 0  # vertical stripes
    assert m["disruption"] == {"accounts": 0.0, "revenue": 0.0}
    expected = plan.summary()["max_abs_deviation"]
    for metric in ("potential", "workload_hours"):
        assert m["max_abs_deviation"][metric] == pytest.approx(expected[metric])
    assert 0 < m["mean_polsby_popper"] <= 1
