"""Collect the rows of a CSV or XLSX sheet under its header, checking each row as it arrives.

Both readers feed one :class:`GridBuilder` row by row, so the same rules hold for both formats:

- **Ragged CSV rows are never realigned.** A record with more or fewer cells than the header
  (a trailing comma on every row, an unquoted comma in a name) would put ids under names and
  names under potential. Such a row is rejected with its row number and left out of the table;
  the importer's all-or-nothing policy then refuses the import (or skips the row).
- A cell longer than Excel's 32,767 characters, or holding a NUL character (binary data, and a
  value PostgreSQL cannot store), rejects its row.
- A value in a column without a header (in a workbook the grid fixes every column, so it
  cannot shift anything) is not read, and one warning per column says where it was.
- The header may have at most ``MAX_COLUMNS`` columns and the table ``MAX_CELLS`` cells; both
  are checked before the rows they would cost are stored.

A streamed table (the account import of a large CSV) takes the rows so far as one chunk with
:meth:`GridBuilder.take` whenever ``pending`` reaches the chunk size: memory then holds one
chunk, so the cell bound gives way to a bound on the rows of the whole file (``max_rows``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from planner.model.io._limits import MAX_CELL_CHARS, MAX_CELLS, MAX_COLUMNS
from planner.model.io._messages import one_line, quote
from planner.model.io.report import ImportReport, RowIssue


@dataclass
class Grid:
    """Text cells by column (stripped, '' when blank) for the rows that could be read."""

    header: list[str]
    columns: list[list[str]]
    rows: list[int]  # spreadsheet row number of each stored row (header row = its own number)
    rejected: list[RowIssue] = field(default_factory=list)  # rows left out, with the reason
    final: bool = True  # False for a chunk of a streamed table that more chunks follow
    #: The same columns as pyarrow arrays, when a reader gave them and every row it read is
    #: stored (else None): checks and number parsing run on them in C, without the GIL.
    arrow: list[Any] | None = None


class GridBuilder:
    """Accumulates rows under ``header``; ``fixed_width`` says the format is a CSV (whose rows
    must have exactly the header's cells); ``nul`` that the text may hold NUL characters (a
    streaming reader sets it as soon as it sees one). ``max_rows`` replaces the cell bound for
    a table taken in chunks."""

    def __init__(
        self,
        name: str,
        header: list[str],
        report: ImportReport,
        *,
        fixed_width: bool,
        nul: bool,
        max_rows: int | None = None,
    ) -> None:
        # "Annual\nRevenue" (a line break typed in a header cell) names a column on one line.
        header = [one_line(h, MAX_CELL_CHARS) for h in header]
        while header and not header[-1] and not fixed_width:  # a CSV keeps its trailing comma
            header.pop()
        if len(header) > MAX_COLUMNS:
            raise report.refuse(
                f"{name}: the header has {len(header):,} columns; at most {MAX_COLUMNS:,} "
                f"are read (first ones: {', '.join(quote(h, 20) for h in header[:3])})"
            )
        self.name, self.report, self.fixed_width, self.nul = name, report, fixed_width, nul
        self.width = len(header)
        self.max_rows = max_rows
        self.grid = Grid(header=header, columns=[], rows=[])
        self.pending = 0  # rows stored or rejected since the last chunk was taken
        self.stored = 0  # rows stored in every chunk so far
        self.first_rejected: RowIssue | None = None
        self.rejected_count = 0
        self._records: list[list[str]] = []  # rows by add()
        self._columns: list[list[str]] = []  # or columns by add_many()
        self._arrow: list[list[Any]] | None = []  # batches of pyarrow columns, see Grid.arrow
        self._blank = [j for j, h in enumerate(header) if not h]  # columns without a header
        self._unheaded: dict[int, list[int]] = {}  # column index -> [first row, count]

    def add(self, row: int, raw: list[str]) -> None:
        """Add one record (row number as a spreadsheet shows it); blank records are skipped."""
        cells = [c.strip() for c in raw]
        self._arrow = None
        if not any(cells):
            return
        self._check_count(1, np.array([row]))
        self.pending += 1
        problem = None
        if self.fixed_width and len(cells) != self.width:
            problem = self._ragged(row, cells)
        elif (  # the common row needs no look at each cell
            len(cells) > self.width
            or sum(map(len, cells)) > MAX_CELL_CHARS
            or (self.nul and "\x00" in "".join(cells))
            or any(cells[j] for j in self._blank if j < len(cells))
        ):
            problem = self._cell_problem(row, cells)
        if problem is not None:
            self._rejected(problem)
            return
        if len(cells) != self.width:
            cells = (cells + [""] * self.width)[: self.width]
        self._records.append(cells)
        self.grid.rows.append(row)

    def add_many(self, first_row: int, raw: list[list[str]], *, short: bool = False) -> None:
        """Add consecutive records (rows ``first_row``, ``first_row + 1`` …) of a CSV exactly
        as :meth:`add` would, with the checks run per column instead of per row: at millions
        of rows the per-row Python work was most of the import. Rows that need a closer look
        (ragged, long, NUL, a value under no header) still go through the per-row checks.
        Only for a CSV (``fixed_width``), whose rows all have the header's width. ``short``
        says no record is longer than a cell may be (each is one line of at most that many
        characters), which spares counting characters."""
        n, width = len(raw), self.width
        rows = np.arange(first_row, first_row + n, dtype=np.int64)
        good = np.fromiter(map(len, raw), dtype=np.int64, count=n) == width
        good_rows = raw if good.all() else [raw[i] for i in np.flatnonzero(good)]
        columns = [[c.strip() for c in col] for col in zip(*good_rows, strict=True)]
        if not good_rows:
            columns = [[] for _ in range(width)]
        other = [(int(rows[i]), raw[i]) for i in np.flatnonzero(~good)]
        self.add_columns(rows[good], columns, other, short=short)

    def add_columns(
        self,
        rows: np.ndarray,
        columns: list[list[str]],
        ragged: list[tuple[int, list[str]]],
        *,
        short: bool = False,
        arrow: list[Any] | None = None,
    ) -> None:
        """Add records given by column, stripped, with their row numbers (``rows``, all of the
        header's width), and the ``ragged`` records (row number, cells as read) among them:
        what :meth:`add_many` does once the records are split, for a reader that gives
        columns (:mod:`._csvarrow`). ``short`` as for :meth:`add_many`; ``arrow``: the same
        columns as pyarrow arrays (kept for :attr:`Grid.arrow` while no row is left out)."""
        total = self._row_lengths(columns, len(rows), short)
        closer = total > MAX_CELL_CHARS
        for j in self._blank:
            closer |= np.array([c != "" for c in columns[j]], dtype=bool)
        if self.nul:
            for col in columns:
                if "\x00" in "".join(col):
                    closer |= np.fromiter(("\x00" in c for c in col), dtype=bool, count=len(col))
        other = [(row, [c.strip() for c in cells]) for row, cells in ragged]
        all_rows = np.concatenate([rows, np.array([r for r, _ in other], dtype=np.int64)])
        nonblank = np.concatenate([total > 0, [any(cells) for _, cells in other]]).astype(bool)
        if other:  # in row order, as the bound names the first row beyond it
            order = np.argsort(all_rows, kind="stable")
            all_rows, nonblank = all_rows[order], nonblank[order]
        self._check_count(int(nonblank.sum()), all_rows[nonblank])
        self.pending += int(nonblank.sum())
        keep = (total > 0) & ~closer
        issues: list[RowIssue] = []
        for k in np.flatnonzero(closer & (total > 0)):
            problem = self._cell_problem(int(rows[k]), [col[k] for col in columns])
            if problem is None:
                keep[k] = True
            else:
                issues.append(problem)
        issues += [self._ragged(row, cells) for row, cells in other if any(cells)]
        for issue in sorted(issues, key=lambda r: r.row or 0):
            self._rejected(issue)
        if not keep.all():
            columns = [[v for v, k in zip(col, keep.tolist(), strict=True) if k] for col in columns]
        if self._columns:
            for mine, col in zip(self._columns, columns, strict=True):
                mine.extend(col)
        else:
            self._columns = columns
        self.grid.rows.extend(rows[keep].tolist())
        if self._arrow is not None:
            if arrow is not None and not other and bool(keep.all()):
                self._arrow.append(arrow)
            else:
                self._arrow = None

    @staticmethod
    def _row_lengths(columns: list[list[str]], n: int, short: bool) -> np.ndarray:
        """Characters per row, or 1 for every row when no row can be blank (a column has no
        blank cell) or longer than a cell may be (``short``, or the longest cells of the
        columns add up to less): the common case then costs no pass over the cells."""
        if not short:
            short = sum(max(map(len, col), default=0) for col in columns) <= MAX_CELL_CHARS
        if short and any("" not in col for col in columns):
            return np.ones(n, dtype=np.int64)
        lengths = [np.fromiter(map(len, col), dtype=np.int64, count=n) for col in columns]
        return np.sum(lengths, axis=0) if lengths else np.zeros(n, dtype=np.int64)

    def _check_count(self, more: int, rows: np.ndarray) -> None:
        """Refuse before storing a row beyond the bound: the cells of a table held whole, the
        rows of a streamed one. ``rows`` are the numbers of the non-blank rows to add."""
        stored = self.stored + len(self.grid.rows) + self.rejected_count
        bound = self.max_rows if self.max_rows is not None else MAX_CELLS // self.width + 1
        if stored + max(more, 1) <= bound:
            return
        k = bound - stored  # the first non-blank row to add that breaks the bound
        if k >= len(rows):
            return
        row = int(rows[max(k, 0)])
        if self.max_rows is None:
            raise self.report.refuse(
                f"{self.name}: more than {MAX_CELLS:,} cells ({bound:,} rows of "
                f"{self.width} columns before row {row}); split the file"
            )
        raise self.report.refuse(
            f"{self.name}: more than {self.max_rows:,} rows (row {row}); split the file"
        )

    def _rejected(self, problem: RowIssue) -> None:
        self.grid.rejected.append(problem)
        self.rejected_count += 1
        if self.first_rejected is None:
            self.first_rejected = problem

    def _ragged(self, row: int, cells: list[str]) -> RowIssue:
        width = self.width
        if len(cells) > width:
            extra = next((c for c in cells[width:] if c), "")
            column = f"column {width + 1}"
            why = (
                f"extra value {quote(extra)}: an unquoted comma?" if extra else "a trailing comma?"
            )
        else:
            column = self.grid.header[len(cells)] or f"column {len(cells) + 1}"
            why = f"{quote(column)} on missing"
        return RowIssue(
            row,
            column,
            f"{len(cells)} cells, the header has {width} ({why}); row not read, so no value "
            "shifts column",
        )

    def _cell_problem(self, row: int, cells: list[str]) -> RowIssue | None:
        header = self.grid.header
        for j, value in enumerate(cells):
            if j >= self.width or not header[j]:
                if value:
                    self._unheaded.setdefault(j, [row, 0])[1] += 1
                continue
            if len(value) > MAX_CELL_CHARS:
                return RowIssue(
                    row,
                    header[j],
                    f"{len(value):,} characters; a cell holds at most {MAX_CELL_CHARS:,}",
                )
            if "\x00" in value:
                return RowIssue(row, header[j], "contains a NUL character (binary data?)")
        return None

    def take(self) -> Grid:
        """The rows since the last chunk as a grid of their own (``final`` False)."""
        if self._columns:
            columns = self._columns
        else:
            by_row = zip(*self._records, strict=True) if self._records else [()] * self.width
            columns = [list(c) for c in by_row]
        chunk = Grid(
            header=self.grid.header,
            columns=columns,
            rows=self.grid.rows,
            rejected=self.grid.rejected,
            final=False,
            arrow=self._arrow_columns(),
        )
        self.stored += len(chunk.rows)
        self._records, self._columns, self.pending, self._arrow = [], [], 0, []
        self.grid = Grid(header=chunk.header, columns=[], rows=[])
        return chunk

    def _arrow_columns(self) -> list[Any] | None:
        """The batches' pyarrow columns as one chunked array per column, or None."""
        if not self._arrow:
            return None
        import pyarrow as pa

        return [pa.chunked_array([b[j] for b in self._arrow]) for j in range(self.width)]

    def finish(self) -> Grid:
        """The last rows as a grid (the whole table if no chunk was taken); warns once per
        column of values that have no header."""
        self.grid = self.take()
        self.grid.final = True
        for j, (first, count) in sorted(self._unheaded.items()):
            self.report.warn(
                first,
                f"column {j + 1}",
                f"{count} value(s) in a column without a header (first in row {first}); not read",
            )
        return self.grid
