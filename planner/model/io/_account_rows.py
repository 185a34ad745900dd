"""The checks of one chunk of an account file: every row rejected for its first problem.

A chunk is a slice of the file's rows (the whole file when it is small). Everything here is
per row except two things that span the file: a repeated id is found against the earlier
chunks (:class:`~._seen_ids.SeenIds`), and each unknown status is warned about once, with its
first row and its count over the file (:class:`Statuses`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from planner.model.io import _columns as cols
from planner.model.io._limits import (
    MAX_AMOUNT,
    MAX_MINUTES_PER_VISIT,
    MAX_VISITS_PER_YEAR,
    out_of_range,
)
from planner.model.io._messages import quote
from planner.model.io._rowchecks import RowChecks
from planner.model.io._seen_ids import SeenIds, id_hashes
from planner.model.io.report import ImportReport
from planner.model.schema import Account

TEXT_FIELDS = (
    "address",
    "city",
    "state",
    "postal_code",
    "country",
    "industry",
    "segment",
    "owner",
    "notes",
)
#: Numeric fields and their plausible range (coordinates are checked by fix_coordinates).
NUMBERS = {
    "potential": (-MAX_AMOUNT, MAX_AMOUNT),
    "revenue": (-MAX_AMOUNT, MAX_AMOUNT),
    "visits_per_year": (0.0, MAX_VISITS_PER_YEAR),
    "minutes_per_visit": (0.0, MAX_MINUTES_PER_VISIT),
}
#: Status of a row whose status/type value is not recognised (a warning says so).
FALLBACK_STATUS = "customer"


def validate(
    frame: pd.DataFrame,
    fmap: dict[str, str],
    rows: NDArray[np.int64],
    seen: SeenIds,
    report: ImportReport,
) -> tuple[dict[str, Any], NDArray[np.bool_]]:
    """Reject rows without id/name, repeated ids and bad numbers; returns the chunk's values
    (text as Series, numbers parsed) and the mask of rows kept."""
    n = len(frame)

    def text(field: str) -> pd.Series:
        if field not in fmap:
            return pd.Series([""] * n, dtype=object)
        return frame[fmap[field]]

    data: dict[str, Any] = {f: text(f) for f in ("external_id", "name", "status", *TEXT_FIELDS)}
    check = RowChecks(report, rows, np.ones(n, dtype=bool))
    ext, name = data["external_id"], data["name"]
    for fld in ("external_id", "name", *TEXT_FIELDS, *NUMBERS):
        if fld in fmap:
            check.spreadsheet_errors(fld, frame[fmap[fld]].tolist())
    check.reject((ext == "").to_numpy(), "external_id", "empty account id")
    check.reject((name == "").to_numpy(), "name", "empty account name")
    for fld in ("external_id", "name", *TEXT_FIELDS):  # the database (PostgreSQL) would refuse
        if fld in fmap:
            check.too_long(fld, data[fld].tolist(), Account)
    _duplicates(ext, rows, seen, check)
    for fld, (low, high) in NUMBERS.items():
        raw = text(fld)
        money = fld in ("potential", "revenue")
        values, bad = cols.parse_money(raw) if money else cols.parse_number(raw)
        raw_list = raw.tolist() if bad.any() or out_of_range(values, low, high).any() else []
        what = "an amount" if money else "a number"

        def not_a(i: int, raw_list: list[Any] = raw_list, what: str = what) -> str:
            return f"{quote(raw_list[i])} is not {what}"

        check.reject(bad, fld, not_a)
        check.out_of_range(fld, values, raw_list, low, high)
        data[fld] = np.nan_to_num(values, nan=0.0) if money else values
    for fld in ("lat", "lon"):  # a bad coordinate costs the location, not the row
        raw = text(fld)
        values, bad = cols.parse_number(raw)
        if (bad & check.ok).any():
            raw_list = raw.tolist()
            for i in np.flatnonzero(bad & check.ok):
                report.warn(
                    int(rows[i]), fld, f"{quote(raw_list[i])} is not a number; coordinate ignored"
                )
        data[fld] = values
    return data, check.ok


def _duplicates(ext: pd.Series, rows: NDArray[np.int64], seen: SeenIds, check: RowChecks) -> None:
    """Reject each repeat of an id (in this chunk or an earlier one) as a duplicate of the row
    where it first appears, whatever else is wrong with either row."""
    blank = (ext == "").to_numpy()
    ids = ext.tolist()
    h1, h2 = id_hashes(ids)
    earlier = seen.first_rows(h1, h2)
    here = ext.duplicated(keep="first").to_numpy() & ~blank
    dup = here | (earlier >= 0)
    new = ~dup & ~blank
    seen.add(h1[new], h2[new], rows[new])
    if not dup.any():
        return
    first_row: dict[str, int] = dict(zip(ext[new].tolist(), rows[new].tolist(), strict=True))
    for i in np.flatnonzero(earlier >= 0):
        first_row[ids[i]] = int(earlier[i])
    reason: Callable[[int], str] = (
        lambda i: f"duplicate of row {first_row[ids[i]]} (id {quote(ids[i])})"
    )
    check.reject(dup, "external_id", reason)


class Statuses:
    """Status per row; blanks are customers, each unrecognised value is warned about once (at
    the end, with its first row and its count over the whole file)."""

    def __init__(self) -> None:
        self._known: dict[str, str | None] = {}
        self.unknown: dict[str, list[int]] = {}  # value -> [first row, count]

    def classify(self, values: pd.Series, rows: NDArray[np.int64]) -> list[str]:
        if len(self._known) > 100_000:  # a free-text column: a cache, not a store
            self._known.clear()
        for v in values.unique().tolist():
            if v not in self._known:
                self._known[v] = cols.classify_status(v) if v else FALLBACK_STATUS
        known, texts = self._known, values.tolist()
        status = [known[v] for v in texts]
        if None not in status:
            return status  # type: ignore[return-value]  # no None in it
        for i, (v, s) in enumerate(zip(texts, status, strict=True)):
            if s is None:
                self.unknown.setdefault(v, [int(rows[i]), 0])[1] += 1
        return [s or FALLBACK_STATUS for s in status]

    def warn(self, report: ImportReport) -> None:
        for v, (first, count) in self.unknown.items():
            report.warn(
                first,
                "status",
                f"{quote(v)} is not a known status ({count} row(s)); imported as {FALLBACK_STATUS}",
            )
