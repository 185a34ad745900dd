"""Strings read from a table a block at a time (the first open after an import) are the
values as stored, whatever mix of text a block holds."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from planner.model import _table_arrays
from planner.model.store import Project


@pytest.mark.parametrize(
    "values",
    [
        ["A1", "Acme Inc.", "", "B 2"],  # all ASCII: the joined path
        ["Müller GmbH", "", "東京支店", "Zoë's"],  # UTF-8 of several bytes a character
        ["A1", "Ünal", "", "🙂 emoji", "b", "e\u0301"],  # 4-byte and combining characters
        ["", "", "é"],
        ["A1", None, "x"],  # NULL reads as the empty string
        [12, "A1", 3.5],  # numbers stored in a text column (SQLite keeps their type)
        [],
    ],
)
def test_strings_read_back_as_stored(
    tmp_path: Path, values: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_table_arrays, "BLOCK", 2)  # several blocks, each decided on its own
    project = Project.create(tmp_path / "p.tplan")
    with project.transaction() as s:
        s.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
        for i, v in enumerate(values):
            s.execute(text("INSERT INTO t (id, v) VALUES (:i, :v)"), {"i": i, "v": v})
    (column,) = _table_arrays.strings(project, "SELECT v FROM t ORDER BY id", 1)
    expected = ["" if v is None else str(v) for v in values]
    assert [column[i] for i in range(len(values))] == expected
    assert len(column) == len(values)
    project.close()
