"""What auto-balance reports: progress while it runs, the result, and why each unit moved."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Progress:
    """One report of a running search: share of the time used, what it is doing, best score
    (internal), and what a user follows: the objective of the best balanced state so far."""

    fraction: float
    message: str
    best_score: float
    #: Builds the result of the best state so far (valid after the generator was closed).
    snapshot: Callable[[], OptimizeResult] | None = None
    #: Seconds since the search started.
    elapsed: float = 0.0
    #: The objective (``objective_name``) of the best state so far when it is balanced and
    #: contiguous; None while no such state is known (the balance phase of a dispersion run).
    objective: float | None = None
    objective_name: str = ""


@dataclass(frozen=True)
class MoveReason:
    """Why a unit moved: its last move and the deviations of the two territories it changed."""

    unit: int
    from_territory: int
    to_territory: int
    deviation_before: dict[int, dict[str, float]]
    deviation_after: dict[int, dict[str, float]]
    score_gain: float


@dataclass(frozen=True)
class OptimizeResult:
    unit_alignment: NDArray[np.int32]
    start: NDArray[np.int32]
    n_territories: int
    reasons: dict[int, MoveReason]
    score_before: float
    score_after: float
    seconds: float
    rounds: int
    cancelled: bool
    #: Per metric: the smallest max |deviation| possible (a single unit above its target).
    reachable_tolerance: dict[str, float]

    @property
    def moved_units(self) -> NDArray[np.int64]:
        return np.flatnonzero(self.unit_alignment != self.start)
