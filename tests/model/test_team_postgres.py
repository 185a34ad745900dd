"""Team mode on a real PostgreSQL server: same schema, shared edits, no silent overwrite."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from planner.model import moves
from planner.model.plan import Plan, StaleScenario
from planner.model.schema import Account, Rep, Territory
from planner.model.store import Project, current_revision, head_revision
from planner.model.synthetic import grid_project
from tests.clirun import one_error_line, run, run_process
from tests.model.pg import create_database, postgres_server
from tests.model.test_balance import assert_matches_reference

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg_server() -> Iterator[str]:
    try:
        with postgres_server() as url:
            yield url
    except RuntimeError as err:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(err))


@pytest.fixture
def team_url(pg_server: str) -> str:
    url = create_database(pg_server, f"tp_{uuid.uuid4().hex[:10]}")
    grid_project(url, pins=2).close()
    return url


def test_project_on_postgres_has_the_same_schema_and_balance(team_url: str) -> None:
    with Project.open(team_url) as project:
        assert project.engine.dialect.name == "postgresql"
        assert current_revision(project.engine) == head_revision()
        assert_matches_reference(Plan.load(project))


def test_an_edit_by_one_planner_is_seen_by_another(team_url: str) -> None:
    ana = Plan.load(Project.open(team_url))
    ana.apply(moves.for_units(ana, np.array([0, 1]), 2))
    ben = Plan.load(Project.open(team_url))
    np.testing.assert_array_equal(ben.alignment, ana.alignment)
    assert [h["label"] for h in ben.history()] == ["paint 2 unit(s) to T3"]


def test_stale_write_fails_and_names_who_changed_it(team_url: str) -> None:
    ana = Plan.load(Project.open(team_url))
    ben = Plan.load(Project.open(team_url))
    ana.user = "ana"
    ana.apply(moves.for_units(ana, np.array([0]), 2))
    with pytest.raises(StaleScenario, match=r"changed by ana at .*paint 1 unit\(s\) to T3"):
        ben.apply(moves.for_units(ben, np.array([5]), 2))
    fresh = Plan.load(Project.open(team_url))
    assert fresh.alignment[5] == ana.alignment[5]  # ben's refused edit never landed


# -- issue 13, item 7: team mode through the command line ---------------------------------------
@pytest.fixture
def empty_url(pg_server: str) -> str:
    return create_database(pg_server, f"tp_{uuid.uuid4().hex[:10]}")


def _units_geojson(path: Path) -> Path:
    feats = [
        {"type": "Feature", "properties": {"GEOID": f"U{r}{c}", "NAME": f"Unit {r}{c}"},
         "geometry": {"type": "Polygon", "coordinates": [[[c, r], [c + 1, r], [c + 1, r + 1],
                                                           [c, r + 1], [c, r]]]}}
        for r in range(2) for c in range(3)
    ]  # fmt: skip
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return path


def test_team_project_end_to_end_through_the_cli(empty_url, tmp_path, capsys) -> None:
    """new, imports, assign, balance, scenario, impact, export and handover on a database URL
    (the URL used to be collapsed into a file path: "no such project file")."""
    url = empty_url
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("id,name,lon,lat,potential,revenue,owner\n" + "".join(
        f"A{i},=Acme {i},{0.5 + i % 3},{0.5 + (i // 3) % 2},{1000 * (i + 1)},{100 * i},R{i % 2}\n"
        for i in range(12)), encoding="utf-8")  # fmt: skip
    plan = tmp_path / "plan.csv"
    plan.write_text("unit_code,territory\nU00,West\nU01,West\nU02,East\n"
                    "U10,West\nU11,East\nU12,East\n")  # fmt: skip

    def ok(*argv: object) -> str:
        code, out, err = run(capsys, *argv)
        assert code == 0, (argv, err)
        return out

    ok("new", url, "--name", "Team")
    ok("import-units", url, _units_geojson(tmp_path / "units.geojson"), "--code-field", "GEOID",
       "--name-field", "NAME")  # fmt: skip
    ok("import-accounts", url, accounts)
    ok("import-territories", url, plan)
    assert [t["name"] for t in json.loads(ok("territories", url, "--json"))["territories"]] == [
        "West", "East"]  # fmt: skip
    ok("assign", url, "--units", "U02", "--to", "West")
    balance = json.loads(ok("balance", url, "--json"))
    assert sum(t["accounts"] for t in balance["territories"]) == 12
    ok("scenario", url, "create", "North")
    ok("assign", url, "--units", "U10", "--to", "East", "--scenario", "North")
    impact = json.loads(ok("impact", url, "--scenario", "North", "--json"))
    assert impact["summary"]["accounts_moved"] == 2
    out = tmp_path / "plan.xlsx"
    ok("export", url, "--format", "xlsx", out)
    ok("export", url, "--format", "csv", tmp_path / "plan.csv.out")
    handover = json.loads(ok("handover", url, "--scenario", "North", "--csv",
                             tmp_path / "tasks.csv", "--json"))  # fmt: skip
    # The plan's territories have no reps: nobody to hand over to, and the output says so.
    assert handover["packets"] == []
    assert len(handover["without_rep"]) == 2
    # GIS round trip and CRM owner changes (issue 18) on the database too.
    gpkg = tmp_path / "north.gpkg"
    ok("export", url, "--format", "gpkg", gpkg, "--scenario", "North")
    ok("import-territories", url, gpkg, "--scenario", "Back", "--create-scenario")
    back = json.loads(ok("impact", url, "--scenario", "Back", "--against", "North", "--json"))
    assert back["summary"]["accounts_moved"] == 0
    owners = json.loads(ok("crm-update", url, "--scenario", "North", "--format", "generic",
                           "--out", tmp_path / "owners.csv", "--json"))  # fmt: skip
    assert owners["rows"] == 2
    assert len(owners["missing"]) == 2  # the territories have no reps
    ok("scenario", url, "publish", "North", "--effective", "2027-01-04")
    assert json.loads(ok("impact", url, "--scenario", "North", "--json"))["summary"][
        "accounts_moved"] == 0  # fmt: skip
    code, _, err = run(capsys, "new", url)  # a database holding a project is never reset
    assert code == 1
    one_error_line(err, "already holds a Territory Planner project")


def test_a_demo_on_postgres_leaves_ids_ready_for_new_rows(empty_url, capsys) -> None:
    """The demo writes explicit ids; PostgreSQL's sequences must follow, or the first new
    territory, rep or account failed with UniqueViolation."""
    code, _, err = run(capsys, "demo", empty_url, "--accounts", "300")
    assert code == 0, err
    with Project.open(empty_url) as p, p.transaction() as s:
        rep = Rep(name="New rep")
        s.add(rep)
        s.flush()
        s.add(Territory(name="New territory", colour="#123456", rep_id=rep.id))
        s.add(Account(external_id="NEW1", name="New account", lon=-84.4, lat=33.7))
    with Project.open(empty_url) as p, p.session() as s:
        new = s.scalars(select(Territory).where(Territory.name == "New territory")).one()
        assert s.scalar(select(Rep.name).where(Rep.id == new.rep_id)) == "New rep"
    code, _, err = run(capsys, "scenario", empty_url, "create", "Next")
    assert code == 0, err


@pytest.mark.webengine
def test_the_window_opens_a_database_url(team_url, tmp_path) -> None:
    shot = tmp_path / "team.png"
    proc = run_process(team_url, "--snapshot", shot, "--size", "800x600")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert shot.read_bytes().startswith(b"\x89PNG")
