"""User text in spreadsheets stays text: the OWASP rules against CSV/formula injection.

Names come from CRM files and other planners, so an account called ``=HYPERLINK("http://…")``
or ``=cmd|' /C calc'!A0`` must never run when a colleague opens an export.

- CSV: a text value that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
  (and the full-width ``＝ ＋ － ＠`` that some spreadsheet locales also read as operators) is
  written with a leading apostrophe, as OWASP recommends. Numbers are written as numbers.
- XLSX: every string is stored as a string cell, never as a formula, and such strings also get
  Excel's "quote prefix" style, so the cell shows the exact text and stays text when edited.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

LEADERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def risky(value: object) -> bool:
    """True for text a spreadsheet would read as a formula."""
    return isinstance(value, str) and value.startswith(LEADERS)


def neutralise(value: Any) -> Any:
    """``value`` with a leading apostrophe if it is risky text (for CSV); else unchanged."""
    return "'" + value if risky(value) else value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text columns are neutralised for CSV (numbers untouched)."""
    out = frame.copy()
    for col in out.columns:
        if not (is_numeric_dtype(out[col]) or is_bool_dtype(out[col])):  # text or mixed
            out[col] = out[col].map(neutralise)
    return out


def textify(workbook: Any) -> None:
    """Make every formula-looking string of an openpyxl workbook a quote-prefixed text cell.

    openpyxl turns any string starting with ``=`` into a formula when it is assigned; we never
    write formulas, so every such cell is user text and becomes text again here.
    """
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f" or (cell.data_type in ("s", "inlineStr")
                                             and risky(cell.value)):  # fmt: skip
                    cell.data_type = "s"
                    cell.quotePrefix = True
