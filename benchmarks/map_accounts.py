"""How fast is the binary accounts layer? 3,108 county units and 100k / 1M / 10M account points.

Run: ``python benchmarks/map_accounts.py [--sizes 100000 1000000 10000000] [--json-too]``
(offscreen by default). Through the real bridge and page, for each size:

- Python time to send: ``mapdata.AccountArrays`` -> typed arrays in a file -> the JS call;
- page time until painted (file read, index built, first draw, the frame painted), the page's
  own split of it, and the draw mode (points or density bins) at the US-wide view;
- JS heap (``performance.memory``) and resident memory of Python and Chromium's processes;
- Enter -> painted for the two kinds of edit: a lasso of 60 counties whose accounts follow them
  (``assignUnits``) and 10,000 pinned/free-form accounts (``assignAccountsAt``);
- a pan and a zoom in (redraw in the page).

``--json-too`` also times the older JSON layer (``set_account_layer``) at the sizes up to 1M.
``--gui PROJECT`` opens a copy of a project (``--in-place``: the project itself) twice in the
real window instead and reports open -> every layer painted (the first open writes the
project's caches), Enter -> painted (lassos through the bridge) and peak RSS, with the CPU
seconds of Python and Chromium (steadier than wall time on a shared machine).
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
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")

import numpy as np
from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.map_restyle import N_TERRITORIES, counties, js, painted, rendered, wait
from planner.model.colours import PALETTE
from planner.model.mapdata import AccountArrays
from planner.ui.map.view import MapView, RawJson


def rss_mb(pids: list[int]) -> float:
    """Resident memory of these processes, MB (from /proc)."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def chromium_pids() -> list[int]:
    """Every process this one started, at any depth (QtWebEngineProcess: the browser's
    zygote, renderer and GPU processes are children of children)."""
    out, todo = [], [os.getpid()]
    while todo:
        pid = todo.pop()
        try:
            tasks = list(Path(f"/proc/{pid}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            out += children
            todo += children
    return out


def synthetic_accounts(fc: dict[str, Any], n: int, seed: int = 1) -> AccountArrays:
    """``n`` accounts around county representative points (denser where counties are small),
    each following its county; 2 % pinned to a territory of their own."""
    rng = np.random.default_rng(seed)
    feats = fc["features"]
    centre = np.array([_centre(f["geometry"]) for f in feats])
    unit_of = rng.integers(0, len(feats), n)
    lon = centre[unit_of, 0] + rng.normal(0, 0.15, n)
    lat = centre[unit_of, 1] + rng.normal(0, 0.1, n)
    own = np.full(n, -2, dtype=np.int32)
    pinned = rng.random(n) < 0.02
    own[pinned] = rng.integers(1, N_TERRITORIES + 1, int(pinned.sum()))
    return AccountArrays(
        lon=lon.astype(np.float32),
        lat=lat.astype(np.float32),
        unit=np.array([f["properties"]["id"] for f in feats], dtype=np.int32)[unit_of],
        own=own,
        ids=np.arange(1, n + 1, dtype=np.int64),
    )


def _centre(geometry: dict[str, Any]) -> tuple[float, float]:
    ring = (
        geometry["coordinates"][0]
        if geometry["type"] == "Polygon"
        else geometry["coordinates"][0][0]
    )
    xy = np.asarray(ring)
    return float(xy[:, 0].mean()), float(xy[:, 1].mean())


def heap_mb(view: MapView) -> float:
    used = js(view, "performance.memory ? performance.memory.usedJSHeapSize : -1")
    return float(used) / 2**20 if used is not None and used >= 0 else float("nan")


def page_benchmark(args: argparse.Namespace) -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    fc, _labels = counties()
    n_units = len(fc["features"])
    territories = [
        {"id": t + 1, "name": f"T{t + 1:02d}", "colour": PALETTE[t % len(PALETTE)], "locked": False}
        for t in range(N_TERRITORIES)
    ]
    view = MapView()
    view.resize(1200, 800)
    wait(view.mapReady, view.show)
    view.set_territories(territories)
    wait(rendered(view, "units"), lambda: view.set_units(RawJson(json.dumps(fc))))
    js(view, "TP.fitBounds([[24.5,-125],[49.5,-66.9]])")
    rng = np.random.default_rng(2)
    rows: list[tuple[str, ...]] = []
    for n in args.sizes:
        arrays = synthetic_accounts(fc, n)
        base_rss = rss_mb([os.getpid()]), rss_mb(chromium_pids())
        send: list[float] = []

        def start(a: AccountArrays = arrays, s: list[float] = send) -> None:
            t0 = time.perf_counter()
            view.set_account_arrays(a)
            view._flush_batch()
            s.append(time.perf_counter() - t0)

        total = wait(rendered(view, "accounts"), start)
        state = js(view, "TP.accountsState()")
        times = state["times"]
        rss_py, rss_cr = rss_mb([os.getpid()]), rss_mb(chromium_pids())
        rows.append((f"{n:,}", "Python: arrays -> file -> JS call", f"{send[0] * 1000:.0f} ms"))
        rows.append((f"{n:,}", "call -> painted (page)", f"{(total - send[0]) * 1000:.0f} ms"))
        split = f"{times['readMs']:.0f} / {times['buildMs']:.0f} / {times['drawMs']:.0f} ms"
        rows.append((f"{n:,}", "  file read / index built / first draw", split))
        rows.append((f"{n:,}", f"US view drawn as ({state['visible']:,} in view)", state["mode"]))
        rows.append((f"{n:,}", "JS heap used", f"{heap_mb(view):.0f} MB"))
        rows.append((f"{n:,}", "RSS Python / Chromium (delta)",
                     f"{rss_py:.0f} / {rss_cr:.0f} MB (+{rss_py - base_rss[0]:.0f} / "
                     f"+{rss_cr - base_rss[1]:.0f})"))  # fmt: skip
        unit_ms, acc_ms = [], []
        for r in range(args.repeat):
            units = rng.choice(n_units, 60, replace=False)
            mapping = {int(fc["features"][u]["properties"]["id"]): int(rng.integers(1, 51))
                       for u in units}  # fmt: skip
            unit_ms.append(painted(view, lambda m=mapping: view.assign_units(m), f"u{n}{r}"))
            idx = rng.choice(n, 10_000, replace=False)
            codes = rng.integers(1, N_TERRITORIES + 1, 10_000)
            acc_ms.append(
                painted(view, lambda i=idx, c=codes: view.assign_accounts_at(i, c), f"a{n}{r}")
            )
        rows.append((f"{n:,}", "Enter -> painted: 60 units' accounts follow (median)",
                     f"{statistics.median(unit_ms):.0f} ms"))  # fmt: skip
        rows.append((f"{n:,}", "Enter -> painted: 10,000 accounts by index (median)",
                     f"{statistics.median(acc_ms):.0f} ms"))  # fmt: skip
        pan = [js(view, f"(TP.map().panBy([{d},{d // 2}],{{animate:false}}), "
                        "TP.accountsState().lastDrawMs)") for d in [300, -300] * 3]  # fmt: skip
        rows.append((f"{n:,}", "redraw after a pan (median)", f"{statistics.median(pan):.0f} ms"))
        for zoom in (6, 8, 10):
            js(view, f"(TP.map().setView([33.75,-84.39],{zoom},{{animate:false}}),1)")
            st = js(view, "TP.accountsState()")
            drawn = f"{st['lastDrawMs']:.0f} ms, {st['mode']}, {st['visible']:,} in view"
            rows.append((f"{n:,}", f"zoom {zoom} at Atlanta: redraw", drawn))
        js(view, "TP.fitBounds([[24.5,-125],[49.5,-66.9]])")
        if args.json_too and n <= 1_000_000:
            rows += json_layer(view, arrays)
        del arrays
    print(f"\naccounts layer benchmark: {n_units} counties, {N_TERRITORIES} territories, "
          "view 1200 x 800, offscreen\n")  # fmt: skip
    print("| accounts | measure | value |\n|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    view.dispose()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.processEvents()


def json_layer(view: MapView, arrays: AccountArrays) -> list[tuple[str, ...]]:
    """The older JSON layer, for comparison: Python builds the lists and the text."""
    n = arrays.n
    t0 = time.perf_counter()
    layer = {
        "ids": arrays.ids.tolist(),
        "lon": np.round(arrays.lon.astype(float), 5).tolist(),
        "lat": np.round(arrays.lat.astype(float), 5).tolist(),
        "unit": arrays.unit.tolist(),
        "territory": arrays.own.tolist(),
        "names": [f"Account {i}" for i in range(n)],
    }
    build = time.perf_counter() - t0
    total = wait(rendered(view, "accounts"), lambda: view.set_account_layer(layer))
    return [
        (f"{n:,}", "older JSON layer: Python lists + text", f"{build * 1000:.0f} ms"),
        (f"{n:,}", "older JSON layer: call -> painted", f"{total * 1000:.0f} ms"),
    ]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these processes so far (from /proc)."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(stat[11]) + int(stat[12])) / tick
        except OSError:
            pass
    return total


def _cpu() -> tuple[float, float]:
    return cpu_seconds([os.getpid()]), cpu_seconds(chromium_pids())


def gui_benchmark(args: argparse.Namespace) -> None:
    """Open a project ``--opens`` times in the real window (the first open of a copy writes
    the project's caches, the second is every later open), then lassos: wall and CPU seconds
    of Python and Chromium (the machine is shared: CPU seconds are the steadier figure) and
    peak RSS."""
    from PySide6.QtCore import QStandardPaths

    if args.in_place:
        path = Path(args.gui)
    else:
        path = Path(tempfile.mkdtemp()) / "bench.tplan"
        shutil.copy(args.gui, path)
    QStandardPaths.setTestModeEnabled(True)
    app = QApplication.instance() or QApplication(sys.argv)
    from planner.ui.main_window import MainWindow

    w = MainWindow()
    w.resize(1600, 1000)
    wait(w.map_view.mapReady, w.show)
    peak = [0.0]
    sampler = QTimer()
    sampler.timeout.connect(
        lambda: peak.__setitem__(0, max(peak[0], rss_mb([os.getpid(), *chromium_pids()])))
    )
    sampler.start(100)
    opens = []
    for _ in range(args.opens):
        before = _cpu()
        seconds = wait(w.map_rendered, lambda: w.open_project(path), timeout_ms=1_800_000)
        after = _cpu()
        opens.append((seconds, after[0] - before[0], after[1] - before[1]))
        app.processEvents()
        wait_ms(1500)  # the idle work after painting (coverage check, unit index) is not Enter's
    plan = w.plan
    a = plan.atoms
    enter: list[float] = []
    cpu_py: list[float] = []
    cpu_chromium: list[float] = []
    for k in range(args.repeat * 3):
        u = (k * 7919) % a.n_units
        x, y = a.unit_rep_lon[u], a.unit_rep_lat[u]
        dx, dy = (0.15, 0.1) if a.n_units > 10_000 else (0.6, 0.4)  # ~100 ZIPs or ~12 counties
        ring = [[x - dx, y - dy], [x + dx, y - dy], [x + dx, y + dy], [x - dx, y + dy],
                [x - dx, y - dy]]  # fmt: skip
        w.territory_combo.setCurrentIndex((int(plan.alignment[u]) + 1) % a.n_territories)
        w.map_view.bridge.receive(
            json.dumps({"kind": "lasso", "geometry": {"type": "Polygon", "coordinates": [ring]}})
        )
        app.processEvents()
        if w.workspace.pending is None:
            continue
        before = _cpu()
        enter.append(painted(w.map_view, w.workspace.apply_pending, f"e{k}"))
        after = _cpu()
        cpu_py.append((after[0] - before[0]) * 1000)
        cpu_chromium.append((after[1] - before[1]) * 1000)
    state = js(w.map_view, "TP.accountsState()")
    sampler.stop()
    print(f"\n{Path(args.gui).name}: {a.n_units:,} units, {a.n_accounts:,} accounts\n")
    print("| measure | wall | CPU Python / Chromium |\n|---|---|---|")
    for label, (seconds, py, chromium) in zip(("first", "second", "third"), opens, strict=False):
        print(f"| GUI open -> every layer painted ({label} open) | {seconds:.2f} s | "
              f"{py:.1f} / {chromium:.1f} s |")  # fmt: skip
    times = state["times"]
    print(f"| accounts layer in the page: read / set up / first draw | {times['readMs']:.0f} / "
          f"{times['buildMs']:.0f} / {times['drawMs']:.0f} ms ({state['mode']}) | |")  # fmt: skip
    print(f"| Enter -> painted (lasso, median of {len(enter)}) | "
          f"{statistics.median(enter):.0f} ms | {statistics.median(cpu_py):.0f} / "
          f"{statistics.median(cpu_chromium):.0f} ms |")  # fmt: skip
    print(f"| peak RSS, Python + Chromium (sampled every 100 ms) | {peak[0]:.0f} MB | |")
    w.close()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.processEvents()


def wait_ms(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json-too", action="store_true")
    parser.add_argument("--gui", type=Path, help="a project to open in the window (a copy)")
    parser.add_argument(
        "--in-place", action="store_true", help="--gui on the project itself, not a copy"
    )
    parser.add_argument(
        "--opens",
        type=int,
        default=2,
        choices=(1, 2, 3),
        help="--gui: opens of the project in the window (1: what starting the app on it costs, "
        "its peak memory included; the second holds the first until it has loaded)",
    )
    args = parser.parse_args()
    if args.gui:
        gui_benchmark(args)
    else:
        page_benchmark(args)


if __name__ == "__main__":
    main()
