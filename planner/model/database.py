"""Database engines and schema versions for project files and team databases.

Split from :mod:`planner.model.store` (which opens and copies projects) so each stays small:
here are the SQLite connection settings (WAL, foreign keys, read-only mode), the Alembic
migrations, and the one-line errors for a database that cannot be used.
"""

from __future__ import annotations

import functools
import os
import re
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event, exc, inspect, make_url, text
from sqlalchemy.pool import QueuePool

from planner.model import projectfile
from planner.model.errors import ProjectFileError

if TYPE_CHECKING:
    from alembic.config import Config

_MIGRATIONS = Path(__file__).with_name("migrations")


def is_url(target: str | Path) -> bool:
    return isinstance(target, str) and "://" in target


def _url_for(target: str | Path) -> str:
    if is_url(target):
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


def _sqlite_read_pragmas(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA query_only=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def make_engine(target: str | Path, *, read_only: bool = False) -> Engine:
    """An engine for a project path or database URL, with SQLite pragmas applied.

    ``read_only`` opens a file with SQLite's ``mode=ro`` (or ``immutable=1`` when its folder is
    read-only too and no journal is pending: SQLite could not create its shared-memory file).
    """
    if read_only and not is_url(target):
        path = Path(target).expanduser().resolve()
        flag = "mode=ro"
        if not os.access(path.parent, os.W_OK) and not Path(f"{path}-wal").exists():
            flag = "immutable=1"
        uri = f"file:{quote(str(path))}?{flag}"
        engine = create_engine(
            "sqlite://",
            creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False),
            poolclass=QueuePool,
        )
        event.listen(engine, "connect", _sqlite_read_pragmas)
        return engine
    try:
        engine = create_engine(_url_for(target))
    except (exc.ArgumentError, exc.NoSuchModuleError, ImportError, ValueError) as err:
        raise ProjectFileError(
            f"{redacted(target)}: not a database URL this program can open ({first_line(err)}); "
            "team projects use postgresql+psycopg://USER@HOST/DATABASE"
        ) from err
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def redacted(target: str | Path) -> str:
    """A location fit for messages: a database URL without its password."""
    if not is_url(target):
        return str(target)
    try:
        return make_url(str(target)).render_as_string(hide_password=True)
    except (exc.ArgumentError, ValueError):  # not even a URL: show what was given
        return str(target)


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


@functools.cache
def known_revisions() -> dict[str, str | None]:
    """Revision -> the one it revises, read from the migration files' text.

    Opening a project only compares its revision with these; importing Alembic (and every
    migration module through it) cost each ``planner`` command about 0.3 s, so Alembic is
    loaded only when a schema is created or upgraded."""
    out: dict[str, str | None] = {}
    for path in sorted((_MIGRATIONS / "versions").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        rev = re.search(r'^revision\s*=\s*"([^"]+)"', source, re.MULTILINE)
        down = re.search(r'^down_revision\s*=\s*(?:"([^"]+)"|None)', source, re.MULTILINE)
        if rev and down:
            out[rev.group(1)] = down.group(1)
    return out


def head_revision() -> str:
    """The newest revision: the one no other revises."""
    revs = known_revisions()
    heads = set(revs) - {d for d in revs.values() if d}
    if len(heads) != 1:
        raise RuntimeError(f"the migrations have {len(heads)} heads: {sorted(heads)}")
    return heads.pop()


def current_revision(engine: Engine) -> str | None:
    """The schema revision recorded in the database (None: not a project)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return str(rows[0]) if len(rows) == 1 else None


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (all migrations run in one transaction)."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def check_revision(engine: Engine, target: str | Path, read_only: bool) -> None:
    """Refuse what is not a project of a known schema; upgrade an older one."""
    where = redacted(target)
    try:
        rev = current_revision(engine)
        if rev is None:
            raise ProjectFileError(f"{where}: not a Territory Planner project")
        if rev not in known_revisions():
            raise ProjectFileError(
                f"{where}: made by a newer Territory Planner (schema {rev}); please update"
            )
        if rev != head_revision():
            if read_only:
                raise ProjectFileError(
                    f"{where}: made by an older Territory Planner and read-only, so it cannot "
                    "be upgraded; copy it to a folder you can write"
                )
            upgrade(engine)
    except (exc.DBAPIError, sqlite3.DatabaseError) as err:
        if engine.dialect.name == "sqlite":
            raise projectfile.damaged(where, err) from err
        raise ProjectFileError(f"{where}: cannot open the database ({first_line(err)})") from err


def refuse_used_database(url: str) -> None:
    engine = make_engine(url)
    try:
        names = set(inspect(engine).get_table_names())
    except exc.DBAPIError as err:
        raise ProjectFileError(
            f"{redacted(url)}: cannot open the database ({first_line(err)})"
        ) from err
    finally:
        engine.dispose()
    if "alembic_version" in names or "project_info" in names:
        raise ProjectFileError(
            f"{redacted(url)}: already holds a Territory Planner project (use an empty database)"
        )


def first_line(err: BaseException) -> str:
    return str(getattr(err, "orig", None) or err).strip().splitlines()[0]
