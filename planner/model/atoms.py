"""The atom matrix: every per-atom quantity the balance needs, loaded once per project.

DESIGN.md "an alignment is a vector". Atoms are indexed ``0 .. n_units + n_accounts - 1``:
first every unit, then every account. An alignment holds, per atom, a territory index
(``0 .. K-1``), :data:`UNASSIGNED` or, for accounts only, :data:`FOLLOW` ("goes with its unit").
In a unit project accounts normally FOLLOW and become atoms of their own only when pinned; in a
free-form project (no units) every account is an atom with an explicit territory.

Loading reads the atom cache (:mod:`planner.model.atom_cache`: the arrays as raw bytes in the
project) and, when it is gone, the tables a block of rows at a time straight into numpy
(:mod:`planner.model._table_arrays`): no Python object per account is kept, none is built on the
cached path.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sqlalchemy import text

from planner.model import _table_arrays
from planner.model.store import Project
from planner.model.strings import StringColumn

UNASSIGNED = -1
FOLLOW = -2

#: :attr:`AtomData.account_status` codes (0: any other status, e.g. prospect).
CUSTOMER, PARTNER = 1, 2

#: Columns of the per-atom base matrix. ``call_minutes`` = visits x minutes per visit.
BASE_COLUMNS = ("accounts", "potential", "revenue", "pipeline", "visits", "call_minutes")
COL = {name: i for i, name in enumerate(BASE_COLUMNS)}


@dataclass(frozen=True, eq=False)
class AtomData:
    """Read-only per-project arrays. Indices, not database ids, are used everywhere inside."""

    unit_ids: NDArray[np.int64]
    unit_codes: NDArray[np.object_]
    unit_names: NDArray[np.object_]
    #: Representative point of each unit (inside the polygon): decides lasso membership.
    unit_rep_lon: NDArray[np.float64]
    unit_rep_lat: NDArray[np.float64]
    #: Visit-weighted centroid of each unit's accounts (travel estimate); rep point if none.
    unit_travel_lon: NDArray[np.float64]
    unit_travel_lat: NDArray[np.float64]
    account_ids: NDArray[np.int64]
    #: External ids and names: decoded when indexed (10M strings as objects: ~1.4 GB).
    account_ext_ids: StringColumn
    account_names: StringColumn
    account_unit: NDArray[np.int64]  # unit index or -1
    account_lon: NDArray[np.float64]  # NaN when unlocated
    account_lat: NDArray[np.float64]
    #: (n_accounts x len(BASE_COLUMNS)) base metrics per account.
    account_matrix: NDArray[np.float64]
    #: CUSTOMER, PARTNER or 0 per account (results and partner lists read it from here: the
    #: status column of 10M accounts read through SQL took half a minute of every open).
    account_status: NDArray[np.int8]
    territory_ids: NDArray[np.int64]
    territory_names: NDArray[np.object_]
    territory_colours: NDArray[np.object_]
    territory_rep_ids: NDArray[np.float64]  # NaN when no rep
    territory_parent_ids: NDArray[np.float64]  # NaN when no parent (district, region)
    territory_weights: NDArray[np.float64]
    territory_locked: NDArray[np.bool_]
    #: Rep home base per territory (NaN when the territory has no rep with a home base).
    home_lon: NDArray[np.float64]
    home_lat: NDArray[np.float64]
    rep_names: dict[int, str]
    #: Home base (lon, lat) of every rep that has one: a territory's travel anchor.
    rep_homes: dict[int, tuple[float, float]]
    #: The project's fingerprint (:func:`planner.model.atom_cache.fingerprint`) for the data
    #: these arrays were read from: what is derived from them is cached under it, so another
    #: program's import meanwhile cannot have it stored as the new data's. None: not known.
    stamp: dict[str, Any] | None = None

    @property
    def n_units(self) -> int:
        return len(self.unit_ids)

    @property
    def n_accounts(self) -> int:
        return len(self.account_ids)

    @property
    def n_atoms(self) -> int:
        return self.n_units + self.n_accounts

    @property
    def n_territories(self) -> int:
        return len(self.territory_ids)

    @property
    def free_form(self) -> bool:
        """No unit layer: every account is its own atom, assigned by drawn polygons."""
        return self.n_units == 0

    def unit_matrix_all(self) -> NDArray[np.float64]:
        """Per-unit sums over all its accounts (pins not considered): kept in the atom cache
        (six passes over 10M accounts cost ~1 s of every open); a copy, the caller's to change."""
        found = self.__dict__.get("_memo_unit_sums")
        if found is None:
            found = self.__dict__["_memo_unit_sums"] = unit_sums(
                self.account_unit, self.account_matrix, self.n_units
            )
        return cast("NDArray[np.float64]", found).copy()

    def all_located(self) -> bool:
        """Every account lies in a unit (memoised: one pass over the accounts)."""
        found = self.__dict__.get("_memo_all_located")
        if found is None:
            found = self.__dict__["_memo_all_located"] = bool(
                self.n_units and (self.account_unit >= 0).all()
            )
        return bool(found)

    def territory_index(self) -> dict[int, int]:
        """Database territory id -> index (built once per AtomData; do not mutate)."""
        return self._index("territory_ids")

    def unit_index(self) -> dict[int, int]:
        return self._index("unit_ids")

    def account_index(self) -> Mapping[int, int]:
        """Database account id -> index: an :class:`IdIndex` over the id array (a dict of 10M
        ints is ~1 GB of Python objects and seconds to build, on every undo)."""
        found = self.__dict__.get("_memo_account_ids")
        if found is None:
            found = self.__dict__["_memo_account_ids"] = IdIndex(self.account_ids)
        return cast("Mapping[int, int]", found)

    def accounts_of_units(self, units: NDArray[np.int64]) -> NDArray[np.int64]:
        """Indices of the accounts located in these units, in O(their accounts): a CSR index
        (accounts sorted by unit) built once per AtomData; ``np.isin`` over every account cost
        ~5 ms per edit at 100k accounts and grows with the project."""
        csr = self.__dict__.get("_memo_unit_accounts")
        if csr is None:
            order = np.argsort(self.account_unit, kind="stable")
            located = order[self.account_unit[order] >= 0]
            starts = np.searchsorted(self.account_unit[located], np.arange(self.n_units + 1))
            csr = (located, starts)
            self.__dict__["_memo_unit_accounts"] = csr
        located, starts = csr
        units = np.asarray(units, dtype=np.int64)
        if not len(units):
            return np.zeros(0, dtype=np.int64)
        return np.concatenate([located[starts[u] : starts[u + 1]] for u in units])

    def _index(self, field: str) -> dict[int, int]:
        # Memoised in the instance dict (the dataclass is frozen, its arrays read-only in
        # practice): restoring 100+ undo steps rebuilt a 100k-entry dict per step (4 s).
        key = f"_memo_{field}"
        found = self.__dict__.get(key)
        if found is None:
            found = {int(v): i for i, v in enumerate(getattr(self, field))}
            self.__dict__[key] = found
        return found


class IdIndex(Mapping[int, int]):
    """Position of each database id in an id array, looked up by binary search: a read-only
    mapping with no Python object per id."""

    def __init__(self, ids: NDArray[np.int64]) -> None:
        ids = self._ids = np.asarray(ids, dtype=np.int64)
        ascending = bool(np.all(ids[1:] > ids[:-1]))
        self._order = None if ascending else np.argsort(ids, kind="stable")
        self._sorted = ids if self._order is None else ids[self._order]

    def __getitem__(self, key: int) -> int:
        i = int(np.searchsorted(self._sorted, key))
        if i >= len(self._sorted) or self._sorted[i] != key:
            raise KeyError(key)
        return i if self._order is None else int(self._order[i])

    def __iter__(self) -> Iterator[int]:
        return iter(self._ids.tolist())

    def __len__(self) -> int:
        return len(self._sorted)


#: Every account number, NULL-free for ``np.fromiter``: id, unit id, whether it is NULL, lon,
#: whether NULL, lat, whether NULL, potential, revenue, visits, minutes per visit (NULL
#: figures count as 0).
_ACCOUNT_NUMBERS = (
    "SELECT id, COALESCE(unit_id, 0), unit_id IS NULL, COALESCE(lon, 0), lon IS NULL, "
    "COALESCE(lat, 0), lat IS NULL, COALESCE(potential, 0), COALESCE(revenue, 0), "
    "COALESCE(visits_per_year, 0), COALESCE(minutes_per_visit, 0), "
    f"CASE status WHEN 'customer' THEN {CUSTOMER} WHEN 'partner' THEN {PARTNER} ELSE 0 END "
    "FROM account ORDER BY id"
)

#: A scenario's assignment rows of one atom kind: atom id, territory id, whether it is NULL.
_ALIGNMENT_SQL = (
    "SELECT atom_id, COALESCE(territory_id, 0), territory_id IS NULL FROM assignment "
    "WHERE scenario_id = :s AND atom_kind = '{kind}'"
)
_PIN_SQL = (
    "SELECT account_id, territory_id FROM pin WHERE scenario_id = :s AND territory_id IS NOT NULL"
)

_TERRITORY_SQL = (
    "SELECT st.territory_id AS id, st.name, st.colour, st.rep_id, st.parent_id, "
    "st.target_weight, st.locked, r.home_lon, r.home_lat FROM scenario_territory st "
    "LEFT JOIN rep r ON r.id = st.rep_id WHERE st.scenario_id = :s ORDER BY st.territory_id"
)


def _frame(project: Project, sql: str, **params: int) -> pd.DataFrame:
    """Run a read query into a DataFrame.

    On SQLite pandas reads through the sqlite3 connection itself: ~40 % faster than through
    SQLAlchemy's row objects at 1M accounts (4.3 s -> 2.7 s), same frame. Other databases go
    through SQLAlchemy.
    """
    with project.engine.connect() as conn:
        if project.is_sqlite:
            driver = cast(sqlite3.Connection, conn.connection.driver_connection)
            return pd.read_sql_query(sql, driver, params=params)
        return pd.read_sql_query(text(sql), conn, params=params)


def unit_sums(
    account_unit: NDArray[np.int64], matrix: NDArray[np.float64], n_units: int
) -> NDArray[np.float64]:
    """Per-unit sums of the account matrix over the located accounts, in account order."""
    has = account_unit >= 0
    units, rows = (account_unit, matrix) if has.all() else (account_unit[has], matrix[has])
    out = np.zeros((n_units, matrix.shape[1]))
    for j in range(matrix.shape[1]):
        out[:, j] = np.bincount(units, weights=rows[:, j], minlength=n_units)
    return out


def load_atoms(
    project: Project, scenario_id: int | None = None, *, keep_cache: bool = False
) -> AtomData:
    """Units, accounts, pipeline and the territories of a scenario (default: the baseline) as
    arrays: from the atom cache when it is valid (a memory copy of the project), else read from
    the tables (one pass, no ORM).

    ``keep_cache`` writes the cache when it had to be rebuilt: the window does, when it opens a
    project; commands that only read (or that refuse) leave the file exactly as it was.
    """
    from planner.model import atom_cache

    arrays, stamp = atom_cache.read_stamped(project)
    if arrays is None:
        arrays = read_arrays(project)
        if keep_cache:
            atom_cache.write(project, arrays, stamp=stamp)
    units = {k: np.asarray(arrays[k]) for k in ("unit_codes", "unit_names")}  # few: decode
    sums = arrays.pop("unit_sums", None)
    atoms = AtomData(**{**arrays, **units}, **territory_fields(project, scenario_id), stamp=stamp)
    if sums is not None and sums.shape == (atoms.n_units, len(BASE_COLUMNS)):
        atoms.__dict__["_memo_unit_sums"] = sums
    return atoms


def read_arrays(project: Project) -> dict[str, Any]:
    """The unit and account arrays of :class:`AtomData`, read from the tables.

    Accounts are read a block of rows at a time (:mod:`planner.model._table_arrays`): this is
    the first open after an import, and reading all rows at once through pandas held every
    cell as a Python object (ten million accounts passed 13 GB)."""
    units = _frame(project, "SELECT id, code, name, rep_lon, rep_lat FROM unit ORDER BY id")
    unit_ids = units["id"].to_numpy(np.int64)
    with project.engine.connect() as conn:
        count = int(conn.execute(text("SELECT COUNT(*) FROM account")).scalar_one())
    num = _table_arrays.numbers(project, _ACCOUNT_NUMBERS, 12, count)
    ids = num[:, 0].astype(np.int64)
    account_unit = index_of(unit_ids, num[:, 1].astype(np.int64))
    account_unit[num[:, 2] != 0] = -1
    lon = np.where(num[:, 4] == 0, num[:, 3], np.nan)
    lat = np.where(num[:, 6] == 0, num[:, 5], np.nan)
    visits = np.ascontiguousarray(num[:, 9])
    status = num[:, 11].astype(np.int8)
    pipe = _table_arrays.numbers(
        project,
        "SELECT account_id, COALESCE(SUM(amount), 0) FROM opportunity "
        "WHERE is_open AND account_id IS NOT NULL GROUP BY account_id",
        2,
    )
    pipeline = np.zeros(len(ids))
    at = index_of(ids, pipe[:, 0].astype(np.int64))
    pipeline[at[at >= 0]] = pipe[at >= 0, 1]
    matrix = np.empty((len(ids), len(BASE_COLUMNS)))
    matrix[:, COL["accounts"]] = 1.0
    matrix[:, COL["potential"]] = num[:, 7]
    matrix[:, COL["revenue"]] = num[:, 8]
    matrix[:, COL["pipeline"]] = pipeline
    matrix[:, COL["visits"]] = visits
    matrix[:, COL["call_minutes"]] = visits * num[:, 10]
    del num
    ext_ids, names = _table_arrays.strings(
        project, "SELECT external_id, name FROM account ORDER BY id", 2
    )

    # Visit-weighted centroid per unit for travel; falls back to the representative point.
    n_u = len(unit_ids)
    ok = (account_unit >= 0) & np.isfinite(lon) & np.isfinite(lat)
    w = np.where(ok, np.maximum(visits, 1e-9), 0.0)
    wsum = np.bincount(account_unit[ok], weights=w[ok], minlength=n_u)
    tlon = np.bincount(account_unit[ok], weights=(w * np.nan_to_num(lon))[ok], minlength=n_u)
    tlat = np.bincount(account_unit[ok], weights=(w * np.nan_to_num(lat))[ok], minlength=n_u)
    rep_lon = units["rep_lon"].to_numpy(np.float64)
    rep_lat = units["rep_lat"].to_numpy(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        travel_lon = np.where(wsum > 0, tlon / wsum, rep_lon)
        travel_lat = np.where(wsum > 0, tlat / wsum, rep_lat)

    return {
        "unit_ids": unit_ids,
        "unit_codes": StringColumn.from_strings(units["code"]),
        "unit_names": StringColumn.from_strings(units["name"]),
        "unit_rep_lon": rep_lon,
        "unit_rep_lat": rep_lat,
        "unit_travel_lon": travel_lon,
        "unit_travel_lat": travel_lat,
        "account_ids": ids,
        "account_ext_ids": ext_ids,
        "account_names": names,
        "account_unit": account_unit,
        "account_lon": lon,
        "account_lat": lat,
        "account_matrix": matrix,
        "account_status": status,
        "unit_sums": unit_sums(account_unit, matrix, n_u),
    }


def index_of(keys: NDArray[np.int64], ids: NDArray[np.int64]) -> NDArray[np.int64]:
    """Index of each id in ``keys`` (distinct; ascending is the fast case), -1 where absent."""
    if not len(keys):
        return np.full(len(ids), -1, dtype=np.int64)
    keys = np.asarray(keys, dtype=np.int64)
    order = None if bool(np.all(keys[1:] > keys[:-1])) else np.argsort(keys, kind="stable")
    ordered = keys if order is None else keys[order]
    pos = np.minimum(np.searchsorted(ordered, ids), len(keys) - 1)
    found = np.where(ordered[pos] == ids, pos, -1).astype(np.int64)
    if order is not None:
        found[found >= 0] = order[found[found >= 0]]
    return found


def read_account_strings(project: Project, field: str) -> StringColumn:
    """Account external ids or names from the table, in account id order (the lazy columns'
    fallback when their cache is gone)."""
    column = {"account_ext_ids": "external_id", "account_names": "name"}[field]
    return _table_arrays.strings(project, f"SELECT {column} FROM account ORDER BY id", 1)[0]


def territory_fields(project: Project, scenario_id: int | None = None) -> dict[str, Any]:
    """The territory columns of :class:`AtomData` for one scenario (default: the baseline).

    Territories are per scenario (:class:`~planner.model.schema.ScenarioTerritory`); their index
    order is by database id, so a territory created later is appended at the end.
    """
    sid = project.baseline_id() if scenario_id is None else int(scenario_id)
    terr = _frame(project, _TERRITORY_SQL, s=sid)
    reps = _frame(project, "SELECT id, name, home_lon, home_lat FROM rep")
    return {
        "territory_ids": terr["id"].to_numpy(np.int64),
        "territory_names": terr["name"].to_numpy(object),
        "territory_colours": terr["colour"].to_numpy(object),
        "territory_rep_ids": terr["rep_id"].astype(float).to_numpy(np.float64),
        "territory_parent_ids": terr["parent_id"].astype(float).to_numpy(np.float64),
        "territory_weights": terr["target_weight"].fillna(1.0).to_numpy(np.float64),
        "territory_locked": terr["locked"].fillna(False).astype(bool).to_numpy(),
        "home_lon": terr["home_lon"].astype(float).to_numpy(np.float64),
        "home_lat": terr["home_lat"].astype(float).to_numpy(np.float64),
        "rep_names": {int(i): str(n) for i, n in zip(reps["id"], reps["name"], strict=True)},
        "rep_homes": {
            int(i): (float(lon), float(lat))
            for i, lon, lat in zip(reps["id"], reps["home_lon"], reps["home_lat"], strict=True)
            if pd.notna(lon)
            and pd.notna(lat)
            and np.isfinite(float(lon))
            and np.isfinite(float(lat))
        },
    }


def for_scenario(atoms: AtomData, project: Project, scenario_id: int) -> AtomData:
    """The same units and accounts with the territories of another scenario (cheap: the big
    arrays are shared, only the territory columns are read)."""
    return replace_territories(atoms, **territory_fields(project, scenario_id))


def replace_territories(atoms: AtomData, **columns: Any) -> AtomData:
    """A copy with other territory columns; the unit and account arrays (and their id
    lookups, which take a while to build at 1M accounts) are shared."""
    fresh = dataclasses.replace(atoms, **columns)
    for key in ("_memo_unit_ids", "_memo_account_ids", "_memo_unit_accounts", "_memo_unit_sums",
                "_memo_all_located"):  # fmt: skip
        if key in atoms.__dict__:
            fresh.__dict__[key] = atoms.__dict__[key]
    return fresh


def load_alignment(project: Project, atoms: AtomData, scenario_id: int) -> NDArray[np.int32]:
    """The stored alignment of a scenario as an atom vector (see module docstring).

    Rows are read per atom kind straight into numpy (no ``atom_kind`` string per row, no
    DataFrame): a free-form scenario has a row per account, 2.5x faster this way at 1M."""
    align = np.full(atoms.n_atoms, UNASSIGNED, dtype=np.int32)
    if not atoms.free_form:
        align[atoms.n_units :] = FOLLOW
    sid = {"s": int(scenario_id)}
    for kind, offset, ids in (
        ("unit", 0, atoms.unit_ids),
        ("account", atoms.n_units, atoms.account_ids),
    ):
        rows = _table_arrays.numbers(project, _ALIGNMENT_SQL.format(kind=kind), 3, params=sid)
        pos = index_of(ids, rows[:, 0].astype(np.int64))
        terr = index_of(atoms.territory_ids, rows[:, 1].astype(np.int64))
        terr[rows[:, 2] != 0] = UNASSIGNED
        align[offset + pos[pos >= 0]] = terr[pos >= 0]
    pins = _table_arrays.numbers(project, _PIN_SQL, 2, params=sid)
    pos = index_of(atoms.account_ids, pins[:, 0].astype(np.int64))
    terr = index_of(atoms.territory_ids, pins[:, 1].astype(np.int64))
    ok = (pos >= 0) & (terr >= 0)
    align[atoms.n_units + pos[ok]] = terr[ok]
    return align


def account_territories(atoms: AtomData, alignment: NDArray[np.int32]) -> NDArray[np.int32]:
    """Effective territory of every account (pins and free-form atoms explicit, others by unit)."""
    acc = alignment[atoms.n_units :]
    follow = acc == FOLLOW
    unit_al = alignment[: atoms.n_units]
    if follow.all() and len(unit_al):  # no pin (most unit projects): no masks, 2x faster
        au = atoms.account_unit
        if atoms.all_located():  # one gather
            return unit_al[au]
        return np.where(au >= 0, unit_al[np.maximum(au, 0)], -1).astype(acc.dtype, copy=False)
    acc = acc.copy()
    if follow.any():
        au = atoms.account_unit[follow]
        acc[follow] = np.where(au >= 0, unit_al[np.maximum(au, 0)] if len(unit_al) else -1, -1)
    return acc


def territory_ids_of(atoms: AtomData, index: NDArray[np.integer]) -> NDArray[np.int64]:
    """Database territory id for each territory index (-1 for unassigned or FOLLOW)."""
    ids = np.append(atoms.territory_ids, -1)
    return ids[np.where(index >= 0, index, len(ids) - 1)]


def load_unit_geometries(project: Project) -> NDArray[np.object_]:
    """Unit polygons in the order of :attr:`AtomData.unit_ids` (kept out of AtomData: only the
    map, exports and the optimiser need them)."""
    import shapely

    with project.engine.connect() as conn:
        wkb = [row[0] for row in conn.execute(text("SELECT geometry FROM unit ORDER BY id"))]
    return np.asarray(shapely.from_wkb(wkb), dtype=object) if wkb else np.zeros(0, dtype=object)
