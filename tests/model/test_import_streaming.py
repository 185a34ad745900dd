"""Account files read in chunks (issue 14): a file of millions of rows is streamed, and what a
user sees — accounts, units, rejections, warnings, refusals — is the same as when the file is
read whole. Small chunks here stand for the six million cells of a real chunk."""

from __future__ import annotations

import csv
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select, text

from planner.model.io import _account_write
from planner.model.io.accounts import import_accounts
from planner.model.io.report import ImportReport
from planner.model.schema import Account
from planner.model.store import Project
from tests.model.importing import dump, refused, write
from tests.model.test_import_accounts import add_units

HEADER = "id,name,lat,lon,zip,Type,potential\n"


def rows(n: int, start: int = 0) -> str:
    """Accounts in Atlanta (unit W of add_units) and Boston (unit E), all valid."""
    out = []
    for i in range(start, start + n):
        lat, lon = (33.75, -84.39) if i % 2 else (42.36, -71.06)
        out.append(f"A{i},Name {i},{lat + i * 1e-6:.6f},{lon},,customer,{i}\n")
    return "".join(out)


def stored(project: Project) -> list[tuple[object, ...]]:
    with project.session() as s:
        return [
            (
                a.external_id,
                a.name,
                a.lon,
                a.lat,
                a.location_source,
                a.unit_id,
                a.status,
                a.potential,
                a.visits_per_year,
            )
            for a in s.scalars(select(Account).order_by(Account.external_id))
        ]


def outcome(report: ImportReport) -> tuple[object, ...]:
    """What the report tells a user (warnings in any order: chunks group them differently)."""
    return (
        report.read, report.imported, report.updated, report.unlocated, report.outside_units,
        report.rejected, sorted(report.warnings, key=repr), report.extra,
    )  # fmt: skip


MIXED = (
    HEADER
    + rows(40)
    + "A3,Again,33.7,-84.4,,customer,1\n"  # a repeat of a row in the first chunk
    + "B1,Swapped,-84.39,33.75,,customer,1\n"  # only the swap lands in a unit
    + "B2,By ZIP,,,30301,Prospect,2\n"
    + "B3,Unknown status,42.3,-71.0,,Other,3\n"
    + "B4,Bad money,42.3,-71.0,,customer,abc\n"
    + "B5,Nowhere,10,10,,Other,5\n"
    + rows(40, start=100)
    + "A105,Late repeat,33.7,-84.4,,customer,1\n"
)


@pytest.mark.parametrize("chunk_cells", [7 * 5, 7 * 16, 7 * 1000])
def test_chunks_import_what_the_whole_file_imports(tmp_path: Path, chunk_cells: int) -> None:
    path = write(tmp_path, "mixed.csv", MIXED)
    whole = Project.create(tmp_path / "whole.tplan")
    add_units(whole)
    expected = import_accounts(whole, path, skip_invalid=True)
    chunked = Project.create(tmp_path / "chunked.tplan")
    add_units(chunked)
    report = import_accounts(chunked, path, skip_invalid=True, chunk_cells=chunk_cells)
    assert outcome(report) == outcome(expected)
    assert stored(chunked) == stored(whole)
    assert [(r.row, r.field, r.reason) for r in report.rejected] == [
        (42, "external_id", "duplicate of row 5 (id 'A3')"),
        (46, "potential", "'abc' is not an amount"),
        (88, "external_id", "duplicate of row 53 (id 'A105')"),
    ]
    whole.close()
    chunked.close()


def test_rows_written_by_many_row_statements_are_the_rows_written_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunk goes to SQLite as statements of many rows and a tail of single rows: with
    three rows a statement (81 rows: 27 statements, no tail; 80: a tail of two) every value
    lands in its own row, as when each row is its own statement."""
    path = write(tmp_path, "mixed.csv", MIXED)
    monkeypatch.setattr(_account_write, "_ROWS_PER_INSERT", 1)
    single = Project.create(tmp_path / "single.tplan")
    add_units(single)
    expected = import_accounts(single, path, skip_invalid=True, chunk_cells=7 * 1000)
    monkeypatch.setattr(_account_write, "_ROWS_PER_INSERT", 3)
    for cells in (7 * 1000, 7 * 16):
        many = Project.create(tmp_path / f"many-{cells}.tplan")
        add_units(many)
        report = import_accounts(many, path, skip_invalid=True, chunk_cells=cells)
        assert outcome(report) == outcome(expected)
        assert stored(many) == stored(single)
        many.close()
    single.close()


def test_a_repeat_in_a_later_chunk_names_the_first_row(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, "d.csv", HEADER + rows(30) + "A7,Copy,1,1,,customer,1\n")
    report = import_accounts(project, path, skip_invalid=True, chunk_cells=7 * 4)
    assert [(r.row, r.field, r.reason) for r in report.rejected] == [
        (32, "external_id", "duplicate of row 9 (id 'A7')")
    ]
    assert report.imported == 30


def test_a_rejected_row_in_the_last_chunk_refuses_the_whole_file(
    project: Project, tmp_path: Path
) -> None:
    """Earlier chunks were written inside the transaction; the refusal rolls them back and the
    project file is byte for byte what it was."""
    add_units(project)
    import_accounts(project, write(tmp_path, "first.csv", HEADER + rows(3, start=900)))
    path = write(tmp_path, "late.csv", HEADER + rows(50) + "Z1,,1,1,,customer,1\n")
    before = dump(project)
    msg = refused(project, lambda: import_accounts(project, path, chunk_cells=7 * 10))
    assert "row 52, field 'name': empty account name; nothing imported" in msg
    assert dump(project) == before


def test_columns_found_swapped_in_the_first_chunk_are_swapped_in_every_chunk(
    project: Project, tmp_path: Path
) -> None:
    add_units(project)
    body = "".join(f"S{i},S{i},{-84 + i / 1000},{33 + i / 1000},,customer,1\n" for i in range(25))
    report = import_accounts(project, write(tmp_path, "s.csv", HEADER + body), chunk_cells=7 * 10)
    lats = [r[3] for r in stored(project)]
    assert all(33 <= lat < 34 for lat in lats)
    swapped = [w for w in report.warnings if w.field == "lat/lon"]
    assert [w.reason for w in swapped] == [
        "latitude and longitude columns look swapped in 25 located row(s); corrected for all rows"
    ]


def test_quoted_line_breaks_and_crlf_across_read_blocks(project: Project, tmp_path: Path) -> None:
    """A file of more than one read block (a million characters) whose CRLF line ends and a
    quoted two-line name fall on the block boundary: records and row numbers as a spreadsheet
    shows them."""
    lines = [f"A{i},{'N' * 90}{i}" for i in range(12_000)]
    at = next(i for i in range(12_000) if 9 + sum(len(x) + 2 for x in lines[:i]) > 1 << 20)
    lines[at - 1] = f'A{at - 1},"two\r\nlines{"x" * 100}"'  # its CRLF is on the boundary
    text = "id,name\r\n" + "\r\n".join(lines) + "\r\n" + 'Q1,"never closed\r\n'
    path = tmp_path / "crlf.csv"
    path.write_bytes(text.encode())
    msg = refused(project, lambda: import_accounts(project, path, chunk_cells=2 * 1000))
    # row 12,002 (header = 1), on line 12,003: the two-line name pushed it one line down
    assert f"{path}: row 12002 (line 12003): a quoted cell starts here and is never closed" in msg
    path.write_bytes(text.rsplit("Q1", 1)[0].encode())
    import_accounts(project, path, chunk_cells=2 * 1000)
    with project.session() as s:
        names = {e: n for e, n in s.execute(select(Account.external_id, Account.name))}
    assert len(names) == 12_000
    assert names[f"A{at - 1}"] == "two\nlines" + "x" * 100
    expected = list(csv.reader(text.rsplit("Q1", 1)[0].replace("\r\n", "\n").splitlines()))
    assert names["A11999"] == expected[-1][1]


def test_a_decoding_error_far_into_a_file_gives_its_position_in_the_file(
    project: Project, tmp_path: Path
) -> None:
    """The file is decoded in 16 MB blocks; the message is the one decoding it whole gives."""
    data = b"id,name\n" + b"".join(b"A%d,Acme\n" % i for i in range(2_000_000)) + b"B,Caf\xe9\n"
    path = tmp_path / "late.csv"
    path.write_bytes(data)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        expected = str(exc)
    msg = refused(project, lambda: import_accounts(project, path, encoding="utf-8"))
    assert msg == f"{path}: cannot be decoded as utf-8 ({expected})"


def test_a_large_file_into_an_empty_project_keeps_its_indexes(tmp_path: Path) -> None:
    """A bulk load drops the unit index while it writes and builds it again; refused or not,
    the project ends with the same indexes."""
    path = tmp_path / "p.tplan"
    project = Project.create(path)
    add_units(project)

    def indexes() -> list[tuple[str, ...]]:
        con = sqlite3.connect(path)
        try:
            return sorted(con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'"))
        finally:
            con.close()

    before = indexes()
    bad = write(tmp_path, "bad.csv", HEADER + rows(50) + "Z1,,1,1,,customer,1\n")
    refused(project, lambda: import_accounts(project, bad, chunk_cells=7 * 10))
    assert indexes() == before
    import_accounts(project, write(tmp_path, "ok.csv", HEADER + rows(50)), chunk_cells=7 * 10)
    assert indexes() == before
    with project.session() as s:
        plan = s.execute(text("EXPLAIN QUERY PLAN SELECT id FROM account WHERE unit_id = 1"))
        assert "ix_account_unit_id" in " ".join(str(r) for r in plan)
    project.close()


def test_foreign_keys_are_checked_again_after_a_bulk_load(tmp_path: Path) -> None:
    """A bulk load into an empty table stops SQLite's check of each account's unit and writes
    through a rollback journal instead of the WAL; after the import, committed, refused or
    failed, every session checks foreign keys again, in WAL mode, with the usual sync: deleting
    a unit detaches its accounts (ON DELETE SET NULL) and an account of a unit that does not
    exist is refused."""
    project = Project.create(tmp_path / "p.tplan")
    add_units(project)

    def checking() -> bool:
        with project.session() as s:
            settings = [
                s.execute(text(f"PRAGMA {name}")).scalar()
                for name in ("foreign_keys", "journal_mode", "synchronous")
            ]
            return settings == [1, "wal", 1]  # synchronous=NORMAL

    bad = write(tmp_path, "bad.csv", HEADER + rows(50) + "Z1,,1,1,,customer,1\n")
    refused(project, lambda: import_accounts(project, bad, chunk_cells=7 * 10))
    assert checking()
    original = _account_write.AccountWriter.finish

    def failing(self: _account_write.AccountWriter) -> None:
        raise OSError("disk full")

    _account_write.AccountWriter.finish = failing  # type: ignore[method-assign]
    try:
        with pytest.raises(OSError, match="disk full"):
            import_accounts(project, write(tmp_path, "a.csv", HEADER + rows(50)), chunk_cells=70)
    finally:
        _account_write.AccountWriter.finish = original  # type: ignore[method-assign]
    assert checking()
    with project.session() as s:
        assert s.execute(text("SELECT count(*) FROM account")).scalar() == 0
    import_accounts(project, write(tmp_path, "ok.csv", HEADER + rows(50)), chunk_cells=7 * 10)
    assert checking()
    with project.transaction() as s:
        unit = s.execute(text("SELECT unit_id FROM account WHERE external_id = 'A1'")).scalar()
        s.execute(text("DELETE FROM unit WHERE id = :u"), {"u": unit})
    with project.session() as s:
        orphans = s.execute(text("SELECT count(*) FROM account WHERE unit_id = :u"), {"u": unit})
        assert orphans.scalar() == 0
    with pytest.raises(Exception, match="FOREIGN KEY"), project.transaction() as s:
        s.execute(text("UPDATE account SET unit_id = 999999 WHERE external_id = 'A2'"))
    project.close()


def test_a_bulk_load_writes_through_a_rollback_journal(tmp_path: Path) -> None:
    """The load's own transaction is journalled the old way (no WAL frames: the commit has no
    copy of every page to make); another connection with the project open keeps it in WAL mode,
    and the import works the same."""
    project = Project.create(tmp_path / "p.tplan")
    add_units(project)
    modes: list[str] = []
    original = _account_write.AccountWriter.finish

    def finish(self: _account_write.AccountWriter) -> None:
        modes.append(self.driver.execute("PRAGMA journal_mode").fetchone()[0])
        assert Path(f"{tmp_path / 'p.tplan'}-journal").exists() == (modes[-1] == "delete")
        original(self)

    _account_write.AccountWriter.finish = finish  # type: ignore[method-assign]
    try:
        import_accounts(project, write(tmp_path, "a.csv", HEADER + rows(50)), chunk_cells=70)
        first = stored(project)
        project.close()
        project = Project.create(tmp_path / "q.tplan")
        add_units(project)
        other = sqlite3.connect(tmp_path / "q.tplan")  # another program has it open
        other.execute("SELECT count(*) FROM unit").fetchone()
        import_accounts(project, write(tmp_path, "a.csv", HEADER + rows(50)), chunk_cells=70)
        other.close()
    finally:
        _account_write.AccountWriter.finish = original  # type: ignore[method-assign]
    assert modes == ["delete", "wal"]
    assert stored(project) == first
    assert len(first) == 50
    project.close()


def test_a_kill_during_a_bulk_load_leaves_the_project_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed after the rows were written through the rollback journal and before the commit
    (pages of the file already changed, the journal hot), the project opens as it was before:
    no account, nothing damaged, in WAL mode again; and a project built over it (Save As, new)
    does not get the dead load's journal played into it."""
    from planner.model import projectfile
    from tests.model.crash import crash_after

    # a page cache of 64 KiB: the load writes into the file long before its commit, as a
    # load of millions of rows does with the real cache
    monkeypatch.setattr(_account_write, "_IMPORT_CACHE_KIB", 64)
    path = tmp_path / "p.tplan"
    project = Project.create(path)
    add_units(project)
    units = project_units(project)
    project.close()
    csv_file = write(tmp_path, "a.csv", HEADER + rows(20_000))
    size = path.stat().st_size

    def dies_before_commit(self: _account_write.AccountWriter) -> None:
        os._exit(0)  # as if killed: no rollback, no clean-up

    def load(delete_first: bool) -> Callable[[], None]:
        def work() -> None:
            monkeypatch.setattr(_account_write.AccountWriter, "finish", dies_before_commit)
            project = Project.open(path)
            if delete_first:
                with project.transaction() as s:
                    s.execute(text("DELETE FROM account"))
            import_accounts(project, csv_file, chunk_cells=7 * 2000)

        return work

    crash_after(load(delete_first=False))
    assert projectfile.hot_journal(path)
    assert path.stat().st_size > size
    projectfile.check_header(path)  # not reported as truncated
    project = Project.open(path)
    with project.session() as s:
        assert s.execute(text("SELECT count(*) FROM account")).scalar() == 0
        assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert s.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    assert project_units(project) == units
    import_accounts(project, csv_file, chunk_cells=7 * 2000)
    with project.session() as s:
        assert s.execute(text("SELECT count(*) FROM account")).scalar() == 20_000
    project.close()

    crash_after(load(delete_first=True))
    assert projectfile.hot_journal(path)
    projectfile.settle(path)  # before a new file is renamed over it: the journal played back
    assert not projectfile.hot_journal(path)
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT count(*) FROM account").fetchone() == (0,)  # deleted before
    Project.create(path, overwrite=True).close()  # New over it: built beside, renamed
    project = Project.open(path)
    with project.session() as s:
        assert s.execute(text("SELECT count(*) FROM unit")).scalar() == 0
        assert s.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    project.close()


def project_units(project: Project) -> list[tuple[object, ...]]:
    with project.session() as s:
        return [tuple(r) for r in s.execute(text("SELECT id, code FROM unit ORDER BY id"))]


def test_a_bulk_load_is_committed_when_another_program_holds_the_file_at_its_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Back to WAL needs the file to itself: another program reading it at the very moment the
    load has committed leaves the project in rollback mode for now (no wait, no error: the
    import is in), and the next open sets WAL again."""
    from planner.model.io import _bulk_sqlite

    path = tmp_path / "p.tplan"
    project = Project.create(path)
    add_units(project)
    original = _bulk_sqlite.BulkSettings.restore
    modes: list[str] = []

    def restore_while_read(self: _bulk_sqlite.BulkSettings, *args: object) -> None:
        reader = sqlite3.connect(path, isolation_level=None)
        try:
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM account").fetchone()  # holds a shared lock
            original(self, *args)
            modes.append(self.driver.execute("PRAGMA journal_mode").fetchone()[0])
        finally:
            reader.close()

    monkeypatch.setattr(_bulk_sqlite.BulkSettings, "restore", restore_while_read)
    report = import_accounts(project, write(tmp_path, "a.csv", HEADER + rows(50)), chunk_cells=70)
    assert report.imported == 50
    assert modes == ["delete"]
    with project.session() as s:
        assert s.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert s.execute(text("PRAGMA synchronous")).scalar() == 1
    project.close()
    again = Project.open(path)
    with again.session() as s:
        assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert s.execute(text("SELECT count(*) FROM account")).scalar() == 50
    again.close()
