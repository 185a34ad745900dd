"""A territory polygon file (e.g. a GeoPackage exported and edited in QGIS) as a new scenario.

The GIS round trip of issue 18: ``planner export --format gpkg`` writes the territories first,
a GIS user reshapes them, and the file comes back as a scenario to compare and publish, never
over the plan in force. The scenario is a copy of the baseline (or of ``based_on``), so
territories keep their identity by name (same ids, reps, colours: the impact compares them
one to one), and the file is applied by the ordinary polygon import
(:func:`~planner.model.io.territories.import_territories`): one undoable step, refused when it
would leave units without a territory unless ``mode`` says otherwise.

Creating the scenario and importing are two transactions (as auto-balance's result is); when the
import is refused or fails, the new scenario is deleted again, so a refused import leaves the
project's content as it was.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from planner.model.io.report import ImportReport
from planner.model.io.territories import import_territories
from planner.model.scenario_rows import resolve
from planner.model.scenarios import create_scenario, delete_scenario
from planner.model.schema import Pin
from planner.model.store import Project


def import_as_scenario(
    project: Project,
    path: Path,
    name: str,
    *,
    based_on: int | str | None = None,
    skip_invalid: bool = False,
    mode: str = "check",
) -> ImportReport:
    """Create scenario ``name`` from ``based_on`` (default: the baseline) and import the
    territory file ``path`` into it as its first step; returns the import's report."""
    path = Path(path)
    with project.session() as s:
        source = resolve(s, based_on)
        source_name = source.name
        count = select(func.count()).select_from(Pin).where(Pin.scenario_id == source.id)
        pins = int(s.scalar(count) or 0)
    sid = create_scenario(project, name, based_on=source.id,
                          description=f"territories imported from {path.name}")  # fmt: skip
    try:
        report = import_territories(project, path, scenario_id=sid, skip_invalid=skip_invalid,
                                    mode=mode)  # fmt: skip
    except BaseException:
        delete_scenario(project, sid)
        raise
    report.extra.update({"scenario": name, "created_from": source_name})
    if pins and mode != "update":
        report.warn(None, "pins", f"the {pins} pinned account(s) of '{source_name}' are not "
                    f"pinned in '{name}': a polygon file carries no pins")  # fmt: skip
    return report
