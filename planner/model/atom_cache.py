"""Arrays derived from the tables, stored in the project as raw bytes: a project opens as a
memory copy.

Reading units and accounts through SQL builds a Python object per value: 5.6 s at 1M accounts
(fetchall and pandas), a minute at 10M; simplifying the unit polygons for the map costs again at
every open. What :func:`planner.model.atoms.load_atoms` and the map derive from the tables is the
same until the data changes, so it is kept in the ``atom_cache`` table in named groups ("atoms",
"display"), one row per array, and read back with ``np.frombuffer`` (no copy). Account ids and
names are read only when something asks for them (a tooltip, a report, Ctrl+F).

Never used stale: each group's ``meta`` row records the schema revision, the project's data
version (``project_info.data_version``, moved on by every import of accounts, units or
opportunities, which also delete the cache) and a fingerprint of the tables (row counts and
largest ids); each array carries its dtype, shape and an Adler-32 checksum. Anything that does
not match, or does not decode, means "no cache": the data is derived from the tables again.
The fingerprint a group is written under is the one taken *before* its data was read
(:func:`read_stamped`, :attr:`AtomData.stamp`), so another program's import in between can
only make it miss. Writing is best effort: a read-only project simply opens the slow way.

Reading is what opening 10M accounts costs, so it is kept small: blobs are read with SQLite's
``blobopen`` (one copy), consecutive ids are stored as a range, the per-unit sums the balance
starts from are stored with the arrays, and the fingerprint is taken on another connection
meanwhile (``benchmarks/scale.py``).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import zlib
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from planner.model.database import current_revision
from planner.model.schema import Account, AtomCache, Opportunity, ProjectInfo, Unit
from planner.model.store import Project
from planner.model.strings import StringColumn

log = logging.getLogger(__name__)

FORMAT = 4  # 3: consecutive ids stored as a range; 4: account_status
DATA_VERSION = "data_version"
#: String columns read when first indexed, not at open (10M names: ~0.5 GB of bytes).
LAZY = frozenset({"account_ext_ids", "account_names"})


def fingerprint(project: Project) -> dict[str, Any]:
    """What must not have changed since the cache was written (cheap: counts and max ids).

    The row counts (``count(*)`` over 10M accounts: ~0.7 s of CPU) are counted once per open
    project and reused while the data version, schema and largest ids stay the same: every
    change this application makes to those tables moves the data version, and a project opened
    again (a new :class:`Project`) counts afresh, which is what catches a file changed by
    another tool."""
    with project.session() as s:
        out: dict[str, Any] = {
            "data_version": s.scalar(
                select(ProjectInfo.value).where(ProjectInfo.key == DATA_VERSION)
            )
            or "0",
            "schema": current_revision(project.engine),
        }
        tables = (("account", Account), ("unit", Unit), ("opportunity", Opportunity))
        tops = {name: int(s.scalar(select(func.max(t.id))) or 0) for name, t in tables}
        key = json.dumps([out, tops, project.commits], sort_keys=True)
        memo = project.__dict__.get("_fingerprint_counts")
        if memo is not None and memo[0] == key:
            counts = memo[1]
        else:
            counts = {name: int(s.scalar(select(func.count()).select_from(t)) or 0)
                      for name, t in tables}  # fmt: skip
            project.__dict__["_fingerprint_counts"] = (key, counts)
    for name, _ in tables:
        out[name] = [counts[name], tops[name]]
    return out


def read(
    project: Project, group: str = "atoms", *, stamp: Mapping[str, Any] | None = None
) -> dict[str, Any] | None:
    """The cached arrays of ``group``, or None when there is no valid cache for it.

    Valid means written for the tables as they are now, or, given ``stamp`` (the fingerprint
    of the data the caller holds: :attr:`AtomData.stamp`), written for that very data."""
    return read_stamped(project, group, stamp=stamp)[0]


def read_stamped(
    project: Project, group: str = "atoms", *, stamp: Mapping[str, Any] | None = None
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """:func:`read`, and the fingerprint it was checked against: the stamp for whatever is
    derived from the tables now when the cache is not valid (it was taken before they are
    read, so a change made meanwhile can only make that later cache miss, never go stale).

    The fingerprint (a row count of every account: ~0.7 s of CPU at 10M) is taken on another
    connection while the arrays are read."""
    current: Future[dict[str, Any]] | None = None
    try:
        with ThreadPoolExecutor(1) as pool:
            current = pool.submit(fingerprint, project) if stamp is None else _known(stamp)
            with project.session() as s:
                meta_raw = s.scalar(select(AtomCache.data).where(AtomCache.name == f"{group}/meta"))
                if meta_raw is None:
                    return None, current.result()
                meta = json.loads(bytes(meta_raw).decode("utf-8"))
                if meta.get("format") != FORMAT:
                    return None, current.result()
                eager = [
                    f"{group}/{n}.{part}"
                    for n, spec in meta["arrays"].items()
                    if n not in LAZY
                    for part in _parts(spec)
                ]
                sums = {
                    f"{group}/{n}.{part}": spec[part]["adler32"]
                    for n, spec in meta["arrays"].items()
                    if n not in LAZY
                    for part in _parts(spec)
                }
                blobs = _fetch(s, eager, sums)
            if meta.get("fingerprint") != current.result():
                return None, current.result()
        out = {}
        for name, spec in meta["arrays"].items():
            if name in LAZY:
                key = f"{group}/{name}"
                out[name] = StringColumn.lazy(
                    _loader(project, key, spec),
                    length=int(spec["offsets"]["shape"][0]) - 1,
                    pick=_picker(project, key, spec),
                )
            else:
                out[name] = _decode(f"{group}/{name}", spec, blobs, checked=True)
        return out, current.result()
    except (ValueError, KeyError, TypeError) as exc:
        log.warning("%s cache of %s ignored: %s", group, project.location, exc)
        if current is not None and current.exception() is None:  # the pool has ended: done
            return None, current.result()
        return None, fingerprint(project)


def _known(stamp: Mapping[str, Any]) -> Future[dict[str, Any]]:
    """A fingerprint the caller already has, as the pool's future would give it."""
    done: Future[dict[str, Any]] = Future()
    done.set_result(dict(stamp))
    return done


def _fetch(s: Session, names: list[str], sums: Mapping[str, int] | None = None) -> dict[str, bytes]:
    """The blobs of these rows. On SQLite through ``blobopen`` (copied once, straight from the
    pages): a third of the CPU of fetching them as column values (0.8 s instead of 2.2 s for
    the 800 MB of 10M accounts).

    ``sums`` (name -> Adler-32) are checked on a second thread while the next blob is read
    (both release the GIL): ~0.4 s of a 10M open that no longer adds to the reading. A
    mismatch raises ValueError."""
    driver = s.connection().connection.driver_connection
    if not isinstance(driver, sqlite3.Connection):
        rows = s.execute(select(AtomCache.name, AtomCache.data).where(AtomCache.name.in_(names)))
        out = {name: bytes(data) for name, data in rows.all()}
        _check(out, sums or {})
        return out
    out = {}
    with ThreadPoolExecutor(1) as pool:
        checks = []
        for name, rowid in _rowids(s, names).items():
            with driver.blobopen("atom_cache", "data", int(rowid), readonly=True) as blob:
                out[name] = blob.read()
            if sums is not None and name in sums:
                checks.append(pool.submit(_check, {name: out[name]}, sums))
        for check in checks:
            check.result()
    return out


def _rowids(s: Session, names: list[str]) -> dict[str, int]:
    """Row ids of these cache rows (for ``blobopen``), by name; missing ones left out."""
    found = s.execute(
        select(AtomCache.name, text("atom_cache.rowid")).where(AtomCache.name.in_(names))
    ).all()
    return {str(name): int(rowid) for name, rowid in found}


def _check(blobs: Mapping[str, bytes], sums: Mapping[str, int]) -> None:
    for name, data in blobs.items():
        if name in sums and zlib.adler32(data) != sums[name]:
            raise ValueError(f"{name}: checksum mismatch")


def write(
    project: Project,
    arrays: Mapping[str, Any],
    group: str = "atoms",
    *,
    stamp: Mapping[str, Any] | None = None,
) -> bool:
    """Store ``arrays`` (numpy arrays and StringColumns) as ``group``; False if it could not be
    written (read-only project, another writer): the project still opens the slow way.

    ``stamp``: the fingerprint taken before the data ``arrays`` come from was read (from
    :func:`read_stamped`, or :attr:`AtomData.stamp` for what is derived from the atoms).
    Without it the fingerprint is taken now, which is right only if nothing can have changed
    the tables since they were read: another program's import in between would have the old
    arrays stored as the new data's."""
    stamp = dict(stamp) if stamp is not None else fingerprint(project)
    meta: dict[str, Any] = {"format": FORMAT, "fingerprint": stamp, "arrays": {}}
    rows = []
    for name, value in arrays.items():
        if isinstance(value, StringColumn):
            parts: dict[str, NDArray[Any]] = {"data": value.data, "offsets": value.offsets}
            meta["arrays"][name] = {"kind": "strings", **{k: _spec(v) for k, v in parts.items()}}
        elif _is_range(value):  # ids 1..n, as most projects have them: nothing to store
            meta["arrays"][name] = {"kind": "range", "start": int(value[0]), "length": len(value)}
            continue
        else:
            parts = {"array": np.ascontiguousarray(value)}
            meta["arrays"][name] = {"kind": "array", "array": _spec(parts["array"])}
        rows += [{"name": f"{group}/{name}.{k}", "data": _bytes(v)} for k, v in parts.items()]
    rows.append({"name": f"{group}/meta", "data": json.dumps(meta).encode("utf-8")})
    try:
        with project.transaction() as s:
            s.execute(delete(AtomCache).where(AtomCache.name.like(f"{group}/%")))
            s.execute(insert(AtomCache), rows)
    except Exception as exc:  # never fail an open because the cache could not be kept
        log.info("%s cache of %s not written: %s", group, project.location, exc)
        return False
    return True


def invalidate(session: Any) -> None:
    """In an import's transaction: the data changed, the cache goes and the version moves."""
    session.execute(delete(AtomCache))
    row = session.get(ProjectInfo, DATA_VERSION)
    if row is None:
        session.add(ProjectInfo(key=DATA_VERSION, value="1"))
    else:
        row.value = str(int(row.value or 0) + 1)


def _parts(spec: Mapping[str, Any]) -> tuple[str, ...]:
    return {"strings": ("data", "offsets"), "range": ()}.get(spec["kind"], ("array",))


def _is_range(value: Any) -> bool:
    """A non-empty 1-D int64 array of consecutive integers (stored as its first value)."""
    return (
        isinstance(value, np.ndarray)
        and value.dtype == np.int64
        and value.ndim == 1
        and len(value) > 0
        and bool(np.array_equal(value, np.arange(value[0], value[0] + len(value))))
    )


def _spec(arr: NDArray[Any]) -> dict[str, Any]:
    return {"dtype": arr.dtype.str, "shape": list(arr.shape), "adler32": zlib.adler32(_bytes(arr))}


def _bytes(arr: NDArray[Any]) -> bytes:
    return np.ascontiguousarray(arr).tobytes()


def _array(spec: Mapping[str, Any], blob: Any, checked: bool = False) -> NDArray[Any]:
    raw = bytes(blob) if not isinstance(blob, bytes) else blob
    if not checked and zlib.adler32(raw) != spec["adler32"]:
        raise ValueError("checksum mismatch")
    arr = np.frombuffer(raw, dtype=np.dtype(spec["dtype"]))
    return arr.reshape(spec["shape"])


def _decode(
    key: str, spec: Mapping[str, Any], blobs: Mapping[str, Any], checked: bool = False
) -> Any:
    if spec["kind"] == "range":
        start, length = int(spec["start"]), int(spec["length"])
        return np.arange(start, start + length, dtype=np.int64)
    if spec["kind"] == "strings":
        data = _array(spec["data"], blobs[f"{key}.data"], checked)
        offsets = _array(spec["offsets"], blobs[f"{key}.offsets"], checked)
        if len(offsets) == 0 or offsets[-1] != len(data):
            raise ValueError(f"{key}: offsets do not match the data")
        return StringColumn(data, offsets)
    return _array(spec["array"], blobs[f"{key}.array"], checked)


def _loader(project: Project, key: str, spec: Mapping[str, Any]) -> Any:
    """Reads a string column when it is first indexed; if the cache went meanwhile (or is
    damaged), from the account table itself."""

    def load() -> StringColumn:
        try:
            with project.session() as s:
                blobs = _fetch(s, [f"{key}.data", f"{key}.offsets"])
            column = _decode(key, spec, blobs)
            assert isinstance(column, StringColumn)
            return column
        except (ValueError, KeyError):
            from planner.model.atoms import read_account_strings

            return read_account_strings(project, key.rsplit("/", 1)[-1])

    return load


def _picker(project: Project, key: str, spec: Mapping[str, Any]) -> Any:
    """Reads a few strings of a cached column without loading it: each one's two offsets and
    its bytes straight from the blobs (SQLite's incremental blob I/O). None (load the whole
    column instead, which verifies it) when not on SQLite, when the cache went, or when what
    is read does not make sense."""
    size, dtype = int(spec["data"]["shape"][0]), np.dtype(spec["offsets"]["dtype"])
    names = [f"{key}.offsets", f"{key}.data"]

    def pick(index: NDArray[np.int64]) -> list[str] | None:
        try:
            with project.session() as s:
                driver = s.connection().connection.driver_connection
                if not isinstance(driver, sqlite3.Connection):
                    return None
                rowid = _rowids(s, names)
                if len(rowid) != 2:
                    return None
                with (
                    driver.blobopen("atom_cache", "data", rowid[names[0]], readonly=True) as ob,
                    driver.blobopen("atom_cache", "data", rowid[names[1]], readonly=True) as db,
                ):
                    return [_one(ob, db, i) for i in index.tolist()]
        except (sqlite3.Error, UnicodeDecodeError, ValueError):
            return None

    def _one(offsets: sqlite3.Blob, data: sqlite3.Blob, i: int) -> str:
        offsets.seek(i * dtype.itemsize)
        start, end = (int(v) for v in np.frombuffer(offsets.read(2 * dtype.itemsize), dtype))
        if not 0 <= start <= end <= size:
            raise ValueError(f"{key}: offsets out of range")
        data.seek(start)
        return data.read(end - start).decode("utf-8")

    return pick
