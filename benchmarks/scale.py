"""Issue 14 at scale: a national plan at ZIP level with millions of accounts.

    python benchmarks/scale.py                  # 1M, 3M and 10M accounts (long: hours at 10M)
    python benchmarks/scale.py --quick          # 1M only (what `make bench` runs)
    python benchmarks/scale.py --sizes 1000000 3000000

The projects are built into build/ by benchmarks/_scale_data.py the first time (41,000
ZIP-like units, 50 territories; the accounts CSV imported by ``planner import-accounts``, whose
time and peak memory are the import columns). Then, for each size, in child processes whose
whole process tree (Python and Chromium) is sampled for resident memory:

- model open -> totals: ``Project.open`` + ``Plan.load`` + ``rows()``;
- Enter model path: a lasso of ~100 units (``moves.for_polygon``), ``Plan.preview`` and
  ``Plan.apply`` (median of 10);
- GUI open -> map interactive: the real MainWindow offscreen (as benchmarks/workspace.py),
  ``open_project`` until every layer has painted;
- GUI Enter -> painted: a lasso message, Enter, until the page has painted (median of 5).

A step that runs past ``--timeout`` seconds or whose process tree passes ``--max-gb`` is stopped
and reported as such (the 10M GUI once grew to 13 GB): the table still prints.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._scale_data import scale_project  # noqa: E402

MODEL = """
import json, statistics, sys, time
t0 = time.perf_counter()
import numpy as np, shapely
from planner.model import moves
from planner.model.plan import Plan
from planner.model.store import Project
from planner.model.atoms import load_atoms
imported = time.perf_counter() - t0
project = Project.open(sys.argv[1])
if sys.argv[2] == "first":  # as after an import: no cache of the atom arrays
    from sqlalchemy import delete
    from planner.model.schema import AtomCache
    with project.transaction() as s:
        s.execute(delete(AtomCache).where(AtomCache.name.like("atoms/%")))
project.close()
t1, cpu = time.perf_counter(), time.process_time()
project = Project.open(sys.argv[1])
plan = Plan.load(project, atoms=load_atoms(project, keep_cache=True))  # as the window does
plan.rows()
opened, opened_cpu = time.perf_counter() - t1, time.process_time() - cpu
if sys.argv[2] == "first":  # derived from the tables and the cache written: no edits timed
    print(json.dumps({"open": opened, "open_cpu": opened_cpu}))
    sys.exit(0)
a = plan.atoms
enter, enter_cpu = [], []
for k in range(10):
    u = (k * 7919) % a.n_units
    x, y = a.unit_rep_lon[u], a.unit_rep_lat[u]
    to = (int(plan.alignment[u]) + 1) % a.n_territories
    t, c = time.perf_counter(), time.process_time()
    ms = moves.for_polygon(plan, shapely.box(x - 0.15, y - 0.1, x + 0.15, y + 0.1), to)
    plan.preview(ms)
    plan.apply(ms)
    enter.append(time.perf_counter() - t)
    enter_cpu.append(time.process_time() - c)
print(json.dumps({"imports": imported, "open": opened, "open_cpu": opened_cpu,
                  "enter": statistics.median(enter), "enter_cpu": statistics.median(enter_cpu),
                  "units": int(a.n_units), "accounts": int(a.n_accounts)}))
"""

GUI = """
import json, os, statistics, sys, time
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
sys.path.insert(0, sys.argv[2])
from PySide6.QtCore import QEventLoop, QTimer
from benchmarks.workspace import js_roundtrip, start_window, wait
app, w = start_window()
t0 = time.perf_counter()
w.open_project(sys.argv[1])
wait(w.map_rendered, 3_600_000)
opened = time.perf_counter() - t0
print(json.dumps({"open": opened}), flush=True)
plan, a = w.plan, w.plan.atoms
painted = []
for k in range(5):
    u = (k * 7919) % a.n_units
    x, y = a.unit_rep_lon[u], a.unit_rep_lat[u]
    ring = [[x - .15, y - .1], [x + .15, y - .1], [x + .15, y + .1], [x - .15, y + .1],
            [x - .15, y - .1]]
    w.territory_combo.setCurrentIndex((int(plan.alignment[u]) + 1) % a.n_territories)
    w.map_view.bridge.receive(json.dumps({"kind": "lasso",
                                          "geometry": {"type": "Polygon", "coordinates": [ring]}}))
    app.processEvents()
    if w.workspace.pending is None:
        continue
    t = time.perf_counter()
    w.workspace.apply_pending()
    app.processEvents()
    js_roundtrip(w.map_view)
    loop = QEventLoop()
    w.map_view.bridge.rendered.connect(loop.quit)
    w.map_view.call("notifyPainted", "edit")
    QTimer.singleShot(60_000, loop.quit)
    loop.exec()
    painted.append(time.perf_counter() - t)
print(json.dumps({"open": opened, "enter": statistics.median(painted) if painted else None}))
os._exit(0)
"""


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (Chromium's processes included)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            rss = (ln for ln in status.splitlines() if ln.startswith("VmRSS"))
            total += int(next(rss).split()[1])
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration):
            continue
    return total * 1024


def run_child(code: str, args: list[str], timeout: float, max_gb: float) -> dict[str, Any]:
    """Run ``code`` in a child, sampling its process tree; its last JSON line, plus ``peak_gb``
    and ``stopped`` (why it was ended early, if it was)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        start_new_session=True,  # its own process group: ended with everything it started
    )
    peak, start, stopped = 0, time.monotonic(), None
    while proc.poll() is None:
        peak = max(peak, tree_rss(proc.pid))
        elapsed = time.monotonic() - start
        if peak > max_gb * 1024**3 or elapsed > timeout:
            stopped = f"stopped at {peak / 1024**3:.1f} GB after {elapsed:.0f} s"
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            break
        time.sleep(0.2)
    out = proc.communicate()[0] if stopped is None else (proc.stdout.read() if proc.stdout else "")
    lines = [ln for ln in out.splitlines() if ln.startswith("{")]
    result: dict[str, Any] = json.loads(lines[-1]) if lines else {}
    result.update(peak_gb=peak / 1024**3, stopped=stopped)
    return result


def measure(n: int, timeout: float, max_gb: float, gui: bool) -> dict[str, Any]:
    path = scale_project(n)
    row: dict[str, Any] = {"accounts": n}
    row["import"] = json.loads(path.with_suffix(".import.json").read_text())
    row["first"] = run_child(MODEL, [str(path), "first"], timeout, max_gb)
    row["model"] = run_child(MODEL, [str(path), "cached"], timeout, max_gb)
    if gui:
        row["gui"] = run_child(GUI, [str(path), str(ROOT)], timeout, max_gb)
    return row


def _s(value: float | None, unit: str = "s") -> str:
    if value is None:
        return "—"
    return f"{value * 1000:.0f} ms" if unit == "ms" else f"{value:.1f} s"


def _gui_enter(g: dict[str, Any]) -> str:
    if not g:
        return "—"
    if g.get("enter") is None and "open" in g and g.get("stopped"):
        return str(g["stopped"])
    return _s(g.get("enter"), "ms")


def _open(m: dict[str, Any]) -> str:
    if not m:
        return "not run"
    if m.get("stopped"):
        return str(m["stopped"])
    cpu = m.get("open_cpu")
    return _s(m.get("open")) + (f" ({cpu:.1f} s CPU)" if cpu is not None else "")


def table(rows: list[dict[str, Any]]) -> str:
    """The README's table; the GUI columns only when the GUI was measured."""
    gui = any("gui" in r for r in rows)
    head = [
        "units / accounts", "import (planner import-accounts)", "import peak RSS",
        "first open after the import (model; writes the cache)", "its peak RSS",
        "open -> totals (model, cached)", "Enter model path", "model peak RSS",
    ]  # fmt: skip
    if gui:
        head += ["GUI open -> map interactive", "GUI Enter -> painted", "GUI peak RSS"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        f, m, g, imp = r.get("first", {}), r["model"], r.get("gui", {}), r["import"]
        cells = [
            f"{m.get('units', 0):,} / {r['accounts']:,}",
            f"{imp['seconds']:.0f} s ({imp.get('cpu_seconds', 0):.0f} s CPU; "
            f"{imp['csv_gb']:.2f} GB CSV)",
            f"{imp['peak_rss_gb']:.2f} GB",
            _open(f),
            f"{f.get('peak_gb', 0):.1f} GB",
            _open(m),
            _s(m.get("enter"), "ms")
            + (f" ({m['enter_cpu'] * 1000:.0f} ms CPU)" if m.get("enter_cpu") is not None else ""),
            f"{m['peak_gb']:.1f} GB",
        ]
        if gui:
            cells += [
                (_s(g["open"]) if "open" in g else str(g.get("stopped"))) if g else "not run",
                _gui_enter(g),
                f"{g['peak_gb']:.1f} GB" if g else "—",
            ]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1M accounts only")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 3_000_000, 10_000_000])
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per step")
    parser.add_argument("--max-gb", type=float, default=12.0, help="memory per step")
    parser.add_argument("--no-gui", action="store_true", help="model and import columns only")
    args = parser.parse_args()
    sizes = [1_000_000] if args.quick else args.sizes
    rows = []
    for n in sizes:
        rows.append(measure(n, args.timeout, args.max_gb, not args.no_gui))
        print(table(rows[-1:]).splitlines()[-1], flush=True)
    print(table(rows))


if __name__ == "__main__":
    main()
