"""Finding a scenario row by id, name or "the baseline" (one lookup, one error message).

Its own module so the plan, impact and handover code can resolve scenarios without importing
the scenario operations (publish needs the impact, the impact needs to resolve: no loop).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from planner.model.errors import PlannerError
from planner.model.schema import Scenario
from planner.model.store import Project


def resolve(s: Session, scenario: int | str | None) -> Scenario:
    """The scenario row for an id, a name, or None (the baseline); a clear error otherwise."""
    if scenario is None:
        row = s.scalar(select(Scenario).where(Scenario.is_baseline.is_(True)))
    elif isinstance(scenario, int):
        row = s.get(Scenario, scenario)
    else:
        row = s.scalar(select(Scenario).where(Scenario.name == scenario))
    if row is None:
        names = ", ".join(s.scalars(select(Scenario.name).order_by(Scenario.id)))
        raise PlannerError(f"no scenario '{scenario}' (scenarios: {names})")
    return row


def scenario_id(project: Project, scenario: int | str | None) -> int:
    """Database id of a scenario given as id, name or None (baseline)."""
    with project.session() as s:
        return resolve(s, scenario).id
