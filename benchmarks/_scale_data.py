"""The scale projects of issue 14, built into build/ and reused (delete a file to rebuild it).

- ``build/scale-base.tplan``: ~41,000 ZIP-like units, Voronoi cells of points spread over the
  lower-48 counties by population and clipped to the lower-48 outline, with 50 contiguous
  territories grown from reps' home bases (the demo's organisation and alignment code, run on
  these units instead of counties), and no accounts.
- ``build/scale-accounts-N.csv``: N accounts placed by population (the demo's places, jittered
  and kept inside their unit), as a Salesforce export; written a batch at a time, so even 10
  million rows never sit in memory.
- ``build/scale-N.tplan``: the base with the CSV imported through ``planner import-accounts``,
  in a child process whose time and peak memory are kept beside it (``.import.json``): the
  import figures of the README.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from planner.model._demo_geo import (
    choose_homes,
    grow_alignment,
    load_counties,
    load_places,
    org_rows,
    place_accounts,
)
from planner.model.demo import _insert
from planner.model.geo import adjacency, area_km2, place_points
from planner.model.store import Project
from planner.model.territories import add_to_scenarios

BUILD = Path(__file__).resolve().parents[1] / "build"
UNITS = 41_000
REPS = 50
_BATCH = 500_000


def zip_units(n: int = UNITS, seed: int = 0) -> dict[str, Any]:
    """Units like ZIP areas (a demo "counties" dict: code, name, state, geometry, area_km2,
    population, rep_lon, rep_lat) and the places they hold (for accounts and home bases)."""
    rng = np.random.default_rng(seed)
    counties = load_counties(None)
    places = load_places(counties)
    geoms, pop = counties["geometry"], counties["population"].astype(float)
    share = (n - len(pop)) * pop / pop.sum()
    k = 1 + np.floor(share).astype(np.int64)  # seeds per county, largest remainders round up
    k[np.argsort(np.floor(share) - share)[: n - int(k.sum())]] += 1
    owner = np.repeat(np.arange(len(pop)), k)
    box = shapely.bounds(geoms)[owner]
    x, y = np.empty(len(owner)), np.empty(len(owner))
    todo = np.arange(len(owner))
    shapely.prepare(geoms)
    while len(todo):  # uniform in each county: draw in its box until inside
        x[todo] = rng.uniform(box[todo, 0], box[todo, 2])
        y[todo] = rng.uniform(box[todo, 1], box[todo, 3])
        todo = todo[~shapely.contains_xy(geoms[owner[todo]], x[todo], y[todo])]
    outline = shapely.coverage_union_all(geoms)
    cells = np.asarray(
        shapely.get_parts(
            shapely.voronoi_polygons(shapely.multipoints(np.column_stack([x, y])), ordered=True)
        ),
        dtype=object,
    )
    shapely.prepare(outline)
    inside = shapely.contains_properly(outline, cells)
    edge = np.flatnonzero(~inside)
    b = shapely.bounds(cells[edge])
    local = [shapely.clip_by_rect(outline, *box) for box in b.tolist()]  # small pieces
    cells[edge] = shapely.make_valid(shapely.intersection(cells[edge], local))
    cells[edge] = [_polygonal(g) for g in cells[edge]]
    keep = ~shapely.is_empty(cells)
    cells, owner = cells[keep], owner[keep]
    rep = shapely.point_on_surface(cells)
    m = len(cells)
    units = {
        "code": np.array([f"{i:05d}" for i in range(1, m + 1)]),
        "name": np.array([f"ZIP {i:05d}" for i in range(1, m + 1)], dtype=object),
        "state": counties["state"][owner],
        "geometry": cells,
        "area_km2": area_km2(cells),
        "rep_lon": shapely.get_x(rep),
        "rep_lat": shapely.get_y(rep),
    }
    unit_of_place = place_points(
        places["lon"].to_numpy(dtype=float), places["lat"].to_numpy(dtype=float), cells
    )
    places = places[unit_of_place >= 0].reset_index(drop=True)
    places["ci"] = unit_of_place[unit_of_place >= 0]
    units["population"] = np.bincount(places["ci"], weights=places["population"], minlength=m)
    return {"units": units, "places": places}


def _polygonal(geom: Any) -> Any:
    """The polygons of a clipped cell (clipping can leave lines or points on the border)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def base_project(seed: int = 0) -> Path:
    """The units, reps and territories, no accounts (built once)."""
    path = BUILD / "scale-base.tplan"
    if path.exists():
        return path
    BUILD.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    geo = zip_units(seed=seed)
    units, places = geo["units"], geo["places"]
    graph, _links = adjacency(units["geometry"])
    homes = choose_homes(places, units, REPS)
    weight = np.maximum(units["population"], 1.0)
    terr = grow_alignment(rng, graph, units, homes["county"].to_numpy(), weight)
    Project.create(
        path,
        name="Scale — 41k ZIP-like units",
        fill=lambda p: _write_base(p, rng, units, homes, terr, graph),
    ).close()
    print(f"(built {path.name}: {len(terr):,} units in {time.perf_counter() - t0:.0f} s)")
    return path


def _write_base(
    project: Project,
    rng: np.random.Generator,
    units: dict[str, Any],
    homes: pd.DataFrame,
    terr: np.ndarray,
    graph: Any,
) -> None:
    """Reps, territories, units and the baseline alignment (the demo's rows, no accounts)."""
    reps, terrs, _names = org_rows(rng, homes, terr, graph)
    rows = zip(
        range(1, len(terr) + 1), units["code"].tolist(), units["name"].tolist(),
        shapely.to_wkb(units["geometry"]).tolist(), units["rep_lon"].tolist(),
        units["rep_lat"].tolist(), np.round(units["area_km2"], 3).tolist(),
        units["population"].tolist(), [json.dumps({"state": s}) for s in units["state"]],
        strict=True,
    )  # fmt: skip
    base = project.baseline_id()
    with project.transaction() as s:
        conn = s.connection()
        _insert(conn, "rep", "id name email home_lon home_lat home_label capacity_hours skills "
                "industries manager_id", reps)  # fmt: skip
        _insert(conn, "territory", "id name colour level rep_id parent_id target_weight locked",
                terrs)  # fmt: skip
        add_to_scenarios(s, [t[0] for t in terrs if t[3] == "territory"])
        _insert(conn, "unit", "id code name geometry rep_lon rep_lat area_km2 population "
                "attributes", rows)  # fmt: skip
        _insert(conn, "assignment", "scenario_id atom_kind atom_id territory_id",
                ((base, "unit", c + 1, t + 1) for c, t in enumerate(terr.tolist())))  # fmt: skip


HEADER = ["Account ID", "Account Name", "BillingStreet", "BillingCity", "BillingState",
          "BillingPostalCode", "BillingCountry", "BillingLatitude", "BillingLongitude",
          "Annual Revenue", "Potential", "Industry", "Type", "Customer Segment",
          "Visits per Year", "Account Owner"]  # fmt: skip


def accounts_csv(n: int, seed: int = 1) -> Path:
    """N accounts placed by population as a Salesforce-like CSV (built once)."""
    path = BUILD / f"scale-accounts-{n}.csv"
    if path.exists():
        return path
    t0 = time.perf_counter()
    geo = zip_units()
    units, places = geo["units"], geo["places"]
    rng = np.random.default_rng(seed)
    tmp = path.with_suffix(".part")
    with tmp.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(HEADER) + "\n")
        for start in range(0, n, _BATCH):
            m = min(_BATCH, n - start)
            acc = place_accounts(rng, m, places, units)
            frame = pd.DataFrame({
                "Account ID": [f"S{k:08d}" for k in range(start + 1, start + m + 1)],
                "Account Name": acc["name"], "BillingStreet": acc["address"],
                "BillingCity": acc["city"], "BillingState": units["state"][acc["county"]],
                "BillingPostalCode": units["code"][acc["county"]], "BillingCountry": "US",
                "BillingLatitude": acc["lat"], "BillingLongitude": acc["lon"],
                "Annual Revenue": np.round(acc["revenue"], 2),
                "Potential": np.round(acc["potential"], 2), "Industry": acc["industry"],
                "Type": acc["status"], "Customer Segment": acc["segment"],
                "Visits per Year": acc["visits"], "Account Owner": "",
            })  # fmt: skip
            frame.to_csv(out, header=False, index=False, lineterminator="\n")
    tmp.replace(path)
    print(f"(wrote {path.name}: {path.stat().st_size / 1e9:.2f} GB in "
          f"{time.perf_counter() - t0:.0f} s)")  # fmt: skip
    return path


def scale_project(n: int) -> Path:
    """The base with N accounts imported by ``planner import-accounts`` (built once)."""
    path = BUILD / f"scale-{n}.tplan"
    if path.exists():
        return path
    csv = accounts_csv(n)
    tmp = path.with_name(f"building-{path.name}")
    shutil.copy(base_project(), tmp)
    figures = timed_import(tmp, csv)
    tmp.replace(path)
    path.with_suffix(".import.json").write_text(json.dumps(figures))
    return path


def timed_import(project: Path, csv: Path) -> dict[str, float]:
    """``planner import-accounts`` in a child process: wall time and peak RSS (its own)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "planner", "import-accounts", str(project), str(csv)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = usage.ru_maxrss
    if peak <= before:
        print("(peak RSS of the import not measured: an earlier child was larger)")
    return {
        "seconds": seconds,
        "cpu_seconds": usage.ru_utime + usage.ru_stime - cpu,
        "peak_rss_gb": peak / 1024**2,
        "csv_gb": csv.stat().st_size / 1e9,
    }
