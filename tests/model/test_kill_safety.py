"""SIGKILL in the middle of writes: imports, publishing and handover generation (issue 13).

A forked child repeats the operation in a loop, announcing each start and end through a pipe,
and is killed at a random moment. Afterwards ``PRAGMA integrity_check`` must say ok and the
operation the kill interrupted must be there entirely or not at all. Most kills land inside an
operation (counted, so the test proves it exercises what it claims). The GUI edit path has the
same test in tests/ui/test_crash_safety.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import random
import signal
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text

from planner.model import moves, scenarios
from planner.model.handover import generate_packets
from planner.model.io.accounts import import_accounts
from planner.model.io.handover_export import write_csv
from planner.model.plan import Plan
from planner.model.store import Project
from planner.model.synthetic import grid_project
from tests.clirun import integrity

KILLS = {"import": 15, "publish": 12, "handover": 12}
BATCH = 300  # accounts per import


def _kill_loop(path: Path, step: Callable[[Project, int], object], rng: random.Random,
               window: tuple[float, float]) -> tuple[int, int | None]:  # fmt: skip
    """Fork a child that runs ``step(project, k)`` for k = 0, 1, ... and kill it after a random
    delay. Returns (the number of steps completed, the step interrupted or None)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: no clean-up of any kind, ever
        os.close(read)
        try:
            project = Project.open(path)
            k = 0
            while True:
                os.write(write, f"start {k}\n".encode())
                step(project, k)
                os.write(write, f"done {k}\n".encode())
                k += 1
        finally:
            os._exit(1)
    os.close(write)
    time.sleep(rng.uniform(*window))
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    with os.fdopen(read) as fh:
        lines = fh.read().split()
    events = list(zip(lines[::2], map(int, lines[1::2]), strict=True))
    done = [k for what, k in events if what == "done"]
    started = [k for what, k in events if what == "start"]
    cut = started[-1] if started and (not done or started[-1] > done[-1]) else None
    return len(done), cut


def _kills(path: Path, step: Callable[[Project, int], object], n: int, seed: int,
           window: tuple[float, float], check: Callable[[], object]) -> None:  # fmt: skip
    """``n`` rounds of: fork a child looping ``step``, kill it, check integrity and ``check()``.
    At least half the kills must have landed inside a step."""
    rng, cut_in_middle = random.Random(seed), 0
    for _ in range(n):
        _, cut = _kill_loop(path, step, rng, window)
        cut_in_middle += cut is not None
        assert integrity(path) == "ok"
        check()
    assert cut_in_middle >= n // 2


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "k.tplan"
    grid_project(path, pins=2).close()
    return path


# -- imports -----------------------------------------------------------------------------------
def test_kills_during_imports_leave_each_import_whole_or_absent(project, tmp_path) -> None:
    def step(p: Project, k: int) -> None:  # import a new batch of BATCH accounts
        batch = f"K{_count_batches_p(p)}"
        f = tmp_path / f"{batch}.csv"
        f.write_text("id,name,lon,lat,potential\n" + "".join(
            f"{batch}_{i},{batch} account {i},{0.1 + (i % 50) * 0.1},{0.1 + (i // 50) * 0.1},{i}\n"
            for i in range(BATCH)), encoding="utf-8")  # fmt: skip
        import_accounts(p, f)

    seen = [0]

    def check() -> None:
        sizes = _batch_sizes(project)
        assert set(sizes.values()) <= {BATCH}, sizes  # every import entirely, or not at all
        assert len(sizes) >= seen[0]
        seen[0] = len(sizes)
        for report in project.parent.glob("*.import-accounts-*.json"):
            json.loads(report.read_text(encoding="utf-8"))  # reports are whole files too

    _kills(project, step, KILLS["import"], 1, (0.05, 0.5), check)


def _batch_sizes(path: Path) -> dict[str, int]:
    with Project.open(path) as p, p.session() as s:
        rows = s.execute(
            text(
                "SELECT substr(external_id, 1, instr(external_id, '_') - 1), "
                "count(*) FROM account WHERE external_id LIKE 'K%' GROUP BY 1"
            )
        )
        return {r[0]: r[1] for r in rows}  # fmt: skip


def _count_batches_p(project: Project) -> int:
    with project.session() as s:
        return int(s.scalar(text("SELECT count(DISTINCT substr(external_id, 1, "
                                 "instr(external_id, '_') - 1)) FROM account "
                                 "WHERE external_id LIKE 'K%'")))  # fmt: skip


# -- publishing --------------------------------------------------------------------------------
def _publish_step(project: Project, k: int) -> None:
    name = f"S{k}-{random.SystemRandom().randrange(10**9)}"
    scenarios.create_scenario(project, name)
    plan = Plan.load(project, name)
    unit = k % plan.atoms.n_units
    target = (int(plan.alignment[unit]) + 1) % plan.atoms.n_territories
    plan.apply(moves.for_units(plan, np.array([unit]), target))
    scenarios.publish(project, name, user="kill", effective_date=dt.date(2027, 1, 1))


def test_kills_during_publish_leave_the_baseline_consistent(project) -> None:
    def check() -> None:
        with Project.open(project) as p, p.session() as s:
            pubs = s.execute(text("SELECT scenario_id, snapshot_id FROM publication "
                                  "ORDER BY id")).all()  # fmt: skip
            baselines = s.scalar(text("SELECT count(*) FROM scenario WHERE is_baseline"))
            snaps = s.scalar(text("SELECT count(*) FROM scenario "
                                  "WHERE snapshot_of_baseline_at IS NOT NULL"))  # fmt: skip
            logged = s.scalar(text("SELECT count(*) FROM edit_log WHERE kind = 'publish'"))
            assert baselines == 1
            assert snaps == len(pubs) == logged  # a publish is all of these, or none
            if pubs:  # the baseline is exactly the last published scenario
                assert _alignment(s, p.baseline_id()) == _alignment(s, pubs[-1][0])

    _kills(project, _publish_step, KILLS["publish"], 2, (0.05, 0.5), check)


def _alignment(s: object, sid: int) -> list[tuple[object, ...]]:
    rows = s.execute(text("SELECT atom_kind, atom_id, territory_id FROM assignment "  # type: ignore[attr-defined]
                          "WHERE scenario_id = :s ORDER BY 1, 2"), {"s": sid})  # fmt: skip
    pins = s.execute(text("SELECT account_id, territory_id FROM pin "  # type: ignore[attr-defined]
                          "WHERE scenario_id = :s ORDER BY 1"), {"s": sid})  # fmt: skip
    return [*rows.all(), *pins.all()]


# -- handover generation ----------------------------------------------------------------------
def test_kills_during_handover_generation_keep_one_whole_run(project) -> None:
    with Project.open(project) as p:
        scenarios.create_scenario(p, "East")
        plan = Plan.load(p, "East")
        plan.apply(moves.for_units(plan, np.arange(8), 2))
        moved = _moved(p)
    tasks = project.with_name("tasks.csv")

    def step(p: Project, k: int) -> None:  # each run its own day, so two runs never look alike
        day = dt.date(2027, 1, 1) + dt.timedelta(days=random.SystemRandom().randrange(3000))
        packets = generate_packets(p, "East", effective_date=day, persist=True)
        write_csv(packets, tasks)

    def check() -> None:
        with Project.open(project) as p, p.session() as s:
            days = s.execute(text("SELECT DISTINCT effective_date FROM handover")).all()
            assert len(days) <= 1  # never a mix of two runs' packets
            informed = s.execute(text("SELECT DISTINCT due FROM handover_item "
                                      "WHERE kind = 'informed'")).all()  # fmt: skip
            assert informed == days  # every item belongs to that same run
            covered = s.scalar(text("SELECT count(DISTINCT account_id) FROM handover_item"))
            assert covered in (0, moved)  # all moved accounts, or none yet
        if tasks.exists():  # the CRM task file is whole: header + one row per item
            with tasks.open(encoding="utf-8-sig", newline="") as fh:
                rows = list(csv.DictReader(fh))
            assert rows
            assert all(r["Status"] in ("Not Started", "Completed") for r in rows)

    _kills(project, step, KILLS["handover"], 3, (0.1, 0.6), check)


def _moved(project: Project) -> int:
    from planner.model.impact import impact

    return int(impact(project, "East").summary.accounts_moved)
