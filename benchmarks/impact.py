"""Impact of a scenario moving ~10,000 of 1,000,000 accounts: target under 1 s.

Builds (once, cached next to ``--out``) a grid project with ``--accounts`` accounts spread over
``nx x ny`` units (``--free-form``: no units, one assignment row per account), 50 territories
with reps, open opportunities for every fifth account, then a scenario that moves whole units
(free-form: single accounts) from one territory to its neighbour until ~``--moved`` accounts
changed owner. Rows are written with plain ``executemany`` in one transaction.

Timed: ``impact(project, scenario, atoms=atoms)`` (atoms already loaded; reads both alignments
and the moved accounts' opportunities), the same with ``held=held_by(plan)`` as the window calls
it (the open plan's in-memory alignments: in a free-form project nothing is read but the moved
accounts' opportunities), ``compare()`` on in-memory vectors, ``to_json()``, and the XLSX
report. ``load_atoms`` is shown separately: it is paid once
per session, not per impact. Run: ``python benchmarks/impact.py [--accounts N] [--free-form]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from planner.model.atoms import load_alignment, load_atoms
from planner.model.impact import compare, held_by, impact
from planner.model.io.impact_report import write_xlsx
from planner.model.plan import Plan
from planner.model.scenarios import create_scenario, scenario_id
from planner.model.store import Project
from planner.model.territories import add_to_scenarios

TERRITORIES = 50


def _insert(conn: Any, table: str, cols: str, rows: Iterable[tuple]) -> None:
    names = cols.split()
    sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    conn.exec_driver_sql(sql, list(rows) if not isinstance(rows, list) else rows)


def build(path: Path, n: int, nx: int, ny: int, free_form: bool, seed: int = 0) -> Project:
    rng = np.random.default_rng(seed)
    project = Project.create(path, name="impact benchmark", overwrite=True)
    base = project.baseline_id()
    n_units = nx * ny
    col_terr = np.minimum(np.arange(nx) * TERRITORIES // nx, TERRITORIES - 1)
    with project.transaction() as s:
        conn = s.connection()
        conn.exec_driver_sql("PRAGMA cache_size=-262144")
        _insert(conn, "rep", "id name email home_lon home_lat home_label capacity_hours skills "
                "industries manager_id",
                [(t + 1, f"Rep {t + 1}", "", -100.0 + (t + 0.5) * nx * 0.5 / TERRITORIES, 40.0,
                  "", 40.0, "[]", "[]", None) for t in range(TERRITORIES)])  # fmt: skip
        _insert(conn, "territory", "id name colour level rep_id parent_id target_weight locked",
                [(t + 1, f"T{t + 1:02d}", "#888888", "territory", t + 1, None, 1.0, 0)
                 for t in range(TERRITORIES)])  # fmt: skip
        add_to_scenarios(s, range(1, TERRITORIES + 1))  # the baseline's own territory rows
        ux, uy = np.divmod(np.arange(n_units), ny)
        if not free_form:
            boxes = shapely.box(-100 + ux * 0.5, 35 + uy * 0.5, -99.5 + ux * 0.5, 35.5 + uy * 0.5)
            wkb = shapely.to_wkb(boxes)
            _insert(conn, "unit", "id code name geometry rep_lon rep_lat area_km2 population "
                    "attributes",
                    [(u + 1, f"U{u}", f"Unit {u}", wkb[u], -99.75 + ux[u] * 0.5,
                      35.25 + uy[u] * 0.5, 2500.0, 1000.0, "{}")
                     for u in range(n_units)])  # fmt: skip
        unit = rng.integers(0, n_units, n)
        lon = -100 + ux[unit] * 0.5 + rng.uniform(0, 0.5, n)
        lat = 35 + uy[unit] * 0.5 + rng.uniform(0, 0.5, n)
        pot = np.round(rng.lognormal(11, 0.8, n), 2)
        rev = np.round(pot * rng.uniform(0, 0.6, n), 2)
        visits = rng.integers(2, 24, n).astype(float)
        ids = np.arange(1, n + 1)
        _insert(conn, "account", "id external_id name address city state postal_code country "
                "lon lat location_source unit_id industry segment status potential revenue "
                "visits_per_year minutes_per_visit owner notes",
                [(int(i), f"A{i:07d}", f"Account {i}", "", "", "", "", "US", float(x), float(y),
                  "exact", None if free_form else int(u) + 1, "", "", "customer", float(p),
                  float(r), float(v), 45.0, "", "")
                 for i, x, y, u, p, r, v in zip(ids, lon, lat, unit, pot, rev, visits,
                                                strict=True)])  # fmt: skip
        opp = ids[::5]
        _insert(conn, "opportunity", "account_id name stage amount next_step is_open",
                [(int(a), "Deal", "Proposal", 10000.0, "", 1) for a in opp])  # fmt: skip
        if free_form:
            terr = col_terr[ux[unit]] + 1
            _insert(
                conn,
                "assignment",
                "scenario_id atom_kind atom_id territory_id",
                [(base, "account", int(i), int(t)) for i, t in zip(ids, terr, strict=True)],
            )
        else:
            _insert(
                conn,
                "assignment",
                "scenario_id atom_kind atom_id territory_id",
                [(base, "unit", u + 1, int(col_terr[ux[u]]) + 1) for u in range(n_units)],
            )
    return project


def move(project: Project, target: int, free_form: bool) -> int:
    """Scenario 'Moved': atoms of the first territories go to the next one until ~target."""
    sid = create_scenario(project, "Moved")
    with project.transaction() as s:
        conn = s.connection()
        kind = "account" if free_form else "unit"
        count = "1" if free_form else "(SELECT COUNT(*) FROM account a WHERE a.unit_id = x.atom_id)"
        rows = conn.exec_driver_sql(
            f"SELECT atom_id, territory_id, {count} FROM assignment x "
            f"WHERE scenario_id = {sid} AND atom_kind = '{kind}' ORDER BY atom_id"
        ).all()
        total, upd = 0, []
        for atom_id, terr, n in rows:
            if total >= target:
                break
            upd.append((terr % TERRITORIES + 1, sid, kind, atom_id))
            total += n
        conn.exec_driver_sql(
            "UPDATE assignment SET territory_id = ? "
            "WHERE scenario_id = ? AND atom_kind = ? AND atom_id = ?",
            upd,
        )
    return total


def timed(label: str, fn: Callable[[], Any], rows: list[tuple[str, float, float]],
          repeat: int = 3) -> Any:  # fmt: skip
    """Best of ``repeat`` wall and CPU seconds (the CPU figure is the steadier on a shared
    machine)."""
    best, cpu, out = float("inf"), float("inf"), None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        best = min(best, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
    rows.append((label, best, cpu))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=1_000_000)
    ap.add_argument("--moved", type=int, default=10_000)
    ap.add_argument("--nx", type=int, default=60)
    ap.add_argument("--ny", type=int, default=50)
    ap.add_argument("--free-form", action="store_true")
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()))
    args = ap.parse_args()
    kind = "free" if args.free_form else "units"
    path = args.out / f"impact-bench-{kind}-{args.accounts}.tplan"
    rows: list[tuple[str, float, float]] = []
    if path.exists():
        project = Project.open(path)
        moved = -1
    else:
        t0 = time.perf_counter()
        project = build(path, args.accounts, args.nx, args.ny, args.free_form)
        rows.append(("build project (once)", time.perf_counter() - t0, float("nan")))
        t0 = time.perf_counter()
        moved = move(project, args.moved, args.free_form)
        rows.append(("create scenario (copy) + move", time.perf_counter() - t0, float("nan")))
    atoms = timed("load_atoms (once per session)", lambda: load_atoms(project), rows, 1)
    imp = timed("impact(project, 'Moved', atoms=atoms)",
                lambda: impact(project, "Moved", atoms=atoms), rows)  # fmt: skip
    plan = Plan.load(project, "Moved", atoms=atoms)  # the open plan holds both alignments
    held = held_by(plan)
    fast = timed("impact(..., held=held_by(plan)) (window)",
                 lambda: impact(project, "Moved", atoms=atoms, held=held), rows)  # fmt: skip
    assert fast.summary == imp.summary
    before = load_alignment(project, atoms, project.baseline_id())
    after = load_alignment(project, atoms, scenario_id(project, "Moved"))
    timed("compare(in-memory vectors)", lambda: compare(atoms, before, after), rows)
    timed("Impact.to_json()", imp.to_json, rows)
    timed("write_xlsx", lambda: write_xlsx(imp, args.out / "impact-bench.xlsx"), rows, 1)
    timed("create_scenario (INSERT ... SELECT copy)",
          lambda: create_scenario(project, f"Copy {time.perf_counter()}"), rows, 1)  # fmt: skip
    project.close()
    print(
        f"{kind} project: {atoms.n_accounts:,} accounts, {atoms.n_units:,} units, "
        f"{imp.summary.accounts_moved:,} accounts moved ({moved if moved >= 0 else 'cached'})"
    )
    print(f"{'step':<44}{'seconds':>10}{'CPU s':>10}")
    for label, sec, cpu in rows:
        print(f"{label:<44}{sec:>10.3f}{cpu:>10.3f}")


if __name__ == "__main__":
    main()
