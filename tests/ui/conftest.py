"""Qt set-up for UI tests: offscreen platform, no Chromium sandbox, a real map view fixture.

The environment variables must be set before anything imports Qt, hence at module import time.
Set ``TP_TEST_DISPLAY=1`` with a ``DISPLAY`` (for example under Xvfb) to render in a real window.
"""

from __future__ import annotations

import os

if not (os.environ.get("DISPLAY") and os.environ.get("TP_TEST_DISPLAY") == "1"):
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
_flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
if "--no-sandbox" not in _flags:
    os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = (_flags + " --no-sandbox").strip()

from collections.abc import Callable, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

READY_TIMEOUT_MS = 20_000
JS_TIMEOUT_MS = 10_000


@pytest.fixture
def map_view(qtbot: Any, tmp_path: Path) -> Iterator[Any]:
    """A shown ``MapView`` whose page has said ready; torn down in the crash-free order."""
    from PySide6.QtCore import QCoreApplication, QEvent

    from planner.ui.map.view import MapView

    view = MapView(page_dir=tmp_path / "page")
    # pytest-qt closes and deletes the widget; dispose() first removes the page before the
    # profile (the order that avoids crashes at exit).
    qtbot.addWidget(view, before_close_func=lambda w: w.dispose(delete_view=False))
    view.resize(800, 600)
    with qtbot.waitSignal(view.mapReady, timeout=READY_TIMEOUT_MS):
        view.show()
    yield view
    # pytest-qt has closed the view and called deleteLater() by now: run that delete before the
    # next test, or the view lives until exit, where Chromium complains about its profile.
    view.dispose(delete_view=False)  # no-op if pytest-qt's close already ran it
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def js(qtbot: Any, map_view: Any) -> Callable[[str], Any]:
    """Evaluate a JS expression in the map page and return its JSON-decoded value."""

    def run(expression: str) -> Any:
        box: list[Any] = []
        map_view.run_js_json(expression, box.append)
        qtbot.waitUntil(lambda: bool(box), timeout=JS_TIMEOUT_MS)
        return box[0]

    return run


@pytest.fixture(autouse=True)
def _own_settings(qapp: Any) -> None:
    """Each test process keeps its window settings (layout, recent files) in a file of its own:
    two xdist workers clearing and writing one shared file made layout tests fail at random."""
    qapp.setOrganizationName("territory-planner-tests")
    qapp.setApplicationName(f"worker-{os.getpid()}")
