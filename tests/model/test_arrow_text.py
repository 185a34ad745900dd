"""A column read by pyarrow stays Arrow until its strings are used, and then is the list the
csv module's reader gives (issue 14: a plain-number column of 10M accounts never becomes 10M
Python strings)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from planner.model.io import _csvarrow
from planner.model.io._arrow_text import ArrowText
from planner.model.io._tabular import iter_tables
from planner.model.io.accounts import import_accounts
from planner.model.io.report import ImportReport


def test_it_answers_length_membership_and_extend_without_making_strings() -> None:
    column = ArrowText(arrays=[pa.array(["a", "", "c"])])
    column.extend(ArrowText(arrays=[pa.array(["d"])]))
    assert len(column) == 4
    assert "" in column
    assert "d" in column
    assert "x" not in column
    assert not column.made
    assert column == ["a", "", "c", "d"]
    assert column.made
    assert column[1:3] == ["", "c"]
    assert list(reversed(column)) == ["d", "c", "", "a"]
    column.extend(["e"])
    assert column[-1] == "e"
    assert column.count("") == 1


def test_an_empty_column() -> None:
    column = ArrowText(arrays=[pa.array([], pa.string())])
    assert len(column) == 0
    assert "" not in column
    assert list(column) == []


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "accounts.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_number_column_read_in_chunks_is_never_made_into_strings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chunks' amount column is cast from Arrow (its text made only for a message), even
    when a chunk is several of pyarrow's blocks; the text columns read as the csv module's."""
    monkeypatch.setattr(_csvarrow, "_ARROW_BLOCK_BYTES", 1024)  # ~50 rows a block
    rows = "".join(f"A{i},Name {i},{i}.5,{i}\n" for i in range(1000))
    path = write(tmp_path, "id,name,potential,visits\n" + rows)
    report = ImportReport(kind="accounts", file=str(path))
    tables = [t for t in iter_tables(path, report, chunk_cells=4 * 200) if len(t.rows)]
    assert len(tables) >= 4
    for table in tables:
        potential = table.columns["potential"]
        assert isinstance(potential, ArrowText)
        assert not potential.made
        assert len(potential) == len(table.rows)
    assert [v for t in tables for v in t.columns["name"]] == [f"Name {i}" for i in range(1000)]
    assert [v for t in tables for v in t.columns["potential"]] == [f"{i}.5" for i in range(1000)]


def test_a_bad_number_in_an_arrow_column_is_quoted_from_its_text(tmp_path: Path) -> None:
    """The row's message quotes the cell as written, made from the Arrow column on demand."""
    from planner.model.errors import ImportRefused
    from planner.model.store import Project

    project = Project.create(tmp_path / "p.tplan")
    rows = "".join(f"A{i},Name {i},{i}\n" for i in range(50))
    path = write(tmp_path, "id,name,potential\n" + rows + "A50,Name 50,lots\n" + rows[:0])
    try:
        import_accounts(project, path, chunk_cells=3 * 20)
    except ImportRefused as refused:
        (issue,) = refused.report.rejected
        assert issue.row == 52
        assert issue.field == "potential"
        assert "'lots'" in issue.reason or '"lots"' in issue.reason
    else:
        raise AssertionError("a bad amount was imported")
    project.close()
