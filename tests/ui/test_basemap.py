"""The offline world basemap in the real web view: coastlines and neighbouring countries appear
for a project anywhere, the finer levels load by zoom from our own files, nothing else loads.

Pixels are read from ``view.grab()``: the basemap's colours (land, coastline, country border,
ocean) are distinct, so counting them tells what the map shows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtGui import QImage

from planner.ui.map_capture import stable_grab
from tests.ui.pixels import BORDER, COAST, LAND, OCEAN, count

JS = Callable[[str], Any]


def show(
    qtbot: Any, view: Any, js: JS, south: float, west: float, north: float, east: float
) -> QImage:
    """Fit the map to a box, wait until the basemap level for that zoom is drawn, grab it."""
    view.fit_bounds(south, west, north, east)
    js("1")  # runs the batched fitBounds first

    def drawn() -> bool:
        state = js("TP.basemapState()")
        return state["level"] == state["wanted"] and state["drawn"] and not state["loading"]

    qtbot.waitUntil(drawn, timeout=15_000)
    js("TP.notifyPainted('test')")
    return stable_grab(view)  # the frame the compositor settles on


def test_a_tokyo_view_shows_land_sea_and_the_detailed_coastline(
    qtbot: Any, map_view: Any, js: JS, tmp_path: Any
) -> None:
    image = show(qtbot, map_view, js, 35.2, 139.2, 36.0, 140.3)  # Tokyo Bay
    assert js("TP.basemapState()")["level"] == "10m"
    total = image.width() * image.height()
    assert count(image, LAND) > 0.2 * total
    assert count(image, OCEAN) > 0.1 * total  # the bay and the Pacific
    assert count(image, COAST, tol=24) > 400  # the 1:10m coastline drawn between them
    image.save(str(tmp_path / "tokyo.png"))  # to look at when it fails


def test_a_china_view_shows_neighbouring_country_borders(qtbot: Any, map_view: Any,
                                                         js: JS) -> None:  # fmt: skip
    image = show(qtbot, map_view, js, 18.0, 95.0, 45.0, 128.0)
    # Thin lines are antialiased: how dark a pixel gets depends on where the line falls in it,
    # which varied between runs of the same page (1:50m here), so the tolerances are wide
    # enough for the lighter drawing and still far from land, ocean and each other.
    assert count(image, BORDER, tol=20) > 1000  # China's borders with its neighbours
    assert count(image, COAST, tol=32) > 300
    assert count(image, OCEAN) > 0


def test_japanese_prefecture_lines_are_drawn_from_our_admin1_cells(
    qtbot: Any, map_view: Any, js: JS
) -> None:
    image = show(qtbot, map_view, js, 34.5, 137.5, 37.5, 141.5)  # Kanto: eight prefectures
    # Gunma, Tochigi and Saitama (36.1-36.8 N, 139.0-140.0 E): land only, no coast.
    nw = js("TP.map().latLngToContainerPoint([36.8, 139.0])")
    se = js("TP.map().latLngToContainerPoint([36.1, 140.0])")
    x, y = int(nw["x"]), int(nw["y"])
    inland = image.copy(x, y, int(se["x"]) - x, int(se["y"]) - y)
    lines = inland.width() * inland.height() - count(inland, LAND, tol=8)
    assert lines > 100, lines  # the lines between prefectures (thin, antialiased: not one colour)
    loaded = js("Array.from(document.scripts).map(function (s) { return s.src; })"
                ".filter(function (u) { return /admin1-\\d+-\\d+[.]js$/.test(u); })")  # fmt: skip
    assert [u.rsplit("/", 1)[1] for u in loaded] == ["admin1-10-4.js"]  # Japan's cell only
    assert map_view.interceptor.blocked == []


def test_detail_follows_zoom_and_only_our_files_load(qtbot: Any, map_view: Any, js: JS) -> None:
    show(qtbot, map_view, js, -60, -170, 75, 170)
    assert js("TP.basemapState()")["level"] == "110m"
    assert js("typeof window.TP_WORLD['10m']") == "undefined"  # not loaded at this zoom
    show(qtbot, map_view, js, 10, 100, 55, 170)
    assert js("TP.basemapState()")["level"] == "50m"
    show(qtbot, map_view, js, 35.5, 139.5, 35.8, 139.9)
    assert js("TP.basemapState()")["level"] == "10m"
    assert js("TP._.S.basemap.shown.size") < 200  # only the pieces near the view
    assert map_view.interceptor.blocked == []
    assert map_view.map_page.console == [] or not any(
        level >= 2 for level, *_ in map_view.map_page.console
    )


@pytest.fixture(autouse=True)
def _big_enough(map_view: Any) -> None:
    map_view.resize(900, 700)
