"""Every new territory gets a colour of its own (never the one grey), and file colours are
checked before they reach the map."""

from __future__ import annotations

from planner.model import territories
from planner.model.colours import PALETTE, distinct_colours, is_colour, next_colour
from planner.model.plan import Plan
from planner.model.store import Project


def test_new_colours_take_ten_hues_before_repeating_one() -> None:
    used: list[str] = []
    for _ in range(len(PALETTE)):
        used.append(next_colour(used))
    assert sorted(used) == sorted(PALETTE)
    hues = {PALETTE.index(c) // 2 for c in used[:10]}
    assert len(hues) == 10
    assert next_colour([*used, PALETTE[0]]) != PALETTE[0]  # least used wins


def test_only_hex_colours_pass() -> None:
    assert is_colour("#abc")
    assert is_colour("#A0b1C2")
    assert is_colour(" #a0b1c2 ")
    for bad in ("red", "#abcd", "#ggg", "#a0b1c2;x", "<b>", ""):
        assert not is_colour(bad), bad


def test_neighbours_never_share_a_hue_when_avoidable() -> None:
    pairs = [(0, 1), (1, 2), (2, 0), (2, 3)]  # a triangle and a tail
    c = distinct_colours(4, pairs)  # type: ignore[arg-type]
    for a, b in pairs:
        assert PALETTE.index(c[a]) // 2 != PALETTE.index(c[b]) // 2


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


def test_a_new_colour_avoids_the_neighbours_hues_even_when_the_palette_is_used_up() -> None:
    used = list(PALETTE) * 2
    near = [PALETTE[-1], PALETTE[0]]
    c = next_colour(used, near)
    assert PALETTE.index(c) // 2 not in {0, len(PALETTE) // 2 - 1}
    assert next_colour(used) == PALETTE[0]  # without neighbours: palette order
