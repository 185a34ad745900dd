"""What auto-balance is asked to do, and the plain arrays it works on.

Kept apart from the search so that every part of the package (and a project, a benchmark or a
test building inputs by hand) can name them without importing the search itself.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import sparse


@dataclass(frozen=True)
class OptimizeOptions:
    """What to balance and what must not change. ``from_scratch`` = K builds K new territories."""

    metrics: dict[str, float] = field(
        default_factory=lambda: {"potential": 1.0, "workload_hours": 1.0}
    )
    tolerance: float = 0.05
    locked_units: tuple[int, ...] = ()
    #: Share of accounts (or revenue, see ``disruption_by``) allowed to change territory.
    max_disruption: float | None = None
    disruption_by: str = "accounts"
    from_scratch: int | None = None
    time_limit: float = 30.0
    seed: int = 0
    #: Weight of one cut adjacency edge, in units of tolerance² (compactness tie-breaker).
    compactness: float = 1.0
    #: Per-metric tolerance (share of the target); metrics not named use ``tolerance``.
    tolerances: dict[str, float] = field(default_factory=dict)
    #: ``"cut_edges"``: fewest cut adjacency edges once balanced; ``"dispersion"``: then keep
    #: improving the sum of distances from each unit to its territory's centre until the time
    #: limit (``_dispersion``), as in the Commercial Territory Design Problem literature.
    objective: str = "cut_edges"
    #: Centre of a territory for dispersion: ``"median"`` (the member minimising the sum of
    #: distances, as in the CTDP) or ``"weighted:METRIC"`` (each unit's distance weighted by
    #: its value of METRIC: the centre follows the demand, far demand costs more).
    centre: str = "median"
    #: The balance phase stops before its time limit after this many rounds without a 0.01 %
    #: better best score, or when ``stall_phases`` recombination phases in a row improved the
    #: best by less than ``stall_gain`` (a share of it) together. Larger values search longer.
    patience_rounds: int = 60
    stall_phases: int = 3
    stall_gain: float = 5e-3
    cancel: threading.Event | None = None


@dataclass(frozen=True)
class OptimizeInputs:
    """Plain arrays the search needs (built from a Plan, or directly by benchmarks and tests).

    Value of metric ``j`` for unit ``u`` in territory ``t``:
    ``base[u, j] + per_minute[u, j] * travel_minutes(u, anchor_t)``; ``offset`` holds fixed
    contributions (pinned accounts). NaN anchors follow the territory's potential centre.
    """

    graph: sparse.csr_matrix
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    base: NDArray[np.float64]
    per_minute: NDArray[np.float64]
    metrics: tuple[str, ...]
    start: NDArray[np.int32]
    anchor_lon: NDArray[np.float64]
    anchor_lat: NDArray[np.float64]
    target_weights: NDArray[np.float64]
    offset: NDArray[np.float64] | None = None
    frozen: NDArray[np.bool_] | None = None
    locked_territories: NDArray[np.bool_] | None = None
    cost: NDArray[np.float64] | None = None
    #: Weights of the centre that anchors rep-less territories (visits); default base[:, 0].
    centre_weight: NDArray[np.float64] | None = None
    #: Planar coordinates (metres or any planar unit) for the dispersion objective; default:
    #: lon/lat projected equirectangularly around their mean.
    xy: NDArray[np.float64] | None = None
    #: Per-unit weight of its distance to the centre (``OptimizeOptions.centre`` weighted);
    #: default: the base column of that metric when it is one of ``metrics``.
    dispersion_weight: NDArray[np.float64] | None = None

    @property
    def n(self) -> int:
        return len(self.start)
