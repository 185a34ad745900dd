"""Write the accounts of one chunk inside the import's transaction, by the fastest safe path.

New accounts go in through the database driver itself, inside the session's transaction:
SQLite's ``executemany`` over tuples made by ``zip`` (no dict or ORM object per row: at 10
million rows SQLAlchemy's per-row parameter handling alone took longer than SQLite), and
PostgreSQL's ``COPY ... FROM STDIN`` (one stream instead of a statement per row). Accounts
whose external id is already in the project are updated (upsert) through SQLAlchemy Core:
only the fields the file provides change. Existing ids are looked up per chunk, and not at all
when the project had no accounts, so nothing of the whole file is held in memory.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any, cast

import numpy as np
import pandas as pd
from sqlalchemy import Table, bindparam, insert, inspect, select, update
from sqlalchemy.orm import Session

from planner.model.io import _account_attrs
from planner.model.io._account_rows import TEXT_FIELDS
from planner.model.io._bulk_sqlite import BulkSettings
from planner.model.io.report import ImportReport
from planner.model.schema import Account, Rep

FIELDS = (
    "external_id",
    "name",
    *TEXT_FIELDS,
    "status",
    "potential",
    "revenue",
    "visits_per_year",
    "minutes_per_visit",
    "lon",
    "lat",
    "location_source",
    "unit_id",
)
_LOCATION_FIELDS = ("lat", "lon", "postal_code")
#: Rows per INSERT statement on SQLite (21 columns: 21,000 parameters; fewer when the SQLite
#: library allows fewer, see :func:`_sqlite_insert`).
_ROWS_PER_INSERT = 1000
#: SQLite page cache during an import (KiB): index pages of a large table stay in memory.
_IMPORT_CACHE_KIB = 256 * 1024
#: Sorter threads for building the account indexes again after a bulk load (SQLite's limit).
_INDEX_THREADS = 4


class AccountWriter:
    """Inserts and updates the chunks of one import; counts what it wrote into the report."""

    def __init__(
        self,
        session: Session,
        fmap: dict[str, str],
        report: ImportReport,
        *,
        bulk: bool = False,
        attributes: list[str] | None = None,
    ) -> None:
        self.session, self.report = session, report
        self.attributes = attributes or []
        given = set(fmap)
        if given & set(_LOCATION_FIELDS):
            given |= {"lon", "lat", "location_source", "unit_id"}
        self.given = given
        self.upd_fields = [f for f in FIELDS if f in given]
        self.table = cast(Table, Account.__table__)  # a declarative class's table
        self.any_existing = session.scalar(select(Account.id).limit(1)) is not None
        self.owners: set[str] = set()
        self.driver: Any = session.connection().connection.driver_connection
        self._cache: int | None = None
        self._indexes: list[tuple[str, list[str]]] = []
        driver = self.driver
        if isinstance(driver, sqlite3.Connection):
            self._cache = driver.execute("PRAGMA cache_size").fetchone()[0]
            driver.execute(f"PRAGMA cache_size=-{_IMPORT_CACHE_KIB}")
            if bulk and not self.any_existing:
                BulkSettings(driver, session)  # until the transaction ends: see the class
                self._indexes = self._drop_indexes()

    def write(self, data: dict[str, Any]) -> None:
        """Write one chunk: ``data`` maps each of FIELDS to the chunk's values."""
        columns = {f: _py(data[f]) for f in FIELDS}
        ids = columns["external_id"]
        existing = self._existing(ids)
        report = self.report
        if existing:
            is_new = np.array([e not in existing for e in ids], dtype=bool)
            new_cols = {f: _take(columns[f], is_new) for f in FIELDS}
            self._update(columns, ~is_new, existing)
            updated_sources = _take(columns["location_source"], ~is_new)
            report.updated += int((~is_new).sum())
            if "location_source" in self.given:
                report.unlocated += updated_sources.count("unlocated")
        else:
            new_cols = columns
        self._insert(new_cols)
        _account_attrs.write(self.session, self.attributes, data, replace=bool(existing))
        report.imported += len(new_cols["external_id"])
        report.unlocated += new_cols["location_source"].count("unlocated")
        self.owners.update(columns["owner"])

    def finish(self) -> None:
        """Create a rep for each owner not known yet, the indexes dropped for a bulk load
        again; put the page cache back."""
        session = self.session
        conn = session.connection()
        q = conn.dialect.identifier_preparer.quote
        threads = None
        self.close()  # the index is built with the connection's own page cache (below)
        if self._indexes and isinstance(self.driver, sqlite3.Connection):
            # SQLite's sorter sorts in memory up to the page cache's size, on one thread; with
            # a small cache it sorts runs of that size on helper threads and merges them: the
            # unit index of 10M accounts in 5 s instead of 19 s with the import's 256 MB cache
            threads = self.driver.execute("PRAGMA threads").fetchone()[0]
            self.driver.execute(f"PRAGMA threads={_INDEX_THREADS}")
        for name, columns in self._indexes:
            conn.exec_driver_sql(
                f"CREATE INDEX {q(name)} ON account ({', '.join(q(c) for c in columns)})"
            )
        if threads is not None:
            self.driver.execute(f"PRAGMA threads={threads}")
        owners = sorted(o for o in self.owners if o)
        known = set(session.scalars(select(Rep.name)))
        created = [o for o in owners if o not in known]
        if created:
            session.execute(
                insert(Rep), [{"name": o, "skills": [], "industries": []} for o in created]
            )
        self.report.extra["reps_created"] = created

    def close(self) -> None:
        if self._cache is not None and isinstance(self.driver, sqlite3.Connection):
            self.driver.execute(f"PRAGMA cache_size={self._cache}")
            self._cache = None

    def _drop_indexes(self) -> list[tuple[str, list[str]]]:
        """Drop the account table's plain indexes (as the database has them) for a bulk load
        into an empty table; :meth:`finish` builds them again.

        Keeping ``unit_id``'s index up to date row by row was half of SQLite's time (a million
        accounts in units spread over the country touch index pages at random: 14.6 s of CPU
        against 7.2 s with the index built once after). Unique indexes stay: they are
        constraints. Both are DDL inside the import's transaction, so a refused import leaves
        the indexes, like everything else, as they were. SQLite only: its readers keep reading
        their snapshot, where PostgreSQL would lock every other planner out of the table.
        """
        conn = self.session.connection()
        if not self.driver.in_transaction:
            self.driver.execute("BEGIN")  # sqlite3 would run DDL outside of the transaction
        q = conn.dialect.identifier_preparer.quote
        dropped = []
        for found in inspect(conn).get_indexes("account"):
            name, columns = found["name"], found["column_names"]
            partial = found.get("dialect_options", {}).get("sqlite_where") is not None
            if found["unique"] or not name or not columns or None in columns or partial:
                continue  # a constraint, an index on an expression or a partial one: kept
            conn.exec_driver_sql(f"DROP INDEX {q(name)}")
            dropped.append((name, [str(c) for c in columns]))
        return dropped

    def _existing(self, ids: list[str]) -> dict[str, int]:
        return _account_attrs.ids_of(self.session, ids) if self.any_existing else {}

    def _insert(self, columns: dict[str, list[Any]]) -> None:
        if not columns["external_id"]:
            return
        rows = zip(*(columns[f] for f in FIELDS), strict=True)
        names = ", ".join(FIELDS)
        driver = self.driver
        if isinstance(driver, sqlite3.Connection):
            head = f"INSERT INTO account ({names}) VALUES "
            _sqlite_insert(driver, head, [columns[f] for f in FIELDS])
        elif self.session.bind is not None and self.session.bind.dialect.name == "postgresql":
            with driver.cursor() as cur, cur.copy(f"COPY account ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:  # any other database: Core's executemany
            keys = [dict(zip(FIELDS, r, strict=True)) for r in rows]
            self.session.execute(insert(self.table), keys)

    def _update(self, columns: dict[str, list[Any]], mask: np.ndarray, ids: dict[str, int]) -> None:
        fields = self.upd_fields
        picked = {f: _take(columns[f], mask) for f in fields}
        rows = [
            {**dict(zip(fields, values, strict=True)), "_id": ids[ext]}
            for ext, values in zip(
                picked["external_id"], zip(*picked.values(), strict=True), strict=True
            )
        ]
        stmt = (
            update(self.table)
            .where(self.table.c.id == bindparam("_id"))
            .values({f: bindparam(f) for f in fields})
        )
        self.session.execute(stmt, rows)


def _sqlite_insert(driver: sqlite3.Connection, head: str, columns: list[list[Any]]) -> None:
    """The rows of ``columns`` inserted by statements of up to ``_ROWS_PER_INSERT`` rows each,
    then one by one.

    sqlite3 lets go of the GIL while SQLite works on a statement and takes it back to bind
    the next: one row per statement made a million hand-overs of the GIL between the writing
    and the reading thread per million rows, each dearer than binding a row. A thousand rows
    per statement make the hand-overs rare (a 10M row import: 100 s instead of 130 s with a
    hundred rows, the reading thread no longer waiting for the writer's turns). Each
    statement's parameters are laid out column by column with slice assignments (no tuple per
    row): this thread holds the GIL while it builds them, which the reading thread waits for.
    """
    width, n = len(columns), len(columns[0])
    step = max(
        1, min(_ROWS_PER_INSERT, driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width)
    )
    one = "(" + ", ".join("?" * width) + ")"
    many = head + ", ".join([one] * step)
    full = n - n % step
    driver.executemany(many, _statements(columns, full, step))
    driver.executemany(head + one, zip(*(c[full:] for c in columns), strict=True))


def _statements(columns: list[list[Any]], full: int, step: int) -> Iterator[tuple[Any, ...]]:
    """The parameters of each ``step``-row statement over the first ``full`` rows, row after
    row as the statement's placeholders take them."""
    width = len(columns)
    flat: list[Any] = [None] * (step * width)
    for start in range(0, full, step):
        for j, column in enumerate(columns):
            flat[j::width] = column[start : start + step]
        yield tuple(flat)


def _take(values: list[Any], mask: np.ndarray) -> list[Any]:
    return [v for v, keep in zip(values, mask.tolist(), strict=True) if keep]


def _py(values: Any) -> list[Any]:
    """Plain Python values for the driver (NaN -> None)."""
    if isinstance(values, pd.Series):
        return values.tolist()
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        out = values.astype(object)
        out[np.isnan(values)] = None
        return cast("list[Any]", out.tolist())  # a 1-d array's tolist() is a list
    return list(values.tolist() if isinstance(values, np.ndarray) else values)
