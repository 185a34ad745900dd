"""Quota edits for a Plan: allocate, adjust, commit, settings; and the quota table view.

Each builder returns one :class:`~planner.model.edits.Edit` (kind ``quota``), so an allocation
or an adjustment is undone, logged and refused when stale like any other change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import func, select

from planner.model.edits import Edit, QuotaChange, QuotaPlanChange
from planner.model.errors import PlannerError
from planner.model.hierarchy import ROOT, Tree
from planner.model.quota.allocation import by_largest_remainder, parse_basis
from planner.model.quota.book import QuotaCell
from planner.model.quota.settings import fiscal_months, guardrails, normalise
from planner.model.quota.topdown import Outcome, allocate

if TYPE_CHECKING:
    from planner.model.plan import Plan


def cents(amount: float | str, field: str = "total") -> int:
    """Currency units -> whole cents (errors name the field)."""
    try:
        value = float(str(amount).replace(",", "").replace("_", ""))
    except ValueError:
        raise PlannerError(f"{field}: '{amount}' is not an amount") from None
    if not np.isfinite(value):
        raise PlannerError(f"{field}: '{amount}' is not an amount")
    if value < 0:
        raise PlannerError(f"{field}: a quota cannot be negative ({value:,.2f})")
    return round(value * 100)


def measures(plan: Plan) -> dict[int, dict[str, float]]:
    """Territory id -> the allocation basis measures, as the balance has them now."""
    keys = ("revenue", "potential", "pipeline", "accounts")
    return {r["id"]: {k: float(r[k]) for k in keys} for r in plan.rows()}


def seasonality(plan: Plan, settings: Mapping[str, Any], year: int) -> list[float]:
    """12 month weights: flat, given, or from opportunity close dates (open and won, by amount,
    any year, mapped onto the fiscal months; flat if none have a date)."""
    season = settings.get("seasonality", "flat")
    if isinstance(season, list):
        return [float(v) for v in season]
    if season != "opportunities":
        return [1.0] * 12
    from planner.model.schema import Opportunity

    with plan.project.session() as s:
        month: Any = func.extract("month", Opportunity.close_date)
        rows = s.execute(
            select(month, func.sum(Opportunity.amount))
            .where(Opportunity.close_date.is_not(None))
            .group_by(month)
        ).all()
    by_cal = {int(m): float(v or 0) for m, v in rows if m is not None}
    start = int(settings.get("start_month", 1))
    weights = [max(by_cal.get(m, 0.0), 0.0) for _, m in fiscal_months(year, start)]
    return weights if sum(weights) > 0 else [1.0] * 12


def allocate_edit(
    plan: Plan,
    year: int,
    total: int,
    *,
    node: int = ROOT,
    basis: str | None = None,
    min_growth: float | None = None,
    max_growth: float | None = None,
    preserve: bool = True,
    settings: Mapping[str, Any] | None = None,
) -> tuple[Edit, Outcome]:
    """Allocate ``total`` cents from ``node`` down (planner.model.quota.topdown); the plan's
    settings are created or updated with what was used."""
    _year(year)
    yp = plan.quotas.year(year)
    old = None if yp is None else dict(yp.settings)
    new = normalise({**(old or {}), **dict(settings or {})})
    if basis is not None:
        new["basis"] = basis
    if min_growth is not None or max_growth is not None or settings is None:
        new["min_growth"], new["max_growth"] = min_growth, max_growth
    new = normalise(new)
    tree = Tree.of_plan(plan)
    if node != ROOT and node not in tree.nodes and not tree.is_territory(node):
        raise PlannerError(f"node: no territory or hierarchy node with id {node}")
    if node == ROOT:
        new["total"] = int(total)
    outcome = allocate(
        tree, year, yp, node, int(total),
        measures=measures(plan), basis=parse_basis(new["basis"]), guard=guardrails(new),
        season=seasonality(plan, new, year), preserve=preserve,
    )  # fmt: skip
    plans = () if old == new else (QuotaPlanChange(year, old, new),)
    where = "" if node == ROOT else f" from {tree.name(node)}"
    label = f"allocate FY{year} quota {total / 100:,.0f}{where} by {new['basis']}"
    return Edit("quota", label, quota_plans=plans, quotas=tuple(outcome.changes)), outcome


def adjust_edit(
    plan: Plan, year: int, node: int, amount: int | Sequence[int], *, note: str | None = None
) -> Edit:
    """Set a node's quota by hand (kept by later allocations); an annual amount is spread
    like the cell's current months (its seasonality), 12 amounts are taken as they are."""
    yp = _plan(plan, year)
    tree = Tree.of_plan(plan)
    if node != ROOT and node not in tree.nodes and not tree.is_territory(node):
        raise PlannerError(f"node: no territory or hierarchy node with id {node}")
    before = yp.cells.get(node)
    base = before or QuotaCell()
    if isinstance(amount, int):
        weights = base.months if base.amount > 0 else [1] * 12
        months = tuple(int(v) for v in by_largest_remainder(amount, weights))
    else:
        if len(amount) != 12 or any(int(v) < 0 for v in amount):
            raise PlannerError("months: give 12 amounts of zero or more")
        months = tuple(int(v) for v in amount)
    after = QuotaCell(months, base.commitment, True, base.note if note is None else str(note))
    label = f"adjust FY{year} quota of {tree.name(node)} to {sum(months) / 100:,.0f}"
    return Edit("quota", label, quotas=(QuotaChange(year, node, before, after),))


def clear_adjustment_edit(plan: Plan, year: int, node: int) -> Edit:
    yp = _plan(plan, year)
    before = yp.cells.get(node)
    if before is None or not before.adjusted:
        return Edit("quota", "no change")
    after = QuotaCell(before.months, before.commitment, False, before.note)
    return Edit("quota", f"release the adjustment of {Tree.of_plan(plan).name(node)}",
                quotas=(QuotaChange(year, node, before, after),))  # fmt: skip


def commit_edit(plan: Plan, year: int, territory: int, amount: int | None) -> Edit:
    """A territory's bottom-up commitment (None clears it), spread like its quota months."""
    return commitments_edit(plan, year, {territory: amount})


def commitments_edit(plan: Plan, year: int, amounts: Mapping[int, int | None]) -> Edit:
    """Several territories' commitments in one step; every node's commitment is the sum of
    its territories' (commitments roll up, they are never allocated down)."""
    yp = _plan(plan, year)
    tree = Tree.of_plan(plan)
    cells = dict(yp.cells)
    zero = np.zeros(12, np.int64)
    changed: dict[int, QuotaCell] = {}
    for territory, amount in amounts.items():
        if not tree.is_territory(territory):
            raise PlannerError(f"territory: no territory with id {territory} in this scenario")
        base = changed.get(territory) or cells.get(territory) or QuotaCell()
        commitment = None
        if amount is not None:
            weights = base.months if base.amount > 0 else [1] * 12
            commitment = tuple(int(v) for v in by_largest_remainder(int(amount), weights))
        delta = np.asarray(commitment or zero) - np.asarray(base.commitment or zero)
        changed[territory] = QuotaCell(base.months, commitment, base.adjusted, base.note)
        for n in [*tree.ancestors(territory), ROOT]:
            cell = changed.get(n) or cells.get(n) or QuotaCell()
            c = tuple(int(v) for v in np.asarray(cell.commitment or zero) + delta)
            changed[n] = QuotaCell(cell.months, c, cell.adjusted, cell.note)
    changes = tuple(
        QuotaChange(year, n, cells.get(n), after)
        for n, after in sorted(changed.items())
        if after != cells.get(n)
    )
    if len(amounts) == 1:
        territory, amount = next(iter(amounts.items()))
        what = "cleared" if amount is None else f"{amount / 100:,.0f}"
        label = f"commitment of {tree.name(territory)}: {what}"
    else:
        label = f"FY{year} commitments of {len(amounts)} territories"
    return Edit("quota", label, quotas=changes)


def settings_edit(plan: Plan, year: int, **changes: Any) -> Edit:
    """Change a plan's settings (or start a plan for a new year with them)."""
    _year(year)
    yp = plan.quotas.year(year)
    old = None if yp is None else dict(yp.settings)
    new = normalise({**(old or {}), **changes})
    if old == new:
        return Edit("quota", "no change")
    return Edit("quota", f"FY{year} quota settings", quota_plans=(QuotaPlanChange(year, old, new),))


def delete_plan_edit(plan: Plan, year: int) -> Edit:
    yp = _plan(plan, year)
    cells = tuple(QuotaChange(year, n, c, None) for n, c in sorted(yp.cells.items()))
    gone = (QuotaPlanChange(year, dict(yp.settings), None),)
    return Edit("quota", f"delete the FY{year} quota plan", quota_plans=gone, quotas=cells)


def table(plan: Plan, year: int | None = None) -> list[dict[str, Any]]:
    """The quota plan as a tree (hierarchy order): per node and territory the stored quota,
    the sum of its children and the gap between them, quarters, months, commitment and, for
    territories, fairness. Money in currency units."""
    from planner.model.hierarchy import tree_rows

    year = plan.quotas.active_year() if year is None else year
    yp = plan.quotas.year(year) if year is not None else None
    if yp is None:
        raise PlannerError("this scenario has no quota plan" + (f" for FY{year}" if year else ""))
    tree = Tree.of_plan(plan)
    flat = {r["id"]: r for r in plan.rows()} if plan.quota_year in (None, year) else {}
    out = []
    for r in tree_rows(plan, tree):
        item = r["id"]
        cell = yp.cells.get(item)
        kids = tree.children(item)
        child_sum = sum(yp.amount(c) for c in kids) if kids else None
        amount = cell.amount if cell else 0
        row = {
            "id": item, "name": r["name"], "level": r["level"], "depth": r["depth"],
            "parent": r["parent"], "quota": amount / 100,
            "children_sum": None if child_sum is None else child_sum / 100,
            "gap": None if child_sum is None else (amount - child_sum) / 100,
            "quarters": [q / 100 for q in (cell or QuotaCell()).quarters()],
            "months": [m / 100 for m in (cell or QuotaCell()).months],
            "commitment": None if cell is None or cell.committed is None else cell.committed / 100,
            "adjusted": bool(cell and cell.adjusted), "note": cell.note if cell else "",
            "revenue": r["revenue"], "potential": r["potential"], "pipeline": r["pipeline"],
        }  # fmt: skip
        for k in ("share_of_potential", "growth", "difficulty", "flag", "multiplier"):
            if item in flat and k in flat[item]:
                row[k] = flat[item][k]
        out.append(row)
    return out


def _plan(plan: Plan, year: int) -> Any:
    yp = plan.quotas.year(year)
    if yp is None:
        raise PlannerError(f"year: this scenario has no FY{year} quota plan; allocate one first")
    return yp


def _year(year: int) -> None:
    if not isinstance(year, int) or not 1900 <= year <= 2200:
        raise PlannerError(f"year: '{year}' is not a fiscal year such as 2027")
