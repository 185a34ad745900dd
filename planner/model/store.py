"""Open, create and copy projects; sessions and transactions.

A project is one SQLite file (``*.tplan``) in WAL mode, or a PostgreSQL database for teams
(``postgresql+psycopg://...``); the schema is the same. Every write goes through
:meth:`Project.transaction`, so an interrupted import or edit leaves the file as it was, and every
applied edit is committed at once: autosave is the normal state.

Schema changes ship as Alembic migrations (``planner/model/migrations``); opening an older
project file upgrades it in place inside one transaction.
"""

from __future__ import annotations

import contextlib
import getpass
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from planner.model.errors import ProjectFileError
from planner.model.schema import ProjectInfo, Scenario

PROJECT_SUFFIX = ".tplan"
BASELINE_NAME = "Baseline"
_MIGRATIONS = Path(__file__).with_name("migrations")


def _is_url(target: str | Path) -> bool:
    return isinstance(target, str) and "://" in target


def _url_for(target: str | Path) -> str:
    if _is_url(target):
        return str(target)
    return f"sqlite:///{Path(target).expanduser().resolve()}"


def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    # WAL: readers never block the writer; NORMAL sync is durable across application crashes
    # (only an OS crash can lose the last commit). Foreign keys are off by default in SQLite.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def make_engine(target: str | Path) -> Engine:
    """An engine for a project path or database URL, with SQLite pragmas applied."""
    url = _url_for(target)
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(
        alembic_config(create_engine("sqlite://"))
    ).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (all migrations run in one transaction)."""
    command.upgrade(alembic_config(engine), revision)


class Project:
    """An open project. Create with :meth:`create` or :meth:`open`; close when done.

    Examples
    --------
    >>> p = Project.create(tmp_path / "a.tplan")          # doctest: +SKIP
    >>> with p.transaction() as s:                         # doctest: +SKIP
    ...     s.add(Rep(name="Ana"))
    """

    def __init__(self, engine: Engine, location: str) -> None:
        self.engine = engine
        self.location = location
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    # -- lifecycle -------------------------------------------------------------------------
    @classmethod
    def create(cls, target: str | Path, *, name: str = "", overwrite: bool = False) -> Project:
        """Create an empty project at a path (``.tplan``) or an empty database URL."""
        if not _is_url(target):
            path = Path(target).expanduser()
            if path.exists():
                if not overwrite:
                    raise ProjectFileError(f"{path}: already exists (choose another name)")
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
            if not path.parent.exists():
                raise ProjectFileError(f"{path.parent}: folder does not exist")
        engine = make_engine(target)
        upgrade(engine)
        project = cls(engine, str(target))
        project.set_info(
            name=name or (Path(str(target)).stem if not _is_url(target) else "Team project"),
            created_by=_current_user(),
        )
        with project.transaction() as s:
            s.add(Scenario(name=BASELINE_NAME, is_baseline=True, created_by=_current_user()))
        return project

    @classmethod
    def open(cls, target: str | Path) -> Project:
        """Open an existing project, upgrading an older schema in place."""
        if not _is_url(target):
            path = Path(target).expanduser()
            if not path.is_file():
                raise ProjectFileError(f"{path}: no such project file")
            _check_sqlite_header(path)
        engine = make_engine(target)
        rev = current_revision(engine)
        if rev is None:
            engine.dispose()
            raise ProjectFileError(f"{target}: not a Territory Planner project")
        known = {
            s.revision for s in ScriptDirectory.from_config(alembic_config(engine)).walk_revisions()
        }
        if rev not in known:
            engine.dispose()
            raise ProjectFileError(
                f"{target}: made by a newer Territory Planner (schema {rev}); please update"
            )
        if rev != head_revision():
            upgrade(engine)
        return cls(engine, str(target))

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def path(self) -> Path | None:
        """The project file, or None for a database URL."""
        return None if _is_url(self.location) else Path(self.location)

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
        with self._sessions() as session, session.begin():
            yield session

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

    # -- copies ----------------------------------------------------------------------------
    def save_as(self, target: str | Path, *, overwrite: bool = False) -> Project:
        """Copy this project to a new file (consistent online copy) and open the copy."""
        dest = Path(target).expanduser()
        if dest.exists() and not overwrite:
            raise ProjectFileError(f"{dest}: already exists (choose another name)")
        if not self.is_sqlite:
            raise ProjectFileError("save as a file is only available for project files")
        tmp = dest.with_name(dest.name + ".partial")
        tmp.unlink(missing_ok=True)
        raw = self.engine.raw_connection()
        try:
            src = raw.driver_connection
            assert isinstance(src, sqlite3.Connection)
            out = sqlite3.connect(tmp)
            try:
                src.backup(out)
            finally:
                out.close()
        finally:
            raw.close()
        tmp.replace(dest)  # atomic: the destination is never half-written
        return Project.open(dest)


def _check_sqlite_header(path: Path) -> None:
    with path.open("rb") as fh:
        head = fh.read(16)
    if head != b"SQLite format 3\x00":
        raise ProjectFileError(f"{path}: not a Territory Planner project (not a SQLite file)")


def _current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return ""
