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

import atexit
import time
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, Qt, QTimer
from PySide6.QtGui import QImage

from planner.model import mapdata
from planner.model.atoms import load_unit_geometries
from planner.model.errors import PlannerError
from planner.model.loading import display_json_of, display_of
from planner.model.plan import Plan
from planner.ui.map.view import MapView, RawJson
from planner.ui.map_sync import MapSync

TIMEOUT_S = 60.0
#: Pictures for paper are drawn at 192 dpi: twice the CSS pixel density (96 dpi), so Leaflet's
#: 2x canvases land one pixel on one pixel, text and lines keep their printed size, and an A4
#: landscape impact map stays within the report's time budget (benchmarks/impact_maps.py).
PRINT_DPI = 192
PRINT_ZOOM = PRINT_DPI / 96
T = TypeVar("T")
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


def stable_grab(view: MapView, timeout_s: float = TIMEOUT_S, step_ms: int = 60) -> QImage:
    """The view's picture once two grabs ``step_ms`` apart are equal.

    Why not one grab after the page's paint: the compositor can hand the widget a frame of
    lower-resolution tiles first (lines drawn blurred) when big canvases were just redrawn;
    a fixed pause long enough for every load was seconds, and still a guess."""
    end = time.monotonic() + timeout_s
    image = view.grab().toImage()
    while True:
        loop = QEventLoop()
        QTimer.singleShot(step_ms, loop.quit)
        loop.exec()
        again = view.grab().toImage()
        if again == image or time.monotonic() > end:
            return again
        image = again


def view_bounds(view: MapView) -> tuple[float, float, float, float]:
    """``(south, west, north, east)`` the view shows now."""
    box = _js(view, "(function(){var b=TP.map().getBounds();"
                    "return [b.getSouth(),b.getWest(),b.getNorth(),b.getEast()];})()")  # fmt: skip
    return float(box[0]), float(box[1]), float(box[2]), float(box[3])


def capture(view: MapView, timeout_s: float = TIMEOUT_S) -> MapCapture:
    """The shown view as it is now, without the page's controls."""
    _js(view, _CONTROLS_JS % "hidden", timeout_s)
    try:
        settle(view, timeout_s)  # a frame painted after the controls went
        scale = _js(view, _SCALE_JS, timeout_s)
        image = stable_grab(view, timeout_s)
    finally:
        _js(view, _CONTROLS_JS % "visible", timeout_s)
    # Picture pixels per CSS pixel: the screen's ratio times the page's zoom (a print-resolution
    # page draws each CSS pixel as PRINT_ZOOM pixels).
    ratio = image.width() / max(view.width(), 1) * view.zoomFactor()
    return MapCapture(image, float(scale["mpp"]) / ratio, bool(scale["tiles"]))


class OffscreenMap:
    """A map page never shown on screen, for pictures of plans (reports, handover covers).

    Use as a context manager, or the process's warm page from :func:`report_map`; one instance
    renders several pictures (the page loads once, a project's units are pushed once, another
    plan of the same project only where it differs).
    """

    def __init__(self, width: int = 1600, height: int = 1100, zoom: float = 1.0) -> None:
        """``width`` x ``height``: the picture's pixels. ``zoom``: picture pixels per CSS pixel
        (:data:`PRINT_ZOOM` for paper: text, line widths, symbols and the basemap's detail
        scale with it, as on a high-density screen, instead of a screen-sized map stretched
        over the page)."""
        from planner.app import configure_qt_environment
        from planner.ui.printing import ensure_app

        if QCoreApplication.instance() is None:  # a CLI report: set up as the window would
            configure_qt_environment()  # root needs Chromium's sandbox off, as for the window
            QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
        ensure_app()
        self.view = MapView()
        self.view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        self.view.resize(width, height)
        # Before the page's scripts run: Leaflet reads devicePixelRatio once, at load, to size
        # its canvases (2x at zoom 2: one canvas pixel per picture pixel).
        self.view.setZoomFactor(zoom)
        self.sync = MapSync(self.view, report=True)
        self._rendered = False
        self.sync.rendered.connect(self._on_rendered)
        self.view.show()  # loads while the caller goes on (render() waits for it)
        self.view.call("setPadding", 0)  # only the picture is drawn, no margin for panning
        self._project: weakref.ref[Any] | None = None  # the Project: not kept open by us
        self._display = np.zeros(0, dtype=object)
        self._unit_json: list[str] = []

    def _on_rendered(self) -> None:
        self._rendered = True

    def __enter__(self) -> OffscreenMap:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self.view.disposed

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
        ``(south, west, north, east)`` box to show (default: the whole plan).

        The view is set first, so the page starts loading the basemap level of that zoom (the
        1:10m world takes a second or more to parse and decode) while the layers are built
        and pushed. Account points are drawn only when there are no units (a free-form
        project, where the points are the territories)."""
        _wait(lambda: self.view.is_ready, TIMEOUT_S, "load")
        box = focus if focus is not None else mapdata.bounds(plan)
        if box is not None:
            self.view.fit_bounds(*box)
        new_project = self._project is None or self._project() is not plan.project
        if new_project:
            self._project = weakref.ref(plan.project)
            stamp = plan.atoms.stamp
            self._display = display_of(plan.project, load_unit_geometries(plan.project), stamp)
            self._unit_json = display_json_of(plan.project, self._display, stamp)
        self._rendered = False
        # A new project is pushed whole; another plan of the same one only where it differs.
        if new_project or plan is not self.sync.plan:
            self.sync.show(plan, self._display, self._unit_json if new_project else None)
        if self.sync.drawing:
            _wait(lambda: self._rendered, TIMEOUT_S, "draw the plan")
        self.sync.set_baseline_outlines(baseline)
        self._hatch(plan, hatched_units)
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


_warm: list[OffscreenMap] = []


def report_map(width: int, height: int, zoom: float = PRINT_ZOOM) -> OffscreenMap:
    """The process's offscreen page at this size and zoom (print density by default), loaded
    once and kept warm for the next picture (starting Chromium and loading the page was ~1 s
    of every report). A page of another size or zoom replaces it (a resized page would race
    its own layout; Leaflet sizes its canvases for the zoom at load). Closed at exit, or by
    :func:`release_report_map`; callers must not close it."""
    m = _warm[0] if _warm else None
    same = m is not None and m.view.size().toTuple() == (width, height)
    if m is not None and same and not m.closed and m.view.zoomFactor() == zoom:
        return m
    release_report_map()
    _warm.append(OffscreenMap(width, height, zoom))
    if not _registered:  # the window's event loop ends first; a CLI report just exits
        app = QCoreApplication.instance()
        assert app is not None
        app.aboutToQuit.connect(release_report_map)
        atexit.register(release_report_map)
        _registered.append(True)
    return _warm[0]


def while_report_map_loads(
    work: Callable[[], T], width: int, height: int, zoom: float = PRINT_ZOOM
) -> T:
    """``work()`` (reading and comparing plans) on a worker thread while this thread starts the
    report page and lets it load: Chromium's start and the page load (~1 s) no longer follow
    the work but run beside it. The page is :func:`report_map`'s, so the picture drawn next
    finds it loaded. ``work`` must not touch Qt (the model's functions never do)."""
    report_map(width, height, zoom)
    with ThreadPoolExecutor(1, thread_name_prefix="report") as pool:
        future = pool.submit(work)
        _wait(future.done, float("inf"), "finish")
        return future.result()


def release_report_map() -> None:
    """Close the warm page (when the window's event loop ends, or at exit)."""
    while _warm:
        _warm.pop().close()


_registered: list[bool] = []
