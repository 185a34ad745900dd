"""Helpers for CLI tests: run in-process or as a real process, and as a user without root's
power to write anything (so "read-only" means read-only even when the tests run as root)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from planner.cli import main

ROOT = Path(__file__).resolve().parents[1]
#: Root ignores file permissions; without these capabilities it is held to them like anyone.
_DROP = "-dac_override,-dac_read_search,-fowner"


def run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    """``planner ARGV`` in this process: (exit code, stdout, stderr)."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def run_process(
    *argv: object, unprivileged: bool = False, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``python -m planner ARGV`` as a separate process (this worktree's code first)."""
    cmd = [sys.executable, "-m", "planner", *map(str, argv)]
    if unprivileged and os.geteuid() == 0:
        cmd = ["setpriv", f"--bounding-set={_DROP}", f"--inh-caps={_DROP}", "--", *cmd]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                          check=False)  # fmt: skip


def one_error_line(err: str, *fragments: str) -> None:
    """The CLI's promise for a user error: exactly one line, ours, no traceback."""
    assert err.startswith("planner: error: "), err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, (fragment, err)


def dump(path: Path) -> list[str]:
    """Every row of a project file as SQL: equal dumps mean nothing a user sees changed."""
    con = sqlite3.connect(path)
    try:
        return list(con.iterdump())
    finally:
        con.close()


def integrity(path: Path) -> str:
    con = sqlite3.connect(path)
    try:
        return str(con.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        con.close()
