"""Handover pages name the channel partners serving an account (issue 17, point 5)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
from sqlalchemy import update

from planner.model import moves
from planner.model.handover import generate_packets
from planner.model.io.handover_export import packet_html
from planner.model.partners import link
from planner.model.plan import Plan
from planner.model.scenarios import create_scenario
from planner.model.schema import Account
from planner.model.synthetic import grid_project


def test_packet_accounts_list_the_partners_of_their_new_territory(tmp_path: Path) -> None:
    project = grid_project(tmp_path / "g.tplan")
    plan = Plan.load(project)
    a = plan.atoms
    partner_id = int(a.account_ids[-1])  # an account of the last territory becomes a partner
    with project.transaction() as s:
        s.execute(update(Account).where(Account.id == partner_id)
                  .values(status="partner", name="<b>Acme</b> Resellers"))  # fmt: skip
    link(project, partner_id, territory=int(a.territory_ids[1]))
    create_scenario(project, "S1")
    s1 = Plan.load(project, "S1")
    s1.apply(moves.for_units(s1, np.arange(0, 4), 1))
    packets = generate_packets(project, "S1", effective_date=dt.date(2027, 1, 4))
    sections = [sec for p in packets for sec in p.accounts]
    assert sections
    assert all(sec.partners == ["<b>Acme</b> Resellers"] for sec in sections)
    html = packet_html(list(packets))
    assert "Channel partners" in html
    assert "&lt;b&gt;Acme&lt;/b&gt; Resellers" in html
    assert "<b>Acme</b>" not in html
    project.close()


def test_partner_choices_lists_partners_by_name_from_the_status_codes(tmp_path: Path) -> None:
    """The plan's partner checklist: partner accounts only, by name, at most ``limit``."""
    from planner.model.atoms import load_atoms
    from planner.model.partners import partner_choices

    project = grid_project(tmp_path / "g.tplan")
    ids = [int(i) for i in Plan.load(project).atoms.account_ids[:3]]
    with project.transaction() as s:
        for i, name in zip(ids, ["Zeta Channel", "alpha <Reseller>", "Mid Partner"], strict=True):
            s.execute(update(Account).where(Account.id == i).values(status="partner", name=name))
    atoms = load_atoms(project)
    assert int((atoms.account_status == 2).sum()) == 3
    assert int((atoms.account_status == 1).sum()) > 0  # the rest are customers
    found = partner_choices(atoms)
    assert [name for _, name in found] == ["Mid Partner", "Zeta Channel", "alpha <Reseller>"]
    assert {i for i, _ in found} == set(ids)
    assert len(partner_choices(atoms, limit=2)) == 2
    project.close()
