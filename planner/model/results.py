"""Results of a scenario per territory, rep and hierarchy level, kept current per edit.

:class:`Results` holds the per-account columns (:mod:`planner.model.results_columns`, built
once per project, fiscal year and as-of date) and their sums per territory. After an edit,
:meth:`Results.refresh` compares each account's territory with the one it had and moves only
the changed accounts' rows between territory sums (O(accounts changed) plus one vectorised
comparison), so results and the alerts built on them are current after every edit without
re-summing a million accounts. Reps, districts, regions and the plan total are sums of their
territories; every measure is then :func:`planner.model.results_measures.measures`.

Channel partners: the bookings of a partner account that serves territories or accounts
(:mod:`planner.model.partners`) count in the territories it serves, split equally among them,
and not where the partner happens to be located; they show in ``partner_bookings`` too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import text

from planner.model.atoms import (
    FOLLOW,
    UNASSIGNED,
    AtomData,
    account_territories,
    territory_ids_of,
)
from planner.model.results_columns import AccountColumns, build_columns
from planner.model.results_data import Facts, read_facts
from planner.model.results_measures import measures
from planner.model.results_quota import QuotaYear, fiscal_calendar, read_quotas
from planner.model.store import Project

LEVELS = ("territory", "rep", "district", "region", "plan")


@dataclass(frozen=True)
class Node:
    """A hierarchy node above territories (district, region...) as the scenario has it."""

    id: int
    name: str
    level: str
    parent_id: int | None


class Results:
    """Results of one scenario as of a date; :meth:`refresh` after each edit."""

    def __init__(
        self,
        project: Project,
        scenario_id: int,
        atoms: AtomData,
        alignment: NDArray[np.int32],
        *,
        as_of: dt.date | None = None,
        fiscal_year: int | None = None,
        facts: Facts | None = None,
        visit_days: int = 90,
    ) -> None:
        self.project, self.scenario_id = project, scenario_id
        self.as_of = as_of or dt.date.today()
        cal = fiscal_calendar(project, scenario_id)
        self.fiscal_year = fiscal_year or cal.year_of(self.as_of)
        self.quotas: QuotaYear = read_quotas(project, scenario_id, self.fiscal_year)
        self.calendar = self.quotas.calendar
        self.facts = facts if facts is not None else read_facts(project, atoms)
        self.columns: AccountColumns = build_columns(
            self.facts, atoms, self.calendar, self.fiscal_year, self.as_of, visit_days=visit_days
        )
        self.nodes = read_nodes(project, scenario_id)
        self.atoms = atoms
        self.account_tid = territory_ids_of(atoms, account_territories(atoms, alignment))
        self._align: NDArray[np.int32] | None = alignment.copy()
        self._sums: dict[int, NDArray[np.float64]] = {}
        self._resum()

    @classmethod
    def of_plan(cls, plan: Any, **kw: Any) -> Results:
        """Results of an open :class:`planner.model.plan.Plan`."""
        return cls(plan.project, plan.scenario_id, plan.atoms, plan.alignment, **kw)

    # -- keeping current -------------------------------------------------------------------
    def _resum(self) -> None:
        """Sums per territory id: one bincount per column over the accounts (territory ids
        are small integers, so they index the sums directly; -1 = unassigned)."""
        m, tid = self.columns.matrix, self.account_tid
        slot = tid + 1
        size = int(slot.max(initial=0)) + 1
        sums = np.empty((size, m.shape[1]))
        for j in range(m.shape[1]):
            sums[:, j] = np.bincount(slot, weights=m[:, j], minlength=size)
        present = np.flatnonzero(np.bincount(slot, minlength=size))
        self._sums = {int(k) - 1: sums[k] for k in present}

    def refresh(self, atoms: AtomData, alignment: NDArray[np.int32]) -> set[int]:
        """Follow the scenario after an edit; returns the territory ids whose sums changed.

        Only the accounts the edit can have moved are looked at: those of the units and the
        account atoms whose alignment value changed since the last refresh (a 1M-entry
        comparison, no per-account gathers). When territories came or went, indices shift, so
        every account's territory is read again."""
        now_tids = atoms.territory_ids
        if (
            self._align is None
            or self._align.shape != alignment.shape
            or not np.array_equal(now_tids, self.atoms.territory_ids)
        ):
            cand = np.arange(atoms.n_accounts)
            now = territory_ids_of(atoms, account_territories(atoms, alignment))
            self._align = alignment.copy()
        else:
            diff = np.flatnonzero(alignment != self._align)
            units, own = diff[diff < atoms.n_units], diff[diff >= atoms.n_units] - atoms.n_units
            cand = np.union1d(own, atoms.accounts_of_units(units)) if len(units) else own
            now = territory_ids_of(atoms, _effective(atoms, alignment, cand))
            self._align[diff] = alignment[diff]  # in place: a copy of 10M atoms per edit cost more
        self.atoms = atoms
        before = self.account_tid[cand]
        moved = np.flatnonzero(now != before)
        touched: set[int] = set()
        m = self.columns.matrix
        for ids, sign in ((before[moved], -1.0), (now[moved], 1.0)):
            for t in np.unique(ids):
                rows = cand[moved[ids == t]]
                row = self._sums.setdefault(int(t), np.zeros(m.shape[1]))
                row += sign * m[rows].sum(axis=0)
                touched.add(int(t))
        self.account_tid[cand[moved]] = now[moved]
        return touched

    def refresh_nodes(self) -> None:
        """Re-read the hierarchy and the quotas (an edit may re-parent territories or nodes or
        change quotas; both are a few hundred rows)."""
        self.nodes = read_nodes(self.project, self.scenario_id)
        self.quotas = read_quotas(self.project, self.scenario_id, self.fiscal_year)

    # -- reading -----------------------------------------------------------------------------
    def territory_sums(self) -> dict[int, NDArray[np.float64]]:
        """Sums per territory id (-1: unassigned accounts), partner bookings included."""
        out = {t: row.copy() for t, row in self._sums.items()}
        for t, row in self._partner_shares().items():
            out.setdefault(t, np.zeros(len(self.columns.names)))
            out[t] += row
        return out

    def _partner_shares(self) -> dict[int, NDArray[np.float64]]:
        f = self.facts
        out: dict[int, NDArray[np.float64]] = {}
        for p, row in self.columns.partner_rows.items():
            sel = f.link_partner == p
            served = set(int(t) for t in f.link_territory[sel] if t >= 0)
            accs = f.link_account[sel]
            served |= {int(t) for t in self.account_tid[accs[accs >= 0]] if t >= 0}
            if not served:
                served = {int(self.account_tid[p])}
            for t in served:
                out[t] = out.get(t, 0) + row / len(served)
        return out

    def rows(self, level: str = "territory") -> list[dict[str, Any]]:
        """Measures per group of ``level`` (territory, rep, district, region or plan; any
        level name the scenario's hierarchy uses works too)."""
        a = self.atoms
        sums = self.territory_sums()
        zero = np.zeros(len(self.columns.names))
        tids = [int(t) for t in a.territory_ids]
        groups: list[tuple[int | None, str, list[int]]]
        if level == "territory":
            groups = [(t, str(n), [t]) for t, n in zip(tids, a.territory_names, strict=True)]
        elif level == "rep":
            by_rep: dict[int | None, list[int]] = {}
            for t, r in zip(tids, a.territory_rep_ids, strict=True):
                by_rep.setdefault(int(r) if np.isfinite(r) else None, []).append(t)
            groups = [
                (r, a.rep_names.get(r, "") if r is not None else "(no rep)", ts)
                for r, ts in by_rep.items()
            ]
        elif level == "plan":
            groups = [(0, "Whole plan", tids)]
        else:
            groups = self.node_groups(level, tids)
        totals = np.array([sum((sums.get(t, zero) for t in ts), zero) for _, _, ts in groups])
        totals = totals.reshape(len(groups), len(zero))
        quota, has = self._quota(groups, level)
        names = self.columns.names
        by_col = {c: totals[:, i] for i, c in enumerate(names)}
        elapsed = self.calendar.elapsed(self.fiscal_year, self.as_of)
        out = measures(by_col, quota, has, elapsed, self.columns.stages)
        rep_of = dict(zip(tids, a.territory_rep_ids, strict=True))
        for row, (gid, name, ts) in zip(out, groups, strict=True):
            row.update(id=gid, name=name, level=level, territories=len(ts))
            if level == "territory":
                r = rep_of[gid]  # type: ignore[index]
                row["rep"] = a.rep_names.get(int(r), "") if np.isfinite(r) else ""
        return out

    def unassigned(self) -> dict[str, Any]:
        """Measures of the accounts no territory holds."""
        sums = self.territory_sums().get(-1, np.zeros(len(self.columns.names)))
        by_col = {c: sums[i : i + 1] for i, c in enumerate(self.columns.names)}
        row = measures(
            by_col, np.zeros((1, 12)), np.zeros(1, dtype=bool), np.zeros(12), self.columns.stages
        )[0]
        return {**row, "id": None, "name": "(unassigned)", "level": "territory"}

    def node_groups(self, level: str, tids: list[int]) -> list[tuple[int | None, str, list[int]]]:
        parent = dict(zip(tids, self.atoms.territory_parent_ids, strict=True))
        groups: dict[int, list[int]] = {n.id: [] for n in self.nodes.values() if n.level == level}
        for t in tids:
            p = parent[t]
            node = int(p) if np.isfinite(p) else None
            seen = 0
            while node is not None and node in self.nodes and seen < 50:
                if self.nodes[node].level == level:
                    groups[node].append(t)
                    break
                node, seen = self.nodes[node].parent_id, seen + 1
        return [(n, self.nodes[n].name, ts) for n, ts in groups.items()]

    def _quota(
        self, groups: list[tuple[int | None, str, list[int]]], level: str
    ) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        """Quota months per group: the group's own quota rows (hierarchy nodes, the plan), else
        the sum of its territories' quotas; no quota when neither exists."""
        q = np.zeros((len(groups), 12))
        has = np.zeros(len(groups), dtype=bool)
        for i, (gid, _, ts) in enumerate(groups):
            own = self.quotas.of(gid) if gid is not None and level != "rep" else None
            if own is not None:
                q[i], has[i] = own, True
                continue
            parts = [self.quotas.of(t) for t in ts]
            found = [p for p in parts if p is not None]
            if found and level != "territory":
                q[i], has[i] = np.sum(found, axis=0), True
        return q, has


def _effective(
    atoms: AtomData, alignment: NDArray[np.int32], accounts: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Territory index of some accounts (:func:`account_territories` for a subset)."""
    value = alignment[atoms.n_units + accounts].astype(np.int64)
    unit = atoms.account_unit[accounts]
    follow = value == FOLLOW
    via_unit = alignment[np.maximum(unit, 0)] if atoms.n_units else np.full(len(unit), -1)
    value[follow] = np.where(unit[follow] >= 0, via_unit[follow], UNASSIGNED)
    return value


def read_nodes(project: Project, scenario_id: int) -> dict[int, Node]:
    """The scenario's hierarchy nodes (scenario_node), or the territory table's non-territory
    rows for a project without per-scenario nodes."""
    with project.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT node_id, name, level, parent_id FROM scenario_node WHERE scenario_id = :s"
            ),
            {"s": scenario_id},
        ).all()
        if not rows:
            rows = conn.execute(
                text("SELECT id, name, level, parent_id FROM territory WHERE level != 'territory'")
            ).all()
    return {
        int(i): Node(int(i), str(n), str(lv), None if p is None else int(p)) for i, n, lv, p in rows
    }
