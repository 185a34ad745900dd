"""Shared reader of polygon files (GeoJSON, GeoPackage, Shapefile, zipped Shapefile).

Every failure a user can cause (empty file, junk, truncated JSON, points instead of polygons, no
CRS with projected coordinates) becomes one clear :class:`ImportRefused` naming the file, never
a traceback. Geometry is repaired with ``make_valid`` (polygonal parts kept) and reprojected to
EPSG:4326, the one CRS inside the model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from pyproj import CRS
from pyproj.exceptions import CRSError, ProjError

from planner.model.io._limits import MAX_GEO_PART_BYTES, check_zip_parts
from planner.model.io._messages import captured_warnings, name_list, one_line, quote
from planner.model.io.report import ImportReport

POLYGON_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip")
_POLYGONAL = {"Polygon", "MultiPolygon"}


@dataclass
class PolygonLayer:
    """Attributes and EPSG:4326 geometry of the usable features of a file.

    ``rows`` are the 1-based feature numbers (what the report calls rows); features rejected
    for empty or unrepairable geometry are already dropped and listed in the report.
    """

    table: pd.DataFrame
    geometry: NDArray[np.object_]
    rows: NDArray[np.int64]


def read_polygons(path: Path, report: ImportReport, crs: str | None = None) -> PolygonLayer:
    """Read, validate, repair and reproject a polygon file; refuse with a clear message.

    GDAL's and shapely's warnings while doing so become report warnings (one line each), not
    text on stderr before our message.
    """
    name = path.name
    if not path.is_file():
        raise report.refuse(f"{name}: no such file")
    if path.stat().st_size == 0:
        raise report.refuse(f"{name}: the file is empty")
    if path.suffix.lower() not in POLYGON_SUFFIXES:
        raise report.refuse(
            f"{name}: unsupported file type {quote(path.suffix)} "
            "(use GeoJSON, GeoPackage, Shapefile or a zipped Shapefile)"
        )
    if path.suffix.lower() == ".zip":
        check_zip_parts(name, path, report, MAX_GEO_PART_BYTES)
    with captured_warnings(report, "geometry"):
        try:
            gdf = gpd.read_file(path, engine="pyogrio")
        except Exception as exc:  # pyogrio/GDAL raise many types for junk input
            raise report.refuse(
                f"{name}: cannot be read as a GeoJSON, GeoPackage or Shapefile "
                f"(damaged, truncated or not a geometry file): {one_line(exc)}"
            ) from None
        if len(gdf) == 0:
            raise report.refuse(f"{name}: the file has no features")
        report.read = len(gdf)
        geoms = np.asarray(gdf.geometry.values, dtype=object)
        rows = np.arange(1, len(gdf) + 1, dtype=np.int64)
        finite = _reject_coordinates(
            geoms,
            rows,
            report,
            lambda x, y: np.isfinite(x) & np.isfinite(y),
            "is not a finite number (NaN or infinity)",
        )
        geoms[~finite] = None
        _refuse_non_polygons(name, geoms, report)
        source_crs = _source_crs(name, gdf, geoms, report, crs)
        geoms, keep = _repair(geoms, rows, report, already_rejected=~finite)
        if source_crs != CRS.from_epsg(4326):
            geoms = _to_lonlat(name, geoms, source_crs, report)
        keep &= _reject_coordinates(
            geoms,
            rows,
            report,
            _lonlat,
            "is outside longitude -180..180 / latitude -90..90 (wrong CRS?)",
            skip=~keep,
        )
    table = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).reset_index(drop=True)
    table.columns = _one_line_names(table.columns)
    return PolygonLayer(table[keep].reset_index(drop=True), geoms[keep], rows[keep])


def _to_lonlat(
    name: str, geoms: NDArray[np.object_], source: CRS, report: ImportReport
) -> NDArray[np.object_]:
    """Geometry reprojected to EPSG:4326; a CRS that cannot be (another planet's) refuses."""
    try:
        return np.asarray(gpd.GeoSeries(geoms, crs=source).to_crs(4326).values, dtype=object)
    except (ProjError, CRSError) as exc:
        raise report.refuse(
            f"{name}: its coordinate system {quote(source.name, 60)} cannot be converted to "
            f"longitude/latitude ({one_line(exc, 120)}); give the right one with --crs EPSG:NNNN"
        ) from None


def _one_line_names(columns: pd.Index) -> list[str]:
    """Property names on one line (they appear in messages), still unique."""
    out: list[str] = []
    for c in columns:
        name = one_line(c, 100) or "column"
        while name in out:
            name += "_"
        out.append(name)
    return out


def _lonlat(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.bool_]:
    return (np.abs(x) <= 180.0) & (np.abs(y) <= 90.0)


def _reject_coordinates(
    geoms: NDArray[np.object_],
    rows: NDArray[np.int64],
    report: ImportReport,
    valid: Callable[[np.ndarray, np.ndarray], np.ndarray],
    reason: str,
    skip: NDArray[np.bool_] | None = None,
) -> NDArray[np.bool_]:
    """Mask of features whose every coordinate passes ``valid``; the others are rejected,
    naming their first bad coordinate (a NaN makes GEOS fail, 1e308 overflows the area)."""
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    with np.errstate(invalid="ignore"):
        bad_coord = ~valid(coords[:, 0], coords[:, 1])
    ok = np.ones(len(geoms), dtype=bool)
    for k in np.flatnonzero(bad_coord):
        i = int(index[k])
        if ok[i] and (skip is None or not skip[i]):
            x, y = coords[k]
            report.reject(int(rows[i]), "geometry", f"coordinate ({x:g}, {y:g}) {reason}")
        ok[i] = False
    return ok


def _refuse_non_polygons(name: str, geoms: NDArray[np.object_], report: ImportReport) -> None:
    types = set(np.unique(shapely.get_type_id(geoms)).tolist())
    named = {0: "points", 4: "points", 1: "lines", 2: "lines", 5: "lines", 7: "mixed collections"}
    bad = sorted({named[t] for t in types if t in named})
    if bad:
        raise report.refuse(
            f"{name}: contains {' and '.join(bad)}, not polygons; "
            "units and territories must be areas (polygons or multipolygons)"
        )


def _source_crs(
    name: str,
    gdf: gpd.GeoDataFrame,
    geoms: NDArray[np.object_],
    report: ImportReport,
    crs: str | None,
) -> CRS:
    if crs:
        try:
            return CRS.from_user_input(crs)
        except CRSError as exc:
            raise report.refuse(f"{name}: unknown CRS '{crs}' (give it as EPSG:NNNN)") from exc
    if gdf.crs is not None:
        return CRS.from_user_input(gdf.crs)
    bounds = shapely.total_bounds(geoms)
    if np.all(np.isfinite(bounds)) and (
        abs(bounds[[0, 2]]).max() <= 180 and abs(bounds[[1, 3]]).max() <= 90
    ):
        report.warn(
            None,
            "crs",
            "the file does not state its coordinate system; the coordinates look like "
            "longitude/latitude, so EPSG:4326 was assumed (give --crs EPSG:NNNN if wrong)",
        )
        return CRS.from_epsg(4326)
    raise report.refuse(
        f"{name}: the file does not state its coordinate system and its coordinates look "
        "projected (not longitude/latitude); give the CRS with --crs EPSG:NNNN"
    )


def _repair(
    geoms: NDArray[np.object_],
    rows: NDArray[np.int64],
    report: ImportReport,
    already_rejected: NDArray[np.bool_],
) -> tuple[NDArray[np.object_], NDArray[np.bool_]]:
    """make_valid invalid polygons keeping polygonal parts; reject empty/null geometry."""
    geoms = geoms.copy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    invalid = ~missing & ~shapely.is_valid(geoms)
    report_missing = missing & ~already_rejected
    for i in np.flatnonzero(invalid):
        reason = shapely.is_valid_reason(geoms[i])
        fixed = _polygonal(shapely.make_valid(geoms[i]))
        if fixed is None:
            report.reject(int(rows[i]), "geometry", f"invalid polygon ({reason}) has no area")
            missing[i] = True
            continue
        geoms[i] = fixed
        report.repaired += 1
        report.warn(int(rows[i]), "geometry", f"invalid polygon repaired ({reason})")
    for i in np.flatnonzero(report_missing):
        report.reject(int(rows[i]), "geometry", "empty or missing geometry")
    return geoms, ~missing


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry | None:
    parts = shapely.get_parts(geom)
    polys: list[shapely.Geometry] = [
        p for p in parts if p.geom_type in _POLYGONAL and not p.is_empty
    ]
    if not polys:
        return None
    if len(polys) == 1:
        return polys[0]
    return shapely.union_all(polys)


# -- column detection -----------------------------------------------------------------------


def find_column(table: pd.DataFrame, candidates: tuple[str, ...]) -> str | None:
    """First column whose name matches a candidate, case-insensitively, in candidate order."""
    by_lower = {str(c).lower(): str(c) for c in table.columns}
    for cand in candidates:
        if cand.lower() in by_lower:
            return by_lower[cand.lower()]
    return None


def require_column(
    name: str, table: pd.DataFrame, given: str | None, report: ImportReport, what: str
) -> str:
    """The column the user named, matched case-insensitively, or a refusal listing columns."""
    found = find_column(table, (given,)) if given else None
    if found is None:
        raise report.refuse(
            f"{name}: no column {quote(given)} for the {what} (columns: {name_list(table.columns)})"
        )
    return found


def text_values(series: pd.Series) -> list[str]:
    """Cell values as clean text: integers without '.0', missing as ''."""
    out: list[str] = []
    for v in series.tolist():
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out.append("")
        elif isinstance(v, float) and v.is_integer():
            out.append(str(int(v)))
        else:
            out.append(str(v).strip())
    return out
