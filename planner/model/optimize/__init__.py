"""Auto-balance: move boundary units between adjacent territories until the metrics balance.

Works at unit level on the project's unit graph (DESIGN.md "an alignment is a vector"). A
unit's metric values are the sums of the accounts that follow it; workload's travel term is
``visits x minutes-per-visit-from-the-territory's-anchor``, precomputed as a ``units x K`` matrix
(anchors without a rep home base follow the territory's centre and are refreshed each round),
so every candidate move is priced in O(1). Final figures come from the exact Balance engine.

Phases: (1) from scratch only, recursive random-spanning-tree bisection on the combined metric,
regions matched to rep home bases (``linear_sum_assignment``; ``seed``; ``relabel`` weighs
the travel and runs again on stalls); (2) existing plans, flow rounds (``flow``): the excess
of every territory is routed over the territory graph (Laplacian potentials; under a disruption
budget, to the nearest deficits first, since every hop costs) and boundary units, or a cut
vertex with the part it would cut off, move along the flow, so an excess crosses balanced
territories instead of diffusing one neighbour at a time;
(3) polish: every boundary move priced at once with numpy against the objective (``search``)

    ``sum_t sum_j w_j (dev_tj^2 + HINGE * max(0, |dev_tj| - 0.8 tol)^2) + compactness x cut edges``

(the hinge makes out-of-tolerance territories dominate; inside the band compactness wins ties),
best first (``moves``), then one-for-one swaps when single moves stall (``swaps``), then
recombination of pairs of territories along random spanning trees (``recombine``) for big
units that no single move can place, and of triples around territories still out of tolerance
(``triples``); under a budget, low-value moves are undone to fund better ones
(``reallocate``); (4) with ``objective="dispersion"``, an anytime walk that minimises the
distances to territory centres under the same tolerances until the time limit (``disperse``,
``dispersion``, ``allocate``). Every move keeps the donor connected (``contiguity``), respects
locked territories, frozen units and the disruption budget, so every visited state is valid
and cancelling keeps a usable, contiguous result (the best-scoring state is returned).

Layout (one module per neighbourhood; an import-linter contract in pyproject.toml keeps every
module below the ones that use it, so nothing imports back up): ``run`` drives; ``project``
and ``report`` connect it to a project; the neighbourhoods work on the :class:`Search` state
(``search``), which stands on ``contiguity``, ``geometry``, ``results`` and ``inputs``.
"""

from planner.model.optimize.inputs import OptimizeInputs, OptimizeOptions
from planner.model.optimize.results import MoveReason, OptimizeResult, Progress
from planner.model.optimize.run import optimize
from planner.model.optimize.search import Search

__all__ = [
    "MoveReason",
    "OptimizeInputs",
    "OptimizeOptions",
    "OptimizeResult",
    "Progress",
    "Search",
    "optimize",
]
