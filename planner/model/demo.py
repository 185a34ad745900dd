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

The geography, alignment and organisation are drawn in :mod:`planner.model._demo_geo`, names
and word lists live in :mod:`planner.model._demo_names`; this module builds and writes the
project: beside the target, renamed into place when complete (``Project.create(fill=...)``),
with PostgreSQL's id sequences moved past the explicit ids afterwards.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy import sparse
from sqlalchemy import Connection

from planner.model._demo_geo import (
    choose_homes,
    choose_pins,
    grow_alignment,
    load_counties,
    load_places,
    org_rows,
    place_accounts,
    zip_and_area_codes,
)
from planner.model._demo_names import (
    ACT_TEXT,
    ACT_TYPES,
    CJK_PEOPLE,
    DM_ROLES,
    FIRST_NAMES,
    NEXT_STEPS,
    OPP_KINDS,
    ROLES,
    STAGE_P,
    STAGES,
    SURNAMES,
    TOPICS,
    email_domains,
)
from planner.model._demo_results import write_results_demo
from planner.model.database import is_url
from planner.model.errors import PlannerError
from planner.model.geo import adjacency
from planner.model.projectfile import check_target
from planner.model.store import Project
from planner.model.territories import add_to_scenarios

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
    # numpy's stub types bincount as intp even with float weights
    potential = cast(
        "NDArray[np.float64]",
        np.bincount(acc["county"], weights=acc["potential"], minlength=len(geoms)),
    )
    terr_of_county = grow_alignment(rng, graph, counties, homes["county"].to_numpy(), potential)
    # Built beside the target and renamed over it when complete (Project.create): a kill or an
    # error leaves the previous project (--overwrite) or nothing, never a half-made one.
    return Project.create(
        path, name=f"Demo — {REGION_TITLES[region]}", overwrite=overwrite,
        fill=lambda p: _fill(p, rng, counties, acc, homes, terr_of_county, graph),
    )  # fmt: skip


def _fill(project: Project, rng: np.random.Generator, *parts: Any) -> None:
    write_project(project, rng, *parts)
    demo_quotas(project, rng)


def demo_quotas(project: Project, rng: np.random.Generator) -> None:
    """Quota plans for this year (results measure against it) and the next fiscal year, so a
    new user sees quotas, difficulty, attainment and the tree on first open. Next year: last
    year's revenue plus 15 %, allocated half by potential and half by revenue within +3 % ..
    +40 % growth, seasonality from the opportunities' close dates, and
    bottom-up commitments from a third of the territories (85-105 % of their quota)."""
    from planner.model._demo_results import SEASON
    from planner.model.plan import Plan
    from planner.model.quota.ops import allocate_edit, commitments_edit

    plan = Plan.load(project)
    plan.user = "demo"
    revenue = sum(r["revenue"] for r in plan.rows())
    # This year's plan (what the Results dock measures attainment and pace against): a
    # cautious 95 % of last year's revenue, by revenue, shaped like the bookings' season, so
    # the territories the demo makes fall behind stand out from those on pace.
    total = round(revenue * 0.95 / 1000) * 1000 * 100
    season = {"seasonality": [float(v) for v in SEASON]}
    plan.apply(allocate_edit(plan, ANCHOR.year, total, basis="revenue", settings=season)[0])
    year = ANCHOR.year + 1
    total = round(revenue * 1.15 / 1000) * 1000 * 100
    try:
        edit, _ = allocate_edit(plan, year, total, basis="potential:0.5,revenue:0.5",
                                min_growth=0.03, max_growth=0.4,
                                settings={"seasonality": "opportunities"})  # fmt: skip
    except PlannerError:  # tiny demos: guardrails cannot be met, allocate without them
        edit, _ = allocate_edit(plan, year, total, basis="potential:0.5,revenue:0.5",
                                settings={"seasonality": "opportunities"})  # fmt: skip
    plan.apply(edit)
    yp = plan.quotas.year(year)
    if yp is None:
        return
    ids = [int(t) for t in plan.atoms.territory_ids if int(t) in yp.cells]
    chosen: Any = rng.choice(len(ids), size=max(1, len(ids) // 3), replace=False) if ids else []
    amounts: dict[int, int | None] = {
        ids[i]: round(yp.cells[ids[i]].amount * float(rng.uniform(0.85, 1.05))) for i in chosen
    }
    if amounts:
        plan.apply(commitments_edit(plan, year, amounts))
    from planner.model._persist import log_data_change

    with project.transaction() as s:  # the demo's own steps are where a user's undo stops
        label = f"demo project built (quota plans FY{ANCHOR.year} and FY{year} included)"
        log_data_change(s, "demo", "demo", label)


# -- writing -------------------------------------------------------------------------------
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
        conn.exec_driver_sql(sql, batch)


def write_project(
    project: Project,
    rng: np.random.Generator,
    counties: dict[str, NDArray[Any]],
    acc: dict[str, NDArray[Any]],
    homes: pd.DataFrame,
    terr_of_county: NDArray[np.int64],
    graph: sparse.csr_matrix,
) -> None:
    """Reps, territories, units, accounts, alignment, pins and CRM records in one transaction."""
    n_c, n_acc = len(terr_of_county), len(acc["lon"])
    reps, terrs, rep_names = org_rows(rng, homes, terr_of_county, graph)
    units = zip(
        range(1, n_c + 1), counties["code"].tolist(), counties["name"].tolist(),
        shapely.to_wkb(counties["geometry"]).tolist(), counties["rep_lon"].tolist(),
        counties["rep_lat"].tolist(), np.round(counties["area_km2"], 3).tolist(),
        counties["population"].tolist(), [json.dumps({"state": s}) for s in counties["state"]],
        strict=True,
    )  # fmt: skip
    acc_terr = terr_of_county[acc["county"]]
    pins = choose_pins(acc, acc_terr, homes)
    acc_terr[pins[:, 0]] = pins[:, 1]
    owner = np.array(rep_names, dtype=object)[acc_terr]
    state = counties["state"][acc["county"]].astype(object)
    postal, area = zip_and_area_codes(counties, acc["county"], acc["lon"], acc["lat"])
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
        add_to_scenarios(s, [t[0] for t in terrs])  # territories and hierarchy nodes
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
        write_results_demo(lambda t, c, rows: _insert(conn, t, c, rows), rng.spawn(1)[0], acc,
                           acc_terr, ANCHOR, conn.dialect.name == "sqlite")  # fmt: skip
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA cache_size=-2000")  # SQLite's default again


def _related(
    conn: Connection,
    rng: np.random.Generator,
    acc: dict[str, NDArray[Any]],
    owner: NDArray[np.object_],
    area: NDArray[np.object_],
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
    domain[rel] = email_domains(acc["name"][rel])
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
