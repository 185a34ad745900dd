"""PySide6 6.12's emit() drops a reference to True on each call (CPython < 3.12): a process that
emits more signals than True has references aborts ("bool_dealloc"). Importing the map package
(every process that shows the map) must survive that many emits."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import sys
from PySide6.QtCore import QCoreApplication, QObject, Signal
app = QCoreApplication([])
n = 2 * sys.getrefcount(True) + 1000  # more emits than True has references now
import planner.ui.map.view  # noqa: F401 - what the app and the map tests import
class Emitter(QObject):
    changed = Signal(int)
e = Emitter()
seen = []
e.changed.connect(seen.append)
for i in range(n):
    e.changed.emit(i)
print("ok", len(seen) > 0)
"""


def test_many_signal_emits_do_not_abort_the_process(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120, env=env,
        cwd=tmp_path, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "ok True" in proc.stdout
