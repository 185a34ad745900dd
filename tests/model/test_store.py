"""Project files: create/open, migrations of older files, refusals, save-as, atomic writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from planner.model.errors import ProjectFileError
from planner.model.schema import Rep, Territory
from planner.model.store import Project, current_revision, head_revision, make_engine, upgrade


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
