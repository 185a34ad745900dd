"""Opening a project for the window, as a generator yielding Progress (cancellable)."""

from __future__ import annotations

from collections.abc import Generator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from planner.model import atom_cache, mapdata_grid
from planner.model.atoms import AtomData, load_atoms, load_unit_geometries
from planner.model.errors import PlannerError
from planner.model.mapdata import display_geometries, geometry_json
from planner.model.plan import Plan
from planner.model.progress import Progress
from planner.model.store import Project
from planner.model.strings import StringColumn

#: How the display polygons and their text are made and kept (2: an invalid coverage is cleaned
#: first; 3: the map's GeoJSON text kept too, both groups as 'data'); a cache made another way is
#: made again.
DISPLAY_VERSION = 3
#: A project fingerprint a cache is kept for (:attr:`AtomData.stamp`), or None: the tables now.
Stamp = dict[str, Any] | None


@dataclass(frozen=True, eq=False)
class LoadedProject:
    plan: Plan
    #: The unit polygons at full detail, or None when not read yet: the map is drawn from the
    #: display form; only some gestures need these (``MapWorkspace.unit_geometries``).
    geometries: np.ndarray | None
    display: np.ndarray
    #: The map's GeoJSON text of each display polygon (:func:`display_json_of`).
    display_json: list[str] | None = None


def load_project(
    path: Path | str, scenario: str | int | None = None
) -> Generator[Progress, None, LoadedProject]:
    """Open, read the atom matrix and the scenario, and prepare display geometry."""
    yield Progress(0.0, "Opening project…")
    project = Project.open(path)
    try:
        yield Progress(0.1, "Reading units and accounts…")
        atoms = load_atoms(project, keep_cache=True)  # opened again, it reads as a memory copy
        # The map's drawing order of the accounts is read meanwhile (mostly SQLite's blob
        # reads, which let the plan's numpy go on): the map's first call waited for it.
        with ThreadPoolExecutor(1) as pool:
            ahead = pool.submit(mapdata_grid.prefetch, project, atoms.account_lon, atoms.stamp)
            yield Progress(0.5, "Reading the scenario…")
            plan = _load_plan(project, scenario, atoms)
            yield Progress(0.6, "Preparing the map…")
            stamp = plan.atoms.stamp  # the caches below are kept for the atoms' data
            display = cached_display(project, plan.atoms.n_units, stamp)
            geoms = None
            if display is None:
                geoms = load_unit_geometries(project)
                display = display_of(project, geoms, stamp)
            display_json = display_json_of(project, display, stamp)
            ahead.result()
    except BaseException:
        project.close()
        raise
    yield Progress(1.0, "Done")
    return LoadedProject(plan, geoms, display, display_json)


def display_of(project: Project, geoms: np.ndarray, stamp: Stamp = None) -> np.ndarray:
    """Unit polygons simplified for the map, from the project's cache when it is current
    (coverage_simplify cost 0.6 s of every open of the 100k demo, and of every report map).
    ``stamp``: the fingerprint of the data the caller holds (:attr:`AtomData.stamp`), which
    the cache must have been kept for; None: the tables as they are now."""
    if not len(geoms):
        return geoms
    cached = cached_display(project, len(geoms), stamp)
    if cached is not None:
        return cached
    display = display_geometries(geoms, len(geoms))
    wkb = StringColumn.from_bytes([shapely.to_wkb(g) for g in display])
    _keep(project, "display", wkb, stamp)
    return display


def cached_display(project: Project, n: int, stamp: Stamp = None) -> np.ndarray | None:
    """The ``n`` display polygons kept in the project, if current; else None. Without the
    full-detail polygons: at 41k ZIP areas reading those cost 0.1-0.3 s of the open that the
    map did not need."""
    if not n:
        return np.zeros(0, dtype=object)
    wkb = _cached(project, "display", n, stamp)
    if wkb is None:
        return None
    return np.asarray(shapely.from_wkb([wkb.raw(i) for i in range(len(wkb))]), dtype=object)


def display_json_of(project: Project, display: np.ndarray, stamp: Stamp = None) -> list[str]:
    """``geometry_json`` of the display polygons, from the project's cache when current (the
    rounding and GeoJSON writing of 41,000 ZIP areas cost ~0.3 s of every open; the text is
    what the page is sent as it is)."""
    if not len(display):
        return []
    cached = _cached(project, "displayjson", len(display), stamp)
    if cached is not None:
        text: list[str] = np.asarray(cached).tolist()  # StringColumn's ASCII fast path
        return text
    text = geometry_json(display)
    _keep(project, "displayjson", StringColumn.from_strings(text), stamp)
    return text


def _cached(project: Project, group: str, n: int, stamp: Stamp) -> StringColumn | None:
    """The ``n`` entries kept as ``group`` if current: the data fingerprint (atom_cache), the
    count and :data:`DISPLAY_VERSION` all match; else None."""
    cached = atom_cache.read(project, group, stamp=stamp)
    if (
        cached is not None
        and len(cached["offsets"]) == n + 1
        and cached.get("version") is not None
        and int(cached["version"][0]) == DISPLAY_VERSION
    ):
        return StringColumn(cached["data"], cached["offsets"])
    return None


def _keep(project: Project, group: str, column: StringColumn, stamp: Stamp) -> None:
    version = np.array([DISPLAY_VERSION], dtype=np.int64)
    atom_cache.write(
        project,
        {"data": column.data, "offsets": column.offsets, "version": version},
        group,
        stamp=stamp,
    )


def _load_plan(project: Project, scenario: str | int | None, atoms: AtomData) -> Plan:
    """The asked scenario; without one, the scenario last worked on (or the baseline)."""
    if scenario is None:
        last = project.info().get("active_scenario", "")
        if last.isdigit():
            try:
                return Plan.load(project, int(last), atoms=atoms)
            except PlannerError:
                pass  # deleted since: fall back to the baseline
    return Plan.load(project, scenario, atoms=atoms)
