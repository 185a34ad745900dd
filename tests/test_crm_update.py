"""CRM owner-change files hold exactly the impact's moved accounts (issue 18, item 5): each one
is a row or is reported with its reason, never dropped silently."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from planner.model import moves, territories
from planner.model.atoms import UNASSIGNED
from planner.model.errors import ImportRefused
from planner.model.impact import impact
from planner.model.io.rep_ids import import_rep_ids
from planner.model.plan import Plan
from planner.model.scenarios import create_scenario
from planner.model.store import Project
from planner.model.synthetic import grid_project
from tests.clirun import one_error_line, run

#: A Salesforce user export: Rep 2 has an e-mail but is not in it; Admin is no rep.
USERS = (
    "Id,Name,Email\r\n005A0000001,Rep 1,rep1@example.com\r\n005A0000003,Rep 3,rep3@example.com\r\n"
    "005A0000099,Admin,admin@example.com\r\n"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Grid T1..T3 (Rep 1..3) and scenario "North": units 0-1 of T1 to T3 (Rep 3), unit 4 of
    T1 to T2 (Rep 2, no user id), unit 8 of T2 to a new territory without a rep, unit 9 of T2
    unassigned. Reps 1 and 3 get their CRM user ids from a user list, Rep 2 only an e-mail."""
    path = tmp_path / "p.tplan"
    grid_project(path).close()
    users = tmp_path / "users.csv"
    users.write_text(USERS, encoding="utf-8")
    with Project.open(path) as p:
        report = import_rep_ids(p, users)
        assert report.updated == 2
        assert "no rep 'Admin'" in report.warnings[0].reason
        with p.transaction() as s:
            from sqlalchemy import update

            from planner.model.schema import Rep

            s.execute(update(Rep).where(Rep.name == "Rep 2").values(email="rep2@example.com"))
        create_scenario(p, "North")
        plan = Plan.load(p, "North")
        plan.apply(moves.for_units(plan, np.array([0, 1]), 2))
        plan.apply(moves.for_units(plan, np.array([4]), 1))
        plan.apply(territories.create(plan, "Vacant", atoms=np.array([8])))
        plan.apply(moves.for_units(plan, np.array([9]), UNASSIGNED))
    return path


def _moved(project: Path, scenario: str = "North", against: str | None = None) -> list[dict]:
    with Project.open(project) as p:
        return impact(p, scenario, against).to_json()["moved_accounts"]  # null: None


def _crm(capsys, project: Path, fmt: str, out: Path, *extra: str) -> dict:
    code, stdout, err = run(capsys, "crm-update", project, "--scenario", "North", "--format", fmt,
                            "--out", out, "--json", *extra)  # fmt: skip
    assert code == 0, err
    return json.loads(stdout)


def _csv(path: Path, encoding: str = "utf-8") -> list[list[str]]:
    with path.open(encoding=encoding, newline="") as fh:
        return list(csv.reader(fh))


def test_salesforce_file_has_every_moved_account_with_a_user_id_the_rest_reported(
    project, tmp_path, capsys
) -> None:
    out = tmp_path / "owners.csv"
    data = _crm(capsys, project, "salesforce", out)
    moved = _moved(project)
    ids = {"Rep 1": "005A0000001", "Rep 3": "005A0000003"}
    want = [[m["account_id"], ids[m["to_rep"]]] for m in moved if m["to_rep"] in ids]
    assert out.read_bytes().startswith(b"Id,OwnerId\r\n")  # no BOM: Data Loader maps "Id"
    assert _csv(out) == [["Id", "OwnerId"], *want]
    missing = {m["account_id"]: m["reason"] for m in data["missing"]}
    in_file = [r[0] for r in want]
    assert sorted(in_file + list(missing)) == sorted(m["account_id"] for m in moved)
    assert len(set(in_file) & set(missing)) == 0
    reasons = {m["account_id"]: m for m in moved}
    for acc, reason in missing.items():
        to = reasons[acc]
        if to["to_territory"] is None:
            assert "unassigned" in reason
        elif to["to_territory"] == "Vacant":
            assert "'Vacant' has no rep" in reason
        else:
            assert to["to_rep"] == "Rep 2"
            assert "has no CRM user id" in reason
    assert {m["to_territory"] for m in moved} == {"T2", "T3", "Vacant", None}  # all four cases
    assert data["moved_accounts"] == len(moved)
    assert data["rows"] == len(want)


def test_the_email_file_names_owners_by_email(project, tmp_path, capsys) -> None:
    out = tmp_path / "owners.csv"
    data = _crm(capsys, project, "salesforce-email", out)
    moved = _moved(project)
    mails = {f"Rep {i}": f"rep{i}@example.com" for i in (1, 2, 3)}
    want = [[m["account_id"], mails[m["to_rep"]]] for m in moved if m["to_rep"]]
    assert _csv(out) == [["Id", "Owner.Email"], *want]
    assert len(want) + len(data["missing"]) == len(moved)


@pytest.mark.parametrize("name", ["owners.csv", "owners.xlsx"])
def test_the_generic_file_is_every_moved_account(project, tmp_path, capsys, name) -> None:
    out = tmp_path / name
    data = _crm(capsys, project, "generic", out, "--effective", "2027-01-04")
    if name.endswith(".csv"):
        rows = _csv(out, "utf-8-sig")
    else:
        ws = openpyxl.load_workbook(out).active
        rows = [["" if v is None else str(v) for v in r] for r in ws.iter_rows(values_only=True)]
    header, body = rows[0], rows[1:]
    assert header == ["external_id", "name", "old_territory", "old_owner", "new_territory",
                      "new_owner", "new_owner_email", "new_owner_crm_user_id",
                      "effective_date"]  # fmt: skip
    moved = _moved(project)
    assert [r[0] for r in body] == [m["account_id"] for m in moved]  # exactly, in impact order
    for r, m in zip(body, moved, strict=True):
        assert r[1:6] == [m["name"], m["from_territory"], m["from_rep"],
                          m["to_territory"] or "", m["to_rep"] or ""]  # fmt: skip
        assert r[8] == "2027-01-04"
    no_owner = [m["account_id"] for m in moved if not m["to_rep"]]
    assert [m["account_id"] for m in data["missing"]] == no_owner
    assert no_owner


def test_after_publishing_the_file_is_what_the_publication_changed(project, tmp_path,
                                                                   capsys) -> None:  # fmt: skip
    before = tmp_path / "before.csv"
    _crm(capsys, project, "generic", before, "--effective", "2027-01-04")
    code, _, err = run(capsys, "scenario", project, "publish", "North", "--effective", "2027-01-04")
    assert code == 0, err
    after = tmp_path / "after.csv"
    data = _crm(capsys, project, "generic", after)  # against: the baseline it replaced
    assert data["effective_date"] == "2027-01-04"  # the publication's date
    assert data["against"].startswith("Baseline before")
    assert _csv(after, "utf-8-sig") == _csv(before, "utf-8-sig")


def test_a_workbook_for_data_loader_is_refused_before_any_work(project, tmp_path,
                                                                capsys) -> None:  # fmt: skip
    out = tmp_path / "owners.xlsx"
    code, _, err = run(capsys, "crm-update", project, "--scenario", "North", "--format",
                       "salesforce", "--out", out)  # fmt: skip
    assert code == 1
    one_error_line(err, "Data Loader reads CSV")
    assert not out.exists()


def test_a_user_list_that_cannot_be_matched_safely_is_refused(project, tmp_path) -> None:
    bad = tmp_path / "users.csv"
    bad.write_text("Id,Name\r\n005A0000003,Rep 2\r\n005B1,Rep 2\r\n005B2,Rep 2\r\n,Rep 1\r\n",
                   encoding="utf-8")  # fmt: skip
    with Project.open(project) as p:
        with pytest.raises(ImportRefused) as err:
            import_rep_ids(p, bad)
        reasons = [(r.row, r.reason) for r in err.value.report.rejected]  # type: ignore[attr-defined]
        assert reasons == [(2, "user id '005A0000003' already belongs to another rep"),
                           (4, "rep 'Rep 2' was given another id in row 3"),
                           (5, "no user id")]  # fmt: skip
        with p.session() as s:
            from sqlalchemy import select

            from planner.model.schema import Rep

            assert s.scalar(select(Rep.crm_user_id).where(Rep.name == "Rep 2")) == ""
