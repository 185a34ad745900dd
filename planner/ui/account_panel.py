"""Account details dock: what a planner needs to know about an account clicked on the map.

:func:`account_details` is a pure, Qt-free query (a candidate to move into the model);
:func:`render_account_html` turns it into HTML with :func:`html.escape` applied to every string
that came from a user or an import, so a name such as ``<img src=x onerror=...>`` is shown as
text. The :class:`QTextBrowser` never follows links (no navigation, no external browser).
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtWidgets import QTextBrowser, QVBoxLayout, QWidget
from sqlalchemy import select

from planner.model.plan import Plan
from planner.model.schema import Account, Activity, Contact, Opportunity
from planner.model.store import Project

RECENT_ACTIVITIES = 5


@dataclass(frozen=True)
class AccountDetails:
    """Plain values read from the project, ready to render."""

    id: int
    external_id: str
    name: str
    address: str
    status: str
    segment: str
    industry: str
    potential: float
    revenue: float
    visits_per_year: float
    owner: str
    notes: str
    location_source: str
    #: (name, role, decision maker, phone, email), decision makers first.
    contacts: list[tuple[str, str, bool, str, str]] = field(default_factory=list)
    #: (name, stage, amount, close date, next step) of open opportunities, soonest first.
    opportunities: list[tuple[str, str, float, dt.date | None, str]] = field(default_factory=list)
    #: (date, type, summary, by), newest first, at most RECENT_ACTIVITIES.
    activities: list[tuple[dt.date | None, str, str, str]] = field(default_factory=list)


def account_details(project: Project, account_id: int) -> AccountDetails | None:
    """Read one account (by database id) with its contacts, open deals and recent activities."""
    with project.session() as s:
        acc = s.get(Account, account_id)
        if acc is None:
            return None
        contacts = s.execute(
            select(Contact.name, Contact.role, Contact.decision_maker, Contact.phone, Contact.email)
            .where(Contact.account_id == account_id)
            .order_by(Contact.decision_maker.desc(), Contact.name)
        ).all()
        opps = s.execute(
            select(
                Opportunity.name,
                Opportunity.stage,
                Opportunity.amount,
                Opportunity.close_date,
                Opportunity.next_step,
            )
            .where(Opportunity.account_id == account_id, Opportunity.is_open.is_(True))
            .order_by(Opportunity.close_date.is_(None), Opportunity.close_date)
        ).all()
        acts = s.execute(
            select(Activity.date, Activity.type, Activity.summary, Activity.by)
            .where(Activity.account_id == account_id)
            .order_by(Activity.date.is_(None), Activity.date.desc(), Activity.id.desc())
            .limit(RECENT_ACTIVITIES)
        ).all()
        parts = [acc.address, acc.city, " ".join(p for p in (acc.state, acc.postal_code) if p)]
        return AccountDetails(
            id=acc.id,
            external_id=acc.external_id,
            name=acc.name,
            address=", ".join(p for p in [*parts, acc.country] if p),
            status=acc.status,
            segment=acc.segment,
            industry=acc.industry,
            potential=acc.potential,
            revenue=acc.revenue,
            visits_per_year=acc.visits_per_year,
            owner=acc.owner,
            notes=acc.notes,
            location_source=acc.location_source,
            contacts=[tuple(r) for r in contacts],
            opportunities=[tuple(r) for r in opps],
            activities=[tuple(r) for r in acts],
        )


def plan_placement(plan: Plan, account_id: int) -> tuple[str, str, bool] | None:
    """(territory name, rep name, pinned) of an account in the plan; None if not in it."""
    a = plan.atoms
    hit = np.flatnonzero(a.account_ids == account_id)
    if len(hit) == 0:
        return None
    i = int(hit[0])
    t = int(plan.account_territories()[i])
    pinned = not a.free_form and int(plan.alignment[a.n_units + i]) >= 0
    if t < 0:
        return ("unassigned", "", pinned)
    rep = a.territory_rep_ids[t]
    rep_name = a.rep_names.get(int(rep), "") if np.isfinite(rep) else ""
    return (str(a.territory_names[t]), rep_name, pinned)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _money(v: float) -> str:
    return f"{v:,.0f}"


def _date(d: dt.date | None) -> str:
    return d.isoformat() if d else "—"


def render_account_html(
    d: AccountDetails, placement: tuple[str, str, bool] | None, scenario: str = ""
) -> str:
    """HTML for the panel; every value passes through html.escape."""
    out = [f"<h3>{_e(d.name)}</h3>"]
    out.append(f"<p><small>{_e(d.external_id)}</small><br>{_e(d.address or 'No address')}")
    if d.location_source != "exact":
        out.append(f" <i>(located by {_e(d.location_source)})</i>")
    out.append("</p>")
    facts = [
        ("Status", d.status),
        ("Segment", d.segment),
        ("Industry", d.industry),
        ("Potential", _money(d.potential)),
        ("Revenue (12 months)", _money(d.revenue)),
        ("Visits per year", f"{d.visits_per_year:g}"),
        ("CRM owner", d.owner),
    ]
    if placement is not None:
        terr, rep, pinned = placement
        label = f"Territory{f' ({scenario})' if scenario else ''}"
        facts.insert(0, (label, f"{terr}{' — pinned' if pinned else ''}"))
        facts.insert(1, ("Rep", rep or "none"))
    out.append("<table cellspacing='0' cellpadding='2'>")
    for k, v in facts:
        if v:
            out.append(f"<tr><td><b>{_e(k)}</b></td><td>{_e(v)}</td></tr>")
    out.append("</table>")
    out.append(f"<h4>Contacts ({len(d.contacts)})</h4>")
    if d.contacts:
        out.append("<ul>")
        for name, role, dm, phone, email in d.contacts:
            extra = " · ".join(_e(x) for x in (role, phone, email) if x)
            star = " <b>(decision maker)</b>" if dm else ""
            out.append(f"<li>{_e(name)}{star}{' — ' + extra if extra else ''}</li>")
        out.append("</ul>")
    else:
        out.append("<p>None recorded.</p>")
    out.append(f"<h4>Open opportunities ({len(d.opportunities)})</h4>")
    if d.opportunities:
        out.append("<table cellspacing='0' cellpadding='2'>")
        out.append("<tr><th>Name</th><th>Stage</th><th>Amount</th><th>Close</th><th>Next</th></tr>")
        for name, stage, amount, close, nxt in d.opportunities:
            out.append(
                f"<tr><td>{_e(name)}</td><td>{_e(stage)}</td>"
                f"<td align='right'>{_money(amount)}</td><td>{_date(close)}</td>"
                f"<td>{_e(nxt)}</td></tr>"
            )
        out.append("</table>")
    else:
        out.append("<p>None.</p>")
    out.append(f"<h4>Last {RECENT_ACTIVITIES} activities</h4>")
    if d.activities:
        out.append("<ul>")
        for date, kind, summary, by in d.activities:
            who = f" ({_e(by)})" if by else ""
            out.append(f"<li>{_date(date)} {_e(kind)}: {_e(summary)}{who}</li>")
        out.append("</ul>")
    else:
        out.append("<p>None recorded.</p>")
    if d.notes:
        out.append(f"<h4>Notes</h4><p>{_e(d.notes)}</p>")
    return "".join(out)


class AccountPanel(QWidget):
    """Shows one account; the map's click handler calls :meth:`show_account`."""

    def __init__(self, plan: Plan | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plan = plan
        self.account_id: int | None = None
        self.browser = QTextBrowser(self)
        self.browser.setOpenLinks(False)
        self.browser.setOpenExternalLinks(False)
        self.browser.setReadOnly(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.browser)
        self.clear()

    def set_plan(self, plan: Plan | None) -> None:
        """Follow another scenario: the shown account's territory is re-read."""
        self.plan = plan
        if plan is not None and self.account_id is not None:
            self.show_account(plan.project, self.account_id)

    def clear(self) -> None:
        self.account_id = None
        self.browser.setHtml("<p><i>Click an account on the map to see its details.</i></p>")

    def show_account(self, project: Project, account_id: int) -> bool:
        """Render an account by database id; returns False (and says so) if it is gone."""
        details = account_details(project, account_id)
        if details is None:
            self.account_id = None
            self.browser.setHtml(f"<p>Account {int(account_id)} is not in this project.</p>")
            return False
        self.account_id = account_id
        placement = plan_placement(self.plan, account_id) if self.plan is not None else None
        scenario = self.plan.name if self.plan is not None else ""
        self.browser.setHtml(render_account_html(details, placement, scenario))
        return True
