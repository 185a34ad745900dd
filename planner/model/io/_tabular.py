"""Read a CSV or XLSX export into a table of text, whatever its encoding.

CRM exports arrive as UTF-8, UTF-8 with a byte order mark (Excel's "CSV UTF-8"), GB18030/GBK
(Excel on a Chinese Windows), or as XLSX. Every cell is read as *text*: type guessing turns the
ZIP ``02134`` into ``2134`` and long ids into floats, and the importers know better which column
is a number. Files that cannot be a table (empty, binary, a header without rows) are refused
with a message naming the file, before anything is written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

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
    """Read ``path`` (CSV or XLSX) as text cells; raises ImportRefused for unusable files."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise report.refuse(f"{path}: no such file") from None
    except OSError as exc:
        raise report.refuse(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not data.strip():
        raise report.refuse(f"{path}: the file is empty; nothing imported")
    if data.startswith(_XLSX_MAGIC):
        frame, rows = _read_xlsx(path, data, report)
        enc = "xlsx"
    elif data.startswith(_OLE_MAGIC):
        raise report.refuse(
            f"{path}: an old Excel .xls (or other binary Office file); "
            "save it as .xlsx or CSV and import that"
        )
    else:
        enc = encoding or _detect_encoding(path, data, report)
        try:
            text = data.decode(enc)
        except (UnicodeDecodeError, LookupError) as exc:
            raise report.refuse(f"{path}: cannot be decoded as {enc} ({exc})") from None
        _check_text(path, text, report)
        frame, rows = _read_csv(text)
    frame.columns = [str(c).strip() for c in frame.columns]
    if len(frame.columns) == 0 or all(c == "" for c in frame.columns):
        raise report.refuse(f"{path}: no header row found; nothing imported")
    if len(frame) == 0:
        raise report.refuse(
            f"{path}: has a header ({', '.join(frame.columns[:8])}) but no data rows; "
            "nothing imported"
        )
    return Table(frame=frame, rows=rows, encoding=enc)


def _detect_encoding(path: Path, data: bytes, report: ImportReport) -> str:
    """The file's encoding: a BOM wins, then strict UTF-8, then charset-normalizer's guess."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
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


def _sniff_delimiter(text: str) -> str:
    """Comma unless the header line clearly uses ; or tab or | (European Excel uses ';')."""
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(first, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _read_csv(text: str) -> tuple[pd.DataFrame, pd.Series]:
    text = text.lstrip("\ufeff")
    frame = pd.read_csv(
        io.StringIO(text),
        sep=_sniff_delimiter(text),
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        skip_blank_lines=False,
        skipinitialspace=False,
        engine="c",
    )
    return _drop_blank(frame)


def _drop_blank(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Strip every cell, drop wholly blank records (trailing Excel rows), keep row numbers.

    Leading/trailing spaces in CRM cells are padding, never data. Plain list comprehensions:
    pandas' ``.str.strip`` is ten times slower on 100,000 rows.
    """
    cells = {
        c: np.array(["" if v is None else str(v).strip() for v in frame[c].tolist()], dtype=object)
        for c in frame.columns
    }
    rows = np.arange(2, len(frame) + 2, dtype=np.int64)
    keep = np.zeros(len(frame), dtype=bool)
    for col in cells.values():
        keep |= col != ""
    out = pd.DataFrame(
        {c: col[keep] for c, col in cells.items()}, columns=list(cells), dtype=object
    )
    return out, pd.Series(rows[keep])


def _cell_text(value: object) -> str:
    """Text of an XLSX cell as the user sees it (integers without '.0', dates as ISO)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _read_xlsx(path: Path, data: bytes, report: ImportReport) -> tuple[pd.DataFrame, pd.Series]:
    """The first (active) sheet of a workbook; the first non-blank row is the header."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for corrupt files
        raise report.refuse(f"{path}: not a readable .xlsx workbook ({exc})") from None
    try:
        ws = wb.active if wb.active is not None else wb.worksheets[0]
        raw = [[_cell_text(v) for v in r] for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    start = next((i for i, r in enumerate(raw) if any(c.strip() for c in r)), None)
    if start is None:
        raise report.refuse(f"{path}: the workbook's first sheet is empty; nothing imported")
    header = raw[start]
    while header and not header[-1].strip():
        header = header[:-1]
    width = len(header)
    body = [(r + [""] * width)[:width] for r in raw[start + 1 :]]
    frame = pd.DataFrame(body, columns=_unique(header), dtype=object)
    frame, rows = _drop_blank(frame)
    return frame, rows + start  # rows before the header shift the spreadsheet numbers


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
