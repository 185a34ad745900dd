"""SQLite settings for loading millions of accounts into an empty table in one transaction.

Two of SQLite's safety nets cost a bulk load more than they protect it, and both can only be
changed outside a transaction, so they are switched before the load begins its transaction and
put back in the session's ``after_commit`` / ``after_rollback``, which run once it has ended
and before the connection goes back to the pool: no other session ever gets the connection
with them changed.

- **Foreign keys**: every unit id written comes from the unit table read in the same
  transaction, so SQLite's per-row lookup of the account's unit cannot fail; it cost a quarter
  of SQLite's time (13 s of a 10M-row import).
- **WAL -> rollback journal**: in WAL mode every new page is written twice, to the ``-wal`` and
  at the commit's checkpoint into the file (10 s of a 10M-row import's commit, 0.5 s without).
  A rollback journal keeps only the pages that existed before the transaction (pages added to
  the end of the file need no copy: undoing them is truncating the file), so a load into a
  nearly empty project journals next to nothing and stays all-or-nothing: a kill leaves a
  ``-journal`` that SQLite plays back on the next open. ``synchronous=FULL`` while it is in
  use (SQLite's own advice for rollback journals: NORMAL could lose the journal's sync on a
  power cut). SQLite changes the mode only when no other connection has the file open; when
  one has (another window), the load keeps WAL, as before.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session


class BulkSettings:
    """Switches the settings above for one session's transaction; :meth:`restore` undoes them."""

    def __init__(self, driver: sqlite3.Connection, session: Session) -> None:
        self.driver = driver
        self.changed: dict[str, Any] = {}
        if driver.in_transaction:
            return  # a transaction is already open: SQLite would ignore the changes
        if driver.execute("PRAGMA foreign_keys").fetchone()[0]:
            driver.execute("PRAGMA foreign_keys=OFF")
            self.changed["foreign_keys"] = "ON"
        mode = str(driver.execute("PRAGMA journal_mode").fetchone()[0]).lower()
        if mode == "wal":
            sync = driver.execute("PRAGMA synchronous").fetchone()[0]
            if _journal(driver, "DELETE"):
                self.changed["journal_mode"] = "WAL"
                self.changed["synchronous"] = sync
                driver.execute("PRAGMA synchronous=FULL")
        if self.changed:
            for name in ("after_commit", "after_rollback"):
                event.listen(session, name, self.restore)

    def restore(self, *_: object) -> None:
        """Put the settings back once the transaction has ended (see the module's note).

        Back to WAL needs the file to itself as well: if another program has it open at this
        moment, the project stays in rollback mode until a connection opens it next (each
        sets WAL); the import has been committed all the same.
        """
        if not self.changed or self.driver.in_transaction:
            return
        for name, value in self.changed.items():
            if name == "journal_mode":
                _journal(self.driver, value)
            else:
                self.driver.execute(f"PRAGMA {name}={value}")
        self.changed = {}


def _journal(driver: sqlite3.Connection, mode: str) -> bool:
    """Set the journal ``mode`` if SQLite can at once; True if it did. Leaving or entering WAL
    needs the file to itself: with another connection on it SQLite answers "database is
    locked", at once since the busy timeout is off for the attempt."""
    timeout = driver.execute("PRAGMA busy_timeout").fetchone()[0]
    driver.execute("PRAGMA busy_timeout=0")
    try:
        got = driver.execute(f"PRAGMA journal_mode={mode}").fetchone()[0]
        return str(got).lower() == mode.lower()
    except sqlite3.OperationalError:
        return False
    finally:
        driver.execute(f"PRAGMA busy_timeout={timeout}")
