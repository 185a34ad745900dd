"""CTDP benchmark: auto-balance against the published ALNS solutions (``../shared/ctdp``).

Run: ``python benchmarks/ctdp.py [--time-limit 30] [--seeds 0 1 2] [--via api|cli]
[--family 2DU60 ...] [--limit N] [--shard I/N] [--jsonl FILE]``; ``--summarise FILE ...``
prints the summary of JSON-lines files written by earlier runs (e.g. one shard per core).
Reads the Commercial Territory Design Problem instances and the solutions an adaptive large
neighbourhood search (ALNS) reported for them from
``../shared/ctdp`` (see its README; the data is never committed here) and skips, saying so,
when the folder is missing.

Each distinct instance (duplicated files are run once) is solved from scratch with its own
graph, three activities balanced within their tolerances and the dispersion objective, either
through the Python API or through the ``planner`` command exactly as a user would (new
project, ``import-units`` as points, ``import-adjacency``, ``optimize --compactness
dispersion``, ``export``). Every result is checked independently here: each territory
connected in the instance graph, each activity within ±tolerance of the mean, and the
dispersion recomputed (sum of distances to the territory's median unit). Prints one row per
instance and a summary per family: feasible runs, mean / median / worst ratio of our dispersion
(best of the seeds and per seed) to the published one, and the time used.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.sparse.csgraph import connected_components

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: the benchmarks package beside planner
    sys.path.insert(0, str(ROOT))

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "ctdp"
METRICS = ("w1", "w2", "w3")


@dataclass
class Instance:
    name: str
    family: str
    xy: NDArray[np.float64]
    w: NDArray[np.float64]
    edges: NDArray[np.int64]
    p: int
    tol: NDArray[np.float64]
    published: float

    @property
    def graph(self) -> sparse.csr_matrix:
        n = len(self.xy)
        a, b = self.edges[:, 0], self.edges[:, 1]
        g = sparse.coo_matrix((np.ones(2 * len(a)), (np.r_[a, b], np.r_[b, a])), shape=(n, n))
        g = g.tocsr()
        g.data[:] = 1
        return g


def read_instance(path: Path, published: dict[str, float]) -> Instance:
    tok = path.read_text().split()
    n = int(tok[0])
    rows = np.array(tok[1 : 1 + 7 * n], dtype=np.float64).reshape(n, 7)
    i = 1 + 7 * n
    m = int(tok[i])
    edges = np.array(tok[i + 1 : i + 1 + 2 * m], dtype=np.int64).reshape(m, 2)
    i += 1 + 2 * m
    p = int(tok[i])
    tol = np.array(tok[i + 2 : i + 5], dtype=np.float64)
    name = path.name.replace("-edited.dat", "")
    ids = rows[:, 0].astype(np.int64)
    pos = np.empty(ids.max() + 1, dtype=np.int64)
    pos[ids] = np.arange(n)
    edges = pos[edges]
    edges = edges[edges[:, 0] != edges[:, 1]]
    return Instance(name, name.split("-")[0], rows[:, 1:3], rows[:, 3:6], edges, p, tol,
                    published[name])  # fmt: skip


def read_published(folder: Path) -> dict[str, float]:
    text = (folder / "reported_objectives.txt").read_text()
    return {m[0]: float(m[1]) for m in re.findall(r"(\S+)\s*=\s*\([^,]*,[^,]*,\s*([\d.]+)\)", text)}


def distinct_instances(folder: Path) -> list[Instance]:
    published = read_published(folder)
    seen: set[str] = set()
    out = []
    for path in sorted((folder / "input_edited").glob("*.dat"), key=_natural):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        out.append(read_instance(path, published))
    return out


def _natural(path: Path) -> tuple[int, str, int]:
    fam, _, num = path.name.split("-")[:3]
    order = ["2DU60", "2DU80", "2DU100", "2DU120", "DU150", "DU200"]
    return (order.index(fam) if fam in order else 99, fam, int(num))


def check(inst: Instance, labels: NDArray[np.integer]) -> tuple[bool, float, str]:
    """(feasible, dispersion, why not) computed independently of the product."""
    from planner.model.optimize.dispersion import dispersion_of

    if (labels < 0).any() or len(np.unique(labels)) != inst.p:
        return False, float("nan"), "not every unit assigned to one of p territories"
    g = inst.graph
    for t in range(inst.p):
        m = np.flatnonzero(labels == t)
        if connected_components(g[m][:, m], directed=False)[0] != 1:
            return False, float("nan"), f"territory {t} not connected"
    tot = np.stack([inst.w[labels == t].sum(axis=0) for t in range(inst.p)])
    mean = inst.w.sum(axis=0) / inst.p
    dev = np.abs(tot / mean - 1).max(axis=0)
    disp = dispersion_of(inst.xy, labels)[0]
    if (dev > inst.tol + 1e-12).any():
        return False, disp, f"max deviation {dev.round(4).tolist()}"
    return True, disp, ""


def solve_api(inst: Instance, seed: int, time_limit: float) -> NDArray[np.int32]:
    from planner.model.optimize import OptimizeInputs, OptimizeOptions, optimize
    from planner.model.progress import run_to_end

    n = len(inst.xy)
    inp = OptimizeInputs(
        graph=inst.graph, lon=inst.xy[:, 0], lat=inst.xy[:, 1], base=inst.w,
        per_minute=np.zeros_like(inst.w), metrics=METRICS, start=np.zeros(n, dtype=np.int32),
        anchor_lon=np.full(inst.p, np.nan), anchor_lat=np.full(inst.p, np.nan),
        target_weights=np.ones(inst.p), xy=inst.xy,
    )  # fmt: skip
    opts = OptimizeOptions(
        metrics=dict.fromkeys(METRICS, 1.0), tolerance=float(inst.tol.min()),
        tolerances=dict(zip(METRICS, inst.tol.tolist(), strict=True)), from_scratch=inst.p,
        time_limit=time_limit, seed=seed, objective="dispersion",
    )  # fmt: skip
    return run_to_end(optimize(inp, opts)).unit_alignment


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--via", choices=["api", "cli"], default="cli")
    ap.add_argument("--family", nargs="+", help="only these families (e.g. 2DU60 DU200)")
    ap.add_argument("--limit", type=int, help="only the first N instances of each family")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument(
        "--gerrychain", action="store_true",
        help="also GerryChain recursive_tree_part best-of-draws at equal time",
    )  # fmt: skip
    ap.add_argument(
        "--shard",
        help="I/N: only every N-th instance from the I-th (0-based), "
        "to run N processes side by side, one per core",
    )
    ap.add_argument("--jsonl", type=Path, help="append one JSON line per instance here")
    ap.add_argument(
        "--summarise",
        type=Path,
        nargs="+",
        metavar="JSONL",
        help="only print the summary of these JSON-lines files",
    )
    args = ap.parse_args(argv)
    if args.summarise:
        rows = [json.loads(line) for f in args.summarise for line in f.read_text().splitlines()
                if line.strip()]  # fmt: skip
        rows.sort(key=lambda r: _natural(Path(str(r["name"]))))
        print("| instance | p | ALNS | best ours | ratio | feasible | per feasible seed | s/run | "
              "RTP |")  # fmt: skip
        print("|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            runs = r["runs"]
            print(f"| {r['name']} | {r['p']} | {r['published']:.1f} | {r['best']:.1f} | "
                  f"{r['ratio']:.4f} | {sum(x[0] for x in runs)}/{len(runs)} | "
                  f"{' '.join(f'{x:.4f}' for x in r['seed_ratios'])} | "
                  f"{statistics.mean(x[2] for x in runs):.1f} | "
                  f"{r.get('rtp', float('nan')):.4f} |")  # fmt: skip
        summarise(rows)
        return 0
    if not (args.data / "input_edited").is_dir():
        print(f"no CTDP data at {args.data}: comparison skipped")
        return 0
    insts = distinct_instances(args.data)
    if args.family:
        insts = [i for i in insts if i.family in args.family]
    if args.limit:
        kept: dict[str, int] = {}
        insts = [i for i in insts if kept.setdefault(i.family, 0) < args.limit
                 and not kept.__setitem__(i.family, kept[i.family] + 1)]  # fmt: skip
    if args.shard:
        i, n = (int(v) for v in args.shard.split("/"))
        insts = insts[i::n]
    import planner.model.balance  # noqa: F401 - imported once here, not inside the first run's budget

    solve = solve_api
    if args.via == "cli":
        from benchmarks.ctdp_cli import solve_cli as solve
    rows: list[dict[str, object]] = []
    print("| instance | p | ALNS | best ours | ratio | feasible | seconds/run |")
    print("|---|---|---|---|---|---|---|")
    for inst in insts:
        runs = []
        for seed in args.seeds:
            t0 = time.perf_counter()
            labels = solve(inst, seed, args.time_limit)
            secs = time.perf_counter() - t0
            ok, disp, why = check(inst, np.asarray(labels))
            runs.append((ok, disp, secs, why))
        feas = [r for r in runs if r[0]]
        best = min((r[1] for r in feas), default=float("nan"))
        row: dict[str, object] = {
               "name": inst.name, "family": inst.family, "p": inst.p,
               "published": inst.published, "runs": runs, "best": best,
               "ratio": best / inst.published,
               "seed_ratios": [r[1] / inst.published for r in feas]}  # fmt: skip
        if args.gerrychain:
            from benchmarks.ctdp_gerrychain import best_of_draws

            labels, draws = best_of_draws(inst, args.time_limit, args.seeds[0])
            ok, disp, _ = check(inst, labels)
            row["rtp"] = disp / inst.published if ok else float("nan")
            whys = f"RTP {row['rtp']:.4f} ({draws} draws)"
        rows.append(row)
        if args.jsonl:
            with args.jsonl.open("a") as f:
                f.write(json.dumps(row) + "\n")
        whys = "; ".join([r[3] for r in runs if not r[0]] + ([whys] if args.gerrychain else []))
        print(f"| {inst.name} | {inst.p} | {inst.published:.1f} | {best:.1f} | "
              f"{row['ratio']:.4f} | {len(feas)}/{len(runs)} {whys} | "
              f"{statistics.mean(r[2] for r in runs):.1f} |", flush=True)  # fmt: skip
    summarise(rows)
    return 0


def summarise(rows: list[dict[str, object]]) -> None:
    fams: dict[str, list[dict[str, object]]] = {}
    for r in rows:
        fams.setdefault(str(r["family"]), []).append(r)
    fams["all"] = rows
    print("\n| family | instances | feasible runs | mean ratio (per run) | worst run | mean ratio "
          "(best of seeds) | median | worst | better than ALNS | mean s/run | GerryChain RTP: "
          "feasible, mean ratio |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for fam, rs in fams.items():
        runs = [x for r in rs for x in r["runs"]]  # type: ignore[attr-defined]
        per_run = [x for r in rs for x in r["seed_ratios"]]  # type: ignore[attr-defined]
        best = [float(r["ratio"]) for r in rs]  # type: ignore[arg-type]
        finite = [b for b in best if np.isfinite(b)] or [float("nan")]
        print(f"| {fam} | {len(rs)} | {sum(x[0] for x in runs)}/{len(runs)} | "
              f"{statistics.mean(per_run) if per_run else float('nan'):.4f} | "
              f"{max(per_run) if per_run else float('nan'):.4f} | "
              f"{statistics.mean(finite):.4f} | {statistics.median(finite):.4f} | "
              f"{max(finite):.4f} | {sum(b < 1 - 1e-6 for b in finite)}/{len(rs)} | "
              f"{statistics.mean(x[2] for x in runs):.1f} | {_rtp(rs)} |")  # fmt: skip


def _rtp(rs: list[dict[str, object]]) -> str:
    got = [float(r["rtp"]) for r in rs if "rtp" in r]  # type: ignore[arg-type]
    if not got:
        return "not run"
    ok = [g for g in got if np.isfinite(g)]
    return f"{len(ok)}/{len(got)}, {statistics.mean(ok) if ok else float('nan'):.4f}"


if __name__ == "__main__":
    sys.exit(main())
