"""Channel partners: accounts with status partner, linked to the territories or accounts they
serve.

A link names the partner and either a territory (the partner serves the whole territory) or
an account (the partner serves that customer, wherever it is assigned). Links are project
data, like the accounts themselves, not part of a scenario: which partner serves whom does not
change when a what-if moves a boundary; the territories a partner's *accounts* fall in do, and
results follow them (:mod:`planner.model.results`). Partners appear in the written plan's
strategy and, through :func:`partners_of_accounts`, in handover packets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import delete, select

from planner.model.atoms import PARTNER
from planner.model.errors import PlannerError
from planner.model.schema import Account, PartnerLink, Territory
from planner.model.store import Project


@dataclass(frozen=True)
class Link:
    id: int
    partner_id: int
    partner: str
    territory_id: int | None
    territory: str
    account_id: int | None
    account: str
    note: str


def link(
    project: Project,
    partner: int,
    *,
    territory: int | None = None,
    account: int | None = None,
    note: str = "",
) -> int:
    """Link partner account ``partner`` to a territory or an account (ids); returns the link
    id. Refused when the partner is not an account with status partner, or the link exists."""
    if (territory is None) == (account is None):
        raise PlannerError("link a partner to one territory or one account")
    with project.transaction() as s:
        p = s.get(Account, partner)
        if p is None or p.status != "partner":
            raise PlannerError(f"account {partner} is not a partner (status must be partner)")
        if territory is not None and s.get(Territory, territory) is None:
            raise PlannerError(f"no territory with id {territory}")
        if account is not None and s.get(Account, account) is None:
            raise PlannerError(f"no account with id {account}")
        same = s.scalar(
            select(PartnerLink.id).where(
                PartnerLink.partner_id == partner,
                PartnerLink.territory_id.is_(None)
                if territory is None
                else PartnerLink.territory_id == territory,
                PartnerLink.account_id.is_(None)
                if account is None
                else PartnerLink.account_id == account,
            )
        )
        if same is not None:
            return int(same)
        row = PartnerLink(partner_id=partner, territory_id=territory, account_id=account, note=note)
        s.add(row)
        s.flush()
        return int(row.id)


def unlink(project: Project, link_id: int) -> None:
    with project.transaction() as s:
        s.execute(delete(PartnerLink).where(PartnerLink.id == link_id))


def links(project: Project, *, territory: int | None = None) -> list[Link]:
    """Every link (or those naming ``territory``), partners by name."""
    from sqlalchemy.orm import aliased

    partner, served = aliased(Account), aliased(Account)
    q = (
        select(PartnerLink, partner.name, Territory.name, served.name)
        .join(partner, partner.id == PartnerLink.partner_id)
        .outerjoin(Territory, Territory.id == PartnerLink.territory_id)
        .outerjoin(served, served.id == PartnerLink.account_id)
        .order_by(partner.name, PartnerLink.id)
    )
    if territory is not None:
        q = q.where(PartnerLink.territory_id == territory)
    with project.session() as s:
        return [
            Link(r.id, r.partner_id, pn, r.territory_id, tn or "", r.account_id, an or "", r.note)
            for r, pn, tn, an in s.execute(q)
        ]


def partners_of_accounts(
    project: Project, account_ids: list[int], territory_of: dict[int, int] | None = None
) -> dict[int, list[str]]:
    """Partner names serving each account: linked to it, or to its territory
    (``territory_of``: account id -> territory id in the scenario at hand)."""
    out: dict[int, list[str]] = {}
    by_territory: dict[int, list[str]] = {}
    for lk in links(project):
        if lk.account_id is not None:
            out.setdefault(lk.account_id, []).append(lk.partner)
        elif lk.territory_id is not None:
            by_territory.setdefault(lk.territory_id, []).append(lk.partner)
    result: dict[int, list[str]] = {}
    for a in account_ids:
        names = list(out.get(a, []))
        t = (territory_of or {}).get(a)
        names += [n for n in by_territory.get(t, []) if n not in names] if t is not None else []
        if names:
            result[a] = names
    return result


def serving(project: Project, territory_id: int, account_ids: Any) -> list[Link]:
    """Links of partners serving the territory or any of ``account_ids`` (its accounts)."""
    accs = {int(a) for a in account_ids}
    return [
        lk for lk in links(project) if lk.territory_id == territory_id or (lk.account_id in accs)
    ]


def partner_choices(atoms: Any, limit: int = 500) -> list[tuple[int, str]]:
    """(id, name) of the first ``limit`` partner accounts by name, for a checklist.

    From the atoms in memory (status codes, ids, names): a query for ``status = 'partner'``
    ordered by name scanned and sorted every account of the table (half a minute at 10M
    accounts, on the GUI thread)."""
    idx = np.flatnonzero(atoms.account_status == PARTNER)
    names = [str(n) for n in atoms.account_names[idx]] if len(idx) else []
    rows = sorted(zip(names, atoms.account_ids[idx].tolist(), strict=True))
    return [(int(i), name) for name, i in rows[:limit]]
