"""Killing the app (SIGKILL) after N edits loses none of them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from planner.model.plan import Plan
from planner.model.store import Project
from planner.model.synthetic import grid_project

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
