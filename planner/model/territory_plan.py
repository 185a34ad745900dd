"""The written plan of a territory: SWOT, SMART goals, strategy and review log, with history.

**Why project-level revisions and not scenario Edits.** The written plan belongs to a
territory (its id is shared by every scenario that has it), not to one what-if alignment: the
SWOT and goals written for a territory must survive a scenario being published, and a review
log records what happened in the field, which no alternative alignment changes. Keeping the
text out of the scenario's edit log also keeps the two undo histories apart: undoing a lasso
never reverts a paragraph, as in any document editor beside a map. So each save appends a
:class:`~planner.model.schema.PlanDoc` revision (who, when, what): the latest is the plan,
older ones are its history, :func:`restore` brings one back *as a new revision* (nothing is
ever lost) and the window's undo stack does the same per save. In team mode a save names the
revision it started from; if a colleague saved since, it is refused with their name instead of
silently overwriting them (the ``(territory, revision)`` unique key also stops two saves racing).
The partners a strategy names are the partners linked to the territory
(planner.model.partners), kept so by the same transaction that saves the plan.

The content is plain JSON, validated and bounded by :func:`normalise`; it is stored as typed
and escaped only where it is shown (HTML, PDF, spreadsheets).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from planner.model.errors import PlannerError
from planner.model.schema import Account, PartnerLink, PlanDoc
from planner.model.store import Project
from planner.model.users import current_user

SWOT = ("strengths", "weaknesses", "opportunities", "threats")
#: Goal metrics measured from the data (results field names), then free ones.
METRICS = {
    "bookings": "Bookings to date",
    "attainment": "Quota attainment",
    "new_customers": "New customers this year",
    "customers": "Customers",
    "visited": "Accounts visited (90 days)",
    "coverage": "Visit coverage",
    "pipeline": "Open pipeline",
    "win_rate": "Win rate",
}
TIERS = ("A", "B", "C")
MAX_TEXT = 10_000
MAX_ITEMS = 500


@dataclass(frozen=True)
class Revision:
    territory_id: int
    revision: int  # 0: nothing saved yet
    at: dt.datetime | None
    user: str
    label: str
    content: dict[str, Any]


def empty() -> dict[str, Any]:
    return {
        "swot": {k: [] for k in SWOT},
        "goals": [],
        "strategy": {"focus": [], "visit_frequency": {}, "partners": [], "notes": ""},
        "review": [],
    }


def _text(v: Any, where: str) -> str:
    s = "" if v is None else str(v)
    if len(s) > MAX_TEXT:
        raise PlannerError(f"{where}: {len(s):,} characters, more than {MAX_TEXT:,}")
    return s


def _list(v: Any, where: str) -> list[Any]:
    if v is not None and not isinstance(v, list | tuple):
        raise PlannerError(f"{where}: expected a list, got {str(v)[:40]!r}")
    items = list(v or [])
    if len(items) > MAX_ITEMS:
        raise PlannerError(f"{where}: {len(items):,} items, more than {MAX_ITEMS}")
    return items


def _date(v: Any, where: str) -> str:
    if not v:
        return ""
    try:
        return dt.date.fromisoformat(str(v)).isoformat()
    except ValueError:
        raise PlannerError(f"{where}: {str(v)[:40]!r} is not a date like 2027-03-31") from None


def _number(v: Any, where: str) -> float | None:
    if v in (None, ""):
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise PlannerError(f"{where}: {str(v)[:40]!r} is not a number") from None
    if x != x or abs(x) > 1e15:
        raise PlannerError(f"{where}: {v!r} is out of range")
    return x


def _dict(v: Any, where: str) -> dict[str, Any]:
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise PlannerError(f"{where}: expected an object with named fields, got {str(v)[:40]!r}")
    return v


def _id(v: Any, where: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int | str) or not str(v).strip().isdigit():
        raise PlannerError(f"{where}: {str(v)[:40]!r} is not an account id")
    return int(v)


def normalise(content: dict[str, Any]) -> dict[str, Any]:
    """A complete, bounded plan from ``content`` (missing parts empty); raises PlannerError
    naming the part that is wrong (a plan may come from a JSON file: any shape can arrive)."""
    c, out = _dict(content, "plan"), empty()
    swot = _dict(c.get("swot"), "SWOT")
    for k in SWOT:
        out["swot"][k] = [
            _text(x, f"SWOT {k}") for x in _list(swot.get(k), f"SWOT {k}") if str(x).strip()
        ]
    for i, g in enumerate(_list(c.get("goals"), "goals"), 1):
        where = f"goal {i}"
        g = _dict(g, where)
        metric = _text(g.get("metric", ""), where)
        out["goals"].append(
            {
                "description": _text(g.get("description", ""), where),
                "metric": metric,
                "target": _number(g.get("target"), f"{where} target"),
                "due": _date(g.get("due"), f"{where} due date"),
                "owner": _text(g.get("owner", ""), where),
            }
        )
    st = _dict(c.get("strategy"), "strategy")
    for i, f in enumerate(_list(st.get("focus"), "focus accounts"), 1):
        f = _dict(f, f"focus {i}")
        out["strategy"]["focus"].append(
            {"account_id": _id(f.get("account_id"), f"focus {i}"),
             "reason": _text(f.get("reason", ""), f"focus {i}")}
        )  # fmt: skip
    freq = _dict(st.get("visit_frequency"), "visit frequency")
    out["strategy"]["visit_frequency"] = {
        _text(k, "visit frequency")[:40]: _number(v, f"visit frequency {k}")
        for k, v in freq.items()
    }
    out["strategy"]["partners"] = [
        _id(p, "partners") for p in _list(st.get("partners"), "partners")
    ]
    out["strategy"]["notes"] = _text(st.get("notes", ""), "strategy notes")
    for i, r in enumerate(_list(c.get("review"), "review log"), 1):
        r = _dict(r, f"review {i}")
        out["review"].append(
            {
                "date": _date(r.get("date"), f"review {i} date"),
                "happened": _text(r.get("happened", ""), f"review {i}"),
                "changes": _text(r.get("changes", ""), f"review {i}"),
            }
        )
    return out


def current(project: Project, territory_id: int) -> Revision:
    """The territory's plan (revision 0 and an empty plan when none was saved)."""
    with project.session() as s:
        row = s.scalar(
            select(PlanDoc)
            .where(PlanDoc.territory_id == territory_id)
            .order_by(PlanDoc.revision.desc())
            .limit(1)
        )
        if row is None:
            return Revision(territory_id, 0, None, "", "", empty())
        return _rev(row)


def history(project: Project, territory_id: int) -> list[Revision]:
    """Every saved revision, oldest first."""
    with project.session() as s:
        rows = s.scalars(
            select(PlanDoc).where(PlanDoc.territory_id == territory_id).order_by(PlanDoc.revision)
        ).all()
        return [_rev(r) for r in rows]


def save(
    project: Project,
    territory_id: int,
    content: dict[str, Any],
    *,
    expected: int,
    label: str = "edit plan",
    user: str = "",
) -> int:
    """Save ``content`` as the next revision; ``expected`` is the revision it was edited from.
    Returns the new revision. Refused (nothing written) when someone saved since."""
    clean = normalise(content)
    try:
        with project.transaction() as s:
            latest = (
                s.scalar(
                    select(func.max(PlanDoc.revision)).where(PlanDoc.territory_id == territory_id)
                )
                or 0
            )
            if latest != expected:
                who = s.scalar(
                    select(PlanDoc.user).where(
                        PlanDoc.territory_id == territory_id, PlanDoc.revision == latest
                    )
                )
                raise PlannerError(
                    f"the plan was changed by {who or 'someone'} since you opened it "
                    f"(revision {latest}, yours {expected}); reload it before saving"
                )
            _sync_partners(s, territory_id, clean["strategy"]["partners"])
            s.add(
                PlanDoc(
                    territory_id=territory_id,
                    revision=latest + 1,
                    content=clean,
                    user=user or current_user(),
                    label=label[:500],
                )
            )
    except IntegrityError:
        raise PlannerError(
            "the plan was saved by someone else at the same moment; reload it"
        ) from None
    return latest + 1


def _sync_partners(s: Any, territory_id: int, partner_ids: list[int]) -> None:
    """The partners the strategy names serve the territory (planner.model.partners): its
    territory-level links become exactly them, in the same transaction as the plan."""
    wanted = set(partner_ids)
    if wanted:
        found = dict(
            s.execute(select(Account.id, Account.status).where(Account.id.in_(wanted))).all()
        )
        bad = sorted(p for p in wanted if found.get(p) != "partner")
        if bad:
            raise PlannerError(f"strategy partners: account {bad[0]} is not a partner")
    links = s.execute(
        select(PartnerLink.id, PartnerLink.partner_id).where(
            PartnerLink.territory_id == territory_id
        )
    ).all()
    have = {pid for _, pid in links}
    gone = [lid for lid, pid in links if pid not in wanted]
    if gone:
        s.execute(delete(PartnerLink).where(PartnerLink.id.in_(gone)))
    for pid in sorted(wanted - have):
        s.add(PartnerLink(partner_id=pid, territory_id=territory_id, note="named in the plan"))


def restore(project: Project, territory_id: int, revision: int, *, user: str = "") -> int:
    """Bring ``revision`` back as a new revision (the history keeps everything)."""
    old = next((r for r in history(project, territory_id) if r.revision == revision), None)
    if old is None:
        raise PlannerError(f"the plan has no revision {revision}")
    latest = current(project, territory_id).revision
    return save(
        project,
        territory_id,
        old.content,
        expected=latest,
        label=f"restore revision {revision}",
        user=user,
    )


def _rev(row: PlanDoc) -> Revision:
    return Revision(
        row.territory_id, row.revision, row.at, row.user, row.label, normalise(row.content)
    )
