"""Edit: the model's unit of change (DESIGN.md). A MoveSet plus the territory operations with it.

Every change to a plan is one :class:`Edit`: a lasso or a paint stroke (moves only), a drawn or
split-off territory (a create and the moves into it), a rename, recolour, rep assignment or lock
(an update), a delete (moves out and the delete), a merge, an import, the optimiser's result.
:meth:`planner.model.plan.Plan.apply` writes one in one transaction, logs it with its effect and
announces it; :meth:`~planner.model.plan.Plan.undo` and ``redo`` replay its inverse or itself
from the log. Because undo and redo are read back from the log, an Edit is stored by database
ids (:func:`encode`) and turned into index form against the plan of the moment (:func:`decode`):
indices shift when territories come and go, ids never do.

In index form, the moves of an Edit that creates territories refer to them by *placeholder*
indices ``K, K+1, ...`` (``K`` = the territories the plan has before the edit): that is the
index each new territory takes when it is appended, so a preview can compute its deltas before
anything exists in the project ("a drawn territory is a placeholder until Enter").
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from planner.model.atoms import FOLLOW, UNASSIGNED, AtomData
from planner.model.moves import MoveSet
from planner.model.quota.book import QuotaCell

if TYPE_CHECKING:
    from numpy.typing import NDArray

#: Territory attributes an Edit may set, as stored per scenario (ScenarioTerritory).
ATTRIBUTES = ("name", "colour", "rep_id", "parent_id", "target_weight", "locked")
#: Log kinds that end the undo history: undo never reaches past them.
BARRIERS = frozenset(
    {
        "publish",
        "restore",
        "import-accounts",
        "import-units",
        "import-opportunities",
        "demo",
        "import-adjacency",
    }
)


@dataclass(frozen=True)
class NewTerritory:
    """A territory an Edit creates. ``territory_id`` is None until the edit is first applied;
    the log keeps the id it got, so a redo brings back the same territory."""

    spec: Mapping[str, Any]
    territory_id: int | None = None


@dataclass(frozen=True)
class TerritoryUpdate:
    territory_id: int
    before: Mapping[str, Any]
    after: Mapping[str, Any]


@dataclass(frozen=True)
class DeletedTerritory:
    """A territory an Edit removes from the scenario, with what it was (for undo)."""

    territory_id: int
    spec: Mapping[str, Any]


@dataclass(frozen=True)
class ShapeChange:
    """A free-drawn territory polygon (free-form projects) replaced: WKB before and after
    (None: no shape). ``territory`` is an index in index form (a placeholder for a territory
    the edit creates), a database id once encoded."""

    territory: int
    before: bytes | None
    after: bytes | None


@dataclass(frozen=True)
class NodeChange:
    """A hierarchy node (district, region...) created (``before`` None), changed, or deleted
    (``after`` None); specs hold :data:`planner.model.hierarchy.NODE_ATTRIBUTES`.

    A node being created has a negative placeholder id (-1, -2 ...) until the edit is applied;
    the same placeholder may appear as a ``parent_id`` in the edit's other node changes and
    territory updates, or as a quota node, and is replaced everywhere by the id it gets
    (:meth:`Edit.with_node_ids`)."""

    node_id: int
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None


@dataclass(frozen=True)
class QuotaChange:
    """One node's quota cell for a fiscal year: before and after (None: no cell)."""

    year: int
    node: int
    before: QuotaCell | None
    after: QuotaCell | None


@dataclass(frozen=True)
class QuotaPlanChange:
    """A quota plan's settings for a fiscal year: before and after (None: no plan)."""

    year: int
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None


@dataclass(frozen=True, eq=False)
class Edit:
    kind: str
    label: str
    moves: MoveSet = field(default_factory=MoveSet.empty)
    creates: tuple[NewTerritory, ...] = ()
    updates: tuple[TerritoryUpdate, ...] = ()
    deletes: tuple[DeletedTerritory, ...] = ()
    shapes: tuple[ShapeChange, ...] = ()
    nodes: tuple[NodeChange, ...] = ()
    quota_plans: tuple[QuotaPlanChange, ...] = ()
    quotas: tuple[QuotaChange, ...] = ()

    @classmethod
    def of_moves(cls, ms: MoveSet) -> Edit:
        return cls(ms.kind, ms.label, ms)

    def is_empty(self) -> bool:
        return not (
            len(self.moves)
            or self.creates
            or self.updates
            or self.deletes
            or self.shapes
            or self.nodes
            or self.quota_plans
            or self.quotas
        )

    @property
    def changes_territories(self) -> bool:
        """True when territories come, go or change (names, colours, reps...), not only atoms."""
        return bool(self.creates or self.updates or self.deletes or self.shapes or self.nodes)

    @property
    def changes_quotas(self) -> bool:
        return bool(self.quota_plans or self.quotas)

    def inverse(self) -> Edit:
        """What undoes this edit (the created territories must exist, i.e. it was applied)."""
        if any(c.territory_id is None for c in self.creates):
            raise ValueError("an edit can only be inverted once applied")
        return Edit(
            self.kind,
            self.label,
            self.moves.inverse(),
            creates=tuple(NewTerritory(d.spec, d.territory_id) for d in self.deletes),
            updates=tuple(TerritoryUpdate(u.territory_id, u.after, u.before) for u in self.updates),
            deletes=tuple(DeletedTerritory(int(c.territory_id), c.spec) for c in self.creates),  # type: ignore[arg-type]
            shapes=tuple(ShapeChange(s.territory, s.after, s.before) for s in self.shapes),
            nodes=tuple(NodeChange(n.node_id, n.after, n.before) for n in reversed(self.nodes)),
            quota_plans=tuple(QuotaPlanChange(p.year, p.after, p.before) for p in self.quota_plans),
            quotas=tuple(QuotaChange(q.year, q.node, q.after, q.before) for q in self.quotas),
        )

    def with_created_ids(self, ids: list[int]) -> Edit:
        return replace(
            self,
            creates=tuple(
                replace(c, territory_id=i) for c, i in zip(self.creates, ids, strict=True)
            ),
        )

    def with_node_ids(self, ids: Mapping[int, int]) -> Edit:
        """Placeholder node ids (negative) replaced by the ids the nodes got, everywhere."""

        def nid(v: Any) -> Any:
            return ids.get(int(v), v) if isinstance(v, int) and v < 0 else v

        def spec(d: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
            return (
                None if d is None else {k: nid(v) if k == "parent_id" else v for k, v in d.items()}
            )

        return replace(
            self,
            nodes=tuple(
                NodeChange(nid(n.node_id), spec(n.before), spec(n.after)) for n in self.nodes
            ),
            updates=tuple(
                TerritoryUpdate(
                    u.territory_id, dict(spec(u.before) or {}), dict(spec(u.after) or {})
                )
                for u in self.updates
            ),
            quotas=tuple(replace(q, node=nid(q.node)) for q in self.quotas),
            creates=tuple(replace(c, spec=spec(c.spec) or {}) for c in self.creates),
        )


# -- log encoding ------------------------------------------------------------------------------
def encode(edit: Edit, atoms: AtomData) -> dict[str, Any]:
    """JSON for the edit log, by database ids (creates must carry their ids: apply first)."""
    a = atoms
    created = [int(c.territory_id) for c in edit.creates]  # type: ignore[arg-type]
    tid = [*(int(t) for t in a.territory_ids), *created]

    def ref(i: int) -> list[Any]:
        if i < a.n_units:
            return ["unit", int(a.unit_ids[i])]
        return ["account", int(a.account_ids[i - a.n_units])]

    def val(v: int) -> int | str | None:
        return "follow" if v == FOLLOW else (None if v < 0 else tid[v])

    ms = edit.moves
    return {
        "atoms": [ref(int(i)) for i in ms.atoms],
        "before": [val(int(v)) for v in ms.before],
        "after": [val(int(v)) for v in ms.after],
        "creates": [
            {"id": i, **_plain(c.spec)} for c, i in zip(edit.creates, created, strict=True)
        ],
        "updates": [
            {"id": u.territory_id, "before": _plain(u.before), "after": _plain(u.after)}
            for u in edit.updates
        ],
        "deletes": [{"id": d.territory_id, **_plain(d.spec)} for d in edit.deletes],
        "shapes": [
            {"id": tid[s.territory], "before": _b64(s.before), "after": _b64(s.after)}
            for s in edit.shapes
        ],
        **_encode_org(edit),
    }


def _encode_org(edit: Edit) -> dict[str, Any]:
    """Nodes and quotas (only when present, so older entries read the same)."""
    out: dict[str, Any] = {}
    if edit.nodes:
        out["nodes"] = [
            {"id": n.node_id, "before": _opt(n.before), "after": _opt(n.after)} for n in edit.nodes
        ]
    if edit.quota_plans:
        out["quota_plans"] = [
            {"year": p.year, "before": _opt(p.before), "after": _opt(p.after)}
            for p in edit.quota_plans
        ]
    if edit.quotas:
        out["quotas"] = [
            {
                "year": q.year,
                "node": q.node,
                "before": None if q.before is None else q.before.to_json(),
                "after": None if q.after is None else q.after.to_json(),
            }
            for q in edit.quotas
        ]
    return out


def _decode_org(payload: Mapping[str, Any]) -> dict[str, Any]:
    def cell(d: Mapping[str, Any] | None) -> QuotaCell | None:
        return None if d is None else QuotaCell.from_json(d)

    return {
        "nodes": tuple(
            NodeChange(int(n["id"]), n["before"], n["after"]) for n in payload.get("nodes", ())
        ),
        "quota_plans": tuple(
            QuotaPlanChange(int(p["year"]), p["before"], p["after"])
            for p in payload.get("quota_plans", ())
        ),
        "quotas": tuple(
            QuotaChange(int(q["year"]), int(q["node"]), cell(q["before"]), cell(q["after"]))
            for q in payload.get("quotas", ())
        ),
    }


def _opt(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if values is None else _plain(values)


def decode(payload: Mapping[str, Any], kind: str, label: str, atoms: AtomData) -> Edit:
    """An Edit in index form against ``atoms`` (raises KeyError/IndexError when it refers to
    units, accounts or territories that no longer exist)."""
    a = atoms
    uidx, aidx = a.unit_index(), a.account_index()
    tidx = dict(a.territory_index())
    creates = tuple(
        NewTerritory({k: v for k, v in c.items() if k != "id"}, int(c["id"]))
        for c in payload.get("creates", ())
    )
    deletes = tuple(
        DeletedTerritory(int(d["id"]), {k: v for k, v in d.items() if k != "id"})
        for d in payload.get("deletes", ())
    )
    # Territories the edit brings (back) are appended in order: their placeholder indices.
    # Only one group is missing at a time: the created ones before a redo, the deleted ones
    # before an undo (whose inverse creates them again).
    for tid in [*(c.territory_id for c in creates), *(d.territory_id for d in deletes)]:
        if int(tid) not in tidx:  # type: ignore[arg-type]
            tidx[int(tid)] = len(tidx)  # type: ignore[arg-type]

    def atom(ref: list[Any]) -> int:
        return uidx[int(ref[1])] if ref[0] == "unit" else a.n_units + aidx[int(ref[1])]

    def val(v: Any) -> int:
        return FOLLOW if v == "follow" else (UNASSIGNED if v is None else tidx[int(v)])

    atoms_idx: NDArray[Any] = np.array([atom(r) for r in payload.get("atoms", ())], dtype=np.int64)
    ms = MoveSet(
        atoms_idx,
        np.array([val(v) for v in payload.get("before", ())], dtype=np.int32),
        np.array([val(v) for v in payload.get("after", ())], dtype=np.int32),
        kind,
        label,
    )
    return Edit(
        kind,
        label,
        ms,
        creates=creates,
        updates=tuple(
            TerritoryUpdate(int(u["id"]), dict(u["before"]), dict(u["after"]))
            for u in payload.get("updates", ())
        ),
        deletes=deletes,
        shapes=tuple(
            ShapeChange(tidx[int(s["id"])], _unb64(s["before"]), _unb64(s["after"]))
            for s in payload.get("shapes", ())
        ),
        **_decode_org(payload),
    )


def _b64(wkb: bytes | None) -> str | None:
    return None if wkb is None else base64.b64encode(wkb).decode("ascii")


def _unb64(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text)


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-safe attribute values (numpy scalars and NaN ids become plain values / None)."""
    out: dict[str, Any] = {}
    for k, v in values.items():
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, float) and k in ("rep_id", "parent_id"):
            v = None if not np.isfinite(v) else int(v)
        out[k] = v
    return out
