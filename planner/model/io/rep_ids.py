"""The reps' CRM user ids (and e-mails) from a CRM user list, for owner-change files.

A Salesforce Data Loader update names the new owner by ``User.Id`` (the ``OwnerId`` of its
accounts); :mod:`planner.model.io.crm_update` can only write that for reps whose id the project
knows (:attr:`~planner.model.schema.Rep.crm_user_id`). A CRM's user export (Salesforce:
``Id, Name, Email``; or any ``name,email,crm_user_id`` file) gives them: each row finds its rep by
name, else by e-mail (ignoring case), and sets its id and, when given, its e-mail.

A user list holds everyone in the CRM (admins, support, former staff), so a row that matches no
rep is a warning, not a rejection: nothing is created. Rejected (and, by default, the whole
file refused, as every import): a row without an id, a name shared by several reps (give the
e-mail instead), an id given to two reps, or one rep given two ids. Same reading rules as every
tabular import (:func:`~planner.model.io._tabular.read_table`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from planner.model.io import _columns as cols
from planner.model.io._messages import quote
from planner.model.io._rowchecks import RowChecks
from planner.model.io._tabular import read_table
from planner.model.io.report import ImportReport
from planner.model.schema import Rep
from planner.model.store import Project

REP_COLUMNS = cols.synonym_table(
    """
crm_user_id: crm_user_id | CRM User ID | User ID | UserId | OwnerId | Owner ID | Id |
    用户ID | 用户编号
name: Full Name | Name | name | rep | Rep Name | User | User Name | Owner Name | Account Owner |
    姓名 | 销售代表
email: Email | E-mail | Email Address | email | 邮箱 | 电子邮件
"""
)
REQUIRED = ("crm_user_id",)


def import_rep_ids(
    project: Project, path: Path, *, encoding: str | None = None, skip_invalid: bool = False
) -> ImportReport:
    """Set the CRM user id (and e-mail) of the reps a user list names; returns the report
    (kind ``"reps"``; ``updated`` counts the reps changed)."""
    path = Path(path)
    report = ImportReport(kind="reps", file=str(path))
    table = read_table(path, report, encoding=encoding)
    fmap = cols.resolve_mapping(table.headers, REP_COLUMNS, REQUIRED, None, report)
    if "name" not in fmap and "email" not in fmap:
        raise report.refuse(f"{path.name}: no Name or Email column to find each rep by")
    frame = table.frame

    def column(fld: str) -> list[str]:
        return [str(v).strip() for v in frame[fmap[fld]]] if fld in fmap else [""] * len(frame)

    ids, names, emails = column("crm_user_id"), column("name"), column("email")
    check = RowChecks(report, table.rows.to_numpy(), np.ones(len(frame), dtype=bool))
    for fld, cells in (("crm_user_id", ids), ("name", names), ("email", emails)):
        if fld in fmap:
            check.spreadsheet_errors(fmap[fld], cells)
            check.too_long(fld, cells, Rep, label=fmap[fld])
    check.reject(np.array([not i for i in ids], dtype=bool), fmap["crm_user_id"], "no user id")
    with project.transaction() as s:
        wanted = _match(s, check, fmap, ids, names, emails)
        report.rejected.sort(key=lambda r: r.row or 0)
        report.check_rejections(skip_invalid)
        for rep_id, (crm_id, email) in wanted.items():
            values: dict[str, Any] = {"crm_user_id": crm_id}
            if email:
                values["email"] = email
            s.execute(update(Rep).where(Rep.id == rep_id).values(**values))
        report.imported = report.updated = len(wanted)
    return report


def _match(
    s: Session,
    check: RowChecks,
    fmap: dict[str, str],
    ids: list[str],
    names: list[str],
    emails: list[str],
) -> dict[int, tuple[str, str]]:
    """Rep id -> (CRM id, e-mail) for the rows that find exactly one rep; the rest are
    rejected or warned about in ``check.report``."""
    by_name: dict[str, list[int]] = {}
    by_email: dict[str, list[int]] = {}
    held: dict[str, int] = {}
    for rid, name, email, crm_id in s.execute(select(Rep.id, Rep.name, Rep.email,
                                                     Rep.crm_user_id)):  # fmt: skip
        by_name.setdefault(name.strip(), []).append(rid)
        if email:
            by_email.setdefault(email.strip().casefold(), []).append(rid)
        if crm_id:
            held[crm_id] = rid
    report, id_col = check.report, fmap["crm_user_id"]
    where = fmap.get("name") or fmap.get("email") or id_col
    wanted: dict[int, tuple[str, str]] = {}
    first_row: dict[int, int] = {}
    for i in np.flatnonzero(check.ok):
        row = int(check.rows[i])
        found = by_name.get(names[i]) if names[i] else None
        found = found or (by_email.get(emails[i].casefold()) if emails[i] else None)
        who = quote(names[i] or emails[i])
        if not found:
            report.warn(row, where, f"no rep {who} in the project: skipped")
        elif len(found) > 1:
            report.reject(row, where, f"{len(found)} reps are called {who}: give their e-mail")
        elif found[0] in wanted and wanted[found[0]][0] != ids[i]:
            report.reject(row, id_col, f"rep {who} was given another id in row "
                          f"{first_row[found[0]]}")  # fmt: skip
        elif held.get(ids[i], found[0]) != found[0]:
            report.reject(row, id_col, f"user id {quote(ids[i])} already belongs to another rep")
        else:
            wanted[found[0]] = (ids[i], emails[i])
            first_row.setdefault(found[0], row)
            held[ids[i]] = found[0]
    return wanted
