"""Place many batches of points into the same polygons: an adaptive grid, built once.

:func:`planner.model.geo.place_points` sweeps every polygon for each call: about 20 µs of
Python per polygon, so placing a chunk of an account import into 41,000 ZIP areas cost most of
a second before the first point was tested: 30 s over a 10 million row file. :class:`PointGrid`
pays for the polygons once. A grid over their extent lists, per cell, the polygons whose
bounding box meets the cell, in polygon order; a cell with many (a city's small ZIP areas under
a cell sized for the country's average) is split into a finer grid of its own, down to a few
candidates per cell. A cell wholly covered by one of its candidates needs no test beyond the
candidates before it. Placing a batch is then a handful of numpy passes: each point's cell
(one more pass per level of refinement), one gather, and vectorised prepared ``intersects_xy``
calls, candidate after candidate, on the points not placed yet.

The answer is the one :func:`~planner.model.geo.place_points` gives, exactly: the lowest index
of a polygon that intersects the point (edges count), -1 for none or NaN coordinates. A polygon
holding the point has it inside its bounding box, so it is among the candidates of the point's
cell (a value's column is one monotone function for points and boxes alike, in every grid), and
the candidates are tried in polygon order, the first hit winning.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]
Box = tuple[Floats, Floats, Floats, Floats]

#: Cells per polygon in the top grid, and per candidate in a refined cell.
CELLS_PER_POLYGON = 4
#: A cell with more candidates than this is refined, up to ``MAX_DEPTH`` levels below the top.
MOST_CANDIDATES = 6
MAX_DEPTH = 3
#: No refinement beyond this many (cell, polygon) pairs in all (polygons whose boxes overlap
#: everywhere): the cells left unrefined are as correct, only slower to place into.
MAX_PAIRS = 20_000_000
_UNKNOWN = -2  # a cell's cover not looked for yet


class PointGrid:
    """The polygons of ``polygons`` (shapely, lon/lat or any planar coordinates) indexed for
    :meth:`place`. The polygons are prepared in place, as ``place_points`` does."""

    def __init__(self, polygons: NDArray[np.object_]) -> None:
        self.polys = np.asarray(polygons, dtype=object)
        self.bounds = shapely.bounds(self.polys) if len(self.polys) else np.zeros((0, 4))
        boxed = np.flatnonzero(np.isfinite(self.bounds).all(axis=1))
        # the grids of every level, by number: origin, cells per unit, shape, first cell
        self.gx0, self.gy0 = np.zeros(0), np.zeros(0)
        self.gsx, self.gsy = np.zeros(0), np.zeros(0)
        self.gnx, self.gny = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        self.base = np.zeros(1, dtype=np.int64)  # base[g]: grid g's first cell; last: all
        self.extent = (0.0, 0.0, -1.0, -1.0)
        self.child = np.zeros(0, dtype=np.int64)  # per cell: the grid refining it, or -1
        self.first = np.zeros(1, dtype=np.int64)  # candidates of cell c (CSR):
        self.cand = np.zeros(0, dtype=np.int64)  # cand[first[c]:first[c + 1]]
        self.cover = np.zeros(0, dtype=np.int64)  # per cell, see _cover
        if len(boxed) == 0:
            return
        b = self.bounds[boxed]
        self.extent = (b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max())
        x0, y0, x1, y1 = (np.array([v]) for v in self.extent)
        cells = CELLS_PER_POLYGON * len(boxed)
        while True:  # boxes overlapping everywhere: a coarser top grid, down to one cell
            top = self._add_grids((x0, y0, x1, y1), np.array([cells]))
            expanded = self._expand(np.repeat(top, len(boxed)), boxed, MAX_PAIRS)
            if expanded is not None or cells == 1:
                break
            self.gx0, self.gy0, self.gsx, self.gsy = (a[:0] for a in (x0, y0, x0, y0))
            self.gnx, self.gny, self.base = self.gnx[:0], self.gny[:0], self.base[:1]
            cells = max(1, cells // 16)
        if expanded is None:
            expanded = self._expand(np.repeat(top, len(boxed)), boxed, len(boxed))
        assert expanded is not None  # one cell: one pair per polygon
        self._build(*expanded)
        shapely.prepare(self.polys[boxed])
        self.cover = np.full(self.cells, _UNKNOWN, dtype=np.int64)

    @property
    def cells(self) -> int:
        return int(self.base[-1])

    # -- building ------------------------------------------------------------------------------

    def _add_grids(self, box: Box, cells: Ints) -> Ints:
        """New grids over the boxes of about ``cells`` cells each, shaped like their box (a box
        without width or height gets one column or row); returns their numbers."""
        x0, y0, x1, y1 = box
        w, h = x1 - x0, y1 - y0
        wide, high = w > 0, h > 0
        w1, h1 = np.where(wide, w, 1.0), np.where(high, h, 1.0)
        nx = np.where(wide & high, np.sqrt(cells * w1 / h1), np.where(wide, cells, 1))
        nx = np.maximum(1, np.rint(nx)).astype(np.int64)
        ny = np.where(high, np.maximum(1, np.ceil(cells / nx)), 1).astype(np.int64)
        numbers = np.arange(len(self.gnx), len(self.gnx) + len(nx), dtype=np.int64)
        self.gx0, self.gy0 = np.concatenate([self.gx0, x0]), np.concatenate([self.gy0, y0])
        self.gsx = np.concatenate([self.gsx, np.where(wide, nx / w1, 0.0)])
        self.gsy = np.concatenate([self.gsy, np.where(high, ny / h1, 0.0)])
        self.gnx, self.gny = np.concatenate([self.gnx, nx]), np.concatenate([self.gny, ny])
        self.base = np.concatenate([self.base, self.cells + np.cumsum(nx * ny)])
        return numbers

    def _ranges(self, grid: Ints, poly: Ints) -> tuple[Ints, Ints, Ints, Ints]:
        """First column, first row, columns and rows of the cells of ``grid`` that the box of
        ``poly`` meets, entry by entry."""
        b = self.bounds[poly]
        ax, bx = self._col(grid, b[:, 0]), self._col(grid, b[:, 2])
        ay, by = self._row(grid, b[:, 1]), self._row(grid, b[:, 3])
        return ax, ay, bx - ax + 1, by - ay + 1

    def _expand(self, grid: Ints, poly: Ints, budget: int) -> tuple[Ints, Ints] | None:
        """(cell, polygon) for each cell of ``grid`` that the box of ``poly`` meets, entry by
        entry (in entry order); None when that is more than ``budget`` pairs."""
        ax, ay, wide, high = self._ranges(grid, poly)
        count = wide * high
        total = int(count.sum())
        if total > budget:
            return None
        owner = np.repeat(np.arange(len(poly)), count)
        k = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
        g, w = grid[owner], wide[owner]
        cell = self.base[g] + (ay[owner] + k // w) * self.gnx[g] + ax[owner] + k % w
        return cell, poly[owner]

    def _build(self, cell: Ints, poly: Ints) -> None:
        """Refine, level by level, the cells of the (cell, polygon) pairs that have many
        candidates, and keep the candidates of the cells left as they are."""
        leaves: list[tuple[Ints, Ints]] = []
        links: list[tuple[Ints, Ints]] = []  # (refined cells, the grid of each)
        kept = 0
        for _ in range(MAX_DEPTH):
            cells, counts = np.unique(cell, return_counts=True)
            dense = self._refinable(cells[counts > MOST_CANDIDATES])
            if not len(dense):
                break
            refined = np.isin(cell, dense)
            n = counts[np.searchsorted(cells, dense)]
            new = self._add_grids(self._rect(dense), n * CELLS_PER_POLYGON)
            below = self._expand(
                new[np.searchsorted(dense, cell[refined])],
                poly[refined],
                MAX_PAIRS - kept - int((~refined).sum()),
            )
            if below is None:  # too many pairs: these cells stay as they are
                break
            leaves.append((cell[~refined], poly[~refined]))
            kept += int((~refined).sum())
            links.append((dense, new))
            cell, poly = below
        leaves.append((cell, poly))
        self.child = np.full(self.cells, -1, dtype=np.int64)
        for dense, new in links:
            self.child[dense] = new
        cell = np.concatenate([c for c, _ in leaves])
        order = np.argsort(cell, kind="stable")  # polygon order kept within each cell
        self.cand = np.concatenate([p for _, p in leaves])[order]
        self.first = np.zeros(self.cells + 1, dtype=np.int64)
        np.cumsum(np.bincount(cell, minlength=self.cells), out=self.first[1:])

    def _refinable(self, dense: Ints) -> Ints:
        """The cells of ``dense`` in a grid with width and height (a grid along a line has
        nothing to split). Overlapping polygons, whose boxes would fill every finer cell
        again, are stopped by the budget of pairs instead."""
        g = self._grid_of(dense)
        return dense[(self.gsx[g] > 0) & (self.gsy[g] > 0)]

    def _cover(self, cells: Ints) -> None:
        """Find for ``cells`` the position among its candidates of the first one that covers
        the whole cell (edges included), -1 for none: a point there that no earlier candidate
        holds is in that one, without a test. Done for the cells points fall in, when they
        first do: a small import into 41,000 ZIP areas does not test them all."""
        self.cover[cells] = -1
        count = self.first[cells + 1] - self.first[cells]
        cell = np.repeat(cells, count)
        entry = np.arange(len(cell)) - np.repeat(np.cumsum(count) - count, count)
        entry += self.first[cell]
        left, low, right, high = self._rect(cell)
        # a point of a cell is at most a rounding away from the cell's edges as computed
        # here; the box tested is grown by a margin far beyond that
        x0, y0, x1, y1 = self.extent
        m = 1e-9 * max(abs(x0), abs(x1), abs(y0), abs(y1), 1.0)
        left, low, right, high = left - m, low - m, right + m, high + m
        b = self.bounds[self.cand[entry]]
        maybe = np.flatnonzero(
            (b[:, 0] <= left) & (b[:, 2] >= right) & (b[:, 1] <= low) & (b[:, 3] >= high)
        )  # only a polygon whose box holds the cell can cover it
        boxes = shapely.box(left[maybe], low[maybe], right[maybe], high[maybe])
        yes = maybe[shapely.covers(self.polys[self.cand[entry[maybe]]], boxes)]
        if len(yes):  # entries are in cell order: the first of each cell is the earliest
            first = yes[np.flatnonzero(np.diff(cell[yes], prepend=-1) != 0)]
            self.cover[cell[first]] = entry[first] - self.first[cell[first]]

    # -- cells ---------------------------------------------------------------------------------

    def _grid_of(self, cell: Ints) -> Ints:
        return np.searchsorted(self.base, cell, side="right") - 1

    def _col(self, g: Ints, x: Floats) -> Ints:
        """Column of each x in grid ``g`` (monotone in x within a grid)."""
        c = np.floor((x - self.gx0[g]) * self.gsx[g])
        return np.clip(c, 0, self.gnx[g] - 1).astype(np.int64)

    def _row(self, g: Ints, y: Floats) -> Ints:
        c = np.floor((y - self.gy0[g]) * self.gsy[g])
        return np.clip(c, 0, self.gny[g] - 1).astype(np.int64)

    def _rect(self, cell: Ints) -> Box:
        """The box of each cell (in a grid without width or height, the grid's line)."""
        g = self._grid_of(cell)
        local = cell - self.base[g]
        cx, cy = local % self.gnx[g], local // self.gnx[g]
        sx, sy = np.where(self.gsx[g] > 0, self.gsx[g], np.inf), self.gsy[g]
        sy = np.where(sy > 0, sy, np.inf)
        x0, y0 = self.gx0[g], self.gy0[g]
        return x0 + cx / sx, y0 + cy / sy, x0 + (cx + 1) / sx, y0 + (cy + 1) / sy

    # -- placing -------------------------------------------------------------------------------

    def place(self, lon: Floats, lat: Floats) -> Ints:
        """Index of the polygon containing each point, or -1 (see the module's docstring)."""
        x = np.asarray(lon, dtype=np.float64)
        y = np.asarray(lat, dtype=np.float64)
        out = np.full(len(x), -1, dtype=np.int64)
        if not len(self.cand) or len(x) == 0:
            return out
        x0, y0, x1, y1 = self.extent
        idx = np.flatnonzero((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))  # NaN: outside
        cell = self._row(np.zeros(len(idx), dtype=np.int64), y[idx]) * self.gnx[0]
        cell += self._col(np.zeros(len(idx), dtype=np.int64), x[idx])
        down = np.flatnonzero(self.child[cell] >= 0)
        while len(down):  # into the finer grid of a refined cell, as often as it takes
            g = self.child[cell[down]]
            px, py = x[idx[down]], y[idx[down]]
            cell[down] = self.base[g] + self._row(g, py) * self.gnx[g] + self._col(g, px)
            down = down[self.child[cell[down]] >= 0]
        order = np.argsort(cell)  # points of a cell together: each polygon's structures are
        idx, cell = idx[order], cell[order]  # then read from cache, not memory (6x faster)
        unknown = cell[self.cover[cell] == _UNKNOWN]
        if len(unknown):
            self._cover(np.unique(unknown))
        start = self.first[cell]
        cover = self.cover[cell]
        # candidates to test before the point is known: those before the covering one, or all
        tests = np.where(cover >= 0, cover, self.first[cell + 1] - start)
        k = 0
        while len(idx):
            sure = cover == k
            out[idx[sure]] = self.cand[start[sure] + k]
            todo = tests > k
            idx, start, cover, tests = idx[todo], start[todo], cover[todo], tests[todo]
            if not len(idx):
                break
            cand = self.cand[start + k]
            hit = shapely.intersects_xy(self.polys[cand], x[idx], y[idx])
            out[idx[hit]] = cand[hit]
            miss = ~hit
            idx, start, cover, tests = idx[miss], start[miss], cover[miss], tests[miss]
            k += 1
        return out
