"""Import the unit layer (ZIP areas, counties, districts) from a polygon file.

Units are upserted by code, then every located account is re-placed into the new units in the
same transaction, so ``Account.unit_id`` never points at a stale layer. Nothing is written when
the import is refused (see :mod:`planner.model.io.report` for the policy).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from sqlalchemy import delete, insert, select, update

from planner.model._persist import log_data_change
from planner.model.geo import area_km2, place_points
from planner.model.io._geofiles import find_column, read_polygons, require_column, text_values
from planner.model.io._limits import MAX_ATTRIBUTE, MAX_POPULATION
from planner.model.io._messages import quote
from planner.model.io._rowchecks import RowChecks
from planner.model.io.report import ImportReport
from planner.model.schema import Account, ProjectInfo, Unit
from planner.model.store import Project
from planner.model.users import current_user

#: Auto-detected code columns, most specific first (Census GEOIDs, ZCTAs, postcodes, ids).
CODE_FIELDS = (
    "GEOID",
    "GEOID10",
    "GEOID20",
    "CODE",
    "ZIP",
    "ZIPCODE",
    "ZCTA5CE10",
    "ZCTA5CE20",
    "ZCTA5",
    "POSTCODE",
    "POSTAL_CODE",
    "PLZ",
    "FIPS",
    "ID",
)
NAME_FIELDS = ("NAME", "NAMELSAD", "NAME10", "NAME20", "LABEL", "TITLE")
POPULATION_FIELDS = ("POP", "POPULATION", "POP_TOTAL", "TOTPOP", "POP2020", "POP2010", "EINWOHNER")


def import_units(
    project: Project,
    path: Path,
    *,
    crs: str | None = None,
    code_field: str | None = None,
    name_field: str | None = None,
    skip_invalid: bool = False,
) -> ImportReport:
    """Import units from GeoJSON/GPKG/SHP/zipped SHP into ``project``; all or nothing.

    ``crs`` is the coordinate system of files that do not state one (it overrides the file's
    own). The code and name columns are detected when not given; without a code column the
    feature number is the code. Invalid polygons are repaired (counted in ``repaired``),
    empty geometries and duplicate codes are rejected. Existing units with the same code are
    updated (``updated``), and every located account is re-placed; accounts outside every
    unit are counted in ``outside_units``.
    """
    path = Path(path)
    report = ImportReport(kind="units", file=path.name)
    layer = read_polygons(path, report, crs)
    table = layer.table
    name = path.name

    code_col = (
        require_column(name, table, code_field, report, "code")
        if code_field
        else find_column(table, CODE_FIELDS)
    )
    name_col = (
        require_column(name, table, name_field, report, "name")
        if name_field
        else find_column(table, NAME_FIELDS)
    )
    pop_col = find_column(table, POPULATION_FIELDS)
    if code_col is None:
        codes = [str(r) for r in layer.rows]
        report.warn(None, "code", "no code column found; units are coded by feature number")
    else:
        codes = text_values(table[code_col])
    names = text_values(table[name_col]) if name_col else [""] * len(table)

    keep = report.reject_missing_and_repeated(
        codes, layer.rows, code_col or "code", "missing code",
        lambda code, first: f"duplicate code {quote(code)} (also row {first})",
    )  # fmt: skip
    check = RowChecks(report, layer.rows, keep)
    check.too_long("code", codes, Unit, label=code_col or "code")
    check.too_long("name", names, Unit, label=name_col or "name")
    population = _population(table, pop_col, check)
    attributes = _numeric_attributes(table, {code_col, name_col}, check)
    report.rejected.sort(key=lambda r: r.row or 0)
    report.check_rejections(skip_invalid)

    keep = check.ok
    geoms = layer.geometry[keep]
    codes = [c for c, k in zip(codes, keep, strict=True) if k]
    names = [n for n, k in zip(names, keep, strict=True) if k]
    population = population[keep]
    attributes = [a for a, k in zip(attributes, keep, strict=True) if k]
    if len(geoms) == 0:
        raise report.refuse(f"{name}: no valid units to import")
    reps = shapely.point_on_surface(geoms)
    rep_x, rep_y = shapely.get_x(reps), shapely.get_y(reps)
    areas = area_km2(geoms)
    wkb = shapely.to_wkb(geoms)

    rows: list[dict[str, Any]] = [
        {
            "code": codes[i],
            "name": names[i],
            "geometry": bytes(wkb[i]),
            "rep_lon": float(rep_x[i]),
            "rep_lat": float(rep_y[i]),
            "area_km2": float(areas[i]),
            "population": float(population[i]),
            "attributes": attributes[i],
        }
        for i in range(len(codes))
    ]
    write_units(project, rows, report, path.name)
    return report


def write_units(
    project: Project,
    rows: list[dict[str, Any]],
    report: ImportReport,
    source: str,
    *,
    point_graph: dict[str, Any] | None = None,
) -> None:
    """Upsert unit rows by code and re-place every account, in one transaction (shared by the
    polygon and the point importers). ``point_graph``: the units are points, their derived
    graph is Delaunay with these settings (recorded; a polygon import clears it)."""
    from planner.model.unit_graph import POINT_UNITS_KEY

    with project.transaction() as s:
        s.execute(delete(ProjectInfo).where(ProjectInfo.key == POINT_UNITS_KEY))
        if point_graph is not None:
            s.add(ProjectInfo(key=POINT_UNITS_KEY, value=json.dumps(point_graph)))
        existing = dict(s.execute(select(Unit.code, Unit.id)).all())
        new = [r for r in rows if r["code"] not in existing]
        changed = [{"id": existing[r["code"]], **r} for r in rows if r["code"] in existing]
        if new:
            s.execute(insert(Unit), new)
        if changed:
            s.execute(update(Unit), changed)
        report.imported = len(new)
        report.updated = len(changed)
        report.outside_units = replace_accounts(s)
        log_data_change(s, current_user(), "import-units", f"import units from {source}")


def replace_accounts(session: Any) -> int:
    """Re-place every located account into the project's units; returns how many are outside.

    Runs inside the caller's transaction. Accounts without coordinates keep ``unit_id`` NULL.
    """
    units = session.execute(select(Unit.id, Unit.geometry)).all()
    accounts = session.execute(
        select(Account.id, Account.lon, Account.lat).where(
            Account.lon.is_not(None), Account.lat.is_not(None)
        )
    ).all()
    if not accounts:
        return 0
    unit_ids = np.array([u[0] for u in units], dtype=np.int64)
    polys = shapely.from_wkb([u[1] for u in units]) if units else np.array([], dtype=object)
    acc = np.array([(a[1], a[2]) for a in accounts], dtype=np.float64)
    where = place_points(acc[:, 0], acc[:, 1], polys)
    updates = [
        {"id": a[0], "unit_id": int(unit_ids[w]) if w >= 0 else None}
        for a, w in zip(accounts, where.tolist(), strict=True)
    ]
    session.execute(update(Account), updates)
    return int((where < 0).sum())


def _population(table: pd.DataFrame, column: str | None, check: RowChecks) -> NDArray[np.float64]:
    """Population per feature: blank is 0; text is 0 with a warning; impossible numbers (negative,
    above the world's, infinite) reject the row."""
    if column is None:
        return np.zeros(len(table))
    raw = table[column].tolist()
    values: NDArray[np.float64] = pd.to_numeric(table[column], errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    for i in np.flatnonzero(np.isnan(values) & check.ok):
        if raw[i] is not None and str(raw[i]).strip() and str(raw[i]).lower() != "nan":
            check.report.warn(
                int(check.rows[i]), column, f"{quote(raw[i])} is not a number; taken as 0"
            )
    check.out_of_range(column, values, raw, 0.0, MAX_POPULATION)
    return np.nan_to_num(values, nan=0.0)


def _numeric_attributes(
    table: pd.DataFrame, exclude: set[str | None], check: RowChecks
) -> list[dict[str, float]]:
    """Numeric columns per feature (land area, income...) for balance metrics; missing values
    are left out, infinite or absurd ones reject the row (they would poison every total)."""
    cols = [
        c
        for c in table.columns
        if c not in exclude
        and pd.api.types.is_numeric_dtype(table[c])
        and not pd.api.types.is_bool_dtype(table[c])
    ]
    out: list[dict[str, float]] = [{} for _ in range(len(table))]
    for c in cols:
        values = table[c].to_numpy(dtype=np.float64, na_value=np.nan)
        check.out_of_range(str(c), values, values.tolist(), -MAX_ATTRIBUTE, MAX_ATTRIBUTE)
        for i, v in enumerate(values.tolist()):
            if v == v:  # not NaN
                out[i][str(c)] = v
    return out
