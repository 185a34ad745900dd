"""Read a CSV or XLSX export into a table of text, whatever its encoding.

CRM exports arrive as UTF-8, UTF-8 with a byte order mark (Excel's "CSV UTF-8"), GB18030/GBK
(Excel on a Chinese Windows), or as XLSX. Every cell is read as *text*: type guessing turns the
ZIP ``02134`` into ``2134`` and long ids into floats, and the importers know better which column
is a number. Files that cannot be a table (empty, binary, a header without rows) are refused
with a message naming the file, before anything is written.

The records themselves come from :mod:`._csvread` and :mod:`._xlsxread` through one
:class:`~._grid.GridBuilder`: rows that cannot be read as they stand (ragged, oversized cells)
are rejected by row, and every size is bounded before it is allocated (:mod:`._limits`).
``report.read`` counts every data row, rejected ones included.

Nothing here holds the whole file: the encoding is detected and checked by decoding it a block
at a time, and a CSV's text is streamed to the record reader, so an account import can take a
large export in chunks (:func:`iter_tables`). A decoding error is still found before any row is
read, and its message gives its position in the file, as decoding the file whole did.
"""

from __future__ import annotations

import codecs
import functools
import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from planner.model.io._csvarrow import arrow_grids
from planner.model.io._csvread import csv_grids
from planner.model.io._grid import Grid
from planner.model.io._limits import MAX_STREAM_BYTES, MAX_STREAM_ROWS, MAX_TABLE_BYTES
from planner.model.io._messages import name_list, one_line, quote
from planner.model.io._xlsxread import read_xlsx_grid
from planner.model.io.report import ImportReport

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
#: Encodings charset-normalizer may name for simplified-Chinese text; GB18030 is their superset
#: (every GBK/GB2312 byte sequence decodes the same way), so one decoder covers them all.
_CHINESE = {"gb2312", "gbk", "gb18030", "hz", "cp936", "euc_cn"}
#: Detector answers that, for a file that is not UTF-8, are usually GBK misread (short files).
_EAST_ASIAN = ("big5", "cp949", "euc_kr", "cp932", "shift_jis", "euc_jis", "johab", "iso2022")
_LATIN = ("cp125", "latin", "iso8859", "mac_", "cp850", "cp437")
_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls (and other Office binary files)
_HEAD_BYTES = 200_000  # what charset-normalizer looks at
_CHECK_CHARS = 100_000  # what the binary-junk check looks at
_DECODE_BLOCK = 1 << 24


@dataclass
class Table:
    """Cells as text ('' when blank) with the spreadsheet row number of each record."""

    columns: dict[str, list[str]]  # by header as found (stripped, made unique), in file order
    rows: pd.Series  # spreadsheet row numbers (header = 1), aligned with the columns
    encoding: str  # "xlsx" for workbooks
    final: bool = True  # False for a chunk of a streamed file that more chunks follow
    #: The columns as pyarrow arrays by header, when the reader gave them (Grid.arrow).
    arrow: dict[str, Any] | None = None

    @property
    def headers(self) -> list[str]:
        return list(self.columns)

    @functools.cached_property
    def frame(self) -> pd.DataFrame:
        """The columns as a DataFrame of text (built when asked: a streamed import of millions
        of rows reads the lists and converts only the columns it compares)."""
        return pd.DataFrame(
            {h: np.array(c, dtype=object) for h, c in self.columns.items()},
            columns=list(self.columns),
            dtype=object,
        )


def read_table(path: Path, report: ImportReport, *, encoding: str | None = None) -> Table:
    """Read ``path`` (CSV or XLSX) as text cells; raises ImportRefused for unusable files.

    Rows that cannot be read as they stand (ragged CSV rows, oversized cells) are already in
    ``report.rejected`` and absent from the table; the importer's policy decides what follows.
    """
    tables = iter_tables(path, report, encoding=encoding)
    try:
        return next(tables)
    finally:
        tables.close()


def iter_tables(
    path: Path, report: ImportReport, *, encoding: str | None = None, chunk_cells: int | None = None
) -> Generator[Table, None, None]:
    """The table of ``path`` as one Table, or with ``chunk_cells`` a CSV as chunks of about
    that many cells (a workbook is always one table); the same refusals as :func:`read_table`.

    Chunked, a CSV may be up to ``MAX_STREAM_BYTES`` and ``MAX_STREAM_ROWS`` rows: only one
    chunk is in memory at a time. ``report.read`` and ``report.rejected`` grow chunk by chunk.
    """
    name = str(path)
    limit = MAX_TABLE_BYTES if chunk_cells is None else MAX_STREAM_BYTES
    try:
        size = path.stat().st_size
        if size > limit:
            raise report.refuse(
                f"{name}: {size:,} bytes is more than the {limit:,} read at once; split the file"
            )
        with path.open("rb") as f:
            head = f.read(_HEAD_BYTES)
    except FileNotFoundError:
        raise report.refuse(f"{name}: no such file") from None
    except OSError as exc:
        raise report.refuse(f"{name}: cannot be read ({one_line(exc.strerror or exc)})") from None
    if _blank(path, head):
        raise report.refuse(f"{name}: the file is empty; nothing imported")
    grids: Iterator[Grid]
    if head.startswith(_XLSX_MAGIC):
        if size > MAX_TABLE_BYTES:
            raise report.refuse(
                f"{name}: {size:,} bytes is more than the {MAX_TABLE_BYTES:,} read at once; "
                "split the file"
            )
        grid = read_xlsx_grid(name, path.read_bytes(), report)
        enc, grids = "xlsx", iter([grid] if grid is not None else [])
    elif head.startswith(_OLE_MAGIC):
        raise report.refuse(
            f"{name}: an old Excel .xls (or other binary Office file); "
            "save it as .xlsx or CSV and import that"
        )
    else:
        enc, checked = (encoding, False) if encoding else _detect_encoding(path, head, report)
        problem = None if checked else _decode_problem(path, enc)
        if problem is not None:
            raise report.refuse(f"{name}: cannot be decoded as {enc} ({one_line(problem)})")
        with path.open(encoding=enc, newline="") as text:
            _check_text(path, text.read(_CHECK_CHARS), report)
        max_rows = None if chunk_cells is None else MAX_STREAM_ROWS
        fast = None  # pyarrow's reader for a streamed file it reads as the csv module does
        if chunk_cells is not None:
            fast = arrow_grids(name, path, enc, report, chunk_cells=chunk_cells, max_rows=max_rows)
        if fast is not None:
            grids = fast
        else:
            stream = path.open(encoding=enc, newline="")
            grids = _closing(csv_grids(name, stream, report, chunk_cells=chunk_cells,
                                       max_rows=max_rows), stream)  # fmt: skip
    yield from _tables(name, grids, enc, report)


def _tables(name: str, grids: Iterator[Grid], enc: str, report: ImportReport) -> Iterator[Table]:
    """Tables of the grids, after the refusals of a table without header or rows."""
    first = next(grids, None)
    if first is None or not any(first.header):
        raise report.refuse(f"{name}: no header row found; nothing imported")
    stored, rejected, first_rejected = 0, 0, None
    grid: Grid | None = first
    while grid is not None:
        report.rejected.extend(grid.rejected)
        report.read += len(grid.rows) + len(grid.rejected)
        stored, rejected = stored + len(grid.rows), rejected + len(grid.rejected)
        first_rejected = first_rejected or (grid.rejected[0] if grid.rejected else None)
        if grid.final and not stored:
            if first_rejected is not None:
                more = rejected - 1
                raise report.refuse(
                    f"{name}: no data row could be read; row {first_rejected.row}, field "
                    f"{quote(first_rejected.field)}: {first_rejected.reason}"
                    + (f" (and {more} more)" if more else "")
                    + "; nothing imported"
                )
            raise report.refuse(
                f"{name}: has a header ({name_list(first.header)}) but no data rows; "
                "nothing imported"
            )
        yield _to_table(grid, enc)
        grid = None if grid.final else next(grids, None)


def _closing(grids: Iterator[Grid], stream: IO[str]) -> Iterator[Grid]:
    """``grids``, closing ``stream`` when they end (or the reader stops early)."""
    with stream:
        yield from grids


def _blank(path: Path, head: bytes) -> bool:
    """True when the whole file is whitespace (read on only while it is)."""
    if head.strip():
        return False
    with path.open("rb") as f:
        while block := f.read(_DECODE_BLOCK):
            if block.strip():
                return False
    return True


def _to_table(grid: Grid, encoding: str) -> Table:
    """The grid's headed columns as a Table (names made unique as pandas does)."""
    keep = [j for j, h in enumerate(grid.header) if h]
    headers = _unique([grid.header[j] for j in keep])
    columns = {h: grid.columns[j] for h, j in zip(headers, keep, strict=True)}
    rows = pd.Series(np.array(grid.rows, dtype=np.int64))
    arrow = (
        {h: grid.arrow[j] for h, j in zip(headers, keep, strict=True)}
        if grid.arrow is not None
        else None
    )
    return Table(columns=columns, rows=rows, encoding=encoding, final=grid.final, arrow=arrow)


def _detect_encoding(path: Path, head: bytes, report: ImportReport) -> tuple[str, bool]:
    """The file's encoding and whether the whole file was decoded with it: a BOM wins, then
    UTF-16 without one (every other byte NUL: it would pass as UTF-8 full of NULs), strict
    UTF-8, then charset-normalizer's guess from the first 200 KB."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name, False
    sample = head[:4096]
    if len(sample) >= 4 and sample.count(0) >= len(sample) // 3:
        enc = "utf-16-le" if sample[1::2].count(0) > sample[0::2].count(0) else "utf-16-be"
        if _decode_problem(path, enc) is None:
            return enc, True
    if _decode_problem(path, "utf-8") is None:
        return "utf-8", True
    from charset_normalizer import from_bytes

    best = from_bytes(head[:200_000]).best()
    if best is None:
        raise report.refuse(f"{path}: not a text table (binary content?); nothing imported")
    name = best.encoding.lower().replace("-", "_")
    if name in _CHINESE:
        return "gb18030", False
    if (name.startswith(_EAST_ASIAN) or name.startswith("utf_")) and _plausible_gb(path):
        # Short files fool the detector (a GBK header is often called Big5, CP949 or even
        # UTF-16); text that decodes as GB18030 to Chinese characters only is taken as such.
        return "gb18030", True
    if name.startswith(_LATIN) and _decode_problem(path, "cp1252") is None:
        # On short files the detector picks among Latin code pages almost at random (Ångström
        # read as cp1250 becomes Ĺngström); Excel's Western CSV is cp1252, so prefer it.
        # Central-European files need --encoding cp1250.
        return "cp1252", True
    return best.encoding, False


def _decoded_blocks(path: Path, encoding: str) -> Iterator[str]:
    """The text of ``path`` a block at a time; UnicodeDecodeError/LookupError as decoding
    the whole file would raise them (positions counted from the start of the file)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0  # bytes before the decoder's pending input
    with path.open("rb") as f:
        while True:
            block = f.read(_DECODE_BLOCK)
            pending = len(decoder.getstate()[0])
            try:
                yield decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                raise _PositionedDecodeError(exc, offset - pending + exc.start) from None
            if not block:
                return
            offset += len(block)


class _PositionedDecodeError(UnicodeDecodeError):
    """A decoding error whose message gives its position in the whole file."""

    def __init__(self, exc: UnicodeDecodeError, at: int) -> None:
        bad = exc.object[exc.start : exc.end]
        super().__init__(exc.encoding, bad, 0, len(bad), exc.reason)
        self.at = at

    def __str__(self) -> str:
        bad = self.object
        where = (
            f"byte 0x{bad[0]:02x} in position {self.at}"
            if len(bad) == 1
            else f"bytes in position {self.at}-{self.at + len(bad) - 1}"
        )
        return f"'{self.encoding}' codec can't decode {where}: {self.reason}"


def _decode_problem(path: Path, encoding: str) -> str | None:
    """Why ``path`` cannot be decoded as ``encoding`` (None when it can)."""
    try:
        if codecs.lookup(encoding).name == "utf-8" and _valid_utf8(path):
            return None  # else decoded below, for the position of the first bad byte
        for _ in _decoded_blocks(path, encoding):
            pass
    except (UnicodeError, LookupError) as exc:  # UnicodeError: UTF-16 without a BOM
        return str(exc)
    return None


def _valid_utf8(path: Path) -> bool:
    """True when ``path`` is valid UTF-8 (as strict as Python's codec: no surrogates, no
    overlong forms), checked by pyarrow's validator a block of whole lines at a time: three
    times faster than decoding, a few seconds on a 10 million row export. False when it is
    not, or pyarrow is missing."""
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - a dependency; kept optional for slim installs
        return False
    carry = b""
    with path.open("rb") as f:
        while True:
            block = f.read(_DECODE_BLOCK)
            data = carry + block
            cut = data.rfind(b"\n") + 1 if block else len(data)  # a line end is never
            if block and cut == 0:  # inside a character; without one, cut before the
                cut = len(data) - 1  # last character (its lead byte) instead
                while cut > 0 and len(data) - cut < 4 and data[cut] & 0xC0 == 0x80:
                    cut -= 1
            carry = data[cut:]
            try:
                pa.array([data[:cut]], pa.binary()).cast(pa.string())
            except pa.ArrowInvalid:
                return False
            if not block:
                return True


#: Characters other than ASCII and Chinese (CJK ideographs, CJK and full-width punctuation).
_NOT_CHINESE = re.compile("[^\x00-\x7f\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def _plausible_gb(path: Path) -> bool:
    """True when ``path`` decodes as GB18030 and every non-ASCII character is Chinese."""
    try:
        return not any(_NOT_CHINESE.search(t) for t in _decoded_blocks(path, "gb18030"))
    except UnicodeDecodeError:
        return False


def _check_text(path: Path, text: str, report: ImportReport) -> None:
    """Refuse binary junk that happened to decode: real tables have few control characters."""
    sample = text[:100_000]
    bad = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n") + sample.count("\ufffd")
    if bad > max(2, len(sample) // 200):
        raise report.refuse(f"{path}: not a text table (binary content?); nothing imported")


def _unique(names: list[str]) -> list[str]:
    """Header names made unique the way pandas does for CSV ('X', 'X.1')."""
    seen: dict[str, int] = {}
    out = []
    for n in names:
        n = n.strip()
        if n in seen:
            seen[n] += 1
            out.append(f"{n}.{seen[n]}")
        else:
            seen[n] = 0
            out.append(n)
    return out
