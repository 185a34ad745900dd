"""Handover packets for >= 1,000 moved accounts: generation and PDF, target under 10 s.

Uses the cached demo (``build/bench-southeast-N.tplan``, see ``_projects.py``; 20,000 accounts
by default) copied to a temporary folder, makes a scenario that moves one county of each
territory to the next territory until at least ``--moved`` accounts change owner, then times
:func:`generate_packets` (impact diff, batched reads of accounts/contacts/opportunities/
activities, one transaction writing the checklists) and :func:`packets_to_pdf` (one page per
account). Run: ``python benchmarks/handover.py [--accounts N] [--moved M]``.

``--sample DIR`` instead writes the committed samples ``DIR/sample-handover.pdf`` and
``DIR/sample-handover-page1.png``: a 3,000-account demo where counties holding a Chinese, a
Japanese and a ``<script>`` account name move, a handful of accounts per packet.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._projects import demo_project
from planner.model import moves
from planner.model.atoms import account_territories
from planner.model.demo import create_demo
from planner.model.handover import generate_packets
from planner.model.plan import Plan
from planner.model.scenarios import create_scenario
from planner.model.store import Project
from planner.ui.handover_print import packets_to_pdf

EFFECTIVE = dt.date(2026, 12, 1)
CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def move_until(plan: Plan, target: int) -> int:
    """Move counties to the next territory (round r: the r-th last county of each territory,
    chosen on the baseline so none moves twice) until ``target`` accounts change owner; applied
    as one MoveSet. Returns the number of accounts moved."""
    a = plan.atoms
    k, n = a.n_territories, a.n_units
    base = account_territories(a, plan.baseline)
    start = plan.alignment[:n].copy()
    new = start.copy()
    moved, r = 0, 1
    trial = plan.alignment.copy()
    while moved < target:
        for t in range(k):
            own = np.flatnonzero(start == t)
            if len(own) > r and moved < target:
                new[own[-r]] = (t + 1) % k
                trial[:n] = new
                moved = int((account_territories(a, trial) != base).sum())
        r += 1
    units = np.flatnonzero(new != start)
    plan.apply(moves.MoveSet(units, start[units], new[units], "paint", "handover benchmark"))
    return moved


def benchmark(accounts: int, target: int) -> None:
    src = demo_project(accounts=accounts)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "handover.tplan"
        shutil.copy(src, path)
        with Project.open(path) as project:
            create_scenario(project, "Handover bench")
            plan = Plan.load(project, "Handover bench")
            moved = move_until(plan, target)
            t0 = time.perf_counter()
            packets = generate_packets(project, "Handover bench", effective_date=EFFECTIVE)
            t_gen = time.perf_counter() - t0
            n = sum(p.n_accounts for p in packets)
            t0 = time.perf_counter()
            out = packets_to_pdf(packets, Path(tmp) / "handover.pdf")
            t_pdf = time.perf_counter() - t0
            size = out.stat().st_size / 1e6
    print(f"demo {accounts:,} accounts; {moved:,} moved -> {len(packets)} packets, {n:,} accounts")
    print(f"generate_packets (diff, reads, checklist write): {t_gen:6.2f} s")
    print(f"packets_to_pdf ({n + len(packets):,}+ pages, {size:.1f} MB): {t_pdf:6.2f} s")
    total = t_gen + t_pdf
    print(f"total {total:.2f} s (target < 10 s): {'OK' if total < 10 else 'SLOW'}")


def sample(folder: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = create_demo(Path(tmp) / "sample.tplan", accounts=3000, seed=0)
        create_scenario(project, "Sample")
        plan = Plan.load(project, "Sample")
        a = plan.atoms
        names = [str(n) for n in a.account_names]
        units = plan.alignment[: a.n_units]
        picks = [next(i for i, n in enumerate(names) if CJK.search(n) and a.account_unit[i] >= 0)]
        picks += [
            next(i for i, n in enumerate(names) if "<script>" in n and a.account_unit[i] >= 0)
        ]
        chosen = []
        for i in picks:
            u = int(a.account_unit[i])
            plan.apply(moves.for_units(plan, np.array([u]), (int(units[u]) + 1) % a.n_territories))
            same = np.flatnonzero(a.account_unit == u)
            order = same[np.argsort(-a.account_matrix[same, 1])]
            chosen += [str(a.account_ext_ids[j]) for j in {i, *order[:3].tolist()}]
        packets = generate_packets(
            project, "Sample", effective_date=EFFECTIVE, account_ids=chosen, persist=False
        )
        project.close()
    folder.mkdir(parents=True, exist_ok=True)
    pdf = packets_to_pdf(packets, folder / "sample-handover.pdf")
    png = folder / "sample-handover-page1"
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
                    str(pdf), str(png)], check=True)  # fmt: skip
    print(f"wrote {pdf} and {png}.png: {[p.title for p in packets]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=20_000)
    ap.add_argument("--moved", type=int, default=1000)
    ap.add_argument("--sample", type=Path, help="write the docs/ samples into this folder")
    args = ap.parse_args()
    if args.sample:
        sample(args.sample)
    else:
        benchmark(args.accounts, args.moved)


if __name__ == "__main__":
    main()
