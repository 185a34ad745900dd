"""Pictures of the map page: the live view as it is, or a plan rendered offscreen for a report.

Why the real page and not a separate drawing of the territories: a printout, a PDF report and
the screen must show the same map (fills, outlines, the basemap, the hatching of a proposed
change), so every picture comes from the one map page, the way ``--snapshot`` does it. The
page's own controls (zoom buttons, its scale line, attribution, legend) are hidden while the
picture is taken: :mod:`planner.ui.map_sheet` draws a legend, scale bar and north arrow at print
quality around it.

:func:`capture` grabs a shown :class:`~planner.ui.map.view.MapView` (the window's);
:class:`OffscreenMap` builds a view that is never shown on screen, pushes a plan through the
same :class:`~planner.ui.map_sync.MapSync` the window uses, and grabs it once every layer and
the basemap at that zoom are drawn.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, Qt, QTimer
from PySide6.QtGui import QImage

from planner.model import mapdata
from planner.model.atoms import load_unit_geometries
from planner.model.errors import PlannerError
from planner.model.plan import Plan
from planner.ui.map.view import MapView, RawJson
from planner.ui.map_sync import MapSync

TIMEOUT_S = 60.0
#: metres per pixel across the middle of the view, and whether tiles are on (attribution).
_SCALE_JS = (
    "(function(){var m=TP.map(),s=m.getSize(),y=s.y/2;"
    "return {mpp:m.distance(m.containerPointToLatLng([0,y]),m.containerPointToLatLng([s.x,y]))/s.x,"
    "zoom:m.getZoom(),tiles:!!document.querySelector('.leaflet-tile')};})()"
)
_CONTROLS_JS = (
    "(function(){var c=document.querySelector('.leaflet-control-container');"
    "if(c)c.style.visibility='%s';return 1;})()"
)
_BASEMAP_DONE_JS = (
    "(function(){var b=TP.basemapState();return b.level===b.wanted&&b.drawn&&!b.loading;})()"
)


@dataclass(frozen=True)
class MapCapture:
    """A picture of the map and what a scale bar needs.

    Attributes
    ----------
    image
        The map as the page drew it, without its controls.
    metres_per_pixel
        Ground distance of one image pixel across the middle of the picture.
    tiles
        Online tiles were drawn (their attribution must go on the printout).
    """

    image: QImage
    metres_per_pixel: float
    tiles: bool = False


def _wait(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    end = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > end:
            raise PlannerError(f"the map did not {what} within {timeout_s:.0f} s")
        loop = QEventLoop()
        QTimer.singleShot(15, loop.quit)
        loop.exec()


def _js(view: MapView, expression: str, timeout_s: float = TIMEOUT_S) -> Any:
    box: list[Any] = []
    view.run_js_json(expression, box.append)
    _wait(lambda: bool(box), timeout_s, "answer")
    return box[0]


def settle(view: MapView, timeout_s: float) -> None:
    """Until the basemap for this zoom is drawn and a frame after it reached the widget."""
    _wait(lambda: bool(_js(view, _BASEMAP_DONE_JS, timeout_s)), timeout_s, "draw its basemap")
    painted: list[str] = []
    view.bridge.rendered.connect(painted.append)
    try:
        view.call("notifyPainted", "capture")
        _wait(lambda: "capture" in painted, timeout_s, "paint")
    finally:
        view.bridge.rendered.disconnect(painted.append)
    loop = QEventLoop()
    QTimer.singleShot(120, loop.quit)  # the compositor hands the frame to the widget
    loop.exec()


def capture(view: MapView, timeout_s: float = TIMEOUT_S) -> MapCapture:
    """The shown view as it is now, without the page's controls."""
    _js(view, _CONTROLS_JS % "hidden", timeout_s)
    try:
        settle(view, timeout_s)  # a frame painted after the controls went
        scale = _js(view, _SCALE_JS, timeout_s)
        image = view.grab().toImage()
    finally:
        _js(view, _CONTROLS_JS % "visible", timeout_s)
    ratio = image.width() / max(view.width(), 1)  # device pixels per CSS pixel
    return MapCapture(image, float(scale["mpp"]) / ratio, bool(scale["tiles"]))


class OffscreenMap:
    """A map page never shown on screen, for pictures of plans (reports, handover covers).

    Use as a context manager; one instance renders several pictures of the same project (the
    page loads once, units are pushed once per plan).
    """

    def __init__(self, width: int = 1600, height: int = 1100) -> None:
        from planner.app import configure_qt_environment
        from planner.ui.printing import ensure_app

        if QCoreApplication.instance() is None:  # a CLI report: set up as the window would
            configure_qt_environment()  # root needs Chromium's sandbox off, as for the window
            QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
        ensure_app()
        self.view = MapView()
        self.view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        self.view.resize(width, height)
        self.sync = MapSync(self.view)
        self._rendered = False
        self.sync.rendered.connect(self._on_rendered)
        self.view.show()
        _wait(lambda: self.view.is_ready, TIMEOUT_S, "load")
        self._project: object = None
        self._display = np.zeros(0, dtype=object)
        self._unit_json: list[str] = []

    def _on_rendered(self) -> None:
        self._rendered = True

    def __enter__(self) -> OffscreenMap:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.view.dispose()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)

    def render(
        self,
        plan: Plan,
        *,
        baseline: np.ndarray | None = None,
        hatched_units: np.ndarray | None = None,
        focus: tuple[float, float, float, float] | None = None,
    ) -> MapCapture:
        """``plan`` as the window shows it; ``baseline``: an alignment drawn as dashed
        outlines; ``hatched_units``: unit indices hatched (a change); ``focus``: the
        ``(south, west, north, east)`` box to show (default: the whole plan)."""
        if plan.project is not self._project:
            self._project = plan.project
            geoms = load_unit_geometries(plan.project)
            n = len(geoms)
            self._display = mapdata.display_geometries(geoms, n) if n else geoms
            self._unit_json = mapdata.geometry_json(self._display)
        self._rendered = False
        self.sync.show(plan, self._display, self._unit_json)  # every layer, as at open
        if plan.atoms.n_units or mapdata.account_layer(plan)["ids"]:
            _wait(lambda: self._rendered, TIMEOUT_S, "draw the plan")
        self.sync.set_baseline_outlines(baseline)
        self._hatch(plan, hatched_units)
        if focus is not None:
            self.view.fit_bounds(*focus)
        return capture(self.view)

    def _hatch(self, plan: Plan, units: np.ndarray | None) -> None:
        if units is None or not len(units):
            self.view.clear_preview()
            return
        from planner.model.colours import preview_colour

        props: list[dict[str, Any]] = [{} for _ in units]
        fc = mapdata.collection_json(props, [self._unit_json[int(u)] for u in units])
        colour = preview_colour([str(c) for c in plan.atoms.territory_colours])
        self.view.show_preview(RawJson(fc), colour=colour)
