"""Keyboard use of the real window: Ctrl+F with every dock showing, Esc, the Territory menu's
dialogs. Keys go to the window as a person presses them; dialogs are answered like a person."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QInputDialog

from planner.model.plan import Plan
from planner.model.store import Project
from planner.model.synthetic import grid_project

pytestmark = pytest.mark.webengine


@pytest.fixture
def window(qtbot: Any, tmp_path: Path) -> Iterator[Any]:
    from PySide6.QtCore import QCoreApplication, QEvent, QSettings, QStandardPaths

    from planner.ui.main_window import MainWindow

    QStandardPaths.setTestModeEnabled(True)
    QSettings().clear()
    grid_project(tmp_path / "g.tplan", pins=2).close()
    w = MainWindow(page_dir=tmp_path / "page")
    qtbot.addWidget(w, before_close_func=lambda win: win.map_view.dispose(delete_view=False))
    w.resize(1366, 768)
    w.show()
    with qtbot.waitSignal(w.map_rendered, timeout=30_000):
        assert w.open_project(tmp_path / "g.tplan")
    yield w
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def press(
    qtbot: Any, w: Any, key: Qt.Key, mod: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
) -> None:
    """A key on the window as a person presses it: the window is the active one (after a
    dialog closed, offscreen Qt leaves no window active and shortcuts would not fire)."""
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=5000)
    qtbot.keyClick(w, key, mod)


def answer_dialog(qtbot: Any, fill: Callable[[QDialog], None]) -> list[str]:
    """Answer the next modal dialog as a person would (``fill`` types into it, then OK)."""
    seen: list[str] = []

    def act() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QDialog):
            QTimer.singleShot(20, act)
            return
        seen.append(dialog.windowTitle())
        fill(dialog)

    QTimer.singleShot(20, act)
    return seen


def type_text(text: str) -> Callable[[QDialog], None]:
    def fill(dialog: QDialog) -> None:
        assert isinstance(dialog, QInputDialog)
        dialog.setTextValue(text)
        dialog.accept()

    return fill


@pytest.mark.parametrize("dock", ["balance", "chart", "history", "scenarios", "handovers",
                                  "impact", "account", "layers"])  # fmt: skip
def test_ctrl_f_with_each_dock_showing_finds_the_account(qtbot, window, capfd, dock) -> None:
    w = window
    w.show_dock(dock)
    if dock == "layers":  # the crash needed the colour mode switched first
        w.layers_panel.by_deviation.setChecked(True)
        w.layers_panel.by_territory.setChecked(True)
    qtbot.wait(50)
    seen = answer_dialog(qtbot, type_text("Account 7"))
    press(qtbot, w, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: w.selected_account == 7, timeout=5000)
    assert seen == ["Find account"]
    assert "Account 7" in w.account_panel.browser.toPlainText()
    err = capfd.readouterr().err
    assert "Error calling Python override" not in err
    assert "TypeError" not in err


def test_rename_through_the_dialog_is_one_undo_step_kept_after_reopening(qtbot, window) -> None:
    w = window
    w.territory_combo.setCurrentIndex(1)
    seen = answer_dialog(qtbot, type_text("North <i>East</i>"))
    press(qtbot, w, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: w.plan.rows()[1]["name"] == "North <i>East</i>", timeout=5000)
    assert seen == ["Rename territory"]
    assert w.territory_combo.itemText(1) == "North <i>East</i>"
    assert w.undo_stack.count() == 1
    assert w.undo_stack.text(0).startswith("rename T2 to North <i>East</i>")
    # The status bar shows the name as typed, not as HTML.
    assert w.selection_label.textFormat() == Qt.TextFormat.PlainText
    assert w.selection_label.text().startswith("North <i>East</i>:")
    reopened = Plan.load(Project.open(w.project.location))
    assert reopened.rows()[1]["name"] == "North <i>East</i>"
    assert [h["kind"] for h in reopened.history()] == ["rename"]
    press(qtbot, w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: w.plan.rows()[1]["name"] == "T2", timeout=5000)
    assert w.territory_combo.itemText(1) == "T2"


def test_no_label_renders_a_name_as_html(qtbot, window) -> None:
    from PySide6.QtWidgets import QLabel

    from planner.model import territories

    w = window
    evil = "<img src=x onerror=alert(1)>Nord"
    assert w.workspace.apply(territories.rename(w.plan, 0, evil))
    w.territory_combo.setCurrentIndex(0)
    w.map_view.bridge.receive('{"kind": "paint", "units": [20]}')  # a preview naming it
    qtbot.wait(50)
    showing = [lb for lb in w.findChildren(QLabel) if "onerror" in lb.text()]
    assert showing, "the name is shown somewhere"
    for label in showing:
        rich = label.textFormat() == Qt.TextFormat.RichText or (
            label.textFormat() == Qt.TextFormat.AutoText and Qt.mightBeRichText(label.text())
        )
        assert not rich or "<img" not in label.text(), label.objectName() or label.text()[:60]


def test_a_stale_window_is_told_and_f5_reloads_it(qtbot, window, tmp_path) -> None:
    from planner.cli import main

    w = window
    plan_csv = tmp_path / "plan.csv"
    plan_csv.write_text("unit_code,territory\nU0_0,T3\n")
    assert main(["import-territories", str(w.project.location), str(plan_csv), "--update"]) == 0
    w.territory_combo.setCurrentIndex(1)
    w.map_view.bridge.receive('{"kind": "paint", "units": [24]}')  # U5_3, in T3
    assert w.workspace.pending is not None
    press(qtbot, w, Qt.Key.Key_Return)
    assert "reload to see the changes" in w.last_error  # refused, not written over the import
    press(qtbot, w, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: w.plan.alignment[0] == 2, timeout=10_000)  # the import is shown
    w.map_view.bridge.receive('{"kind": "paint", "units": [24]}')
    press(qtbot, w, Qt.Key.Key_Return)
    assert w.plan.alignment[23] == 1
    assert [h["kind"] for h in w.plan.history()] == ["import-territories", "paint"]
