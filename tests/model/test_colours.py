"""Territory colours: neighbours look different (CIEDE2000 on the fill as drawn), a recolouring
changes only what conflicts, every new territory gets a colour of its own, file colours are
checked, and the preview hatching never looks like a territory."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from scipy.spatial import Delaunay

from planner.model import territories
from planner.model._cielab import delta_e2000, hex_to_rgb, rgb_to_hex, rgb_to_lab
from planner.model.colours import (
    MIN_NEIGHBOUR_DELTA,
    PALETTE,
    PREVIEW_CANDIDATES,
    distinct_colours,
    is_colour,
    next_colour,
    perceived_lab,
    preview_colour,
    territory_adjacency,
)
from planner.model.mapdata import UNASSIGNED_COLOUR
from planner.model.plan import Plan
from planner.model.store import Project


def planar_pairs(n: int, seed: int) -> np.ndarray:
    """Adjacency of ``n`` random territories: a Delaunay triangulation (planar, like a map, and
    denser than most real territory maps: degree up to ~10)."""
    pts = np.random.default_rng(seed).random((n, 2))
    edges = {
        tuple(sorted((int(s[i]), int(s[(i + 1) % 3]))))
        for s in Delaunay(pts).simplices
        for i in range(3)
    }
    return np.array(sorted(edges), dtype=np.int64)


def neighbour_deltas(pairs: np.ndarray, fills: list[str]) -> np.ndarray:
    lab = perceived_lab(fills)
    return delta_e2000(lab[pairs[:, 0]], lab[pairs[:, 1]])


@pytest.mark.parametrize(
    ("lab1", "lab2", "expected"),
    [  # Sharma, Wu, Dalal (2005), table 1: pairs 1, 7, 17, 19, 25, 34
        ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
        ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
        ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
        ((50.0, 2.5, 0.0), (50.0, 3.1736, 0.5854), 1.0000),
        ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
        ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082),
    ],
)
def test_ciede2000_matches_the_published_test_data(
    lab1: tuple[float, ...], lab2: tuple[float, ...], expected: float
) -> None:
    assert float(delta_e2000(np.array(lab1), np.array(lab2))) == pytest.approx(expected, abs=1e-4)
    assert float(delta_e2000(np.array(lab2), np.array(lab1))) == pytest.approx(expected, abs=1e-4)


def test_srgb_to_lab_and_hex_round_trip() -> None:
    assert rgb_to_lab(hex_to_rgb("#ffffff"))[0] == pytest.approx([100.0, 0.0, 0.0], abs=0.01)
    assert rgb_to_lab(hex_to_rgb("#000000"))[0] == pytest.approx([0.0, 0.0, 0.0], abs=0.01)
    assert rgb_to_hex(hex_to_rgb(["#1f77b4", "#abc"])) == ["#1f77b4", "#aabbcc"]


def test_palette_is_big_valid_and_clear_of_basemap_unassigned_and_preview() -> None:
    assert len(PALETTE) >= 48
    assert len(set(PALETTE)) == len(PALETTE)
    assert all(is_colour(c) and c == c.lower() and len(c) == 7 for c in PALETTE)
    lab = perceived_lab(PALETTE)
    pair = delta_e2000(lab[:, None, :], lab[None, :, :])
    np.fill_diagonal(pair, np.inf)
    assert pair.min() > 8  # every two palette fills can be told apart side by side
    grey = perceived_lab([UNASSIGNED_COLOUR])[0]
    assert delta_e2000(lab, grey).min() > 15
    black = rgb_to_lab(hex_to_rgb(preview_colour(PALETTE)))[0]
    assert delta_e2000(lab, black).min() > 30


@pytest.mark.parametrize(("n", "seed"), [(12, 0), (40, 1), (48, 2), (60, 3), (100, 4)])
def test_adjacent_territories_never_get_close_colours(n: int, seed: int) -> None:
    pairs = planar_pairs(n, seed)
    fills = distinct_colours(pairs, [None] * n)
    assert all(c in PALETTE for c in fills)
    assert neighbour_deltas(pairs, fills).min() >= MIN_NEIGHBOUR_DELTA


def test_forty_territories_get_their_own_colours_not_twenty_shared() -> None:
    """Defect 6: the demo's 40 territories shared 20 colours (T01 and T20 the same blue side by
    side). With 48 fills most territories have their own."""
    pairs = planar_pairs(40, 1)
    fills = distinct_colours(40, pairs)  # the form demo.py calls
    assert len(set(fills)) >= 34  # (a Delaunay graph is denser than a real map: demo 39 of 40)
    assert neighbour_deltas(pairs, fills).min() >= MIN_NEIGHBOUR_DELTA


def test_recolouring_keeps_every_colour_that_breaks_no_rule() -> None:
    pairs = planar_pairs(40, 5)
    fills = distinct_colours(pairs, [None] * 40)
    assert distinct_colours(pairs, fills) == fills  # nothing to fix: nothing changes
    # One territory takes its neighbour's colour (a planner's pick, an import): only territories
    # in that conflict may change, and the map is readable again.
    a, b = (int(x) for x in pairs[0])
    clashing = list(fills)
    clashing[b] = fills[a]
    fixed = distinct_colours(pairs, clashing)
    changed = {t for t in range(40) if fixed[t] != clashing[t]}
    assert changed
    assert changed <= {a, b}
    assert neighbour_deltas(pairs, fixed).min() >= MIN_NEIGHBOUR_DELTA


def test_a_new_territory_is_coloured_and_the_others_stay() -> None:
    pairs = planar_pairs(30, 6)
    fills = distinct_colours(pairs, [None] * 30)
    current: list[str | None] = list(fills)
    current[17] = None  # just drawn
    out = distinct_colours(pairs, current)
    assert [c for t, c in enumerate(out) if t != 17] == [c for t, c in enumerate(fills) if t != 17]
    assert neighbour_deltas(pairs, out).min() >= MIN_NEIGHBOUR_DELTA


def test_fixed_colours_are_kept_and_their_neighbours_move_around_them() -> None:
    pairs = np.array([[0, 1], [1, 2], [0, 2]])
    out = distinct_colours(pairs, ["#1f77b4", "#1f77b4", "#1f77b5"], fixed=[1])
    assert out[1] == "#1f77b4"
    assert neighbour_deltas(pairs, out).min() >= MIN_NEIGHBOUR_DELTA


def test_invalid_current_colours_are_replaced() -> None:
    out = distinct_colours(np.array([[0, 1]]), ["red", "<b>"])
    assert all(c in PALETTE for c in out)


def test_territory_adjacency_from_units_ignores_unassigned_and_island_links() -> None:
    # units 0-1-2-3 in a row, unit 4 an island linked to 3 by geo.adjacency
    rows, cols = [0, 1, 2, 3], [1, 2, 3, 4]
    graph = sparse.coo_matrix((np.ones(4), (rows, cols)), shape=(5, 5))
    graph = (graph + graph.T).tocsr()
    labels = np.array([0, 0, 1, -1, 2])
    assert territory_adjacency(graph, labels, 3).tolist() == [[0, 1]]
    labels = np.array([0, 0, 1, 1, 2])
    assert territory_adjacency(graph, labels, 3).tolist() == [[0, 1], [1, 2]]
    assert territory_adjacency(graph, labels, 3, exclude=[[3, 4]]).tolist() == [[0, 1]]
    assert territory_adjacency(np.array([[0, 1], [1, 2]]), labels, 3).tolist() == [[0, 1]]


def test_new_colours_take_the_most_distinct_fills_first() -> None:
    used: list[str] = []
    for _ in range(len(PALETTE)):
        used.append(next_colour(used))
    assert sorted(used) == sorted(PALETTE)  # every fill once before any twice
    lab = perceived_lab(used[:10])
    first = delta_e2000(lab[:, None, :], lab[None, :, :])
    np.fill_diagonal(first, np.inf)
    assert first.min() > 10  # a short run of new territories: visibly different fills
    assert next_colour([*used, PALETTE[0]]) != PALETTE[0]  # least used wins


def test_a_new_colour_is_far_from_its_neighbours_even_when_the_palette_is_used_up() -> None:
    used = list(PALETTE) * 2
    near = [PALETTE[0], PALETTE[1], PALETTE[2]]
    c = next_colour(used, near)
    lab = perceived_lab([c, *near])
    assert delta_e2000(lab[0], lab[1:]).min() >= MIN_NEIGHBOUR_DELTA


def test_only_hex_colours_pass() -> None:
    assert is_colour("#abc")
    assert is_colour("#A0b1C2")
    assert is_colour(" #a0b1c2 ")
    for bad in ("red", "#abcd", "#ggg", "#a0b1c2;x", "<b>", ""):
        assert not is_colour(bad), bad


def test_the_preview_colour_is_no_territory_colour() -> None:
    assert preview_colour(PALETTE) not in PALETTE
    # A project that imported a near-black fill gets another hatching colour.
    assert preview_colour([*PALETTE, "#101010"]) != PREVIEW_CANDIDATES[0]


def test_created_territories_get_distinct_palette_colours(grid: Project) -> None:
    plan = Plan.load(grid)
    before = {str(c) for c in plan.atoms.territory_colours}
    for i in range(3):
        plan.apply(territories.create(plan, f"New {i}"))
    a = plan.atoms
    new = {str(n): str(c) for n, c in zip(a.territory_names, a.territory_colours, strict=True)
           if str(n).startswith("New")}  # fmt: skip
    assert len(new) == len(set(new.values())) == 3
    assert set(new.values()) <= set(PALETTE)
    assert not set(new.values()) & before  # least used first: none of the grid's colours
