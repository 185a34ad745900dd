"""Split the decoded text of a CSV file into records, refusing what cannot be split safely.

Python's ``csv`` module in strict mode, not pandas: it hands over each record as it was written,
so a row with a cell too many is *seen* (pandas silently made the first column the index when
every row had a trailing comma, shifting every value one column left). Quoting that cannot be
read unambiguously, such as a quote never closed (it would swallow every row after it into one
cell) or text after a closing quote, refuses the file with the row and line where it starts.

Lines longer than ``MAX_LINE_CHARS`` are refused before the csv module builds their cells.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from planner.model.io._grid import Grid, GridBuilder
from planner.model.io._limits import MAX_LINE_CHARS
from planner.model.io._messages import one_line
from planner.model.io.report import ImportReport

_SNIFF_CHARS = 65_536


def read_csv_grid(name: str, text: str, report: ImportReport) -> Grid | None:
    """The records of ``text`` under its first non-blank record; None when there is none."""
    text = text.lstrip("\ufeff")
    if "\r" in text:  # Windows and old Mac line ends; a CR inside a quoted cell becomes LF
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    nul = "\x00" in text
    reader = csv.reader(_lines(name, text, report), delimiter=_sniff_delimiter(text), strict=True)
    builder: GridBuilder | None = None
    row, start_line = 0, 1
    try:
        for cells in reader:
            row += 1
            if builder is None:
                if any(c.strip() for c in cells):
                    builder = GridBuilder(name, cells, report, fixed_width=True, nul=nul)
            else:
                builder.add(row, cells)
            start_line = reader.line_num + 1
    except csv.Error as exc:
        raise report.refuse(
            f"{name}: row {row + 1} (line {start_line}): {_explain(exc)}; nothing imported"
        ) from None
    return builder.finish() if builder is not None else None


def _lines(name: str, text: str, report: ImportReport) -> Iterator[str]:
    """Lines of ``text`` with their newline; refuses a line longer than ``MAX_LINE_CHARS``."""
    start, number, end_of_text = 0, 1, len(text)
    while start < end_of_text:
        end = text.find("\n", start, start + MAX_LINE_CHARS + 1)
        if end < 0 and end_of_text - start > MAX_LINE_CHARS:
            raise report.refuse(
                f"{name}: line {number} is longer than {MAX_LINE_CHARS:,} characters; "
                "not a table of records (or an unclosed quote?); nothing imported"
            )
        stop = end_of_text if end < 0 else end + 1
        yield text[start:stop]
        start, number = stop, number + 1


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
