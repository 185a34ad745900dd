"""A small map for page tests: a 4 x 4 grid of 0.5° squares in Kansas, two territories.

Unit id = 10 * row + col (row 0 at the south). Rows 0-1 belong to territory SOUTH (id 2), rows
2-3 to NORTH (id 1). ``live_grid`` names territory ids (the page's live model colours them),
``colour_grid`` the older form with a territory name and an explicit colour per unit.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor

from tests.ui import real_input as ri

WEST, SOUTH, STEP = -99.0, 38.0, 0.5
NORTH_ID, SOUTH_ID = 1, 2
RED, BLUE, GREEN = "#ff0000", "#0000ff", "#00c000"
TERRITORIES = [
    {"id": NORTH_ID, "name": "North", "colour": BLUE, "locked": False},
    {"id": SOUTH_ID, "name": "South", "colour": RED, "locked": False},
]
UNITS = [10 * row + col for row in range(4) for col in range(4)]


def _features(props: Any) -> dict[str, Any]:
    features = []
    for uid in UNITS:
        row, col = divmod(uid, 10)
        x, y = WEST + col * STEP, SOUTH + row * STEP
        ring = [[x, y], [x + STEP, y], [x + STEP, y + STEP], [x, y + STEP], [x, y]]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": props(uid, row),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def colour_grid(colour: str = BLUE, names: dict[int, str] | None = None) -> dict[str, Any]:
    """Units with a territory *name* and an explicit colour (the older form)."""
    return _features(
        lambda uid, row: {
            "id": uid,
            "code": f"U{uid:02d}",
            "name": (names or {}).get(uid, f"Unit {uid}"),
            "territory": "North" if row >= 2 else "South",
            "colour": colour,
        }
    )


def live_grid(names: dict[int, str] | None = None) -> dict[str, Any]:
    """Units naming their territory by id: the page's live model fills and names them."""
    return _features(
        lambda uid, row: {
            "id": uid,
            "code": f"U{uid:02d}",
            "name": (names or {}).get(uid, f"Unit {uid}"),
            "territory": NORTH_ID if row >= 2 else SOUTH_ID,
        }
    )


def centre(uid: int) -> tuple[float, float]:
    """(lat, lon) of a grid unit's centre."""
    row, col = divmod(uid, 10)
    return SOUTH + (row + 0.5) * STEP, WEST + (col + 0.5) * STEP


def point(view: Any, uid: int) -> QPoint:
    """The map pixel of a unit's centre."""
    return ri.container_point(view, *centre(uid))


def show(qtbot: Any, view: Any, fc: dict[str, Any], *, territories: bool = True) -> None:
    """Push (territories and) units, fit the grid, wait until the units are painted."""
    if territories:
        view.set_territories(TERRITORIES)
    with qtbot.waitSignal(view.bridge.rendered, timeout=10_000, check_params_cb="units".__eq__):
        view.set_units(fc)
    view.fit_bounds(SOUTH, WEST, SOUTH + 4 * STEP, WEST + 4 * STEP)
    assert ri.js(view, "TP.state().units") == 16
    ri.wait_until(
        lambda: any(looks(pixel(view, 0), c) for c in ("red", "blue", "green")),
        what="units painted",
    )


def pixel(view: Any, uid: int) -> QColor:
    """The colour on screen a little below a unit's centre (a tooltip opens above the mouse)."""
    return view.grab().toImage().pixelColor(point(view, uid) + QPoint(0, 20))


def looks(colour: QColor, name: str) -> bool:
    """A unit's fill is blended over the basemap: compare which channel dominates."""
    r, g, b = colour.red(), colour.green(), colour.blue()
    return {
        "red": r > b + 80 and r > g + 80,
        "blue": b > r + 80 and b > g + 80,
        "green": g > r + 60 and g > b + 60,
    }[name]
