"""Background jobs: no flicker for fast jobs, delayed dialog, Cancel, errors, GUI thread only."""

from __future__ import annotations

import threading
import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton, QWidget

from planner.ui.workers import JobCancelled, cancel_all, run_job


@dataclass(frozen=True)
class Step:
    fraction: float | None
    message: str
    partial: Any = None


@pytest.fixture
def window(qtbot: Any) -> QWidget:
    w = QWidget()
    qtbot.addWidget(w)
    w.show()
    return w


def _slow(steps: int, pause: float, seen: list[str]) -> Generator[Step, None, int]:
    seen.append(threading.current_thread().name)
    for i in range(steps):
        time.sleep(pause)
        yield Step((i + 1) / steps, f"step {i + 1} of {steps}", partial=i + 1)
    return steps


def test_fast_job_shows_no_dialog_and_calls_back_in_gui_thread(qtbot: Any, window: QWidget) -> None:
    threads: list[str] = []
    results: list[tuple[Any, bool]] = []

    def job() -> Generator[Step, None, str]:
        threads.append(threading.current_thread().name)
        yield Step(0.5, "half")
        return "done"

    def on_done(result: Any) -> None:
        results.append((result, threading.current_thread() is threading.main_thread()))

    handle = run_job(window, "Fast", job, on_done)
    with qtbot.waitSignal(handle.ended, timeout=5000):
        pass
    assert results == [("done", True)]
    assert threads
    assert threads[0] != threading.main_thread().name  # the generator ran in the pool
    assert handle.dialog is None
    assert QApplication.overrideCursor() is None
    assert not handle.is_running()


def test_slow_job_shows_the_dialog_after_600_ms_with_its_message(
    qtbot: Any, window: QWidget
) -> None:
    seen: list[str] = []
    results: list[Any] = []
    progress_threads: list[bool] = []
    started = time.monotonic()
    handle = run_job(window, "Slow", _slow(12, 0.1, seen), results.append)
    handle.progress.connect(
        lambda _p: progress_threads.append(threading.current_thread() is threading.main_thread())
    )
    qtbot.waitUntil(lambda: QApplication.overrideCursor() is not None, timeout=2000)
    assert handle.dialog is None or time.monotonic() - started >= 0.55
    qtbot.waitUntil(lambda: handle.dialog is not None and handle.dialog.isVisible(), timeout=3000)
    assert time.monotonic() - started >= 0.55
    qtbot.waitUntil(lambda: "step" in handle.dialog.labelText(), timeout=2000)
    assert handle.dialog.labelText().startswith("step ")
    assert handle.dialog.windowTitle() == "Slow"
    assert handle.dialog.value() > 0
    with qtbot.waitSignal(handle.ended, timeout=5000):
        pass
    assert results == [12]
    assert progress_threads
    assert all(progress_threads)
    assert QApplication.overrideCursor() is None
    assert not handle.dialog.isVisible()


def test_cancel_stops_within_one_step_and_keeps_the_partial_result(
    qtbot: Any, window: QWidget
) -> None:
    seen: list[str] = []
    results: list[Any] = []
    handle = run_job(window, "Slow", _slow(100, 0.1, seen), results.append)
    qtbot.waitUntil(lambda: handle.dialog is not None and handle.dialog.isVisible(), timeout=3000)
    cancelled_at = time.monotonic()
    button = handle.dialog.findChild(QPushButton)
    assert button.text() == "Cancel"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(handle.ended, timeout=2000):
        pass
    assert time.monotonic() - cancelled_at < 0.35  # one step is 0.1 s
    assert handle.was_cancelled
    assert len(results) == 1
    assert 5 <= results[0] < 100  # the last yielded partial result


def test_generator_may_return_its_own_partial_result(qtbot: Any, window: QWidget) -> None:
    def job() -> Generator[Step, None, str]:
        best = "nothing yet"
        try:
            for i in range(1000):
                time.sleep(0.02)
                best = f"best after {i + 1}"
                yield Step(None, "searching")
        except JobCancelled:
            return best
        return "finished"

    results: list[Any] = []
    handle = run_job(window, "Search", job, results.append)
    qtbot.waitUntil(lambda: handle.last_progress is not None, timeout=3000)
    with qtbot.waitSignal(handle.ended, timeout=2000):
        handle.cancel()
    assert results[0].startswith("best after ")


def test_cancel_without_partial_result_calls_on_cancel(qtbot: Any, window: QWidget) -> None:
    def job() -> Generator[Step, None, int]:
        while True:
            time.sleep(0.02)
            yield Step(None, "working")

    done: list[Any] = []
    cancelled: list[bool] = []
    handle = run_job(window, "Loop", job, done.append, on_cancel=lambda: cancelled.append(True))
    qtbot.waitUntil(lambda: handle.last_progress is not None, timeout=3000)
    with qtbot.waitSignal(handle.ended, timeout=2000):
        handle.cancel()
    assert done == []
    assert cancelled == [True]


def test_exception_reaches_on_error_with_its_message(qtbot: Any, window: QWidget) -> None:
    def job() -> Generator[Step, None, None]:
        yield Step(0.1, "reading")
        raise ValueError("row 7: bad postal code")

    errors: list[tuple[str, bool]] = []
    done: list[Any] = []

    def on_error(exc: BaseException) -> None:
        errors.append((str(exc), threading.current_thread() is threading.main_thread()))

    handle = run_job(window, "Import", job, done.append, on_error)
    with qtbot.waitSignal(handle.ended, timeout=5000):
        pass
    assert errors == [("row 7: bad postal code", True)]
    assert done == []
    assert QApplication.overrideCursor() is None


def test_not_cancellable_job_ignores_cancel(qtbot: Any, window: QWidget) -> None:
    seen: list[str] = []
    results: list[Any] = []
    handle = run_job(window, "Save", _slow(8, 0.1, seen), results.append, cancellable=False)
    qtbot.waitUntil(lambda: handle.dialog is not None, timeout=3000)
    handle.cancel()
    with qtbot.waitSignal(handle.ended, timeout=5000):
        pass
    assert results == [8]
    assert not handle.was_cancelled


def test_cancel_all_stops_running_jobs_for_shutdown(qtbot: Any, window: QWidget) -> None:
    seen: list[str] = []
    results: list[Any] = []
    handle = run_job(window, "Slow", _slow(100, 0.05, seen), results.append)
    qtbot.waitUntil(lambda: handle.last_progress is not None, timeout=3000)
    assert cancel_all(2000)
    qtbot.waitUntil(lambda: not handle.is_running(), timeout=2000)
    assert results == []  # the window is closing: no callbacks into it
