"""The one QObject on the map page's QWebChannel: JSON text in, typed Qt signals out.

Why one slot taking JSON text: the page is untrusted input (it shows user-supplied names and runs
third-party JS), so every message is parsed and validated here, in one place, and a malformed
message is logged and dropped. Nothing the page sends can raise into Qt's event loop.

Message kinds (``{"kind": ..., ...}``) and the signals they become:

=================  ==========================================  ================================
kind               fields                                      signal
=================  ==========================================  ================================
ready              none                                        ``ready()``
rendered           layer: str                                  ``rendered(str)``
lasso              geometry: GeoJSON Polygon                   ``lassoDrawn(dict)``
polygon            geometry: GeoJSON Polygon                   ``polygonDrawn(dict)``
line               geometry: GeoJSON LineString                ``lineDrawn(dict)``
paint              units: list[int]                            ``paintStroke(list)``
reshape            territory: int, geometry: Polygon/Multi     ``reshaped(int, dict)``
gesture            active: bool, mode: str                     ``gestureChanged(bool, str)``
unit_clicked       id: int                                     ``unitClicked(int)``
account_clicked    id: int, index: int (optional)              ``accountClicked(int)``, and
                                                               ``accountIndexClicked(int)``
                                                               with the index
account_info       layer: int, index: int                      ``accountInfoRequested(int, int)``
accounts_loaded    layer: int                                  ``accountsLoaded(int)``
js_error           message: str                                ``jsError(str)``
=================  ==========================================  ================================

``account_info`` asks for the name of the account at ``index`` (the model's account index) of
binary account layer number ``layer`` (names are not sent with the points; see
``MapView.set_account_arrays``); ``accounts_loaded`` says the page has read that layer's file.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

log = logging.getLogger(__name__)

_POLYGONS = ("Polygon", "MultiPolygon")
_MAX_MESSAGE = 50_000_000  # characters; a reshaped county outline is far below this


class BadMessage(ValueError):
    """A page message that does not match its kind's shape (logged and dropped, never raised)."""


def _geometry(msg: dict[str, Any], types: tuple[str, ...]) -> dict[str, Any]:
    geom = msg.get("geometry")
    if not isinstance(geom, dict) or geom.get("type") not in types:
        raise BadMessage(f"geometry must be one of {types}")
    coords = geom.get("coordinates")
    if not isinstance(coords, list) or not coords:
        raise BadMessage("geometry has no coordinates")
    return geom


def _int(msg: dict[str, Any], key: str) -> int:
    value = msg.get(key)
    # bool is an int in Python; a JS `true` is not an id.
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise BadMessage(f"{key} must be an integer")
    return int(value)


def _str(msg: dict[str, Any], key: str) -> str:
    value = msg.get(key)
    if not isinstance(value, str):
        raise BadMessage(f"{key} must be a string")
    return value


def _bool(msg: dict[str, Any], key: str) -> bool:
    value = msg.get(key)
    if not isinstance(value, bool):
        raise BadMessage(f"{key} must be true or false")
    return value


def _int_list(msg: dict[str, Any], key: str) -> list[int]:
    values = msg.get(key)
    if not isinstance(values, list):
        raise BadMessage(f"{key} must be a list")
    out: list[int] = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | float) or v != int(v):
            raise BadMessage(f"{key} must hold integers")
        out.append(int(v))
    return out


class MapBridge(QObject):
    """Receives the page's messages and re-emits them as typed signals.

    Register it on a ``QWebChannel`` as ``"bridge"`` (``MapView`` does this). It has no web view
    dependency, so tests call :meth:`receive` directly.

    Attributes
    ----------
    errors
        Every malformed message seen, as ``(text, reason)``, for logs and tests.
    """

    ready = Signal()
    rendered = Signal(str)
    lassoDrawn = Signal(dict)
    polygonDrawn = Signal(dict)
    lineDrawn = Signal(dict)
    paintStroke = Signal(list)
    reshaped = Signal(int, dict)
    gestureChanged = Signal(bool, str)
    unitClicked = Signal(int)
    accountClicked = Signal(int)
    accountIndexClicked = Signal(int)
    accountInfoRequested = Signal(int, int)
    accountsLoaded = Signal(int)
    jsError = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.errors: list[tuple[str, str]] = []
        self._handlers: dict[str, Callable[[dict[str, Any]], None]] = {
            "ready": lambda m: self.ready.emit(),
            "rendered": lambda m: self.rendered.emit(_str(m, "layer")),
            "lasso": lambda m: self.lassoDrawn.emit(_geometry(m, _POLYGONS)),
            "polygon": lambda m: self.polygonDrawn.emit(_geometry(m, _POLYGONS)),
            "line": lambda m: self.lineDrawn.emit(_geometry(m, ("LineString",))),
            "paint": lambda m: self.paintStroke.emit(_int_list(m, "units")),
            "reshape": lambda m: self.reshaped.emit(_int(m, "territory"), _geometry(m, _POLYGONS)),
            "gesture": lambda m: self.gestureChanged.emit(_bool(m, "active"), _str(m, "mode")),
            "unit_clicked": lambda m: self.unitClicked.emit(_int(m, "id")),
            "account_clicked": self._account_clicked,
            "account_info": lambda m: self.accountInfoRequested.emit(
                _int(m, "layer"), _int(m, "index")
            ),
            "accounts_loaded": lambda m: self.accountsLoaded.emit(_int(m, "layer")),
            "js_error": lambda m: self.jsError.emit(_str(m, "message")),
        }

    def _account_clicked(self, msg: dict[str, Any]) -> None:
        account_id = _int(msg, "id")
        index = _int(msg, "index") if "index" in msg else None
        self.accountClicked.emit(account_id)
        if index is not None:
            self.accountIndexClicked.emit(index)

    @Slot(str)
    def receive(self, text: str) -> None:
        """The page's only entry point: parse, validate, emit. Never raises."""
        try:
            if not isinstance(text, str) or len(text) > _MAX_MESSAGE:
                raise BadMessage("message must be JSON text of sane size")
            msg = json.loads(text)
            if not isinstance(msg, dict):
                raise BadMessage("message must be a JSON object")
            kind = msg.get("kind")
            handler = self._handlers.get(kind) if isinstance(kind, str) else None
            if handler is None:
                raise BadMessage(f"unknown kind {kind!r}")
            if kind == "js_error":
                log.warning("map page error: %s", msg.get("message"))
            handler(msg)
        except (BadMessage, ValueError, TypeError, OverflowError) as exc:
            self._reject(text, str(exc))
        except Exception as exc:  # a slot connected to our signal failed: log, do not crash Qt
            log.exception("map bridge handler failed")
            self._reject(text, f"handler failed: {exc}")

    def _reject(self, text: object, reason: str) -> None:
        preview = text[:200] if isinstance(text, str) else repr(text)[:200]
        log.warning("ignored map message (%s): %s", reason, preview)
        self.errors.append((preview, reason))
