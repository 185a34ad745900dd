"""Owner-change files a CRM imports, from a scenario's impact (issue 18, item 5).

A plan takes effect only when the CRM's account owners change. The accounts to change are
exactly the impact's moved accounts (:attr:`planner.model.impact.Impact.moved`: the scenario
against the baseline, or, for a published scenario, against the baseline it replaced, as the
handover packets are), in the impact's order; each is keyed by the CRM's own account id (the
account's external id) and gets the rep of its new territory.

- ``salesforce``: Data Loader update CSV ``Id,OwnerId``, the new owner by CRM user id
  (:attr:`~planner.model.schema.Rep.crm_user_id`, e.g. from
  :func:`~planner.model.io.rep_ids.import_rep_ids`).
- ``salesforce-email``: ``Id,Owner.Email``, the new owner by e-mail, for when user ids are not
  known (resolve them in the CRM, e.g. with a lookup, before loading).
- ``generic``: one row per moved account with ``external_id, name, old_territory, old_owner,
  new_territory, new_owner, new_owner_email, new_owner_crm_user_id, effective_date``; CSV, or
  XLSX when the file name ends in ``.xlsx``.

Nothing is dropped silently: a moved account whose new owner cannot be named (unassigned in the
scenario, a territory without a rep, a rep without the id or e-mail the format needs) is listed
in :attr:`CrmUpdate.missing` with the reason. The Salesforce files leave it out (an empty
``OwnerId`` would fail the row, or worse, clear the owner); the generic file keeps it with an
empty new owner. CSV cells that a spreadsheet would run as a formula get an apostrophe and XLSX
cells stay text (:mod:`planner.model.io._cells`); files are written whole or not at all
(:mod:`planner.model.io._output`). Data Loader files are UTF-8 without a byte order mark (a BOM
would become part of the ``Id`` header); the generic CSV has one, for Excel.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select, text

from planner.model.errors import PlannerError
from planner.model.handover import default_against
from planner.model.impact import impact
from planner.model.io._cells import neutralise_frame, textify
from planner.model.io._output import Protected, write_atomic
from planner.model.scenario_rows import resolve
from planner.model.schema import Publication
from planner.model.store import Project

FORMATS = ("salesforce", "salesforce-email", "generic")
#: The file's columns per format; the first is the account id, for every format.
COLUMNS: dict[str, tuple[str, ...]] = {
    "salesforce": ("Id", "OwnerId"),
    "salesforce-email": ("Id", "Owner.Email"),
    "generic": (
        "external_id", "name", "old_territory", "old_owner", "new_territory", "new_owner",
        "new_owner_email", "new_owner_crm_user_id", "effective_date",
    ),
}  # fmt: skip
#: What each Salesforce format needs of the new owner, and how to say it is missing.
_NEEDS = {"salesforce": ("crm_user_id", "CRM user id"), "salesforce-email": ("email", "e-mail")}
_OWNER_SQL = (
    "SELECT st.name, r.name AS rep, r.email, r.crm_user_id FROM scenario_territory st "
    "LEFT JOIN rep r ON r.id = st.rep_id WHERE st.scenario_id = :s"
)


@dataclass(frozen=True)
class Missing:
    """A moved account whose new owner the file cannot name."""

    account_id: str
    name: str
    to_territory: str | None
    to_owner: str | None
    reason: str


@dataclass
class CrmUpdate:
    scenario: str
    against: str
    format: str
    effective_date: dt.date
    #: The file's rows (columns :data:`COLUMNS` of the format), in the impact's order.
    rows: pd.DataFrame
    #: Moved accounts in the impact.
    moved: int
    missing: list[Missing] = field(default_factory=list)
    #: Moved accounts whose rep does not change (a territory move under the same rep).
    same_owner: int = 0

    def to_json(self, file: Path | None = None) -> dict[str, Any]:
        return {
            "scenario": self.scenario, "against": self.against, "format": self.format,
            "file": str(file) if file else None,
            "effective_date": self.effective_date.isoformat(), "moved_accounts": self.moved,
            "rows": len(self.rows), "same_owner": self.same_owner,
            "missing": [m.__dict__ for m in self.missing],
        }  # fmt: skip


def crm_update(
    project: Project,
    scenario: int | str | None,
    against: int | str | None = None,
    *,
    fmt: str = "salesforce",
    effective: dt.date | None = None,
) -> CrmUpdate:
    """The owner changes of ``scenario`` against ``against`` in format ``fmt``.

    ``against`` defaults to the baseline, or for a published scenario to the baseline its
    publication replaced; ``effective`` to the publication's effective date, else today.
    """
    if fmt not in FORMATS:
        raise PlannerError(f"unknown CRM update format '{fmt}' ({', '.join(FORMATS)})")
    with project.session() as s:
        sid = resolve(s, scenario).id
        published = s.scalar(
            select(Publication.effective_date)
            .where(Publication.scenario_id == sid)
            .order_by(Publication.at.desc(), Publication.id.desc())
        )
    if against is None:
        against = default_against(project, sid)
    imp = impact(project, sid, against)
    with project.session() as s:
        bid = resolve(s, against).id
    new, old = _owners(project, sid), _owners(project, bid)
    day = effective or published or dt.date.today()
    moved = imp.moved
    rows, missing = [], []
    # Missing names are NaN in pandas' string columns: None, as Impact documents them.
    records = [{str(k): None if _missing(v) else v for k, v in rec.items()}
               for rec in moved.to_dict("records")]  # fmt: skip
    for rec in records:
        to = new.get(rec["to_territory"], {}) if rec["to_territory"] is not None else {}
        reason = _reason(fmt, rec["to_territory"], to)
        if reason:
            missing.append(Missing(str(rec["account_id"]), str(rec["name"]), rec["to_territory"],
                                   to.get("rep"), reason))  # fmt: skip
        if reason and fmt != "generic":
            continue
        frm = old.get(rec["from_territory"], {}) if rec["from_territory"] is not None else {}
        rows.append(_row(fmt, rec, frm, to, day))
    same = sum(1 for r in records if r["from_rep"] is not None and r["from_rep"] == r["to_rep"])
    frame = pd.DataFrame(rows, columns=list(COLUMNS[fmt]))
    return CrmUpdate(imp.scenario, imp.against, fmt, day, frame, len(moved), missing, same)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)  # NaN


def _owners(project: Project, scenario_id: int) -> dict[str, dict[str, str]]:
    """Territory name -> its rep's name, e-mail and CRM user id ({} for a territory without a
    rep) in one scenario (territory names are unique per scenario)."""
    with project.engine.connect() as c:
        result = c.execute(text(_OWNER_SQL), {"s": scenario_id}).mappings().all()
    return {str(r["name"]): ({k: str(r[k] or "") for k in ("rep", "email", "crm_user_id")}
                             if r["rep"] is not None else {}) for r in result}  # fmt: skip


def _reason(fmt: str, territory: str | None, owner: dict[str, str]) -> str:
    """Why the new owner cannot be written in ``fmt`` ("" when it can)."""
    if territory is None:
        return "unassigned in the scenario: no new owner"
    if not owner:
        return f"territory '{territory}' has no rep"
    if fmt in _NEEDS and not owner[_NEEDS[fmt][0]]:
        hint = ("import the CRM's user list, or use --format salesforce-email"
                if fmt == "salesforce" else "give the rep an e-mail")  # fmt: skip
        return f"rep '{owner['rep']}' has no {_NEEDS[fmt][1]} ({hint})"
    return ""


def _row(
    fmt: str, rec: dict[str, Any], frm: dict[str, str], to: dict[str, str], day: dt.date
) -> list[Any]:
    if fmt == "salesforce":
        return [rec["account_id"], to["crm_user_id"]]
    if fmt == "salesforce-email":
        return [rec["account_id"], to["email"]]
    return [rec["account_id"], rec["name"], rec["from_territory"] or "", frm.get("rep", ""),
            rec["to_territory"] or "", to.get("rep", ""), to.get("email", ""),
            to.get("crm_user_id", ""), day.isoformat()]  # fmt: skip


def check_target(fmt: str, out: Path) -> bool:
    """True when ``out`` is to be XLSX; refuses an XLSX name for the Data Loader formats
    (called before any work, and again by the writer)."""
    xlsx = Path(out).suffix.lower() == ".xlsx"
    if xlsx and fmt != "generic":
        raise PlannerError(f"{out}: Data Loader reads CSV; give a .csv file name for --format "
                           f"{fmt} (or use --format generic for XLSX)")  # fmt: skip
    return xlsx


def write_crm_update(update: CrmUpdate, out: Path, *, protect: Protected | None = None) -> Path:
    """Write ``update`` to ``out``: CSV, or XLSX for a generic file named ``*.xlsx``."""
    xlsx = check_target(update.format, out)

    def write(tmp: Path) -> None:
        if xlsx:
            with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
                update.rows.to_excel(xw, sheet_name="Owner changes", index=False)
                textify(xw.book)
            return
        encoding = "utf-8-sig" if update.format == "generic" else "utf-8"
        neutralise_frame(update.rows).to_csv(tmp, index=False, encoding=encoding,
                                             lineterminator="\r\n")  # fmt: skip

    return write_atomic(out, write, protect=protect)
