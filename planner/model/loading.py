"""Opening a project for the window, as a generator yielding Progress (cancellable)."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from planner.model.atoms import load_atoms, load_unit_geometries
from planner.model.mapdata import display_geometries
from planner.model.plan import Plan
from planner.model.progress import Progress
from planner.model.store import Project


@dataclass(frozen=True, eq=False)
class LoadedProject:
    plan: Plan
    geometries: np.ndarray
    display: np.ndarray


def load_project(
    path: Path | str, scenario: str | int | None = None
) -> Generator[Progress, None, LoadedProject]:
    """Open, read the atom matrix and the scenario, and prepare display geometry."""
    yield Progress(0.0, "Opening project…")
    project = Project.open(path)
    try:
        yield Progress(0.1, "Reading units and accounts…")
        atoms = load_atoms(project)
        yield Progress(0.5, "Reading the scenario…")
        plan = Plan.load(project, scenario, atoms=atoms)
        yield Progress(0.6, "Preparing the map…")
        geoms = load_unit_geometries(project)
        display = display_geometries(geoms, len(geoms)) if len(geoms) else geoms
    except BaseException:
        project.close()
        raise
    yield Progress(1.0, "Done")
    return LoadedProject(plan, geoms, display)
