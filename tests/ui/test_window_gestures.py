"""The whole window driven as a person drives it (issue 12): keys for the tools, real mouse drags
on the map, Enter and Esc, Ctrl+Z. After any sequence the window and ``planner balance`` agree.

The grid project: 6 x 4 cells of 0.1 degree from (-84.0, 33.0); T1 holds columns 0-1, T2
columns 2-3, T3 columns 4-5.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from planner.cli import main as cli
from planner.model.plan import Plan
from planner.model.store import Project
from planner.model.synthetic import grid_project
from tests.ui import real_input as ri

pytestmark = pytest.mark.webengine
ENTER, ESC = Qt.Key.Key_Return, Qt.Key.Key_Escape
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def window(qtbot: Any, tmp_path: Path) -> Iterator[Any]:
    from PySide6.QtCore import QCoreApplication, QEvent

    from planner.ui.main_window import MainWindow

    grid_project(tmp_path / "g.tplan", pins=2).close()
    w = MainWindow(page_dir=tmp_path / "page", remember_layout=False)
    qtbot.addWidget(w, before_close_func=lambda win: win.map_view.dispose(delete_view=False))
    w.resize(1366, 768)
    w.show()
    with qtbot.waitSignal(w.map_rendered, timeout=30_000):
        assert w.open_project(tmp_path / "g.tplan")
    qtbot.wait(300)  # the map has fitted the grid
    yield w
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def key(
    qtbot: Any, w: Any, code: Qt.Key, mod: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
) -> None:
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=5000)
    ri.key(w, code, mod)


def cell(w: Any, i: float, j: float) -> QPoint:
    """The container pixel of the centre of cell (i, j) (fractions go between cells)."""
    return ri.container_point(w.map_view, 33.0 + 0.1 * j + 0.05, -84.0 + 0.1 * i + 0.05)


def ring(w: Any, i0: float, j0: float, i1: float, j1: float) -> list[QPoint]:
    """A freehand loop around cells i0..i1 x j0..j1 (a little outside their centres)."""
    corners = [
        (i0 - 0.4, j0 - 0.4),
        (i1 + 0.4, j0 - 0.4),
        (i1 + 0.4, j1 + 0.4),
        (i0 - 0.4, j1 + 0.4),
    ]
    pts = [cell(w, i, j) for i, j in corners]
    return [*pts, pts[0]]


def digest(path: Path) -> str:
    with Project.open(path) as p, p.engine.connect() as c:
        c.exec_driver_sql("PRAGMA wal_checkpoint(FULL)")
        return hashlib.sha256(
            "\n".join(c.connection.driver_connection.iterdump()).encode()
        ).hexdigest()


def cli_balance(w: Any, capsys: Any) -> dict[str, Any]:
    capsys.readouterr()
    assert cli(["balance", str(w.project.location), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def assert_window_matches_cli(w: Any, capsys: Any) -> None:
    """What the window shows is what a fresh reading of the project says (issue 12 defect 2)."""
    data = cli_balance(w, capsys)
    shown = {r["name"]: r for r in w.plan.rows()}
    assert {t["name"] for t in data["territories"]} == set(shown)
    for t in data["territories"]:
        for m in ("accounts", "potential", "workload_hours", "revenue", "pipeline"):
            assert t[m] == pytest.approx(shown[t["name"]][m], rel=1e-9, abs=1e-6), (t["name"], m)
            assert t["deviation"][m] == pytest.approx(shown[t["name"]]["deviation"][m], abs=1e-9)
    summary = w.plan.summary()["max_abs_deviation"]
    for m, v in data["summary"]["max_abs_deviation"].items():
        assert v == pytest.approx(summary[m], abs=1e-9)
    model = w.balance_dock.table.balance_model
    assert model.rowCount() == len(shown)  # the table shows the same territories


def test_freehand_lasso_drag_then_enter_moves_the_cells(qtbot, window, capsys) -> None:
    w = window
    w.territory_combo.setCurrentIndex(2)  # T3 takes what the lasso holds
    key(qtbot, w, Qt.Key.Key_L)
    with qtbot.waitSignal(w.workspace.previewChanged, timeout=10_000) as sig:
        ri.drag_path(w.map_view, ring(w, 0, 0, 1, 1))
    assert sig.args[0].units == 4
    assert w.preview_bar.pending
    key(qtbot, w, ENTER)
    qtbot.waitUntil(lambda: not w.preview_bar.pending, timeout=5000)
    codes = {
        str(c) for c, t in zip(w.plan.atoms.unit_codes, w.plan.alignment, strict=False) if t == 2
    }
    assert {"U0_0", "U0_1", "U1_0", "U1_1"} <= codes
    assert w.undo_stack.count() == 1
    assert_window_matches_cli(w, capsys)


def test_paint_drag_collects_the_cells_under_the_path(qtbot, window, capsys) -> None:
    w = window
    w.territory_combo.setCurrentIndex(0)
    key(qtbot, w, Qt.Key.Key_P)
    with qtbot.waitSignal(w.workspace.previewChanged, timeout=10_000) as sig:
        ri.drag_path(w.map_view, [cell(w, 2, 0), cell(w, 3, 0), cell(w, 4, 0)])
    assert sig.args[0].units == 3
    key(qtbot, w, ENTER)
    assert [int(t) for t in w.plan.alignment[[8, 12, 16]]] == [0, 0, 0]  # U2_0, U3_0, U4_0
    assert_window_matches_cli(w, capsys)


def test_draw_then_esc_writes_nothing(qtbot, window, capsys) -> None:
    w = window
    path = Path(w.project.location)
    before = digest(path)
    key(qtbot, w, Qt.Key.Key_D)
    with qtbot.waitSignal(w.workspace.previewChanged, timeout=10_000) as sig:
        ri.drag_path(w.map_view, ring(w, 2, 1, 3, 2))
    assert any(t.name == "New territory" for t in sig.args[0].territories)
    key(qtbot, w, ESC)
    assert not w.preview_bar.pending
    assert w.plan.atoms.n_territories == 3
    assert w.territory_combo.count() == 3
    assert digest(path) == before  # not a byte written: no "New territory" left behind
    assert_window_matches_cli(w, capsys)


def test_draw_enter_then_ctrl_z_removes_the_territory(qtbot, window, capsys) -> None:
    w = window
    key(qtbot, w, Qt.Key.Key_D)
    with qtbot.waitSignal(w.workspace.previewChanged, timeout=10_000):
        ri.drag_path(w.map_view, ring(w, 2, 1, 3, 2))
    key(qtbot, w, ENTER)
    assert w.territory_combo.count() == 4
    assert w.territory_combo.currentText() == "New territory"
    assert_window_matches_cli(w, capsys)
    key(qtbot, w, Qt.Key.Key_Z, CTRL)
    qtbot.waitUntil(lambda: w.plan.atoms.n_territories == 3, timeout=5000)
    assert w.territory_combo.count() == 3
    assert_window_matches_cli(w, capsys)
    assert Plan.load(Project.open(w.project.location)).atoms.n_territories == 3


def test_split_then_esc_leaves_no_empty_territory(qtbot, window, capsys) -> None:
    w = window
    path = Path(w.project.location)
    before = digest(path)
    w.territory_combo.setCurrentIndex(0)  # T1: columns 0-1
    key(qtbot, w, Qt.Key.Key_S)
    with qtbot.waitSignal(w.workspace.previewChanged, timeout=10_000) as sig:
        ri.drag_path(w.map_view, [cell(w, -1, 1.5), cell(w, 2, 1.5)])  # across T1, between rows
    assert any(t.name == "T1 (split)" for t in sig.args[0].territories)
    key(qtbot, w, ESC)
    assert w.plan.atoms.n_territories == 3
    assert digest(path) == before
    assert_window_matches_cli(w, capsys)


def test_after_a_scenario_switch_the_tooltip_names_the_scenarios_territory(qtbot, window) -> None:
    from planner.model import moves
    from planner.model.scenarios import create_scenario

    w = window
    sid = create_scenario(w.plan.project, "East")
    east = Plan.load(w.plan.project, "East")
    east.apply(moves.for_units(east, [0], 2))  # U0_0 to T3 in scenario East only
    w.switch_scenario(sid)
    key(qtbot, w, Qt.Key.Key_Escape)  # pan mode: hovering shows tooltips
    view = w.map_view

    def tooltip_over(i: int, j: int) -> str:
        ri.move(view, cell(w, i, j), buttons=Qt.MouseButton.NoButton)
        ri.move(view, cell(w, i, j) + QPoint(1, 1), buttons=Qt.MouseButton.NoButton)
        return str(ri.js(view, "(function(){var t=document.querySelector('.tp-tip-territory');"
                               "return t ? t.textContent : '';})()"))  # fmt: skip

    qtbot.waitUntil(lambda: tooltip_over(0, 0) == "T3", timeout=10_000)
    w.switch_scenario(w.plan.project.baseline_id())
    qtbot.waitUntil(lambda: tooltip_over(0, 0) == "T1", timeout=10_000)


@pytest.mark.parametrize("seed", [1, 2])
def test_random_gesture_sequences_agree_with_the_cli(qtbot, window, capsys, seed) -> None:
    """Lassos, paints, draws with Enter or Esc, undo and redo in a random order, all through
    real input; after each step the window and a fresh reading of the project agree."""
    w = window
    rng = random.Random(seed)
    for _ in range(7):
        step = rng.choice(["lasso", "paint", "draw-enter", "draw-esc", "undo", "redo"])
        i, j = rng.randrange(0, 5), rng.randrange(0, 3)
        w.territory_combo.setCurrentIndex(rng.randrange(w.territory_combo.count()))
        if step == "undo":
            key(qtbot, w, Qt.Key.Key_Z, CTRL)
        elif step == "redo":
            key(qtbot, w, Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)
        else:
            tool = {"lasso": Qt.Key.Key_L, "paint": Qt.Key.Key_P}.get(step, Qt.Key.Key_D)
            key(qtbot, w, tool)
            path = (
                [cell(w, i, j), cell(w, i + 1, j)]
                if step == "paint"
                else ring(w, i, j, i + 1, j + 1)
            )
            ri.drag_path(w.map_view, path)
            qtbot.wait(100)
            if w.workspace.pending is not None:
                key(qtbot, w, ESC if step == "draw-esc" else ENTER)
        qtbot.wait(50)
        assert_window_matches_cli(w, capsys)
