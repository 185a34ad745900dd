"""Run model generators on the QThreadPool with a delayed progress dialog and Cancel.

A job is a generator (or a callable returning one) that yields progress objects with a
``fraction`` (0..1, or None when unknown) and a ``message`` and returns its result
(``StopIteration.value``). It runs on a pool thread and never touches widgets: it only emits
signals of a QObject created in the GUI thread, so every slot below runs in the GUI thread.

Following Anki's ``progress.py``, a short job shows nothing: the busy cursor appears after
300 ms and the progress dialog after 600 ms.

Cancel sets a flag checked between yields, so a job stops within one step. The runner then
throws :class:`JobCancelled` into the generator. A generator that supports partial results
catches it and ``return``-s what it has (an optimiser returns its best alignment so far); that
value goes to ``on_done`` and :attr:`JobHandle.was_cancelled` is True. Otherwise the partial
result is the ``partial`` attribute of the last progress object, if it has one; with no partial
result at all ``on_cancel`` is called (if given) instead of ``on_done``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator
from typing import Any, Protocol

import shiboken6
from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QApplication, QProgressDialog, QWidget

CURSOR_DELAY_MS = 300
DIALOG_DELAY_MS = 600
_STEPS = 1000  # progress dialog resolution


class ProgressLike(Protocol):
    """What a job yields (planner.model should define a ``Progress`` dataclass like this)."""

    fraction: float | None
    message: str


class JobCancelled(Exception):
    """Thrown into a job's generator when the user cancels it."""


Job = Generator[Any, None, Any] | Callable[[], Generator[Any, None, Any]]


class _Signals(QObject):
    """Created in the GUI thread; emitted from the pool thread (queued to the GUI thread)."""

    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(object)
    cancelled = Signal(object)


class _Runner(QRunnable):
    def __init__(self, job: Job, signals: _Signals, cancel: threading.Event) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the handle keeps it until the end
        self.job = job
        self.signals = signals
        self.cancel = cancel

    def run(self) -> None:
        try:
            self._run()
        except RuntimeError:
            self.cancel.set()  # the signal object is gone (application exiting): just stop

    def _run(self) -> None:
        last: Any = None
        try:
            gen = self.job() if callable(self.job) else self.job
            while True:
                if self.cancel.is_set():
                    self.signals.cancelled.emit(_stop(gen, last))
                    return
                try:
                    last = next(gen)
                except StopIteration as stop:
                    self.signals.finished.emit(stop.value)
                    return
                self.signals.progress.emit(last)
        except BaseException as exc:
            self.signals.failed.emit(exc)


def _stop(gen: Generator[Any, None, Any], last: Any) -> Any:
    """Throw JobCancelled in; the generator's return value, else ``last.partial``, else None."""
    try:
        gen.throw(JobCancelled())
    except StopIteration as stop:
        if stop.value is not None:
            return stop.value
    except JobCancelled:
        pass
    else:
        gen.close()  # it yielded again instead of stopping: force it
    return getattr(last, "partial", None)


class JobHandle(QObject):
    """A running job: cancel it, watch it. Lives in the GUI thread; all signals arrive there.

    Signals: ``progress(object)`` each yield, ``finished(object)`` the result,
    ``failed(object)`` the exception, ``cancelled(object)`` the partial result (or None),
    ``ended()`` after any of the three and after the callbacks ran.
    """

    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(object)
    cancelled = Signal(object)
    ended = Signal()

    def __init__(
        self,
        parent: QWidget | None,
        title: str,
        job: Job,
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None] | None,
        on_cancel: Callable[[], None] | None,
        cancellable: bool,
        dialog_factory: Callable[[QWidget | None], Any] | None = None,
    ) -> None:
        super().__init__(None)  # not parented: must outlive a closed window until the job ends
        self._dialog_factory = dialog_factory
        self._parent = parent
        self.title = title
        self.cancellable = cancellable
        self._on_done, self._on_error, self._on_cancel = on_done, on_error, on_cancel
        self._cancel = threading.Event()
        self._running = True
        self.was_cancelled = False
        self.last_progress: Any = None
        #: A QProgressDialog, or what ``dialog_factory`` made (same methods and signal).
        self.dialog: Any = None
        self._cursor = False
        self._signals = _Signals()
        self._signals.progress.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        self._signals.finished.connect(self._on_finished, Qt.ConnectionType.QueuedConnection)
        self._signals.failed.connect(self._on_failed, Qt.ConnectionType.QueuedConnection)
        self._signals.cancelled.connect(self._on_cancelled, Qt.ConnectionType.QueuedConnection)
        self._cursor_timer = _single_shot(self, CURSOR_DELAY_MS, self._show_cursor)
        self._dialog_timer = _single_shot(self, DIALOG_DELAY_MS, self._show_dialog)
        self._runner = _Runner(job, self._signals, self._cancel)
        self._pool: QThreadPool = QThreadPool.globalInstance()

    # -- public --------------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self._running

    def cancel(self) -> None:
        """Ask the job to stop at its next yield (no effect if ``cancellable`` is False)."""
        if self.cancellable and self._running:
            self._cancel.set()
            if self.dialog is not None and shiboken6.isValid(self.dialog):
                self.dialog.setLabelText("Cancelling…")

    @staticmethod
    def _on_cancel_noop(_result: Any) -> None:
        return

    # -- GUI-thread slots ----------------------------------------------------------------------
    def _show_cursor(self) -> None:
        if self._running and not self._cursor:
            QApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)
            self._cursor = True

    def _show_dialog(self) -> None:
        if not self._running:
            return
        parent = (
            self._parent if self._parent is not None and shiboken6.isValid(self._parent) else None
        )
        if self._dialog_factory is not None:
            dlg = self._dialog_factory(parent)
        else:
            dlg = QProgressDialog(
                self._message(), "Cancel" if self.cancellable else "", 0, _STEPS, parent
            )
            if not self.cancellable:
                dlg.setCancelButton(None)
            dlg.setAutoClose(False)
            dlg.setAutoReset(False)
            dlg.setMinimumDuration(0)  # our own timer already waited
        dlg.setWindowTitle(self.title)
        dlg.setWindowModality(Qt.WindowModality.WindowModal)
        dlg.canceled.connect(self.cancel)
        self.dialog = dlg
        self._update_dialog()
        dlg.show()

    def _message(self) -> str:
        msg = getattr(self.last_progress, "message", "")
        return str(msg) if msg else f"{self.title}…"

    def _update_dialog(self) -> None:
        dlg = self.dialog
        if dlg is None or not shiboken6.isValid(dlg):
            return
        if self._cancel.is_set():
            return
        dlg.setLabelText(self._message())
        fraction = getattr(self.last_progress, "fraction", None)
        if fraction is None:
            dlg.setRange(0, 0)  # busy indicator: the job does not know how far it is
        else:
            dlg.setRange(0, _STEPS)
            dlg.setValue(round(min(max(float(fraction), 0.0), 1.0) * _STEPS))

    def _on_progress(self, p: Any) -> None:
        self.last_progress = p
        self._update_dialog()
        self.progress.emit(p)

    def _finish(self) -> None:
        self._running = False
        self._cursor_timer.stop()
        self._dialog_timer.stop()
        if self._cursor:
            QApplication.restoreOverrideCursor()
            self._cursor = False
        if self.dialog is not None and shiboken6.isValid(self.dialog):
            self.dialog.canceled.disconnect(self.cancel)
            self.dialog.hide()  # not close(): a closing dialog may ask to cancel once more
            self.dialog.deleteLater()
        _ACTIVE.discard(self)

    def _on_finished(self, result: Any) -> None:
        self._finish()
        self.finished.emit(result)
        try:
            self._on_done(result)
        finally:
            self.ended.emit()

    def _on_failed(self, exc: BaseException) -> None:
        self._finish()
        self.failed.emit(exc)
        try:
            if self._on_error is not None:
                self._on_error(exc)
            elif isinstance(exc, Exception):
                raise exc  # no handler: let Qt/pytest-qt report it like any slot error
        finally:
            self.ended.emit()

    def _on_cancelled(self, partial: Any) -> None:
        self._finish()
        self.was_cancelled = True
        self.cancelled.emit(partial)
        try:
            if partial is not None:
                self._on_done(partial)
            elif self._on_cancel is not None:
                self._on_cancel()
        finally:
            self.ended.emit()


def _single_shot(owner: QObject, ms: int, slot: Callable[[], None]) -> QTimer:
    timer = QTimer(owner)
    timer.setSingleShot(True)
    timer.setInterval(ms)
    timer.timeout.connect(slot)
    timer.start()
    return timer


#: Handles of running jobs: keeps them (and their signal objects) alive until they end.
_ACTIVE: set[JobHandle] = set()


def run_job(
    parent: QWidget | None,
    title: str,
    job: Job,
    on_done: Callable[[Any], None],
    on_error: Callable[[BaseException], None] | None = None,
    cancellable: bool = True,
    *,
    on_cancel: Callable[[], None] | None = None,
    pool: QThreadPool | None = None,
    dialog_factory: Callable[[QWidget | None], Any] | None = None,
) -> JobHandle:
    """Start ``job`` on ``pool`` (the global pool by default); callbacks run in the GUI thread.
    ``dialog_factory(parent)`` makes the progress dialog instead of a QProgressDialog (it
    needs ``setLabelText``, ``setRange``, ``setValue`` and a ``canceled`` signal).

    Example::

        run_job(window, "Optimising", lambda: optimize.run(plan), on_done=apply_result)
    """
    handle = JobHandle(
        parent, title, job, on_done, on_error, on_cancel, cancellable, dialog_factory
    )
    handle._pool = pool or QThreadPool.globalInstance()
    _ACTIVE.add(handle)
    handle._pool.start(handle._runner)
    return handle


def cancel_all(wait_ms: int = 3000) -> bool:
    """Cancel every running job and wait for their threads (call from the window's closeEvent).

    Returns True if all pool threads finished within ``wait_ms``. Callbacks of the cancelled
    jobs are not run: the window is going away.
    """
    pools = {id(h._pool): h._pool for h in _ACTIVE}
    for h in list(_ACTIVE):
        h._on_done = h._on_cancel_noop
        h._on_cancel = None
        h._cancel.set()
    ok = all(p.waitForDone(wait_ms) for p in pools.values())
    QApplication.processEvents()
    return ok
