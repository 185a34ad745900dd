"""Where an imported account is: its own coordinates, corrected or dropped, else its US ZIP.

Coordinates from CRM exports are often swapped (lat/lon columns exchanged), out of range or
placeholders such as (0, 0). :func:`fix_coordinates` corrects what can be corrected with a
warning per row and drops the rest (NaN); :func:`zip_fallback` then places accounts without
coordinates at the centroid of their US ZIP code (offline ``zipcodes`` table). An account is
never dropped for lacking a location: it is kept *unlocated*.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from planner.model.io import _columns as cols
from planner.model.io.report import ImportReport
from planner.model.point_grid import PointGrid

_US = {"", "us", "usa", "unitedstates", "unitedstatesofamerica", "美国"}
_ZIP = re.compile(r"^(\d{5})(?:-?\d{4})?$")


@dataclass
class Placed:
    """Coordinates of a chunk after :func:`fix_coordinates` and the unit index of each (-1:
    none), with the whole-file decision ``swap_all`` (None while no row had coordinates)."""

    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    unit: NDArray[np.int64]
    swap_all: bool | None
    located: int  # rows with usable coordinates before correction


def fix_coordinates(
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    rows: NDArray[np.int64],
    units: PointGrid,
    report: ImportReport,
    swap_all: bool | None = None,
) -> Placed:
    """Coordinates after correcting swaps and dropping impossible values (NaN = none).

    - Whole columns swapped (most rows have |lat| > 90 but a valid swap, or, with units, the
      swapped points fall in units and the originals do not): all rows swapped, one warning.
      A streamed file decides this on its first chunk with coordinates and passes the
      decision (``swap_all``) on to the next chunks, which warn no more.
    - One row out of range whose swap is valid (and, with units, lands in a unit): swapped,
      warned. Also an in-range row outside every unit whose swap lands in one (units only).
    - Otherwise out of range, only one of the pair, or (0, 0) (a CRM placeholder): dropped,
      warned; the account falls back to its ZIP.

    Each point is placed in the units once as given and once swapped (swapped US points fall
    outside every unit's box, so that costs little); the tests above and the final unit of
    each row are read from those two placements.
    """
    lon, lat = lon.astype(float).copy(), lat.astype(float).copy()
    has = np.isfinite(lon) & np.isfinite(lat)
    for i in np.flatnonzero(np.isfinite(lon) ^ np.isfinite(lat)):
        report.warn(int(rows[i]), "lat/lon", "only one coordinate given; placed by ZIP if any")
    zero = has & (lon == 0) & (lat == 0)
    for i in np.flatnonzero(zero):
        report.warn(int(rows[i]), "lat/lon", "coordinate (0, 0) is a placeholder; ignored")
    has &= ~zero
    lon[~has], lat[~has] = np.nan, np.nan
    n = int(has.sum())
    unit = np.full(len(lon), -1, dtype=np.int64)
    if n == 0:
        return Placed(lon, lat, unit, swap_all, 0)
    as_given = units.place(lon, lat)
    swapped = units.place(lat, lon)
    swap_valid = has & (np.abs(lon) <= 90) & (np.abs(lat) <= 180)
    if swap_all is None:
        flipped = int((has & (np.abs(lat) > 90) & swap_valid).sum())
        swap_all = flipped > n / 2
        if not swap_all and len(units.polys):
            inside = int((as_given >= 0).sum())
            inside_swapped = int((swapped >= 0).sum())
            swap_all = inside_swapped > n / 2 and inside_swapped > 2 * inside
        if swap_all:
            report.warn(
                None,
                "lat/lon",
                f"latitude and longitude columns look swapped in {n} "
                "located row(s); corrected for all rows",
            )
    if swap_all:
        lon, lat = lat, lon
        as_given, swapped = swapped, as_given
        swap_valid = has & (np.abs(lon) <= 90) & (np.abs(lat) <= 180)
    bad = has & ((np.abs(lat) > 90) | (np.abs(lon) > 180))
    # with units: a swap that lands in one where the point as given does not
    swap = swap_valid & (swapped >= 0) & (as_given < 0) if len(units.polys) else bad & swap_valid
    for i in np.flatnonzero(swap):
        report.warn(
            int(rows[i]), "lat/lon", f"lat/lon swapped, corrected (lat {lon[i]:g}, lon {lat[i]:g})"
        )
    lon[swap], lat[swap] = lat[swap], lon[swap]
    drop = bad & ~swap
    for i in np.flatnonzero(drop):
        report.warn(
            int(rows[i]),
            "lat/lon",
            f"coordinate out of range (lat {lat[i]:g}, "
            f"lon {lon[i]:g}); dropped, placed by ZIP if any",
        )
    lon[drop], lat[drop] = np.nan, np.nan
    unit = np.where(swap, swapped, as_given)
    unit[drop] = -1
    return Placed(lon, lat, unit, swap_all, n)


@functools.cache
def _zip_table() -> dict[str, tuple[float, float]]:
    """US ZIP -> (lon, lat) from the offline ``zipcodes`` package (loaded once, ~1 s)."""
    import zipcodes

    return {z["zip_code"]: (float(z["long"]), float(z["lat"])) for z in zipcodes.list_all()}


def zip_fallback(
    data: dict[str, Any],
    lon: np.ndarray,
    lat: np.ndarray,
    source: np.ndarray,
    rows: np.ndarray,
    from_xlsx: bool,
    report: ImportReport,
) -> None:
    """Place accounts without coordinates at their US ZIP's centroid (in place).

    Only for a US (or blank) country, so a German PLZ is never read as a US ZIP. Excel stores
    ZIPs as numbers and drops leading zeros, so a 3-4 digit code from XLSX is zero-padded.
    """
    codes, countries = data["postal_code"], data["country"]  # lists of text
    todo = np.flatnonzero(source == "unlocated")
    todo = todo[[codes[i] != "" for i in todo]] if len(todo) else todo
    if not len(todo):
        return
    table = _zip_table()
    for i in todo:
        code, country = codes[i], cols.norm(countries[i])
        if country not in _US:
            continue
        if from_xlsx and code.isdigit() and 3 <= len(code) <= 4:
            code = code.zfill(5)
        m = _ZIP.match(code)
        hit = table.get(m.group(1)) if m else None
        if hit is None:
            if m:
                report.warn(
                    int(rows[i]),
                    "postal_code",
                    f"ZIP '{code}' is not in the US ZIP table; account kept unlocated",
                )
            continue
        lon[i], lat[i] = hit
        source[i] = "zip"
