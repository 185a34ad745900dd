"""Tables that are not what they seem (issue 13, items 3 and 9): ragged rows, broken quoting,
damaged workbooks, spreadsheet error values. Each is reported by file, row and field; nothing is
realigned, nothing half-imported."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from planner.model.io.accounts import import_accounts
from planner.model.io.related import import_related
from planner.model.io.territories import import_territories
from planner.model.schema import Contact, Territory
from planner.model.store import Project
from tests.model import importing
from tests.model.importing import accounts, patched_xlsx, refused_accounts, write, xlsx


def test_trailing_comma_on_every_row_is_refused_not_shifted(
    project: Project, tmp_path: Path
) -> None:
    # The file: pandas made the ids an index, so names became ids and 100 a name.
    path = write(tmp_path, "trail.csv", "id,name,potential\nA1,Acme Corp,100,\nA2,Beta,200,\n")
    msg = refused_accounts(project, path)
    assert "trail.csv" in msg
    assert "row 2" in msg
    assert "column 4" in msg
    assert "trailing comma" in msg
    assert accounts(project) == {}


def test_ragged_rows_are_rejected_by_row_and_the_rest_imported_when_skipping(
    project: Project, tmp_path: Path
) -> None:
    content = (
        "id,name,potential\n"
        "A1,Acme Corp,100\n"
        "A2,Short\n"  # a cell missing
        "A3,Acme, Inc.,300\n"  # an unquoted comma in the name
        "A4,Fine,400\n"
    )
    path = write(tmp_path, "r.csv", content)
    msg = refused_accounts(project, path)
    assert "row 3" in msg
    assert "'potential'" in msg
    report = import_accounts(project, path, skip_invalid=True)
    assert (report.read, report.imported) == (4, 2)
    assert [(r.row, r.field) for r in report.rejected] == [(3, "potential"), (4, "column 4")]
    assert "extra value '300'" in report.rejected[1].reason
    acc = accounts(project)
    assert sorted(acc) == ["A1", "A4"]
    assert (acc["A1"].name, acc["A1"].potential) == ("Acme Corp", 100)  # nothing shifted
    assert (acc["A4"].name, acc["A4"].potential) == ("Fine", 400)


def test_a_header_with_a_trailing_comma_matches_rows_with_one(
    project: Project, tmp_path: Path
) -> None:
    path = write(tmp_path, "t.csv", "id,name,potential,\nA1,Acme Corp,100,\n")
    report = import_accounts(project, path)
    assert report.imported == 1
    assert accounts(project)["A1"].potential == 100


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('id,name,potential\nA1,"Acme Corp,100\nA2,Beta,200\n', "row 2 (line 2): a quoted cell"),
        ('id,name,potential\nA1,Acme,1\nA2,"Beta" Ltd,2\n', "row 3 (line 3): text follows"),
        ('id,name\nA1,"two\nlines"\nA2,"x\n', "row 3 (line 4): a quoted cell"),
    ],
)
def test_broken_quoting_refused_with_row_and_line(
    project: Project, tmp_path: Path, content: str, expected: str
) -> None:
    msg = refused_accounts(project, write(tmp_path, "q.csv", content))
    assert msg.startswith(f"{tmp_path / 'q.csv'}: {expected}")
    assert "\n" not in msg


def test_a_line_break_in_a_header_keeps_the_message_on_one_line(
    project: Project, tmp_path: Path
) -> None:
    path = write(tmp_path, "h.csv", 'id,name,"Annual\nRevenue"\nA1,Acme\n')
    msg = refused_accounts(project, path)
    assert "row 2, field 'Annual Revenue': 2 cells, the header has 3" in msg
    assert "\n" not in msg


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_byte_order_mark_is_read(
    project: Project, tmp_path: Path, encoding: str
) -> None:
    # Plain ASCII text: it also decodes as UTF-8, full of NULs.
    report = import_accounts(project, write(tmp_path, "u.csv", "id,name\nA1,Acme\n", encoding))
    assert report.imported == 1
    assert accounts(project)["A1"].name == "Acme"


def test_utf16_named_for_a_file_without_byte_order_mark_is_refused_not_a_traceback(
    project: Project, tmp_path: Path
) -> None:
    # --encoding utf-16 wants a BOM; Python's codec raises a bare UnicodeError without one
    path = write(tmp_path, "u.csv", "id,name\nA1,Acme\n", "utf-16-le")
    message = refused_accounts(project, path, encoding="utf-16")
    assert "cannot be decoded as utf-16" in message
    assert "BOM" in message


def test_ragged_related_and_plan_rows_rejected(project: Project, tmp_path: Path) -> None:
    import_accounts(project, write(tmp_path, "a.csv", "id,name\nA1,Acme\n"))
    contacts = write(tmp_path, "c.csv", "Account ID,Name,Email\nA1,Ann,a@x.com,\n")
    msg = importing.refused(project, lambda: import_related(project, contacts, "contacts"))
    assert "row 2, field 'column 4'" in msg
    plan = write(tmp_path, "plan.csv", "account_id,owner\nA1,North,\n")
    msg = importing.refused(project, lambda: import_territories(project, plan))
    assert "row 2, field 'column 3'" in msg
    with project.session() as s:
        assert list(s.scalars(select(Contact))) == []
        assert list(s.scalars(select(Territory))) == []


def test_plan_rows_are_numbered_as_a_spreadsheet_shows_them(
    project: Project, tmp_path: Path
) -> None:
    import_accounts(project, write(tmp_path, "a.csv", "id,name\nA1,Acme\n"))
    plan = write(tmp_path, "plan.csv", "account_id,owner\n\nA1,North\nZZ,South\n")
    msg = importing.refused(project, lambda: import_territories(project, plan))
    assert "row 4, field 'account_id': unknown account id 'ZZ'" in msg


def test_nul_and_oversized_cells_reject_their_row(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, "n.csv", f"id,name,notes\nA1,Ac\x00me,\nA2,B,{'x' * 40_000}\nA3,C,\n")
    report = import_accounts(project, path, skip_invalid=True)
    assert [(r.row, r.field) for r in report.rejected] == [(2, "name"), (3, "notes")]
    assert "NUL" in report.rejected[0].reason
    assert "40,000 characters" in report.rejected[1].reason
    assert sorted(accounts(project)) == ["A3"]


def test_spreadsheet_error_values_are_not_names_or_amounts(
    project: Project, tmp_path: Path
) -> None:
    path = xlsx(tmp_path / "e.xlsx", [["id", "name", "potential"], ["A1", "#N/A", 5],
                                     ["A2", "Beta", "#DIV/0!"], ["A3", "Gamma", 7]])  # fmt: skip
    report = import_accounts(project, path, skip_invalid=True)
    assert [(r.row, r.field) for r in report.rejected] == [(2, "name"), (3, "potential")]
    assert "'#N/A' is a spreadsheet error" in report.rejected[0].reason
    assert sorted(accounts(project)) == ["A3"]


def test_cached_error_cell_of_a_workbook(project: Project, tmp_path: Path) -> None:
    base = xlsx(tmp_path / "b.xlsx", [["id", "name", "potential"], ["A1", "Acme", 1]])
    path = patched_xlsx(
        base,
        tmp_path / "err.xlsx",
        xl_worksheets_sheet1_xml=lambda x: x.replace(
            '<c r="C2" t="n"><v>1</v></c>', '<c r="C2" t="e"><v>#DIV/0!</v></c>'
        ),
    )
    msg = refused_accounts(project, path)
    assert "row 2, field 'potential': '#DIV/0!' is a spreadsheet error" in msg


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ({"xl_worksheets_sheet1_xml": lambda x: x[: len(x) // 2]}, "damaged"),
        ({"xl_worksheets_sheet1_xml": lambda x: x.replace("<v>1</v>", "<v>one</v>")}, "damaged"),
        ({"xl_worksheets_sheet1_xml": None}, "no worksheet"),
        ({"xl_workbook_xml": lambda x: x.replace("<sheets>", "<x>").replace("</sheets>", "</x>")},
         "no worksheet"),
    ],
)  # fmt: skip
def test_damaged_workbooks_refused_in_one_line(
    project: Project, tmp_path: Path, parts: dict, expected: str
) -> None:
    base = xlsx(tmp_path / "b.xlsx", [["id", "name", "potential"], ["A1", "Acme", 1]])
    msg = refused_accounts(project, patched_xlsx(base, tmp_path / "bad.xlsx", **parts))
    assert msg.startswith(f"{tmp_path / 'bad.xlsx'}: ")
    assert expected in msg
    assert "\n" not in msg


def test_truncated_workbook_refused(project: Project, tmp_path: Path) -> None:
    data = xlsx(tmp_path / "b.xlsx", [["id", "name"], ["A1", "Acme"]]).read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(data[: len(data) // 2])
    assert "cut.xlsx: not a readable" in refused_accounts(project, path)


def test_workbook_value_in_a_column_without_header_is_warned_about(
    project: Project, tmp_path: Path
) -> None:
    rows = [["id", "name"], ["A1", "Acme", "stray note"], ["A2", "Beta"]]
    report = import_accounts(project, xlsx(tmp_path / "w.xlsx", rows))
    assert report.imported == 2
    assert [(w.row, w.field) for w in report.warnings] == [(2, "column 3")]
    assert "not read" in report.warnings[0].reason
