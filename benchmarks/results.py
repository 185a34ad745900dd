"""Results over 1,000,000 accounts and 5,000,000 bookings in 50 territories: target < 1 s;
alerts after an edit: target < 100 ms.

Builds (once, cached next to ``--out``) the impact benchmark's project (benchmarks/impact.py:
50 territories with reps over a grid of units, open opportunities for every fifth account)
plus ``--bookings`` bookings spread over two fiscal years with a seasonal pattern, 500,000
visits and a quota for every territory (so attainment, pacing and coverage are real work).

Timed: building the results (per-account columns for the year and their sums per territory
from the facts already read: what a new as-of date or fiscal year costs), the rows of every
level, and after one edit (a unit moved to the next territory) the refresh of the sums plus
the evaluation of every alert rule. Reading the facts from the project is shown separately: it
is paid once per session. Run: ``python benchmarks/results.py [--accounts N] [--bookings M]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.impact import _insert, build, timed
from planner.model import moves
from planner.model.alerts import AlertEngine
from planner.model.plan import Plan
from planner.model.results import Results
from planner.model.results_data import read_facts
from planner.model.store import Project
from planner.model.territories import add_to_scenarios

AS_OF = dt.date(2026, 8, 15)
SEASON = np.array([0.6, 0.7, 1.0, 0.9, 0.9, 1.1, 0.8, 0.7, 1.0, 1.1, 1.2, 1.6])


def add_results_data(project: Project, bookings: int, seed: int = 1) -> None:
    """Bookings (two years, seasonal), visits and a quota per territory, with executemany."""
    rng = np.random.default_rng(seed)
    with project.session() as s:
        n = int(s.connection().exec_driver_sql("SELECT COUNT(*) FROM account").scalar() or 0)
        base = project.baseline_id()
    start = dt.date(2025, 1, 1).toordinal()
    p = np.tile(SEASON / SEASON.sum(), 2) / 2
    month = rng.choice(24, size=bookings, p=p)
    day = np.array([dt.date(2025 + m // 12, m % 12 + 1, 1).toordinal() for m in range(24)])
    days = day[month] + rng.integers(0, 28, bookings)
    acc = rng.integers(1, n + 1, bookings)
    cents = np.round(rng.lognormal(8, 1, bookings) * 100).astype(np.int64)
    with project.transaction() as s:
        conn = s.connection()
        conn.exec_driver_sql("PRAGMA cache_size=-262144")
        # the impact benchmark's territories exist in the territory table only
        add_to_scenarios(s, range(1, 51))
        chunk = 500_000
        iso = {int(d): dt.date.fromordinal(int(d)) for d in np.unique(days)}
        for i in range(0, bookings, chunk):
            part = zip(range(i, i + chunk), acc[i : i + chunk], days[i : i + chunk],
                       cents[i : i + chunk], strict=False)  # fmt: skip
            rows = [(f"b{j}", int(a), iso[int(d)].isoformat(),
                     iso[int(d)].year * 100 + iso[int(d)].month, int(c), "")
                    for j, a, d, c in part]  # fmt: skip
            _insert(conn, "actual", "booking_key account_id booked_on period amount product", rows)
        visits = rng.integers(1, n + 1, 500_000)
        vday = start + 365 + rng.integers(0, 225, 500_000)
        _insert(conn, "activity", "account_id type date summary by",
                [(int(a), "Visit", dt.date.fromordinal(int(d)).isoformat(), "", "")
                 for a, d in zip(visits, vday, strict=True)])  # fmt: skip
        yearly = cents.sum() / 2 / 50 * 1.05
        _insert(conn, "quota_plan", "scenario_id fiscal_year settings",
                [(base, 2026, '{"start_month": 1}')])  # fmt: skip
        _insert(conn, "quota", "scenario_id fiscal_year node_id month amount commitment "
                "adjusted note",
                [(base, 2026, t, m + 1, int(yearly * SEASON[m] / SEASON.sum()
                                         * (0.8 if t % 7 == 0 else 1.0)), None, 0, "")
                 for t in range(1, 51) for m in range(12)])  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=1_000_000)
    ap.add_argument("--bookings", type=int, default=5_000_000)
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()))
    args = ap.parse_args()
    path = args.out / f"results-bench-{args.accounts}-{args.bookings}.tplan"
    rows: list[tuple[str, float]] = []
    if path.exists():
        project = Project.open(path)
    else:
        t0 = time.perf_counter()
        project = build(path, args.accounts, 60, 50, False)
        add_results_data(project, args.bookings)
        rows.append(("build project (once)", time.perf_counter() - t0))
    plan = timed("Plan.load (once per session)", lambda: Plan.load(project), rows, 1)
    facts = timed("read_facts (once per session)", lambda: read_facts(project, plan.atoms),
                  rows, 1)  # fmt: skip
    res = timed("Results(...) columns + sums", lambda: Results.of_plan(
        plan, as_of=AS_OF, facts=facts), rows)  # fmt: skip
    timed("rows('territory')", lambda: res.rows("territory"), rows)
    timed("rows('rep') + rows('plan')", lambda: (res.rows("rep"), res.rows("plan")), rows)
    engine = timed("AlertEngine (once per rule set)", lambda: AlertEngine(res, plan), rows, 1)
    alerts = timed("alerts.evaluate", lambda: engine.evaluate(res, plan), rows)
    worst, moved = 0.0, 0
    for k in range(3):  # three edits, each a unit of territory k to territory k + 1
        units = np.flatnonzero(plan.alignment[: plan.atoms.n_units] == k)[:1]
        plan.apply(moves.for_units(plan, units, k + 1))
        moved = max(moved, int(np.isin(plan.atoms.account_unit, units).sum()))
        t0 = time.perf_counter()
        res.refresh(plan.atoms, plan.alignment)
        engine.evaluate(res, plan)
        worst = max(worst, time.perf_counter() - t0)
    rows.append(("after an edit: refresh + alerts (worst of 3)", worst))
    project.close()
    print(f"{plan.atoms.n_accounts:,} accounts, {len(facts.book_account):,} bookings, "
          f"{plan.atoms.n_territories} territories; an edit moved up to {moved:,} accounts; "
          f"{alerts.total:,} alerts")  # fmt: skip
    print(f"{'step':<44}{'seconds':>10}")
    for label, sec in rows:
        print(f"{label:<44}{sec:>10.3f}")


if __name__ == "__main__":
    main()
