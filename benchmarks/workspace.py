"""Map workspace figures (issue "Map workspace"): the real window, offscreen, on the demo.

    python benchmarks/workspace.py       # lower-48 counties (~3,100 units), 100,000 accounts

- open -> interactive map: open_project() until every data layer has painted;
- lasso message -> preview: bridge message in, MoveSet + preview shown;
- Enter -> balance table and map restyle done: apply, table/chart refresh, restyle call
  executed in the page (a JS round trip queued after it returns);
- JS time to restyle all units.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QStandardPaths, QTimer
from PySide6.QtWidgets import QApplication

from benchmarks._projects import demo_project


def wait(signal, timeout_ms: int = 120_000) -> None:
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    signal.disconnect(loop.quit)


def js_roundtrip(view) -> None:
    box: list = []
    loop = QEventLoop()
    view.run_js_json("1", lambda v: (box.append(v), loop.quit()))
    loop.exec()


def start_window():
    """The application and the real main window, shown offscreen, its map page ready."""
    QStandardPaths.setTestModeEnabled(True)
    app = QApplication([])
    from planner.ui.main_window import MainWindow

    w = MainWindow()
    w.resize(1600, 1000)
    w.show()
    wait(w.map_view.mapReady)
    return app, w


def main() -> None:
    import shutil
    import tempfile

    # Work on a copy: the edits below are persisted and must not change the cached project.
    path = Path(tempfile.mkdtemp()) / "bench.tplan"
    shutil.copy(demo_project(100_000, "lower48"), path)
    app, w = start_window()
    t0 = time.perf_counter()
    w.open_project(path)
    wait(w.map_rendered)
    t_open = time.perf_counter() - t0
    plan = w.plan
    a = plan.atoms
    previews, applies, pythons, painted = [], [], [], []
    for k in range(20):
        # A lasso around ~12 counties near a different territory's edge each time.
        u = (k * 97) % a.n_units
        x, y = a.unit_rep_lon[u], a.unit_rep_lat[u]
        ring = [[x - 0.6, y - 0.4], [x + 0.6, y - 0.4], [x + 0.6, y + 0.4], [x - 0.6, y + 0.4],
                [x - 0.6, y - 0.4]]  # fmt: skip
        w.territory_combo.setCurrentIndex((int(plan.alignment[u]) + 1) % a.n_territories)
        msg = json.dumps({"kind": "lasso", "geometry": {"type": "Polygon", "coordinates": [ring]}})
        t0 = time.perf_counter()
        w.map_view.bridge.receive(msg)
        app.processEvents()
        previews.append(time.perf_counter() - t0)
        if w.workspace.pending is None:
            continue
        t0 = time.perf_counter()
        w.workspace.apply_pending()
        app.processEvents()
        pythons.append(time.perf_counter() - t0)
        js_roundtrip(w.map_view)  # the restyle call ran in the page before this returns
        applies.append(time.perf_counter() - t0)
        # ... and until the page has painted the result (two animation frames later).
        loop = QEventLoop()
        w.map_view.bridge.rendered.connect(loop.quit)
        w.map_view.call("notifyPainted", "edit")
        QTimer.singleShot(5000, loop.quit)
        loop.exec()
        w.map_view.bridge.rendered.disconnect(loop.quit)
        painted.append(time.perf_counter() - t0)
    restyle: list = []
    for _ in range(5):
        loop = QEventLoop()
        colours = {int(uid): "#123456" for uid in a.unit_ids}
        w.map_view.restyle_units(
            colours, callback=lambda ms, lp=loop: (restyle.append(ms), lp.quit())
        )
        loop.exec()
    print(f"demo: {a.n_units:,} units, {a.n_accounts:,} accounts, {a.n_territories} territories")
    print("| measure | time |\n|---|---|")
    print(f"| open -> map interactive (all layers painted) | {t_open:.2f} s |")
    print(f"| lasso message -> preview shown (median of {len(previews)}) | "
          f"{statistics.median(previews) * 1000:.0f} ms |")  # fmt: skip
    print(f"| Enter -> balance table + map restyle done (median of {len(applies)}) | "
          f"{statistics.median(applies) * 1000:.0f} ms |")  # fmt: skip
    print(f"| Enter -> the page has painted the new colours (median of {len(painted)}) | "
          f"{statistics.median(painted) * 1000:.0f} ms |")  # fmt: skip
    print(f"|   of which Python (model, persist, table, chart, JS calls issued) | "
          f"{statistics.median(pythons) * 1000:.0f} ms |")  # fmt: skip
    print(f"| JS restyle of all {a.n_units:,} units | {statistics.median(restyle):.1f} ms |")
    w.close()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.shutdown()


if __name__ == "__main__":
    main()
