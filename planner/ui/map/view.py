"""The map widget: a QWebEngineView showing our local Leaflet page, driven through ``window.TP``.

Why this shape (as Anki's webview does): the page is built once to a file and loaded by URL; the
QWebChannel and the bridge exist before the load starts; Python->JS calls made before the page
says ``ready`` are queued and flushed in order; results of calls made before a reload are dropped
so a stale callback never updates a fresh page's state.

The page keeps a live territory model (resources/map/territories.js): push the territories once
(:meth:`MapView.set_territories`), units and accounts with territory *ids*
(:meth:`MapView.set_units` with ``planner.model.mapdata.unit_layer_json``,
:meth:`MapView.set_account_arrays`: typed arrays, no JSON, names asked for on hover), then after
each edit only the changed assignments (:meth:`MapView.assign_units`,
:meth:`MapView.assign_accounts_at`); fills, tooltips, popups, labels and account colours follow
by themselves. A colour mode is :meth:`MapView.set_fills`.

Input: lasso, draw, split and paint are freehand gestures in the page; an input guard
(``_input_guard``) keeps clicks meant for a dialog over the map away from the page and routes
Esc to a gesture in progress (:attr:`MapView.gesture_active`, :meth:`MapView.cancel_gesture`).

Security: an off-the-record profile owned by this view, a URL request interceptor that lets
through only our files, ``qrc:``/``data:`` (and the tile host when online tiles are configured),
and a page that refuses navigation away from the map. See ``_security``.

Teardown: call :meth:`dispose` before dropping the view (tests, scripts and the main window's
close). It follows the sequence that avoided crashes at exit on this stack.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QTimer, QUrl, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import QWebEngineProfile, QWebEngineSettings
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QWidget

from planner.ui.map import RESOURCES_DIR
from planner.ui.map._account_calls import AccountLayerCalls
from planner.ui.map._input_guard import InputGuard
from planner.ui.map._live_calls import FOLLOW_UNIT, UNASSIGNED, LiveModelCalls, RawJson
from planner.ui.map._security import LocalOnlyInterceptor, MapPage
from planner.ui.map.bridge import MapBridge
from planner.ui.map.page import build_page

log = logging.getLogger(__name__)

JsCallback = Callable[[Any], None]
__all__ = ["FOLLOW_UNIT", "MODES", "UNASSIGNED", "MapView", "RawJson"]
MODES = ("pan", "lasso", "paint", "draw", "split", "reshape")

_WRAP = (
    "(function(){try{return JSON.stringify({ok:true,value:(%s)});}"
    "catch(e){return JSON.stringify({ok:false,error:String(e&&e.stack||e)});}})()"
)


#: RawJson longer than this goes as ``JSON.parse("...")``: V8 scans a string literal and parses
#: JSON far faster than it compiles an object literal (41k ZIP polygons, 12 MB: 0.5 s instead of
#: 1.5 s on this machine, /tmp measurement of the first call; later calls of the same text hit
#: V8's compilation cache either way).
_PARSE_BEYOND = 64 * 1024


def _js_argument(value: object) -> str:
    """``value`` as a JavaScript expression: JSON, or big pre-serialised JSON through
    ``JSON.parse`` of a string literal (``json.dumps`` of text is a valid, ASCII-only one)."""
    if isinstance(value, RawJson):
        return f"JSON.parse({json.dumps(str(value))})" if len(value) > _PARSE_BEYOND else value
    return json.dumps(value, allow_nan=False)


class MapView(QWebEngineView, LiveModelCalls, AccountLayerCalls):
    """Map widget. Public methods mirror ``window.TP`` (resources/map/*.js); the live territory
    model's calls come from :class:`~planner.ui.map._live_calls.LiveModelCalls`, the binary
    accounts layer's from :class:`~planner.ui.map._account_calls.AccountLayerCalls`.

    Parameters
    ----------
    page_dir
        Where to write the page; a private temporary directory (removed by :meth:`dispose`) if
        omitted.
    tiles_url, tiles_attribution
        Optional online tiles; without them the map is fully offline (bundled vector basemap).

    Signals
    -------
    mapReady
        The page is up and every queued call has been sent: push data layers now. Emitted again
        after :meth:`reload_page` (layers must then be pushed again).
    gestureChanged(bool)
        A freehand gesture started (True) or ended, was cancelled or ignored (False).
    """

    mapReady = Signal()
    gestureChanged = Signal(bool)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        page_dir: Path | None = None,
        tiles_url: str | None = None,
        tiles_attribution: str = "",
    ) -> None:
        super().__init__(parent)
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if page_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="tplan-map-")
            page_dir = Path(self._tmp.name)
        self.page_path = build_page(
            page_dir, tiles_url=tiles_url, tiles_attribution=tiles_attribution
        )
        self._page_url = QUrl.fromLocalFile(str(self.page_path.resolve()))
        self._ready = False
        self._queue: list[tuple[str, JsCallback | None]] = []
        self._batch: list[str] = []
        self._generation = 0
        self._disposed = False

        # Off the record: no cache or cookies on disk, nothing shared with other views.
        self._profile = QWebEngineProfile(self)
        self.interceptor = LocalOnlyInterceptor([RESOURCES_DIR, page_dir], tiles_url, self._profile)
        self._profile.setUrlRequestInterceptor(self.interceptor)
        # The page is the profile's child so it is always destroyed before the profile.
        self._page = MapPage(self._profile, self._page_url, self._profile)
        settings = self._page.settings()
        attr = QWebEngineSettings.WebAttribute
        # Set both explicitly: enabling remote access alone switched file access off.
        settings.setAttribute(attr.LocalContentCanAccessFileUrls, True)
        settings.setAttribute(attr.LocalContentCanAccessRemoteUrls, bool(tiles_url))
        settings.setAttribute(attr.JavascriptCanOpenWindows, False)
        settings.setAttribute(attr.ErrorPageEnabled, False)

        self.bridge = MapBridge(self)
        self._channel = QWebChannel(self._page)
        self._channel.registerObject("bridge", self.bridge)
        self._page.setWebChannel(self._channel)
        self.setPage(self._page)
        self.bridge.ready.connect(self._on_ready)
        self._init_account_layer(self.bridge.accountsLoaded)
        self._gesture = False
        self.bridge.gestureChanged.connect(self._on_gesture)
        self.input_guard = InputGuard(self, lambda: self._gesture, self.cancel_gesture)
        self.loadFinished.connect(lambda _ok: self.input_guard.attach())
        self.reload_page()

    # ------------------------------------------------------------------ lifecycle
    @property
    def is_ready(self) -> bool:
        """True once the current page load said ``ready``."""
        return self._ready

    @property
    def disposed(self) -> bool:
        """True once :meth:`dispose` ran (the page is gone)."""
        return self._disposed

    @property
    def map_page(self) -> MapPage:
        """The page (for its ``refused`` navigation list and console log)."""
        return self._page

    def reload_page(self) -> None:
        """(Re)load the page file; pending results from the previous page are dropped."""
        self._generation += 1
        self._ready = False
        self._batch.clear()  # calls for the old page
        self.load(self._page_url)

    def _on_ready(self) -> None:
        self.input_guard.attach()
        self._ready = True
        queued, self._queue = self._queue, []
        for script, callback in queued:
            self.run_js_json(script, callback)
        self.mapReady.emit()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.input_guard.attach()  # the top-level window is known once shown

    @property
    def gesture_active(self) -> bool:
        """True while the page reports a freehand gesture in progress (button held)."""
        return self._gesture

    def _on_gesture(self, active: bool, _mode: str) -> None:
        if active != self._gesture:
            self._gesture = active
            self.gestureChanged.emit(active)

    def dispose(self, *, delete_view: bool = True) -> None:
        """Tear down in the order that is safe on this stack; idempotent.

        The page goes first (before its profile, or Chromium warns and may crash at exit), then
        the view and with it the profile. Both deletions run now, not at some later event loop
        turn, because ``processEvents()`` outside a running loop does not run deferred deletes
        and a view left alive until exit triggers the same warning. Pass ``delete_view=False``
        when someone else closes and deletes the widget (pytest-qt's ``addWidget``); they must
        then flush deferred deletes (``QCoreApplication.sendPostedEvents(None,
        QEvent.Type.DeferredDelete)``).
        """
        if self._disposed:
            return
        self._disposed = True
        self._queue.clear()
        self._batch.clear()
        tmp, self._tmp = self._tmp, None
        self._remove_account_files()
        self._page.deleteLater()
        QCoreApplication.sendPostedEvents(self._page, QEvent.Type.DeferredDelete)
        if tmp is not None:
            tmp.cleanup()
        if delete_view:
            self.close()
            self.deleteLater()
            QCoreApplication.sendPostedEvents(self, QEvent.Type.DeferredDelete)
        QCoreApplication.processEvents()

    # ------------------------------------------------------------------ JS calls
    def run_js_json(self, script: str, callback: JsCallback | None = None) -> None:
        """Run a JS *expression* and pass its JSON-decoded value to ``callback``.

        ``runJavaScript`` returns ``''`` for objects in PySide6 6.12, so the value is wrapped in
        ``JSON.stringify``. A JS exception is logged and reported through ``bridge.jsError``;
        the callback then gets ``None``. Results arriving after a reload are dropped.
        """
        if self._disposed:
            return
        self._flush_batch()  # calls made before this one run before it
        generation = self._generation

        def done(result: object) -> None:
            if self._disposed or generation != self._generation:
                return
            try:
                reply = json.loads(result) if isinstance(result, str) and result else {}
            except ValueError:
                reply = {}
            if not reply.get("ok", False):
                message = str(reply.get("error", f"no result from {script[:80]!r}"))
                log.warning("map JS failed: %s", message)
                self.bridge.jsError.emit(message)
                value = None
            else:
                value = reply.get("value")
            if callback is not None:
                callback(value)

        self._page.runJavaScript(_WRAP % script, 0, done)

    def call(self, function: str, *args: object, callback: JsCallback | None = None) -> None:
        """Call ``TP.<function>(*args)`` with JSON arguments, queued until the page is ready.

        An argument that is a :class:`RawJson` is already-serialised JSON (built vectorised for
        big layers) and is passed through as is.
        """
        script = f"TP.{function}({', '.join(_js_argument(a) for a in args)})"
        if not self._ready:
            self._queue.append((script, callback))
        elif callback is not None:
            self.run_js_json(script, callback)
        else:
            # Calls without a result are sent together at the end of this event-loop turn:
            # an edit makes four or five (assignments, outlines, labels, fills), and each
            # runJavaScript costs ~3 ms of IPC on its own.
            self._batch.append(script)
            if len(self._batch) == 1:
                QTimer.singleShot(0, self._flush_batch)

    def flush(self) -> None:
        """Send the calls made so far now, not at the end of this event-loop turn: the page
        starts on them while Python prepares the next ones."""
        self._flush_batch()

    def _flush_batch(self) -> None:
        """Run the batched calls as one script; each in its own try, so one failing call
        neither stops the others nor goes unreported."""
        if not self._batch:
            return
        scripts, self._batch = self._batch, []
        if len(scripts) == 1:
            self.run_js_json(scripts[0])
            return
        body = "".join(f"try{{{s};}}catch(x){{e.push(String(x&&x.stack||x));}}" for s in scripts)
        self.run_js_json(
            "(function(){var e=[];" + body
            + "if(e.length)throw new Error(e.join('\\n'));return null;})()"
        )  # fmt: skip

    # ------------------------------------------------------------------ TP mirror
    def set_units(
        self, fc: Mapping[str, Any] | RawJson, callback: JsCallback | None = None
    ) -> None:
        """Replace the units layer; features carry ``{id, code, name, territory, colour}``."""
        self.call("setUnits", fc, callback=callback)

    def restyle_units(self, mapping: Mapping[int, str], callback: JsCallback | None = None) -> None:
        """Recolour only these units (``{unit id: css colour}``); callback gets the JS ms."""
        self.call("restyleUnits", {str(k): v for k, v in mapping.items()}, callback=callback)

    def update_outlines(
        self, fc: Mapping[str, Any] | RawJson, territory_ids: Sequence[int]
    ) -> None:
        """Replace the outlines of just these territories (others stay as drawn)."""
        self.call("updateOutlines", fc, [int(t) for t in territory_ids])

    def set_baseline_outlines(self, fc: Mapping[str, Any] | RawJson | None) -> None:
        """Dashed outlines of the baseline over the scenario (None removes them)."""
        self.call("setBaselineOutlines", fc)

    def set_outlines(self, fc: Mapping[str, Any] | RawJson) -> None:
        """Territory outlines; features carry ``{id, name?, colour?}``."""
        self.call("setOutlines", fc)

    def set_accounts(
        self,
        ids: Sequence[int],
        lon: Sequence[float],
        lat: Sequence[float],
        colours: Sequence[str],
        names: Sequence[str] | None = None,
        callback: JsCallback | None = None,
    ) -> None:
        """Draw account points (100k+ is fine); colours are sent as a palette plus indices."""
        palette: dict[str, int] = {}
        index = [palette.setdefault(str(c), len(palette)) for c in colours]
        data: dict[str, object] = {
            "ids": [int(i) for i in ids],
            "lon": [round(float(x), 5) for x in lon],
            "lat": [round(float(y), 5) for y in lat],
            "territory": index,
            "palette": list(palette),
        }
        if names is not None:
            data["names"] = [str(n) for n in names]
        self.call("setAccounts", data, callback=callback)

    def restyle_accounts(self, mapping: Mapping[int, str]) -> None:
        """Recolour only these account points (``{account id: css colour}``)."""
        self.call("restyleAccounts", {str(k): v for k, v in mapping.items()})

    def set_layer_visible(self, name: str, visible: bool) -> None:
        """Show or hide ``units``, ``outlines``, ``accounts`` or ``reps``."""
        self.call("setLayerVisible", name, bool(visible))

    def set_reps(self, reps: Iterable[Mapping[str, Any]]) -> None:
        """Rep home bases: ``[{id, name, lon, lat}]``."""
        self.call("setReps", [dict(r) for r in reps])

    def show_preview(self, fc: Mapping[str, Any] | RawJson, colour: str | None = None) -> None:
        """Overlay a proposed change, hatched and outlined in ``colour`` (a colour no territory
        uses: ``planner.model.colours.preview_colour``; near-black by default)."""
        self.call("showPreview", fc, {"colour": colour} if colour else {})

    def clear_preview(self) -> None:
        """Remove the preview overlay."""
        self.call("clearPreview")

    def set_selection(self, ids: Iterable[int]) -> None:
        """Outline these units as selected (replaces the previous selection)."""
        self.call("setSelection", [int(i) for i in ids])

    def fit_bounds(self, south: float, west: float, north: float, east: float) -> None:
        """Zoom the map to a lon/lat box."""
        self.call("fitBounds", [[south, west], [north, east]])

    def set_outline_style(self, style: Mapping[str, Any] | None) -> None:
        """Draw every territory outline so (a level colour mode: thin lines over the node
        fills); None: each in its territory's colour."""
        self.call("setOutlineStyle", None if style is None else dict(style))

    def set_legend(self, items: Iterable[tuple[str, str]]) -> None:
        """Legend rows as ``(label, colour)``; labels are shown as plain text."""
        self.call("setLegend", [{"label": str(lbl), "colour": str(c)} for lbl, c in items])

    def set_mode(self, mode: str) -> None:
        """One of ``pan``, ``lasso``, ``paint``, ``draw``, ``split``, ``reshape``."""
        if mode not in MODES:
            raise ValueError(f"unknown map mode {mode!r}; expected one of {MODES}")
        self.call("setMode", mode)

    def edit_outline(self, territory_id: int) -> None:
        """Make one territory outline editable (switches to reshape mode)."""
        self.call("editOutline", int(territory_id))

    def set_tiles(self, tiles_url: str | None, attribution: str = "") -> None:
        """Switch online tiles on (a URL template) or off (``None``) on the page as it is: the
        interceptor lets through that host alone, and nothing outside the app when off."""
        self.interceptor.set_tiles(tiles_url)
        settings = self._page.settings()
        attr = QWebEngineSettings.WebAttribute
        settings.setAttribute(attr.LocalContentCanAccessFileUrls, True)
        settings.setAttribute(attr.LocalContentCanAccessRemoteUrls, bool(tiles_url))
        self.call("setTiles", tiles_url, attribution)

    def cancel_gesture(self) -> None:
        """Abandon a freehand gesture in progress (Esc): nothing is sent for it."""
        self._on_gesture(False, "")
        self.call("cancelGesture")
