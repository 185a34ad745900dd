"""Project files on disk: what to check before opening one, and how to replace one whole.

A project is a SQLite file in WAL mode: committed writes may still sit in ``P.tplan-wal`` until
SQLite folds them into the file (a checkpoint), notably after a crash. Two consequences:

- A new file must never be renamed over a project whose ``-wal`` still holds frames: SQLite
  would replay that old journal into the new file ("database disk image is malformed"). Before
  the rename, :func:`install` folds the old journal into the old file (refusing if another
  program has it open), so the old file is complete until the very rename and the new file
  finds no foreign journal after it.
- A new project (``new``, ``demo``, Save As) is built in a temporary file beside its target,
  checked with ``PRAGMA integrity_check``, and only then renamed into place: a kill or an error
  at any point leaves whatever was at the target before, untouched.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from planner.model.errors import ProjectFileError
from planner.model.io._output import SIDE_SUFFIXES, write_atomic

SQLITE_MAGIC = b"SQLite format 3\x00"


def check_header(path: Path) -> None:
    """Refuse, in one line, a file that cannot be a project: empty, not SQLite, truncated."""
    try:
        with path.open("rb") as fh:
            head = fh.read(100)
    except OSError as err:
        raise ProjectFileError(f"{path}: cannot read the project ({err.strerror})") from err
    if not head:
        raise ProjectFileError(f"{path}: is empty (0 bytes), not a Territory Planner project")
    if head[:16] != SQLITE_MAGIC or len(head) < 100:
        raise ProjectFileError(f"{path}: not a Territory Planner project (not a SQLite file)")
    page = int.from_bytes(head[16:18], "big")
    page = 65536 if page == 1 else page
    pages = int.from_bytes(head[28:32], "big")
    # The in-header size is valid when "version-valid-for" equals the change counter. With
    # frames in the -wal (or a journal to play back) the file may legitimately differ
    # (recovery completes it).
    valid = head[24:28] == head[92:96] and pages > 0
    pending = _has_frames(path) or hot_journal(path)
    if valid and not pending and path.stat().st_size < page * pages:
        raise ProjectFileError(
            f"{path}: the project file is truncated ({path.stat().st_size:,} of "
            f"{page * pages:,} bytes); restore it from a backup"
        )


def _has_frames(path: Path) -> bool:
    wal = Path(f"{path}-wal")
    return wal.exists() and wal.stat().st_size > 0


#: The first bytes of a rollback journal SQLite would play back: it writes them only once the
#: journal is synced, before the first change reaches the file itself.
JOURNAL_MAGIC = bytes.fromhex("d9d505f920a163d7")


def hot_journal(path: Path) -> bool:
    """Does a rollback journal beside ``path`` (left by a killed bulk import, see
    io/_bulk_sqlite.py) hold pages SQLite will put back into the file on its next open?"""
    try:
        with open(f"{path}-journal", "rb") as fh:
            return fh.read(len(JOURNAL_MAGIC)) == JOURNAL_MAGIC
    except OSError:
        return False


def damaged(location: object, err: BaseException) -> ProjectFileError:
    """The one-line error for a file SQLite cannot read."""
    reason = str(getattr(err, "orig", None) or err).splitlines()[0]
    return ProjectFileError(f"{location}: the project file is damaged or unreadable ({reason})")


def writable(path: Path) -> bool:
    """Can this process write the project? SQLite needs the file and, in WAL mode, the
    ``-wal``/``-shm`` beside it: writable ones that exist (another window has the project
    open), or a folder where it can create them."""
    sides = [Path(f"{path}{s}") for s in ("-wal", "-shm")]
    if not os.access(path, os.W_OK):
        return False
    if all(p.exists() for p in sides):
        return all(os.access(p, os.W_OK) for p in sides)
    return os.access(path.parent, os.W_OK | os.X_OK)


def verify(path: Path) -> None:
    """Fold any -wal into ``path`` and run ``PRAGMA integrity_check``; raise if not ok."""
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        result = [r[0] for r in con.execute("PRAGMA integrity_check(5)")]
    except sqlite3.DatabaseError as err:
        raise damaged(path, err) from err
    finally:
        con.close()
    if result != ["ok"]:
        raise ProjectFileError(f"the new project file failed its integrity check: {result[0]}")
    remove_side_files(path)


def remove_side_files(path: Path) -> None:
    for suffix in SIDE_SUFFIXES:
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def settle(dest: Path) -> None:
    """Make the file at ``dest`` self-contained, so a new file can be renamed over it.

    Its committed journal is checkpointed into it (it stays a complete project until the very
    rename); a journal without a project file is meaningless and removed. Another program with
    the project open makes this fail: we refuse rather than pull the file from under it.
    A rollback journal left by a killed import is played back the same way: renamed over,
    the old file's journal would otherwise be played into the new one on its next open.
    """
    wal = Path(f"{dest}-wal")
    if not wal.exists() and not hot_journal(dest):
        return
    if not dest.is_file() or dest.stat().st_size == 0:
        remove_side_files(dest)
        return
    con = sqlite3.connect(f"file:{dest}?mode=rw", uri=True, timeout=2)
    try:
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()  # plays a journal back
        busy = con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        con.execute("BEGIN IMMEDIATE")  # a journal of a load still running: it has the lock
        con.rollback()
    except sqlite3.DatabaseError as err:
        if not (isinstance(err, sqlite3.OperationalError) and "locked" in str(err)):
            raise ProjectFileError(
                f"{dest}: cannot be replaced ({err}); remove it or choose another name"
            ) from err
        busy = 1
    finally:
        con.close()
    if busy:
        raise ProjectFileError(f"{dest}: is open in another program; close it there first")


def check_target(dest: Path | str, *, overwrite: bool) -> Path:
    """Refuse a project target that is a folder, in a missing folder, or exists (unless
    ``overwrite``); called before long work (the demo) so it fails at once."""
    dest = Path(dest).expanduser()
    if dest.is_dir():
        raise ProjectFileError(f"{dest}: is a folder; give a project file name")
    if not dest.parent.is_dir():
        raise ProjectFileError(f"{dest.parent}: folder does not exist")
    if dest.exists() and not overwrite:
        raise ProjectFileError(f"{dest}: already exists (choose another name)")
    return dest


def install(dest: Path, build: Callable[[Path], object], *, overwrite: bool) -> Path:
    """Build a project with ``build(tmp)`` beside ``dest``, verify it, and rename it to ``dest``.

    ``build`` must leave ``tmp`` closed. What was at ``dest`` survives any failure.
    """
    dest = check_target(dest, overwrite=overwrite)

    def write(tmp: Path) -> None:
        try:
            build(tmp)
            verify(tmp)
        except BaseException:
            remove_side_files(tmp)
            raise
        settle(dest)

    write_atomic(dest, write)
    remove_side_files(dest)  # stale -shm (or an emptied -wal) of the file we replaced
    return dest
