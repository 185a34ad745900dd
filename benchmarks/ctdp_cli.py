"""The CTDP benchmark's CLI path: one instance solved with the ``planner`` command only.

Exactly what a user would type (issue 15's CLI contract): a new project, the units imported as
points with their three activities as columns, the instance graph imported as the given
adjacency, ``optimize --from-scratch p --metrics w1:t1,w2:t2,w3:t3 --compactness dispersion``
and the result exported one row per unit. When ``export --level units`` is not available yet
the unit alignment is read from the project file instead (said once on stderr).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from benchmarks.ctdp import Instance

_WARNED: list[bool] = []
#: JSON of the last ``optimize`` run (the benchmark prints its timing).
LAST: dict[str, object] = {}


def planner(*args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "planner", *args], capture_output=True,
                          text=True, check=False)  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"planner {' '.join(args[:2])} failed: {proc.stderr.strip()}")
    return proc.stdout


def solve_cli(inst: Instance, seed: int, time_limit: float) -> NDArray[np.int64]:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        units, edges, proj = d / "units.csv", d / "edges.csv", str(d / "P.tplan")
        with units.open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id", "x", "y", "w1", "w2", "w3"])
            for i, ((x, y), ws) in enumerate(zip(inst.xy, inst.w, strict=True)):
                w.writerow([i, repr(float(x)), repr(float(y)), *(repr(float(v)) for v in ws)])
        with edges.open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["a", "b"])
            w.writerows(inst.edges.tolist())
        planner("new", proj)
        planner("import-units", proj, str(units), "--x", "x", "--y", "y", "--crs", "EPSG:3857",
                "--code-field", "id")  # fmt: skip
        planner("import-adjacency", proj, str(edges))
        metrics = ",".join(f"w{j + 1}:{t:g}" for j, t in enumerate(inst.tol))
        out = planner("optimize", proj, "--from-scratch", str(inst.p), "--out-scenario", "S",
                      "--metrics", metrics, "--compactness", "dispersion", "--time-limit",
                      str(time_limit), "--seed", str(seed), "--json")  # fmt: skip
        LAST.clear()
        LAST.update(json.loads(out))
        return _labels(proj, d, len(inst.xy))


def _labels(proj: str, d: Path, n: int) -> NDArray[np.int64]:
    out = d / "units_out.csv"
    try:
        planner("export", proj, "--scenario", "S", "--level", "units", "--format", "csv",
                str(out))  # fmt: skip
        with out.open(newline="", encoding="utf-8-sig") as f:  # the export's BOM (Excel)
            rows = list(csv.DictReader(f))
        names = {r["territory"] for r in rows}
        index = {t: i for i, t in enumerate(sorted(names))}
        labels = np.full(n, -1, dtype=np.int64)
        for r in rows:
            labels[int(r["unit_code"])] = index[r["territory"]]
        return labels
    except RuntimeError:
        if not _WARNED:
            print("note: export --level units is not available here; the unit alignment is "
                  "read from the project file", file=sys.stderr)  # fmt: skip
            _WARNED.append(True)
    from planner.model.plan import Plan
    from planner.model.store import Project

    p = Project.open(proj)
    try:
        plan = Plan.load(p, "S")
        codes = [int(c) for c in plan.atoms.unit_codes]
        labels = np.full(n, -1, dtype=np.int64)
        labels[codes] = plan.alignment[: plan.atoms.n_units]
        return labels
    finally:
        p.close()
