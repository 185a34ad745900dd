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
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from planner.model.io._csvread import read_csv_grid
from planner.model.io._grid import Grid
from planner.model.io._limits import MAX_TABLE_BYTES
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


@dataclass
class Table:
    """Cells as text ('' when blank) with the spreadsheet row number of each record."""

    frame: pd.DataFrame  # columns = headers as found (stripped), dtype object/str
    rows: pd.Series  # spreadsheet row numbers (header = 1), aligned with frame
    encoding: str  # "xlsx" for workbooks

    @property
    def headers(self) -> list[str]:
        return [str(c) for c in self.frame.columns]


def read_table(path: Path, report: ImportReport, *, encoding: str | None = None) -> Table:
    """Read ``path`` (CSV or XLSX) as text cells; raises ImportRefused for unusable files.

    Rows that cannot be read as they stand (ragged CSV rows, oversized cells) are already in
    ``report.rejected`` and absent from the table; the importer's policy decides what follows.
    """
    name = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_TABLE_BYTES:
            raise report.refuse(
                f"{name}: {size:,} bytes is more than the {MAX_TABLE_BYTES:,} read at once; "
                "split the file"
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise report.refuse(f"{name}: no such file") from None
    except OSError as exc:
        raise report.refuse(f"{name}: cannot be read ({one_line(exc.strerror or exc)})") from None
    if not data.strip():
        raise report.refuse(f"{name}: the file is empty; nothing imported")
    if data.startswith(_XLSX_MAGIC):
        grid = read_xlsx_grid(name, data, report)
        enc = "xlsx"
    elif data.startswith(_OLE_MAGIC):
        raise report.refuse(
            f"{name}: an old Excel .xls (or other binary Office file); "
            "save it as .xlsx or CSV and import that"
        )
    else:
        enc = encoding or _detect_encoding(path, data, report)
        try:
            text = data.decode(enc)
        except (UnicodeDecodeError, LookupError) as exc:
            raise report.refuse(f"{name}: cannot be decoded as {enc} ({one_line(exc)})") from None
        del data
        _check_text(path, text, report)
        grid = read_csv_grid(name, text, report)
    if grid is None or not any(grid.header):
        raise report.refuse(f"{name}: no header row found; nothing imported")
    report.rejected.extend(grid.rejected)
    report.read = len(grid.rows) + len(grid.rejected)
    if not grid.rows:
        if grid.rejected:
            first, more = grid.rejected[0], len(grid.rejected) - 1
            raise report.refuse(
                f"{name}: no data row could be read; row {first.row}, field "
                f"{quote(first.field)}: {first.reason}"
                + (f" (and {more} more)" if more else "")
                + "; nothing imported"
            )
        raise report.refuse(
            f"{name}: has a header ({name_list(grid.header)}) but no data rows; nothing imported"
        )
    return _to_table(grid, enc)


def _to_table(grid: Grid, encoding: str) -> Table:
    """The grid as a DataFrame of its headed columns (names made unique as pandas does)."""
    keep = [j for j, h in enumerate(grid.header) if h]
    headers = _unique([grid.header[j] for j in keep])
    frame = pd.DataFrame(
        {h: np.array(grid.columns[j], dtype=object) for h, j in zip(headers, keep, strict=True)},
        columns=headers,
        dtype=object,
    )
    rows = pd.Series(np.array(grid.rows, dtype=np.int64))
    return Table(frame=frame, rows=rows, encoding=encoding)


def _detect_encoding(path: Path, data: bytes, report: ImportReport) -> str:
    """The file's encoding: a BOM wins, then UTF-16 without one (every other byte NUL: it would
    pass as UTF-8 full of NULs), strict UTF-8, then charset-normalizer's guess."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    sample = data[:4096]
    if len(sample) >= 4 and sample.count(0) >= len(sample) // 3:
        enc = "utf-16-le" if sample[1::2].count(0) > sample[0::2].count(0) else "utf-16-be"
        if _decodes(data, enc):
            return enc
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is None:
        raise report.refuse(f"{path}: not a text table (binary content?); nothing imported")
    name = best.encoding.lower().replace("-", "_")
    if name in _CHINESE:
        return "gb18030"
    if (name.startswith(_EAST_ASIAN) or name.startswith("utf_")) and _plausible_gb(data):
        # Short files fool the detector (a GBK header is often called Big5, CP949 or even
        # UTF-16); text that decodes as GB18030 to Chinese characters only is taken as such.
        return "gb18030"
    if name.startswith(_LATIN) and _decodes(data, "cp1252"):
        # On short files the detector picks among Latin code pages almost at random (Ångström
        # read as cp1250 becomes Ĺngström); Excel's Western CSV is cp1252, so prefer it.
        # Central-European files need --encoding cp1250.
        return "cp1252"
    return best.encoding


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _plausible_gb(data: bytes) -> bool:
    """True when ``data`` decodes as GB18030 and every non-ASCII character is Chinese."""
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return False
    return all(
        ord(ch) < 128
        or 0x3000 <= ord(ch) <= 0x303F
        or 0x4E00 <= ord(ch) <= 0x9FFF
        or 0xFF00 <= ord(ch) <= 0xFFEF
        for ch in text
    )


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
