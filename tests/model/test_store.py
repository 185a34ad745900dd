"""Project files: create/open, migrations of older files, refusals, save-as, atomic writes."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from planner.model.errors import PlannerError, ProjectFileError
from planner.model.schema import Rep, Territory
from planner.model.store import Project, current_revision, head_revision, make_engine, upgrade
from planner.model.synthetic import grid_project
from tests.clirun import dump as dump_rows
from tests.clirun import integrity
from tests.model.crash import crash_after, kill_during, wal_frames


def test_new_project_is_wal_sqlite_at_head_with_a_baseline(tmp_path: Path) -> None:
    p = Project.create(tmp_path / "a.tplan")
    with p.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert current_revision(p.engine) == head_revision()
    assert p.baseline_id() > 0
    assert p.info()["name"] == "a"


def test_older_project_file_is_upgraded_on_open(tmp_path: Path) -> None:
    path = tmp_path / "old.tplan"
    engine = make_engine(path)
    upgrade(engine, "0001")  # a file written by the first release
    with engine.begin() as c:
        c.exec_driver_sql(
            "INSERT INTO territory (name, colour, level, locked) "
            "VALUES ('Old', '#123456', 'territory', 0)"
        )
    engine.dispose()
    assert "target_weight" not in {
        c["name"] for c in inspect(make_engine(path)).get_columns("territory")
    }
    p = Project.open(path)
    assert current_revision(p.engine) == head_revision()
    with p.session() as s:
        t = s.scalar(select(Territory))
        assert (t.name, t.target_weight) == ("Old", 1.0)
        assert "handover" in inspect(p.engine).get_table_names()


def test_open_refuses_what_is_not_a_project(tmp_path: Path) -> None:
    junk = tmp_path / "junk.tplan"
    junk.write_bytes(b"\x00\x01binary junk" * 10)
    with pytest.raises(ProjectFileError, match="not a Territory Planner project"):
        Project.open(junk)
    with pytest.raises(ProjectFileError, match="no such project file"):
        Project.open(tmp_path / "missing.tplan")
    other = tmp_path / "other.sqlite"
    make_engine(other).connect().exec_driver_sql("CREATE TABLE x (a)").close()
    with pytest.raises(ProjectFileError, match="not a Territory Planner project"):
        Project.open(other)


def test_create_never_overwrites_by_accident(tmp_path: Path) -> None:
    Project.create(tmp_path / "a.tplan").close()
    with pytest.raises(ProjectFileError, match="already exists"):
        Project.create(tmp_path / "a.tplan")


def test_failed_transaction_leaves_project_unchanged(tmp_path: Path) -> None:
    p = Project.create(tmp_path / "a.tplan")
    with p.transaction() as s:
        s.add(Rep(name="Ana"))

    def interrupted_import() -> None:
        with p.transaction() as s:
            s.add(Rep(name="Ben"))
            s.flush()
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        interrupted_import()
    with p.session() as s:
        assert [r.name for r in s.scalars(select(Rep))] == ["Ana"]


def test_save_as_copies_everything_and_opens_the_copy(tmp_path: Path, grid) -> None:
    copy = grid.save_as(tmp_path / "copy.tplan")
    with copy.session() as s, grid.session() as g:
        assert s.scalar(select(Territory.name).order_by(Territory.id)) == g.scalar(
            select(Territory.name).order_by(Territory.id)
        )
    assert not (tmp_path / "copy.tplan.partial").exists()
    with pytest.raises(ProjectFileError, match="already exists"):
        grid.save_as(tmp_path / "copy.tplan")


# -- issue 13: Save As after a crash, damaged sources, never the file at the target -------------
def _crashed(path: Path, reps: list[str]) -> Path:
    """``path`` as a crash leaves it: a process committed ``reps`` and died, so the commits are
    still only in ``path-wal`` (no checkpoint ran)."""

    def write() -> None:
        p = Project.open(path)
        with p.transaction() as s:
            s.add_all(Rep(name=n) for n in reps)

    crash_after(write)
    assert wal_frames(path) > 0
    return path


def _rep_names(path: Path) -> list[str]:
    con = sqlite3.connect(path)
    try:
        return [r[0] for r in con.execute("SELECT name FROM rep ORDER BY id")]
    finally:
        con.close()


def test_save_as_after_a_crash_copies_the_commits_still_in_the_wal(tmp_path: Path) -> None:
    src = tmp_path / "src.tplan"
    grid_project(src).close()
    _crashed(src, ["After crash 1", "After crash 2"])
    with Project.open(src) as p:
        p.save_as(tmp_path / "copy.tplan").close()
    assert integrity(tmp_path / "copy.tplan") == "ok"
    assert _rep_names(tmp_path / "copy.tplan")[-2:] == ["After crash 1", "After crash 2"]


def test_save_as_over_a_project_left_with_a_wal_gives_a_sound_copy(tmp_path: Path) -> None:
    """The file at the target crashed too: its -wal belongs to it, not to the copy. Replaying
    it into the copy made "database disk image is malformed"."""
    src = _crashed(_grid(tmp_path / "src.tplan"), ["Source rep"])
    target = tmp_path / "target.tplan"
    Project.create(target).close()
    _crashed(target, [f"Target rep {i}" for i in range(300)])
    with Project.open(src) as p:
        copy = p.save_as(target, overwrite=True)
        copy.close()
    assert integrity(target) == "ok"
    assert _rep_names(target) == _rep_names(src)
    assert "Target rep 0" not in _rep_names(target)
    assert not list(tmp_path.glob(".*.partial*"))


def test_save_as_refuses_a_damaged_source_and_keeps_the_file_at_the_target(
    tmp_path: Path,
) -> None:
    src = _grid(tmp_path / "src.tplan")
    con = sqlite3.connect(src)
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'account'").fetchone()[0]
    page = con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    data = bytearray(src.read_bytes())
    data[(root - 1) * page + 8 : root * page] = b"\xff" * (page - 8)  # scribble over a table
    src.write_bytes(bytes(data))
    target = _grid(tmp_path / "target.tplan")
    before = target.read_bytes()
    with Project.open(src) as p, pytest.raises(ProjectFileError, match="integrity check"):
        p.save_as(target, overwrite=True)
    assert target.read_bytes() == before
    assert not list(tmp_path.glob(".*.partial*"))


def test_save_as_onto_the_project_itself_is_refused(tmp_path: Path) -> None:
    src = _grid(tmp_path / "src.tplan")
    (tmp_path / "alias.tplan").symlink_to(src)
    with Project.open(src) as p:
        before = dump_rows(src)
        for target in (src, tmp_path / "alias.tplan", tmp_path / "." / "src.tplan"):
            with pytest.raises(PlannerError, match="is the project"):
                p.save_as(target, overwrite=True)
        assert dump_rows(src) == before
    assert integrity(src) == "ok"


def _grid(path: Path) -> Path:
    grid_project(path).close()
    return path


def test_a_new_project_appears_whole_or_not_at_all(tmp_path: Path) -> None:
    """Kills at random moments while a project is being set up (schema, info, baseline): the
    name holds a complete project or nothing."""
    rng = random.Random(13)
    landed = 0
    for i in range(8):
        target = tmp_path / f"new{i}.tplan"
        landed += kill_during(lambda t=target: Project.create(t), rng, (0.0, 0.25))
        if target.exists():  # it finished before the kill: then it is complete
            assert integrity(target) == "ok"
            with Project.open(target) as p:
                assert p.baseline_id() > 0
    assert landed >= 3  # most kills hit the set-up itself
