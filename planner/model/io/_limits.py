"""The bounds every importer enforces, in one place: file size, table shape and plausible values.

Why bounds at all: a 4.8 KB XLSX that declares a cell at XFD1048576 once drove memory to 6 GB,
and a header of a million names made a 10 MB error line. Every bound is checked *before* the
data it protects is built (the file size before reading, the columns of the header before the
rows, every cell of a workbook as it streams), so refusing a bomb costs little memory.

Value bounds keep impossible numbers out of the project: an amount of 1e308 is a finite float,
but a total of two of them is infinity, and NaN then reaches the balance, the optimizer and the
JSON output. Each bound is generous for real data and stated in the rejection message.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from planner.model.io._messages import one_line
from planner.model.io.report import ImportReport

#: Largest CSV/XLSX file read (bytes): a million CRM rows are about 300 MB.
MAX_TABLE_BYTES = 512 * 1024 * 1024
#: Largest uncompressed part of an XLSX (its shared strings are loaded whole by openpyxl).
MAX_XLSX_PART_BYTES = 512 * 1024 * 1024
#: Largest uncompressed file inside a zipped Shapefile (GDAL inflates it while reading).
MAX_GEO_PART_BYTES = 2 * 1024 * 1024 * 1024
#: Columns of a table: CRM exports with every custom field stay well below.
MAX_COLUMNS = 1000
#: Rows x columns held in memory at once (a million rows of 20 columns).
MAX_CELLS = 20_000_000
#: Excel's own limits: characters in a cell and rows in a sheet.
MAX_CELL_CHARS = 32_767
MAX_SHEET_ROWS = 1_048_576
#: Characters in one line of a CSV file (a record of many long cells stays far below).
MAX_LINE_CHARS = 1_000_000
#: A CSV of accounts is streamed in chunks (only one is in memory), so it may be far larger:
#: 10 million accounts are about 1.5 GB. What grows with the file is a few numbers per row
#: (about 30 bytes: row number, id hashes), so the rows are bounded instead of the cells.
MAX_STREAM_BYTES = 16 * 1024**3
MAX_STREAM_ROWS = 25_000_000
#: Cells of one chunk of a streamed table (about 400 MB of Python strings at most).
CHUNK_CELLS = 6_000_000

#: |amount| above this (potential, revenue, opportunity amount) is not a real figure in any
#: currency; sums of 100,000 such amounts stay exact enough and far from overflow.
MAX_AMOUNT = 1e15
#: Visits a year (about three a working day) and minutes a visit (a whole day).
MAX_VISITS_PER_YEAR = 1000.0
MAX_MINUTES_PER_VISIT = 1440.0
#: Unit population (more than the world's) and |numeric attribute| of a unit.
MAX_POPULATION = 1e10
MAX_ATTRIBUTE = 1e15


def out_of_range(values: NDArray[np.float64], low: float, high: float) -> NDArray[np.bool_]:
    """Mask of values that are not NaN (blank) and lie outside ``[low, high]`` or are infinite."""
    with np.errstate(invalid="ignore"):
        return ~np.isnan(values) & ~((values >= low) & (values <= high))


def bound_text(low: float, high: float) -> str:
    """How a rejection states the allowed range, e.g. ``between 0 and 1440``."""
    return f"between {low:g} and {high:g}"


def check_zip_parts(name: str, source: bytes | Path, report: ImportReport, limit: int) -> None:
    """Refuse a zip (XLSX, zipped Shapefile) with a part that declares more than ``limit``
    bytes uncompressed: a part cannot inflate beyond what it declares (the CRC check fails)."""
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as z:
            infos = z.infolist()
    except Exception as exc:  # zipfile raises many types (even NotImplementedError) for junk
        raise report.refuse(f"{name}: not a readable zip archive ({one_line(exc)})") from None
    big = [i for i in infos if i.file_size > limit]
    if big:
        raise report.refuse(
            f"{name}: {one_line(big[0].filename, 60)} inside unpacks to {big[0].file_size:,} "
            f"bytes (limit {limit:,}); nothing imported"
        )
