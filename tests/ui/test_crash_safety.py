"""Killing the app (SIGKILL) loses no committed edit and never leaves half an edit.

After N edits (idle window) and at random moments while the window edits in a loop (issue 13:
kills in the middle of writes). Imports, publishing and handover generation have the same
test in tests/model/test_kill_safety.py.
"""

from __future__ import annotations

import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import numpy as np
import pytest

from planner.model.plan import Plan
from planner.model.store import Project
from planner.model.synthetic import grid_project
from tests.clirun import integrity

pytestmark = pytest.mark.webengine
N = 5


def test_sigkill_after_n_edits_keeps_all_of_them(tmp_path: Path) -> None:
    path = tmp_path / "g.tplan"
    grid_project(path).close()
    driver = Path(__file__).with_name("edit_driver.py")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    proc = subprocess.Popen(
        [sys.executable, str(driver), str(path), str(N), str(tmp_path / "page")],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
    )  # fmt: skip
    try:
        seen = []
        while len(seen) < N:
            line = proc.stdout.readline()
            assert line, "the driver exited before making its edits"
            if line.startswith("applied"):
                seen.append(line)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    with Project.open(path) as project:
        plan = Plan.load(project)
        units = plan.alignment[: plan.atoms.n_units]
        np.testing.assert_array_equal(units[:N], [2] * N)  # the first N units were painted T3
        assert len(plan.history()) == N


GUI_KILLS = 8


class _Lines:
    """The driver's stdout, line by line, with a timeout (a reader thread feeds a queue)."""

    def __init__(self, stream: IO[str]) -> None:
        self.queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self.queue.put(line.strip())
        self.queue.put("")  # EOF

    def until(self, prefix: str, timeout: float = 120) -> list[str]:
        """Lines up to and including the first that starts with ``prefix``."""
        seen = []
        while True:
            line = self.queue.get(timeout=timeout)
            assert line, f"the driver exited while waiting for {prefix!r}: {seen[-5:]}"
            seen.append(line)
            if line.startswith(prefix):
                return seen


def test_sigkill_in_the_middle_of_gui_edits_keeps_each_edit_whole(tmp_path: Path) -> None:
    """The window edits in a loop and is killed at random moments, mostly inside an edit:
    every edit is then entirely in the project (alignment and edit history) or not at all."""
    path = tmp_path / "g.tplan"
    grid_project(path).close()
    with Project.open(path) as project:
        original = int(Plan.load(project).alignment[0])
    driver = Path(__file__).with_name("edit_driver.py")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    proc = subprocess.Popen(
        [sys.executable, str(driver), "--zygote", str(path), str(tmp_path / "page")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env=env,
    )  # fmt: skip
    lines, rng, interrupted = _Lines(proc.stdout), random.Random(7), 0
    try:
        lines.until("zygote")
        for _ in range(GUI_KILLS):
            proc.stdin.write("go\n")
            proc.stdin.flush()
            pid = int(lines.until("child ")[-1].split()[1])
            lines.until("ready")
            time.sleep(rng.uniform(0.05, 0.6))
            os.kill(pid, signal.SIGKILL)
            seen = lines.until("dead")
            started = [int(x.split()[1]) for x in seen if x.startswith("start")]
            applied = [int(x.split()[1]) for x in seen if x.startswith("applied")]
            interrupted += bool(started) and (not applied or started[-1] > applied[-1])
            assert integrity(path) == "ok"
            with Project.open(path) as project:
                plan = Plan.load(project)
                h = len(plan.history())
                assert max(applied, default=0) <= h <= max(started, default=h)
                expected = original if h == 0 else (2 if h % 2 else 1)
                assert int(plan.alignment[0]) == expected, (h, started[-3:], applied[-3:])
    finally:
        proc.stdin.close()
        proc.kill()
        proc.wait(timeout=30)
    assert interrupted >= GUI_KILLS // 2
