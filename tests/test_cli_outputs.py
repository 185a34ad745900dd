"""No output path may be the project, its -wal/-shm, an input, a folder or given twice (issue 13,
item 1), and a write that cannot happen is one line, not a traceback (item 9)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from planner.model.plan import Plan
from planner.model.store import Project
from planner.model.synthetic import grid_project
from tests.clirun import dump, integrity, one_error_line, run, run_process


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A grid project with a scenario that moves 10 accounts (so reports have content), and
    its -wal/-shm present as they are while the app has it open."""
    path = tmp_path / "p.tplan"
    grid_project(path, pins=2).close()
    with Project.open(path) as p:
        from planner.model import moves, scenarios

        scenarios.create_scenario(p, "East")
        plan = Plan.load(p, "East")
        import numpy as np

        plan.apply(moves.for_units(plan, np.array([0, 1]), 2))
    return path


def _aliases(path: Path) -> dict[str, Path]:
    """Ways to name the project (or its side files) that are not its plain path."""
    link, hard = path.with_name("link.csv"), path.with_name("hard.csv")
    link.symlink_to(path)
    os.link(path, hard)
    sub = path.parent / "sub"
    sub.mkdir()
    return {"itself": path, "dotdot": sub / ".." / path.name, "symlink": link, "hardlink": hard,
            "wal": Path(f"{path}-wal"), "shm": Path(f"{path}-shm")}  # fmt: skip


CRM_UPDATE = ["crm-update", "{p}", "--scenario", "East", "--out", "{out}", "--format"]
COMMANDS = {
    "export csv": ["export", "{p}", "--format", "csv", "{out}"],
    "export xlsx": ["export", "{p}", "--format", "xlsx", "{out}"],
    "export geojson": ["export", "{p}", "--format", "geojson", "{out}"],
    "export gpkg": ["export", "{p}", "--format", "gpkg", "{out}"],
    "export shp": ["export", "{p}", "--format", "shp", "{out}"],
    "export kml": ["export", "{p}", "--format", "kml", "{out}"],
    "crm-update salesforce": [*CRM_UPDATE, "salesforce"],
    "crm-update generic": [*CRM_UPDATE, "generic"],
    "impact xlsx": ["impact", "{p}", "--scenario", "East", "--xlsx", "{out}"],
    "impact pdf": ["impact", "{p}", "--scenario", "East", "--pdf", "{out}"],
    "handover csv": ["handover", "{p}", "--scenario", "East", "--csv", "{out}"],
    "handover xlsx": ["handover", "{p}", "--scenario", "East", "--xlsx", "{out}"],
    "handover html": ["handover", "{p}", "--scenario", "East", "--html", "{out}"],
    "handover pdf": ["handover", "{p}", "--scenario", "East", "--pdf", "{out}"],
}


@pytest.mark.parametrize("command", COMMANDS)
def test_no_output_may_be_the_project_or_its_side_files(project, capsys, command) -> None:
    aliases = _aliases(project)
    with Project.open(project) as p:  # keeps -wal/-shm present, as an open window does
        before = dump(project)
        for name, out in aliases.items():
            argv = [a.format(p=project, out=out) for a in COMMANDS[command]]
            code, _, err = run(capsys, *argv)
            assert code == 1, (name, err)
            one_error_line(err, "choose another file name")
            assert dump(project) == before, name
        assert Plan.load(p, "East").history()  # the project still opens, edits intact
    assert integrity(project) == "ok"
    assert not list(project.parent.glob(".*.partial"))


def test_the_snapshot_may_not_overwrite_the_project(project) -> None:
    before = dump(project)
    proc = run_process(project, "--snapshot", project)
    assert proc.returncode == 1
    one_error_line(proc.stderr, "is the project")
    assert dump(project) == before


def test_two_outputs_of_one_command_may_not_be_the_same_file(project, tmp_path, capsys) -> None:
    out = tmp_path / "tasks"
    code, _, err = run(capsys, "handover", project, "--scenario", "East", "--csv", out,
                       "--xlsx", tmp_path / "." / "tasks")  # fmt: skip
    assert code == 1
    one_error_line(err, "given twice")
    assert not out.exists()
    with Project.open(project) as p:  # refused before any work: no checklist was stored
        from planner.model.handover import load_packets

        assert not load_packets(p, "East")


@pytest.mark.parametrize(
    ("where", "message"),
    [("{dir}", "is a folder"), ("{dir}/missing/out.csv", "folder does not exist")],
)
def test_exporting_to_a_folder_or_nowhere_is_one_line(project, tmp_path, capsys, where,
                                                      message) -> None:  # fmt: skip
    out = where.format(dir=tmp_path)
    code, _, err = run(capsys, "export", project, "--format", "csv", out)
    assert code == 1
    one_error_line(err, message)


def test_exporting_into_a_folder_without_write_permission_is_one_line(project, tmp_path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        proc = run_process("export", project, "--format", "csv", locked / "out.csv",
                           unprivileged=True)  # fmt: skip
    finally:
        locked.chmod(0o755)
    assert proc.returncode == 1
    one_error_line(proc.stderr, "cannot write", "out.csv")
    assert not list(locked.iterdir())


def test_an_export_replaces_a_previous_file_whole(project, tmp_path, capsys) -> None:
    out = tmp_path / "plan.csv"
    out.write_text("previous export\n")
    out.chmod(0o640)
    assert run(capsys, "export", project, "--format", "csv", out)[0] == 0
    assert len(out.read_text(encoding="utf-8-sig").splitlines()) == 121
    assert out.stat().st_mode & 0o777 == 0o640  # the file keeps its permissions
    assert not list(tmp_path.glob(".*.partial"))
