"""Typed, Qt-free change notifications (psygnal), carrying what changed.

Views subscribe to a Plan's ``changed`` signal and refresh only the territories in
``PlanChange.touched``; the initiator can recognise its own MoveSet and skip its echo.
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.model.moves import MoveSet


@dataclass(frozen=True, eq=False)
class PlanChange:
    moveset: MoveSet
    #: True when this change undid ``moveset`` (the alignment went from ``after`` to ``before``).
    undone: bool
    #: Territory indices whose totals changed.
    touched: tuple[int, ...]
    #: EditLog row id of the step.
    log_id: int | None = None
