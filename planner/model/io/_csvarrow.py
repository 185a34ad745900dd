"""Split a plain CSV with pyarrow's C reader: the same grids as :mod:`._csvread`, faster.

The csv module's reader and the per-cell ``strip`` cost about 10 s of CPU per million account
rows, a third of an import; pyarrow's streaming reader splits and trims the same rows in a
fraction of that. It is used only where it provably gives what the csv module gives, decided
by one pass over the bytes before any row is read (:func:`arrow_grids` returns None otherwise
and the caller uses :mod:`._csvread`):

- the text is UTF-8 (other encodings go through Python's codecs) without NUL characters;
- no stretch of half of ``MAX_LINE_CHARS`` bytes without a line end, so every line is shorter
  than the limit and than pyarrow's block (the csv module path refuses longer lines with
  their line number);
- every line holding a quote character is a whole record by itself for the csv module in
  strict mode (parsed by it): no quoted cell spans lines and no quoting is malformed, so each
  line is one record and pyarrow's quoting (double quotes, quotes only at a cell's start)
  reads it as the csv module does. Blank lines are records too (``ignore_empty_lines`` off),
  so row numbers are line numbers, as the csv module path counts them.

Records with more or fewer cells than the header come back through pyarrow's invalid-row
handler with their line number and text; they are read again with the csv module and go to
:meth:`GridBuilder.add_columns` as ragged rows, so the row checks and messages are the same.
pyarrow's Unicode whitespace trimming was checked against ``str.strip`` for every code point.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import numpy as np

from planner.model.io._arrow_text import ArrowText
from planner.model.io._csvread import _sniff_delimiter
from planner.model.io._grid import Grid, GridBuilder
from planner.model.io._limits import MAX_CELL_CHARS, MAX_LINE_CHARS
from planner.model.io._messages import one_line
from planner.model.io.report import ImportReport

#: Bytes scanned at once by the eligibility pass.
_BLOCK_BYTES = 1 << 24
#: pyarrow's block, larger than any line it is given (under ``2 * _LONG_BYTES``); a chunk is
#: taken at the end of a block, so small blocks keep chunks near their size.
_ARROW_BLOCK_BYTES = 1 << 22
#: A line this long (bytes) sends the file to the csv module path, which checks it exactly.
_LONG_BYTES = MAX_LINE_CHARS // 2
_HEAD_BYTES = 1 << 20
_BOM = b"\xef\xbb\xbf"


def arrow_grids(
    name: str,
    path: Path,
    encoding: str,
    report: ImportReport,
    *,
    chunk_cells: int | None,
    max_rows: int | None,
) -> Iterator[Grid] | None:
    """The grids :func:`._csvread.csv_grids` would give for ``path``, or None when the file
    is not one this reader provably reads the same way (or pyarrow is missing)."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:  # pragma: no cover - a dependency; kept optional for slim installs
        return None
    if codecs.lookup(encoding).name not in ("utf-8", "utf-8-sig", "ascii"):
        return None
    with path.open("rb") as f:
        head = f.read(_HEAD_BYTES)
    start = len(_BOM) if head.startswith(_BOM) else 0
    text = head[start:].decode("utf-8", errors="ignore")  # the file decodes: checked before
    delimiter = _sniff_delimiter(text.replace("\r\n", "\n").replace("\r", "\n"))
    found = _header(head, start, delimiter)
    if found is None or not _plain(path, delimiter):
        return None
    header, header_row, offset = found
    return _grids(name, path, report, delimiter, header, header_row, offset, chunk_cells, max_rows)


def _lines(data: bytes, start: int) -> Iterator[tuple[int, int, int]]:
    """(start, end, next start) of each complete line of ``data`` from ``start``; a line ends
    at ``\\n``, ``\\r\\n`` or ``\\r`` (the csv module path reads all three as one line end)."""
    while True:
        n, r = data.find(b"\n", start), data.find(b"\r", start)
        end = min(n, r) if n >= 0 and r >= 0 else max(n, r)
        if end < 0:
            return
        after = end + 2 if data[end : end + 2] == b"\r\n" else end + 1
        yield start, end, after
        start = after


def _record(line: bytes, delimiter: str) -> list[str] | None:
    """The cells of one line as the csv module reads them (strict), None when the line is not
    a whole, well-formed record on its own."""
    try:
        return next(csv.reader([line.decode("utf-8")], delimiter=delimiter, strict=True), [])
    except csv.Error:
        return None


def _header(head: bytes, start: int, delimiter: str) -> tuple[list[str], int, int] | None:
    """The first non-blank record of ``head``, its row number and the byte offset after it."""
    for row, (begin, end, after) in enumerate(_lines(head, start), start=1):
        cells = _record(head[begin:end], delimiter)
        if cells is None:
            return None
        if any(c.strip() for c in cells):
            return cells, row, after
    return None  # no header in the first megabyte: the csv module path says what is wrong


def _plain(path: Path, delimiter: str) -> bool:
    """True when every line of ``path`` is short, without NUL, and whole as a record."""
    carry = b""
    with path.open("rb") as f:
        while True:
            block = f.read(_BLOCK_BYTES)
            data = carry + block
            if b"\x00" in block:
                return False
            # a CRLF may be split between two blocks: a final \r waits for the next block,
            # with the line it ends (checked whole once its end is known)
            last = len(data) - 1 if data.endswith(b"\r") else len(data)
            cut = max(data.rfind(b"\n", 0, last), data.rfind(b"\r", 0, last)) + 1
            cut = cut if block else len(data)
            if not _plain_lines(data[:cut] if block else data + b"\n", delimiter):
                return False
            carry = data[cut:]
            if len(carry) > _LONG_BYTES:
                return False
            if not block:
                return True


def _plain_lines(data: bytes, delimiter: str) -> bool:
    """The checks of :func:`_plain` on complete lines: one ``find`` per stretch, not per line,
    except around the (usually few) quote characters."""
    for at in range(0, len(data), _LONG_BYTES):
        stretch = data[at : at + _LONG_BYTES]
        if len(stretch) == _LONG_BYTES and b"\n" not in stretch and b"\r" not in stretch:
            return False
    q = data.find(b'"')
    while q >= 0:
        begin = max(data.rfind(b"\n", 0, q), data.rfind(b"\r", 0, q)) + 1
        _, end, after = next(_lines(data, q))
        if _record(data[begin:end], delimiter) is None:
            return False
        q = data.find(b'"', after)
    return True


def _grids(
    name: str,
    path: Path,
    report: ImportReport,
    delimiter: str,
    header: list[str],
    header_row: int,
    offset: int,
    chunk_cells: int | None,
    max_rows: int | None,
) -> Iterator[Grid]:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    builder = GridBuilder(name, header, report, fixed_width=True, nul=False, max_rows=max_rows)
    width = builder.width
    chunk_rows = max(1, chunk_cells // max(1, width)) if chunk_cells is not None else -1
    ragged: list[tuple[int, str]] = []  # (line after the header, text) in file order

    def invalid(row: pcsv.InvalidRow) -> str:
        ragged.append((int(row.number), row.text))
        return "skip"

    names = [f"c{j}" for j in range(width)]
    # malloc's pool, not a second allocator of pyarrow's own: what a block frees is reused
    # by the Python strings of the next instead of being held apart
    pool = pa.system_memory_pool()
    if offset >= path.stat().st_size:  # a header and nothing after it (pyarrow: "empty")
        yield builder.finish()
        return
    try:
        with pa.OSFile(str(path)) as f:
            f.seek(offset)
            reader = pcsv.open_csv(
                f,
                read_options=pcsv.ReadOptions(
                    column_names=names, block_size=_ARROW_BLOCK_BYTES, use_threads=False
                ),
                parse_options=pcsv.ParseOptions(
                    delimiter=delimiter,
                    quote_char='"',
                    double_quote=True,
                    escape_char=False,
                    newlines_in_values=False,
                    ignore_empty_lines=False,
                    invalid_row_handler=invalid,
                ),
                convert_options=pcsv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
                memory_pool=pool,
            )
            line = 0  # lines after the header read so far
            for batch in reader:
                end = line + batch.num_rows + 1  # one past the batch's last line, with the
                k = 0  # skipped lines among them (in order: each one pushes the end by a line)
                while k < len(ragged) and ragged[k][0] < end:
                    end, k = end + 1, k + 1
                mine = ragged[:k]
                del ragged[:k]
                lines = np.arange(line + 1, end, dtype=np.int64)
                if mine:
                    lines = lines[~np.isin(lines, [n for n, _ in mine])]
                trimmed = [pc.utf8_trim_whitespace(col, memory_pool=pool) for col in batch.columns]
                longest = sum(
                    int(pc.max(pc.utf8_length(c, memory_pool=pool)).as_py() or 0) for c in trimmed
                )
                builder.add_columns(
                    lines + header_row,
                    # the strings made when used; an ArrowText does what a list does
                    cast("list[list[str]]", [ArrowText(arrays=[c]) for c in trimmed]),
                    [(n + header_row, _record(t.encode(), delimiter) or []) for n, t in mine],
                    short=longest <= MAX_CELL_CHARS,
                    arrow=trimmed,
                )
                line = end - 1
                if builder.pending >= chunk_rows > 0:
                    yield builder.take()
            if ragged:  # lines at the very end that were all skipped
                builder.add_columns(
                    np.zeros(0, dtype=np.int64),
                    [[] for _ in range(width)],
                    [(n + header_row, _record(t.encode(), delimiter) or []) for n, t in ragged],
                )
    except pa.ArrowException as exc:  # not expected of a file that passed _plain
        raise report.refuse(f"{name}: cannot be read ({one_line(exc)}); nothing imported") from None
    yield builder.finish()
