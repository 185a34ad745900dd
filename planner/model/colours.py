"""Territory colours: a palette of distinct fills, neighbours far apart, stable recolouring.

Territories are told apart on the map by fill colour alone. Two rules make that work:

- **Neighbours look different.** Adjacent territories get fills whose CIEDE2000 difference, as
  seen on the map (the fill is translucent over the basemap, see :func:`perceived_lab`), is at
  least :data:`MIN_NEIGHBOUR_DELTA` (about 25: different at a glance, not merely "not equal").
- **Colours are stable.** Recolouring keeps every colour that breaks no rule; only territories
  whose fill is too close to a neighbour's are given a new one (and a territory sharing its
  colour with another, when an unused palette colour fits among its neighbours, so the legend
  reads one colour per territory). A planner's mental map survives an edit.

:data:`PALETTE` holds 48 colours chosen by farthest-point sampling in CIELAB (seeded with the
familiar Tableau hues), none close to the basemap, to the grey of unassigned units or to the
black of the preview hatching (:func:`preview_colour`). Colours read from files are checked:
only ``#rgb`` / ``#rrggbb`` reach the map and the printouts.

Examples
--------
>>> pairs = territory_adjacency(np.array([[0, 1], [1, 2]]), np.array([0, 0, 1]), 2)
>>> pairs.tolist()
[[0, 1]]
>>> a, b = distinct_colours(pairs, ["#1f77b4", "#1f77b5"])
>>> a
'#1f77b4'
>>> b != "#1f77b5"  # too close to its neighbour: only this one changes
True
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import cast

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse

from planner.model._cielab import blend, delta_e2000, hex_to_rgb, rgb_to_lab

PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22",
    "#17becf", "#695a0f", "#b40069", "#ffa596", "#00694b", "#96b4ff", "#69e1b4", "#ffb41e",
    "#c33c00", "#87965a", "#b4874b", "#ff2d78", "#4b5ad2", "#5ac3ff", "#963c5a", "#d2b4ff",
    "#87e15a", "#3c691e", "#874b0f", "#00a587", "#ffb4d2", "#a52db4", "#e16978", "#698700",
    "#ff5a3c", "#d2784b", "#ffb478", "#0087a5", "#00e178", "#a58700", "#d2003c", "#5a5a96",
    "#5aa578", "#4b87ff", "#00e1d2", "#d2b45a", "#d278ff", "#9687ff", "#c37800", "#e12da5",
)  # fmt: skip
"""48 fills, most distinct first (farthest-point order), so a short run of new territories
gets very different colours."""

#: The map draws unit fills with this opacity over the basemap colour (resources/map).
FILL_OPACITY = 0.65
BASEMAP = "#f4f1ea"
#: Minimum CIEDE2000 between the perceived fills of two adjacent territories.
MIN_NEIGHBOUR_DELTA = 25.0
#: Candidates for the preview hatching, best first; the one farthest from every fill wins.
PREVIEW_CANDIDATES = ("#111111", "#ff00ff", "#00ffff", "#ffffff")

_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


def is_colour(text: str) -> bool:
    """True for ``#rgb`` or ``#rrggbb`` (what the map, Qt and the printouts all accept)."""
    return _HEX.fullmatch(text.strip()) is not None


def _norm(colour: str | None) -> str | None:
    """``#rrggbb`` lower case, or None for anything that is not a colour."""
    if colour is None or not is_colour(str(colour)):
        return None
    h = str(colour).strip().lower().lstrip("#")
    return "#" + ("".join(ch * 2 for ch in h) if len(h) == 3 else h)


def perceived_lab(colours: Iterable[str]) -> NDArray[np.float64]:
    """CIELAB of each fill as the map shows it: translucent over the basemap."""
    rgb = hex_to_rgb(list(colours))
    return rgb_to_lab(blend(rgb, hex_to_rgb(BASEMAP)[0], FILL_OPACITY))


_PALETTE_LAB = perceived_lab(PALETTE)


def territory_adjacency(
    unit_adjacency: sparse.spmatrix | ArrayLike,
    unit_territory: ArrayLike,
    n_territories: int,
    exclude: ArrayLike | None = None,
) -> NDArray[np.int64]:
    """Pairs ``(a, b)``, ``a < b``, of territories with adjacent units.

    Parameters
    ----------
    unit_adjacency
        The unit graph: a sparse matrix (``planner.model.geo.adjacency(...)[0]``) or an
        ``(k, 2)`` array of unit index pairs.
    unit_territory
        Territory index per unit (the alignment's unit part); negative = unassigned (ignored).
    n_territories
        Number of territories (indices ``0 .. n_territories - 1``).
    exclude
        Unit pairs not to count, e.g. the island links ``geo.adjacency`` adds to make the graph
        connected: an island's fill need not differ from a far-away coast.
    """
    if sparse.issparse(unit_adjacency):
        coo = sparse.triu(sparse.coo_matrix(unit_adjacency), k=1)
        pairs = np.column_stack([coo.row, coo.col]).astype(np.int64)
    else:
        pairs = np.asarray(unit_adjacency, dtype=np.int64).reshape(-1, 2)
    if exclude is not None and len(pairs):
        drop = {(min(a, b), max(a, b)) for a, b in np.asarray(exclude).reshape(-1, 2).tolist()}
        keep = [(min(a, b), max(a, b)) not in drop for a, b in pairs.tolist()]
        pairs = pairs[np.asarray(keep, dtype=bool)]
    labels = np.asarray(unit_territory, dtype=np.int64)
    ta, tb = labels[pairs[:, 0]], labels[pairs[:, 1]]
    ok = (ta != tb) & (ta >= 0) & (tb >= 0) & (ta < n_territories) & (tb < n_territories)
    if not ok.any():
        return np.zeros((0, 2), dtype=np.int64)
    t = np.sort(np.column_stack([ta[ok], tb[ok]]), axis=1)
    return np.unique(t, axis=0)


def _neighbours(n: int, pairs: ArrayLike) -> list[set[int]]:
    nbrs: list[set[int]] = [set() for _ in range(n)]
    for a, b in np.asarray(pairs, dtype=np.int64).reshape(-1, 2).tolist():
        if a != b and 0 <= a < n and 0 <= b < n:
            nbrs[a].add(b)
            nbrs[b].add(a)
    return nbrs


def distinct_colours(
    adjacency: ArrayLike | int,
    current: Sequence[str | None] | ArrayLike | None = None,
    fixed: Iterable[int] = (),
    *,
    min_delta: float = MIN_NEIGHBOUR_DELTA,
) -> list[str]:
    """A fill per territory: neighbours at least ``min_delta`` apart, as few changes as possible.

    Parameters
    ----------
    adjacency
        ``(k, 2)`` territory index pairs (:func:`territory_adjacency`).
    current
        The territories' colours now (``None`` or an invalid string = needs a colour). Its
        length is the number of territories.
    fixed
        Indices whose colour must not change (e.g. colours a planner picked by hand); the
        others move around them.
    min_delta
        Minimum perceived CIEDE2000 between adjacent fills.

    Returns
    -------
    list[str]
        ``#rrggbb`` per territory. A territory keeps its colour unless it is too close to a
        neighbour's (of two, the one with more conflicts, then the later one, changes) or it
        duplicates an earlier territory's and an unused palette colour fits among its neighbours.
        The new colours are picked most-constrained first: far from every neighbour, unused
        if possible, then far from neighbours' neighbours.

    ``distinct_colours(n, pairs)`` (a count, then the pairs) is the older form: every territory
    is coloured afresh.
    """
    if isinstance(adjacency, int | np.integer):
        n, pairs = int(adjacency), np.asarray(current if current is not None else [])
        colours: list[str | None] = [None] * n
    else:
        pairs = np.asarray(adjacency)
        given = cast("Sequence[str | None]", current if current is not None else [])
        colours = [_norm(None if c is None else str(c)) for c in given]
        n = len(colours)
    nbrs = _neighbours(n, pairs)
    fixed_set = {int(i) for i in fixed if 0 <= int(i) < n and colours[int(i)] is not None}
    _drop_conflicts(colours, nbrs, fixed_set, min_delta)
    _assign(colours, nbrs, min_delta)
    _repair(colours, nbrs, fixed_set, min_delta)
    _spread_duplicates(colours, nbrs, fixed_set, min_delta)
    return [str(c) for c in colours]


@lru_cache(maxsize=4096)
def _lab(colour: str) -> tuple[float, float, float]:
    """Perceived Lab of one normalised colour (cached: the colouring asks again and again)."""
    lab = perceived_lab([colour])[0]
    return float(lab[0]), float(lab[1]), float(lab[2])


def _too_close(a: str, b: str, min_delta: float) -> bool:
    return bool(delta_e2000(np.array(_lab(a)), np.array(_lab(b))) < min_delta)


def _drop_conflicts(
    colours: list[str | None], nbrs: list[set[int]], fixed: set[int], min_delta: float
) -> None:
    """Clear the fewest colours (greedy: most conflicts first) so no kept neighbours clash."""
    clash: list[set[int]] = [set() for _ in colours]
    for a, row in enumerate(nbrs):
        for b in row:
            ca, cb = colours[a], colours[b]
            if a < b and ca is not None and cb is not None and _too_close(ca, cb, min_delta):
                clash[a].add(b)
                clash[b].add(a)
    while True:
        movable = [t for t in range(len(colours)) if clash[t] and t not in fixed]
        if not movable:
            return
        t = max(movable, key=lambda i: (len(clash[i]), i))
        colours[t] = None
        for other in clash[t]:
            clash[other].discard(t)
        clash[t].clear()


def _spread_duplicates(
    colours: list[str | None], nbrs: list[set[int]], fixed: set[int], min_delta: float
) -> None:
    """A territory sharing its colour with an earlier one takes an unused palette colour, if
    one is far enough from its neighbours (so the legend maps one colour to one territory)."""
    owner: dict[str | None, int] = {}
    used = Counter(colours)
    for t in sorted(range(len(colours)), key=lambda i: (i not in fixed, i)):
        c = colours[t]
        if c not in owner or t in fixed:
            owner.setdefault(c, t)
            continue
        free = [i for i, p in enumerate(PALETTE) if used[p] == 0]
        if not free:
            return
        d1 = _min_delta_to([x for x in (colours[j] for j in nbrs[t]) if x is not None])
        fits = [i for i in free if d1[i] >= min_delta]
        if fits:
            best = PALETTE[max(fits, key=lambda i: (min(float(d1[i]), 45.0) // 5, -i))]
            used[c] -= 1
            used[best] += 1
            colours[t] = best
            owner[best] = t


def _assign(colours: list[str | None], nbrs: list[set[int]], min_delta: float) -> None:
    """Colour every ``None`` entry, most constrained first (DSATUR order)."""
    todo = {t for t, c in enumerate(colours) if c is None}
    used = Counter(c for c in colours if c is not None)
    while todo:
        t = max(todo, key=lambda i: (len({colours[j] for j in nbrs[i]} - {None}), len(nbrs[i]), -i))
        todo.discard(t)
        near = [c for c in (colours[j] for j in nbrs[t]) if c is not None]
        second = {colours[k] for j in nbrs[t] for k in nbrs[j] if k != t} - {None} - set(near)
        d1 = _min_delta_to(near)
        d2 = _min_delta_to([c for c in second if c is not None])
        best = _best(d1, d2, used, min_delta)
        colours[t] = best
        used[best] += 1


def _best(
    d1: NDArray[np.float64], d2: NDArray[np.float64], used: Counter[str], min_delta: float
) -> str:
    """Among colours far enough from the neighbours (``d1``): the least used, then the farthest
    from neighbours and their neighbours (``d2``), then palette order. If none is far enough,
    simply the farthest."""
    ok = [i for i in range(len(PALETTE)) if d1[i] >= min_delta]
    if not ok:
        return PALETTE[int(np.argmax(d1))]
    least = min(used[PALETTE[i]] for i in ok)
    return PALETTE[
        max(
            ok,
            key=lambda i: (
                used[PALETTE[i]] == least,
                min(float(d1[i]), 45.0) // 5,
                min(float(d2[i]), 30.0) // 5,
                -i,
            ),
        )
    ]


def _repair(
    colours: list[str | None], nbrs: list[set[int]], fixed: set[int], min_delta: float
) -> None:
    """Neighbours still too close (a dense corner of the graph): give one of the two a colour
    that fits all its neighbours, if there is one. Both are in conflict, so either may change."""
    for _ in range(3):
        changed = False
        for a, row in enumerate(nbrs):
            for b in sorted(row):
                ca, cb = colours[a], colours[b]
                if a > b or ca is None or cb is None or not _too_close(ca, cb, min_delta):
                    continue
                for t in (b, a):
                    if t in fixed:
                        continue
                    near = [c for c in (colours[j] for j in nbrs[t]) if c is not None]
                    d1 = _min_delta_to(near)
                    if (d1 >= min_delta).any():
                        used = Counter(c for c in colours if c is not None)
                        colours[t] = _best(d1, np.full(len(PALETTE), np.inf), used, min_delta)
                        changed = True
                        break
        if not changed:
            return


def _min_delta_to(others: Sequence[str]) -> NDArray[np.float64]:
    """Per palette colour: the smallest perceived difference to ``others`` (inf if none)."""
    if not others:
        return np.full(len(PALETTE), np.inf)
    lab = np.array([_lab(c) for c in others])
    return np.asarray(
        delta_e2000(_PALETTE_LAB[:, None, :], lab[None, :, :]).min(axis=1), dtype=np.float64
    )


def next_colour(used: Iterable[str], avoid: Iterable[str] = ()) -> str:
    """A colour for one new territory: the least used palette colour that is far from the
    ``avoid`` colours (the new territory's neighbours on the map), most distinct first."""
    counts = Counter(_norm(c) for c in used)
    d = _min_delta_to([c for c in (_norm(a) for a in avoid) if c is not None])
    return PALETTE[
        max(
            range(len(PALETTE)),
            key=lambda i: (
                d[i] >= MIN_NEIGHBOUR_DELTA,
                -counts[PALETTE[i]],
                min(float(d[i]), 45.0) // 5,
                -i,
            ),
        )
    ]


def preview_colour(colours: Iterable[str]) -> str:
    """The preview hatching's colour: the candidate farthest from every territory fill (as drawn
    and as the solid colour a legend shows), so a preview never reads as a territory."""
    fills = [c for c in (_norm(x) for x in colours) if c is not None]
    if not fills:
        return PREVIEW_CANDIDATES[0]
    seen = np.vstack([perceived_lab(fills), rgb_to_lab(hex_to_rgb(fills))])
    cand = rgb_to_lab(hex_to_rgb(list(PREVIEW_CANDIDATES)))
    d = delta_e2000(cand[:, None, :], seen[None, :, :]).min(axis=1)
    # The first candidate wins unless a fill comes close to it (imported colours can).
    ok = np.flatnonzero(d >= 30.0)
    return PREVIEW_CANDIDATES[int(ok[0]) if len(ok) else int(np.argmax(d))]
