"""Quota figures (issue 16). Prints a table; README records it.

    python benchmarks/quota.py [--accounts 1000000]

(a) top-down allocation of a total over every territory x 12 months (50 territories in the
1M-account lower-48 benchmark project): building the Edit (engine) and applying it (write +
log); (b) an edit moving 100 units with quota following the accounts: the in-memory path that
updates the balance and quota columns (Plan.preview = apply in memory + derive the quota moves
+ put back) and the whole apply (write, log, memory), median of several.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._projects import BUILD, demo_project
from planner.model.moves import MoveSet
from planner.model.plan import Plan
from planner.model.quota.ops import allocate_edit
from planner.model.store import Project


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    src = demo_project(args.accounts, "lower48" if args.accounts >= 1_000_000 else "southeast")
    work = BUILD / f"quota-{src.name}"
    shutil.copyfile(src, work)  # allocations are written: never into the shared project
    project = Project.open(work)
    t0 = time.perf_counter()
    plan = Plan.load(project)
    print(f"project: {work.name}, {plan.atoms.n_territories} territories, "
          f"{plan.atoms.n_units:,} units, {plan.atoms.n_accounts:,} accounts "
          f"(loaded in {time.perf_counter() - t0:.2f} s)")  # fmt: skip
    revenue = sum(r["revenue"] for r in plan.rows())
    total = round(revenue * 1.15 * 100)
    engine, applied = [], []
    for _ in range(3):
        t0 = time.perf_counter()
        edit, _ = allocate_edit(plan, 2031, total, basis="potential:0.5,revenue:0.5",
                                min_growth=0.0, max_growth=0.6)  # fmt: skip
        t1 = time.perf_counter()
        plan.apply(edit)
        t2 = time.perf_counter()
        engine.append(t1 - t0)
        applied.append(t2 - t1)
        total += 100_000_00
    e, w = statistics.median(engine) * 1000, statistics.median(applied) * 1000
    print(f"(a) allocate {plan.atoms.n_territories} territories x 12 months: engine {e:.0f} ms, "
          f"apply {w:.0f} ms, together {e + w:.0f} ms (target < 500 ms)")  # fmt: skip
    rng = np.random.default_rng(0)
    prev, full = [], []
    for _ in range(args.repeat):
        a, b = rng.choice(plan.atoms.n_territories, 2, replace=False)
        units = np.flatnonzero(plan.alignment[: plan.atoms.n_units] == a)[:100]
        if len(units) < 2:
            continue
        ms = MoveSet(units.astype(np.int64), plan.alignment[units].copy(),
                     np.full(len(units), b, np.int32), "paint", "bench")  # fmt: skip
        t0 = time.perf_counter()
        pv = plan.preview(ms)
        plan.rows()
        t1 = time.perf_counter()
        plan.apply(ms)
        plan.rows()
        t2 = time.perf_counter()
        assert pv.quotas, "the quota should follow the accounts"
        prev.append(t1 - t0)
        full.append(t2 - t1)
    print(f"(b) move up to 100 units ({len(prev)} runs, median): balance + quota in memory "
          f"{statistics.median(prev) * 1000:.1f} ms (target < 50 ms); whole apply with write and "
          f"log {statistics.median(full) * 1000:.1f} ms")  # fmt: skip
    project.close()
    work.unlink()


if __name__ == "__main__":
    main()
