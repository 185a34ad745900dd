"""The CTDP benchmark's reference: GerryChain ``recursive_tree_part`` best-of-draws at equal time.

Each draw cuts the instance graph recursively along random spanning trees so that every part
holds ``1/p`` of the first activity within its tolerance (GerryChain balances one column);
draws go on, one seed after another, until the same time limit our search gets, and the best
draw that also meets the other two activities' tolerances is kept (by dispersion). Needs the
``bench`` extra (gerrychain).
"""

from __future__ import annotations

import time
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from benchmarks.ctdp import Instance


def best_of_draws(inst: Instance, time_limit: float, seed: int) -> tuple[NDArray[np.int64], int]:
    """(best feasible labels or all -1, number of draws) within ``time_limit`` seconds."""
    import networkx as nx
    from gerrychain import Graph
    from gerrychain.partition.initial_partition_generators import recursive_tree_part
    from gerrychain.tree import bipartition_tree

    from benchmarks.ctdp import check

    nxg = nx.from_scipy_sparse_array(inst.graph)
    for i, w in enumerate(inst.w[:, 0].tolist()):
        nxg.nodes[i]["w1"] = w
    graph = Graph.from_networkx(nxg)
    target = float(inst.w[:, 0].sum()) / inst.p
    fn = partial(bipartition_tree, max_attempts=500)
    deadline = time.perf_counter() + time_limit
    best: tuple[float, NDArray[np.int64]] = (np.inf, np.full(len(inst.xy), -1, dtype=np.int64))
    draws = 0
    while time.perf_counter() < deadline:
        rng = seed * 1_000_003 + draws
        draws += 1
        try:
            parts: dict[Any, int] = recursive_tree_part(
                graph, range(inst.p), target, "w1", float(inst.tol[0]) * 0.99,
                bipartition_tree_fn=fn, rng=rng,
            )  # fmt: skip
        except Exception:
            continue
        labels = np.array([parts[i] for i in range(len(inst.xy))], dtype=np.int64)
        ok, disp, _ = check(inst, labels)
        if ok and disp < best[0]:
            best = (disp, labels)
    return best[1], draws
