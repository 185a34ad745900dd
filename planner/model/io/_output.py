"""Every file the planner writes: never the project or an input, whole or not at all.

Why one helper: ``planner export P.tplan --format csv P.tplan`` once replaced the project with a
CSV, and each writer had its own ``.partial`` dance. Now every writer (exports, impact and
handover reports, PDFs, import reports) calls :func:`write_atomic`, which

1. refuses an output that is a folder, in a missing folder, or the same file (by resolved path,
   or by ``samefile`` for hard links and symlinks) as a protected file: the project, its
   ``-wal``/``-shm``/``-journal``, an input of the command, or any project file this process
   has open (:func:`register_project`: the GUI's docks get this protection without asking);
2. writes to a unique temporary file in the target folder (same file system, so the rename is
   atomic), flushes it to disk, and renames it over the target only when writing succeeded;
   a failure or a kill leaves the previous file, if any, untouched;
3. turns an operating-system failure (read-only folder, full disk) into one
   :class:`OutputError` line naming the file.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from planner.model.errors import PlannerError

#: Files SQLite keeps beside a project while it is open or after a crash.
SIDE_SUFFIXES = ("-wal", "-shm", "-journal")
Protected = Mapping[Path, str]

_lock = threading.Lock()
_open: dict[Path, int] = {}
_pending: deque[Path] = deque()


class OutputError(PlannerError, OSError):
    """An output file cannot or must not be written. Also an OSError, so callers that catch
    file-system errors (the GUI's export buttons) show it like one."""


def project_files(project: Path | str | None) -> dict[Path, str]:
    """The project file and the files SQLite keeps beside it, labelled for messages."""
    if project is None or "://" in str(project):
        return {}
    path = Path(project).expanduser()
    files = {path: "the project"}
    files.update({Path(f"{path}{s}"): f"the project's {s[1:]} file" for s in SIDE_SUFFIXES})
    return files


def protected(project: Path | str | None = None, inputs: Iterable[Path | None] = ()) -> Protected:
    """What a command must never write: its project (and side files) and its inputs."""
    out = project_files(project)
    for path in inputs:
        if path is not None:
            out.setdefault(Path(path).expanduser(), "an input of this command")
    return out


def register_project(path: Path | str | None) -> None:
    """Protect an open project file (and its side files) from every writer in this process."""
    if path is not None and "://" not in str(path):
        key = _key(Path(path))
        with _lock:
            _drain()
            _open[key] = _open.get(key, 0) + 1


def unregister_project(path: Path | str | None) -> None:
    """The project is closed (or its object collected: a ``weakref.finalize`` calls this).

    Only queued here, taken off under the lock by the next reader: the garbage collector may
    run a finalizer in the middle of any allocation, also one made while this thread holds
    ``_lock`` (a non-reentrant lock taken again there hung the test suite)."""
    if path is not None and "://" not in str(path):
        _pending.append(_key(Path(path)))  # deque.append is atomic: no lock needed


def _drain() -> None:
    """Apply the queued unregistrations (the caller holds ``_lock``)."""
    while _pending:
        key = _pending.popleft()
        if _open.get(key, 0) <= 1:
            _open.pop(key, None)
        else:
            _open[key] -= 1


def _key(path: Path) -> Path:
    return Path(os.path.abspath(path.expanduser()))


def same_file(a: Path, b: Path) -> bool:
    """True when ``a`` and ``b`` name the same file: equal once resolved (symlinks, ``..``),
    or the same inode (hard links) when both exist."""
    try:
        if a.expanduser().resolve() == b.expanduser().resolve():
            return True
    except (OSError, RuntimeError):  # a symlink loop: compare what exists below
        pass
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_output(out: Path | str, protect: Protected | None = None) -> Path:
    """``out`` as a Path if it may be written; else :class:`OutputError` saying why."""
    out = Path(out).expanduser()
    if out.is_dir():
        raise OutputError(f"{out}: is a folder; give a file name")
    if not out.parent.is_dir():
        raise OutputError(f"{out.parent}: folder does not exist")
    with _lock:
        _drain()
        keys = list(_open)
    opened = [f for p in keys for f in project_files(p).items()]
    for path, what in [*(protect or {}).items(), *opened]:
        if same_file(out, path):
            raise OutputError(f"{out}: is {what}; choose another file name")
    return out


def check_distinct(outputs: Iterable[Path | None]) -> None:
    """Two outputs of one command must not be the same file (the second would replace the
    first)."""
    seen: list[Path] = []
    for out in outputs:
        if out is None:
            continue
        for other in seen:
            if same_file(out, other):
                raise OutputError(f"{out}: given twice as an output; choose another file name")
        seen.append(Path(out))


def write_atomic(
    out: Path | str, write: Callable[[Path], object], *, protect: Protected | None = None
) -> Path:
    """Call ``write(tmp)`` on a new temporary file beside ``out``, then rename it to ``out``.

    Returns ``out``. ``write`` may raise anything; the temporary file is removed and ``out``
    keeps its previous content. OS errors become one-line :class:`OutputError` messages.
    """
    out = check_output(out, protect)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
    except OSError as err:
        raise OutputError(f"cannot write {out}: {err.strerror or err}") from err
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        _finish(tmp, out)
        check_output(out, protect)  # nothing became the project while we were writing
        os.replace(tmp, out)
        _sync_dir(out.parent)
    except OSError as err:
        if isinstance(err, OutputError):
            raise
        raise OutputError(f"cannot write {out}: {err.strerror or err}") from err
    finally:
        tmp.unlink(missing_ok=True)
    return out


def _finish(tmp: Path, out: Path) -> None:
    """Give the file the permissions a plain new file gets (mkstemp makes it private), or the
    previous file's, and flush it to disk so the rename never exposes an empty file."""
    try:
        mode = out.stat().st_mode & 0o7777
    except OSError:
        mode = 0o666 & ~_UMASK
    os.chmod(tmp, mode)
    with tmp.open("rb+") as fh:
        os.fsync(fh.fileno())


def _sync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # not possible on every platform/file system: the rename stands anyway
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _read_umask() -> int:
    mask = os.umask(0o022)  # the only portable way to read it: set and restore at import
    os.umask(mask)
    return mask


_UMASK = _read_umask()
