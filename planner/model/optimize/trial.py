"""A tentative sequence of moves for the auto-balance search: keep it, or undo it exactly.

Compound steps (budget reallocation) make several moves whose combined effect
is only known once all are made. Each move goes through ``Search._move`` (so every state on
the way is valid and every territory stays contiguous); undoing replays them in reverse and
restores the move reasons the step overwrote.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from planner.model.optimize.results import MoveReason
    from planner.model.optimize.search import Search


class Trial:
    """Moves made since it was opened; :meth:`undo` takes them all back."""

    def __init__(self, s: Search) -> None:
        self.s = s
        self.before = s.score()
        self.log: list[tuple[int, int, int, float]] = []
        self._saved: dict[int, MoveReason | None] = {}

    def __len__(self) -> int:
        return len(self.log)

    def try_move(self, x: int, src: int, dst: int) -> bool:
        """Move ``x`` when it is in ``src``, touches ``dst``, ``src`` stays whole and the
        budget allows; returns whether it moved."""
        s = self.s
        dc = s.move_cost(x, src, dst)
        if s.assign[x] != src or s.size[src] <= 1 or s.nbr[x, dst] == 0:
            return False
        if s.used + dc > s.budget + 1e-12 or not s.can_leave(x, src):
            return False
        self.move(x, src, dst, dc)
        return True

    def move(self, x: int, src: int, dst: int, dc: float) -> None:
        self._saved.setdefault(x, self.s.reasons.get(x))
        self.s.move(x, src, dst, 0.0, dc)
        self.log.append((x, src, dst, dc))

    def gain(self) -> float:
        """How much the exact objective fell since the trial was opened."""
        return self.before - self.s.score()

    def undo(self) -> None:
        s = self.s
        for x, src, dst, dc in reversed(self.log):
            s.move(x, dst, src, 0.0, -dc)
        for x, r in self._saved.items():
            if r is None:
                s.reasons.pop(x, None)
            else:
                s.reasons[x] = r
        self.log.clear()
