"""Import units that are points (city blocks, stores, ZIP centroids) from a CSV/XLSX table.

``planner import-units P units.csv --x x --y y [--crs EPSG:3857] [--boundary area.gpkg]``.
Each row is a unit at (x, y): its code, name, population and every other numeric column (kept
as the unit's attributes, so they can be balanced). The map, the lasso and paint need an area
per unit, so each point gets a display cell: its Voronoi cell, clipped to the boundary file
when given, else to the points' convex hull buffered by twice the median spacing. The cells
tile that area without overlaps and each point lies inside its own cell; the point itself is
the unit's representative point (what accounts and distances use). Their graph, unless one is
given, is the Delaunay graph of the points without its long edges (:mod:`planner.model.planar`).
All or nothing, like every importer (see :mod:`planner.model.io.report`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from planner.model.geo import area_km2
from planner.model.io._geofiles import find_column, read_polygons, require_column
from planner.model.io._limits import MAX_ATTRIBUTE, MAX_POPULATION
from planner.model.io._messages import quote
from planner.model.io._rowchecks import RowChecks
from planner.model.io._tabular import Table, read_table
from planner.model.io.report import ImportReport
from planner.model.io.units import CODE_FIELDS, NAME_FIELDS, POPULATION_FIELDS, write_units
from planner.model.planar import DEFAULT_MAX_EDGE
from planner.model.schema import Unit
from planner.model.store import Project


def import_unit_points(
    project: Project,
    path: Path,
    *,
    x: str,
    y: str,
    crs: str | None = None,
    code_field: str | None = None,
    name_field: str | None = None,
    boundary: Path | None = None,
    max_edge: float = DEFAULT_MAX_EDGE,
    skip_invalid: bool = False,
) -> ImportReport:
    """Import point units from ``path``; the display cells are built here (see module doc).
    ``max_edge``: their derived graph drops Delaunay edges longer than this many median edge
    lengths (:mod:`planner.model.planar`)."""
    path = Path(path)
    report = ImportReport(kind="units", file=path.name)
    table = read_table(path, report)
    return import_point_table(
        project, table, report, x=x, y=y, crs=crs, code_field=code_field,
        name_field=name_field, boundary=boundary, max_edge=max_edge, skip_invalid=skip_invalid,
    )  # fmt: skip


def import_point_table(
    project: Project,
    table: Table,
    report: ImportReport,
    *,
    x: str,
    y: str,
    crs: str | None = None,
    code_field: str | None = None,
    name_field: str | None = None,
    boundary: Path | None = None,
    max_edge: float = DEFAULT_MAX_EDGE,
    skip_invalid: bool = False,
) -> ImportReport:
    """:func:`import_unit_points` of a table already read (or built: ``--us-zips``), named
    ``report.file`` in messages."""
    frame, name = table.frame, report.file
    xcol = require_column(name, frame, x, report, "x coordinate")
    ycol = require_column(name, frame, y, report, "y coordinate")
    code_col = (require_column(name, frame, code_field, report, "code") if code_field
                else find_column(frame, CODE_FIELDS))  # fmt: skip
    name_col = (require_column(name, frame, name_field, report, "name") if name_field
                else find_column(frame, NAME_FIELDS))  # fmt: skip
    rows = table.rows.to_numpy()
    codes = ([str(v).strip() for v in frame[code_col]] if code_col
             else [str(r) for r in rows])  # fmt: skip
    names = [str(v).strip() for v in frame[name_col]] if name_col else [""] * len(frame)
    keep = report.reject_missing_and_repeated(
        codes, rows, code_col or "code", "missing code",
        lambda code, first: f"duplicate code {quote(code)} (also row {first})",
    )  # fmt: skip
    check = RowChecks(report, rows, keep)
    check.too_long("code", codes, Unit, label=code_col or "code")
    check.too_long("name", names, Unit, label=name_col or "name")
    xs, ys = _number(frame, xcol, check), _number(frame, ycol, check)
    pop_col = find_column(frame, POPULATION_FIELDS)
    skip = {xcol, ycol, code_col, name_col, pop_col}
    population = np.nan_to_num(_number(frame, pop_col, check, blank_ok=True)) if pop_col else None
    if population is not None:
        check.out_of_range(str(pop_col), population, population.tolist(), 0.0, MAX_POPULATION)
    attributes = _attributes(frame, skip, check)
    _reject_repeated_points(xs, ys, check)
    report.check_rejections(skip_invalid)
    ok = check.ok
    if not ok.any():
        raise report.refuse(f"{name}: no valid units to import")
    src = _crs(name, xs[ok], ys[ok], crs, report)
    work = src if src.is_projected else CRS.from_epsg(3857)
    to_work = Transformer.from_crs(src, work, always_xy=True)
    px, py = to_work.transform(xs[ok], ys[ok])
    points = shapely.points(px, py)
    extent = _extent(points, boundary, work, report)
    inside = shapely.contains(extent, points) | shapely.touches(extent, points)
    if not inside.all():
        first = int(rows[np.flatnonzero(ok)[np.flatnonzero(~inside)[0]]])
        raise report.refuse(f"{name}: row {first}: the point lies outside the boundary; "
                            "nothing imported")  # fmt: skip
    cells = display_cells(points, extent)
    back = Transformer.from_crs(work, CRS.from_epsg(4326), always_xy=True)
    cells = shapely.transform(cells, lambda c: np.column_stack(back.transform(c[:, 0], c[:, 1])))
    lon, lat = back.transform(px, py)
    wkb = shapely.to_wkb(cells)
    areas = area_km2(cells)
    idx = np.flatnonzero(ok)
    out: list[dict[str, Any]] = [
        {"code": codes[i], "name": names[i], "geometry": bytes(wkb[j]),
         "rep_lon": float(lon[j]), "rep_lat": float(lat[j]), "area_km2": float(areas[j]),
         "population": float(population[i]) if population is not None else 0.0,
         "attributes": attributes[i]}
        for j, i in enumerate(idx.tolist())
    ]  # fmt: skip
    report.extra["display_cells"] = "boundary" if boundary else "buffered hull"
    write_units(project, out, report, name, point_graph={"max_edge": max_edge})
    return report


def display_cells(points: NDArray[np.object_], extent: shapely.Geometry) -> NDArray[np.object_]:
    """Voronoi cell of each point (same order), clipped to ``extent``."""
    if len(points) == 1:
        return np.array([extent], dtype=object)
    diagram = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=extent,
                                       ordered=True)  # fmt: skip
    cells = np.asarray(shapely.get_parts(diagram), dtype=object)
    cells = shapely.make_valid(shapely.intersection(cells, extent))
    return np.asarray(cells, dtype=object)


def _extent(
    points: NDArray[np.object_], boundary: Path | None, work: CRS, report: ImportReport
) -> shapely.Geometry:
    if boundary is not None:
        layer = read_polygons(Path(boundary), ImportReport(kind="units", file=Path(boundary).name))
        to_work = Transformer.from_crs(CRS.from_epsg(4326), work, always_xy=True)
        area = shapely.union_all(layer.geometry)
        moved: shapely.Geometry = shapely.transform(
            area, lambda c: np.column_stack(to_work.transform(c[:, 0], c[:, 1]))
        )
        return moved
    if len(points) == 1:
        one: shapely.Geometry = shapely.buffer(points[0], 1000.0 if work.is_projected else 0.01)
        return one
    tree = shapely.STRtree(points)
    _, dist = tree.query_nearest(points, exclusive=True, return_distance=True)
    spacing = float(np.median(dist)) if len(dist) else 1.0
    hull = shapely.convex_hull(shapely.multipoints(points))
    return cast("shapely.Geometry", shapely.buffer(hull, 2 * spacing))


def _number(
    frame: pd.DataFrame, col: str | None, check: RowChecks, *, blank_ok: bool = False
) -> NDArray[np.float64]:
    raw = frame[col].tolist()
    values = pd.to_numeric(frame[col].str.strip(), errors="coerce").to_numpy(dtype=np.float64)
    blank = np.array([not str(v).strip() for v in raw], dtype=bool)
    bad = ~np.isfinite(values) & ~(blank & blank_ok)
    check.reject(bad, str(col), lambda i: f"{quote(raw[i])} is not a number")
    return values


def _attributes(
    frame: pd.DataFrame, skip: set[str | None], check: RowChecks
) -> list[dict[str, float]]:
    """Every other column whose non-blank cells are all numbers (blank cells left out)."""
    out: list[dict[str, float]] = [{} for _ in range(len(frame))]
    for col in frame.columns:
        if col in skip:
            continue
        cells = frame[col].astype(str).str.strip()
        values = pd.to_numeric(cells, errors="coerce").to_numpy(dtype=np.float64)
        filled = cells != ""
        if not filled.any() or np.isnan(values[filled.to_numpy()]).any():
            continue  # text column (or empty): not a metric
        check.out_of_range(str(col), values, cells.tolist(), -MAX_ATTRIBUTE, MAX_ATTRIBUTE)
        for i in np.flatnonzero(filled.to_numpy()).tolist():
            out[i][str(col)] = float(values[i])
    return out


def _reject_repeated_points(
    xs: NDArray[np.float64], ys: NDArray[np.float64], check: RowChecks
) -> None:
    first: dict[tuple[float, float], int] = {}
    dup = np.zeros(len(xs), dtype=bool)
    for i in np.flatnonzero(check.ok).tolist():
        key = (float(xs[i]), float(ys[i]))
        if key in first:
            dup[i] = True
        else:
            first[key] = int(check.rows[i])
    check.reject(dup, "x", lambda i: f"same location as row {first[(float(xs[i]), float(ys[i]))]}")


def _crs(
    name: str, xs: NDArray[np.float64], ys: NDArray[np.float64], crs: str | None,
    report: ImportReport,
) -> CRS:  # fmt: skip
    if crs:
        try:
            return CRS.from_user_input(crs)
        except CRSError:
            raise report.refuse(
                f"{name}: unknown CRS {quote(crs)} (give it as EPSG:NNNN)"
            ) from None
    if np.abs(xs).max() <= 180 and np.abs(ys).max() <= 90:
        report.warn(None, "crs", "no --crs given; the coordinates look like longitude/latitude, "
                                 "so EPSG:4326 was assumed")  # fmt: skip
        return CRS.from_epsg(4326)
    raise report.refuse(f"{name}: the coordinates look projected (not longitude/latitude); "
                        "give their CRS with --crs EPSG:NNNN")  # fmt: skip
