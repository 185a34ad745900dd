"""Top-down allocation of a total from any node of the hierarchy down to its territories.

``allocate(node, total)``: nodes under ``node`` whose cell is marked *adjusted* keep their
amount when "preserve adjustments" is on (and everything under them is allocated from that
amount, recursively); the rest of the total goes to the free territories (those not under a
kept node) by the basis, within the guardrails (:func:`.allocation.split`). Each territory's
year is split into months by the seasonality profile (largest remainder), and every node's
months are then the sum of its children's: at allocation, every node equals the sum under it
to the cent. Later manual adjustments do not propagate; the gap is shown (``gap`` in rows).

The result is a list of :class:`~planner.model.edits.QuotaChange` (one per node whose cell
changes) for one Edit, and an :class:`Outcome` describing what the guardrails did.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from planner.model.edits import QuotaChange
from planner.model.errors import PlannerError
from planner.model.hierarchy import ROOT, Tree
from planner.model.quota.allocation import Guardrails, blend, by_largest_remainder, split
from planner.model.quota.book import QuotaCell, YearPlan, shifted


@dataclass
class Outcome:
    changes: list[QuotaChange]
    total: int
    #: Territory id -> "min" / "max" for those the guardrails held, with the cents moved.
    clipped: dict[int, tuple[str, int]] = field(default_factory=dict)
    #: Territories without last year's revenue: no growth to bound, guardrails not applied.
    unbounded: list[int] = field(default_factory=list)
    #: Adjusted nodes kept as they were.
    kept: list[int] = field(default_factory=list)

    def report(self, tree: Tree) -> list[str]:
        lines = []
        for t, (side, cents) in sorted(self.clipped.items(), key=lambda kv: tree.name(kv[0])):
            verb = "raised to its minimum" if side == "min" else "capped at its maximum"
            lines.append(
                f"{tree.name(t)}: {verb} growth ({cents / 100:+,.2f}); the difference was "
                "shared by the other territories"
            )
        if self.unbounded:
            names = ", ".join(tree.name(t) for t in self.unbounded[:10])
            more = f" and {len(self.unbounded) - 10} more" if len(self.unbounded) > 10 else ""
            lines.append(f"no revenue last year, guardrails not applied: {names}{more}")
        if self.kept:
            lines.append("adjusted and kept: " + ", ".join(tree.name(n) for n in self.kept))
        return lines


def allocate(
    tree: Tree,
    year: int,
    plan: YearPlan | None,
    node: int,
    total: int,
    *,
    measures: Mapping[int, Mapping[str, float]],
    basis: Mapping[str, float],
    guard: Guardrails,
    season: Sequence[float],
    preserve: bool = True,
) -> Outcome:
    """See the module docstring. ``measures``: territory id -> revenue/potential/pipeline/
    accounts (money in currency units); ``season``: 12 month weights."""
    if total < 0:
        raise PlannerError(f"total: a quota total cannot be negative ({total / 100:,.2f})")
    cells = dict(plan.cells) if plan else {}
    new: dict[int, NDArray[np.int64]] = {}
    outcome = Outcome([], int(total))
    _fill(tree, node, int(total), cells, new, outcome, measures, basis, guard, season, preserve)
    # Nodes above the allocated one follow the change of the sum under them (their own gaps
    # stay): a district re-allocated inside its region keeps the region consistent.
    changes: list[QuotaChange] = []
    for n, months in new.items():
        before = cells.get(n)
        base = before or QuotaCell()
        keep_adjusted = base.adjusted and n in outcome.kept
        after = QuotaCell(tuple(int(v) for v in months), base.commitment, keep_adjusted, base.note)
        if after != before:
            changes.append(QuotaChange(year, n, before, after))
    if node != ROOT:
        old = np.asarray((cells.get(node) or QuotaCell()).months, np.int64)
        d = new[node] - old
        if d.any():
            for a in [*tree.ancestors(node), ROOT]:
                changes.append(QuotaChange(year, a, cells.get(a), shifted(cells.get(a), d)))
    outcome.changes = changes
    return outcome


def _fill(
    tree: Tree,
    node: int,
    total: int,
    cells: Mapping[int, QuotaCell],
    new: dict[int, NDArray[np.int64]],
    outcome: Outcome,
    measures: Mapping[int, Mapping[str, float]],
    basis: Mapping[str, float],
    guard: Guardrails,
    season: Sequence[float],
    preserve: bool,
) -> NDArray[np.int64]:
    """Allocate ``total`` under ``node``; fills ``new`` (node -> months) and returns node's."""
    if tree.is_territory(node):
        months = by_largest_remainder(total, season)
        new[node] = months
        return months
    kept: list[int] = []
    free: list[int] = []
    stack = list(tree.children(node))
    while stack:
        x = stack.pop()
        cell = cells.get(x)
        if preserve and cell is not None and cell.adjusted:
            kept.append(x)
        elif tree.is_territory(x):
            free.append(x)
        else:
            stack.extend(tree.children(x))
    kept_total = sum(cells[k].amount for k in kept)
    rest = total - kept_total
    where = tree.name(node)
    if rest < 0:
        raise PlannerError(
            f"total: the adjusted quotas kept under {where} add up to {kept_total / 100:,.2f}, "
            f"more than the total {total / 100:,.2f}; raise the total or allocate without "
            "preserving adjustments"
        )
    free.sort(key=lambda t: (tree.name(t).casefold(), t))
    if not free and rest > 0:
        raise PlannerError(f"total: every territory under {where} is adjusted and kept; "
                           f"{rest / 100:,.2f} has nowhere to go")  # fmt: skip
    if free:
        m = {k: np.array([float(measures.get(t, {}).get(k, 0.0)) for t in free]) for k in
             ("revenue", "potential", "pipeline", "accounts")}  # fmt: skip
        shares = blend(m, basis)
        rev_cents = m["revenue"] * 100
        lo, hi = guard.bounds(rev_cents) if guard.active else (None, None)
        if guard.active:
            outcome.unbounded += [t for t, r in zip(free, rev_cents, strict=True) if r <= 0]
        result = split(rest, shares, lo, hi, what=f"total under {where}")
        for i in result.at_min:
            outcome.clipped[free[i]] = ("min", round(float(result.clipped[i])))
        for i in result.at_max:
            outcome.clipped[free[i]] = ("max", round(float(result.clipped[i])))
        for t, cents in zip(free, result.amounts, strict=True):
            new[t] = by_largest_remainder(int(cents), season)
    for k in kept:
        outcome.kept.append(k)
        if tree.is_territory(k):
            new[k] = np.asarray(cells[k].months, np.int64)
        else:
            _fill(
                tree,
                k,
                cells[k].amount,
                cells,
                new,
                outcome,
                measures,
                basis,
                guard,
                season,
                preserve,
            )
            new[k] = np.asarray(cells[k].months, np.int64)  # the kept node keeps its own months
    return _sum_nodes(tree, node, new, set(kept))


def _sum_nodes(
    tree: Tree, node: int, new: dict[int, NDArray[np.int64]], kept: set[int]
) -> NDArray[np.int64]:
    """Months of ``node`` and every free node under it = the sum of its children (kept nodes
    and territories already have theirs in ``new``)."""
    if tree.is_territory(node) or node in kept:
        return new.get(node, np.zeros(12, np.int64))
    total = np.zeros(12, np.int64)
    for c in tree.children(node):
        total += _sum_nodes(tree, c, new, kept)
    new[node] = total
    return total
