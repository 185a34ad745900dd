"""Quotas and the hierarchy in the real window with the real map: menu commands, in-place quota
edits undone with Ctrl+Z, the region colour view and the preview's quota line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtWidgets import QAbstractItemView, QApplication, QDialog, QInputDialog

from planner.model.plan import Plan
from planner.model.store import Project
from planner.ui.quota_dock import PLAN_ROW
from tests.ui import real_input as ri
from tests.ui.quota_fixture import YEAR, hierarchy_project, node
from tests.ui.test_keys_and_docks import answer_dialog, press
from tests.ui.test_main_window import js, unit_fill

pytestmark = pytest.mark.webengine


@pytest.fixture
def window(qtbot: Any, tmp_path: Path) -> Iterator[Any]:
    from PySide6.QtCore import QSettings, QStandardPaths

    from planner.ui.main_window import MainWindow

    QStandardPaths.setTestModeEnabled(True)
    QSettings().clear()
    hierarchy_project(tmp_path / "h.tplan").project.close()
    w = MainWindow(page_dir=tmp_path / "page")
    qtbot.addWidget(w, before_close_func=lambda win: win.map_view.dispose(delete_view=False))
    w.resize(1366, 768)
    w.show()
    with qtbot.waitSignal(w.map_rendered, timeout=30_000):
        assert w.open_project(tmp_path / "h.tplan")
    yield w
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def menu_action(w: Any, text: str) -> Any:
    for action in w.findChildren(type(w.menu_actions.deviation_action)):
        if action.text().replace("&", "") == text:
            return action
    raise AssertionError(f"no menu item {text!r}")


def test_new_district_from_the_menu_is_one_undo_step(qtbot: Any, window: Any) -> None:
    w = window
    w.territory_combo.setCurrentIndex(3)  # T4, at the top level

    def fill(dialog: QDialog) -> None:
        dialog.name.setText("Coast <b>")  # type: ignore[attr-defined]
        dialog.level.setCurrentText("district")  # type: ignore[attr-defined]
        dialog.accept()

    steps = w.undo_stack.count()  # the fixture's hierarchy and allocation
    seen = answer_dialog(qtbot, fill)
    menu_action(w, "New district or region…").trigger()
    assert seen == ["New district or region"]
    coast = node(w.plan, "Coast <b>")
    t4 = int(w.plan.atoms.territory_ids[3])
    m = w.balance_dock.table.balance_model
    assert m.row_of(m.item_index(t4))["parent"] == coast
    assert m.item_index(coast).data() == "Coast <b>"  # plain text, as typed
    assert w.undo_stack.count() == steps + 1
    press(qtbot, w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "Coast <b>" not in {n.name for n in w.plan.org.values()}, timeout=5000)
    assert m.row_of(m.item_index(t4))["parent"] == 0
    assert Plan.load(Project.open(w.project.location)).org.keys() == w.plan.org.keys()


def test_move_under_rename_and_delete_a_node(qtbot: Any, window: Any) -> None:
    w = window
    plan = w.plan
    w.territory_combo.setCurrentIndex(3)  # T4 goes under D2
    steps = w.undo_stack.count()

    def pick(label: str) -> Any:
        def fill(dialog: QDialog) -> None:
            assert isinstance(dialog, QInputDialog)
            dialog.setTextValue(next(i for i in dialog.comboBoxItems() if i.strip() == label))
            dialog.accept()

        return fill

    answer_dialog(qtbot, pick("D2 (district)"))
    menu_action(w, "Move under…").trigger()
    t4, d2 = int(plan.atoms.territory_ids[3]), node(plan, "D2")
    table = w.balance_dock.table
    assert table.balance_model.row_of(table.balance_model.item_index(t4))["parent"] == d2
    # Click the D2 row in the balance table: the node commands act on it.
    index = table.proxy.mapFromSource(table.balance_model.item_index(d2))
    table.scrollTo(index)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton,
                     pos=table.visualRect(index).center())  # fmt: skip
    assert table.selected_node() == d2
    answer_dialog(qtbot, lambda d: (d.setTextValue("Gulf"), d.accept()))  # type: ignore[attr-defined]
    menu_action(w, "Rename node…").trigger()
    assert plan.org[d2].name == "Gulf"
    w.territory_actions.confirm = lambda _title, _text: True
    menu_action(w, "Delete node (what is under it moves up)").trigger()
    assert d2 not in plan.org
    south = node(plan, "South")
    model = table.balance_model
    assert model.row_of(model.item_index(t4))["parent"] == south  # moved up one level
    assert w.undo_stack.count() == steps + 3
    press(qtbot, w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: d2 in plan.org, timeout=5000)
    assert model.row_of(model.item_index(t4))["parent"] == d2


def test_quota_typed_in_the_dock_is_undone_by_ctrl_z(qtbot: Any, window: Any) -> None:
    w = window
    w.show_dock("quota")
    dock = w.quota_dock
    tree = dock.tree
    t1 = int(w.plan.atoms.territory_ids[0])
    before = w.plan.quotas.year(YEAR).cells[t1].amount
    steps = w.undo_stack.count()
    index = dock.model.item_index(t1, dock.model.keys.index("quota"))
    tree.scrollTo(index)
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton,
                     pos=tree.visualRect(index).center())  # fmt: skip
    # Keys through the window, as the keyboard sends them: typing opens the editor, Return
    # commits it (the window's own Return applies a map preview, and there is none).
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=5000)
    for digit in "777000":
        ri.key(w, Qt.Key(ord(digit)))
    assert tree.state() == QAbstractItemView.State.EditingState
    ri.key(w, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: tree.state() != QAbstractItemView.State.EditingState, timeout=3000)
    qtbot.waitUntil(lambda: w.plan.quotas.year(YEAR).cells[t1].amount == 77_700_000, timeout=3000)
    assert w.undo_stack.count() == steps + 1
    assert w.undo_stack.text(steps).startswith(f"adjust FY{YEAR} quota of T1")
    # The balance table follows: T1's quota column, in italics (adjusted).
    from planner.ui.balance_table import COLUMN, RAW_ROLE

    m = w.balance_dock.table.balance_model
    cell = m.item_index(t1, COLUMN["quota"])
    assert cell.data(RAW_ROLE) == pytest.approx(777_000)
    press(qtbot, w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: w.plan.quotas.year(YEAR).cells[t1].amount == before, timeout=5000)
    assert dock.model.item_index(PLAN_ROW, 3).data() == "0"  # no gap at the top
    assert m.item_index(t1, COLUMN["quota"]).data(RAW_ROLE) == pytest.approx(before / 100)


def test_region_colour_view_fills_each_region_in_one_colour(qtbot: Any, window: Any) -> None:
    w = window
    w.show_dock("layers")
    panel = w.layers_panel
    assert [panel.level_box.itemText(i) for i in range(panel.level_box.count())] == [
        "region", "district", "territory",
    ]  # fmt: skip
    qtbot.mouseClick(panel.by_level, Qt.MouseButton.LeftButton)
    panel.level_box.setCurrentText("region")
    plan = w.plan
    a = plan.atoms
    # Units of T1, T2, T3 (all in South) take South's colour; T4 (no region) keeps its own.
    south = plan.org[node(plan, "South")].colour
    unit_of = {t: int(a.unit_ids[plan.alignment[: a.n_units] == t][0]) for t in range(4)}
    for t in range(3):
        qtbot.waitUntil(lambda t=t: unit_fill(qtbot, w, unit_of[t]) == south, timeout=10_000)
    assert unit_fill(qtbot, w, unit_of[3]) == str(a.territory_colours[3])
    assert js(qtbot, w, "TP._.S.outlineStyle && TP._.S.outlineStyle.weight") < 1.5  # thin lines
    legend = js(qtbot, w, "document.querySelector('.tp-legend') ? "
                          "document.querySelector('.tp-legend').innerText : ''")  # fmt: skip
    assert "South" in legend
    # Districts: D1 and D2 have the default grey: the map still tells them apart.
    panel.level_box.setCurrentText("district")
    qtbot.waitUntil(lambda: unit_fill(qtbot, w, unit_of[0]) != south, timeout=10_000)
    assert unit_fill(qtbot, w, unit_of[0]) == unit_fill(qtbot, w, unit_of[1])
    assert unit_fill(qtbot, w, unit_of[0]) != unit_fill(qtbot, w, unit_of[2])
    qtbot.mouseClick(panel.by_territory, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: unit_fill(qtbot, w, unit_of[0]) == str(a.territory_colours[0]),
                    timeout=10_000)  # fmt: skip
    assert not js(qtbot, w, "TP._.S.outlineStyle")


def test_preview_shows_the_quota_that_changes_hands(qtbot: Any, window: Any) -> None:
    w = window
    w.territory_combo.setCurrentIndex(2)  # T3 takes units of T1
    a = w.plan.atoms
    units = [int(u) for u in a.unit_ids[w.plan.alignment[: a.n_units] == 0][:3]]
    w.map_view.bridge.receive(json.dumps({"kind": "paint", "units": units}))
    assert w.preview_bar.pending
    lines = w.preview_bar.shown_lines()
    assert len(lines) == 4
    assert lines[3].startswith(f"FY{YEAR} quota changing hands")
    assert "T1 −" in lines[3]
    assert "T3 +" in lines[3]
