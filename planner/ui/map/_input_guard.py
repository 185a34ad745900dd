"""Keeps mouse input meant for a Qt dialog away from the map page; routes Esc to a gesture.

Why (issue 12, defect 9, found with real X input under Xvfb through XTest): a **double click**
on a modal dialog's button that lies over the map (the Auto-balance dialog's Cancel) closes the
dialog with the first click, and the second press and release land on the map, where paint mode
turned them into a paint stroke and a preview. Qt does not report that second click as a double
click to the map (its first half went to another window), and the page cannot know a dialog was
there. A single click, or a press on the dialog and a release over the map, never reached the
page (Qt's implicit grab delivers the release to the dialog): the guard covers those anyway.

The guard is an event filter on the web view's focus proxy (the widget that receives the mouse)
and on the top-level window:

- ``WindowUnblocked`` (a modal dialog just closed) notes the time and the cursor position; a
  press on the map within the double-click interval and distance of that moment is the tail of
  a click aimed at the dialog: it, its moves and its release are swallowed.
- ``WindowBlocked`` (a dialog opened) cancels a gesture in progress: its release will never come.
- A release, or a move with a button held, without a press the page saw is swallowed: only a
  press that started on the map may start or finish a stroke.
- While the page reports a gesture in progress, ``Esc`` is claimed from window shortcuts
  (``ShortcutOverride``) so it reaches the page, which cancels the gesture.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtGui import QCursor, QGuiApplication, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QWidget


class InputGuard(QObject):
    """Event filter for one web view. Call :meth:`attach` whenever the view is shown or its page
    (re)loads: the focus proxy and the window can change."""

    def __init__(
        self, view: QWidget, gesture_active: Callable[[], bool], cancel_gesture: Callable[[], None]
    ) -> None:
        super().__init__(view)
        # Weak references: the guard must not keep a deleted window's Python wrapper alive.
        self._view = weakref.ref(view)
        self._gesture_active = gesture_active
        self._cancel_gesture = cancel_gesture
        self._proxy: weakref.ref[QWidget] | None = None
        self._window: weakref.ref[QWidget] | None = None
        self._pressed = False  # a press the page saw is held
        self._swallowing = False  # a swallowed press is held: swallow its moves and release
        self._unblocked_at = -1.0  # time.monotonic() of the last WindowUnblocked
        self._unblocked_pos = QPoint()
        #: What was swallowed, newest last (``(event type name, reason)``; tests and logs).
        self.swallowed: list[tuple[str, str]] = []

    def attach(self) -> None:
        """Install on the current focus proxy and top-level window (idempotent)."""
        view = self._view()
        if view is None or not shiboken6.isValid(view):
            return
        self._proxy = self._install(view.focusProxy() or view, self._proxy)
        self._window = self._install(view.window(), self._window)

    def _install(self, widget: QWidget, old: weakref.ref[QWidget] | None) -> weakref.ref[QWidget]:
        previous = old() if old is not None else None
        if previous is not widget:
            if previous is not None and shiboken6.isValid(previous):
                previous.removeEventFilter(self)
            widget.installEventFilter(self)
        return weakref.ref(widget)

    @staticmethod
    def _is(watched: QObject, ref: weakref.ref[QWidget] | None) -> bool:
        return ref is not None and ref() is watched

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if self._is(watched, self._window):
            if kind == QEvent.Type.WindowUnblocked:
                self._unblocked_at = time.monotonic()
                self._unblocked_pos = QCursor.pos()
            elif kind == QEvent.Type.WindowBlocked and self._gesture_active():
                self._cancel_gesture()
            return False
        if not self._is(watched, self._proxy):
            return False
        if kind == QEvent.Type.ShortcutOverride:
            return self._claim_escape(event)  # type: ignore[arg-type]
        if isinstance(event, QMouseEvent):
            return self._filter_mouse(event)
        return False

    def _claim_escape(self, event: QKeyEvent) -> bool:
        if event.key() == Qt.Key.Key_Escape and self._gesture_active():
            event.accept()  # the window's Esc shortcut stands back: the page cancels the gesture
            return True
        return False

    def _filter_mouse(self, event: QMouseEvent) -> bool:
        kind = event.type()
        held = event.buttons() != Qt.MouseButton.NoButton
        if kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick):
            if self._swallowing or (not self._pressed and self._tail_of_dialog_click(event)):
                self._swallowing = True
                return self._swallow(event, "second click of a double click on a dialog")
            self._pressed = True
            return False
        if kind == QEvent.Type.MouseButtonRelease:
            if self._swallowing:
                self._swallowing = held
                return self._swallow(event, "release of a swallowed press")
            if not self._pressed:
                return self._swallow(event, "release without a press on the map")
            self._pressed = held
            return False
        if kind == QEvent.Type.MouseMove:
            if not held:
                self._pressed = self._swallowing = False  # nothing is held, whatever we missed
            elif self._swallowing or not self._pressed:
                return self._swallow(event, "drag without a press on the map")
        return False

    def _tail_of_dialog_click(self, event: QMouseEvent) -> bool:
        """A press right where, and right after, a modal dialog closed."""
        hints = QGuiApplication.styleHints()
        elapsed_ms = (time.monotonic() - self._unblocked_at) * 1000.0
        if self._unblocked_at < 0 or elapsed_ms > hints.mouseDoubleClickInterval():
            return False
        reach = max(hints.mouseDoubleClickDistance(), hints.startDragDistance(), 4) * 2
        moved = event.globalPosition().toPoint() - self._unblocked_pos
        return moved.manhattanLength() <= reach

    def _swallow(self, event: QMouseEvent, reason: str) -> bool:
        self.swallowed.append((event.type().name, reason))
        del self.swallowed[:-50]
        event.accept()
        return True
