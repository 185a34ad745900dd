"""A scenario in memory: the alignment vector, its territories, its balance, and its Edits.

Every change is one :class:`~planner.model.edits.Edit`. :meth:`Plan.apply` writes it (the
territories it creates, changes or deletes, the alignment rows it moves and one EditLog row with
its effect) in one transaction, then updates the vector, the territory columns and the totals
in O(|S|) and announces one :class:`PlanChange`. If the write fails nothing in memory changes.
:meth:`Plan.undo` and :meth:`Plan.redo` replay the log: the undo order lives in the project, so
the CLI, a reopened window and a colleague's window all see the same history.

The scenario row's ``version`` is bumped on every write and checked first, so in team mode a
planner working on a stale copy gets :class:`StaleScenario` naming who changed it, instead of
silently overwriting a colleague.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from psygnal import Signal
from sqlalchemy import select

from planner.model import _persist, _persist_org
from planner.model import _territory_state as tstate
from planner.model._account_state import PENDING, AccountState, Token
from planner.model._persist import StaleScenario
from planner.model.atoms import (
    COL,
    FOLLOW,
    UNASSIGNED,
    AtomData,
    account_territories,
    for_scenario,
    load_alignment,
    load_atoms,
    territory_ids_of,
)
from planner.model.balance import METRICS, Balance, deviations, metric_values, summary
from planner.model.edits import BARRIERS, Edit, QuotaChange, decode, encode
from planner.model.errors import PlannerError
from planner.model.events import PlanChange
from planner.model.hierarchy import Node, Tree, load_nodes
from planner.model.history import scenario_history
from planner.model.moves import MoveSet
from planner.model.quota.book import QuotaBook, YearPlan
from planner.model.quota.follow import follow_moves, keep_nodes_in_step
from planner.model.scenario_rows import resolve
from planner.model.schema import Publication
from planner.model.store import Project
from planner.model.users import current_user

__all__ = ["Plan", "Preview", "StaleScenario", "TerritoryDelta"]


@dataclass(frozen=True)
class TerritoryDelta:
    #: Index after the edit (a placeholder index for a territory being created; -1 if deleted).
    index: int
    name: str
    before: dict[str, float]
    after: dict[str, float]
    deviation_before: dict[str, float]
    deviation_after: dict[str, float]


@dataclass(frozen=True)
class Preview:
    """What an Edit would do, computed without writing anything."""

    moveset: MoveSet
    units: int
    accounts: int
    moved: dict[str, float]  # potential, revenue, pipeline, workload_hours of moved accounts
    territories: list[TerritoryDelta]
    max_abs_deviation_before: dict[str, float]
    max_abs_deviation_after: dict[str, float]
    edit: Edit | None = None
    #: The quota cells the edit changes (explicit, or derived: quota follows the accounts).
    quotas: tuple[QuotaChange, ...] = ()


@dataclass(frozen=True)
class _Snapshot:
    """Territory totals keyed by territory id, to compare before and after an edit."""

    ids: list[int]
    names: list[str]
    totals: NDArray[np.float64]
    weights: NDArray[np.float64]

    def deviations(self) -> dict[str, NDArray[np.float64]]:
        vals = metric_values(self.totals)
        return {m: deviations(vals[m], self.weights) for m in METRICS}


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
        baseline_territory_ids: NDArray[np.int64] | None = None,
    ) -> None:
        self.project = project
        self.atoms = atoms
        self.scenario_id = scenario_id
        self.name = name
        self.version = version
        self.user = user or current_user()
        self.alignment = alignment
        #: The baseline's alignment in this plan's index space (a territory the scenario does
        #: not have reads as unassigned; disruption uses the id form below, which is exact).
        self.baseline = baseline
        self.balance = Balance(atoms, alignment)
        now = territory_ids_of(atoms, account_territories(atoms, alignment))
        if baseline is alignment:  # its own reference: one pass over the accounts, not two
            baseline_territory_ids = now
        elif baseline_territory_ids is None:
            baseline_territory_ids = territory_ids_of(atoms, account_territories(atoms, baseline))
        m = atoms.account_matrix
        self._accounts = AccountState.build(
            now,
            baseline_territory_ids,
            {k: m[:, COL[k]] for k in ("accounts", "revenue", "potential")},
            is_reference=baseline is alignment,
        )
        #: Undo tokens of the account state changed by the edit being applied in memory (a
        #: preview puts them back).
        self._account_tokens: list[Token] = []
        #: rows() and disruption() of the current state (several views ask after each edit);
        #: emptied whenever the state changes in memory.
        self._cache: dict[str, Any] = {}
        #: The scenario's hierarchy nodes (districts, regions...) and quota plans.
        self.org: dict[int, Node] = {}
        self.quotas = QuotaBook()
        #: The fiscal year quota columns show (None: the latest plan's).
        self.quota_year: int | None = None
        #: Accounts the last in-memory edit touched and their territory ids before it.
        self._last_token: Token | None = None

    def _load_org(self) -> Plan:
        self.org = load_nodes(self.project, self.scenario_id)
        self.quotas = QuotaBook.load(self.project, self.scenario_id)
        return self

    @classmethod
    def load(
        cls, project: Project, scenario: int | str | None = None, atoms: AtomData | None = None
    ) -> Plan:
        """Load a scenario (id, name, or None for the baseline) with its reference for
        disruption: the baseline; for the baseline itself, the alignment it replaced when it was
        last published (itself before any publish), so the window and ``planner balance``
        always agree on what changed.

        ``atoms`` (another plan's) saves re-reading units and accounts; the scenario's own
        territories are read either way.
        """
        with project.session() as s:
            row = resolve(s, scenario)
            base_id = project.baseline_id()
            sid, name, version = row.id, row.name, row.version
            if base_id == sid:  # the baseline's reference: what it replaced at its last publish
                base_id = (
                    s.scalar(
                        select(Publication.snapshot_id)
                        .order_by(Publication.at.desc(), Publication.id.desc())
                        .limit(1)
                    )
                    or sid
                )
        atoms = load_atoms(project, sid) if atoms is None else for_scenario(atoms, project, sid)
        alignment = load_alignment(project, atoms, sid)
        if base_id == sid:
            # Never published: the baseline is its own reference (the same vector, so its
            # disruption stays 0 while it is edited, as a fresh load finds it).
            return cls(
                project, atoms, sid, alignment, alignment, name=name, version=version
            )._load_org()
        base_atoms = for_scenario(atoms, project, base_id)
        base_align = load_alignment(project, base_atoms, base_id)
        base_ids = territory_ids_of(base_atoms, account_territories(base_atoms, base_align))
        baseline = load_alignment(project, atoms, base_id)
        return cls(project, atoms, sid, alignment, baseline, name=name, version=version,
                   baseline_territory_ids=base_ids)._load_org()  # fmt: skip

    # -- queries -------------------------------------------------------------------------------
    def territory_label(self, t: int) -> str:
        if t == FOLLOW:
            return "its unit's territory"
        if t == UNASSIGNED:
            return "unassigned"
        return str(self.atoms.territory_names[t])

    def territory_position(self, territory_id: int) -> int | None:
        """Index of a territory (database id) in this plan, or None if the scenario lacks it."""
        return self.atoms.territory_index().get(int(territory_id))

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
        """Accounts in no territory, from the account state each edit keeps current (one
        compare over a vector: rebuilding every account's territory cost ~35 ms per Enter at
        1M accounts, the balance table asks after each edit)."""
        return int(np.count_nonzero(self._accounts.now == UNASSIGNED))

    @property
    def baseline_territory_ids(self) -> NDArray[np.int64]:
        """Per account: the database id of its territory in the baseline (-1: unassigned)."""
        return self._accounts.base

    def disruption(self) -> dict[str, float]:
        """Share of accounts, revenue and potential whose territory differs from the baseline
        (kept current by each edit for the accounts it touches: O(1) here)."""
        return self._accounts.disruption()

    def territory_disruption(self) -> NDArray[np.float64]:
        """Per territory: accounts gained + lost vs baseline, over its baseline account count."""
        return self._accounts.per_territory(self.atoms.territory_ids)

    def positions(self, territory_ids: NDArray[np.int64]) -> NDArray[np.int64]:
        """Index of each territory id in this plan (-1 for unassigned or a territory the
        scenario does not have), vectorised through a lookup table (ids are small ints)."""
        tid = self.atoms.territory_ids
        real = tid[tid < tstate.PLACEHOLDER]
        top = int(max(real.max(initial=0), territory_ids.max(initial=0))) + 2
        lut = np.full(top, -1, dtype=np.int64)
        lut[real] = np.flatnonzero(tid < tstate.PLACEHOLDER)
        return lut[np.where(territory_ids >= 0, territory_ids, top - 1)]

    def rows(self) -> list[dict[str, Any]]:
        """One dict per territory: the balance table's content (also the CLI's --json)."""
        if "rows" not in self._cache:
            self._cache["rows"] = self._rows()
        return [{**r, "deviation": dict(r["deviation"])} for r in self._cache["rows"]]

    def _rows(self) -> list[dict[str, Any]]:
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
                    "locked": bool(a.territory_locked[i]),
                    **{m: float(vals[m][i]) for m in METRICS},
                    "deviation": {m: float(devs[m][i]) for m in METRICS},
                    "disruption": float(disr[i]),
                }
            )
        _quota_columns(self, out)
        return out

    # -- preview -------------------------------------------------------------------------------
    def preview(self, edit: Edit | MoveSet) -> Preview:
        """What ``edit`` would do, without writing anything: it is applied in memory and
        everything is put back exactly (O(K + |S|); a delete copies the vector)."""
        edit = _as_edit(edit)
        ms = edit.moves
        a, bal = self.atoms, self.balance
        saved = (a, bal.totals.copy(), bal.anchor_lon.copy(), bal.anchor_lat.copy())
        align = self.alignment.copy() if edit.deletes else self.alignment[ms.atoms].copy()
        base = self.baseline.copy() if edit.deletes else self.baseline
        acc = ms.atoms[ms.atoms >= a.n_units] - a.n_units
        units_touched = np.unique(a.account_unit[acc][a.account_unit[acc] >= 0])
        saved_units = bal.unit_matrix[units_touched].copy()
        before = self._snapshot()
        rows, _, _ = bal._rows(ms.atoms)
        tokens = len(self._account_tokens)
        org, book = dict(self.org), self._book_copy()
        pre = (a, org, before)
        try:
            eff_before, eff_after = self._apply_memory(edit)
            after = self._snapshot()
            quotas = edit.quotas if edit.changes_quotas else tuple(self._derived_quotas(edit, pre))
        finally:
            self.org, self.quotas = org, book
            self._cache.clear()
            while len(self._account_tokens) > tokens:
                self._accounts.revert(self._account_tokens.pop())
            self.atoms, bal.atoms = saved[0], saved[0]
            bal.totals, bal.anchor_lon, bal.anchor_lat = saved[1], saved[2], saved[3]
            if edit.deletes:
                self.alignment[:] = align
                self.baseline[:] = base
            else:
                self.alignment[ms.atoms] = align
            bal.unit_matrix[units_touched] = saved_units
        moving = eff_before != eff_after
        moved_rows = rows[moving].sum(axis=0) if moving.any() else np.zeros(rows.shape[1])
        travel_delta = _travel_delta(before, after)
        return Preview(
            ms,
            units=int((ms.atoms[moving] < a.n_units).sum()),
            accounts=int(moved_rows[COL["accounts"]]),
            moved={
                "potential": float(moved_rows[COL["potential"]]),
                "revenue": float(moved_rows[COL["revenue"]]),
                "pipeline": float(moved_rows[COL["pipeline"]]),
                # travel changes with the anchor: take the half-sum of the travel deltas
                "workload_hours": float((travel_delta / 2 + moved_rows[COL["call_minutes"]]) / 60),
            },
            territories=_deltas(before, after, edit),
            max_abs_deviation_before=summary(before.totals, before.weights)["max_abs_deviation"],
            max_abs_deviation_after=summary(after.totals, after.weights)["max_abs_deviation"],
            edit=edit,
            quotas=quotas,
        )

    def _snapshot(self) -> _Snapshot:
        a = self.atoms
        return _Snapshot(
            [int(t) for t in a.territory_ids],
            [str(n) for n in a.territory_names],
            self.balance.totals.copy(),
            a.territory_weights.copy(),
        )

    # -- apply / undo / redo ---------------------------------------------------------------------
    def apply(self, edit: Edit | MoveSet, *, session: Any = None) -> int | None:
        """Write, log and apply one edit; returns its EditLog id (None when it changes nothing).

        ``session``: write inside the caller's transaction instead of one of its own (an import
        that also creates reps, all or nothing); if the caller then rolls back, this Plan no
        longer matches the project and must be dropped.

        Moves must still match the scenario (``before`` values), as must the attribute values
        an update replaces: an edit built against an older state is refused, not half-applied.
        """
        edit = _as_edit(edit)
        if edit.is_empty():
            return None
        ms = edit.moves
        if not np.array_equal(self.alignment[ms.atoms], ms.before):
            raise PlannerError("this edit no longer matches the scenario; it was not applied")
        before, pre = self._snapshot(), self.atoms
        pre_org = dict(self.org)
        with self._writing(session) as s:
            _persist.bump_version(s, self.scenario_id, self.version, self.name)
            done = self._write(s, edit)
            # Applied in memory inside the transaction: the logged effect is computed from the
            # result; if anything fails after this the memory is reloaded from the project.
            change = self._apply_in_memory(done, pre)
            if not done.changes_quotas:  # quota follows the accounts, nodes stay in step
                derived = tuple(self._derived_quotas(done, (pre, pre_org, before)))
                if derived:
                    done = replace(done, quotas=derived)
                    _persist_org.write_quotas(s, self.scenario_id, done)
                    self.quotas.apply((), derived)
                    change = replace(change, edit=done)
            log_id = _persist.log_edit(
                s, self.scenario_id, self.user, done, encode(done, pre), self._effect(before, done)
            )
        self.version += 1
        self._announce(change, log_id, "apply")
        return log_id

    @contextlib.contextmanager
    def _writing(self, session: Any = None) -> Iterator[Any]:
        """A transaction (or the caller's); if it fails after the memory was changed, memory
        is reloaded."""
        version = self.version
        self._memory_changed = False
        try:
            if session is not None:
                yield session
                return
            with self.project.transaction() as s:
                yield s
        except BaseException:
            self.version = version
            if self._memory_changed:
                self._reload_memory()
            raise

    def can_undo(self) -> str | None:
        """Label of the step an undo would revert, or None."""
        step = self._next("undo")
        return None if step is None or step.kind in BARRIERS else step.label

    def can_redo(self) -> str | None:
        step = self._next("redo")
        return None if step is None else step.label

    def undo(self, expect: int | None = None) -> int | None:
        """Revert the latest applied step of the scenario; returns its log id (None: nothing
        to undo). ``expect``: the step the caller thinks is next (refused if it is not)."""
        return self._replay("undo", expect)

    def redo(self, expect: int | None = None) -> int | None:
        """Re-apply the oldest undone step that is still redoable; returns its log id."""
        return self._replay("redo", expect)

    def _next(self, action: str) -> Any:
        with self.project.session() as s:
            return _persist.next_step(s, self.scenario_id, action)

    def _replay(self, action: str, expect: int | None) -> int | None:
        with self._writing() as s:
            step = _persist.next_step(s, self.scenario_id, action)
            if step is None or (action == "undo" and step.kind in BARRIERS):
                if expect is not None:
                    raise PlannerError(f"nothing to {action}: the history changed; reload")
                return None
            if expect is not None and step.id != expect:
                raise PlannerError(f"the edit history changed since; nothing was {action}ne")
            # A copy someone else changed is told so first (its memory is not the project's).
            _persist.bump_version(s, self.scenario_id, self.version, self.name)
            try:
                forward = decode(step.payload, step.kind, step.label, self.atoms)
            except (KeyError, IndexError):
                raise PlannerError(
                    f"'{step.label}' refers to units, accounts or territories that no longer "
                    f"exist and cannot be {action}ne"
                ) from None
            edit = forward.inverse() if action == "undo" else forward
            if not np.array_equal(self.alignment[edit.moves.atoms], edit.moves.before):
                raise PlannerError(f"'{step.label}' no longer matches the scenario")
            pre = self.atoms
            done = self._write(s, edit)
            change = self._apply_in_memory(done, pre)
            _persist.mark(s, step.id, undone=action == "undo")
            log_id = int(step.id)
        self.version += 1
        self._announce(change, log_id, action)
        return log_id

    def _write(self, s: Any, edit: Edit) -> Edit:
        """The database side of an edit; returns it with the ids of created territories."""
        sid = self.scenario_id
        if edit.nodes:
            placeholders = _persist_org.create_nodes(s, sid, edit)
            if placeholders:
                edit = edit.with_node_ids(placeholders)
            _persist_org.write_nodes(s, sid, edit, deletes=False)
        if edit.creates:
            edit = edit.with_created_ids(_persist.create_territories(s, sid, edit))
        ids = [*(int(t) for t in self.atoms.territory_ids),
               *(int(c.territory_id) for c in edit.creates)]  # type: ignore[arg-type] # fmt: skip
        ms = edit.moves
        _persist.write_alignment(s, sid, self.atoms, ms.atoms, ms.after, ids)
        _persist.write_shapes(s, sid, edit, ids)
        _persist.update_territories(s, sid, edit)
        _persist.delete_territories(s, sid, edit)
        if edit.nodes:
            _persist_org.write_nodes(s, sid, edit, deletes=True)
        if edit.changes_quotas:
            _persist_org.write_quotas(s, sid, edit)
        return edit

    def _apply_in_memory(self, edit: Edit, pre: AtomData) -> PlanChange:
        """Apply a written edit in memory; the change names touched territories by index."""
        self._memory_changed = True
        eff_before, eff_after = self._apply_memory(edit)
        self._account_tokens.clear()  # applied for good: nothing to put back
        touched_ids = set()
        for eff in (eff_before, eff_after):
            touched_ids |= {_territory_id(pre, edit, int(t)) for t in np.unique(eff[eff >= 0])}
        touched_ids |= {u.territory_id for u in edit.updates}
        touched_ids |= {int(c.territory_id) for c in edit.creates}  # type: ignore[arg-type]
        index = self.atoms.territory_index()
        touched = tuple(sorted(index[t] for t in touched_ids if t in index))
        changed_ids = (
            *(int(c.territory_id) for c in edit.creates),  # type: ignore[arg-type]
            *(u.territory_id for u in edit.updates),
            *(d.territory_id for d in edit.deletes),
        )
        return PlanChange(edit.moves, False, touched, None, edit, "apply",
                          edit.changes_territories, changed_ids)  # fmt: skip

    def _apply_memory(self, edit: Edit) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Creates, moves, updates, deletes, in that order; returns the moved atoms' effective
        territories before and after (indices before the deletes renumber)."""
        ms = edit.moves
        self._cache.clear()
        if edit.creates:
            self.atoms = tstate.append(self.atoms, self.balance, edit.creates)
        eff_before = self.effective_territories(ms.atoms)
        self.balance.apply(ms.atoms, ms.after)
        eff_after = self.effective_territories(ms.atoms)
        if edit.updates:
            self.atoms = tstate.update(self.atoms, self.balance, edit.updates)
        index = self.atoms.territory_index()
        self.balance.refresh_anchors(
            [*eff_before, *eff_after, *(index[u.territory_id] for u in edit.updates)]
        )
        self._last_token = self._track_accounts(ms)
        self._account_tokens.append(self._last_token)
        for n in edit.nodes:
            if n.after is None:
                self.org.pop(n.node_id, None)
            else:
                known = self.org[n.node_id].spec() if n.node_id in self.org else {}
                self.org[n.node_id] = Node(n.node_id, **{**known, **n.after})
        if edit.changes_quotas:
            self.quotas.apply(edit.quota_plans, edit.quotas)
        if edit.deletes:
            self._renumbered(
                tstate.remove(
                    self.atoms, self.balance, self.alignment, [d.territory_id for d in edit.deletes]
                )
            )
        if edit.creates:
            self._renumbered(tstate.sort_by_id(self.atoms, self.balance, self.alignment))
        return eff_before, eff_after

    def _track_accounts(self, ms: MoveSet) -> Token:
        """The account state after ``ms``: only the accounts it touched (pinned or free-form
        atoms, and the accounts of moved units) are looked at."""
        a = self.atoms
        units = ms.atoms[ms.atoms < a.n_units]
        own = ms.atoms[ms.atoms >= a.n_units] - a.n_units
        touched = np.union1d(own, a.accounts_of_units(units)) if len(units) else own
        value = self.alignment[a.n_units + touched].astype(np.int64)
        unit = a.account_unit[touched]
        follows = (value == FOLLOW) & (unit >= 0)
        value = np.where(follows, self.alignment[np.maximum(unit, 0)], value)
        value[(value == FOLLOW)] = UNASSIGNED
        ids = territory_ids_of(a, value)
        pending = ids >= tstate.PLACEHOLDER  # a territory a preview is creating
        ids[pending] = PENDING - (ids[pending] - tstate.PLACEHOLDER)
        return self._accounts.set(touched, ids)

    def _book_copy(self) -> QuotaBook:
        return QuotaBook(
            {y: YearPlan(dict(p.settings), dict(p.cells)) for y, p in self.quotas.years.items()}
        )

    def _derived_quotas(
        self, edit: Edit, pre: tuple[AtomData, dict[int, Node], _Snapshot]
    ) -> list[QuotaChange]:
        """Quota changes an edit implies (applied in memory already): the quota of moved
        accounts follows them (when the year's plan says so), a deleted territory's quota goes,
        and nodes stay in step with what is under them (planner.model.quota.follow)."""
        years = [y for y, p in self.quotas.years.items() if p.cells]
        if not years or self._last_token is None:
            return []
        pre_atoms, pre_org, before = pre
        acc, old = self._last_token
        new = self._accounts.now[acc].copy()
        pending = new <= PENDING  # a territory the preview creates: its placeholder id
        new[pending] = tstate.PLACEHOLDER + (PENDING - new[pending])
        m = self.atoms.account_matrix
        values = {k: m[acc, COL[k]] for k in ("accounts", "potential", "revenue", "pipeline")}
        totals = {
            t: {k: float(before.totals[i, COL[k]]) for k in values}
            for i, t in enumerate(before.ids)
        }
        tree_before = Tree.of_atoms(pre_org, pre_atoms)
        tree_after = Tree.of_atoms(self.org, self.atoms)
        removed = [n.node_id for n in edit.nodes if n.after is None]
        out: list[QuotaChange] = []
        for y in years:
            plan = self.quotas.years[y]
            leaf: dict[int, Any] = {}
            if plan.settings.get("follow", True) and len(acc):
                leaf = {q.node: q.after for q in follow_moves(y, plan, old, new, values, totals)}
            for d in edit.deletes:
                if d.territory_id in plan.cells:
                    leaf[d.territory_id] = None
            out += [QuotaChange(y, t, plan.cells.get(t), c) for t, c in sorted(leaf.items())]
            out += keep_nodes_in_step(y, plan, tree_before, tree_after, leaf, removed)
        return out

    def _renumbered(self, done: tuple[AtomData, NDArray[np.int64]] | None) -> None:
        if done is not None:
            self.atoms, remap = done
            if self.baseline is not self.alignment:  # the baseline's own vector is remapped
                held = self.baseline >= 0
                self.baseline[held] = remap[self.baseline[held]]

    def _reload_memory(self) -> None:
        self._cache.clear()
        fresh = Plan.load(self.project, self.scenario_id, atoms=self.atoms)
        self.atoms, self.alignment, self.balance = fresh.atoms, fresh.alignment, fresh.balance
        self.baseline, self._accounts = fresh.baseline, fresh._accounts
        self.org, self.quotas = fresh.org, fresh.quotas

    def _effect(self, before: _Snapshot, edit: Edit) -> dict[str, Any]:
        """What the history shows for a step: max |deviation| per metric before and after, and
        the deviations of the territories it touched."""
        after = self._snapshot()
        deltas = _deltas(before, after, edit)
        return {
            "max_abs_deviation": {
                "before": summary(before.totals, before.weights)["max_abs_deviation"],
                "after": summary(after.totals, after.weights)["max_abs_deviation"],
            },
            "territories": [
                {"name": d.name, "before": d.deviation_before, "after": d.deviation_after}
                for d in deltas[:20]
            ],
        }

    def _announce(self, change: PlanChange, log_id: int, action: str) -> None:
        self.changed.emit(replace(change, log_id=log_id, action=action, undone=action == "undo"))

    # -- history -------------------------------------------------------------------------------
    def history(self, log_id: int | None = None) -> list[dict[str, Any]]:
        """Every step of this scenario's log, oldest first: id, at, user, kind, label, state
        ("applied", "undone" = redoable, "discarded") and effect (only ``log_id`` if given)."""
        return scenario_history(self.project, self.scenario_id, log_id)


def _quota_columns(plan: Plan, rows: list[dict[str, Any]]) -> None:
    """Quota, commitment and fairness of the shown fiscal year added to each territory row
    (money in currency units; None where the territory has no quota cell)."""
    from planner.model.quota.fairness import fairness
    from planner.model.quota.settings import normalise

    year = plan.quota_year if plan.quota_year in plan.quotas.years else plan.quotas.active_year()
    yp = plan.quotas.year(year) if year is not None else None
    if yp is None:
        return
    settings = normalise(yp.settings)
    quota = {r["id"]: yp.cells[r["id"]].amount / 100 for r in rows if r["id"] in yp.cells}
    fair = fairness(
        quota,
        {r["id"]: r["potential"] for r in rows},
        {r["id"]: r["revenue"] for r in rows},
        threshold=settings["flag_threshold"],
        bands=settings["bands"],
    )
    for r in rows:
        cell = yp.cells.get(r["id"])
        r["quota_year"] = year
        r["quota"] = None if cell is None else cell.amount / 100
        r["commitment"] = None if cell is None or cell.committed is None else cell.committed / 100
        r["quota_adjusted"] = bool(cell and cell.adjusted)
        r.update(fair.get(r["id"], {}))


def _territory_id(pre: AtomData, edit: Edit, t: int) -> int:
    """Database id of index ``t`` (a placeholder index names a territory the edit creates)."""
    k = pre.n_territories
    if t < k:
        return int(pre.territory_ids[t])
    return int(edit.creates[t - k].territory_id)  # type: ignore[arg-type]


def _as_edit(edit: Edit | MoveSet) -> Edit:
    return Edit.of_moves(edit) if isinstance(edit, MoveSet) else edit


def _travel_delta(before: _Snapshot, after: _Snapshot) -> float:
    b = dict(zip(before.ids, before.totals[:, -1], strict=True))
    a = dict(zip(after.ids, after.totals[:, -1], strict=True))
    return float(sum(abs(a.get(t, 0.0) - b.get(t, 0.0)) for t in set(a) | set(b)))


def _deltas(before: _Snapshot, after: _Snapshot, edit: Edit) -> list[TerritoryDelta]:
    """Territories whose totals changed, or that were created, updated or deleted."""
    db, da = before.deviations(), after.deviations()
    vb, va = metric_values(before.totals), metric_values(after.totals)
    pos_b = {t: i for i, t in enumerate(before.ids)}
    pos_a = {t: i for i, t in enumerate(after.ids)}
    named = {u.territory_id for u in edit.updates} | {d.territory_id for d in edit.deletes}
    zero = dict.fromkeys(METRICS, 0.0)
    out = []
    for t in [*before.ids, *(t for t in after.ids if t not in pos_b)]:
        i, j = pos_b.get(t), pos_a.get(t)
        tb = before.totals[i] if i is not None else np.zeros(before.totals.shape[1])
        ta = after.totals[j] if j is not None else np.zeros(after.totals.shape[1])
        if np.abs(ta - tb).sum() <= 1e-12 and t not in named and i is not None and j is not None:
            continue
        out.append(
            TerritoryDelta(
                j if j is not None else -1,
                after.names[j] if j is not None else before.names[i],  # type: ignore[index]
                {m: float(vb[m][i]) for m in METRICS} if i is not None else zero,
                {m: float(va[m][j]) for m in METRICS} if j is not None else zero,
                {m: float(db[m][i]) for m in METRICS} if i is not None else zero,
                {m: float(da[m][j]) for m in METRICS} if j is not None else zero,
            )
        )
    return out
