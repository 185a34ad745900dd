"""A small project with a sales hierarchy and a quota plan, for the quota and hierarchy GUI tests.

Grid 6 x 4 with four territories T1..T4 (stripes of units); region "South" holds district
"D1" (T1, T2) and district "D2" (T3); T4 sits at the top level. FY2027 is allocated from a
3,000,000 total, half by potential and half by revenue, without guardrails.
"""

from __future__ import annotations

from pathlib import Path

from planner.model import org
from planner.model.plan import Plan
from planner.model.quota import ops
from planner.model.synthetic import grid_project

YEAR = 2027
TOTAL = 3_000_000_00


def hierarchy_project(path: Path, *, quota: bool = True) -> Plan:
    """The project at ``path`` (created), loaded, with its hierarchy and (optionally) quota."""
    plan = Plan.load(grid_project(path, territories=4))
    ids = [int(t) for t in plan.atoms.territory_ids]
    plan.apply(org.create_node(plan, "South", "region", colour="#1f77b4"))
    region = next(n.id for n in plan.org.values())
    plan.apply(org.create_node(plan, "D1", "district", parent=region, children=ids[:2]))
    plan.apply(org.create_node(plan, "D2", "district", parent=region, children=ids[2:3]))
    if quota:
        edit, _ = ops.allocate_edit(plan, YEAR, TOTAL, basis="potential:0.5,revenue:0.5")
        plan.apply(edit)
    return plan


def node(plan: Plan, name: str) -> int:
    return next(n.id for n in plan.org.values() if n.name == name)
