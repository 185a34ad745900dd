"""What the map page is sent for its live territory model: territory ids, not names or
colours, per unit; each account's own assignment; only the changed atoms after an edit; label
points inside their territory."""

from __future__ import annotations

import json

import numpy as np
import shapely
import shapely.geometry
from sqlalchemy import text

from planner.model import mapdata, moves
from planner.model.atoms import FOLLOW, load_unit_geometries
from planner.model.plan import Plan
from planner.model.store import Project


def test_territory_items_and_unit_features_carry_ids(grid: Project) -> None:
    plan = Plan.load(grid)
    a = plan.atoms
    items = mapdata.territory_items(plan)
    assert [i["id"] for i in items] == a.territory_ids.tolist()
    assert [i["name"] for i in items] == ["T1", "T2", "T3"]
    assert all(i["colour"].startswith("#") and i["locked"] is False for i in items)
    feats = mapdata.unit_features(plan)
    assert len(feats) == a.n_units
    first = feats[0]
    assert set(first) == {"id", "code", "name", "territory"}
    assert first["territory"] == int(a.territory_ids[plan.alignment[0]])
    fc = json.loads(mapdata.unit_layer_json(plan, ['{"type":"Point","coordinates":[0,0]}'] * 24))
    assert fc["features"][3]["properties"] == feats[3]


def test_unassigned_units_have_no_territory(grid: Project) -> None:
    plan = Plan.load(grid)
    plan.alignment[0] = -1
    assert mapdata.unit_features(plan)[0]["territory"] is None
    assert mapdata.unit_assignments(plan, np.array([0]))[int(plan.atoms.unit_ids[0])] is None


def test_accounts_follow_their_unit_unless_pinned(grid: Project) -> None:
    plan = Plan.load(grid)
    a = plan.atoms
    layer = mapdata.account_layer(plan)
    assert len(layer["ids"]) == a.n_accounts
    own = plan.alignment[a.n_units :]
    pinned = np.flatnonzero(own >= 0)
    assert len(pinned) == 2  # the grid's pins
    codes = np.array(layer["territory"])
    assert (codes[own == FOLLOW] == mapdata.FOLLOW_UNIT).all()
    assert codes[pinned].tolist() == a.territory_ids[own[pinned]].tolist()
    assert layer["unit"] == a.unit_ids[a.account_unit].tolist()


def test_deviation_fills_by_territory_id(grid: Project) -> None:
    plan = Plan.load(grid)
    fills = mapdata.deviation_fills(plan, "potential")
    dev = plan.deviation("potential")
    ids = plan.atoms.territory_ids.tolist()
    assert fills == {ids[t]: mapdata.deviation_colour(float(dev[t])) for t in range(3)}
    assert list(mapdata.deviation_fills(plan, "potential", [1])) == [ids[1]]


def test_label_points_lie_inside_their_territory_and_rank_by_size(grid: Project) -> None:
    plan = Plan.load(grid)
    geoms = load_unit_geometries(grid)
    shapes = mapdata.territory_shapes(plan, geoms)
    labels = mapdata.label_points(plan, shapes)
    assert len(labels) == 3
    by_id = dict(zip(plan.atoms.territory_ids.tolist(), range(3), strict=True))
    for label in labels:
        shape = shapes[by_id[label["id"]]]
        assert shape.contains(shapely.Point(label["lon"], label["lat"]))
        assert label["rank"] == round(shape.area, 6)
    # Only the touched territories, after an edit; an emptied one gets no label.
    plan.apply(moves.for_polygon(plan, shapes[0].buffer(0.01), 1))
    touched = mapdata.territory_shapes(plan, geoms, [0, 1])
    assert shapes_ids(mapdata.label_points(plan, touched)) == [int(plan.atoms.territory_ids[1])]
    fc, ids = mapdata.outline_layer_json(plan, touched)
    assert ids == plan.atoms.territory_ids[:2].tolist()  # the emptied outline must be removed
    assert len(json.loads(fc)["features"]) == 1


def shapes_ids(labels: list[dict[str, object]]) -> list[object]:
    return [label["id"] for label in labels]


def test_a_freehand_trace_that_crosses_itself_becomes_a_valid_shape() -> None:
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]]}
    shape = mapdata.gesture_geometry(bowtie)
    assert shape.is_valid
    assert shape.area == 2.0
    assert shape.contains(shapely.Point(0.2, 1.0))
    assert shape.contains(shapely.Point(1.8, 1.0))
    line = {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}
    assert mapdata.gesture_geometry(line).equals(shapely.geometry.shape(line))


def test_a_scenario_switch_sends_only_the_atoms_that_differ(grid: Project) -> None:
    plan = Plan.load(grid)
    a = plan.atoms
    before = plan.alignment.copy()
    unit = int(np.flatnonzero(plan.alignment[: a.n_units] == 2)[0])
    plan.apply(moves.for_units(plan, np.array([unit]), 0))
    plan.apply(moves.for_pin(plan, 7, 2))
    units, accounts = mapdata.alignment_changes(plan, before)
    assert units == {int(a.unit_ids[unit]): int(a.territory_ids[0])}
    assert accounts == {int(a.account_ids[7]): int(a.territory_ids[2])}
    assert mapdata.alignment_changes(plan, plan.alignment.copy()) == ({}, {})


def test_the_unit_layer_carries_any_name_as_the_same_text(grid: Project) -> None:
    """Names and codes with quotes, backslashes, markup, line separators and non-Latin script
    arrive in the page's JSON exactly as stored (escaped, ASCII only: runJavaScript takes it as a
    string literal, never as HTML)."""
    odd = ['a "quoted" \\ name', "<img src=x onerror=alert(1)>", "line\u2028sep\npara",
           "Zürich 東京 😀", "tab\there", "</script>"]  # fmt: skip
    with grid.transaction() as s:
        for k, name in enumerate(odd):
            s.execute(text("UPDATE unit SET name = :n, code = :c WHERE id = :i"),
                      {"n": name, "c": name[::-1], "i": k + 1})  # fmt: skip
    plan = Plan.load(grid)
    geometry = ['{"type":"Point","coordinates":[0,0]}'] * plan.atoms.n_units
    layer = mapdata.unit_layer_json(plan, geometry)
    assert layer.isascii()
    fc = json.loads(layer)
    assert [f["properties"] for f in fc["features"]] == mapdata.unit_features(plan)
    assert [f["properties"]["name"] for f in fc["features"][:6]] == odd
