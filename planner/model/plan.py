"""A scenario in memory: the alignment vector, its balance, and MoveSet apply/undo/preview.

:meth:`Plan.apply` writes the new alignment values and an EditLog row in one transaction, then
updates the vector and the totals in O(|S|) and announces a :class:`PlanChange`. If the write
fails nothing in memory changes. The scenario row's ``version`` is bumped on every write and
checked first, so in team mode a planner working on a stale copy gets :class:`StaleScenario`
naming who changed it, instead of silently overwriting a colleague.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from psygnal import Signal
from sqlalchemy import and_, delete, insert, select, update

from planner.model.atoms import (
    COL,
    FOLLOW,
    UNASSIGNED,
    AtomData,
    account_territories,
    load_alignment,
    load_atoms,
    load_atoms_territories,
)
from planner.model.balance import METRICS, Balance, deviations, metric_values, summary
from planner.model.errors import PlannerError
from planner.model.events import PlanChange
from planner.model.moves import MoveSet
from planner.model.schema import Assignment, EditLog, Pin, Scenario
from planner.model.store import Project

_CHUNK = 5000  # SQLite variable limit safety for IN (...) lists


class StaleScenario(PlannerError):
    """Someone else changed the scenario since it was loaded."""


@dataclass(frozen=True)
class TerritoryDelta:
    index: int
    name: str
    before: dict[str, float]
    after: dict[str, float]
    deviation_before: dict[str, float]
    deviation_after: dict[str, float]


@dataclass(frozen=True)
class Preview:
    """What a MoveSet would do, computed without applying it."""

    moveset: MoveSet
    units: int
    accounts: int
    moved: dict[str, float]  # potential, revenue, pipeline, workload_hours of moved accounts
    territories: list[TerritoryDelta]
    max_abs_deviation_before: dict[str, float]
    max_abs_deviation_after: dict[str, float]


class Plan:
    """The active scenario of an open project."""

    changed = Signal(PlanChange)

    def __init__(
        self,
        project: Project,
        atoms: AtomData,
        scenario_id: int,
        alignment: NDArray[np.int32],
        baseline: NDArray[np.int32],
        *,
        name: str = "",
        version: int = 1,
        user: str = "",
    ) -> None:
        self.project = project
        self.atoms = atoms
        self.scenario_id = scenario_id
        self.name = name
        self.version = version
        self.user = user or _user()
        self.alignment = alignment
        self.baseline = baseline
        self.balance = Balance(atoms, alignment)
        self._baseline_accounts = account_territories(atoms, baseline)

    @classmethod
    def load(
        cls, project: Project, scenario: int | str | None = None, atoms: AtomData | None = None
    ) -> Plan:
        """Load a scenario (id, name, or None for the baseline) with its baseline for disruption."""
        atoms = atoms if atoms is not None else load_atoms(project)
        from planner.model.scenarios import resolve

        with project.session() as s:
            row = resolve(s, scenario)
            base_id = s.scalar(select(Scenario.id).where(Scenario.is_baseline.is_(True)))
            sid, name, version = row.id, row.name, row.version
        alignment = load_alignment(project, atoms, sid)
        baseline = alignment.copy() if base_id == sid else load_alignment(project, atoms, base_id)
        return cls(project, atoms, sid, alignment, baseline, name=name, version=version)

    def refresh_territories(self) -> None:
        """Reload territory names, colours, reps, weights and locks (and new territories).

        Existing territory indices keep their meaning: new territories are appended, so the
        alignment vector and MoveSets held by undo commands stay valid. A territory deleted
        from the project keeps its slot (with zero totals) until the plan is reloaded.
        """
        import dataclasses

        fresh = load_atoms_territories(self.project)
        old_ids = list(self.atoms.territory_ids)
        order = old_ids + [t for t in fresh["id"] if t not in set(old_ids)]
        pos = {t: i for i, t in enumerate(fresh["id"])}

        def col(key: str, default: Any) -> np.ndarray:
            old = getattr(
                self.atoms, f"territory_{key}" if key != "home_lon" and key != "home_lat" else key
            )
            vals = [fresh[key][pos[t]] if t in pos else old[i] for i, t in enumerate(order)]
            return np.asarray(vals, dtype=old.dtype if len(old) else type(default))

        new_atoms = dataclasses.replace(
            self.atoms,
            territory_ids=np.asarray(order, dtype=np.int64),
            territory_names=col("names", ""),
            territory_colours=col("colours", ""),
            territory_rep_ids=col("rep_ids", 0.0),
            territory_weights=col("weights", 1.0),
            territory_locked=col("locked", False),
            home_lon=col("home_lon", 0.0),
            home_lat=col("home_lat", 0.0),
            rep_names=fresh["rep_names"],
        )
        added = len(order) - len(old_ids)
        self.atoms = new_atoms
        self.balance.atoms = new_atoms
        if added:
            self.balance.totals = np.vstack(
                [self.balance.totals, np.zeros((added, self.balance.totals.shape[1]))]
            )
            self.balance.anchor_lon = np.append(
                self.balance.anchor_lon, new_atoms.home_lon[-added:]
            )
            self.balance.anchor_lat = np.append(
                self.balance.anchor_lat, new_atoms.home_lat[-added:]
            )

    def set_anchor(self, territory: int, lon: float, lat: float) -> None:
        """Travel anchor of a territory without a rep home base (e.g. one just split off)."""
        if not (
            np.isfinite(self.atoms.home_lon[territory])
            and np.isfinite(self.atoms.home_lat[territory])
        ):
            self.balance.anchor_lon[territory] = lon
            self.balance.anchor_lat[territory] = lat
            self.balance.totals = self.balance.recompute()

    # -- queries -------------------------------------------------------------------------------
    def territory_label(self, t: int) -> str:
        if t == FOLLOW:
            return "its unit's territory"
        if t == UNASSIGNED:
            return "unassigned"
        return str(self.atoms.territory_names[t])

    def effective_territories(self, atom_idx: NDArray[np.int64]) -> NDArray[np.int64]:
        return self.balance._effective(atom_idx, self.alignment[atom_idx])

    def account_territories(self) -> NDArray[np.int32]:
        return account_territories(self.atoms, self.alignment)

    def metrics(self) -> dict[str, NDArray[np.float64]]:
        return metric_values(self.balance.totals)

    def deviation(self, metric: str) -> NDArray[np.float64]:
        return deviations(self.metrics()[metric], self.atoms.territory_weights)

    def summary(self) -> dict[str, dict[str, float]]:
        return summary(self.balance.totals, self.atoms.territory_weights)

    def unassigned_accounts(self) -> int:
        return int((self.account_territories() < 0).sum())

    def disruption(self) -> dict[str, float]:
        """Share of accounts, revenue and potential whose territory differs from the baseline."""
        now = self.account_territories()
        changed = now != self._baseline_accounts
        m = self.atoms.account_matrix
        out = {}
        for key in ("accounts", "revenue", "potential"):
            col = m[:, COL[key]]
            total = col.sum()
            out[key] = float(col[changed].sum() / total) if total > 0 else 0.0
        return out

    def territory_disruption(self) -> NDArray[np.float64]:
        """Per territory: accounts gained + lost vs baseline, over its baseline account count."""
        now = self.account_territories()
        base = self._baseline_accounts
        k = self.atoms.n_territories
        changed = now != base
        lost = np.bincount(base[changed & (base >= 0)], minlength=k)
        gained = np.bincount(now[changed & (now >= 0)], minlength=k)
        size = np.bincount(base[base >= 0], minlength=k)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(size > 0, (lost + gained) / np.maximum(size, 1), 0.0)

    def rows(self) -> list[dict[str, Any]]:
        """One dict per territory: the balance table's content (also the CLI's --json)."""
        a = self.atoms
        vals = self.metrics()
        devs = {m: deviations(vals[m], a.territory_weights) for m in METRICS}
        disr = self.territory_disruption()
        out = []
        for i in range(a.n_territories):
            rep = a.territory_rep_ids[i]
            out.append(
                {
                    "index": i,
                    "id": int(a.territory_ids[i]),
                    "name": str(a.territory_names[i]),
                    "colour": str(a.territory_colours[i]),
                    "rep": a.rep_names.get(int(rep), "") if np.isfinite(rep) else "",
                    **{m: float(vals[m][i]) for m in METRICS},
                    "deviation": {m: float(devs[m][i]) for m in METRICS},
                    "disruption": float(disr[i]),
                }
            )
        return out

    # -- preview -------------------------------------------------------------------------------
    def preview(self, ms: MoveSet) -> Preview:
        """Deltas of ``ms`` without applying it (apply then restore exactly; O(K + |S|))."""
        a = self.atoms
        bal = self.balance
        before_totals = bal.totals.copy()
        saved_align = self.alignment[ms.atoms].copy()
        acc = ms.atoms[ms.atoms >= a.n_units] - a.n_units
        units_touched = np.unique(a.account_unit[acc][a.account_unit[acc] >= 0])
        saved_units = bal.unit_matrix[units_touched].copy()
        eff_before = bal._effective(ms.atoms, saved_align)
        rows, _, _ = bal._rows(ms.atoms)
        try:
            bal.apply(ms.atoms, ms.after)
            after_totals = bal.totals.copy()
            eff_after = bal._effective(ms.atoms, ms.after)
        finally:
            bal.totals[:] = before_totals
            self.alignment[ms.atoms] = saved_align
            bal.unit_matrix[units_touched] = saved_units
        moving = eff_before != eff_after
        moved_rows = rows[moving].sum(axis=0) if moving.any() else np.zeros(rows.shape[1])
        diff = after_totals - before_totals
        touched = np.flatnonzero(np.abs(diff).sum(axis=1) > 1e-12)
        vb, va = metric_values(before_totals), metric_values(after_totals)
        w = a.territory_weights
        db = {m: deviations(vb[m], w) for m in METRICS}
        da = {m: deviations(va[m], w) for m in METRICS}
        terrs = [
            TerritoryDelta(
                int(t),
                str(a.territory_names[t]),
                {m: float(vb[m][t]) for m in METRICS},
                {m: float(va[m][t]) for m in METRICS},
                {m: float(db[m][t]) for m in METRICS},
                {m: float(da[m][t]) for m in METRICS},
            )
            for t in touched
        ]
        moved_workload = (
            np.abs(diff[:, -1]).sum() / 2 + moved_rows[COL["call_minutes"]]
        ) / 60.0  # travel changes with the anchor, so take the half-sum of travel deltas
        return Preview(
            ms,
            units=int((ms.atoms[moving] < a.n_units).sum()),
            accounts=int(moved_rows[COL["accounts"]]),
            moved={
                "potential": float(moved_rows[COL["potential"]]),
                "revenue": float(moved_rows[COL["revenue"]]),
                "pipeline": float(moved_rows[COL["pipeline"]]),
                "workload_hours": float(moved_workload),
            },
            territories=terrs,
            max_abs_deviation_before=summary(before_totals, w)["max_abs_deviation"],
            max_abs_deviation_after=summary(after_totals, w)["max_abs_deviation"],
        )

    # -- apply / undo --------------------------------------------------------------------------
    def apply(self, ms: MoveSet) -> int | None:
        """Persist and apply; returns the EditLog id (None for an empty MoveSet)."""
        if len(ms) == 0:
            return None
        if not np.array_equal(self.alignment[ms.atoms], ms.before):
            raise PlannerError("this edit no longer matches the scenario; it was not applied")
        log_id = self._persist(ms.atoms, ms.after, ms, undone=False)
        self._apply_memory(ms, ms.after, undone=False, log_id=log_id)
        return log_id

    def undo(self, ms: MoveSet, log_id: int | None = None) -> None:
        """Revert ``ms`` (which must be the state now) and mark its log row undone."""
        if len(ms) == 0:
            return
        if not np.array_equal(self.alignment[ms.atoms], ms.after):
            raise PlannerError("this step cannot be undone: the scenario changed since")
        self._persist(ms.atoms, ms.before, ms, undone=True, log_id=log_id)
        self._apply_memory(ms, ms.before, undone=True, log_id=log_id)

    def _apply_memory(
        self, ms: MoveSet, values: NDArray[np.int32], *, undone: bool, log_id: int | None
    ) -> None:
        eff_before = self.effective_territories(ms.atoms)
        self.balance.apply(ms.atoms, values)
        eff_after = self.effective_territories(ms.atoms)
        touched = np.unique(np.concatenate([eff_before, eff_after]))
        self.changed.emit(PlanChange(ms, undone, tuple(int(t) for t in touched if t >= 0), log_id))

    def _persist(
        self,
        atoms: NDArray[np.int64],
        values: NDArray[np.int32],
        ms: MoveSet,
        *,
        undone: bool,
        log_id: int | None = None,
    ) -> int | None:
        a = self.atoms
        tid = a.territory_ids
        sid = self.scenario_id
        with self.project.transaction() as s:
            bumped = s.execute(
                update(Scenario)
                .where(and_(Scenario.id == sid, Scenario.version == self.version))
                .values(version=self.version + 1)
            ).rowcount
            if bumped != 1:
                raise StaleScenario(_stale_message(s, sid, self.name))
            is_unit = atoms < a.n_units
            unit_rows = [
                {
                    "scenario_id": sid,
                    "atom_kind": "unit",
                    "atom_id": int(a.unit_ids[u]),
                    "territory_id": int(tid[v]) if v >= 0 else None,
                }
                for u, v in zip(atoms[is_unit], values[is_unit], strict=True)
            ]
            self._replace(s, Assignment, "unit", [r["atom_id"] for r in unit_rows], unit_rows)
            acc, vals = atoms[~is_unit] - a.n_units, values[~is_unit]
            acc_ids = [int(a.account_ids[i]) for i in acc]
            if a.free_form:
                rows = [
                    {
                        "scenario_id": sid,
                        "atom_kind": "account",
                        "atom_id": aid,
                        "territory_id": int(tid[v]) if v >= 0 else None,
                    }
                    for aid, v in zip(acc_ids, vals, strict=True)
                ]
                self._replace(s, Assignment, "account", acc_ids, rows)
            else:
                pins = [
                    {"scenario_id": sid, "account_id": aid, "territory_id": int(tid[v])}
                    for aid, v in zip(acc_ids, vals, strict=True)
                    if v >= 0
                ]
                self._replace(s, Pin, None, acc_ids, pins)
            if undone:
                if log_id is not None:
                    s.execute(update(EditLog).where(EditLog.id == log_id).values(undone=True))
                new_id = None
            else:
                entry = EditLog(
                    scenario_id=sid,
                    user=self.user,
                    kind=ms.kind,
                    label=ms.label,
                    payload=self.encode(ms),
                )
                s.add(entry)
                s.flush()
                new_id = entry.id
        self.version += 1
        return new_id

    def _replace(
        self, s: Any, table: type, kind: str | None, ids: list[int], rows: list[dict]
    ) -> None:
        if not ids:
            return
        sid = self.scenario_id
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i : i + _CHUNK]
            if table is Pin:
                s.execute(delete(Pin).where(Pin.scenario_id == sid, Pin.account_id.in_(chunk)))
            else:
                s.execute(
                    delete(Assignment).where(
                        Assignment.scenario_id == sid,
                        Assignment.atom_kind == kind,
                        Assignment.atom_id.in_(chunk),
                    )
                )
        if rows:
            s.execute(insert(table), rows)

    # -- edit-log encoding (database ids, stable across loads) ---------------------------------
    def encode(self, ms: MoveSet) -> dict[str, Any]:
        a = self.atoms

        def ref(i: int) -> list[Any]:
            return (
                ["unit", int(a.unit_ids[i])]
                if i < a.n_units
                else [
                    "account",
                    int(a.account_ids[i - a.n_units]),
                ]
            )

        def val(v: int) -> int | str | None:
            return "follow" if v == FOLLOW else (None if v < 0 else int(a.territory_ids[v]))

        return {
            "atoms": [ref(int(i)) for i in ms.atoms],
            "before": [val(int(v)) for v in ms.before],
            "after": [val(int(v)) for v in ms.after],
        }

    def decode(self, payload: dict[str, Any], kind: str, label: str) -> MoveSet:
        a = self.atoms
        uidx, aidx, tidx = a.unit_index(), a.account_index(), a.territory_index()

        def atom(ref: list[Any]) -> int:
            return uidx[ref[1]] if ref[0] == "unit" else a.n_units + aidx[ref[1]]

        def val(v: Any) -> int:
            return FOLLOW if v == "follow" else (UNASSIGNED if v is None else tidx[int(v)])

        return MoveSet(
            np.array([atom(r) for r in payload["atoms"]]),
            np.array([val(v) for v in payload["before"]]),
            np.array([val(v) for v in payload["after"]]),
            kind,
            label,
        )

    def history(self) -> list[tuple[int, MoveSet]]:
        """Applied (not undone) steps of this scenario, oldest first, for restoring undo."""
        with self.project.session() as s:
            rows = s.execute(
                select(EditLog.id, EditLog.kind, EditLog.label, EditLog.payload)
                .where(EditLog.scenario_id == self.scenario_id, EditLog.undone.is_(False))
                .order_by(EditLog.id)
            ).all()
        out = []
        for rid, kind, label, payload in rows:
            try:
                out.append((rid, self.decode(payload, kind, label)))
            except (KeyError, IndexError):
                continue  # refers to units/accounts deleted since: cannot be undone
        return out


def _stale_message(s: Any, sid: int, name: str) -> str:
    last = s.execute(
        select(EditLog.user, EditLog.at, EditLog.label)
        .where(EditLog.scenario_id == sid)
        .order_by(EditLog.id.desc())
        .limit(1)
    ).first()
    who = (
        f"{last.user or 'someone'} at {last.at:%Y-%m-%d %H:%M} ({last.label})"
        if last
        else "someone"
    )
    return f"scenario '{name}' was changed by {who} since you opened it; reload to see the changes"


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return ""
