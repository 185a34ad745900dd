"""Open, create and copy projects; sessions and transactions.

A project is one SQLite file (``*.tplan``) in WAL mode, or a PostgreSQL database for teams
(``postgresql+psycopg://...``); the schema is the same. Every write goes through
:meth:`Project.transaction`, so an interrupted import or edit leaves the file as it was, and every
applied edit is committed at once: autosave is the normal state. A new project file (``new``,
the demo, Save As) is built beside its target and renamed into place when complete
(:mod:`planner.model.projectfile`), so no project file is ever half-written.

A damaged, truncated, empty or read-only file gives one :class:`ProjectFileError` line. A file
the user may not write can still be opened with ``read_only=True`` (or ``None``: read-only only
if it cannot be written) for commands that only read; any write then fails with one line.

Schema changes ship as Alembic migrations (``planner/model/migrations``); opening an older
project file upgrades it in place inside one transaction.
"""

from __future__ import annotations

import contextlib
import sqlite3
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from planner.model import projectfile
from planner.model.database import (  # noqa: F401 - re-exported: the store's public API
    alembic_config,
    check_revision,
    current_revision,
    head_revision,
    is_url,
    make_engine,
    redacted,
    refuse_used_database,
    upgrade,
)
from planner.model.errors import ProjectFileError
from planner.model.io._output import register_project, unregister_project
from planner.model.schema import Base, ProjectInfo, Scenario
from planner.model.users import current_user

PROJECT_SUFFIX = ".tplan"
BASELINE_NAME = "Baseline"


class Project:
    """An open project. Create with :meth:`create` or :meth:`open`; close when done.

    Examples
    --------
    >>> p = Project.create(tmp_path / "a.tplan")          # doctest: +SKIP
    >>> with p.transaction() as s:                         # doctest: +SKIP
    ...     s.add(Rep(name="Ana"))
    """

    def __init__(self, engine: Engine, location: str, *, read_only: bool = False) -> None:
        self.engine = engine
        self.location = location
        self.read_only = read_only
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        #: Transactions committed through this object (what caches of derived data key on).
        self.commits = 0
        register_project(self.path)  # no writer of this process may replace it while open
        self._unregister = weakref.finalize(self, unregister_project, self.path)

    # -- lifecycle -------------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        target: str | Path,
        *,
        name: str = "",
        overwrite: bool = False,
        fill: Callable[[Project], object] | None = None,
    ) -> Project:
        """Create a project at a path (``.tplan``) or in an empty database URL; return it open.

        ``fill`` adds content (the demo) before the project appears: a file is built under a
        temporary name, checked and renamed over ``target`` only when complete, so an error or
        a kill leaves what was there before (``overwrite``) or nothing.
        """
        if is_url(target):
            refuse_used_database(str(target))
            project = cls._initialise(str(target), name or "Team project")
            try:
                if fill is not None:
                    fill(project)
                    project.reset_id_sequences()
            except BaseException:
                project.close()
                raise
            return project
        path = projectfile.check_target(target, overwrite=overwrite)

        def build(tmp: Path) -> None:
            with cls._initialise(tmp, name or path.stem) as project:
                if fill is not None:
                    fill(project)

        projectfile.install(path, build, overwrite=overwrite)
        return cls.open(path)

    @classmethod
    def _initialise(cls, target: str | Path, name: str) -> Project:
        engine = make_engine(target)
        upgrade(engine)
        project = cls(engine, str(target))
        project.set_info(name=name, created_by=current_user())
        with project.transaction() as s:
            s.add(Scenario(name=BASELINE_NAME, is_baseline=True, created_by=current_user()))
        return project

    @classmethod
    def open(cls, target: str | Path, *, read_only: bool | None = False) -> Project:
        """Open an existing project, upgrading an older schema in place.

        ``read_only``: False refuses a file this process cannot write (one line, saying so);
        True opens it for reading; None opens read-only only when it cannot be written.
        """
        ro = bool(read_only)
        if not is_url(target):
            path = Path(target).expanduser()
            if path.is_dir():
                raise ProjectFileError(f"{path}: is a folder, not a project file")
            if not path.is_file():
                raise ProjectFileError(f"{path}: no such project file")
            projectfile.check_header(path)
            can_write = projectfile.writable(path)
            ro = (not can_write) if read_only is None else ro
            if not ro and not can_write:
                raise ProjectFileError(
                    f"{path}: is read-only (every edit is saved into the project at once); "
                    "copy it to a folder you can write, or change its permissions"
                )
        engine = make_engine(target, read_only=ro)
        try:
            check_revision(engine, target, ro)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, str(target), read_only=ro)

    def close(self) -> None:
        self.engine.dispose()
        self._unregister()  # once, also if the project is dropped without close()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def path(self) -> Path | None:
        """The project file, or None for a database URL."""
        return None if is_url(self.location) else Path(self.location)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    # -- sessions --------------------------------------------------------------------------
    def session(self) -> Session:
        """A plain session for reading; use :meth:`transaction` to write."""
        return self._sessions()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """One all-or-nothing unit of work: commits on success, rolls back on any exception."""
        if self.read_only:
            raise ProjectFileError(
                f"{self.location}: opened read-only (you cannot write this file); "
                "copy it to a folder you can write to change it"
            )
        with self._sessions() as session, session.begin():
            yield session
        self.commits += 1

    def baseline_id(self) -> int:
        """Id of the scenario in force (every project has exactly one)."""
        with self.session() as s:
            sid = s.scalar(select(Scenario.id).where(Scenario.is_baseline.is_(True)))
        if sid is None:
            raise ProjectFileError(f"{self.location}: project has no baseline scenario")
        return sid

    # -- info ------------------------------------------------------------------------------
    def info(self) -> dict[str, str]:
        with self.session() as s:
            return {row.key: row.value for row in s.scalars(select(ProjectInfo))}

    def set_info(self, **values: object) -> None:
        with self.transaction() as s:
            for key, value in values.items():
                s.merge(ProjectInfo(key=key, value=str(value)))

    def reset_id_sequences(self) -> None:
        """After rows were inserted with explicit ids (the demo), move PostgreSQL's id
        sequences past them, or the next ordinary insert collides (UniqueViolation). SQLite
        needs nothing: its next id is always max(id) + 1."""
        if self.engine.dialect.name != "postgresql":
            return
        with self.engine.begin() as conn:
            for table in Base.metadata.sorted_tables:
                col = table.c.get("id")
                if col is None or not col.primary_key or not col.autoincrement:
                    continue
                conn.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f'COALESCE(MAX(id), 0) + 1, false) FROM "{table.name}"'
                ))  # fmt: skip

    # -- copies ----------------------------------------------------------------------------
    def save_as(self, target: str | Path, *, overwrite: bool = False) -> Project:
        """Copy this project to a new file and open the copy.

        The copy is made by SQLite's online backup API from this connection, so it includes
        every commit still in this project's ``-wal`` (after a crash); it is written beside the
        target, checked with ``PRAGMA integrity_check`` and renamed over the target only then.
        The file that was at the target survives any failure.
        """
        if not self.is_sqlite:
            raise ProjectFileError("save as a file is only available for project files")

        def build(tmp: Path) -> None:
            raw = self.engine.raw_connection()
            try:
                src = raw.driver_connection
                assert isinstance(src, sqlite3.Connection)
                out = sqlite3.connect(tmp)
                try:
                    src.backup(out)
                finally:
                    out.close()
            except sqlite3.DatabaseError as err:
                raise projectfile.damaged(self.location, err) from err
            finally:
                raw.close()

        dest = projectfile.install(Path(target).expanduser(), build, overwrite=overwrite)
        return Project.open(dest)
