"""Balance engine figures (issue "Foundation" 8b-d). Prints a table; README records it.

    python benchmarks/balance.py            # 1M accounts / ~3,100 units / 50 territories + demo

(b) full recompute of totals; (c) delta update for moving 1 unit and 100 units (apply + revert,
median); (d) open the 100k-account demo and have balance totals ready (Project.open + Plan.load,
in a fresh process so no cache helps; interpreter start and imports reported separately).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
from benchmarks._projects import demo_project, open_project
from planner.model.plan import Plan

OPEN_SCRIPT = """
import time, sys
t0 = time.perf_counter()
from planner.model.plan import Plan
from planner.model.store import Project
t1 = time.perf_counter()
plan = Plan.load(Project.open(sys.argv[1]))
rows = plan.rows()
t2 = time.perf_counter()
print(f"{t1 - t0:.3f} {t2 - t1:.3f}")
"""


def timeit(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    big = demo_project(1_000_000, "lower48")
    plan = Plan.load(open_project(big))
    a = plan.atoms
    print(f"benchmark set: {a.n_accounts:,} accounts, {a.n_units:,} units, "
          f"{a.n_territories} territories")  # fmt: skip
    rows = [("(b) full recompute of totals", timeit(plan.balance.recompute, 7))]
    rng = np.random.default_rng(1)
    bal = plan.balance
    for n in (1, 100):

        def move(n: int = n) -> None:
            units = rng.choice(a.n_units, size=n, replace=False)
            before = plan.alignment[units].copy()
            to = np.full(n, (int(before[0]) + 1) % a.n_territories, dtype=np.int32)
            bal.apply(units, to)
            bal.apply(units, before)

        rows.append((f"(c) delta update, move {n} unit(s) (apply; half of apply+revert)",
                     timeit(move, 201) / 2))  # fmt: skip
    np.testing.assert_allclose(bal.totals, bal.recompute(), rtol=1e-9)
    demo = demo_project(100_000, "southeast")
    opens = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", OPEN_SCRIPT, str(demo)], capture_output=True,
                             text=True, check=True).stdout.split()  # fmt: skip
        opens.append((float(out[0]), float(out[1])))
    rows.append(
        ("(d) open 100k-account demo -> balance ready", statistics.median(o[1] for o in opens))
    )
    rows.append(
        ("    (imports before that, once per process)", statistics.median(o[0] for o in opens))
    )
    print("| measure | time |\n|---|---|")
    for name, sec in rows:
        shown = f"{sec * 1000:.3f} ms" if sec < 0.1 else f"{sec:.2f} s"
        print(f"| {name} | {shown} |")


if __name__ == "__main__":
    main()
