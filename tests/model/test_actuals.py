"""Importing actuals: idempotent, all or nothing, with row-level messages."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from planner.model.errors import ImportRefused
from planner.model.io.actuals import import_actuals
from planner.model.schema import Actual
from planner.model.store import Project
from planner.model.synthetic import grid_project


@pytest.fixture
def grid_p(tmp_path: Path) -> Iterator[Project]:
    p = grid_project(tmp_path / "g.tplan")
    yield p
    p.close()


def _csv(tmp_path: Path, text: str, name: str = "actuals.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _rows(p: Project) -> list[tuple[int, str, int]]:
    with p.session() as s:
        return [
            tuple(r)
            for r in s.execute(  # type: ignore[misc]
                select(Actual.account_id, Actual.booked_on, Actual.amount).order_by(Actual.id)
            )
        ]


def _total(p: Project) -> int:
    with p.session() as s:
        return int(s.scalar(select(func.coalesce(func.sum(Actual.amount), 0))) or 0)


def test_importing_the_same_file_twice_does_not_double_count(
    grid_p: Project, tmp_path: Path
) -> None:
    f = _csv(
        tmp_path,
        "Account ID,Booking Date,Amount,Product\n"
        'A000000,2026-01-15,"$1,000.50",X\nA000001,2026-02-03,2000,Y\n'
        "A000001,2026-02-03,2000,Y\n",
    )  # two identical sales on one day stay two
    first = import_actuals(grid_p, f)
    assert (first.imported, first.updated) == (3, 0)
    assert _total(grid_p) == 100050 + 2 * 200000
    second = import_actuals(grid_p, f)
    assert (second.imported, second.updated) == (0, 3)
    assert _total(grid_p) == 100050 + 2 * 200000


def test_a_booking_id_replaces_its_row_when_reimported(grid_p: Project, tmp_path: Path) -> None:
    import_actuals(
        grid_p, _csv(tmp_path, "Order ID,Account ID,Date,Amount\nO-1,A000000,2026-01-15,100\n")
    )
    rep = import_actuals(
        grid_p,
        _csv(
            tmp_path,
            "Order ID,Account ID,Date,Amount\n"
            "O-1,A000000,2026-01-15,150\nO-2,A000002,2026-03-01,10\n",
            "b.csv",
        ),
    )
    assert (rep.imported, rep.updated) == (1, 1)
    assert _total(grid_p) == 15000 + 1000


def test_a_refused_import_leaves_the_project_unchanged(grid_p: Project, tmp_path: Path) -> None:
    import_actuals(grid_p, _csv(tmp_path, "Account ID,Date,Amount\nA000000,2026-01-15,100\n"))
    before = _rows(grid_p)
    bad = _csv(
        tmp_path,
        "Account ID,Date,Amount\nA000001,2026-01-15,100\n"
        "NOPE,2026-01-16,5\nA000002,31/02/2026,7\nA000003,2026-01-17,#DIV/0!\n",
        "bad.csv",
    )
    with pytest.raises(ImportRefused) as err:
        import_actuals(grid_p, bad)
    msg = str(err.value)
    assert "row 3, field 'account_id'" in msg
    assert "NOPE" in msg
    assert "(and 2 more)" in msg
    report = err.value.report  # type: ignore[attr-defined]
    assert [(r.row, r.field) for r in report.rejected] == [
        (3, "account_id"),
        (4, "date"),
        (5, "amount"),
    ]
    assert _rows(grid_p) == before


def test_skip_invalid_imports_the_valid_rows(grid_p: Project, tmp_path: Path) -> None:
    bad = _csv(tmp_path, "Account ID,Date,Amount\nA000001,2026-01-15,100\nA000001,,5\n")
    rep = import_actuals(grid_p, bad, skip_invalid=True)
    assert rep.imported == 1
    assert rep.rejected[0].reason == "empty date"


def test_a_booking_id_repeated_in_one_file_is_rejected(grid_p: Project, tmp_path: Path) -> None:
    f = _csv(
        tmp_path,
        "Invoice Number,Account ID,Date,Amount\nI1,A000000,2026-01-15,1\nI1,A000001,2026-01-16,2\n",
    )
    with pytest.raises(ImportRefused, match=r"row 3.*repeated"):
        import_actuals(grid_p, f)
    with sqlite3.connect(grid_p.path) as c:
        assert c.execute("SELECT COUNT(*) FROM actual").fetchone() == (0,)
