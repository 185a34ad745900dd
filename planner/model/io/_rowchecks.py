"""Per-row checks shared by the tabular importers: each rejects rows with file, row and field.

A row is rejected once, for its first problem; later checks skip rows already rejected, so the
report lists one clear reason per row. The checks:

- **Text longer than its column** (``String(n)`` in the schema): SQLite would store 100,000
  characters where PostgreSQL raises DataError and the whole import fails.
- **Spreadsheet error values** (``#DIV/0!``, ``#N/A`` …): a formula that failed in the source
  is not a name, an amount or a date.
- **Numbers outside a plausible range** (:mod:`planner.model.io._limits`): 1e308, negative
  visits, minutes a visit beyond a day. Non-finite values never get this far: the parsers
  treat NaN/inf as not a number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from planner.model.io._limits import bound_text, out_of_range
from planner.model.io._messages import quote
from planner.model.io.report import ImportReport

#: Values Excel shows for a failed formula (also what a CSV saved from it holds).
SPREADSHEET_ERRORS = frozenset(
    ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!", "#CALC!",
     "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#N/A!")
)  # fmt: skip


@dataclass
class RowChecks:
    """Rejects rows into ``report``; ``ok`` is the mask of rows not rejected so far."""

    report: ImportReport
    rows: np.ndarray  # spreadsheet row number per row
    ok: np.ndarray

    def reject(self, mask: np.ndarray, field: str, reason: str | Callable[[int], str]) -> None:
        """Reject the rows of ``mask`` not yet rejected; ``reason`` may depend on the row."""
        for i in np.flatnonzero(mask & self.ok):
            self.report.reject(
                int(self.rows[i]), field, reason(int(i)) if callable(reason) else reason
            )
        self.ok &= ~mask

    def spreadsheet_errors(self, field: str, values: Sequence[Any], *, text: bool = False) -> None:
        """Reject cells holding a spreadsheet error value such as ``#DIV/0!``; ``text`` says
        every value is a ``str`` (a table's cells), which spares a pass to check it."""
        if (text or _all_text(values)) and "#" not in "".join(values):
            return  # every error value starts with '#': one scan in C instead of one per cell
        bad = np.array([isinstance(v, str) and v in SPREADSHEET_ERRORS for v in values], dtype=bool)
        if bad.any():
            self.reject(
                bad,
                field,
                lambda i: (
                    f"{quote(values[i])} is a spreadsheet error (a formula that failed), "
                    "not a value"
                ),
            )

    def too_long(
        self,
        field: str,
        values: Sequence[Any],
        model: Any,
        label: str | None = None,
        *,
        text: bool = False,
        longest: int | None = None,
    ) -> None:
        """Reject text longer than ``model``'s column ``field`` allows (``String(n)``; no limit,
        no check). ``label`` is the column's name in the file when it differs; ``text`` as for
        :meth:`spreadsheet_errors`; ``longest``, when known, the length of the longest value
        (or more): within the limit, no pass over the values."""
        limit = getattr(model.__table__.c[field].type, "length", None)
        if not limit or (longest is not None and longest <= limit):
            return
        if (text or _all_text(values)) and max(map(len, values), default=0) <= limit:
            return  # the common column: one pass in C
        bad = np.array([isinstance(v, str) and len(v) > limit for v in values], dtype=bool)
        if bad.any():
            self.reject(
                bad, label or field, lambda i: f"{len(values[i]):,} characters, longer than {limit}"
            )

    def out_of_range(
        self, field: str, values: np.ndarray, raw: Sequence[Any], low: float, high: float
    ) -> None:
        """Reject parsed numbers outside ``[low, high]`` (blank = NaN passes)."""
        bad = out_of_range(values, low, high)
        if bad.any():
            self.reject(
                bad,
                field,
                lambda i: (
                    f"{quote(raw[i])} is "
                    + ("negative" if low == 0 and values[i] < 0 else f"not {bound_text(low, high)}")
                ),
            )


def _all_text(values: Sequence[Any]) -> bool:
    """True when every value is a ``str`` (as every cell of a CSV or XLSX table is)."""
    return set(map(type, values)) <= {str}
