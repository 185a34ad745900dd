"""The sales hierarchy of a scenario: regions > districts > territories, any depth.

Hierarchy nodes are rows of the territory table with a level other than ``territory`` (so a
territory's ``parent_id`` can name one), and each scenario keeps its own copy of them
(:class:`~planner.model.schema.ScenarioNode`), as it does of its territories: a what-if
scenario may redraw the districts too. :class:`Tree` joins the nodes with the plan's
territories; the whole plan is the root (id :data:`ROOT`).

Roll-ups sum the territories under a node; deviation is computed among *siblings* (a district
against the other districts of its region, a territory against the other territories of its
district), with targets weighted by the summed target weights of the territories under each, so
a region with twice the territories is expected to carry twice the load.

The tree is cycle-safe: a parent chain that loops (possible only in a hand-edited or foreign
file; edits refuse to make one) is cut where it repeats, and the node hangs from the root.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import select

from planner.model.balance import METRICS, deviations
from planner.model.schema import ScenarioNode

if TYPE_CHECKING:
    from planner.model.atoms import AtomData
    from planner.model.plan import Plan
    from planner.model.store import Project

#: Id of the whole plan (no territory or node has id 0).
ROOT = 0
#: Node attributes an Edit may set (NodeChange specs).
NODE_ATTRIBUTES = ("name", "level", "colour", "rep_id", "parent_id")


@dataclass(frozen=True)
class Node:
    id: int
    name: str
    level: str
    colour: str = "#888888"
    rep_id: int | None = None
    parent_id: int | None = None

    def spec(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in NODE_ATTRIBUTES}


def load_nodes(project: Project, scenario_id: int) -> dict[int, Node]:
    """The scenario's hierarchy nodes by id."""
    with project.session() as s:
        rows = s.scalars(select(ScenarioNode).where(ScenarioNode.scenario_id == scenario_id))
        return {
            r.node_id: Node(r.node_id, r.name, r.level, r.colour, r.rep_id, r.parent_id)
            for r in rows
        }


class Tree:
    """Nodes and territories as one tree (ids are territory-table ids; :data:`ROOT` on top)."""

    def __init__(
        self,
        nodes: Mapping[int, Node],
        territories: Mapping[int, tuple[str, int | None]],
    ) -> None:
        """``territories``: id -> (name, parent id) of the scenario's territories."""
        self.nodes = dict(nodes)
        self.territories = dict(territories)
        self._parent: dict[int, int] = {}
        for nid, n in self.nodes.items():
            self._parent[nid] = self._safe_parent(nid, n.parent_id)
        for tid, (_, parent) in self.territories.items():
            self._parent[tid] = parent if parent in self.nodes else ROOT
        kids: dict[int, list[int]] = {}
        for item, parent in self._parent.items():
            kids.setdefault(parent, []).append(item)
        # Nodes before territories, each by name: the order a planner scans a report in.
        self._children = {
            p: sorted(c, key=lambda i: (i not in self.nodes, self.name(i).casefold(), i))
            for p, c in kids.items()
        }

    @classmethod
    def of_plan(cls, plan: Plan, nodes: Mapping[int, Node] | None = None) -> Tree:
        return cls.of_atoms(plan.org if nodes is None else nodes, plan.atoms)

    @classmethod
    def of_atoms(cls, nodes: Mapping[int, Node], a: AtomData) -> Tree:
        """The tree of ``nodes`` over the territories of ``a`` (a plan before an edit, say)."""
        terr = {
            int(t): (str(n), int(p) if np.isfinite(p) else None)
            for t, n, p in zip(
                a.territory_ids, a.territory_names, a.territory_parent_ids, strict=True
            )
        }
        return cls(nodes, terr)

    def _safe_parent(self, nid: int, parent: int | None) -> int:
        seen = {nid}
        p = parent
        while p is not None and p in self.nodes:
            if p in seen:
                return ROOT
            seen.add(p)
            p = self.nodes[p].parent_id
        return parent if parent is not None and parent in self.nodes else ROOT

    # -- structure -----------------------------------------------------------------------------
    def name(self, item: int) -> str:
        if item == ROOT:
            return "All territories"
        if item in self.nodes:
            return self.nodes[item].name
        return self.territories[item][0]

    def level(self, item: int) -> str:
        if item == ROOT:
            return "plan"
        return self.nodes[item].level if item in self.nodes else "territory"

    def parent(self, item: int) -> int:
        return self._parent.get(item, ROOT)

    def children(self, item: int = ROOT) -> list[int]:
        return list(self._children.get(item, ()))

    def is_territory(self, item: int) -> bool:
        return item in self.territories

    def depth(self, item: int) -> int:
        d = 0
        while item != ROOT:
            item, d = self.parent(item), d + 1
        return d

    def ancestors(self, item: int) -> list[int]:
        """Parent, grandparent ... up to and excluding the root."""
        out = []
        p = self.parent(item)
        while p != ROOT:
            out.append(p)
            p = self.parent(p)
        return out

    def walk(self, item: int = ROOT) -> Iterable[int]:
        """Depth first, parents before children (the root itself excluded)."""
        stack = list(reversed(self.children(item)))
        while stack:
            x = stack.pop()
            yield x
            stack.extend(reversed(self.children(x)))

    def leaves_under(self, item: int) -> list[int]:
        """The territories under ``item`` (``item`` itself if it is one)."""
        if self.is_territory(item):
            return [item]
        return [x for x in self.walk(item) if self.is_territory(x)]

    def levels(self) -> list[str]:
        """Levels present, top first (by depth), territories last."""
        depth: dict[str, int] = {}
        for nid in self.nodes:
            lv = self.nodes[nid].level
            depth[lv] = min(depth.get(lv, 99), self.depth(nid))
        return [*sorted(depth, key=lambda lv: depth[lv]), "territory"]

    def ancestor_at(self, territory: int, level: str) -> int | None:
        """The node at ``level`` above a territory (the territory itself for 'territory')."""
        if level == "territory":
            return territory
        return next((p for p in self.ancestors(territory) if self.level(p) == level), None)

    def would_cycle(self, item: int, new_parent: int | None) -> bool:
        """True if ``item`` under ``new_parent`` would make a loop."""
        p = new_parent
        while p is not None and p != ROOT:
            if p == item:
                return True
            p = self.parent(p)
        return False


def rollup(
    tree: Tree, leaf_values: Mapping[int, float], weights: Mapping[int, float] | None = None
) -> dict[int, float]:
    """Sum of the leaves under every node (and the root); leaves keep their own value."""
    out: dict[int, float] = {}

    def total(item: int) -> float:
        if tree.is_territory(item):
            v = float(leaf_values.get(item, 0.0))
        else:
            v = sum(total(c) for c in tree.children(item))
        out[item] = v
        return v

    total(ROOT)
    return out


def tree_rows(plan: Plan, tree: Tree | None = None) -> list[dict[str, Any]]:
    """The balance table as a tree, depth first: every node and territory with the metrics
    summed under it and its deviation among its siblings (the root row first)."""
    tree = Tree.of_plan(plan) if tree is None else tree
    flat = {r["id"]: r for r in plan.rows()}
    weight = rollup(
        tree,
        {
            t: float(w)
            for t, w in zip(plan.atoms.territory_ids, plan.atoms.territory_weights, strict=True)
        },
    )
    sums = {m: rollup(tree, {t: r[m] for t, r in flat.items()}) for m in METRICS}
    dev: dict[int, dict[str, float]] = {}
    for parent in [ROOT, *(n for n in tree.walk() if not tree.is_territory(n))]:
        kids = tree.children(parent)
        if not kids:
            continue
        w = np.array([weight[k] for k in kids])
        for m in METRICS:
            d = deviations(np.array([sums[m][k] for k in kids]), w)
            for k, v in zip(kids, d, strict=True):
                dev.setdefault(k, {})[m] = float(v)
    out = []
    for item in [ROOT, *tree.walk()]:
        node = tree.nodes.get(item)
        row = flat.get(item, {})
        out.append(
            {
                "id": item,
                "name": tree.name(item),
                "level": tree.level(item),
                "depth": tree.depth(item),
                "parent": None if item == ROOT else tree.parent(item),
                "territories": len(tree.leaves_under(item)) if item != ROOT else len(flat),
                "colour": node.colour if node else row.get("colour", ""),
                "rep": (
                    plan.atoms.rep_names.get(node.rep_id, "")
                    if node and node.rep_id
                    else row.get("rep", "")
                ),
                **{m: sums[m][item] for m in METRICS},
                "deviation": dev.get(item, dict.fromkeys(METRICS, 0.0)),
            }
        )
    return out
