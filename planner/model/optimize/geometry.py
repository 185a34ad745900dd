"""Distances the search prices: travel minutes from anchors, planar coordinates for dispersion.

Both the balance phase (travel from a rep's home base is part of workload) and the dispersion
phase and its report (distances to a territory's centre) need them, so they live below both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from planner.model.planar import planar_xy_of

if TYPE_CHECKING:
    from planner.model.optimize.inputs import OptimizeInputs


def travel_matrix(
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    alon: NDArray[np.float64],
    alat: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Round-trip minutes per visit from every anchor to every unit (``units x K``)."""
    from planner.model.balance import travel_minutes_per_visit

    return travel_minutes_per_visit(lon[:, None], lat[:, None], alon[None, :], alat[None, :])


def planar_xy(inp: OptimizeInputs) -> NDArray[np.float64]:
    """Planar coordinates for distances: ``inp.xy``, else :func:`planar_xy_of` lon/lat."""
    if inp.xy is not None:
        return np.asarray(inp.xy, dtype=np.float64)
    return planar_xy_of(inp.lon, inp.lat)
