"""Auto-balance on the demo: reps with home bases, workload with travel (what users run).

``benchmarks/optimize.py`` compares with peers on county totals without reps; here the project
is the demo (south-eastern counties, 40 reps with home bases, workload = visits x (call time +
travel from the rep's home)), copied to a temporary folder. For each seed: from scratch with
the project's K territories, and improving the existing plan (no budget, and a 15 % budget).
Prints time, mean and max |deviation| of potential and workload, and disruption.

Run: ``python benchmarks/optimize_demo.py [--accounts 100000] [--seeds 0 1 2]``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._projects import demo_project
from planner.model.measures import plan_measures
from planner.model.optimize import OptimizeOptions, optimize
from planner.model.optimize.project import save_as_scenario
from planner.model.plan import Plan
from planner.model.progress import run_to_end
from planner.model.store import Project

METRICS = ("potential", "workload_hours")


def run(source: Path, label: str, seed: int, **kw: object) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.tplan"
        shutil.copy(source, path)
        project = Project.open(path)
        try:
            plan = Plan.load(project)
            t = time.perf_counter()
            result = run_to_end(optimize(plan, OptimizeOptions(seed=seed, **kw)))  # type: ignore[arg-type]
            seconds = time.perf_counter() - t
            saved = save_as_scenario(project, result, "bench")
            s = plan_measures(saved, reference=plan.alignment)
        finally:
            project.close()
    mean, worst = s["mean_abs_deviation"], s["max_abs_deviation"]
    return (
        f"| {label} | {seed} | {seconds:.1f} | "
        + " | ".join(f"{mean[m]:.1%} | {worst[m]:.0%}" for m in METRICS)
        + f" | {s['disruption']['accounts']:.0%} | {s['mean_polsby_popper']:.3f} |"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=100_000)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = ap.parse_args()
    source = demo_project(args.accounts)
    with Project.open(source) as project:
        plan = Plan.load(project)
        k = plan.atoms.n_territories
        s = plan.summary()
    print(f"demo: {plan.atoms.n_units} counties, {k} territories, {args.accounts} accounts")
    print("| run | seed | s | mean potential | max potential | mean workload | max workload "
          "| disruption | Polsby-Popper |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    mean, worst = s["mean_abs_deviation"], s["max_abs_deviation"]
    cells = " | ".join(f"{mean[m]:.1%} | {worst[m]:.0%}" for m in METRICS)
    print(f"| starting plan | | | {cells} | 0% | |")
    for seed in args.seeds:
        print(run(source, f"from scratch, K = {k}", seed, from_scratch=k), flush=True)
        print(run(source, "existing plan", seed), flush=True)
        print(run(source, "existing plan, 15 % budget", seed, max_disruption=0.15), flush=True)


if __name__ == "__main__":
    main()
