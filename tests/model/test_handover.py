"""Handover packets on a generated demo project, checked against plain SQL and the impact diff.

The demo has real-looking contacts, opportunities and activities; a scenario moves a few
counties between reps and one county to no territory. Every expectation below is read from the
raw tables with pandas or from :func:`planner.model.impact.impact`, not from the engine.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from sqlalchemy import text, update

from planner.model import moves
from planner.model.atoms import UNASSIGNED
from planner.model.demo import create_demo
from planner.model.handover import (
    Packet,
    generate_packets,
    load_packets,
    overdue,
    progress,
    tick,
)
from planner.model.impact import impact
from planner.model.io.handover_export import TASK_COLUMNS, packet_html, write_csv, write_xlsx
from planner.model.plan import Plan
from planner.model.scenarios import create_scenario, publish
from planner.model.schema import Account
from planner.model.store import Project

EFFECTIVE = dt.date(2026, 12, 1)


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3,000-account demo with scenario S1: counties of two reps moved, one unassigned."""
    path = tmp_path_factory.mktemp("demo") / "demo.tplan"
    project = create_demo(path, accounts=3000, seed=0)
    create_scenario(project, "S1")
    plan = Plan.load(project, "S1")
    units = plan.alignment[: plan.atoms.n_units]
    plan.apply(moves.for_units(plan, np.flatnonzero(units == 0)[:5], 1))
    plan.apply(moves.for_units(plan, np.flatnonzero(units == 2)[:4], 3))
    plan.apply(moves.for_units(plan, np.flatnonzero(units == 4)[:1], UNASSIGNED))
    project.close()
    return path


@pytest.fixture
def demo(demo_file: Path, tmp_path: Path) -> Iterator[Project]:
    path = tmp_path / "demo.tplan"
    shutil.copy(demo_file, path)
    project = Project.open(path)
    yield project
    project.close()


def _read(project: Project, sql: str) -> pd.DataFrame:
    with project.engine.connect() as conn:
        return pd.read_sql_query(text(sql), conn)


def handed_over(project: Project) -> set[str]:
    """Moved accounts that someone takes over: a new rep, not none and not the same one."""
    m = impact(project, "S1").moved
    return set(m["account_id"][m["to_rep"].notna() & (m["to_rep"] != m["from_rep"])])


def _by_account(packets: list[Packet]) -> dict[str, tuple[Packet, object]]:
    return {a.external_id: (p, a) for p in packets for a in p.accounts}


def test_every_moved_account_once_in_its_packet_with_its_records(demo: Project) -> None:
    moved = impact(demo, "S1").moved.set_index("account_id")
    assert len(moved) > 20
    assert moved["to_rep"].isna().any()  # the county left without a territory
    moved = moved.astype(object).where(moved.notna(), None)
    packets = generate_packets(demo, "S1", effective_date=EFFECTIVE)

    listed = [a.external_id for p in packets for a in p.accounts]
    assert len(listed) == len(set(listed))  # exactly once
    assert set(listed) == handed_over(demo)  # every account someone takes over, no other
    # Nobody takes over the county left without a territory: no packet "to unassigned", but
    # the user is told.
    orphans = {x[0] for x in packets.without_rep}
    assert orphans == set(moved.index[moved["to_rep"].isna()])
    assert "no incoming rep" in packets.notice()
    pairs = {(p.from_rep, p.to_rep) for p in packets}
    assert len(pairs) == len(packets)  # one packet per pair
    for ext, (p, a) in _by_account(packets).items():
        row = moved.loc[ext]
        assert (p.from_rep, p.to_rep) == (
            row["from_rep"] or "unassigned",
            row["to_rep"] or "unassigned",
        )
        assert (a.from_territory, a.to_territory) == (row["from_territory"], row["to_territory"])
        assert a.name == row["name"]
        assert a.potential == pytest.approx(row["potential"])
        assert a.pipeline == pytest.approx(row["pipeline"])

    acc = _read(demo, "SELECT id, external_id FROM account").set_index("external_id")["id"]
    contacts = _read(demo, "SELECT * FROM contact")
    opps = _read(demo, "SELECT * FROM opportunity WHERE is_open")
    acts = _read(demo, "SELECT * FROM activity")
    seen = {"contacts": 0, "opps": 0, "acts": 0}
    for ext, (_p, a) in _by_account(packets).items():
        aid = acc[ext]
        c = contacts[contacts.account_id == aid]
        assert sorted(x.name for x in a.contacts) == sorted(c["name"])
        flags = [x.decision_maker for x in a.contacts]
        assert flags == sorted(flags, reverse=True)  # decision makers first
        o = opps[opps.account_id == aid]
        assert sorted((x.name, x.amount) for x in a.opportunities) == sorted(
            zip(o["name"], o["amount"], strict=True)
        )
        v = acts[acts.account_id == aid].sort_values(["date", "id"], ascending=False).head(5)
        assert [x.date.isoformat() for x in a.activities] == v["date"].tolist()
        assert [x.summary for x in a.activities] == v["summary"].tolist()
        seen["contacts"] += len(a.contacts)
        seen["opps"] += len(a.opportunities)
        seen["acts"] += len(a.activities) == 5
    assert all(seen.values()), seen  # the demo gives the check something to check

    p = packets[0]
    assert p.n_accounts == len(p.accounts)
    assert p.total("revenue") == pytest.approx(sum(a.revenue for a in p.accounts))
    assert p.title == f"Handover: {p.from_rep} → {p.to_rep}"


def test_checklist_items_and_due_dates_follow_the_documented_rule(demo: Project) -> None:
    packets = generate_packets(
        demo, "S1", effective_date=EFFECTIVE, transition_days=10, support_days=90
    )
    for p in packets:
        assert (p.transition_end, p.support_until) == (
            EFFECTIVE + dt.timedelta(days=10),
            EFFECTIVE + dt.timedelta(days=90),
        )
        for a in p.accounts:
            items = {it.kind: it for it in a.items}
            assert ("opps_transferred" in items) == bool(a.opportunities)
            assert items["informed"].due == EFFECTIVE
            assert items["crm_owner"].due == EFFECTIVE
            assert items["intro_call"].due == EFFECTIVE + dt.timedelta(days=10)  # capped at T
            assert items["joint_visit"].due == p.transition_end
            assert "2027-03-01" in items["pipeline_protection"].label  # the support date
            assert all(it.id is not None and not it.done for it in a.items)


def test_joint_visit_is_required_for_the_top_share_by_potential(demo: Project) -> None:
    for share in (0.2, 0.5):
        packets = generate_packets(
            demo, "S1", effective_date=EFFECTIVE, joint_visit_top=share, persist=False
        )
        for p in packets:
            ranked = sorted(p.accounts, key=lambda a: -a.potential)
            req = [next(i for i in a.items if i.kind == "joint_visit").required for a in ranked]
            assert req == [k < math.ceil(share * len(ranked)) for k in range(len(ranked))]
    none = generate_packets(
        demo, "S1", effective_date=EFFECTIVE, joint_visit_top=0.0, persist=False
    )
    assert not any(
        i.required for p in none for a in p.accounts for i in a.items if i.kind == "joint_visit"
    )
    cut = 300_000.0
    by_value = generate_packets(
        demo, "S1", effective_date=EFFECTIVE, joint_visit_potential=cut, persist=False
    )
    for p in by_value:
        for a in p.accounts:
            joint = next(i for i in a.items if i.kind == "joint_visit")
            assert joint.required == (a.potential >= cut)


def test_a_selection_limits_the_packets(demo: Project) -> None:
    moved = sorted(handed_over(demo))
    some = [*moved[:3], "NOT-MOVED-OR-UNKNOWN"]
    packets = generate_packets(demo, "S1", effective_date=EFFECTIVE, account_ids=some)
    assert sorted(_by_account(packets)) == sorted(moved[:3])


def test_ticks_persist_across_reopen_and_survive_regeneration(demo: Project) -> None:
    packets = generate_packets(demo, "S1", effective_date=EFFECTIVE)
    item = packets[0].accounts[0].items[0]
    assert item.id is not None
    tick(demo, item.id, by="ana", note="sent by letter")
    before = progress(demo, "S1")
    location = demo.location
    demo.close()

    with Project.open(location) as again:
        reloaded = load_packets(again, "S1")
        assert [(p.title, p.n_accounts) for p in reloaded] == [
            (p.title, p.n_accounts) for p in packets
        ]
        got = reloaded[0].accounts[0].items[0]
        assert (got.id, got.done, got.done_by, got.note) == (item.id, True, "ana", "sent by letter")
        assert got.done_at is not None
        assert progress(again, "S1") == before
        assert before.packets[0].done == 1
        assert before.packets[0].text.startswith(f"1/{before.packets[0].required} done")

        # Regenerating keeps the ticked item, replaces the rest.
        regen = generate_packets(again, "S1", effective_date=EFFECTIVE + dt.timedelta(days=7))
        kept = regen[0].accounts[0].items[0]
        assert (kept.id, kept.done, kept.note) == (item.id, True, "sent by letter")
        assert regen[0].accounts[0].items[1].due != packets[0].accounts[0].items[1].due
        assert progress(again, "S1").packets[0].done == 1
        tick(again, item.id, done=False, by="ana")
        assert progress(again, "S1").packets[0].done == 0


def test_regeneration_drops_accounts_that_no_longer_move(demo: Project) -> None:
    packets = generate_packets(demo, "S1", effective_date=EFFECTIVE)
    for p in packets:
        tick(demo, p.accounts[0].items[0].id or 0, by="ana")
    plan = Plan.load(demo, "S1")
    n = plan.atoms.n_units
    back = np.flatnonzero((plan.alignment[:n] != plan.baseline[:n]) & (plan.baseline[:n] == 0))
    assert len(back)
    plan.apply(moves.for_units(plan, back, 0))  # these counties go home: no handover any more
    moved = handed_over(demo)
    assert moved < set(_by_account(packets))

    regen = generate_packets(demo, "S1", effective_date=EFFECTIVE)
    assert set(_by_account(regen)) == moved
    assert set(_by_account(load_packets(demo, "S1"))) == moved  # ticked or not
    assert len(regen) == len(packets) - 1  # the emptied packet is gone
    assert sum(r.done for r in progress(demo, "S1").packets) == len(regen)


def test_overdue_follows_the_dates(demo: Project) -> None:
    packets = generate_packets(demo, "S1", effective_date=EFFECTIVE, transition_days=30)
    assert overdue(demo, EFFECTIVE) == []  # nothing is due before the effective date
    day_after = overdue(demo, EFFECTIVE + dt.timedelta(days=1))
    kinds = {o.item.kind for o in day_after}
    assert kinds == {"informed", "crm_owner"}  # due on E
    n_accounts = sum(p.n_accounts for p in packets)
    assert len(day_after) == 2 * n_accounts
    first = packets[0].accounts[0].items[0]
    tick(demo, first.id or 0, by="ana")
    assert len(overdue(demo, EFFECTIVE + dt.timedelta(days=1))) == 2 * n_accounts - 1
    late = overdue(demo, EFFECTIVE + dt.timedelta(days=365))
    required = sum(i.required for p in packets for a in p.accounts for i in a.items)
    assert len(late) == required - 1  # optional items are never overdue


def test_published_scenario_still_has_its_packets(demo: Project) -> None:
    expected = handed_over(demo)
    publish(demo, "S1", effective_date=EFFECTIVE)
    packets = generate_packets(demo, "S1", effective_date=EFFECTIVE)
    assert set(_by_account(packets)) == expected  # compared with the replaced baseline


def test_exports_are_crm_tasks_and_html_is_escaped(demo: Project, tmp_path: Path) -> None:
    moved = sorted(handed_over(demo))
    with demo.transaction() as s:
        s.execute(update(Account).where(Account.external_id == moved[0])
                  .values(name="<script>alert(1)</script>", notes="a & b <i>x</i>"))  # fmt: skip
    packets = generate_packets(demo, "S1", effective_date=EFFECTIVE)
    n_items = sum(len(a.items) for p in packets for a in p.accounts)
    out = write_csv(packets, tmp_path / "tasks.csv")
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == TASK_COLUMNS
    assert len(rows) == n_items
    assert {r["Status"] for r in rows} == {"Not Started"}
    assert {r["Priority"] for r in rows} == {"High", "Normal"}
    assert {r["Related To"] for r in rows} == set(moved)
    assert all(r["Assigned To"] and r["Assigned To"] != "unassigned" for r in rows)
    wb = openpyxl.load_workbook(write_xlsx(packets, tmp_path / "tasks.xlsx"), read_only=True)
    sheet = list(wb["Tasks"].iter_rows(values_only=True))
    assert sheet[0] == TASK_COLUMNS
    assert len(sheet) == n_items + 1
    assert not list(tmp_path.glob("*.partial"))

    html = packet_html(packets)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "a &amp; b &lt;i&gt;x&lt;/i&gt;" in html
    n_accounts = sum(p.n_accounts for p in packets)
    assert html.count("page-break-before: always") == n_accounts + len(packets) - 1
    assert html.count("☐") == n_items
