"""Scenario switch, undo and redo in the real window on the 100k-account demo (issue 12).

    python benchmarks/switch_undo.py [--samples 10]

Each figure runs until the page has painted the result (two animation frames after the last
JS call), with the balance table, chart, history and status bar updated: what a user waits for.

- open -> every layer painted;
- scenario switch: Baseline <-> a scenario with 20 edits, through the scenario box;
- undo / redo of a lasso step (Ctrl+Z / Ctrl+Shift+Z do ``undo_stack.undo()/redo()``);
- lasso Enter -> painted (the apply path, for comparison with benchmarks/workspace.py).
Targets (issue 12): switch < 1 s, undo/redo < 200 ms, Enter -> painted < 100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QStandardPaths, QTimer
from PySide6.QtWidgets import QApplication

from benchmarks._projects import demo_project


def wait(signal, timeout_ms: int = 120_000) -> None:
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    signal.disconnect(loop.quit)


def painted(w) -> None:
    """Until the page has run every queued call and painted a frame after them."""
    loop = QEventLoop()
    done = lambda layer: loop.quit() if layer == "bench" else None  # noqa: E731
    w.map_view.bridge.rendered.connect(done)
    w.map_view.call("notifyPainted", "bench")
    QTimer.singleShot(10_000, loop.quit)
    loop.exec()
    w.map_view.bridge.rendered.disconnect(done)


def timed(app, w, action) -> float:
    t0 = time.perf_counter()
    action()
    app.processEvents()
    painted(w)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=10)
    args = parser.parse_args()
    path = Path(tempfile.mkdtemp()) / "bench.tplan"
    shutil.copy(demo_project(100_000, "southeast"), path)
    QStandardPaths.setTestModeEnabled(True)
    app = QApplication([])
    from planner.model import moves
    from planner.model.edits import Edit
    from planner.model.scenarios import create_scenario
    from planner.ui.main_window import MainWindow

    w = MainWindow(remember_layout=False)
    w.resize(1600, 1000)
    w.show()
    wait(w.map_view.mapReady)
    t0 = time.perf_counter()
    w.open_project(path)
    wait(w.map_rendered)
    t_open = time.perf_counter() - t0

    base_id = w.plan.scenario_id
    sid = create_scenario(w.plan.project, "Bench scenario")
    w.switch_scenario(sid)
    painted(w)
    plan = w.plan
    a = plan.atoms
    rng = np.random.default_rng(0)
    for _ in range(20):  # a scenario with some history
        u = int(rng.integers(a.n_units))
        to = (int(plan.alignment[u]) + 1) % a.n_territories
        w.workspace.apply(Edit.of_moves(moves.for_units(plan, np.array([u]), to)))
    painted(w)
    switch = []
    for k in range(args.samples):
        target = base_id if k % 2 == 0 else sid
        switch.append(timed(app, w, lambda t=target: w.switch_scenario(t)))
    if w.plan.scenario_id != sid:
        w.switch_scenario(sid)
        painted(w)
    undo, redo, enter = [], [], []
    for k in range(args.samples):
        plan = w.plan
        u = int((k * 53) % a.n_units)
        x, y = float(a.unit_rep_lon[u]), float(a.unit_rep_lat[u])
        ring = [[x - 0.5, y - 0.35], [x + 0.5, y - 0.35], [x + 0.5, y + 0.35], [x - 0.5, y + 0.35],
                [x - 0.5, y - 0.35]]  # fmt: skip
        w.workspace.set_active((int(plan.alignment[u]) + 1) % a.n_territories)
        geometry = {"type": "Polygon", "coordinates": [ring]}
        w.map_view.bridge.receive(json.dumps({"kind": "lasso", "geometry": geometry}))
        app.processEvents()
        if w.workspace.pending is None:
            continue
        enter.append(timed(app, w, w.workspace.apply_pending))
        undo.append(timed(app, w, w.undo_stack.undo))
        redo.append(timed(app, w, w.undo_stack.redo))
    ms = lambda xs: f"{statistics.median(xs) * 1000:.0f} ms (max {max(xs) * 1000:.0f})"  # noqa: E731
    print(f"demo: {a.n_units:,} units, {a.n_accounts:,} accounts, {a.n_territories} territories")
    print("| measure | median | target |\n|---|---|---|")
    print(f"| open -> every layer painted | {t_open:.2f} s | |")
    print(f"| scenario switch -> painted ({len(switch)}) | {ms(switch)} | < 1 s |")
    print(f"| undo -> painted ({len(undo)}) | {ms(undo)} | < 200 ms |")
    print(f"| redo -> painted ({len(redo)}) | {ms(redo)} | < 200 ms |")
    print(f"| lasso Enter -> painted ({len(enter)}) | {ms(enter)} | < 100 ms |")
    w.close()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.shutdown()


if __name__ == "__main__":
    main()
