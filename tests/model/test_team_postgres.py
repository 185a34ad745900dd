"""Team mode on a real PostgreSQL server: same schema, shared edits, no silent overwrite."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import numpy as np
import pytest

from planner.model import moves
from planner.model.plan import Plan, StaleScenario
from planner.model.store import Project, current_revision, head_revision
from planner.model.synthetic import grid_project
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
