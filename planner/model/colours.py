"""Territory colours: one palette, neighbours apart, and a colour for every new territory.

Territories are told apart on the map by fill colour alone, so a new territory (drawn, split
off, imported without a colour, created for a CRM owner, added by auto-balance) takes the
palette colour used least so far instead of one fixed grey. Colours read from files are
checked: only ``#rgb`` / ``#rrggbb`` reach the map and the printouts.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray

#: Tableau 20: ten hues, each dark then light.
PALETTE = (
    "#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896",
    "#9467bd", "#c5b0d5", "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#7f7f7f", "#c7c7c7",
    "#bcbd22", "#dbdb8d", "#17becf", "#9edae5",
)  # fmt: skip
_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


def is_colour(text: str) -> bool:
    """True for ``#rgb`` or ``#rrggbb`` (what the map, Qt and the printouts all accept)."""
    return _HEX.fullmatch(text.strip()) is not None


def next_colour(used: Iterable[str], avoid: Iterable[str] = ()) -> str:
    """The palette colour used least among ``used``, avoiding the hues of ``avoid`` (the new
    territory's neighbours) while the palette allows; dark shades before light ones, so a run
    of new territories gets ten different hues first."""
    counts = Counter(c.strip().lower() for c in used)
    near = {c.strip().lower() for c in avoid}
    hues = {i // 2 for i, c in enumerate(PALETTE) if c in near}
    order = range(len(PALETTE))
    return PALETTE[
        min(order, key=lambda i: (PALETTE[i] in near, i // 2 in hues, counts[PALETTE[i]], i % 2, i))
    ]


def distinct_colours(n: int, pairs: NDArray[np.int64]) -> list[str]:
    """Greedy colouring of ``n`` territories with adjacent ``pairs``: avoid a neighbour's hue,
    then its exact colour, then spread usage over the palette."""
    nbrs: list[set[int]] = [set() for _ in range(n)]
    for a, b in np.asarray(pairs).tolist():
        nbrs[a].add(b)
        nbrs[b].add(a)
    colour = [-1] * n
    used = [0] * len(PALETTE)
    for t in range(n):
        taken = {colour[u] for u in nbrs[t] if colour[u] >= 0}
        hues = {c // 2 for c in taken}
        colour[t] = min(range(len(PALETTE)), key=lambda c: (c // 2 in hues, c in taken, used[c], c))
        used[colour[t]] += 1
    return [PALETTE[c] for c in colour]
