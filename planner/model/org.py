"""Edits of the sales hierarchy: create, rename, recolour, re-parent and delete nodes.

Each function returns one :class:`~planner.model.edits.Edit` for :meth:`Plan.apply` (undoable,
logged, checked for staleness like any edit). Re-parenting a territory is a territory update of
its ``parent_id``; a node's is a node change. Deleting a node moves what hangs from it up to its
own parent in the same edit, so nothing is ever orphaned. The quota of nodes follows on apply
(planner.model.quota.follow.keep_nodes_in_step).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from planner.model.edits import Edit, NodeChange, TerritoryUpdate
from planner.model.errors import PlannerError
from planner.model.hierarchy import ROOT, Tree

if TYPE_CHECKING:
    from planner.model.plan import Plan

MAX_NAME = 200
#: Placeholder id of the node a create edit makes (replaced by its id when applied).
NEW = -1


def _name(plan: Plan, name: str, node: int | None = None) -> str:
    name = " ".join(str(name).split())
    if not name:
        raise PlannerError("a hierarchy node needs a name")
    if len(name) > MAX_NAME:
        raise PlannerError(f"node names are limited to {MAX_NAME} characters")
    for n in plan.org.values():
        if n.name == name and n.id != node:
            raise PlannerError(f"a node named '{name}' already exists in this scenario")
    return name


def _level(level: str) -> str:
    level = " ".join(str(level).split()).lower()
    if not level or level == "territory" or len(level) > 40:
        raise PlannerError("a node's level is a name such as district or region (not territory)")
    return level


def _node(plan: Plan, node_id: int) -> Any:
    node = plan.org.get(int(node_id))
    if node is None:
        raise PlannerError(f"no hierarchy node with id {node_id} in this scenario")
    return node


def _parent(plan: Plan, parent: int | None) -> int | None:
    if parent in (None, ROOT):
        return None
    _node(plan, int(parent))
    return int(parent)


def create_node(
    plan: Plan,
    name: str,
    level: str,
    *,
    parent: int | None = None,
    children: list[int] | None = None,
    colour: str = "#888888",
    rep_id: int | None = None,
) -> Edit:
    """A new node under ``parent`` (None: top level), with ``children`` (territory or node ids)
    moved under it."""
    spec = {"name": _name(plan, name), "level": _level(level), "colour": colour,
            "rep_id": rep_id, "parent_id": _parent(plan, parent)}  # fmt: skip
    edit = Edit("hierarchy", f"create {spec['level']} '{spec['name']}'",
                nodes=(NodeChange(NEW, None, spec),))  # fmt: skip
    for child in children or ():
        edit = _merge(edit, reparent(plan, child, NEW, _check=False))
    return edit


def update_node(plan: Plan, node_id: int, **changes: Any) -> Edit:
    """Rename, recolour, set the manager (rep_id) or the level of a node."""
    node = _node(plan, node_id)
    after: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "name":
            value = _name(plan, value, node.id)
        elif key == "level":
            value = _level(value)
        elif key not in ("colour", "rep_id"):
            raise PlannerError(f"a node has no attribute '{key}' to change")
        if getattr(node, key) != value:
            after[key] = value
    if not after:
        return Edit("hierarchy", "no change")
    before = {k: getattr(node, k) for k in after}
    what = "rename" if "name" in after else "change"
    return Edit("hierarchy", f"{what} {node.level} '{node.name}'",
                nodes=(NodeChange(node.id, before, after),))  # fmt: skip


def reparent(plan: Plan, item: int, parent: int | None, *, _check: bool = True) -> Edit:
    """Put a territory or node under ``parent`` (None or 0: top level)."""
    new = None if parent in (None, ROOT) else int(parent)
    if _check and new is not None:
        _node(plan, new)
    item = int(item)
    tree = Tree.of_plan(plan)
    if item in plan.org:
        node = plan.org[item]
        if new is not None and new >= 0 and tree.would_cycle(item, new):
            raise PlannerError(f"'{node.name}' cannot go under a node that is below it")
        if node.parent_id == new:
            return Edit("hierarchy", "no change")
        where = tree.name(new) if new is not None and new >= 0 else "the top level"
        return Edit("hierarchy", f"move {node.level} '{node.name}' under {where}",
                    nodes=(NodeChange(item, {"parent_id": node.parent_id},
                                      {"parent_id": new}),))  # fmt: skip
    t = plan.territory_position(item)
    if t is None:
        raise PlannerError(f"no territory or node with id {item} in this scenario")
    old = tree.territories[item][1]
    if old == new:
        return Edit("hierarchy", "no change")
    name = str(plan.atoms.territory_names[t])
    where = tree.name(new) if new is not None and new >= 0 else "the top level"
    change = TerritoryUpdate(item, {"parent_id": old}, {"parent_id": new})
    return Edit("hierarchy", f"move '{name}' under {where}", updates=(change,))


def delete_node(plan: Plan, node_id: int) -> Edit:
    """Remove a node; what hangs from it moves up to its parent."""
    node = _node(plan, node_id)
    tree = Tree.of_plan(plan)
    up = node.parent_id
    edit = Edit("hierarchy", f"delete {node.level} '{node.name}'")
    for child in tree.children(node.id):
        edit = _merge(edit, reparent(plan, child, up, _check=False))
    return _merge(edit, Edit("hierarchy", "", nodes=(NodeChange(node.id, node.spec(), None),)))


def _merge(a: Edit, b: Edit) -> Edit:
    return Edit(a.kind, a.label, a.moves, updates=(*a.updates, *b.updates),
                nodes=(*a.nodes, *b.nodes))  # fmt: skip
