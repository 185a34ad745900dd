"""Colouring the map by a level of the sales hierarchy (a region view, a district view).

Every territory is filled with the colour of its ancestor at the chosen level, so a region
reads as one colour; the territory lines stay, thin. Node colours come from the hierarchy, but
two nodes of one level may share a colour (the default grey of a new node, an import that set
none): then the later one takes the next palette colour no node of that level uses, for the
map only, so two regions never look like one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from planner.model.colours import PALETTE
from planner.model.hierarchy import Tree

if TYPE_CHECKING:
    from planner.model.plan import Plan

#: Territory lines drawn over the fills of a level view.
THIN_LINES = {"color": "#333333", "weight": 0.8, "opacity": 0.8}


def level_colours(tree: Tree, level: str) -> dict[int, str]:
    """Node id -> the colour it is drawn in, distinct within ``level``."""
    nodes = sorted((n for n in tree.nodes.values() if n.level == level),
                   key=lambda n: (n.name.casefold(), n.id))  # fmt: skip
    used: set[str] = set()
    out: dict[int, str] = {}
    spare = iter([c for c in PALETTE if c not in {n.colour.lower() for n in nodes}])
    for n in nodes:
        colour = n.colour.lower()
        if colour in used:
            colour = next(spare, colour)
        used.add(colour)
        out[n.id] = colour
    return out


def level_fills(plan: Plan, level: str) -> dict[int, str] | None:
    """Territory id -> fill for ``level`` (None for "territory": their own colours). A
    territory with no node at that level keeps its own colour."""
    if level == "territory":
        return None
    tree = Tree.of_plan(plan)
    colours = level_colours(tree, level)
    fills = {}
    for t in tree.territories:
        node = tree.ancestor_at(t, level)
        if node is not None:
            fills[t] = colours[node]
    return fills


def level_legend(plan: Plan, level: str) -> list[tuple[str, str]]:
    """(node name, colour) of each node of ``level``, by name."""
    tree = Tree.of_plan(plan)
    colours = level_colours(tree, level)
    return [(tree.name(n), colours[n]) for n in colours]
