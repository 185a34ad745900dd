"""pyarrow's CSV reader (issue 14's import speed) gives exactly what the csv module path gives.

The account import reads a plain UTF-8 CSV with pyarrow and anything else with the csv module
(:mod:`planner.model.io._csvarrow`). Both are run here on the same files: the cells, row
numbers, rejected rows and warnings must be equal, files pyarrow cannot read the same way must
go to the csv module, and an import through either path must leave the same project.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from planner.model.errors import ImportRefused
from planner.model.io import _csvarrow, _tabular
from planner.model.io._csvarrow import _LONG_BYTES, arrow_grids
from planner.model.io._csvread import csv_grids
from planner.model.io.accounts import import_accounts
from planner.model.io.report import ImportReport
from planner.model.schema import Account, Rep
from planner.model.store import Project
from tests.model.test_import_accounts import add_units

MAX_ROWS = 50_000


def _read(path: Path, *, fast: bool, chunk_cells: int = 12) -> tuple[Any, ...] | str | None:
    """Header, cells, row numbers, rejections and warnings of ``path`` read in chunks, the
    chunks joined (the two readers cut chunks at different places), or the message of a
    refusal; None when the fast reader declines the file."""
    try:
        return _grids(path, fast=fast, chunk_cells=chunk_cells)
    except ImportRefused as exc:
        return str(exc)


def _grids(path: Path, *, fast: bool, chunk_cells: int) -> tuple[Any, ...] | None:
    report = ImportReport(kind="accounts", file=str(path))
    if fast:
        grids = arrow_grids(
            str(path), path, "utf-8", report, chunk_cells=chunk_cells, max_rows=MAX_ROWS
        )
        if grids is None:
            return None
        got = list(grids)
    else:
        with path.open(encoding="utf-8", newline="") as f:
            got = list(csv_grids(str(path), f, report, chunk_cells=chunk_cells, max_rows=MAX_ROWS))
    if not got:
        return ()
    width = len(got[0].header)
    columns = [[v for g in got for v in g.columns[j]] for j in range(width)]
    return (
        got[0].header,
        columns,
        [r for g in got for r in g.rows],
        [(i.row, i.field, i.reason) for g in got for i in g.rejected],
        [(i.row, i.field, i.reason) for i in report.warnings],
        got[-1].final,
    )


def _same(tmp_path: Path, data: bytes) -> bool:
    """True when the fast reader took the file; asserts it read it as the csv module does."""
    path = tmp_path / "a.csv"
    path.write_bytes(data)
    fast = _read(path, fast=True)
    if fast is not None:
        assert fast == _read(path, fast=False)
    return fast is not None


READ_BY_ARROW = {
    "plain": b"id,name\nA1,x\nA2,y\n",
    "crlf": b"id,name\r\nA1,x\r\nA2,y\r\n",
    "old mac line ends": b"id,name\rA1,x\rA2,y\r",
    "old mac line ends, a quote on the last line": b'id,name\rA1,x\rA2,"y, z"\r',
    "crlf, a quote on the last line": b'id,name\r\nA1,"y"\r\n',
    "bom": b"\xef\xbb\xbfid,name\nA1,x\n",
    "blank lines before the header": b"\n , \n\nid,name\nA1,x\n",
    "blank and whitespace lines among rows": b"id,name\nA1,x\n\n   \n , \nA2,y\n\n\n",
    "no final line end": b"id,name\nA1,x\nA2,y",
    "ragged rows": b"id,name\nA1,x,extra\nA2\nA3,x,\nA4,y\n",
    "quoted cells": b'id,name\nA1,"a, b"\nA2,"say ""hi"""\n"A3",""\n',
    "quote inside a cell": b'id,name\nA1,a"b\nA2, "c" \n',
    "semicolons": b"id;name;revenue\nA1;x;1,5\n",
    "tabs": b"id\tname\nA1\tx y\n",
    "unicode spaces": "id,name\nA1,\u3000x\xa0\nA2,\u2003y\n".encode(),
    "unheaded column": b"id,,name\nA1,v,x\nA2,,y\nA3,w,z\n",
    "trailing comma in the header": b"id,name,\nA1,x,\nA2,y,z\n",
    "a long cell": b"id,name\nA1," + b"x" * 40_000 + b"\nA2,y\n",
    "cjk": "编号,名称\nA1,上海公司\n".encode(),
    "header only": b"id,name\n",
    "more rows than allowed": b"id,name\n" + b"A,x\n" * (MAX_ROWS + 5),
    # a trailing comma on every other row of a large block: each skipped line is placed once
    "many ragged rows": b"id,name\n"
    + b"".join(b"A%d,x%s\n" % (i, b"," * (i % 2)) for i in range(40_000)),
}


@pytest.mark.parametrize("data", READ_BY_ARROW.values(), ids=READ_BY_ARROW.keys())
def test_arrow_reads_as_the_csv_module(tmp_path: Path, data: bytes) -> None:
    assert _same(tmp_path, data)


LEFT_TO_THE_CSV_MODULE = {
    "quoted line break": b'id,name\nA1,"two\nlines"\nA2,y\n',
    "text after a closing quote": b'id,name\nA1,"a"b\n',
    "unclosed quote": b'id,name\nA1,"abc\nA2,y\n',
    "nul": b"id,name\nA1,a\x00b\n",
    "very long line": b"id,name\nA1," + b"x" * (2 * _LONG_BYTES) + b"\n",
}


@pytest.mark.parametrize("data", LEFT_TO_THE_CSV_MODULE.values(), ids=LEFT_TO_THE_CSV_MODULE.keys())
def test_files_arrow_would_read_differently_go_to_the_csv_module(
    tmp_path: Path, data: bytes
) -> None:
    assert not _same(tmp_path, data)


def test_other_encodings_go_to_the_csv_module(tmp_path: Path) -> None:
    path = tmp_path / "gb.csv"
    path.write_bytes("编号,名称\nA1,上海公司\n".encode("gb18030"))
    report = ImportReport(kind="accounts", file=str(path))
    assert arrow_grids(str(path), path, "gb18030", report, chunk_cells=10, max_rows=10) is None


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.lists(st.text(alphabet='ab ,;"\n\r\t\u3000\xa0é', max_size=6), min_size=0, max_size=4),
        max_size=12,
    )
)
def test_arrow_reads_any_file_it_takes_as_the_csv_module(
    tmp_path: Path, records: list[list[str]]
) -> None:
    text = "id,name,x\n" + "".join(",".join(r) + "\n" for r in records)
    _same(tmp_path, text.encode())


def _project(tmp_path: Path, name: str) -> Project:
    project = Project.create(tmp_path / name)
    add_units(project)
    return project


def _accounts(project: Project) -> list[tuple[Any, ...]]:
    with project.session() as s:
        rows = s.scalars(select(Account).order_by(Account.id))
        cols = [c.name for c in Account.__table__.columns]
        accounts = [tuple(getattr(a, c) for c in cols) for a in rows]
        return [*accounts, *((r.name,) for r in s.scalars(select(Rep).order_by(Rep.name)))]


def test_an_import_through_either_reader_leaves_the_same_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = io.StringIO()
    out.write("Account ID,Account Name,BillingLatitude,BillingLongitude,zip,Type,Potential,"
              "Annual Revenue,Visits per Year,Account Owner,notes\n")  # fmt: skip
    for i in range(3000):
        lat, lon = (33.75, -84.39) if i % 2 else (42.36, -71.06)
        name = f'"Tom\'s ""Best"", {i}"' if i % 97 == 0 else f" Name {i} "
        where = f"{lat + i * 1e-6:.6f},{lon}" if i % 5 else ","
        zip_ = "02134" if i % 10 == 0 else ""
        status = ("customer", "prospect", "Partner", "weird", "")[i % 5]
        out.write(f"A{i},{name},{where},{zip_},{status},{i}.5,${i},{i % 13},rep {i % 7},n\n")
        if i % 500 == 0:
            out.write("\n")
    path = tmp_path / "accounts.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    fast, slow = _project(tmp_path, "fast.tplan"), _project(tmp_path, "slow.tplan")
    fast_report = import_accounts(fast, path, chunk_cells=5000)
    monkeypatch.setattr(_tabular, "arrow_grids", lambda *a, **k: None)
    slow_report = import_accounts(slow, path, chunk_cells=5000)
    assert fast_report.imported == slow_report.imported == 3000
    assert fast_report.warnings == slow_report.warnings
    assert fast_report.unlocated == slow_report.unlocated > 0
    assert _accounts(fast) == _accounts(slow)


def test_checks_on_arrow_columns_reject_what_the_lists_reject(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spreadsheet errors, over-long text, money forms, blanks and "nan" in a file whose
    chunks carry pyarrow columns (no blank line, no ragged row): the same rows are rejected
    for the same reasons, and the same accounts stored, as through the csv module's lists."""
    out = io.StringIO()
    out.write("Account ID,Account Name,BillingLatitude,BillingLongitude,Type,Potential,"
              "Annual Revenue,Visits per Year,Industry\n")  # fmt: skip
    for i in range(2000):
        lat = ("#N/A" if i == 1500 else "nan") if i % 250 == 7 else f"{33.75 + i * 1e-6:.6f}"
        name = "N" * 301 if i == 1200 else ("#DIV/0!" if i == 40 else f"Name {i}")
        potential = ('"$1,200"', "1.2M", "", "abc", f"{i}")[i % 5] if i % 100 < 5 else f"{i}.25"
        revenue = "#REF!" if i == 1700 else ("" if i % 3 else f"{i}e2")
        out.write(f"A{i},{name},{lat},-84.39,customer,{potential},{revenue},{i % 13},x#{i}\n")
    path = tmp_path / "checks.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    monkeypatch.setattr(_csvarrow, "_ARROW_BLOCK_BYTES", 8192)  # chunks of a few blocks
    report = ImportReport(kind="accounts", file=str(path))
    tables = [t for t in _tabular.iter_tables(path, report, chunk_cells=3000) if len(t.rows)]
    assert len(tables) > 2
    assert all(t.arrow is not None for t in tables), "the arrow columns were not carried"
    fast, slow = _project(tmp_path, "fast.tplan"), _project(tmp_path, "slow.tplan")
    fast_report = import_accounts(fast, path, chunk_cells=3000, skip_invalid=True)
    monkeypatch.setattr(_tabular, "arrow_grids", lambda *a, **k: None)
    slow_report = import_accounts(slow, path, chunk_cells=3000, skip_invalid=True)
    reasons = [(r.row, r.field, r.reason) for r in fast_report.rejected]
    assert reasons == [(r.row, r.field, r.reason) for r in slow_report.rejected]
    assert {(row, field) for row, field, _ in reasons} >= {
        (42, "name"),
        (1202, "name"),
        (1702, "revenue"),
        (5, "potential"),
    }
    assert fast_report.warnings == slow_report.warnings
    assert len(fast_report.warnings) >= 8  # the "nan" and "#N/A" coordinates
    assert _accounts(fast) == _accounts(slow)
