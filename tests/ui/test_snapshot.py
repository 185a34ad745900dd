"""`planner PROJECT --snapshot` and the README's run command open a real window and save it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from planner.model.synthetic import grid_project

pytestmark = pytest.mark.webengine
ROOT = Path(__file__).resolve().parents[2]


def orange_share(png: Path) -> float:
    """Share of sampled pixels in territory T2's orange (#ff7f0e under a translucent fill).

    Nothing else in the window is orange except T2's small bar in the chart, so a share of
    several percent means the map drew T2's stripe of units.
    """
    img = QImage(str(png))
    assert not img.isNull()
    hits = total = 0
    for x in range(0, img.width(), 6):
        for y in range(0, img.height(), 6):
            c = img.pixelColor(x, y)
            total += 1
            hits += c.red() > 200 and 90 < c.green() < 200 and c.blue() < 120
    return hits / total


def test_snapshot_saves_the_window_with_the_map_drawn(tmp_path: Path) -> None:
    project = tmp_path / "g.tplan"
    grid_project(project).close()
    out = tmp_path / "shot.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "planner", str(project), "--snapshot", str(out),
         "--size", "1600x1000"],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert QImage(str(out)).size().width() == 1600
    assert orange_share(out) > 0.03


def test_snapshot_of_a_missing_project_exits_1_with_a_reason(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "planner", str(tmp_path / "nope.tplan"), "--snapshot",
         str(tmp_path / "x.png")],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "no such project file" in proc.stderr
    assert not (tmp_path / "x.png").exists()


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is installed by setup.sh")
def test_run_command_opens_a_real_window_under_xvfb(tmp_path: Path) -> None:
    """scripts/run.sh is what `make run` calls after set-up: a real X window on a virtual screen."""
    project = tmp_path / "demo.tplan"
    grid_project(project).close()
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM")}
    env.update({"DEMO": str(project), "XDG_CONFIG_HOME": str(tmp_path)})
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "run.sh")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-1500:] + proc.stderr[-1500:]
    shot = ROOT / "build" / "screenshot.png"
    assert "virtual screen" in proc.stdout
    assert orange_share(shot) > 0.03
