"""Keep every message an importer shows one short line, in our words.

A refusal is printed as ``planner: error: <message>``: one line that names the file, row and
field. Values from the file are quoted through :func:`quote` (control characters and newlines
flattened, long values cut), lists of names through :func:`name_list` (a header of a million columns
must not become a 10 MB line), and third-party exception texts through :func:`one_line`.

GDAL, pyogrio, pandas and openpyxl report problems as Python warnings printed to stderr before
our refusal, often over two lines. :func:`captured_warnings` collects them while a file is read
and keeps them as report warnings instead, one line each.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from planner.model.io.report import ImportReport

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
#: Warnings that say nothing to a user (openpyxl's missing default style, GDAL's chatter about
#: sidecar files it looked for).
_NOISE = ("Workbook contains no default style", "Data Validation extension",
          "Conditional Formatting extension", "Unknown extension")  # fmt: skip
#: Warnings kept per read, so a file warning for every feature does not bury the report.
MAX_READER_WARNINGS = 20


def one_line(text: object, width: int = 200) -> str:
    """``text`` on one line: runs of control characters and whitespace become one space."""
    flat = " ".join(_CONTROL.sub(" ", str(text)).split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def quote(value: object, width: int = 40) -> str:
    """A value from the file as shown in a message: ``'Acme Corp'``, long ones cut with ``…``."""
    return f"'{one_line(value, width)}'"


def name_list(items: Iterable[object], limit: int = 8) -> str:
    """``'a', 'b', 'c' and 12 more``: at most ``limit`` quoted names, each cut short."""
    shown: list[str] = []
    more = 0
    for item in items:
        if len(shown) < limit:
            shown.append(quote(item, 30))
        else:
            more += 1
    if not shown:
        return "none"
    return ", ".join(shown) + (f" and {more:,} more" if more else "")


@contextmanager
def captured_warnings(report: ImportReport, field: str = "file") -> Iterator[None]:
    """Collect warnings raised while reading; add the useful ones to ``report`` as warnings.

    Only the reading of the file runs inside; warnings from our own code are not expected there.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            seen: set[str] = set()
            for w in caught:
                text = one_line(w.message)
                if text in seen or any(n in text for n in _NOISE):
                    continue
                seen.add(text)
                if len(seen) > MAX_READER_WARNINGS:
                    break
                report.warn(None, field, f"while reading: {text}")
