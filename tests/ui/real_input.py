"""Real Qt input for the map: mouse events to the web view, keys to a window, then wait until the
page has seen them. Use it to test the map as a person uses it (issue 12: "tests that act like
a person"): a freehand lasso is a press, moves with the button held and a release, not a call
into ``window.TP``.

What it sends
-------------
Mouse events are ``QMouseEvent`` objects sent with ``QCoreApplication.sendEvent`` to the web
view's **focus proxy** (the child widget Qt WebEngine reads input from), so they pass through
the same event filters (``planner.ui.map._input_guard``) and the same Chromium input pipeline
as a hand on a mouse. Moves carry the held ``buttons``, as real drags do. Points are **container
pixels** of the map (``container_point`` asks the page where a lat/lon is); the page fills the
view, so they are also view pixels.

``window_press`` / ``window_release`` go one level lower, through the window system path
(``QTest`` on the ``QWindow``: Qt's implicit grab, enter/leave, modal blocking): use them for
clicks that start on one window (a dialog) and end on another (the map).

Keys go to a window's ``QWindow`` (``key``), so Qt routes them like a key press: shortcuts of the
window first (``ShortcutOverride``), then the focus widget.

Waiting
-------
Qt WebEngine hands input to Chromium asynchronously and Chromium coalesces mouse moves. Every
mouse function waits (``wait=True``) until the page's input log (``TP.lastInput()``, written by
bridge.js before any handler runs) shows this event's type at this position. Then the page has
run its handlers; messages they sent to Python (``bridge`` signals) may still be in flight, so
wait for those with ``qtbot.waitSignal`` as usual.

Example
-------
::

    from tests.ui import real_input as ri

    a, b, c = (ri.container_point(view, lat, lon) for lat, lon in corners)
    with qtbot.waitSignal(view.bridge.lassoDrawn) as blocker:
        ri.drag_path(view, [a, b, c, a])  # freehand: press at a ... release at a
    ri.key(window, Qt.Key.Key_Return)  # the window applies the preview

Everything here works without pytest-qt (scripts can use it): waits run a ``QEventLoop``.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterable, Sequence
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QCursor, QMouseEvent, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

LEFT = Qt.MouseButton.LeftButton
NO_BUTTON = Qt.MouseButton.NoButton
WAIT_MS = 10_000

_clock = [0]


def _timestamp() -> int:
    """Strictly increasing event timestamps (ms), as a real device gives them."""
    _clock[0] = max(_clock[0] + 1, int(time.monotonic() * 1000))
    return _clock[0]


def process(ms: int = 0) -> None:
    """Run the event loop for ``ms`` milliseconds (at least one pass)."""
    QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    if ms > 0:
        QTest.qWait(ms)


def js(view: Any, expression: str, timeout_ms: int = WAIT_MS) -> Any:
    """Evaluate a JS expression in the map page and return its JSON-decoded value."""
    box: list[Any] = []
    loop = QEventLoop()

    def done(value: Any) -> None:
        box.append(value)
        loop.quit()

    view.run_js_json(expression, done)
    if not box:
        QTimer.singleShot(timeout_ms, loop.quit)
        loop.exec()
    if not box:
        raise TimeoutError(f"no answer from the page for {expression[:80]!r}")
    return box[0]


def wait_until(predicate: Any, timeout_ms: int = WAIT_MS, what: str = "condition") -> None:
    """Process events until ``predicate()`` is true; TimeoutError after ``timeout_ms``."""
    end = time.monotonic() + timeout_ms / 1000
    while not predicate():
        if time.monotonic() > end:
            raise TimeoutError(f"timed out waiting for {what}")
        process(10)


def target(view: Any) -> QWidget:
    """The widget Qt WebEngine reads mouse input from."""
    proxy: QWidget | None = view.focusProxy()
    return proxy if proxy is not None else view


def container_point(view: Any, lat: float, lon: float) -> QPoint:
    """The map pixel (= view pixel) where ``lat``/``lon`` is drawn now."""
    ensure_input_log(view)
    x, y = js(
        view,
        f"(function(){{var p=TP.map().latLngToContainerPoint([{float(lat)!r},{float(lon)!r}]);"
        "return [p.x,p.y];})()",
    )
    return QPoint(round(x), round(y))


# The page's own input log (bridge.js) is installed here too when a page lacks it (an older
# page, when checking that a test fails without a fix): the driver works with any page.
_INPUT_LOG = (
    "(function(){if(!window.TP||TP.lastInput)return 0;var last=null;"
    "['mousedown','mousemove','mouseup','keydown','wheel'].forEach(function(t){"
    "document.addEventListener(t,function(e){last={type:t,x:e.clientX===undefined?null:e.clientX,"
    "y:e.clientY===undefined?null:e.clientY,buttons:e.buttons===undefined?null:e.buttons,"
    "key:e.key===undefined?null:e.key};},true);});TP.lastInput=function(){return last;};"
    "return 1;})()"
)


def lat_lon(view: Any, point: QPoint) -> tuple[float, float]:
    """The (lat, lon) under a map pixel now."""
    lat, lon = js(
        view,
        f"(function(){{var l=TP.map().containerPointToLatLng([{point.x()},{point.y()}]);"
        "return [l.lat,l.lng];})()",
    )
    return float(lat), float(lon)


def last_input(view: Any) -> dict[str, Any] | None:
    """The last DOM input event the page saw: ``{seq, type, x, y, buttons, key}``."""
    value = js(view, "TP.lastInput ? TP.lastInput() : null")
    return value if isinstance(value, dict) else None


def ensure_input_log(view: Any) -> None:
    """Make sure the page logs input (bridge.js does; an older page gets it added)."""
    js(view, _INPUT_LOG)


def wait_page(view: Any, kind: str, point: QPoint | None = None, timeout_ms: int = WAIT_MS) -> None:
    """Wait until the page's last input event is ``kind`` (at ``point``, if given)."""

    def seen() -> bool:
        last = last_input(view)
        if not last or last["type"] != kind:
            return False
        return point is None or (last["x"] == point.x() and last["y"] == point.y())

    wait_until(seen, timeout_ms, f"the page to see {kind} at {point}")


def _send(
    view: Any,
    kind: QEvent.Type,
    point: QPoint,
    button: Qt.MouseButton,
    buttons: Qt.MouseButton,
    modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> None:
    widget = target(view)
    local = QPointF(widget.mapFrom(view, point)) if widget is not view else QPointF(point)
    event = QMouseEvent(kind, local, QPointF(widget.mapToGlobal(local)), button, buttons, modifiers)
    event.setTimestamp(_timestamp())
    QCoreApplication.sendEvent(widget, event)


def press(view: Any, point: QPoint, button: Qt.MouseButton = LEFT, *, wait: bool = True) -> None:
    """Press ``button`` at ``point`` (a hover move there first, as a hand arrives). The web view
    takes the keyboard focus, as a real click gives it (Qt does that only for events from the
    window system)."""
    if wait:
        ensure_input_log(view)
    widget = target(view)
    if widget.focusPolicy() & Qt.FocusPolicy.ClickFocus:
        widget.setFocus(Qt.FocusReason.MouseFocusReason)
    _send(view, QEvent.Type.MouseMove, point, NO_BUTTON, NO_BUTTON)
    _send(view, QEvent.Type.MouseButtonPress, point, button, button)
    if wait:
        wait_page(view, "mousedown", point)


def move(
    view: Any, point: QPoint, buttons: Qt.MouseButton = NO_BUTTON, *, wait: bool = True
) -> None:
    """Move to ``point`` with ``buttons`` held (``LEFT`` while dragging)."""
    _send(view, QEvent.Type.MouseMove, point, NO_BUTTON, buttons)
    if wait:
        wait_page(view, "mousemove", point)


def release(view: Any, point: QPoint, button: Qt.MouseButton = LEFT, *, wait: bool = True) -> None:
    """Release ``button`` at ``point``."""
    _send(view, QEvent.Type.MouseButtonRelease, point, button, NO_BUTTON)
    if wait:
        wait_page(view, "mouseup", point)


def click(view: Any, point: QPoint, button: Qt.MouseButton = LEFT, *, wait: bool = True) -> None:
    """Press and release at ``point``."""
    press(view, point, button, wait=wait)
    release(view, point, button, wait=wait)


def interpolate(points: Sequence[QPoint], step_px: int = 6) -> list[QPoint]:
    """The path through ``points`` with a point every ``step_px`` (a hand's mouse reports often)."""
    out = [points[0]]
    for a, b in itertools.pairwise(points):
        d = b - a
        n = max(1, round(max(abs(d.x()), abs(d.y())) / step_px))
        out += [
            QPoint(round(a.x() + d.x() * k / n), round(a.y() + d.y() * k / n))
            for k in range(1, n + 1)
        ]
    return out


def drag_path(
    view: Any,
    points: Iterable[QPoint],
    button: Qt.MouseButton = LEFT,
    *,
    step_px: int = 6,
    release_at_end: bool = True,
    wait: bool = True,
) -> list[QPoint]:
    """Press at the first point, move through the others with ``button`` held (interpolated every
    ``step_px``), release at the last. Returns the points sent. ``release_at_end=False`` keeps
    the button down (to press Esc mid-gesture, for instance)."""
    path = interpolate(list(points), step_px)
    press(view, path[0], button, wait=wait)
    for p in path[1:]:
        move(view, p, button, wait=False)
    if wait:
        wait_page(view, "mousemove", path[-1])
    if release_at_end:
        release(view, path[-1], button, wait=wait)
    return path


def wheel(view: Any, point: QPoint, notches: int = 1, *, wait: bool = True) -> None:
    """Turn the wheel at ``point``: positive notches roll away from the user (scroll up, zoom
    in on a map), negative towards (scroll down)."""
    if wait:
        ensure_input_log(view)
    widget = target(view)
    local = QPointF(widget.mapFrom(view, point)) if widget is not view else QPointF(point)
    event = QWheelEvent(
        local,
        QPointF(widget.mapToGlobal(local)),
        QPoint(0, 0),
        QPoint(0, 120 * notches),
        NO_BUTTON,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    event.setTimestamp(_timestamp())
    QCoreApplication.sendEvent(widget, event)
    if wait:
        wait_page(view, "wheel", point)


def key(
    window: QWidget,
    key_code: Qt.Key,
    modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
    *,
    page_view: Any = None,
) -> None:
    """Press and release a key on ``window`` as the keyboard does: through its ``QWindow``, so
    shortcuts and the focus widget get it in Qt's order. With ``page_view``, wait until that
    page saw the key (when it is expected to reach the page)."""
    handle = window.window().windowHandle()
    if handle is not None:
        QTest.keyClick(handle, key_code, modifiers)
    else:
        QTest.keyClick(window, key_code, modifiers)
    process()
    if page_view is not None:
        ensure_input_log(page_view)
        name = {Qt.Key.Key_Escape: "Escape", Qt.Key.Key_Return: "Enter"}.get(key_code)
        wait_until(
            lambda: (last_input(page_view) or {}).get("key") == name,
            what=f"the page to see {name}",
        )


def window_press(window: QWidget, point: QPoint, button: Qt.MouseButton = LEFT) -> None:
    """Move the pointer to ``point`` (``window`` pixels) and press there, through the window
    system path (the ``QWindow``, as a real mouse's events arrive)."""
    handle = window.window().windowHandle()
    at = window.mapTo(window.window(), point)
    QCursor.setPos(window.window().mapToGlobal(at))  # the pointer moves there first
    QTest.mousePress(handle, button, Qt.KeyboardModifier.NoModifier, at)
    process()


def window_release(window: QWidget, point: QPoint, button: Qt.MouseButton = LEFT) -> None:
    """Release at ``point`` (``window`` pixels) through the window system path."""
    handle = window.window().windowHandle()
    at = window.mapTo(window.window(), point)
    QTest.mouseRelease(handle, button, Qt.KeyboardModifier.NoModifier, at)
    process()


def map_center(view: Any) -> tuple[float, float]:
    """The map's centre (lat, lon): unchanged after a gesture means the map did not pan."""
    lat, lon = js(view, "(function(){var c=TP.map().getCenter();return [c.lat,c.lng];})()")
    return float(lat), float(lon)


def dumps(value: Any) -> str:
    """JSON for a JS expression."""
    return json.dumps(value)
