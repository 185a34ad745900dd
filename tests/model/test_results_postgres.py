"""Results and the written plan on a real PostgreSQL server (team mode)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from planner.model import territory_plan as tp
from planner.model.errors import PlannerError
from planner.model.plan import Plan
from planner.model.results import Results
from planner.model.store import Project
from tests.model.pg import create_database
from tests.model.results_project import AS_OF, build
from tests.model.test_team_postgres import pg_server  # noqa: F401 - the server fixture

pytestmark = pytest.mark.postgres


@pytest.fixture
def team(pg_server: str) -> tuple[str, dict[str, Any]]:  # noqa: F811 - the imported fixture
    url = create_database(pg_server, f"tp_{uuid.uuid4().hex[:10]}")
    p, ids = build(url)  # type: ignore[arg-type]
    p.close()
    return url, ids


def test_results_on_postgres_match_the_hand_computed_values(team: Any) -> None:
    url, _ = team
    with Project.open(url) as p:
        t1 = next(r for r in Results.of_plan(Plan.load(p), as_of=AS_OF).rows() if r["name"] == "T1")
    assert (t1["bookings"], t1["expected"], t1["prior_ytd"]) == (3000, 4500, 2000)
    assert t1["win_rate"] == pytest.approx(2 / 3)
    assert t1["visited"] == 1


def test_two_planners_cannot_overwrite_each_others_plan(team: Any) -> None:
    url, ids = team
    t1 = ids["tid"]["T1"]
    with Project.open(url) as ana, Project.open(url) as ben:
        seen_by_ben = tp.current(ben, t1).revision
        tp.save(ana, t1, {"swot": {"strengths": ["ana's"]}}, expected=0, user="ana")
        with pytest.raises(PlannerError, match="changed by ana"):
            tp.save(ben, t1, {"swot": {"strengths": ["ben's"]}}, expected=seen_by_ben, user="ben")
        assert tp.current(ben, t1).content["swot"]["strengths"] == ["ana's"]
