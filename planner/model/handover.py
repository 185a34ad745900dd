"""Handover packets: what the incoming rep needs for every account that changes hands.

A reassignment only changes an owner field in most CRMs; customers are lost in the gap. A
*packet* gathers, per (outgoing rep -> incoming rep) pair, every moved account with its contacts,
open opportunities, last activities and a checklist, and the checklist is tracked to done.

Moved accounts are exactly those of :func:`planner.model.impact.impact` (their effective
territory differs between the two alignments). The default comparison is the baseline; for a
scenario that was already published it is the snapshot of the baseline it replaced, so packets
can be (re)generated after the publish too. A rep of ``None`` means "unassigned" (a territory
without a rep, or no territory). An account moving between two territories of the same rep
gets a packet "Ana -> Ana" (its territory field still changes in the CRM).

Checklist and due dates (E = effective date, T = E + ``transition_days``, S = E +
``support_days``):

================================  =========  ===========  =================================
item                              due        responsible  required
================================  =========  ===========  =================================
customer informed in writing      E          outgoing     always
intro call by the outgoing rep    E + 14 *   outgoing     always
joint visit                       T          incoming     top ``joint_visit_top`` by potential
open opportunities transferred    E + 14 *   outgoing     only accounts with open opps
CRM owner updated                 E          incoming     always
pipeline protection until S       T          incoming     always
notes handed over                 E + 14 *   outgoing     always
================================  =========  ===========  =================================

``*`` capped at T when the transition is shorter. The responsible side falls back to the other
rep when it is unassigned. Progress counts required items only; an optional item is never
overdue. Joint visits are required for the ``ceil(joint_visit_top * n)`` accounts of a packet
with the largest potential (so every non-empty packet has at least one when the share is > 0),
or, when ``joint_visit_potential`` is given, for every account at or above that potential.

Persistence (``persist=True``): one transaction writes Handover + HandoverItem rows.
Regenerating for the same scenario replaces the items of the accounts in scope (every moved
account, or the selection) that are not ticked; ticked items are kept when that account still
moves in that pair (done work is not lost) and dropped with the account otherwise; packets left
with no items are deleted.

Tracking: :func:`tick`, :func:`set_note`, :func:`progress`, :func:`overdue`, and
:func:`load_packets` (rebuilds packets from the stored rows, for a reprint after reopening).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field, replace

import numpy as np
from sqlalchemy import delete, func, select

from planner.model.atoms import (
    AtomData,
    account_territories,
    for_scenario,
    load_alignment,
    load_atoms,
)
from planner.model.impact import Sides
from planner.model.progress import Progress, blocking
from planner.model.scenario_rows import resolve, scenario_id
from planner.model.schema import Account, Handover, HandoverItem, Publication, Rep
from planner.model.schema import Activity as ActivityRow
from planner.model.schema import Contact as ContactRow
from planner.model.schema import Opportunity as OpportunityRow
from planner.model.store import Project

#: Checklist kinds in print order: (kind, label, responsible side, due rule).
KINDS: tuple[tuple[str, str, str, str], ...] = (
    ("informed", "Customer informed in writing", "from", "E"),
    ("intro_call", "Intro call by the outgoing rep", "from", "E+14"),
    ("joint_visit", "Joint visit", "to", "T"),
    ("opps_transferred", "Open opportunities transferred", "from", "E+14"),
    ("crm_owner", "CRM owner updated", "to", "E"),
    ("pipeline_protection", "Pipeline protection until {support} agreed", "to", "T"),
    ("notes", "Notes handed over", "from", "E+14"),
)
KIND_ORDER = {k[0]: i for i, k in enumerate(KINDS)}
RESPONSIBLE = {k[0]: k[2] for k in KINDS}
INTRO_DAYS = 14
UNASSIGNED = "unassigned"


@dataclass(frozen=True)
class ChecklistItem:
    """One tick box. ``id`` is the HandoverItem row id (None when not persisted)."""

    id: int | None
    kind: str
    label: str
    required: bool
    due: dt.date | None
    done: bool = False
    done_by: str = ""
    done_at: dt.datetime | None = None
    note: str = ""


@dataclass(frozen=True)
class Contact:
    name: str
    role: str
    decision_maker: bool
    phone: str
    email: str


@dataclass(frozen=True)
class Opportunity:
    name: str
    stage: str
    amount: float
    close_date: dt.date | None
    next_step: str


@dataclass(frozen=True)
class Activity:
    date: dt.date | None
    type: str
    summary: str
    by: str


@dataclass
class AccountSection:
    """One account of a packet. ``account_id`` is the database id, ``external_id`` the CRM's."""

    account_id: int
    external_id: str
    name: str
    address: str
    industry: str
    segment: str
    status: str
    revenue: float
    potential: float
    pipeline: float
    from_territory: str | None
    to_territory: str | None
    contacts: list[Contact] = field(default_factory=list)
    opportunities: list[Opportunity] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
    notes: str = ""
    items: list[ChecklistItem] = field(default_factory=list)
    #: Its share of the old territory's quota, moving with it (None: no quota plan).
    quota_moved: float | None = None
    #: Channel partners serving it (linked to it or to its new territory).
    partners: list[str] = field(default_factory=list)


@dataclass
class Packet:
    """Accounts moving from one rep to another, with the dates of the handover."""

    scenario: str
    from_rep_id: int | None
    to_rep_id: int | None
    from_rep: str
    to_rep: str
    from_manager: str
    to_manager: str
    effective_date: dt.date
    transition_end: dt.date
    support_until: dt.date
    accounts: list[AccountSection] = field(default_factory=list)
    handover_id: int | None = None

    @property
    def title(self) -> str:
        return f"Handover: {self.from_rep} → {self.to_rep}"

    @property
    def n_accounts(self) -> int:
        return len(self.accounts)

    def total(self, value: str) -> float:
        """Sum of ``revenue``, ``potential`` or ``pipeline`` over the packet's accounts."""
        return float(sum(getattr(a, value) for a in self.accounts))

    def responsible(self, kind: str) -> str:
        """Name of the rep who should tick ``kind`` (the other side when unassigned)."""
        side = RESPONSIBLE.get(kind, "to")
        first, other = (
            (self.from_rep, self.to_rep) if side == "from" else (self.to_rep, self.from_rep)
        )
        return first if first != UNASSIGNED else other


class PacketList(list[Packet]):
    """Packets, and the moved accounts that got none, with why.

    No packet is made when nobody takes the account over (it becomes unassigned, or its new
    territory has no rep: a checklist addressed to "unassigned" helps no one) or when the
    territory changes but the rep does not. They are listed here so the user is told.
    """

    def __init__(self, packets: Iterable[Packet] = ()) -> None:
        super().__init__(packets)
        #: (external id, name, new territory or None) of accounts without an incoming rep.
        self.without_rep: list[tuple[str, str, str | None]] = []
        #: Accounts that change territory but keep their rep.
        self.same_rep = 0

    def notice(self) -> str:
        """One line for the user about the accounts without a packet ("" when none)."""
        parts = []
        if self.without_rep:
            parts.append(
                f"{len(self.without_rep)} moved account(s) have no incoming rep (unassigned, or "
                "their new territory has no rep): assign a rep to hand them over"
            )
        if self.same_rep:
            parts.append(f"{self.same_rep} account(s) change territory but keep their rep")
        return "; ".join(parts)


def due_dates(effective: dt.date, transition_days: int, support_days: int) -> dict[str, dt.date]:
    """The due date of each rule (see the module docstring)."""
    t_end = effective + dt.timedelta(days=transition_days)
    return {
        "E": effective,
        "E+14": min(effective + dt.timedelta(days=INTRO_DAYS), t_end),
        "T": t_end,
        "S": effective + dt.timedelta(days=support_days),
    }


def checklist(
    section: AccountSection, joint_required: bool, dates: dict[str, dt.date]
) -> list[ChecklistItem]:
    """The default checklist of one account (nothing ticked)."""
    items = []
    for kind, label, _side, rule in KINDS:
        if kind == "opps_transferred" and not section.opportunities:
            continue
        required = joint_required if kind == "joint_visit" else True
        text = label.format(support=dates["S"].isoformat())
        items.append(ChecklistItem(None, kind, text, required, dates[rule]))
    return items


# -- generation --------------------------------------------------------------------------------
def generate_job(
    project: Project,
    scenario: int | str | None,
    against: int | str | None = None,
    *,
    effective_date: dt.date,
    transition_days: int = 30,
    support_days: int = 60,
    joint_visit_top: float = 0.2,
    joint_visit_potential: float | None = None,
    account_ids: list[str] | None = None,
    persist: bool = True,
) -> Generator[Progress, None, PacketList]:
    """One packet per (outgoing rep -> incoming rep) pair of the accounts ``scenario`` moves
    (none for accounts without an incoming rep or that keep theirs: see :class:`PacketList`).

    A job for ``planner.ui.workers.run_job`` (yields Progress); :func:`generate_packets` takes
    the same arguments and runs it to the end. ``account_ids`` (external ids, e.g. a selection
    in the Impact dock) limits the packets to those accounts; ids that do not move are ignored.
    See the module docstring for the checklist, due dates and what regenerating does to ticked
    items.
    """
    if not 0.0 <= joint_visit_top <= 1.0:
        raise ValueError("joint_visit_top is a share between 0 and 1")
    yield Progress(0.0, "Comparing alignments")
    atoms = load_atoms(project)
    sid, name, sides, tb, ta = _diff(project, atoms, scenario, against)
    moved = np.flatnonzero(tb != ta)
    if account_ids is not None:
        wanted = set(account_ids)
        moved = moved[[str(atoms.account_ext_ids[i]) in wanted for i in moved]]
    yield Progress(0.2, f"Reading {len(moved)} moved accounts")
    related = fetch_related(project, [int(atoms.account_ids[i]) for i in moved])
    dates = due_dates(effective_date, transition_days, support_days)
    packets = _assemble(sides, related, name, moved, tb, ta, dates)
    _quota_shares(project, atoms, against, sid, packets)
    _partners(project, atoms, sides, ta, packets)
    for p in packets:
        _set_checklists(p, dates, joint_visit_top, joint_visit_potential)
    if persist:
        yield Progress(0.7, "Saving checklists")
        scope = [int(atoms.account_ids[i]) for i in moved] if account_ids is not None else None
        _persist(project, sid, packets, scope)
    return packets


#: :func:`generate_job` without progress: same arguments, returns the packets (CLI, tests).
generate_packets = blocking(generate_job)


def default_against(project: Project, scenario_id: int) -> int | None:
    """The snapshot a published scenario replaced, else None (the baseline)."""
    with project.session() as s:
        return s.scalar(
            select(Publication.snapshot_id)
            .where(Publication.scenario_id == scenario_id)
            .order_by(Publication.at.desc(), Publication.id.desc())
            .limit(1)
        )


def _diff(
    project: Project, atoms: AtomData, scenario: int | str | None, against: int | str | None
) -> tuple[int, str, Sides, np.ndarray, np.ndarray]:
    """Both scenarios' accounts' territories, in one index space with each side's reps."""
    with project.session() as s:
        row = resolve(s, scenario)
        sid, name = row.id, row.name
    if against is None:
        against = default_against(project, sid)
    with project.session() as s:
        bid = resolve(s, against).id
    atoms_a, atoms_b = for_scenario(atoms, project, sid), for_scenario(atoms, project, bid)
    sides = Sides.of(atoms_a, atoms_b)
    before, after = sides.to_union(
        load_alignment(project, atoms_b, bid), load_alignment(project, atoms_a, sid)
    )
    tb = account_territories(sides.before, before)
    return sid, name, sides, tb, account_territories(sides.after, after)


def _rep_of(atoms: AtomData, t: int) -> int | None:
    if t < 0:
        return None
    r = atoms.territory_rep_ids[t]
    return int(r) if np.isfinite(r) else None


def _names(sides: Sides, tb: int, ta: int) -> tuple[str | None, str | None]:
    """Territory names of an account before (compared scenario) and after (the scenario)."""
    before = str(sides.before.territory_names[tb]) if tb >= 0 else None
    return before, str(sides.after.territory_names[ta]) if ta >= 0 else None


def _assemble(
    sides: Sides,
    related: RelatedRows,
    scenario: str,
    idx: Iterable[int],
    tb: np.ndarray,
    ta: np.ndarray,
    dates: dict[str, dt.date],
) -> PacketList:
    """Group account sections into packets by (from rep, to rep); biggest potential first.

    The outgoing rep and territory are the compared scenario's, the incoming ones the
    scenario's (a what-if may give a territory another rep)."""
    packets: dict[tuple[int | None, int | None], Packet] = {}
    out = PacketList()
    for i in idx:
        pair = (_rep_of(sides.before, int(tb[i])), _rep_of(sides.after, int(ta[i])))
        if pair[1] is None:
            to = str(sides.after.territory_names[ta[i]]) if ta[i] >= 0 else None
            out.without_rep.append(
                (str(sides.after.account_ext_ids[i]), str(sides.after.account_names[i]), to)
            )
            continue
        if pair[0] == pair[1]:
            out.same_rep += 1
            continue
        if pair not in packets:
            packets[pair] = _new_packet(related, scenario, pair, dates)
        section = related.section(int(sides.after.account_ids[i]))
        section.from_territory, section.to_territory = _names(sides, int(tb[i]), int(ta[i]))
        packets[pair].accounts.append(section)
    for p in packets.values():
        p.accounts.sort(key=lambda a: (-a.potential, a.name))
    out.extend(sorted(packets.values(), key=lambda p: (p.from_rep, p.to_rep)))
    return out


def _new_packet(
    related: RelatedRows,
    scenario: str,
    pair: tuple[int | None, int | None],
    dates: dict[str, dt.date],
) -> Packet:
    (fr, fm), (tr, tm) = related.rep(pair[0]), related.rep(pair[1])
    return Packet(scenario, pair[0], pair[1], fr, tr, fm, tm, dates["E"], dates["T"], dates["S"])


def _set_checklists(
    packet: Packet, dates: dict[str, dt.date], top: float, threshold: float | None
) -> None:
    if threshold is not None:
        joint = {a.account_id for a in packet.accounts if a.potential >= threshold}
    else:
        n_top = math.ceil(top * len(packet.accounts) - 1e-9)
        ranked = sorted(packet.accounts, key=lambda a: (-a.potential, a.account_id))
        joint = {a.account_id for a in ranked[:n_top]}
    for a in packet.accounts:
        a.items = checklist(a, a.account_id in joint, dates)


# -- persistence -------------------------------------------------------------------------------
def _persist(project: Project, sid: int, packets: list[Packet], scope: list[int] | None) -> None:
    """Write the packets in one transaction (module docstring: what is replaced, what is kept)."""
    with project.transaction() as s:
        stored = {(h.from_rep_id, h.to_rep_id): h for h in
                  s.scalars(select(Handover).where(Handover.scenario_id == sid))}  # fmt: skip
        hids = [h.id for h in stored.values()]
        new_accounts = {(p.from_rep_id, p.to_rep_id, a.account_id) for p in packets
                        for a in p.accounts}  # fmt: skip
        kept: dict[tuple[int, int, str], HandoverItem] = {}
        if hids:
            rows = s.scalars(select(HandoverItem).where(HandoverItem.handover_id.in_(hids)))
            by_id = {h.id: h for h in stored.values()}
            in_scope = set(scope) if scope is not None else None
            drop = []
            for it in rows:
                if in_scope is not None and it.account_id not in in_scope:
                    continue
                ho = by_id[it.handover_id]
                if it.done and (ho.from_rep_id, ho.to_rep_id, it.account_id) in new_accounts:
                    kept[(ho.id, it.account_id, it.kind)] = it
                else:
                    drop.append(it.id)
            for i in range(0, len(drop), 5000):
                s.execute(delete(HandoverItem).where(HandoverItem.id.in_(drop[i : i + 5000])))
        new_rows: list[tuple[Packet, AccountSection, int, HandoverItem]] = []
        for p in packets:
            h = stored.get((p.from_rep_id, p.to_rep_id))
            if h is None:
                h = Handover(scenario_id=sid, from_rep_id=p.from_rep_id, to_rep_id=p.to_rep_id)
                s.add(h)
            h.effective_date, h.transition_end = p.effective_date, p.transition_end
            h.support_until = p.support_until
            s.flush()
            p.handover_id = h.id
            for a in p.accounts:
                for n, item in enumerate(a.items):
                    old = kept.get((h.id, a.account_id, item.kind))
                    if old is not None:
                        a.items[n] = _item(old)
                        continue
                    row = HandoverItem(handover_id=h.id, account_id=a.account_id,
                                       kind=item.kind, label=item.label, required=item.required,
                                       due=item.due, done=False)  # fmt: skip
                    s.add(row)
                    new_rows.append((p, a, n, row))
        s.flush()
        for _p, a, n, row in new_rows:
            a.items[n] = replace(a.items[n], id=row.id)
        s.flush()
        for h in stored.values():  # packets left empty go
            if s.scalar(select(HandoverItem.id).where(HandoverItem.handover_id == h.id)) is None:
                s.delete(h)


def _item(row: HandoverItem) -> ChecklistItem:
    return ChecklistItem(row.id, row.kind, row.label, row.required, row.due, row.done,
                         row.done_by, row.done_at, row.note)  # fmt: skip


def rep_labels(project: Project) -> dict[int, tuple[str, str]]:
    """Rep id -> (name, manager name) for every rep."""
    with project.session() as s:
        reps = s.execute(select(Rep.id, Rep.name, Rep.manager_id)).all()
    names = {r.id: r.name for r in reps}
    return {r.id: (r.name, names.get(r.manager_id, "") if r.manager_id else "") for r in reps}


# -- related rows, batched ---------------------------------------------------------------------
_CHUNK = 5000


@dataclass
class RelatedRows:
    """Accounts and their CRM records for a set of accounts: one query per table per chunk."""

    accounts: dict[int, Account]
    contacts: dict[int, list[Contact]]
    opportunities: dict[int, list[Opportunity]]
    activities: dict[int, list[Activity]]
    reps: dict[int, tuple[str, str]]

    def rep(self, rep_id: int | None) -> tuple[str, str]:
        """(name, manager name) of a rep; ("unassigned", "") for None."""
        if rep_id is None:
            return UNASSIGNED, ""
        return self.reps.get(rep_id, (f"rep #{rep_id}", ""))

    def section(self, aid: int) -> AccountSection:
        a = self.accounts[aid]
        opps = self.opportunities.get(aid, [])
        place = " ".join(p for p in (a.state, a.postal_code) if p)
        address = ", ".join(p for p in (a.address, a.city, place, a.country) if p)
        return AccountSection(
            aid, a.external_id, a.name, address, a.industry, a.segment, a.status,
            float(a.revenue), float(a.potential), float(sum(o.amount for o in opps)), None, None,
            self.contacts.get(aid, []), opps, self.activities.get(aid, []), a.notes or "",
        )  # fmt: skip


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


def fetch_related(project: Project, account_ids: list[int]) -> RelatedRows:
    """Read accounts, contacts (decision makers first), open opportunities (by expected close)
    and the last five activities (newest first) of ``account_ids`` (database ids)."""
    rel = RelatedRows({}, {}, {}, {}, rep_labels(project))
    c, o, v = ContactRow, OpportunityRow, ActivityRow
    with project.session() as s:
        for ids in _chunks(account_ids):
            for a in s.scalars(select(Account).where(Account.id.in_(ids))):
                rel.accounts[a.id] = a
            q = (select(c.account_id, c.name, c.role, c.decision_maker, c.phone, c.email)
                 .where(c.account_id.in_(ids)).order_by(c.decision_maker.desc(), c.id))  # fmt: skip
            for r in s.execute(q):
                rel.contacts.setdefault(r[0], []).append(Contact(*r[1:]))
            oq = (select(o.account_id, o.name, o.stage, o.amount, o.close_date, o.next_step)
                  .where(o.account_id.in_(ids), o.is_open.is_(True))
                  .order_by(o.close_date, o.id))  # fmt: skip
            for opp in s.execute(oq):
                rel.opportunities.setdefault(opp[0], []).append(Opportunity(*opp[1:]))
            rank = func.row_number().over(
                partition_by=v.account_id, order_by=(v.date.desc(), v.id.desc())
            )
            inner = (select(v.account_id, v.date, v.type, v.summary, v.by, rank.label("rn"))
                     .where(v.account_id.in_(ids)).subquery())  # fmt: skip
            vq = (select(inner.c.account_id, inner.c.date, inner.c.type, inner.c.summary,
                         inner.c.by).where(inner.c.rn <= 5)
                  .order_by(inner.c.account_id, inner.c.rn))  # fmt: skip
            for vr in s.execute(vq):
                rel.activities.setdefault(vr[0], []).append(Activity(*vr[1:]))
    return rel


# -- stored packets and tracking ---------------------------------------------------------------
def load_packets(
    project: Project,
    scenario: int | str | None,
    against: int | str | None = None,
    *,
    atoms: AtomData | None = None,
) -> list[Packet]:
    """The stored packets of ``scenario`` with their ticks, rebuilt for display or reprint.

    Account data, contacts, opportunities and activities are read fresh (they may have been
    updated since the packets were generated); territories come from the two alignments. Pass
    ``atoms`` when already loaded (the GUI has them).
    """
    with project.session() as s:
        handovers = list(s.scalars(select(Handover).where(
            Handover.scenario_id == scenario_id(project, scenario))))  # fmt: skip
    if not handovers:
        return []  # nothing stored: skip reading the atoms
    atoms = atoms if atoms is not None else load_atoms(project)
    _sid, name, sides, tb, ta = _diff(project, atoms, scenario, against)
    with project.session() as s:
        items = list(s.scalars(select(HandoverItem).where(
            HandoverItem.handover_id.in_([h.id for h in handovers]))))  # fmt: skip
    by_packet: dict[int, dict[int, list[ChecklistItem]]] = {}
    for it in items:
        by_packet.setdefault(it.handover_id, {}).setdefault(it.account_id, []).append(_item(it))
    related = fetch_related(project, sorted({it.account_id for it in items}))
    index = atoms.account_index()
    packets = []
    for h in handovers:
        eff = h.effective_date or h.created_at.date()
        dates = {"E": eff, "T": h.transition_end or eff, "S": h.support_until or eff}
        p = _new_packet(related, name, (h.from_rep_id, h.to_rep_id), dates)
        p.handover_id = h.id
        for aid, its in by_packet.get(h.id, {}).items():
            if aid not in related.accounts:
                continue
            sec = related.section(aid)
            i = index.get(aid)
            if i is not None:
                sec.from_territory, sec.to_territory = _names(sides, int(tb[i]), int(ta[i]))
            sec.items = sorted(its, key=lambda x: KIND_ORDER.get(x.kind, 99))
            p.accounts.append(sec)
        p.accounts.sort(key=lambda a: (-a.potential, a.name))
        if p.accounts:
            packets.append(p)
    _quota_shares(project, atoms, against, _sid, packets)
    _partners(project, atoms, sides, ta, packets)
    return sorted(packets, key=lambda p: (p.from_rep, p.to_rep))


def _partners(
    project: Project, atoms: AtomData, sides: Sides, ta: np.ndarray, packets: list[Packet]
) -> None:
    """The partners serving each packet account in its new territory (handover pages)."""
    from planner.model.partners import partners_of_accounts

    index = atoms.account_index()
    secs = [a for p in packets for a in p.accounts if a.account_id in index]
    if not secs:
        return
    tids = sides.after.territory_ids
    new = {
        a.account_id: int(tids[ta[index[a.account_id]]])
        for a in secs
        if ta[index[a.account_id]] >= 0
    }
    served = partners_of_accounts(project, [a.account_id for a in secs], territory_of=new)
    for a in secs:
        a.partners = served.get(a.account_id, [])


def _quota_shares(
    project: Project, atoms: AtomData, against: int | str | None, sid: int, packets: list[Packet]
) -> None:
    """Each packet account's share of its old territory's quota (the cover page's "quota
    moving"), from the plan compared with; nothing when it has no quota plan."""
    from planner.model.plan import Plan
    from planner.model.quota.impact import account_shares

    if not packets:
        return
    base = against if against is not None else default_against(project, sid)
    before = Plan.load(project, base, atoms=atoms)
    year = before.quotas.active_year()
    if year is None:
        return
    index = atoms.account_index()
    secs = [a for p in packets for a in p.accounts if a.account_id in index]
    shares = account_shares(before, np.array([index[a.account_id] for a in secs], np.int64), year)
    for a, q in zip(secs, shares, strict=True):
        a.quota_moved = float(q)


def tick(
    project: Project,
    item_id: int,
    *,
    done: bool = True,
    by: str,
    note: str | None = None,
    at: dt.datetime | None = None,
) -> ChecklistItem:
    """Tick (or untick) one item, recording who and when; ``note`` None keeps the note."""
    with project.transaction() as s:
        row = s.get(HandoverItem, item_id)
        if row is None:
            raise KeyError(f"no handover item {item_id}")
        row.done = done
        row.done_by = by if done else ""
        row.done_at = (at or dt.datetime.now(dt.UTC)) if done else None
        if note is not None:
            row.note = note
        return _item(row)


def set_note(project: Project, item_id: int, note: str) -> ChecklistItem:
    """Replace the note of one item (ticked or not)."""
    with project.transaction() as s:
        row = s.get(HandoverItem, item_id)
        if row is None:
            raise KeyError(f"no handover item {item_id}")
        row.note = note
        return _item(row)


@dataclass(frozen=True)
class ProgressRow:
    """Required items done of a packet (``key`` = handover id) or a rep (``key`` = name)."""

    key: int | str
    label: str
    done: int
    required: int

    @property
    def percent(self) -> float:
        return 100.0 * self.done / self.required if self.required else 100.0

    @property
    def text(self) -> str:
        return f"{self.done}/{self.required} done, {self.percent:.0f} %"


@dataclass(frozen=True)
class HandoverProgress:
    packets: list[ProgressRow]
    #: Per responsible rep (module docstring table), by name.
    reps: list[ProgressRow]


def progress(project: Project, scenario: int | str | None = None) -> HandoverProgress:
    """Done/required counts of required items per packet and per responsible rep.

    ``scenario`` None covers every stored packet of every scenario.
    """
    labels = rep_labels(project)
    q = select(Handover)
    if scenario is not None:
        q = q.where(Handover.scenario_id == scenario_id(project, scenario))
    with project.session() as s:
        handovers = {h.id: h for h in s.scalars(q)}
        counts = s.execute(
            select(HandoverItem.handover_id, HandoverItem.kind, HandoverItem.done, func.count())
            .where(HandoverItem.required.is_(True),
                   HandoverItem.handover_id.in_(list(handovers)))
            .group_by(HandoverItem.handover_id, HandoverItem.kind, HandoverItem.done)
        ).all()  # fmt: skip
    packets: dict[int, list[int]] = {h: [0, 0] for h in handovers}
    reps: dict[str, list[int]] = {}
    shells: dict[int, Packet] = {}
    for hid, h in handovers.items():
        fr = labels.get(h.from_rep_id, (UNASSIGNED, ""))[0] if h.from_rep_id else UNASSIGNED
        to = labels.get(h.to_rep_id, (UNASSIGNED, ""))[0] if h.to_rep_id else UNASSIGNED
        d = dt.date.min
        shells[hid] = Packet("", h.from_rep_id, h.to_rep_id, fr, to, "", "", d, d, d)
    for hid, kind, done, n in counts:
        who = shells[hid].responsible(kind)
        for acc in (packets[hid], reps.setdefault(who, [0, 0])):
            acc[1] += n
            acc[0] += n if done else 0
    return HandoverProgress(
        [ProgressRow(h, shells[h].title, *packets[h]) for h in sorted(packets)],
        [ProgressRow(r, r, *reps[r]) for r in sorted(reps)],
    )


@dataclass(frozen=True)
class OverdueItem:
    item: ChecklistItem
    handover_id: int
    account_id: int
    account_name: str


def overdue(
    project: Project, today: dt.date, scenario: int | str | None = None
) -> list[OverdueItem]:
    """Required items not done whose due date is before ``today`` (oldest first)."""
    q = (select(HandoverItem, Account.name).join(Account, Account.id == HandoverItem.account_id)
         .where(HandoverItem.done.is_(False), HandoverItem.required.is_(True),
                HandoverItem.due < today)
         .order_by(HandoverItem.due, HandoverItem.id))  # fmt: skip
    if scenario is not None:
        sub = select(Handover.id).where(Handover.scenario_id == scenario_id(project, scenario))
        q = q.where(HandoverItem.handover_id.in_(sub))
    with project.session() as s:
        return [OverdueItem(_item(it), it.handover_id, it.account_id, name)
                for it, name in s.execute(q)]  # fmt: skip
