"""Real crashes for tests: a child process that writes and dies without closing anything.

The children are forked from the test process (everything is imported already, so a child
starts in milliseconds instead of the ~2 s a new interpreter needs) and end with ``os._exit``
or SIGKILL: no ``finally``, no ``atexit``, no SQLite checkpoint, exactly as after a crash.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Callable
from pathlib import Path


def fork(work: Callable[[], object]) -> int:
    """Run ``work`` in a forked child that exits without any clean-up; returns its pid."""
    pid = os.fork()
    if pid == 0:  # the child
        code = 0
        try:
            work()
        except BaseException:
            code = 1
        os._exit(code)
    return pid


def crash_after(work: Callable[[], object]) -> None:
    """Run ``work`` in a child that then dies as if killed (its -wal is left as it was)."""
    pid = fork(work)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the crashing child failed before its crash"


def kill_during(work: Callable[[], object], rng: random.Random, window: tuple[float, float],
                ready: Callable[[], bool] | None = None) -> bool:  # fmt: skip
    """Start ``work`` in a child and SIGKILL it at a random moment in ``window`` seconds
    (counted from when ``ready()`` becomes true, if given: e.g. the child started writing).
    Returns True if the kill landed while the child was still working (False: it had
    finished first)."""
    pid = fork(work)
    if ready is not None:
        deadline = time.monotonic() + 60
        while not ready() and time.monotonic() < deadline:
            time.sleep(0.001)
    time.sleep(rng.uniform(*window))
    os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    return os.WIFSIGNALED(status)


def disk_changes(folder: Path, target: Path) -> Callable[[], bool]:
    """A ``ready`` predicate: true once a file appeared in or left ``folder``, or ``target`` was
    replaced or rewritten (a build has reached the disk)."""

    def state() -> tuple[list[str], tuple[int, int, int]]:
        try:
            st = target.stat()
            key = (st.st_ino, st.st_size, st.st_mtime_ns)
        except FileNotFoundError:
            key = (-1, -1, -1)
        return sorted(os.listdir(folder)), key

    before = state()
    return lambda: state() != before


def wal_frames(path: Path) -> int:
    """Bytes still in the project's -wal (0: everything is in the file itself)."""
    wal = Path(f"{path}-wal")
    return wal.stat().st_size if wal.exists() else 0
