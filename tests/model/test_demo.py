"""The demo project a new user opens first: real counties, plausible accounts, a starting plan.

One 5,000-account southeast demo is built per module (a few seconds) and checked the way a user
would look at it: every county is a unit and belongs to one contiguous territory, every account
sits inside its county, reps have home bases and managers, and CRM records hang off accounts.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from sqlalchemy import text

from planner.model.demo import create_demo
from planner.model.errors import PlannerError, ProjectFileError
from planner.model.store import Project
from tests.model.crash import crash_after, disk_changes, kill_during, wal_frames

N = 5000
#: Tables whose contents a seed must decide (project_info and scenario carry timestamps/user).
SEEDED = ("rep", "territory", "unit", "account", "contact", "opportunity", "activity",
          "assignment", "pin")  # fmt: skip


def _build(path: Path, seed: int = 0) -> Path:
    create_demo(path, accounts=N, seed=seed).close()
    return path


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("demo") / "demo.tplan")


def _rows(path: Path, table: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as con:
        return con.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3").fetchall()


def _query(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as con:
        return con.execute(sql).fetchall()


def test_same_seed_same_tables_other_seed_other_accounts(demo: Path, tmp_path: Path) -> None:
    again = _build(tmp_path / "again.tplan", seed=0)
    for table in SEEDED:
        assert _rows(again, table) == _rows(demo, table), table
    other = _build(tmp_path / "other.tplan", seed=1)
    assert _rows(other, "account") != _rows(demo, "account")


def test_opens_as_a_project_with_name_currency_and_credit(demo: Path) -> None:
    with Project.open(demo) as project:
        info = project.info()
        assert info["name"] == "Demo — Southeast US"
        assert info["currency"] == "USD"
        assert "GeoNames, geonames.org" in info["data_credit"]


def test_units_are_the_southeast_counties(demo: Path) -> None:
    units = _query(demo, "SELECT code, name, area_km2, population, rep_lon, rep_lat FROM unit")
    assert len(units) >= 600
    names = {u[1] for u in units}
    assert {"Fulton County, GA", "Miami-Dade County, FL", "Shelby County, TN"} <= names
    fulton = next(u for u in units if u[0] == "13121")
    assert 1300 < fulton[2] < 1500  # km², Census: 1,386 km² land + water
    assert fulton[3] > 500_000
    assert all(u[2] > 0 for u in units)


def test_every_account_lies_inside_its_county(demo: Path) -> None:
    units = dict(_query(demo, "SELECT id, geometry FROM unit"))
    acc = _query(demo, "SELECT unit_id, lon, lat, location_source FROM account")
    assert len(acc) == N
    assert {a[3] for a in acc} == {"exact"}
    polys = shapely.from_wkb([units[a[0]] for a in acc])
    lon = np.array([a[1] for a in acc])
    lat = np.array([a[2] for a in acc])
    assert shapely.contains_xy(polys, lon, lat).all()


def test_accounts_follow_population(demo: Path) -> None:
    """Dense counties get many accounts: the demo looks like the real Southeast."""
    per = dict(_query(demo, "SELECT u.code, COUNT(*) FROM account a JOIN unit u "
                            "ON u.id = a.unit_id GROUP BY u.code"))  # fmt: skip
    biggest = sorted(per, key=per.__getitem__, reverse=True)[:10]
    assert "12086" in biggest  # Miami-Dade
    assert "13121" in biggest  # Fulton (Atlanta)


def test_reps_have_home_bases_and_managers(demo: Path) -> None:
    field = _query(
        demo,
        "SELECT r.name, r.home_lon, r.home_lat, r.manager_id, r.email, r.skills "
        "FROM rep r JOIN territory t ON t.rep_id = r.id WHERE t.level = 'territory'",
    )
    assert 30 <= len(field) <= 50
    assert all(f[1] is not None and f[2] is not None for f in field)
    assert all(f[3] is not None for f in field)
    assert len({f[0] for f in field}) == len(field)
    managers = _query(demo, "SELECT DISTINCT manager_id FROM rep WHERE manager_id IS NOT NULL")
    assert 4 <= len(managers) <= 10  # district managers (~1 per 8 reps) and regional VPs


def test_territory_hierarchy_and_colours(demo: Path) -> None:
    terr = _query(demo, "SELECT id, name, colour, level, parent_id FROM territory")
    by_level = {
        lvl: [t for t in terr if t[3] == lvl] for lvl in ("territory", "district", "region")
    }
    assert len(by_level["region"]) == 2
    assert 4 <= len(by_level["district"]) <= 6
    district_ids = {t[0] for t in by_level["district"]}
    assert all(t[4] in district_ids for t in by_level["territory"])
    assert all(t[2].startswith("#") and len(t[2]) == 7 for t in terr)


def _adjacency(path: Path) -> tuple[sparse.csr_matrix, dict[int, int]]:
    """Queen adjacency of the project's units, built here with shapely (independent check)."""
    units = _query(path, "SELECT id, geometry FROM unit ORDER BY id")
    geoms = shapely.from_wkb([u[1] for u in units])
    a, b = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = a != b
    m = sparse.csr_matrix((np.ones(keep.sum()), (a[keep], b[keep])), shape=(len(units),) * 2)
    return m, {u[0]: i for i, u in enumerate(units)}


def test_every_unit_assigned_and_territories_contiguous(demo: Path) -> None:
    m, index = _adjacency(demo)
    rows = _query(
        demo,
        "SELECT a.atom_id, a.territory_id FROM assignment a JOIN scenario s "
        "ON s.id = a.scenario_id WHERE s.is_baseline AND a.atom_kind = 'unit'",
    )
    assert len(rows) == len(index)
    assert all(t is not None for _, t in rows)
    terr = np.empty(len(index), dtype=np.int64)
    for unit_id, t in rows:
        terr[index[unit_id]] = t
    levels = dict(_query(demo, "SELECT id, level FROM territory"))
    assert {levels[t] for t in terr} == {"territory"}
    for t in np.unique(terr):
        idx = np.flatnonzero(terr == t)
        n, _ = connected_components(m[idx][:, idx], directed=False)
        assert n == 1, f"territory {t} is in {n} pieces"


def test_starting_plan_is_imbalanced_like_a_legacy_plan(demo: Path) -> None:
    """Not all equal (there is work to do), not absurd either."""
    pot = np.array([p for (p,) in _query(
        demo,
        "SELECT SUM(ac.potential) FROM account ac JOIN assignment a ON a.atom_id = ac.unit_id "
        "AND a.atom_kind = 'unit' GROUP BY a.territory_id",
    )])  # fmt: skip
    dev = np.median(np.abs(pot / pot.mean() - 1))
    assert 0.05 < dev < 0.5


def test_pins_hold_key_accounts_for_another_territory(demo: Path) -> None:
    pins = _query(
        demo,
        "SELECT p.territory_id, a.territory_id, ac.owner, r.name FROM pin p "
        "JOIN account ac ON ac.id = p.account_id "
        "JOIN assignment a ON a.atom_id = ac.unit_id AND a.atom_kind = 'unit' "
        "AND a.scenario_id = p.scenario_id "
        "JOIN territory t ON t.id = p.territory_id JOIN rep r ON r.id = t.rep_id",
    )
    assert 5 <= len(pins) <= 15
    assert all(pin_t != geo_t and owner == rep for pin_t, geo_t, owner, rep in pins)


def test_names_exercise_escaping_and_cjk(demo: Path) -> None:
    names = [n for (n,) in _query(demo, "SELECT name FROM account")]
    assert any("<" in n and "&" in n for n in names)
    assert any("'" in n or '"' in n for n in names)
    cjk = [n for n in names if n.endswith(("有限公司", "株式会社"))]
    assert 0.01 * N < len(cjk) < 0.06 * N


def test_account_fields_look_like_a_crm_export(demo: Path) -> None:
    acc = _query(demo, "SELECT state, postal_code, segment, status, potential, revenue, "
                       "industry, owner FROM account")  # fmt: skip
    assert {a[0] for a in acc} <= {"AL", "FL", "GA", "MS", "NC", "SC", "TN"}
    assert all(len(a[1]) == 5 and a[1].isdigit() for a in acc)
    assert {a[2] for a in acc} == {"Enterprise", "Mid-market", "SMB"}
    assert {a[3] for a in acc} == {"customer", "prospect", "partner"}
    assert all(a[5] == 0 for a in acc if a[3] == "prospect")
    assert all(0 < a[5] <= a[4] for a in acc if a[3] == "customer")
    assert 10 <= len({a[6] for a in acc}) <= 15
    reps = {n for (n,) in _query(demo, "SELECT name FROM rep")}
    assert {a[7] for a in acc} <= reps


def test_contacts_opportunities_activities_are_linked(demo: Path) -> None:
    per_acc = dict(_query(demo, "SELECT account_id, COUNT(*) FROM contact GROUP BY 1"))
    assert len(per_acc) == N
    assert set(per_acc.values()) <= {1, 2, 3, 4}
    no_dm = _query(
        demo,
        "SELECT a.id FROM account a WHERE a.status = 'customer' AND NOT EXISTS "
        "(SELECT 1 FROM contact c WHERE c.account_id = a.id AND c.decision_maker)",
    )
    assert no_dm == []
    with_opp = _query(demo, "SELECT COUNT(DISTINCT account_id) FROM opportunity")[0][0]
    assert 0.25 * N < with_opp < 0.45 * N
    stages = {s for (s,) in _query(demo, "SELECT DISTINCT stage FROM opportunity")}
    assert {"Prospecting", "Closed Won", "Closed Lost"} <= stages
    closed_open = _query(demo, "SELECT COUNT(*) FROM opportunity WHERE stage LIKE 'Closed%' "
                               "AND is_open")  # fmt: skip
    assert closed_open == [(0,)]
    acts = _query(demo, "SELECT MAX(n) FROM (SELECT COUNT(*) n FROM activity GROUP BY account_id)")
    assert acts[0][0] <= 8
    orphans = _query(
        demo,
        "SELECT COUNT(*) FROM activity v LEFT JOIN account a ON a.id = v.account_id "
        "WHERE a.id IS NULL OR v.by <> a.owner",
    )
    assert orphans == [(0,)]


def test_refuses_to_overwrite_and_bad_region(demo: Path, tmp_path: Path) -> None:
    with pytest.raises(ProjectFileError):
        create_demo(demo, accounts=10)
    with pytest.raises(PlannerError, match="region"):
        create_demo(tmp_path / "x.tplan", accounts=10, region="mars")
    assert not (tmp_path / "x.tplan").exists()


# -- issue 13, item 12: --overwrite builds beside the old project, then renames ------------------
def _tables(path: Path) -> dict[str, list[tuple[object, ...]]]:
    return {t: _rows(path, t) for t in SEEDED}


def test_a_kill_during_overwrite_leaves_the_old_project(demo: Path, tmp_path: Path) -> None:
    """Kills at random moments of `demo --overwrite`: the old project is still there, whole,
    until the new one is complete (the old code deleted it first: an empty project)."""
    target = tmp_path / "mine.tplan"
    new = create_demo(tmp_path / "new.tplan", accounts=2000, seed=5)
    new.close()
    shutil.copy(demo, target)
    old = _tables(target)
    rng = random.Random(12)
    landed = 0
    for _ in range(8):
        writing = disk_changes(tmp_path, target)  # kill once the build reaches the disk
        work = lambda: create_demo(target, accounts=2000, seed=5, overwrite=True)  # noqa: E731
        landed += kill_during(work, rng, (0.0, 0.3), ready=writing)
        assert _integrity(target) == "ok"
        now = _tables(target)
        assert now == old or now == _tables(tmp_path / "new.tplan")  # old, or new and whole
        if now != old:
            shutil.copy(demo, target)
    assert landed >= 4


def test_overwrite_replaces_a_project_left_with_a_wal(demo: Path, tmp_path: Path) -> None:
    """The old project crashed with commits in its -wal: the new demo must not inherit them."""
    target = tmp_path / "crashed.tplan"
    shutil.copy(demo, target)

    def crash_write() -> None:
        p = Project.open(target)
        with p.transaction() as s:
            s.execute(text("DELETE FROM activity"))

    crash_after(crash_write)
    assert wal_frames(target) > 0
    create_demo(target, accounts=N, overwrite=True).close()
    assert _integrity(target) == "ok"
    assert _tables(target) == _tables(demo)
    assert not list(tmp_path.glob(".*.partial*"))


def _integrity(path: Path) -> str:
    with sqlite3.connect(path) as con:
        return str(con.execute("PRAGMA integrity_check").fetchone()[0])
