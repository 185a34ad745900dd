"""The demo project: real US counties as units, accounts placed by real population weights.

Built from the small files in ``resources/data`` (see its README for sources and licences:
Census counties, public domain; GeoNames places, CC BY 4.0), so nothing is downloaded and the
data packages are not needed at run time. Everything random comes from one
``numpy.random.Generator`` seeded by ``seed`` and every row is written with explicit ids in one
transaction, so the same seed gives the same tables.

Sales organisation: ``reps`` field reps (40 in the southeast, 50 for the lower 48) each own one
territory. Territories are grouped along a Hilbert curve through the reps' home bases into
districts of about 8, each led by a district manager, and districts into two regions, each led
by a regional VP. Managers and VPs are Rep rows too (they own the district/region rows and are
the ``manager_id`` of the level below) but own no accounts.

The starting alignment is grown from each rep's home county over the county adjacency graph,
the least loaded territory (by account potential, scaled by a hidden per-territory appetite)
claiming its nearest free neighbour next, then boundary counties are swapped towards lighter
neighbours. Territories are contiguous and off their fair share by a median ~20-25 %, like a
legacy plan; a metro county is one unit, so e.g. Miami-Dade alone stays ~3x the mean load.

Accounts: places are drawn with probability proportional to population, jittered by a few km
(more in big cities) and redrawn until inside the place's county; postal codes and phone area
codes come from the nearest real ZIP of the state (``zipcodes``). Above ``RELATED_CAP``
accounts, CRM records are made for that many accounts only (customers first).
"""

from __future__ import annotations

import datetime as dt
import gzip
import heapq
import itertools
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy import sparse
from sqlalchemy import Connection

from planner.model.colours import PALETTE, distinct_colours
from planner.model.database import is_url
from planner.model.errors import PlannerError
from planner.model.geo import adjacency, area_km2
from planner.model.projectfile import check_target
from planner.model.resources import resources_dir
from planner.model.store import Project

DATA_DIR = resources_dir() / "data"
REGIONS: dict[str, tuple[str, ...] | None] = {
    "southeast": ("AL", "FL", "GA", "MS", "NC", "SC", "TN"),
    "lower48": None,
}
REGION_TITLES = {"southeast": "Southeast US", "lower48": "Lower 48 US"}
DEFAULT_REPS = {"southeast": 40, "lower48": 50}
#: Above this many accounts, contacts/opportunities/activities are made only for this many
#: accounts (customers first, by potential) so the 1M benchmark set builds in minutes.
RELATED_CAP = 200_000


def create_demo(
    path: Path,
    *,
    accounts: int = 100_000,
    seed: int = 0,
    region: str = "southeast",
    reps: int | None = None,
    overwrite: bool = False,
) -> Project:
    """Create the demo project at ``path`` and return it open.

    Examples
    --------
    >>> project = create_demo(tmp_path / "demo.tplan", accounts=5000)  # doctest: +SKIP
    """
    if region not in REGIONS:
        raise PlannerError(f"unknown demo region {region!r}; choose one of {', '.join(REGIONS)}")
    if accounts < 1:
        raise PlannerError("the demo needs at least one account")
    if not is_url(path):  # fail before the work, not after
        check_target(path, overwrite=overwrite)
    n_reps = reps if reps is not None else DEFAULT_REPS[region]
    rng = np.random.default_rng(seed)
    counties = load_counties(REGIONS[region])
    places = load_places(counties)
    if not 2 <= n_reps <= len(counties["code"]) // 2:
        raise PlannerError(f"the demo needs between 2 and {len(counties['code']) // 2} reps")
    geoms = counties["geometry"]
    shapely.prepare(geoms)
    rep_pt = shapely.point_on_surface(geoms)
    counties["rep_lon"], counties["rep_lat"] = shapely.get_x(rep_pt), shapely.get_y(rep_pt)
    acc = place_accounts(rng, accounts, places, counties)
    graph, _links = adjacency(geoms)
    homes = choose_homes(places, counties, n_reps)
    potential = np.bincount(acc["county"], weights=acc["potential"], minlength=len(geoms))
    terr_of_county = grow_alignment(rng, graph, counties, homes["county"], potential)
    # Built beside the target and renamed over it when complete (Project.create): a kill or an
    # error leaves the previous project (--overwrite) or nothing, never a half-made one.
    return Project.create(
        path, name=f"Demo — {REGION_TITLES[region]}", overwrite=overwrite,
        fill=lambda p: write_project(p, rng, counties, acc, homes, terr_of_county, graph),
    )  # fmt: skip


# -- data ----------------------------------------------------------------------------------
def load_counties(states: tuple[str, ...] | None) -> dict[str, NDArray]:
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


def load_places(counties: dict[str, NDArray]) -> pd.DataFrame:
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
    rng: np.random.Generator, n: int, places: pd.DataFrame, counties: dict[str, NDArray]
) -> dict[str, NDArray]:
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
def _km_xy(lon: NDArray, lat: NDArray) -> NDArray:
    """Rough planar km coordinates (equirectangular at 36°N): enough to rank distances."""
    return np.column_stack([lon * 111.32 * np.cos(np.radians(36.0)), lat * 110.57])


def choose_homes(places: pd.DataFrame, counties: dict[str, NDArray], n: int) -> pd.DataFrame:
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


def _hilbert_keys(lon: NDArray, lat: NDArray, order: int = 10) -> NDArray:
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
    counties: dict[str, NDArray],
    home_county: NDArray,
    potential: NDArray,
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
    graph: sparse.csr_matrix, terr: NDArray, cost: NDArray, appetite: NDArray, fixed: set[int]
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
        return len(seen) == size[t]

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


def _words(text: str, sep: str | None = None) -> NDArray[np.object_]:
    return np.array(text.split(sep), dtype=object)


# -- generated attributes ------------------------------------------------------------------
INDUSTRIES = {  # industry: (weight, nouns used in company names)
    "Manufacturing": (14, "Manufacturing|Fabrication|Machine Works"),
    "Logistics": (10, "Logistics|Freight|Transport"),
    "Construction": (10, "Construction|Builders|Contracting"),
    "Healthcare": (9, "Medical|Health|Clinics"),
    "Retail": (11, "Supply|Outfitters|Mercantile"),
    "Food & Beverage": (8, "Foods|Provisions|Brewing"),
    "Agriculture": (6, "Farms|Agri|Growers"),
    "Automotive": (7, "Motors|Auto Parts|Collision"),
    "Energy": (5, "Energy|Power|Solar"),
    "Technology": (8, "Systems|Software|Networks"),
    "Hospitality": (6, "Hospitality|Inns|Catering"),
    "Professional Services": (6, "Consulting|Advisors|Partners"),
}
PREFIXES = _words(
    "Peachtree|Magnolia|Blue Ridge|Gulf Coast|Pinecrest|Riverbend|Summit|Cypress|Palmetto|Oakwood|"
    "Harbor|Red Clay|Cumberland|Piedmont|Delta|Bayou|Lakeside|Ironwood|Granite|Sunbelt|Live Oak|"
    "Tidewater|Longleaf|Chattahoochee|Appalachian|Heritage|Liberty|Pioneer|Keystone|Crescent",
    "|",
)
SURNAMES = _words(
    "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Martin "
    "Jackson Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright Scott Green "
    "Baker Adams Nelson Hill Campbell Mitchell Carter Roberts Garcia Martinez Rodriguez Lopez "
    "Nguyen Patel Kim Reed Cook Morgan Bell Murphy Bailey Rivera Cooper Howard Ward Brooks"
)
FIRST_NAMES = _words(
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Lisa Matthew Nancy Anthony "
    "Betty Mark Sandra Maria Ashley Carlos Ana Kevin Emily Brian Michelle Jamal Aisha Wei Priya"
)
SUFFIXES = _words("LLC Inc. Co. Corp. Group LLC Inc. Ltd.")
STREETS = _words("Main Oak Pine Maple Cedar Elm Peachtree Church Market Park Lake Hill Mill River")
STREET_KINDS = _words("St Ave Rd Blvd Dr Pkwy Hwy Ln")
CN_COMPANY = (
    _words("华美 东方 金龙 长城 新亚 中天 宏达 恒通"),
    _words("贸易 物流 电子 食品 机械 科技"),
)
JP_COMPANY = (_words("山田 佐藤 鈴木 高橋 田中 渡辺"), _words("精工 商事 物産 電機 製作所 工業"))
CJK_PEOPLE = _words("王伟 李娜 张敏 刘洋 山田太郎 佐藤花子 鈴木一郎 高橋美咲")
#: Names that make every screen, popup and export prove it escapes user text.
AWKWARD_NAMES = (
    "Smith & Sons <Holdings>",
    "O'Neil \"Quality\" Tools & Dies",
    "A&B <Fabrication> LLC",
    "Tom's \"Best\" BBQ & Catering",
    "<b>Bold</b> Signs & Graphics",
    "Lee & Park <script>alert('x')</script> Supply",
)  # fmt: skip
SEGMENTS = _words("Enterprise Mid-market SMB")
STATUSES = _words("prospect customer partner")
VISITS = np.array([24.0, 12.0, 4.0])  # per year, by segment (prospects half)
MINUTES = np.array([90.0, 60.0, 45.0])  # per visit, by segment


def account_attributes(rng: np.random.Generator, city: NDArray) -> dict[str, NDArray]:
    """Names, address, industry, segment, status, money and service needs of accounts.

    Potential is lognormal (median ~$60k); the segment follows it (Enterprise >= $400k,
    Mid-market >= $100k). About 3 % of names are Chinese or Japanese and a handful carry
    ``& < > ' "``, so encodings and escaping are exercised wherever names are shown.
    """
    n = len(city)
    inds = list(INDUSTRIES)
    w = np.array([INDUSTRIES[k][0] for k in inds], dtype=float)
    ind = rng.choice(len(inds), size=n, p=w / w.sum())
    potential = np.round(rng.lognormal(np.log(60_000), 1.0, n), -2) + 1000
    seg = np.where(potential >= 400_000, 0, np.where(potential >= 100_000, 1, 2))
    status = rng.choice(3, size=n, p=[0.50, 0.45, 0.05])
    share = np.where(status == 1, rng.uniform(0.1, 0.8, n), rng.uniform(0.0, 0.3, n))
    r = rng.integers(0, 1 << 30, size=(6, n))
    nouns = np.array([INDUSTRIES[k][1].split("|") for k in inds], dtype=object)[ind, r[0] % 3]
    s1, s2 = SURNAMES[r[3] % len(SURNAMES)], SURNAMES[r[4] % len(SURNAMES)]
    suffix = " " + SUFFIXES[r[1] % len(SUFFIXES)]
    kind = r[2] % 4
    names = np.select(
        [kind == 0, kind == 1, kind == 2],
        [PREFIXES[r[3] % len(PREFIXES)] + " " + nouns + suffix, s1 + " " + nouns + suffix,
         s1 + " & " + s2 + " " + nouns],
        city + " " + nouns + " Co.",
    )  # fmt: skip
    cjk = rng.random(n) < 0.03
    cn, jp = cjk & (r[5] % 2 == 1), cjk & (r[5] % 2 == 0)
    names[cn] = CN_COMPANY[0][r[3][cn] % 8] + CN_COMPANY[1][r[4][cn] % 6] + "有限公司"
    names[jp] = JP_COMPANY[0][r[3][jp] % 6] + JP_COMPANY[1][r[4][jp] % 6] + "株式会社"
    awkward = rng.choice(n, size=min(n, max(6, n // 5000)), replace=False)
    names[awkward] = np.resize(np.array(AWKWARD_NAMES, dtype=object), len(awkward))
    cjk[awkward] = False
    street = STREETS[r[3] % len(STREETS)] + " " + STREET_KINDS[r[1] % len(STREET_KINDS)]
    return {
        "name": names,
        "address": (100 + r[4] % 9800).astype(str).astype(object) + " " + street,
        "industry": np.array(inds, dtype=object)[ind],
        "segment": SEGMENTS[seg],
        "status": STATUSES[status],
        "potential": potential,
        "revenue": np.where(status == 0, 0.0, np.round(potential * share, -2)),
        "visits": np.where(status == 0, VISITS[seg] / 2, VISITS[seg]),
        "minutes": MINUTES[seg],
        "cjk": cjk,
    }


# -- writing -------------------------------------------------------------------------------
SKILLS = _words("Negotiation|Key accounts|New business|Technical sales|Service contracts", "|")
ANCHOR = dt.date(2026, 11, 1)  # "today" of the demo's history: fixed, so output is stable


def _insert(conn: Connection, table: str, cols: str, data: Iterable[Sequence[object]]) -> None:
    """executemany of tuples on the driver: the fast path for hundreds of thousands of rows.

    Every column is given explicitly (ORM defaults do not apply at this level).
    """
    q = conn.dialect.identifier_preparer.quote
    ph = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    names = cols.split()
    sql = (
        f"INSERT INTO {q(table)} ({', '.join(q(n) for n in names)}) "
        f"VALUES ({', '.join([ph] * len(names))})"
    )
    it = iter(data)
    while batch := list(itertools.islice(it, 50_000)):
        conn.exec_driver_sql(sql, batch)  # type: ignore[arg-type]


def _zip_codes(
    counties: dict[str, NDArray], county: NDArray, lon: NDArray, lat: NDArray
) -> tuple[NDArray, NDArray]:
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


def _organisation(homes: pd.DataFrame) -> tuple[NDArray, NDArray, list[int], list[int]]:
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


def _org_rows(
    rng: np.random.Generator, homes: pd.DataFrame, terr_of_county: NDArray, graph: sparse.spmatrix
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], list[str]]:
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

    def rep(i: int, h: int, skills: list[str], inds: list[str], boss: int | None) -> tuple:
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

    coo = graph.tocoo()
    ta, tb = terr_of_county[coo.row], terr_of_county[coo.col]
    colours = distinct_colours(n_t, np.unique(np.column_stack([ta, tb])[ta != tb], axis=0))
    r_lon = [np.mean([hlon[lead_d[d]] for d in np.flatnonzero(region_of == r)]) for r in range(n_r)]
    r_names = (
        ["Region"]
        if n_r == 1
        else ["West Region", "East Region"][:: 1 if r_lon[0] < r_lon[1] else -1]
    )
    d_names = [f"{short[h]} District" for h in lead_d]
    t0d, t0r = n_t + 1, n_t + n_d + 1  # territory ids: territories 1..n_t, districts, regions
    terrs = [
        (t0r + r, r_names[r], "#3a3a3a", "region", vp0 + r, None, 1.0, False) for r in range(n_r)
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


def _pins(acc: dict[str, NDArray], acc_terr: NDArray, homes: pd.DataFrame) -> NDArray:
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


def write_project(
    project: Project,
    rng: np.random.Generator,
    counties: dict[str, NDArray],
    acc: dict[str, NDArray],
    homes: pd.DataFrame,
    terr_of_county: NDArray,
    graph: sparse.spmatrix,
) -> None:
    """Reps, territories, units, accounts, alignment, pins and CRM records in one transaction."""
    n_c, n_acc = len(terr_of_county), len(acc["lon"])
    reps, terrs, rep_names = _org_rows(rng, homes, terr_of_county, graph)
    units = zip(
        range(1, n_c + 1), counties["code"].tolist(), counties["name"].tolist(),
        shapely.to_wkb(counties["geometry"]).tolist(), counties["rep_lon"].tolist(),
        counties["rep_lat"].tolist(), np.round(counties["area_km2"], 3).tolist(),
        counties["population"].tolist(), [json.dumps({"state": s}) for s in counties["state"]],
        strict=True,
    )  # fmt: skip
    acc_terr = terr_of_county[acc["county"]]
    pins = _pins(acc, acc_terr, homes)
    acc_terr[pins[:, 0]] = pins[:, 1]
    owner = np.array(rep_names, dtype=object)[acc_terr]
    state = counties["state"][acc["county"]].astype(object)
    postal, area = _zip_codes(counties, acc["county"], acc["lon"], acc["lat"])
    accounts = zip(
        range(1, n_acc + 1), [f"D{k:07d}" for k in range(1, n_acc + 1)], acc["name"].tolist(),
        acc["address"].tolist(), acc["city"].tolist(), state.tolist(), postal.tolist(),
        itertools.repeat("US"), acc["lon"].tolist(), acc["lat"].tolist(),
        itertools.repeat("exact"), (acc["county"] + 1).tolist(), acc["industry"].tolist(),
        acc["segment"].tolist(), acc["status"].tolist(), acc["potential"].tolist(),
        acc["revenue"].tolist(), acc["visits"].tolist(), acc["minutes"].tolist(), owner.tolist(),
        itertools.repeat(""),
    )  # fmt: skip
    base = project.baseline_id()
    info = {
        "currency": "USD",
        "data_credit": "Counties: US Census Bureau (public domain). "
        "Places: GeoNames, geonames.org (CC BY 4.0).",
    }
    with project.transaction() as s:
        conn = s.connection()
        if conn.dialect.name == "sqlite":  # keep the whole build in memory until the commit
            conn.exec_driver_sql("PRAGMA cache_size=-262144")
        _insert(conn, "rep", "id name email home_lon home_lat home_label capacity_hours skills "
                "industries manager_id", reps)  # fmt: skip
        _insert(conn, "territory", "id name colour level rep_id parent_id target_weight locked",
                terrs)  # fmt: skip
        _insert(conn, "unit", "id code name geometry rep_lon rep_lat area_km2 population "
                "attributes", units)  # fmt: skip
        _insert(conn, "account", "id external_id name address city state postal_code country lon "
                "lat location_source unit_id industry segment status potential revenue "
                "visits_per_year minutes_per_visit owner notes", accounts)  # fmt: skip
        _insert(
            conn,
            "assignment",
            "scenario_id atom_kind atom_id territory_id",
            ((base, "unit", c + 1, t + 1) for c, t in enumerate(terr_of_county.tolist())),
        )
        _insert(conn, "pin", "scenario_id account_id territory_id",
                ((base, a + 1, t + 1) for a, t in pins.tolist()))  # fmt: skip
        _insert(conn, "project_info", "key value", info.items())
        _related(conn, rng, acc, owner, area)
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA cache_size=-2000")  # SQLite's default again


DM_ROLES = _words("CEO|Owner|VP Operations|Procurement Director|General Manager", "|")
ROLES = _words("Plant manager|Buyer|Office manager|Maintenance lead|Accounts payable|Engineer", "|")
STAGES = _words("Prospecting Qualification Proposal Negotiation Closed-Won Closed-Lost")
STAGE_P = (0.2, 0.2, 0.15, 0.1, 0.2, 0.15)
OPP_KINDS = _words(
    "Annual supply agreement|Service contract renewal|Fleet expansion|New line installation|"
    "Pilot project|Upgrade package|Maintenance plan",
    "|",
)
NEXT_STEPS = _words(
    "Send revised quote|Site visit with plant manager|Demo for the buying team|"
    "Confirm budget with finance|Legal review of contract|Call back after trade show",
    "|",
)
ACT_TYPES = _words("Call Visit Email Meeting")
ACT_TEXT = _words("Follow-up call about|On-site visit:|Sent information on|Meeting to review", "|")
TOPICS = _words(
    "pricing for next year|delivery delays|new product line|service levels|contract renewal|"
    "a competitor's offer|open invoices|expansion plans",
    "|",
)


def _domains(names: NDArray) -> NDArray[np.object_]:
    """E-mail domains from company names: first two Latin words ('account' if none)."""
    text = re.sub(r"[^a-z0-9\n]+", "-", "\n".join(names.tolist()).lower())
    parts = [line.strip("-").split("-")[:2] for line in text.split("\n")]
    return np.array([("-".join(p) or "account") + ".example" for p in parts], dtype=object)


def _related(
    conn: Connection,
    rng: np.random.Generator,
    acc: dict[str, NDArray],
    owner: NDArray,
    area: NDArray,
) -> None:
    """Contacts (1-4), opportunities (~35 % of accounts) and activities (0-8) of accounts."""
    n = len(owner)
    rel = np.arange(n)
    if n > RELATED_CAP:  # customers first, biggest first: those a planner looks at
        rel = np.sort(np.lexsort((-acc["potential"], acc["status"] != "customer"))[:RELATED_CAP])
    status = acc["status"][rel]
    offsets = np.arange(-600, 451)
    days = [ANCHOR + dt.timedelta(days=int(k)) for k in offsets]
    day = np.array([d.isoformat() if conn.dialect.name == "sqlite" else d for d in days], object)
    year = np.array([f" {d.year}" for d in days], dtype=object)

    cnt = rng.integers(1, 5, size=len(rel))
    a_of = np.repeat(rel, cnt)
    first = np.repeat(np.r_[0, np.cumsum(cnt)[:-1]], cnt) == np.arange(len(a_of))
    m = len(a_of)
    dm = np.where(first, (acc["status"][a_of] == "customer") | (rng.random(m) < 0.5),
                  rng.random(m) < 0.15)  # fmt: skip
    r = rng.integers(0, 1 << 30, size=(4, m))
    full = np.add.outer(FIRST_NAMES + " ", SURNAMES).ravel()
    pick = (r[0] % len(FIRST_NAMES)) * len(SURNAMES) + r[1] % len(SURNAMES)
    person = full[pick]
    local = np.array([p.lower().replace(" ", ".") for p in full.tolist()], dtype=object)[pick]
    cj = acc["cjk"][a_of]
    person[cj] = CJK_PEOPLE[r[0][cj] % len(CJK_PEOPLE)]
    local[cj] = "contact" + (np.flatnonzero(cj) + 1).astype(str).astype(object)
    domain = np.empty(n, dtype=object)
    domain[rel] = _domains(acc["name"][rel])
    role = np.where(dm, DM_ROLES[r[2] % len(DM_ROLES)], ROLES[r[2] % len(ROLES)])
    four = np.char.zfill((r[3] % 10000).astype(str), 4).astype(object)
    phone = "(" + area[a_of] + ") 555-" + four
    email = local + "@" + domain[a_of]
    _insert(conn, "contact", "id account_id name role decision_maker phone email",
            zip(range(1, m + 1), (a_of + 1).tolist(), person.tolist(), role.tolist(),
                dm.tolist(), phone.tolist(), email.tolist(), strict=True))  # fmt: skip

    has = rel[rng.random(len(rel)) < 0.35]
    o_of = np.repeat(has, 1 + (rng.random(len(has)) < 0.2))
    m = len(o_of)
    stage = rng.choice(len(STAGES), size=m, p=STAGE_P)
    is_open = stage < 4
    off = np.where(is_open, rng.integers(20, 420, m), -rng.integers(0, 540, m)) + 600
    amount = np.round(acc["potential"][o_of] * rng.uniform(0.05, 0.5, m), -2)
    r = rng.integers(0, 1 << 30, size=(2, m))
    step = np.where(is_open, NEXT_STEPS[r[1] % len(NEXT_STEPS)], "")
    stage_names = np.char.replace(STAGES.astype(str), "-", " ").astype(object)
    _insert(conn, "opportunity", "id account_id name stage amount close_date next_step is_open",
            zip(range(1, m + 1), (o_of + 1).tolist(),
                (OPP_KINDS[r[0] % len(OPP_KINDS)] + year[off]).tolist(),
                stage_names[stage].tolist(), amount.tolist(), day[off].tolist(), step.tolist(),
                is_open.tolist(), strict=True))  # fmt: skip

    lo = np.select([status == "customer", status == "partner"], [2, 1], 0)
    hi = np.select([status == "customer", status == "partner"], [9, 6], 4)
    v_of = np.repeat(rel, rng.integers(lo, hi))
    m = len(v_of)
    kind = rng.choice(4, size=m, p=[0.35, 0.25, 0.25, 0.15])
    off = 600 - rng.integers(0, 548, size=m)
    summary = ACT_TEXT[kind] + " " + TOPICS[rng.integers(0, len(TOPICS), size=m)]
    by = owner[v_of].tolist()
    _insert(conn, "activity", "id account_id type date summary by",
            zip(range(1, m + 1), (v_of + 1).tolist(), ACT_TYPES[kind].tolist(),
                day[off].tolist(), summary.tolist(), by, strict=True))  # fmt: skip
