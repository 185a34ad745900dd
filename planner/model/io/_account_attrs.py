"""Numeric columns of an account file that the project does not know, kept per account.

A CRM export often carries the activity measures a sales team balances on (calls per year,
volume, a second potential) under names the importer cannot map. Rather than dropping them,
every unmapped column whose filled cells are all numbers is kept in ``account_attribute``
under its header, and becomes a metric of that name (``planner metrics``, ``--metrics``),
summed per unit and territory like ``potential``.

Which columns qualify is decided on the first :data:`DECIDE_ROWS` rows of the file (all of it
when it is small), whatever the reader's chunk size (the csv module's and pyarrow's differ):
a later cell of such a column that is not a number is left blank with a warning
(it costs the value, not the account), while an absurd or infinite number rejects its row,
as for units (it would poison every total). On an update, the file's columns replace the
account's values of those columns (a blank cell clears one); other columns stay.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.orm import Session

from planner.model.io import _columns as cols
from planner.model.io._limits import MAX_ATTRIBUTE
from planner.model.io._messages import quote
from planner.model.io._rowchecks import RowChecks
from planner.model.io._tabular import Table
from planner.model.io.report import ImportReport
from planner.model.schema import Account, AccountAttribute
from planner.model.unit_metrics import BUILT_IN

#: Longest column name kept (``account_attribute.name``).
MAX_NAME = 100
#: Key prefix of the attribute values in a chunk's data.
PREFIX = "attribute:"
#: Rows of the file that decide which unknown columns are numeric (the first ones).
DECIDE_ROWS = 20_000
#: Ids per look-up (SQLite allows 32,766 parameters a statement).
LOOKUP = 20_000


def numeric_columns(first: Table, fmap: dict[str, str], report: ImportReport) -> list[str]:
    """Headers of ``first`` (the first chunk) not mapped to a field whose filled cells in the
    first ``DECIDE_ROWS`` rows are all numbers."""
    mapped = set(fmap.values())
    out = []
    for header, cells in first.columns.items():
        if header in mapped:
            continue
        values, bad = cols.parse_number(pd.Series(cells[:DECIDE_ROWS], dtype=object))
        if bad.any() or not np.isfinite(values).any():
            continue  # text (or empty): not a metric
        if header in BUILT_IN or len(header) > MAX_NAME:
            why = "a built-in metric's name" if header in BUILT_IN else "too long a name"
            report.warn(None, header, f"numeric column {quote(header)} not kept: {why}")
            continue
        out.append(header)
    if out:
        report.extra["attributes"] = out
    return out


def parse(
    names: list[str], columns: dict[str, list[str]], rows: NDArray[np.int64], check: RowChecks
) -> dict[str, NDArray[np.float64]]:
    """Values of the attribute columns of one chunk (NaN = blank), keyed ``PREFIX + name``."""
    out = {}
    for name in names:
        raw = columns.get(name, [""] * len(rows))
        values, bad = cols.parse_number(pd.Series(raw, dtype=object))
        for i in np.flatnonzero(bad & check.ok).tolist():
            check.report.warn(int(rows[i]), name, f"{quote(raw[i])} is not a number; left blank")
        check.out_of_range(name, values, raw, -MAX_ATTRIBUTE, MAX_ATTRIBUTE)
        out[PREFIX + name] = values
    return out


def write(session: Session, names: list[str], data: dict[str, Any], replace: bool) -> None:
    """Store the chunk's attribute values (its accounts are written already); with
    ``replace``, first drop the values those columns held for these accounts."""
    if not names:
        return
    ext = data["external_id"]
    ext = ext.tolist() if isinstance(ext, np.ndarray) else list(ext)
    found = ids_of(session, ext)
    ids = np.array([found[e] for e in ext], dtype=np.int64)
    if replace:
        stmt = delete(AccountAttribute).where(
            AccountAttribute.account_id.in_(bindparam("ids", expanding=True)),
            AccountAttribute.name.in_(names),
        )
        for start in range(0, len(ids), LOOKUP):
            session.execute(stmt, {"ids": ids[start : start + LOOKUP].tolist()})
    rows: list[tuple[int, str, float]] = []
    for name in names:
        values = data[PREFIX + name]
        keep = np.flatnonzero(np.isfinite(values))
        rows += zip(ids[keep].tolist(), [name] * len(keep), values[keep].tolist(), strict=True)
    driver = session.connection().connection.driver_connection
    if isinstance(driver, sqlite3.Connection):
        driver.executemany("INSERT INTO account_attribute VALUES (?, ?, ?)", rows)
    elif rows:
        keys = ("account_id", "name", "value")
        session.execute(insert(AccountAttribute), [dict(zip(keys, r, strict=True)) for r in rows])


def ids_of(session: Session, ext: list[str]) -> dict[str, int]:
    """Database id of each external id (looked up in batches: SQLite's parameter limit)."""
    stmt = select(Account.external_id, Account.id).where(
        Account.external_id.in_(bindparam("ext", expanding=True))
    )
    out: dict[str, int] = {}
    for start in range(0, len(ext), LOOKUP):
        out.update((e, i) for e, i in session.execute(stmt, {"ext": ext[start : start + LOOKUP]}))
    return out
