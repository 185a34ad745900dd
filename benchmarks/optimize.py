"""Auto-balance benchmark: this optimiser vs GerryChain and PySAL spopt on lower-48 counties.

Run: ``python benchmarks/optimize.py [--k 10 20 50] [--recom-steps 1000]`` (needs the ``bench``
extra: gerrychain, spopt). Prints one markdown table per K.

Data: the 3,108 county polygons of ``resources/data`` (Census 2016, simplified coverage) and
county population from the GeoNames places inside each county (``planner.model.demo``), with
New York City's city-wide entry dropped (its five boroughs are listed on their own). Per county:

* ``potential = population`` (account potential proportional to residents);
* ``accounts = population / 1000``, each visited 6 times a year for 45 minutes;
* ``workload_hours = visits x (45 + tour) / 60`` where ``tour`` is the drive per visit of a
  day tour through the county's accounts: ``1.3 x 0.7 x sqrt(area_km2 / accounts)`` km at
  60 km/h (Beardwood-Halton-Hammersley tour length, road factor 1.3). Rural counties therefore
  cost more hours per dollar of potential, so the two metrics really differ.

The initial plan for each K is the demo's "legacy" plan: territories grown from K home bases
(big places spread out), each claiming neighbours by appetite, 10-40 % off balance.
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any

import numpy as np
import shapely

from planner.model import demo
from planner.model.geo import adjacency
from planner.model.measures import measures
from planner.model.optimize import OptimizeInputs, OptimizeOptions, optimize
from planner.model.progress import run_to_end

TOLERANCE = 0.02


def load() -> dict[str, Any]:
    c = demo.load_counties(None)
    places = demo.load_places(c)
    nyc = (places["name"] == "New York City").to_numpy()
    c["population"] = c["population"] - np.bincount(
        places["ci"][nyc], weights=places["population"][nyc], minlength=len(c["code"])
    )
    places = places[~nyc].reset_index(drop=True)
    g = c["geometry"]
    rp = shapely.point_on_surface(g)
    c["rep_lon"], c["rep_lat"] = shapely.get_x(rp), shapely.get_y(rp)
    pop = np.maximum(c["population"], 1000.0)
    accounts = pop / 1000
    visits = accounts * 6
    tour = 1.3 * 0.7 * np.sqrt(np.maximum(c["area_km2"], 1.0) / accounts)  # km = minutes
    return {
        "counties": c,
        "places": places,
        "graph": adjacency(g)[0],
        "potential": pop,
        "workload_hours": visits * (45 + tour) / 60,
        "accounts": accounts,
    }


def initial_plan(d: dict[str, Any], k: int) -> np.ndarray:
    homes = demo.choose_homes(d["places"], d["counties"], k)
    return demo.grow_alignment(
        np.random.default_rng(0), d["graph"], d["counties"], homes["county"].to_numpy(),
        d["potential"],
    )  # fmt: skip


def evaluate(d: dict[str, Any], labels: np.ndarray, init: np.ndarray) -> dict[str, Any]:
    m = measures(
        labels,
        {"potential": d["potential"], "workload_hours": d["workload_hours"]},
        graph=d["graph"],
        polygons=d["counties"]["geometry"],
        reference=init,
        disruption_weights={"accounts": d["accounts"]},
    )
    k = int(labels.max()) + 1
    devs = [
        np.abs(np.bincount(labels, weights=d[n], minlength=k) / (d[n].sum() / k) - 1)
        for n in ("potential", "workload_hours")
    ]
    # Territories that are one county above the share cannot be balanced; the others share
    # what is left (their balanceable share): their spread is what an optimiser controls.
    size = np.bincount(labels, minlength=k)
    solo = (size == 1) & (devs[0] > 0)
    rest = []
    for n in ("potential", "workload_hours"):
        tot = np.bincount(labels, weights=d[n], minlength=k)[~solo]
        rest.append(np.abs(tot / tot.mean() - 1))
    m["max_dev_others"] = float(max(r.max() for r in rest))
    m["within_tolerance"] = int(((rest[0] <= TOLERANCE) & (rest[1] <= TOLERANCE)).sum())
    m["solo"] = int(solo.sum())
    # Coefficient of variation of the territory totals (RMS deviation), both metrics pooled.
    m["cv"] = float(np.sqrt(np.mean(np.square(devs))))
    return m


def ours(d: dict[str, Any], k: int, init: np.ndarray, **kw: Any) -> np.ndarray:
    n = len(init)
    inp = OptimizeInputs(
        graph=d["graph"], lon=d["counties"]["rep_lon"], lat=d["counties"]["rep_lat"],
        base=np.column_stack([d["potential"], d["workload_hours"]]), per_minute=np.zeros((n, 2)),
        metrics=("potential", "workload_hours"), start=init.astype(np.int32),
        anchor_lon=np.full(k, np.nan), anchor_lat=np.full(k, np.nan), target_weights=np.ones(k),
        cost=d["accounts"] / d["accounts"].sum(),
    )  # fmt: skip
    kw.setdefault("tolerance", TOLERANCE)
    return run_to_end(optimize(inp, OptimizeOptions(**kw))).unit_alignment


def _gc_graph(d: dict[str, Any]) -> Any:
    import networkx as nx
    from gerrychain import Graph

    nxg = nx.from_scipy_sparse_array(d["graph"])
    for i, p in enumerate(d["potential"].tolist()):
        nxg.nodes[i]["potential"] = p
    return Graph.from_networkx(nxg)


def gerrychain_rtp(d: dict[str, Any], k: int, eps: float) -> tuple[np.ndarray, float]:
    """recursive_tree_part on potential; widens epsilon when a county exceeds the share."""
    from functools import partial

    from gerrychain.partition.initial_partition_generators import recursive_tree_part
    from gerrychain.tree import bipartition_tree

    graph = _gc_graph(d)
    target = d["potential"].sum() / k
    while True:
        try:
            fn = partial(bipartition_tree, max_attempts=2000)
            parts = recursive_tree_part(
                graph, range(k), target, "potential", eps, bipartition_tree_fn=fn, rng=0
            )
            return np.array([parts[i] for i in range(len(d["potential"]))]), eps
        except Exception:  # no eps-balanced split exists (a county above the share)
            eps = round(eps * 2, 3)


def gerrychain_recom(
    d: dict[str, Any], k: int, init: np.ndarray, steps: int, eps: float, seed: int = 0
) -> Any:
    """ReCom steps from the initial plan. GerryChain's ``recom`` splits a merged pair at a
    fixed target and stalls when the start is unbalanced, so each step here splits the pair
    into two halves of its own total (within ``eps``) with GerryChain's ``bipartition_tree``:
    the balancing form of ReCom."""
    from gerrychain import MarkovChain, Partition
    from gerrychain.tree import bipartition_tree

    graph = _gc_graph(d)
    part = Partition(graph, {i: int(t) for i, t in enumerate(init.tolist())})
    rng = random.Random(seed)
    pot = d["potential"]

    def step(p: Any, *, rng: Any = rng) -> Any:
        edges = sorted(p["cut_edges"])
        a, b = rng.choice(edges)
        ta, tb = p.assignment[a], p.assignment[b]
        nodes = set(p.parts[ta]) | set(p.parts[tb])
        half = float(pot[list(nodes)].sum()) / 2
        try:
            side = bipartition_tree(
                p.graph.subgraph(nodes), "potential", half, eps, max_attempts=50, rng=rng
            )
        except Exception:  # no balanced cut of this pair: stay
            return p.flip({})
        return p.flip({n: (ta if n in side else tb) for n in nodes})

    chain = MarkovChain(step, [], initial_partition=part, total_steps=steps, rng=seed)
    state = part
    for state in chain:  # noqa: B007
        pass
    return np.array([state.assignment[i] for i in range(len(init))])


def spopt_ward(d: dict[str, Any], k: int) -> np.ndarray:
    """Ward clustering of county centres under contiguity: compact, balance-blind."""
    import geopandas as gpd
    from libpysal.weights import W
    from spopt.region import WardSpatial

    g = d["graph"]
    neigh = {i: g.indices[g.indptr[i] : g.indptr[i + 1]].tolist() for i in range(g.shape[0])}
    gdf = gpd.GeoDataFrame(
        {"x": d["counties"]["rep_lon"], "y": d["counties"]["rep_lat"]},
        geometry=list(d["counties"]["geometry"]), crs="EPSG:4269",
    )  # fmt: skip
    model = WardSpatial(gdf, W(neigh, silence_warnings=True), ["x", "y"], n_clusters=k)
    model.solve()
    return np.asarray(model.labels_, dtype=np.int64)


def row(name: str, seconds: float, m: dict[str, Any], k: int, note: str = "") -> str:
    dev = m["max_abs_deviation"]
    return (
        f"| {name} | {seconds:.1f} | {dev['potential']:.1%} | {dev['workload_hours']:.1%} | "
        f"{_mean(m):.1%} | {m['cv']:.1%} | "
        f"{m['max_dev_others']:.1%} ({m['solo']}) | "
        f"{m['within_tolerance']}/{k - m['solo']} | {m['noncontiguous_territories']} | "
        f"{m['mean_polsby_popper']:.3f} | {m['cut_edges']} | {m['disruption']['accounts']:.1%} |"
        f" {note} |"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--k", type=int, nargs="+", default=[10, 20, 50])
    ap.add_argument("--recom-steps", type=int, default=1000)
    ap.add_argument("--budget", type=float, default=0.15)
    args = ap.parse_args()
    d = load()
    print(f"{len(d['potential'])} counties, adjacency {d['graph'].nnz // 2} edges")
    for k in args.k:
        init = initial_plan(d, k)
        share = np.maximum(d["potential"] / (d["potential"].sum() / k), 0)
        over = np.sort(share)[::-1][:3]
        print(f"\n### K = {k}  (largest counties: {', '.join(f'{s:.2f}' for s in over)} x share)\n")
        print(reachable(d, k))
        print(
            "| method | s | max dev potential | max dev workload | mean abs dev | CV "
            "| max dev others (solo) "
            "| within 2% of balanceable share (both) "
            "| non-contiguous | mean Polsby-Popper | cut edges | disruption (accounts) | note |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        print(row("initial plan (legacy)", 0.0, evaluate(d, init, init), k))
        t = time.perf_counter()
        # GerryChain needs every part within eps: with a county above the share, start at the
        # smallest eps that admits it (else it retries for minutes before widening).
        eps0 = 0.05 if over[0] < 0.95 else round(float(over[0]) - 1 + 0.05, 2)
        rtp, eps = gerrychain_rtp(d, k, eps0)
        t_rtp = time.perf_counter() - t
        m_rtp = evaluate(d, rtp, init)
        # The search is anytime: it stops at its time limit (checked between steps, so up to
        # a few tenths of a second late) or when it converges; 1.5x RTP keeps it inside 2x.
        budget = max(1.5, 1.5 * t_rtp)
        t = time.perf_counter()
        scratch = ours(d, k, init, from_scratch=k, time_limit=budget, seed=0)
        t_ours = time.perf_counter() - t
        m_ours = evaluate(d, scratch, init)
        print(row("**this optimiser, from scratch**", t_ours, m_ours, k, "both metrics"))
        print(row("GerryChain recursive_tree_part", t_rtp, m_rtp, k, f"potential only, eps {eps}"))
        # The balance / compactness trade-off: the same run with a wider tolerance (inside the
        # band the cut-edge term decides). Compactness is compared at no worse balance.
        looser = []
        for tol in LOOSER:
            t = time.perf_counter()
            lab = ours(d, k, init, from_scratch=k, time_limit=budget, seed=0, tolerance=tol)
            sec = time.perf_counter() - t
            m = evaluate(d, lab, init)
            looser.append((tol, sec, m))
            print(row(f"this optimiser, from scratch, tolerance {tol:.0%}", sec, m, k, "both"))
        # Both searches are randomised: the budget comparison is over SEEDS runs of each
        # (the table shows seed 0).
        recom, kept = [], []
        for seed in SEEDS:
            t = time.perf_counter()
            lab = gerrychain_recom(d, k, init, args.recom_steps, 0.05, seed=seed)
            recom.append((time.perf_counter() - t, evaluate(d, lab, init)))
            t = time.perf_counter()
            lab = ours(d, k, init, max_disruption=args.budget, time_limit=20.0, seed=seed)
            kept.append((time.perf_counter() - t, evaluate(d, lab, init)))
        (t_kept, m_kept), (t_recom, m_recom) = kept[0], recom[0]
        print(row(f"**this optimiser, existing, {args.budget:.0%} budget**", t_kept, m_kept, k))
        print(row(f"GerryChain ReCom x{args.recom_steps}", t_recom, m_recom, k, "from initial"))
        t = time.perf_counter()
        ward = spopt_ward(d, k)
        print(row("spopt WardSpatial (x, y)", time.perf_counter() - t, evaluate(d, ward, init), k))
        pp_rtp = m_rtp["mean_polsby_popper"]
        # Our tightest run that is at least as compact as RTP and no less balanced than it.
        match = next(
            (
                (tol, m)
                for tol, m in [(TOLERANCE, m_ours)] + [(t, m) for t, _, m in looser]
                if m["mean_polsby_popper"] >= pp_rtp and _no_worse(m, m_rtp)
            ),
            None,
        )
        pp_note = (
            f"tolerance {match[0]:.0%}: PP {match[1]['mean_polsby_popper']:.3f}, max dev others "
            f"{match[1]['max_dev_others']:.1%} vs RTP {m_rtp['max_dev_others']:.1%}"
            if match
            else "no run of ours"
        )
        print(
            f"\nTargets K={k}: contiguous {m_ours['noncontiguous_territories'] == 0}; "
            f"PP ours {m_ours['mean_polsby_popper']:.3f} >= RTP {pp_rtp:.3f}: "
            f"{m_ours['mean_polsby_popper'] >= pp_rtp}; at no worse balance than RTP: {pp_note}; "
            f"time {t_ours:.1f}s <= 2 x {t_rtp:.1f}s: {t_ours <= 2 * t_rtp}"
        )
        ms_kept, ms_recom = [m for _, m in kept], [m for _, m in recom]
        moved = np.mean([m["disruption"]["accounts"] for m in ms_recom])
        print(
            f"Budget run vs ReCom, mean of seeds {', '.join(map(str, SEEDS))} (lower is better, "
            f"{args.budget:.0%} budget vs {moved:.0%} moved): "
            + "; ".join(
                f"{name} {_avg(ms_kept, fn):{fmt}} vs {_avg(ms_recom, fn):{fmt}}"
                for name, fn, fmt in BUDGET_MEASURES
            )
        )
        pairs = zip(ms_kept, ms_recom, strict=True)
        per_seed = ", ".join(f"{_mean(a):.2%} / {_mean(b):.2%}" for a, b in pairs)
        print(f"  per seed, ours / ReCom mean |dev|: {per_seed}")


#: Seeds of the budget-vs-ReCom comparison.
SEEDS = (0, 1, 2)


def _avg(ms: list[dict[str, Any]], fn: Any) -> float:
    return float(np.mean([fn(m) for m in ms]))


def reachable(d: dict[str, Any], k: int) -> str:
    """What no plan of counties can beat: a county above its share makes a territory of its
    own (its excess is the floor of max |dev|), and the other territories share the rest, so
    balanced among themselves they sit below the overall mean."""
    parts = []
    for n in ("potential", "workload_hours"):
        v = np.asarray(d[n], dtype=np.float64)
        mean = v.sum() / k
        order = np.argsort(-v)
        solo = 0
        while solo < k - 1 and v[order[solo]] > (v.sum() - v[order[:solo]].sum()) / (k - solo):
            solo += 1
        rest = (v.sum() - v[order[:solo]].sum()) / (k - solo) / mean - 1
        if solo == 0:
            parts.append(f"{n}: every county below a share")
            continue
        alone = "1 county" if solo == 1 else f"{solo} counties"
        parts.append(
            f"{n}: max |dev| >= {v.max() / mean - 1:.1%} ({alone} above a share, alone), the "
            f"other territories' mean at {rest:+.1%} of the overall mean"
        )
    return "Reachable with counties: " + "; ".join(parts) + "\n"


#: Wider tolerances run from scratch to show the balance / compactness trade-off.
LOOSER = (0.05, 0.2)


def _mean(m: dict[str, Any]) -> float:
    return float(np.mean(list(m["mean_abs_deviation"].values())))


def _gini(m: dict[str, Any]) -> float:
    return float(np.mean(list(m["gini"].values())))


#: Balance measures of the budget comparison: name, value of a run, format.
BUDGET_MEASURES = (
    ("mean |dev|", _mean, ".2%"),
    ("CV", lambda m: m["cv"], ".1%"),
    ("Gini", _gini, ".3f"),
    ("worst balanceable territory", lambda m: m["max_dev_others"], ".1%"),
)


def _no_worse(m: dict[str, Any], ref: dict[str, Any]) -> bool:
    """Balance at least as good as ``ref``'s: worst balanceable territory and mean |dev|."""
    return m["max_dev_others"] <= ref["max_dev_others"] and _mean(m) <= _mean(ref)


if __name__ == "__main__":
    main()
