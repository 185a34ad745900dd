"""A scenario's quota plans in memory: per fiscal year, settings and one cell per node.

A cell holds a node's 12 fiscal months in whole cents (so sums are exact at every level), the
bottom-up commitment if one was given, whether a manager adjusted it by hand (kept by a new
allocation) and a note. Node id :data:`~planner.model.hierarchy.ROOT` (0) is the whole plan.

The book is changed only through :class:`~planner.model.edits.QuotaChange` values, applied by
the Plan with the rest of an Edit (:meth:`QuotaBook.apply`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from planner.model.schema import Quota, QuotaPlan

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from planner.model.edits import QuotaChange, QuotaPlanChange
    from planner.model.store import Project

ZERO12 = (0,) * 12


@dataclass(frozen=True)
class QuotaCell:
    months: tuple[int, ...] = ZERO12
    commitment: tuple[int, ...] | None = None
    adjusted: bool = False
    note: str = ""

    @property
    def amount(self) -> int:
        return sum(self.months)

    @property
    def committed(self) -> int | None:
        return None if self.commitment is None else sum(self.commitment)

    def quarters(self) -> list[int]:
        return [sum(self.months[i : i + 3]) for i in range(0, 12, 3)]

    def to_json(self) -> dict[str, Any]:
        return {
            "months": list(self.months),
            "commitment": None if self.commitment is None else list(self.commitment),
            "adjusted": self.adjusted,
            "note": self.note,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> QuotaCell:
        c = d.get("commitment")
        return cls(
            tuple(int(v) for v in d["months"]),
            None if c is None else tuple(int(v) for v in c),
            bool(d.get("adjusted", False)),
            str(d.get("note", "")),
        )


def shifted(cell: QuotaCell | None, delta: Sequence[int] | Any) -> QuotaCell:
    """``cell`` (or an empty one) with ``delta`` cents added month by month; the rest kept."""
    base = cell or QuotaCell()
    months = tuple(int(a) + int(b) for a, b in zip(base.months, delta, strict=True))
    return QuotaCell(months, base.commitment, base.adjusted, base.note)


@dataclass
class YearPlan:
    settings: dict[str, Any]
    cells: dict[int, QuotaCell] = field(default_factory=dict)

    def amount(self, node: int) -> int:
        cell = self.cells.get(node)
        return 0 if cell is None else cell.amount


class QuotaBook:
    """Fiscal year -> :class:`YearPlan` for one scenario."""

    def __init__(self, years: dict[int, YearPlan] | None = None) -> None:
        self.years: dict[int, YearPlan] = years or {}

    @classmethod
    def load(cls, project: Project, scenario_id: int) -> QuotaBook:
        with project.session() as s:
            return cls.read(s, scenario_id)

    @classmethod
    def read(cls, s: Session, scenario_id: int) -> QuotaBook:
        years: dict[int, YearPlan] = {}
        for p in s.scalars(select(QuotaPlan).where(QuotaPlan.scenario_id == scenario_id)):
            years[p.fiscal_year] = YearPlan(dict(p.settings or {}))
        rows = s.execute(
            select(Quota.fiscal_year, Quota.node_id, Quota.month, Quota.amount, Quota.commitment,
                   Quota.adjusted, Quota.note)
            .where(Quota.scenario_id == scenario_id)
        )  # fmt: skip
        parts: dict[tuple[int, int], dict[str, Any]] = {}
        for year, node, month, amount, commitment, adjusted, note in rows:
            d = parts.setdefault(
                (year, node), {"m": [0] * 12, "c": [None] * 12, "a": False, "n": ""}
            )
            d["m"][month - 1] = int(amount)
            d["c"][month - 1] = None if commitment is None else int(commitment)
            d["a"] = d["a"] or bool(adjusted)
            d["n"] = d["n"] or (note or "")
        for (year, node), d in parts.items():
            plan = years.setdefault(year, YearPlan({}))
            committed = (
                None if all(v is None for v in d["c"]) else tuple(int(v or 0) for v in d["c"])
            )
            plan.cells[node] = QuotaCell(tuple(d["m"]), committed, d["a"], d["n"])
        return cls(years)

    def year(self, year: int) -> YearPlan | None:
        return self.years.get(year)

    def active_year(self) -> int | None:
        """The plan shown by default: the latest fiscal year with a plan."""
        return max(self.years) if self.years else None

    def cell(self, year: int, node: int) -> QuotaCell | None:
        plan = self.years.get(year)
        return None if plan is None else plan.cells.get(node)

    def apply(self, plans: Iterable[QuotaPlanChange], cells: Iterable[QuotaChange]) -> None:
        """Set the ``after`` side of each change (None removes): cells first, then plans, as
        the project stores them (a deleted plan goes with its cells)."""
        for c in cells:
            plan = self.years.setdefault(c.year, YearPlan({}))
            if c.after is None:
                plan.cells.pop(c.node, None)
            else:
                plan.cells[c.node] = c.after
        for p in plans:
            if p.after is None:
                self.years.pop(p.year, None)
            else:
                self.years.setdefault(p.year, YearPlan({})).settings = dict(p.after)
