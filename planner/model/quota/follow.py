"""Quota that moves with the accounts, and node quotas kept in step with the tree.

**Follow.** When an edit moves accounts from territory ``b`` to ``a``, the share of ``b``'s
quota those accounts stand for moves with them. The share is measured by the plan's allocation
basis against ``b``'s totals *before* the edit: with basis ``potential:0.5,revenue:0.5``, moving
accounts holding 10 % of b's potential and 30 % of its revenue moves 20 % of b's quota (an
"even" part counts accounts). Each month moves by the same fraction; the cents a territory loses
are rounded once per month (half up) and split over the receivers by largest remainder, so what
one loses the others gain exactly. Accounts that become unassigned take no quota with them
(nobody would carry it); accounts from unassigned bring none.

**Nodes in step.** A district's stored quota is the sum of its territories when allocated, plus
any manual adjustment. When quota moves between territories, or territories and nodes move in
the tree, each node's stored amount changes by the change of the sum under it, month by month:
its adjustment (the gap a manager made on purpose) stays exactly what it was, and a node that was
the sum of its children stays so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from planner.model.edits import QuotaChange
from planner.model.hierarchy import ROOT, Tree
from planner.model.quota.allocation import by_largest_remainder, parse_basis
from planner.model.quota.book import ZERO12, QuotaCell, YearPlan, shifted


def follow_moves(
    year: int,
    plan: YearPlan,
    accounts_old: NDArray[np.int64],
    accounts_new: NDArray[np.int64],
    values: Mapping[str, NDArray[np.float64]],
    totals_before: Mapping[int, Mapping[str, float]],
) -> list[QuotaChange]:
    """Leaf quota changes for accounts moving ``old -> new`` territory ids (-1: none).

    ``values``: per moved account, each basis measure (``accounts`` for "even");
    ``totals_before``: per territory id, the same measures before the edit.
    """
    weights = parse_basis(str(plan.settings.get("basis", "potential:0.5,revenue:0.5")))
    moving = (accounts_old != accounts_new) & (accounts_old >= 0) & (accounts_new >= 0)
    if not moving.any():
        return []
    old, new = accounts_old[moving], accounts_new[moving]
    pairs: dict[tuple[int, int], float] = {}
    for b in np.unique(old):
        cell = plan.cells.get(int(b))
        if cell is None or cell.amount == 0:
            continue
        from_b = old == b
        tot = totals_before.get(int(b), {})
        used = {k: w for k, w in weights.items() if w > 0 and tot.get(_measure(k), 0.0) > 0}
        wsum = sum(used.values())
        if wsum <= 0:
            continue
        for a in np.unique(new[from_b]):
            sel = from_b & (new == a)
            f = sum(
                w * float(values[_measure(k)][moving][sel].sum()) / tot[_measure(k)]
                for k, w in used.items()
            )
            pairs[(int(b), int(a))] = min(max(f / wsum, 0.0), 1.0)
    delta: dict[int, NDArray[np.int64]] = {}
    for b in sorted({b for b, _ in pairs}):
        months = np.asarray(plan.cells[b].months, np.int64)
        receivers = [(a, f) for (bb, a), f in pairs.items() if bb == b]
        frac = min(sum(f for _, f in receivers), 1.0)
        lost = np.minimum(np.floor(months * frac + 0.5).astype(np.int64), months)
        delta[b] = delta.get(b, np.zeros(12, np.int64)) - lost
        shares = np.array([f for _, f in receivers])
        for m in range(12):
            parts = by_largest_remainder(int(lost[m]), shares)
            for (a, _), cents in zip(receivers, parts, strict=True):
                delta.setdefault(a, np.zeros(12, np.int64))[m] += cents
    return _cells_plus(year, plan, delta)


def _measure(kind: str) -> str:
    return "accounts" if kind == "even" else kind


def _cells_plus(
    year: int, plan: YearPlan, delta: Mapping[int, NDArray[np.int64]]
) -> list[QuotaChange]:
    return [
        QuotaChange(year, node, plan.cells.get(node), shifted(plan.cells.get(node), d))
        for node, d in sorted(delta.items())
        if d.any()
    ]


def keep_nodes_in_step(
    year: int,
    plan: YearPlan,
    before: Tree,
    after: Tree,
    leaf_cells_after: Mapping[int, QuotaCell | None],
    removed_nodes: Sequence[int] = (),
) -> list[QuotaChange]:
    """Node (and whole-plan) quota changes that keep each node's adjustment constant when the
    leaves under it changed (module docstring). ``leaf_cells_after``: territories whose cell the
    edit changes (None: removed); the others keep theirs."""

    def leaf(t: int, changed: bool) -> NDArray[np.int64]:
        cell = leaf_cells_after.get(t, plan.cells.get(t)) if changed else plan.cells.get(t)
        return np.asarray(cell.months if cell else ZERO12, np.int64)

    def sums(tree: Tree, changed: bool) -> dict[int, NDArray[np.int64]]:
        out: dict[int, NDArray[np.int64]] = {}
        for t in tree.territories:
            v = leaf(t, changed)
            for n in [*tree.ancestors(t), ROOT]:
                out[n] = out.get(n, np.zeros(12, np.int64)) + v
        return out

    old, new = sums(before, False), sums(after, True)
    gone = set(removed_nodes)
    out = []
    for n in sorted(set(old) | set(new) | set(after.nodes)):
        if n in gone or (n != ROOT and n not in after.nodes):
            continue
        d = new.get(n, np.zeros(12, np.int64)) - old.get(n, np.zeros(12, np.int64))
        if d.any():
            out.append(QuotaChange(year, n, plan.cells.get(n), shifted(plan.cells.get(n), d)))
    for n in sorted(gone):
        if plan.cells.get(n) is not None:
            out.append(QuotaChange(year, n, plan.cells[n], None))
    return out
