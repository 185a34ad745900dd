"""Stream the first worksheet of an XLSX workbook into a grid, within bounds, as text.

A workbook states its used range (``<dimension ref="A1:XFD1048576">``) and openpyxl pads every
row to it: a 4.8 KB file once became a billion empty cells and 6 GB of memory. So the stated
range is ignored (``reset_dimensions``), the sheet is streamed in read-only mode, and each row
is checked as it arrives: at most ``MAX_SHEET_ROWS`` rows and values in at most ``MAX_COLUMNS``
columns. Before openpyxl opens anything, the sizes its parts declare are checked: a zip part
cannot inflate beyond what it declares, and the shared strings are loaded whole.

Any failure of the reader on a damaged workbook (bad XML, a missing part, no worksheet) is one
refusal naming the file.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence

from planner.model.errors import ImportRefused
from planner.model.io._grid import Grid, GridBuilder
from planner.model.io._limits import (
    MAX_COLUMNS,
    MAX_SHEET_ROWS,
    MAX_XLSX_PART_BYTES,
    check_zip_parts,
)
from planner.model.io._messages import captured_warnings, one_line
from planner.model.io.report import ImportReport

_HEAD_BYTES = 65_536


def read_xlsx_grid(name: str, data: bytes, report: ImportReport) -> Grid | None:
    """The first worksheet under its first non-blank row; None when the sheet is blank."""
    check_zip_parts(name, data, report, MAX_XLSX_PART_BYTES)
    _refuse_dtds(name, data, report)
    import openpyxl
    from openpyxl.utils import get_column_letter

    with captured_warnings(report):
        try:
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for damaged files
            raise report.refuse(
                f"{name}: not a readable .xlsx workbook ({one_line(exc)})"
            ) from None
        try:
            sheets = wb.worksheets
            if not sheets:
                raise report.refuse(f"{name}: the workbook has no worksheet; nothing imported")
            ws = wb.active if wb.active in sheets else sheets[0]
            ws.reset_dimensions()  # never pad rows to a declared range
            builder: GridBuilder | None = None
            for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
                if number > MAX_SHEET_ROWS:
                    raise report.refuse(
                        f"{name}: the sheet goes on past row {MAX_SHEET_ROWS:,}, "
                        "more than a worksheet can hold; nothing imported"
                    )
                width = _used_width(values)
                if width > MAX_COLUMNS:
                    raise report.refuse(
                        f"{name}: cell {get_column_letter(width)}{number} has a value beyond "
                        f"column {get_column_letter(MAX_COLUMNS)} (at most {MAX_COLUMNS:,} "
                        "columns are read); delete it or the columns after your data"
                    )
                cells = [_cell_text(v) for v in values[:width]]
                if builder is not None:
                    builder.add(number, cells)
                elif any(c.strip() for c in cells):
                    builder = GridBuilder(name, cells, report, fixed_width=False, nul=True)
        except ImportRefused:
            raise
        except Exception as exc:  # damaged sheet XML, bad numbers or dates in cells
            raise report.refuse(
                f"{name}: the workbook is damaged and cannot be read ({one_line(exc)})"
            ) from None
        finally:
            wb.close()
    return builder.finish() if builder is not None else None


def _refuse_dtds(name: str, data: bytes, report: ImportReport) -> None:
    """Refuse a part that declares a DTD: OOXML never does, and its entities are how a few KB of
    XML expand to gigabytes (the "billion laughs"). A DTD precedes the root element, so the
    head of each part is enough."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            try:
                with archive.open(info) as part:
                    head = part.read(_HEAD_BYTES)
            except Exception:  # a damaged part: openpyxl will say so if it needs it
                continue
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise report.refuse(
                    f"{name}: part {one_line(info.filename, 60)} declares a DTD, which no "
                    "spreadsheet does (an XML entity bomb?); nothing imported"
                )


def _used_width(values: Sequence[object]) -> int:
    """Number of columns up to the last cell holding a value (styled empty cells do not count)."""
    for j in range(len(values) - 1, -1, -1):
        v = values[j]
        if v is not None and v != "":
            return j + 1
    return 0


def _cell_text(value: object) -> str:
    """Text of a cell as the user sees it (integers without '.0', dates as ISO)."""
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
