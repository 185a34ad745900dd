"""The registry of open projects that no writer may replace (io/_output.py)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from planner.model.io import _output
from planner.model.io._output import OutputError, check_output
from planner.model.store import Project
from planner.model.synthetic import grid_project


def test_a_project_collected_while_the_registry_is_read_does_not_hang(tmp_path: Path) -> None:
    """The garbage collector may run a project's finalizer in the middle of any allocation,
    also while this thread reads the registry under its lock: unregistering must not take
    that lock again (it hung the whole test suite once)."""
    done = threading.Event()

    def collected_inside_the_lock() -> None:
        with _output._lock:
            _output.unregister_project(tmp_path / "gone.tplan")
        done.set()

    worker = threading.Thread(target=collected_inside_the_lock, daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert done.is_set(), "unregistering under the registry's lock deadlocked"


def test_open_projects_are_protected_until_closed_or_collected(tmp_path: Path) -> None:
    grid_project(tmp_path / "g.tplan").close()
    project = Project.open(tmp_path / "g.tplan")
    with pytest.raises(OutputError, match="is the project"):
        check_output(tmp_path / "g.tplan")
    with pytest.raises(OutputError, match="wal file"):
        check_output(tmp_path / "g.tplan-wal")
    project.close()
    assert check_output(tmp_path / "g.tplan") == tmp_path / "g.tplan"
    again = Project.open(tmp_path / "g.tplan")
    twice = Project.open(tmp_path / "g.tplan")
    again.close()
    with pytest.raises(OutputError):  # still open once
        check_output(tmp_path / "g.tplan")
    del twice  # collected without close(): its finalizer unregisters it
    import gc

    gc.collect()
    assert check_output(tmp_path / "g.tplan") == tmp_path / "g.tplan"
