"""Contacts, opportunities and activities linked to imported accounts, from real files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from planner.model.io.accounts import import_accounts
from planner.model.io.related import import_related
from planner.model.schema import Account, Activity, Contact, Opportunity
from planner.model.store import Project
from tests.model import importing
from tests.model.importing import write


@pytest.fixture
def project(tmp_path: Path) -> Project:
    p = Project.create(tmp_path / "t.tplan")
    acc = tmp_path / "accounts.csv"
    acc.write_text("Account ID,Account Name\n001A,Acme\n001B,Globex\nC1,华东机械\n")
    import_accounts(p, acc)
    yield p
    p.close()


def account_ids(project: Project) -> dict[int, str]:
    with project.session() as s:
        return {a.id: a.external_id for a in s.scalars(select(Account))}


def rows_of(project: Project, model: type) -> list:
    with project.session() as s:
        return list(s.scalars(select(model).order_by(model.id)))


def refused(project: Project, path: Path, kind: str, **kw: object) -> str:
    return importing.refused(
        project,
        lambda: import_related(project, path, kind, **kw),  # type: ignore[arg-type]
    )


def test_salesforce_contacts(project: Project, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "contacts.csv",
        "Account ID,First Name,Last Name,Title,Decision Maker,Phone,Email\n"
        "001A,Ana,Ruiz,CFO,Yes,+1 555 0100,ana@acme.test\n"
        "001A,Bo,Li,Buyer,no,,\n"
        "001B,<b>Eve</b>,,CEO,1,,\n",
    )
    report = import_related(project, path, "contacts")
    assert (report.read, report.imported) == (3, 3)
    ids = account_ids(project)
    got = [(ids[c.account_id], c.name, c.role, c.decision_maker) for c in rows_of(project, Contact)]
    assert got == [
        ("001A", "Ana Ruiz", "CFO", True),
        ("001A", "Bo Li", "Buyer", False),
        ("001B", "<b>Eve</b>", "CEO", True),
    ]
    assert rows_of(project, Contact)[0].email == "ana@acme.test"


def test_chinese_contacts_gb18030(project: Project, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "联系人.csv",
        "客户编号,联系人,职位,是否决策人,电话\nC1,王芳,总经理,是,13800000000\n",
        "gb18030",
    )
    import_related(project, path, "contacts")
    (c,) = rows_of(project, Contact)
    assert (c.name, c.role, c.decision_maker, c.phone) == ("王芳", "总经理", True, "13800000000")


def test_opportunities_dates_amounts_and_open_state(project: Project, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "opps.csv",
        "AccountId,Opportunity Name,Stage,Amount,Close Date,Next Step\n"
        '001A,Renewal,Negotiation,"$1,200,000",2024-03-05,Send quote\n'
        "001A,Upsell,Closed Won,1.5M,3/5/2024,\n"
        "001B,Pilot,Closed Lost,(500),,\n"
        "C1,扩产,赢单,¥35000,2024年3月5日,\n",
    )
    report = import_related(project, path, "opportunities")
    assert report.imported == 4
    opps = {o.name: o for o in rows_of(project, Opportunity)}
    assert opps["Renewal"].amount == 1_200_000
    assert opps["Renewal"].is_open
    assert opps["Renewal"].close_date == dt.date(2024, 3, 5)
    assert opps["Upsell"].close_date == dt.date(2024, 3, 5)
    assert opps["扩产"].close_date == dt.date(2024, 3, 5)
    assert not opps["Upsell"].is_open
    assert not opps["Pilot"].is_open
    assert not opps["扩产"].is_open
    assert opps["Pilot"].amount == -500
    assert opps["Pilot"].close_date is None
    assert opps["Upsell"].amount == 1_500_000


def test_explicit_closed_column_wins_over_stage(project: Project, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "o.csv",
        "account_id,name,stage,IsClosed\n001A,X,Custom Done,true\n001A,Y,Closed Won,false\n",
    )
    import_related(project, path, "opportunities")
    assert [o.is_open for o in rows_of(project, Opportunity)] == [False, True]


def test_unparseable_date_and_unknown_account(project: Project, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "bad.csv",
        "Account ID,Opportunity Name,Close Date\n"
        "001A,Ok,2024-01-31\n001A,Bad,next week\nZZZ,Lost,\n",
    )
    msg = refused(project, path, "opportunities")
    assert "bad.csv" in msg
    assert "row 3" in msg
    assert "'close_date'" in msg
    assert "'next week'" in msg
    assert "1 more" in msg
    report = import_related(project, path, "opportunities", skip_invalid=True)
    assert report.imported == 1
    assert {(r.row, r.field) for r in report.rejected} == {(3, "close_date"), (4, "account_id")}
    assert any("ZZZ" in r.reason for r in report.rejected)


def test_activities_xlsx_with_real_dates(project: Project, tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Account ID", "Activity Type", "Activity Date", "Subject", "Assigned"])
    ws.append(["001A", "Visit", dt.datetime(2024, 6, 1), "Quarterly review", "Ana Ruiz"])
    ws.append(["001B", "Call", "2024/06/02", "<script>x</script>", "Ben"])
    path = tmp_path / "acts.xlsx"
    wb.save(path)
    report = import_related(project, path, "activities")
    assert report.imported == 2
    acts = rows_of(project, Activity)
    assert [(a.type, a.date, a.by) for a in acts] == [
        ("Visit", dt.date(2024, 6, 1), "Ana Ruiz"),
        ("Call", dt.date(2024, 6, 2), "Ben"),
    ]
    assert acts[1].summary == "<script>x</script>"


def test_reimport_does_not_double(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "account_id,type,date,summary\n001A,Call,2024-01-01,Hi\n")
    import_related(project, path, "activities")
    report = import_related(project, path, "activities")
    assert report.imported == 0
    assert report.extra["already_present"] == 1
    assert len(rows_of(project, Activity)) == 1


def test_missing_account_column_and_mapping(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "Kunde,Name\n001A,Ana\n")
    msg = refused(project, path, "contacts")
    assert "account_id" in msg
    assert "'Kunde'" in msg
    report = import_related(project, path, "contacts", mapping={"account_id": "Kunde"})
    assert report.extra["mapping"] == {"account_id": "Kunde", "name": "Name"}
    assert rows_of(project, Contact)[0].name == "Ana"


def test_contacts_without_any_name_column_refused(project: Project, tmp_path: Path) -> None:
    msg = refused(project, write(tmp_path, "c.csv", "Account ID,Email\n001A,a@b.c\n"), "contacts")
    assert "name" in msg
    assert "'Email'" in msg


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02\xff" * 500, "not a text table"),
        (b"Account ID,Name\n", "no data rows"),
    ],
)
def test_unusable_files_refused(
    project: Project, tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "junk.csv"
    path.write_bytes(content)
    msg = refused(project, path, "activities")
    assert "junk.csv" in msg
    assert expected in msg
