"""ZIP-level planning without a ZIP polygon file: US ZIP codes as point units at their centroids.

``planner import-units P --us-zips 30301,30302,...`` (a list) or ``--us-zips zips.csv`` (a
CSV/XLSX with a ZIP column; its other columns are read as for any point units: name,
population, numeric columns kept as metrics). Each ZIP is placed at its centroid from the
bundled table (``resources/data/us_zip_centroids.csv.gz``, built by
``scripts/build_zip_centroids.py``; GeoNames coordinates, CC BY 4.0) and imported by the point
importer (display cells, Delaunay graph). A ZIP the table does not know refuses the import,
naming every such ZIP; nothing is imported.

ZIP cells of a spreadsheet often lost their leading zeros (``2134`` for ``02134``): 3 and 4
digit codes are padded, and ZIP+4 codes (``30301-1234``) use their first five digits. Several
ZIPs can share a location (PO Box ZIPs at their post office): each later one is set 30 m
further east, with a warning, so every ZIP keeps a cell of its own.
"""

from __future__ import annotations

import csv
import functools
import gzip
import io
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from planner.model.io._geofiles import find_column, require_column
from planner.model.io._messages import quote
from planner.model.io._tabular import Table, read_table
from planner.model.io.report import ImportReport
from planner.model.io.unit_points import import_point_table
from planner.model.io.units import NAME_FIELDS
from planner.model.planar import DEFAULT_MAX_EDGE
from planner.model.resources import resources_dir
from planner.model.store import Project

ZIP_FILE = "us_zip_centroids.csv.gz"
#: Headers a ZIP column goes by (matched case-insensitively, in this order).
ZIP_FIELDS = ("zip", "zipcode", "zip_code", "zip code", "postal_code", "postal code", "postcode")
#: The coordinate columns added to the table (not taken as metrics).
LON, LAT = "ZIP lon", "ZIP lat"
#: Metres between ZIPs that share a centroid.
NUDGE_M = 30.0
_FILE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm")


@functools.cache
def zip_centroids() -> dict[str, tuple[float, float]]:
    """ZIP -> (lon, lat) of the bundled table (read once, ~0.1 s)."""
    raw = gzip.decompress((resources_dir() / "data" / ZIP_FILE).read_bytes()).decode("utf-8")
    reader = csv.reader(io.StringIO(raw))
    next(reader)
    return {z: (float(x), float(y)) for z, x, y in reader}


def normalise(raw: str) -> str | None:
    """The five-digit ZIP of a cell (see module doc), or None if it is not one."""
    text = raw.strip()
    match = re.fullmatch(r"(\d{3,5})(?:[- ]\d{4})?", text)
    if match is None:
        return None
    return match.group(1).zfill(5)


def is_zip_list(spec: str) -> bool:
    """``--us-zips`` names codes (``30301,30302``) rather than a file."""
    return not (spec.lower().endswith(_FILE_SUFFIXES) or Path(spec).is_file())


def import_us_zips(
    project: Project,
    spec: str,
    *,
    code_field: str | None = None,
    name_field: str | None = None,
    boundary: Path | None = None,
    max_edge: float = DEFAULT_MAX_EDGE,
    skip_invalid: bool = False,
) -> ImportReport:
    """Import the ZIPs of ``spec`` (a comma-separated list or a CSV/XLSX path) as point units."""
    if is_zip_list(spec):
        report = ImportReport(kind="units", file="--us-zips list")
        codes = [c for c in re.split(r"[,;\s]+", spec) if c]
        if not codes:
            raise report.refuse("--us-zips names no ZIP code")
        table = Table({"zip": codes}, pd.Series(np.arange(1, len(codes) + 1)), "list")
        report.read = len(codes)
        column = "zip"
    else:
        path = Path(spec)
        report = ImportReport(kind="units", file=path.name)
        table = read_table(path, report)
        if code_field:
            column = require_column(path.name, table.frame, code_field, report, "ZIP")
        else:
            found = find_column(table.frame, ZIP_FIELDS)
            if found is None:
                raise report.refuse(
                    f"{path.name}: no ZIP column (one of {', '.join(ZIP_FIELDS)}, or name it "
                    "with --code-field); nothing imported"
                )
            column = found
    _place(table, column, report)
    if name_field is None and find_column(table.frame, NAME_FIELDS) is None:
        table.columns["name"] = [f"ZIP {z}" for z in table.columns[column]]
    table.__dict__.pop("frame", None)  # the columns changed: rebuild the frame
    return import_point_table(
        project, table, report, x=LON, y=LAT, crs="EPSG:4326", code_field=column,
        name_field=name_field, boundary=boundary, max_edge=max_edge, skip_invalid=skip_invalid,
    )  # fmt: skip


def _place(table: Table, column: str, report: ImportReport) -> None:
    """Normalise the ZIP column and add its centroid columns; refuse unknown ZIPs by name."""
    known = zip_centroids()
    rows = table.rows.tolist()
    cells = table.columns[column]
    codes, unknown, bad = [], [], []
    for row, raw in zip(rows, cells, strict=True):
        code = normalise(raw)
        if code is None:
            if raw.strip():
                bad.append(f"row {row}: {quote(raw)}")
            codes.append(raw.strip())
        else:
            codes.append(code)
            if code not in known:
                unknown.append(code)
    if bad:
        raise report.refuse(f"{report.file}: not a US ZIP code: {_listed(bad)}; nothing imported")
    if unknown:
        raise report.refuse(
            f"{report.file}: unknown US ZIP code(s) {_listed(sorted(set(unknown)))} (not in the "
            "bundled ZIP centroids); nothing imported"
        )
    table.columns[column] = codes
    lon, lat = [], []
    first_at: dict[tuple[float, float], list[str]] = {}
    for code in codes:
        x, y = known.get(code, (math.nan, math.nan))
        sharing = first_at.setdefault((x, y), []) if code in known else []
        if sharing and code not in sharing:
            report.warn(None, column, f"ZIP {code} shares its centroid with ZIP {sharing[0]}; "
                        f"placed {NUDGE_M * len(sharing):.0f} m east of it")  # fmt: skip
            x += NUDGE_M * len(sharing) / (111_320.0 * math.cos(math.radians(y)))
        if code in known and code not in sharing:
            sharing.append(code)
        lon.append(repr(x))
        lat.append(repr(y))
    table.columns[LON], table.columns[LAT] = lon, lat


def _listed(items: list[str], most: int = 20) -> str:
    more = len(items) - most
    return ", ".join(items[:most]) + (f" and {more} more" if more > 0 else "")
