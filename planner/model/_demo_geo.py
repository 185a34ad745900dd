"""The demo's geography: counties, places, accounts placed by population, reps' home bases,
the starting alignment and the sales organisation (see :mod:`planner.model.demo`).

Split from demo.py (which builds and writes the project) so each file stays small; every
random draw still comes from the one generator passed in, in the same order.
"""

from __future__ import annotations

import gzip
import heapq
import json
import re
from typing import Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy import sparse

from planner.model._demo_names import (
    FIRST_NAMES,
    INDUSTRIES,
    SKILLS,
    SURNAMES,
    account_attributes,
)
from planner.model.colours import PALETTE, distinct_colours, territory_adjacency
from planner.model.geo import area_km2
from planner.model.resources import resources_dir

DATA_DIR = resources_dir() / "data"


# -- data ----------------------------------------------------------------------------------
def load_counties(states: tuple[str, ...] | None) -> dict[str, NDArray[Any]]:
    """County codes, names, states, areas and polygons of the given states (all if None).

    The file has one feature per line (see scripts/build_demo_data.py): only the wanted lines
    are parsed, and their geometry goes to GEOS directly, which is several times faster than
    decoding the whole collection with ``json``.
    """
    text = gzip.decompress((DATA_DIR / "us_counties.geojson.gz").read_bytes()).decode("utf-8")
    props, lines = [], []
    for line in text.splitlines()[1:-1]:
        found = _PROPS.search(line)
        assert found is not None, "resources/data/us_counties.geojson.gz: unexpected layout"
        p = json.loads(found.group(1))
        if states is None or p["state"] in states:
            props.append(p)
            lines.append(line.rstrip(","))
    geoms = np.asarray(shapely.from_geojson(lines), dtype=object)
    return {
        "code": np.array([p["code"] for p in props]),
        "name": np.array([f"{p['name']}, {p['state']}" for p in props], dtype=object),
        "state": np.array([p["state"] for p in props]),
        "geometry": geoms,
        "area_km2": area_km2(geoms),
    }


_PROPS = re.compile(r'"properties":(\{[^{}]*\})')


def load_places(counties: dict[str, NDArray[Any]]) -> pd.DataFrame:
    """Places inside the counties, with the index of their county; sums county population."""
    df = pd.read_csv(DATA_DIR / "us_places.csv.gz", dtype={"county": str}, keep_default_na=False)
    index = {code: i for i, code in enumerate(counties["code"])}
    df["ci"] = df["county"].map(index)
    df = df[df["ci"].notna()].reset_index(drop=True)
    df["ci"] = df["ci"].astype(np.int64)
    counties["population"] = np.bincount(
        df["ci"], weights=df["population"], minlength=len(counties["code"])
    )
    return df


# -- accounts ------------------------------------------------------------------------------
def place_accounts(
    rng: np.random.Generator, n: int, places: pd.DataFrame, counties: dict[str, NDArray[Any]]
) -> dict[str, NDArray[Any]]:
    """Pick places by population, jitter a few km, keep each point inside its county."""
    pop = places["population"].to_numpy(dtype=float)
    pick = rng.choice(len(pop), size=n, p=pop / pop.sum())
    county = places["ci"].to_numpy()[pick]
    plon = places["lon"].to_numpy()[pick]
    plat = places["lat"].to_numpy()[pick]
    sigma_km = 1.0 + 2.0 * np.sqrt(pop[pick] / 1e5)
    geoms = counties["geometry"]
    lon, lat = plon.copy(), plat.copy()
    todo = np.arange(n)
    for _ in range(8):
        dx = rng.normal(size=len(todo)) * sigma_km[todo]
        dy = rng.normal(size=len(todo)) * sigma_km[todo]
        lon[todo] = np.round(plon[todo] + dx / (111.32 * np.cos(np.radians(plat[todo]))), 6)
        lat[todo] = np.round(plat[todo] + dy / 110.57, 6)
        inside = shapely.contains_xy(geoms[county[todo]], lon[todo], lat[todo])
        todo = todo[~inside]
        if len(todo) == 0:
            break
    if len(todo):  # the place itself if inside its county, else the county's inner point
        lon[todo], lat[todo] = plon[todo], plat[todo]
        out = todo[~shapely.contains_xy(geoms[county[todo]], lon[todo], lat[todo])]
        lon[out], lat[out] = counties["rep_lon"][county[out]], counties["rep_lat"][county[out]]
    acc = {
        "lon": lon,
        "lat": lat,
        "county": county,
        "city": places["name"].to_numpy(dtype=object)[pick],
    }
    acc.update(account_attributes(rng, acc["city"]))
    return acc


# -- reps and alignment --------------------------------------------------------------------
def _km_xy(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.float64]:
    """Rough planar km coordinates (equirectangular at 36°N): enough to rank distances."""
    return np.column_stack([lon * 111.32 * np.cos(np.radians(36.0)), lat * 110.57])


def choose_homes(places: pd.DataFrame, counties: dict[str, NDArray[Any]], n: int) -> pd.DataFrame:
    """Home bases at big places spread out: farthest-point sampling weighted by population.

    Each pick maximises (distance to the nearest chosen base) x sqrt(population) among the
    biggest places, one base per county, so metros get a rep and so do remote areas.
    """
    cand = places.sort_values(["population", "geonameid"], ascending=[False, True])
    cand = cand.drop_duplicates("ci").head(max(8 * n, 200)).reset_index(drop=True)
    xy = _km_xy(cand["lon"].to_numpy(), cand["lat"].to_numpy())
    weight = np.sqrt(cand["population"].to_numpy(dtype=float))
    chosen = [0]
    mind = np.linalg.norm(xy - xy[0], axis=1)
    for _ in range(1, n):
        j = int(np.argmax(mind * weight))
        chosen.append(j)
        mind = np.minimum(mind, np.linalg.norm(xy - xy[j], axis=1))
    homes = cand.iloc[chosen].reset_index(drop=True)
    order = np.argsort(_hilbert_keys(homes["lon"].to_numpy(), homes["lat"].to_numpy()))
    homes = homes.iloc[order].reset_index(drop=True)
    homes["county"] = homes["ci"]
    return homes


def _hilbert_keys(
    lon: NDArray[np.float64], lat: NDArray[np.float64], order: int = 10
) -> NDArray[np.int_]:
    """Position along a Hilbert curve: neighbours in the order are neighbours on the map."""
    side = 1 << order
    span = max(np.ptp(lon), np.ptp(lat), 1e-9)
    xs = ((lon - lon.min()) / span * (side - 1)).astype(int)
    ys = ((lat - lat.min()) / span * (side - 1)).astype(int)
    keys = []
    for x, y in zip(xs.tolist(), ys.tolist(), strict=True):
        d, s = 0, side >> 1
        while s:
            rx, ry = int(x & s > 0), int(y & s > 0)
            d += s * s * ((3 * rx) ^ ry)
            if ry == 0:
                if rx == 1:
                    x, y = side - 1 - x, side - 1 - y
                x, y = y, x
            s >>= 1
        keys.append(d)
    return np.array(keys)


def grow_alignment(
    rng: np.random.Generator,
    graph: sparse.csr_matrix,
    counties: dict[str, NDArray[Any]],
    home_county: NDArray[np.int64],
    potential: NDArray[np.float64],
) -> NDArray[np.int64]:
    """Territory index of every county, grown contiguously from the home counties.

    The territory with the least ``load / appetite`` claims its nearest unclaimed neighbour;
    then boundary counties move from relatively overloaded to lighter neighbours while that
    keeps both contiguous. Appetites are lognormal (sigma 0.25), so the result keeps the
    legacy imbalance a planner is there to fix.
    """
    indptr, indices = graph.indptr, graph.indices
    xy = _km_xy(counties["rep_lon"], counties["rep_lat"])
    n_terr = len(home_county)
    appetite = np.exp(rng.normal(0.0, 0.25, n_terr))
    terr = np.full(len(xy), -1, dtype=np.int64)
    load = np.zeros(n_terr)
    # Empty counties still cost a little, so territories do not sprawl over empty land.
    cost = potential + 0.02 * potential.mean()
    frontier: list[list[tuple[float, int]]] = [[] for _ in range(n_terr)]
    queue: list[tuple[float, int]] = []

    def claim(t: int, c: int) -> None:
        terr[c] = t
        load[t] += cost[c]
        for nb in indices[indptr[c] : indptr[c + 1]]:
            if terr[nb] < 0:
                d = float(np.hypot(*(xy[nb] - xy[home_county[t]])))
                heapq.heappush(frontier[t], (d, int(nb)))
        heapq.heappush(queue, (load[t] / appetite[t], t))

    for t, c in enumerate(home_county):
        claim(t, int(c))
    while queue:
        _, t = heapq.heappop(queue)
        while frontier[t] and terr[frontier[t][0][1]] >= 0:
            heapq.heappop(frontier[t])
        if frontier[t]:
            claim(t, heapq.heappop(frontier[t])[1])
    _swap_boundaries(graph, terr, cost / appetite.mean(), appetite, set(home_county.tolist()))
    return terr


def _swap_boundaries(
    graph: sparse.csr_matrix,
    terr: NDArray[np.int64],
    cost: NDArray[np.float64],
    appetite: NDArray[np.float64],
    fixed: set[int],
) -> None:
    """Move boundary counties to lighter neighbours while that lowers the pair's worse ratio."""
    indptr, indices = graph.indptr, graph.indices
    coo = graph.tocoo()
    load = np.bincount(terr, weights=cost, minlength=len(appetite))
    size = np.bincount(terr, minlength=len(appetite))

    def still_connected(c: int, t: int) -> bool:  # is territory t connected without county c?
        near = {n for n in indices[indptr[c] : indptr[c + 1]].tolist() if terr[n] == t}
        start = next(iter(near))
        seen, todo = {start}, [start]
        while todo:  # cheap sufficient test first: c's neighbours in t connect among themselves
            u = todo.pop()
            for n in indices[indptr[u] : indptr[u + 1]].tolist():
                if n in near and n not in seen:
                    seen.add(n)
                    todo.append(n)
        if len(seen) == len(near):
            return True
        seen, todo = {c, start}, [start]
        while todo:
            u = todo.pop()
            for n in indices[indptr[u] : indptr[u + 1]].tolist():
                if n not in seen and terr[n] == t:
                    seen.add(n)
                    todo.append(n)
        return len(seen) == int(size[t])

    for _ in range(30):
        ratio = load / appetite
        a, b = terr[coo.row], terr[coo.col]
        cand = np.flatnonzero((a != b) & (ratio[a] > ratio[b]))
        cand = cand[np.argsort(ratio[b[cand]] - ratio[a[cand]], kind="stable")]
        moved = 0
        for c, nb in zip(coo.row[cand].tolist(), coo.col[cand].tolist(), strict=True):
            ta, tb = terr[c], terr[nb]
            if ta == tb or c in fixed:
                continue
            now = max(load[ta] / appetite[ta], load[tb] / appetite[tb])
            after = max((load[ta] - cost[c]) / appetite[ta], (load[tb] + cost[c]) / appetite[tb])
            if after < now and still_connected(c, ta):
                terr[c] = tb
                load[ta] -= cost[c]
                load[tb] += cost[c]
                size[ta] -= 1
                size[tb] += 1
                moved += 1
        if not moved:
            break


def zip_and_area_codes(
    counties: dict[str, NDArray[Any]],
    county: NDArray[np.int64],
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
) -> tuple[NDArray[np.object_], NDArray[np.object_]]:
    """Nearest real ZIP code in the account's state and its phone area code (``zipcodes``)."""
    import zipcodes
    from scipy.spatial import cKDTree

    states, state_of_county = np.unique(counties["state"], return_inverse=True)
    st = state_of_county[county]
    order = np.argsort(st, kind="stable")
    bounds = np.searchsorted(st[order], np.arange(len(states) + 1))
    zips = zipcodes.list_all() if len(states) > 10 else None  # one scan beats many then
    zip_out, area_out = np.empty(len(lon), dtype=object), np.empty(len(lon), dtype=object)
    for i, code in enumerate(states.tolist()):
        if zips is None:
            z = zipcodes.filter_by(state=code, zip_code_type="STANDARD", active=True)
        else:
            z = [r for r in zips if r["state"] == code and r["zip_code_type"] == "STANDARD"]
            z = [r for r in z if r["active"]]
        mine = order[bounds[i] : bounds[i + 1]]
        zlon = np.array([float(r["long"]) for r in z])
        zlat = np.array([float(r["lat"]) for r in z])
        _, near = cKDTree(_km_xy(zlon, zlat)).query(_km_xy(lon[mine], lat[mine]))
        zip_out[mine] = np.array([r["zip_code"] for r in z], dtype=object)[near]
        area = [r["area_codes"][0] if r["area_codes"] else "555" for r in z]
        area_out[mine] = np.array(area, dtype=object)[near]
    return zip_out, area_out


def _organisation(
    homes: pd.DataFrame,
) -> tuple[NDArray[np.int_], NDArray[np.int_], list[int], list[int]]:
    """Districts of ~8 consecutive territories along the Hilbert order, two regions of those.

    Returns the district of each territory, the region of each district, and the home index
    of each district's and region's biggest city (where its manager sits, and its name).
    """
    n_t = len(homes)
    n_d = -(-n_t // 8)
    district_of = np.arange(n_t) * n_d // n_t
    n_r = min(2, n_d)
    region_of = np.arange(n_d) * n_r // n_d
    pop = homes["population"].to_numpy()
    members = [np.flatnonzero(district_of == d) for d in range(n_d)]
    lead_d = [int(m[np.argmax(pop[m])]) for m in members]
    lead_r = [
        max((lead_d[d] for d in np.flatnonzero(region_of == r)), key=lambda i: pop[i])
        for r in range(n_r)
    ]
    return district_of, region_of, lead_d, lead_r


#: Region colours: dark and far apart, so a region view reads at a glance.
REGION_COLOURS = ("#1f4e79", "#8e2c2c", "#2e6b30", "#6a3d8f", "#9a6a12", "#246a73")

#: id, name, colour, level, rep_id, parent_id, target_weight, locked
TerritoryRow = tuple[int, str, str, str, int, int | None, float, bool]


def org_rows(
    rng: np.random.Generator,
    homes: pd.DataFrame,
    terr_of_county: NDArray[np.int64],
    graph: sparse.csr_matrix,
) -> tuple[list[tuple[object, ...]], list[TerritoryRow], list[str]]:
    """Rep rows (VPs, managers, field reps) and territory rows (regions, districts,
    territories), in foreign-key order, and the field reps' names."""
    n_t = len(homes)
    district_of, region_of, lead_d, lead_r = _organisation(homes)
    n_d, n_r = len(lead_d), len(lead_r)
    combos = rng.choice(len(FIRST_NAMES) * len(SURNAMES), size=n_t + n_d + n_r, replace=False)
    people = [f"{FIRST_NAMES[c // len(SURNAMES)]} {SURNAMES[c % len(SURNAMES)]}" for c in combos]
    mail = [f"{p.lower().replace(' ', '.')}@demo-sales.example" for p in people]
    hlon, hlat = homes["lon"].tolist(), homes["lat"].tolist()
    city = homes["name"].tolist()
    label = [f"{c}, {s}" for c, s in zip(city, homes["state"], strict=True)]
    short = [label[i] if city.count(c) > 1 else c for i, c in enumerate(city)]
    mgr0, vp0 = n_t + 1, n_t + n_d + 1  # ids: field reps 1..n_t, then managers, then VPs

    def rep(
        i: int, h: int, skills: list[str], inds: list[str], boss: int | None
    ) -> tuple[object, ...]:
        return (i + 1, people[i], mail[i], hlon[h], hlat[h], label[h], 40.0,
                json.dumps(skills), json.dumps(inds), boss)  # fmt: skip

    reps = [rep(n_t + n_d + r, h, ["Leadership"], [], None) for r, h in enumerate(lead_r)]
    reps += [
        rep(n_t + d, h, ["Coaching"], [], vp0 + int(region_of[d])) for d, h in enumerate(lead_d)
    ]
    for t in range(n_t):
        skills = sorted(rng.choice(SKILLS, size=2, replace=False).tolist())
        k = int(rng.integers(2, 4))
        inds = sorted(rng.choice(list(INDUSTRIES), size=k, replace=False).tolist())
        reps.append(rep(t, t, skills, inds, mgr0 + int(district_of[t])))

    # Neighbouring territories get clearly different fills (CIEDE2000, graph colouring).
    colours = distinct_colours(territory_adjacency(graph, terr_of_county, n_t), [None] * n_t)
    r_lon = [np.mean([hlon[lead_d[d]] for d in np.flatnonzero(region_of == r)]) for r in range(n_r)]
    r_names = (
        ["Region"]
        if n_r == 1
        else ["West Region", "East Region"][:: 1 if r_lon[0] < r_lon[1] else -1]
    )
    d_names = [f"{short[h]} District" for h in lead_d]
    t0d, t0r = n_t + 1, n_t + n_d + 1  # territory ids: territories 1..n_t, districts, regions
    terrs: list[TerritoryRow] = [
        (
            t0r + r,
            r_names[r],
            REGION_COLOURS[r % len(REGION_COLOURS)],
            "region",
            vp0 + r,
            None,
            1.0,
            False,
        )
        for r in range(n_r)
    ]
    terrs += [
        (t0d + d, d_names[d], PALETTE[2 * d % len(PALETTE)], "district", mgr0 + d,
         t0r + int(region_of[d]), 1.0, False)
        for d in range(n_d)
    ]  # fmt: skip
    terrs += [
        (t + 1, f"T{t + 1:02d} {short[t]}", colours[t], "territory", t + 1,
         t0d + int(district_of[t]), 1.0, False)
        for t in range(n_t)
    ]  # fmt: skip
    return reps, terrs, people[:n_t]


def choose_pins(
    acc: dict[str, NDArray[Any]], acc_terr: NDArray[np.int64], homes: pd.DataFrame
) -> NDArray[np.int64]:
    """(account, territory) of 10 key accounts held by the nearest *other* territory's rep."""
    big = np.flatnonzero(acc["status"] == "customer")
    big = big[np.argsort(-acc["potential"][big], kind="stable")][:10]
    home_xy = _km_xy(homes["lon"].to_numpy(), homes["lat"].to_numpy())
    out = []
    for a in big.tolist():
        d = np.linalg.norm(home_xy - _km_xy(acc["lon"][a : a + 1], acc["lat"][a : a + 1]), axis=1)
        d[acc_terr[a]] = np.inf
        out.append((a, int(np.argmin(d))))
    return np.array(out, dtype=np.int64).reshape(-1, 2)
