"""Split the text of a CSV file into records, refusing what cannot be split safely.

Python's ``csv`` module in strict mode, not pandas: it hands over each record as it was written,
so a row with a cell too many is *seen* (pandas silently made the first column the index when
every row had a trailing comma, shifting every value one column left). Quoting that cannot be
read unambiguously, such as a quote never closed (it would swallow every row after it into one
cell) or text after a closing quote, refuses the file with the row and line where it starts.

The text is read in blocks of ``BLOCK_CHARS`` from a stream, never whole: a 10-million-row
export is 1.3 GB, and the records go to the grid builder, which hands them over in chunks when
asked to (``chunk_rows``). The csv module's C parser keeps every rule above exact, which
pyarrow's would not on its own: it accepts text after a closing quote and reads a quoted line
break differently. A streamed import first tries :mod:`._csvarrow`, which uses pyarrow only on
files where it provably reads what this module reads, and comes here for any other.

Lines longer than ``MAX_LINE_CHARS`` are refused before the csv module builds their cells.
Windows and old Mac line ends become ``\\n`` (also inside a quoted cell), as a spreadsheet
shows them.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator
from typing import TextIO

from planner.model.errors import ImportRefused
from planner.model.io._grid import Grid, GridBuilder
from planner.model.io._limits import MAX_CELL_CHARS, MAX_LINE_CHARS
from planner.model.io._messages import one_line
from planner.model.io.report import ImportReport

_SNIFF_CHARS = 65_536
#: Characters read at once: large enough that per-block costs vanish, small against memory.
BLOCK_CHARS = 1 << 20
#: Records taken from the reader at once.
_BATCH = 20_000


def csv_grids(
    name: str,
    stream: TextIO,
    report: ImportReport,
    *,
    chunk_cells: int | None = None,
    max_rows: int | None = None,
) -> Iterator[Grid]:
    """The records of ``stream`` (opened with ``newline=""``) under its first non-blank record,
    as grids of about ``chunk_cells`` cells (one grid when None); the last has ``final`` set.
    Yields nothing when there is no non-blank record."""
    lines = _Lines(name, stream, report)
    reader = csv.reader(lines.chained(), delimiter=_sniff_delimiter(lines.head), strict=True)
    builder: GridBuilder | None = None
    chunk_rows = -1  # no chunks
    row, line = 0, 0  # records and lines read
    stop: Exception | None = None  # what ended the reading, raised once the rows before it count
    while stop is None:
        batch: list[list[str]] = []
        try:
            batch.extend(itertools.islice(reader, _BATCH))  # the C reader, no Python per record
        except (csv.Error, ImportRefused) as exc:
            stop = exc
        if not batch and stop is None:
            break
        start = 0
        while builder is None and start < len(batch):
            cells = batch[start]
            start += 1
            if any(c.strip() for c in cells):
                builder = GridBuilder(
                    name, cells, report, fixed_width=True, nul=lines.nul, max_rows=max_rows
                )
                lines.builder = builder
                if chunk_cells is not None:
                    chunk_rows = max(1, chunk_cells // max(1, builder.width))
        if builder is not None and start < len(batch):
            short = reader.line_num - line == len(batch) and not lines.long
            builder.add_many(row + start + 1, batch[start:] if start else batch, short=short)
        if isinstance(stop, csv.Error):
            # the record that failed starts after the records of this batch read so far
            start_line = line + sum(1 + sum(c.count("\n") for c in cells) for cells in batch) + 1
            raise report.refuse(
                f"{name}: row {row + len(batch) + 1} (line {start_line}): {_explain(stop)}; "
                "nothing imported"
            ) from None
        if stop is not None:
            raise stop
        row, line = row + len(batch), reader.line_num
        if builder is not None and builder.pending >= chunk_rows > 0:
            yield builder.take()
    if builder is not None:
        yield builder.finish()


class _Lines:
    """The lines of a stream with their ``\\n``, read a block at a time; refuses a line longer
    than ``MAX_LINE_CHARS`` and tells the grid builder when NUL characters appear."""

    def __init__(self, name: str, stream: TextIO, report: ImportReport) -> None:
        self.name, self.stream, self.report = name, stream, report
        self.builder: GridBuilder | None = None
        self.nul = False
        self.long = False  # a line longer than a cell may be has been read
        self._next = self._read().lstrip("\ufeff")
        self.head = self._next[:_SNIFF_CHARS]

    def _read(self) -> str:
        block = self.stream.read(BLOCK_CHARS)
        if block.endswith("\r"):  # keep a CRLF together
            block += self.stream.read(1)
        if "\r" in block:
            block = block.replace("\r\n", "\n").replace("\r", "\n")
        return block

    def chained(self) -> Iterator[str]:
        """The lines, handed to the csv reader by C code (no Python frame per line)."""
        return itertools.chain.from_iterable(self._blocks())

    def _blocks(self) -> Iterator[Iterator[str]]:
        carry, number = "", 1  # the unfinished last line, the number of the first line held
        block = self._next
        while block:
            text = carry + block
            cut = text.rfind("\n") + 1
            complete, carry = text[:cut], text[cut:]
            if complete:
                self._see_nul(complete)
                if not self.long and len(complete) > MAX_CELL_CHARS:
                    self.long = max(map(len, complete.split("\n"))) > MAX_CELL_CHARS
                long = self._long_line(complete)
                if long is not None:  # refused when the reader gets there, as line by line
                    yield io.StringIO(complete[: long[1]])
                    self._refuse_line(number + long[0])
                yield io.StringIO(complete)
                number += complete.count("\n")
            if len(carry) > MAX_LINE_CHARS:
                self._refuse_line(number)
            block = self._read()
        if carry:
            self._see_nul(carry)
            self.long = self.long or len(carry) > MAX_CELL_CHARS
            yield iter([carry])

    def _see_nul(self, text: str) -> None:
        if not self.nul and "\x00" in text:
            self.nul = True
            if self.builder is not None:
                self.builder.nul = True

    @staticmethod
    def _long_line(complete: str) -> tuple[int, int] | None:
        """(index, offset) of the first line of ``complete`` longer than the limit, if any."""
        if len(complete) <= MAX_LINE_CHARS:
            return None
        lengths = list(map(len, complete.split("\n")))
        if max(lengths) <= MAX_LINE_CHARS:
            return None
        index = next(i for i, n in enumerate(lengths) if n > MAX_LINE_CHARS)
        return index, sum(lengths[:index]) + index

    def _refuse_line(self, number: int) -> None:
        raise self.report.refuse(
            f"{self.name}: line {number} is longer than {MAX_LINE_CHARS:,} characters; "
            "not a table of records (or an unclosed quote?); nothing imported"
        )


def _explain(exc: csv.Error) -> str:
    text = str(exc)
    if "unexpected end of data" in text:
        return "a quoted cell starts here and is never closed (a stray '\"'?)"
    if "expected after" in text:
        return 'text follows a closing quote (write a quote inside a quoted cell as "")'
    if "field larger than field limit" in text:
        return f"a cell longer than {csv.field_size_limit():,} characters (an unclosed quote?)"
    return one_line(text)


def _sniff_delimiter(text: str) -> str:
    """Comma unless the first non-blank line clearly uses ; or tab or | (as European Excel)."""
    first = next((ln for ln in text[:_SNIFF_CHARS].split("\n") if ln.strip()), "")
    try:
        return csv.Sniffer().sniff(first, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","
