"""Project files that are empty, truncated, damaged or read-only, and imports in a read-only
folder: one line each, never a traceback, never a reported failure after a commit (issue 13,
items 9 and 10). Permissions are real: the commands run as a user without root's override."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from planner.model.store import Project
from planner.model.synthetic import grid_project
from tests.clirun import dump, one_error_line, run, run_process


@pytest.fixture
def closed_grid(tmp_path: Path) -> Path:
    path = tmp_path / "g.tplan"
    grid_project(path, pins=2).close()  # closed: everything checkpointed into the file
    return path


def _damage(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    if how == "empty":
        path.write_bytes(b"")
    elif how == "truncated":
        path.write_bytes(bytes(data[: len(data) // 2]))
    elif how == "schema page scribbled":  # the schema's records sit at the end of page 1
        page = int.from_bytes(data[16:18], "big")
        data[page - 1500 : page] = b"\xa5" * 1500
        path.write_bytes(bytes(data))
    elif how == "header only":
        path.write_bytes(bytes(data[:100]))


@pytest.mark.parametrize("how", ["empty", "truncated", "schema page scribbled", "header only"])
def test_a_damaged_project_is_one_line(closed_grid, capsys, how) -> None:
    _damage(closed_grid, how)
    for argv in (["balance", closed_grid], ["assign", closed_grid, "--units", "U0_0", "--to",
                                            "T1"]):  # fmt: skip
        code, out, err = run(capsys, *argv)
        assert code == 1
        one_error_line(err, str(closed_grid))
        assert out == ""


def test_a_damaged_project_does_not_open_in_the_window_either(closed_grid, tmp_path) -> None:
    _damage(closed_grid, "truncated")
    proc = run_process(closed_grid, "--snapshot", tmp_path / "shot.png")
    assert proc.returncode == 1
    ours = [line for line in proc.stderr.splitlines() if line.startswith("planner:")]
    one_error_line(ours[0] + "\n", "truncated")  # Qt's start-up chatter aside
    assert len(ours) == 1
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "shot.png").exists()


def test_a_read_only_project_opens_for_reading_and_refuses_edits(closed_grid, tmp_path) -> None:
    closed_grid.chmod(0o444)
    before = dump(closed_grid)
    proc = run_process("balance", closed_grid, "--json", unprivileged=True)
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["territories"]) == 3
    proc = run_process("export", closed_grid, "--format", "csv", tmp_path / "out.csv",
                       unprivileged=True)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    proc = run_process("assign", closed_grid, "--units", "U0_0", "--to", "T3", unprivileged=True)
    assert proc.returncode == 1
    one_error_line(proc.stderr, "read-only")
    assert dump(closed_grid) == before


def test_a_project_in_a_read_only_folder_can_still_be_read(closed_grid, tmp_path) -> None:
    folder = tmp_path / "cdrom"
    folder.mkdir()
    shutil.move(closed_grid, folder / "g.tplan")
    folder.chmod(0o555)
    try:
        proc = run_process("territories", folder / "g.tplan", "--json", unprivileged=True)
        edit = run_process("scenario", folder / "g.tplan", "create", "X", unprivileged=True)
    finally:
        folder.chmod(0o755)
    assert proc.returncode == 0, proc.stderr
    assert [t["name"] for t in json.loads(proc.stdout)["territories"]] == ["T1", "T2", "T3"]
    assert edit.returncode == 1
    one_error_line(edit.stderr, "read-only")


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[Project]:
    """A project in a folder only the window's user could write: the project and its
    -wal/-shm (kept by this open project, as the GUI keeps them) are writable, the folder is
    not."""
    folder = tmp_path / "shared"
    folder.mkdir()
    grid_project(folder / "g.tplan", pins=2).close()
    with Project.open(folder / "g.tplan") as window:
        for f in folder.iterdir():
            f.chmod(0o666)
        yield window


def _import_unprivileged(project: Project, file: Path) -> subprocess.CompletedProcess[str]:
    assert project.path is not None
    folder = project.path.parent
    folder.chmod(0o555)
    try:
        return run_process("import-accounts", project.path, file, unprivileged=True)
    finally:
        folder.chmod(0o755)


def test_an_import_in_a_read_only_folder_succeeds_with_a_warning(shared, tmp_path) -> None:
    """The import commits, so the command succeeds and warns that its report was not saved."""
    accounts = tmp_path / "new.csv"
    accounts.write_text("id,name,lon,lat,potential\nN1,New One,0.5,0.5,100\n", encoding="utf-8")
    proc = _import_unprivileged(shared, accounts)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith("planner: warning: the import report was not saved")
    assert proc.stderr.count("\n") == 1
    assert "the import itself succeeded" in proc.stderr
    assert "imported 1" in proc.stdout
    with shared.session() as s:
        assert s.scalar(text("SELECT name FROM account WHERE external_id = 'N1'")) == "New One"
    assert not list(shared.path.parent.glob("*.json"))


def test_a_refused_import_in_a_read_only_folder_is_still_refused(shared, tmp_path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name\n,No id\n", encoding="utf-8")
    before = dump(shared.path)
    proc = _import_unprivileged(shared, bad)
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    assert lines[0].startswith("planner: warning: the import report was not saved")
    assert lines[1].startswith("planner: error: ")
    assert "nothing imported" in lines[1]
    assert "Traceback" not in proc.stderr
    assert dump(shared.path) == before
