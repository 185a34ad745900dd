"""Freehand gestures driven by real Qt input (issue 12, defect 9): press, drag with the button
held, release; Esc cancels; a click meant for a dialog over the map never paints or lassos."""

from __future__ import annotations

from typing import Any

import pytest
import shapely.geometry
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout

from tests.ui import real_input as ri
from tests.ui.map_grid import colour_grid, point, show

pytestmark = pytest.mark.webengine

SIGNAL = {
    "lasso": "lassoDrawn",
    "draw": "polygonDrawn",
    "split": "lineDrawn",
    "paint": "paintStroke",
}


class Recorder:
    """Every drawing message the page sends, by bridge signal name."""

    def __init__(self, view: Any) -> None:
        self.seen: list[tuple[str, Any]] = []
        for name in SIGNAL.values():
            getattr(view.bridge, name).connect(lambda value, n=name: self.seen.append((n, value)))


@pytest.fixture
def grid_view(qtbot: Any, map_view: Any) -> Any:
    """The grid in explicit colours: gestures need no territory model (and so these tests run
    against an older page too, to show they fail there)."""
    show(qtbot, map_view, colour_grid(), territories=False)
    return map_view


def _set_mode(view: Any, mode: str) -> None:
    view.set_mode(mode)
    ri.wait_until(lambda: ri.js(view, "TP.state().mode") == mode, what=f"mode {mode}")


def _square(view: Any) -> list[QPoint]:
    """Around units 11, 12, 21, 22 (the middle of the grid), through the centres of 0, 3, 33, 30."""
    return [point(view, u) for u in (0, 3, 33, 30)]


@pytest.mark.parametrize("mode", ["lasso", "draw"])
def test_a_freehand_polygon_is_one_message_containing_the_path_and_the_map_does_not_pan(
    qtbot: Any, grid_view: Any, mode: str
) -> None:
    view = grid_view
    _set_mode(view, mode)
    record = Recorder(view)
    before = ri.map_center(view)
    corners = _square(view)
    with qtbot.waitSignal(getattr(view.bridge, SIGNAL[mode]), timeout=10_000) as blocker:
        path = ri.drag_path(view, [*corners, corners[0]])
    polygon = shapely.geometry.shape(blocker.args[0])
    assert polygon.is_valid
    for p in path[::7]:  # every sampled point of the hand's path is on or inside the shape
        lat, lon = ri.lat_lon(view, p)
        assert polygon.buffer(1e-3).contains(shapely.geometry.Point(lon, lat))
    assert polygon.contains(shapely.geometry.Point(-98.0, 39.0))  # the middle of the grid
    assert ri.map_center(view) == before  # the drag drew; it did not pan
    qtbot.wait(200)
    assert len(record.seen) == 1  # one message per gesture
    assert ri.js(view, "TP.state().gesture") is None
    assert not view.gesture_active


def test_split_sends_the_dragged_line(qtbot: Any, grid_view: Any) -> None:
    view = grid_view
    _set_mode(view, "split")
    before = ri.map_center(view)
    with qtbot.waitSignal(view.bridge.lineDrawn, timeout=10_000) as blocker:
        ri.drag_path(view, [point(view, 20), point(view, 23)])
    line = shapely.geometry.shape(blocker.args[0])
    assert line.geom_type == "LineString"
    assert line.bounds == pytest.approx((-98.75, 39.25, -97.25, 39.25), abs=0.02)
    assert ri.map_center(view) == before


def test_paint_drag_sends_the_units_under_the_path_in_order(qtbot: Any, grid_view: Any) -> None:
    view = grid_view
    _set_mode(view, "paint")
    before = ri.map_center(view)
    with qtbot.waitSignal(view.bridge.paintStroke, timeout=10_000) as blocker:
        # A fast diagonal stroke: the page samples the segment, no unit crossed is skipped.
        ri.drag_path(view, [point(view, 0), point(view, 3), point(view, 33)], step_px=60)
    assert blocker.args[0] == [0, 1, 2, 3, 13, 23, 33]
    assert ri.map_center(view) == before
    with qtbot.waitSignal(view.bridge.paintStroke, timeout=10_000) as blocker:
        ri.click(view, point(view, 22))  # a click paints one unit
    assert blocker.args[0] == [22]


@pytest.mark.parametrize("mode", ["lasso", "draw", "split"])
def test_a_click_or_a_slip_of_the_hand_draws_nothing(qtbot: Any, grid_view: Any, mode: str) -> None:
    view = grid_view
    _set_mode(view, mode)
    record = Recorder(view)
    p = point(view, 11)
    ri.click(view, p)
    ri.drag_path(view, [p, p + QPoint(4, 0), p + QPoint(4, 3), p])
    qtbot.wait(300)
    assert record.seen == []
    assert not view.gesture_active


@pytest.mark.parametrize("mode", ["lasso", "draw", "split", "paint"])
def test_escape_while_drawing_cancels_the_gesture_and_sends_nothing(
    qtbot: Any, grid_view: Any, mode: str
) -> None:
    view = grid_view
    # The window has an Esc shortcut of its own (the app's "cancel preview"): while a gesture
    # is drawn, Esc must reach the page instead.
    fired: list[bool] = []
    action = QAction("Cancel preview", view)
    action.setShortcut(QKeySequence(Qt.Key.Key_Escape))
    action.triggered.connect(lambda: fired.append(True))
    view.addAction(action)
    _set_mode(view, mode)
    record = Recorder(view)
    corners = _square(view)
    with qtbot.waitSignal(view.gestureChanged, timeout=10_000):
        path = ri.drag_path(view, corners, release_at_end=False)
    assert view.gesture_active
    assert ri.js(view, "TP.state().gesture") == mode
    ri.key(view, Qt.Key.Key_Escape, page_view=view)
    ri.wait_until(lambda: not view.gesture_active, what="gesture cancelled")
    assert ri.js(view, "TP.state().gesture") is None
    ri.release(view, path[-1])
    qtbot.wait(300)
    assert record.seen == []
    assert fired == []  # the window's Esc did not fire as well
    # With no gesture in progress Esc is the window's again.
    ri.key(view, Qt.Key.Key_Escape)
    assert fired == [True]


def _dialog_over(view: Any, target: QPoint) -> tuple[QDialog, QPoint]:
    """A window-modal dialog (like Auto-balance) whose Cancel button lies over ``target``."""
    dialog = QDialog(view)
    dialog.setWindowTitle("Auto-balance")
    layout = QVBoxLayout(dialog)
    layout.addWidget(QLabel("Balance the territories?"))
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons)
    dialog.open()  # window-modal, like exec(), without blocking the test
    ri.wait_until(dialog.isVisible, what="dialog shown")
    cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
    at = cancel.mapToGlobal(cancel.rect().center())
    dialog.move(dialog.pos() + view.mapToGlobal(target) - at)
    ri.process(100)
    return dialog, cancel.mapTo(dialog, cancel.rect().center())


def test_a_double_click_on_a_dialog_button_over_the_map_does_not_paint(
    qtbot: Any, grid_view: Any
) -> None:
    """Defect 9, reproduced with real X input (XTest under Xvfb): the first click of a double
    click on Cancel closes the dialog, the second landed on the map and painted a unit."""
    view = grid_view
    _set_mode(view, "paint")
    record = Recorder(view)
    spot = point(view, 12)
    dialog, cancel = _dialog_over(view, spot)
    ri.window_press(dialog, cancel)
    ri.window_release(dialog, cancel)
    assert not dialog.isVisible()  # the first click cancelled the dialog
    ri.window_press(view, spot)  # the second click of the double click
    ri.window_release(view, spot)
    qtbot.wait(300)
    assert record.seen == []
    assert ri.js(view, "TP.state().gesture") is None
    # The map works normally afterwards: a deliberate click paints.
    qtbot.wait(600)  # longer than a double click
    with qtbot.waitSignal(view.bridge.paintStroke, timeout=10_000) as blocker:
        ri.window_press(view, spot)
        ri.window_release(view, spot)
    assert blocker.args[0] == [12]


def test_a_press_on_a_dialog_and_a_release_over_the_map_sends_nothing(
    qtbot: Any, grid_view: Any
) -> None:
    view = grid_view
    for mode in ("paint", "lasso"):
        _set_mode(view, mode)
        record = Recorder(view)
        spot = point(view, 12)
        dialog, cancel = _dialog_over(view, spot)
        ri.window_press(dialog, cancel)
        dialog.close()  # the dialog goes away while the button is held (a job ended)
        ri.window_release(view, spot)
        qtbot.wait(600)  # the hand moves on: a fresh click elsewhere
        ri.window_press(view, point(view, 33))
        ri.window_release(view, point(view, 33))
        qtbot.wait(300)
        painted = [v for n, v in record.seen if n == "paintStroke"]
        assert painted == ([[33]] if mode == "paint" else []), mode  # only the fresh click
        assert [n for n, _ in record.seen if n != "paintStroke"] == [], mode


def test_a_release_or_drag_without_a_press_on_the_map_is_swallowed(
    qtbot: Any, grid_view: Any
) -> None:
    view = grid_view
    _set_mode(view, "paint")
    record = Recorder(view)
    ri.move(view, point(view, 0), ri.LEFT, wait=False)  # button held since somewhere else
    ri.release(view, point(view, 1), wait=False)
    qtbot.wait(300)
    assert record.seen == []
    reasons = [r for _, r in view.input_guard.swallowed]
    assert "drag without a press on the map" in reasons
    assert "release without a press on the map" in reasons
