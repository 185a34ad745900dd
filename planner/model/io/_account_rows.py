"""The checks of one chunk of an account file: every row rejected for its first problem.

A chunk is a slice of the file's rows (the whole file when it is small). Everything here is
per row except two things that span the file: a repeated id is found against the earlier
chunks (:class:`~._seen_ids.SeenIds`), and each unknown status is warned about once, with its
first row and its count over the file (:class:`Statuses`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from planner.model.io import _columns as cols
from planner.model.io._limits import (
    MAX_AMOUNT,
    MAX_MINUTES_PER_VISIT,
    MAX_VISITS_PER_YEAR,
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
    columns: dict[str, list[str]],
    fmap: dict[str, str],
    rows: NDArray[np.int64],
    seen: SeenIds,
    report: ImportReport,
    arrow: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], NDArray[np.bool_]]:
    """Reject rows without id/name, repeated ids and bad numbers; returns the chunk's values
    (text as lists, numbers parsed) and the mask of rows kept. ``arrow``: the same columns as
    pyarrow arrays when the reader has them (:attr:`Table.arrow`): the checks that find
    nothing in the common file then run on them in C, not over millions of Python strings."""
    n = len(rows)
    facts = _ArrowFacts(arrow, fmap)

    def text(field: str) -> list[str]:
        return columns[fmap[field]] if field in fmap else [""] * n

    data: dict[str, Any] = {f: text(f) for f in ("external_id", "name", "status", *TEXT_FIELDS)}
    check = RowChecks(report, rows, np.ones(n, dtype=bool))
    for fld in ("external_id", "name", *TEXT_FIELDS, *NUMBERS):
        if fld in fmap and facts.may_hold(fld, "#"):  # every error value starts with '#'
            check.spreadsheet_errors(fld, columns[fmap[fld]], text=True)
    check.reject(_blank(data["external_id"]), "external_id", "empty account id")
    check.reject(_blank(data["name"]), "name", "empty account name")
    for fld in ("external_id", "name", *TEXT_FIELDS):  # the database (PostgreSQL) would refuse
        if fld in fmap:
            check.too_long(fld, data[fld], Account, text=True, longest=facts.longest(fld))
    _duplicates(data["external_id"], rows, seen, check)
    for fld, (low, high) in NUMBERS.items():
        if fld not in fmap:  # nothing to parse: blank everywhere
            data[fld] = np.zeros(n) if fld in ("potential", "revenue") else np.full(n, np.nan)
            continue
        raw = text(fld)
        money = fld in ("potential", "revenue")
        parsed = cols.plain_numbers(facts.column(fld) if facts.has(fld) else raw)
        if parsed is None:
            series = pd.Series(raw, dtype=object)
            parsed = cols.parse_money(series) if money else cols.parse_number(series)
        values, bad = parsed
        what = "an amount" if money else "a number"

        def not_a(i: int, raw: list[str] = raw, what: str = what) -> str:
            return f"{quote(raw[i])} is not {what}"

        check.reject(bad, fld, not_a)
        check.out_of_range(fld, values, raw, low, high)
        data[fld] = np.nan_to_num(values, nan=0.0) if money else values
    for fld in ("lat", "lon"):  # a bad coordinate costs the location, not the row
        if fld not in fmap:
            data[fld] = np.full(n, np.nan)
            continue
        raw = text(fld)
        parsed = cols.plain_numbers(facts.column(fld)) if facts.has(fld) else None
        values, bad = parsed or cols.parse_number(pd.Series(raw, dtype=object))
        for i in np.flatnonzero(bad & check.ok):
            report.warn(int(rows[i]), fld, f"{quote(raw[i])} is not a number; coordinate ignored")
        data[fld] = values
    return data, check.ok


class _ArrowFacts:
    """What the pyarrow columns of a chunk say about a field, when there are any."""

    def __init__(self, arrow: Mapping[str, Any] | None, fmap: dict[str, str]) -> None:
        self.arrow, self.fmap = arrow, fmap

    def has(self, field: str) -> bool:
        return self.arrow is not None and self.fmap.get(field) in self.arrow

    def column(self, field: str) -> Any:
        assert self.arrow is not None
        return self.arrow[self.fmap[field]]

    def may_hold(self, field: str, text: str) -> bool:
        """False only when no value of the field contains ``text``."""
        if not self.has(field):
            return True
        import pyarrow.compute as pc

        return bool(pc.any(pc.match_substring(self.column(field), text)).as_py())

    def longest(self, field: str) -> int | None:
        """Characters of the field's longest value, None when unknown."""
        if not self.has(field):
            return None
        import pyarrow.compute as pc

        return int(pc.max(pc.utf8_length(self.column(field))).as_py() or 0)


def _blank(values: list[str]) -> NDArray[np.bool_]:
    """Mask of empty values (no pass over the rows when there is none)."""
    if "" not in values:
        return np.zeros(len(values), dtype=bool)
    return np.array([v == "" for v in values], dtype=bool)


def _duplicates(ids: list[str], rows: NDArray[np.int64], seen: SeenIds, check: RowChecks) -> None:
    """Reject each repeat of an id (in this chunk or an earlier one) as a duplicate of the row
    where it first appears, whatever else is wrong with either row."""
    blank = _blank(ids)
    h1, h2 = id_hashes(ids)
    earlier = seen.first_rows(h1, h2)
    here = pd.Series(ids, dtype=object).duplicated(keep="first").to_numpy() & ~blank
    dup = here | (earlier >= 0)
    new = ~dup & ~blank
    seen.add(h1[new], h2[new], rows[new])
    if not dup.any():
        return
    first_row: dict[str, int] = {}
    for i in np.flatnonzero(new):
        first_row[ids[i]] = int(rows[i])
    for i in np.flatnonzero(earlier >= 0):
        first_row[ids[i]] = int(earlier[i])

    def reason(i: int) -> str:
        return f"duplicate of row {first_row[ids[i]]} (id {quote(ids[i])})"

    check.reject(dup, "external_id", reason)


class Statuses:
    """Status per row; blanks are customers, each unrecognised value is warned about once (at
    the end, with its first row and its count over the whole file)."""

    def __init__(self) -> None:
        self._known: dict[str, str | None] = {}
        self.unknown: dict[str, list[int]] = {}  # value -> [first row, count]

    def classify(self, texts: list[str], rows: NDArray[np.int64]) -> list[str]:
        if len(self._known) > 100_000:  # a free-text column: a cache, not a store
            self._known.clear()
        for v in set(texts):
            if v not in self._known:
                self._known[v] = cols.classify_status(v) if v else FALLBACK_STATUS
        known = self._known
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
