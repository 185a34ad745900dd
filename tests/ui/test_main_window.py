"""The main window with the real map page: lasso -> preview -> Enter -> balance -> undo."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import delete

from planner.model import atom_cache, moves
from planner.model.edits import Edit
from planner.model.plan import Plan
from planner.model.schema import Account, Assignment
from planner.model.store import Project
from planner.model.synthetic import grid_project
from planner.ui.balance_table import COLUMN, RAW_ROLE
from planner.ui.numbers import compact
from tests.model.reference import reference_balance

pytestmark = pytest.mark.webengine


@pytest.fixture
def window(qtbot: Any, tmp_path: Path) -> Iterator[Any]:
    from PySide6.QtCore import QCoreApplication, QEvent, QSettings, QStandardPaths

    QStandardPaths.setTestModeEnabled(True)
    QSettings().clear()
    from planner.ui.main_window import MainWindow

    grid_project(tmp_path / "g.tplan", pins=2).close()
    w = MainWindow(page_dir=tmp_path / "page")
    qtbot.addWidget(w, before_close_func=lambda win: win.map_view.dispose(delete_view=False))
    w.resize(1200, 800)
    w.show()
    with qtbot.waitSignal(w.map_rendered, timeout=30_000):
        assert w.open_project(tmp_path / "g.tplan")
    yield w
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def js(qtbot: Any, w: Any, expression: str) -> Any:
    box: list[Any] = []
    w.map_view.run_js_json(expression, box.append)
    qtbot.waitUntil(lambda: bool(box), timeout=10_000)
    return box[0]


def unit_fill(qtbot: Any, w: Any, unit_id: int) -> str:
    return js(
        qtbot, w,
        "(function(){var c=null;TP.map().eachLayer(function(l){"
        f"if(l.feature&&l.feature.properties.code&&l.feature.properties.id==={unit_id})"
        "c=l.options.fillColor;});return c;})()",
    )  # fmt: skip


LASSO = "L.polygon([[33.0, -84.0], [33.2, -84.0], [33.2, -83.8], [33.0, -83.8]])"


def test_lasso_through_the_page_previews_applies_and_undoes(qtbot: Any, window: Any) -> None:
    w = window
    plan: Plan = w.plan
    w.territory_combo.setCurrentIndex(2)  # T3 is the active territory
    before_totals = plan.balance.totals.copy()
    before_align = plan.alignment.copy()
    js(qtbot, w, "TP.setMode('lasso')")
    map_size = w.map_view.size()
    # The same JS path Geoman's pm:create takes: the drawn layer goes through the web channel.
    with qtbot.waitSignal(w.workspace.previewChanged, timeout=10_000) as sig:
        js(qtbot, w, f"TP._onPmCreate({{layer: {LASSO}.addTo(TP.map())}}) || 1")
    preview = sig.args[0]
    assert preview.units == 4
    assert w.preview_bar.pending
    assert "lasso 4 unit(s) to T3 — 20 accounts" in w.preview_bar.shown_lines()[0]
    np.testing.assert_array_equal(plan.alignment, before_align)  # nothing applied yet

    assert w.map_view.size() == map_size  # the preview never makes the map jump
    w.workspace.apply_pending()  # what Enter does
    qtbot.wait(50)
    assert w.map_view.size() == map_size
    moved = {str(c) for c in plan.atoms.unit_codes[plan.alignment[: plan.atoms.n_units] == 2]}
    assert {"U0_0", "U0_1", "U1_0", "U1_1"} <= moved
    # Balance equals the independent pandas computation from the project file.
    ref = reference_balance(Project.open(w.project.location), plan.scenario_id)
    for r in plan.rows():
        assert r["potential"] == pytest.approx(ref.loc[r["name"], "potential"])
        assert r["accounts"] == ref.loc[r["name"], "accounts"]
    # The balance table shows the recomputed figures (raw values and display text).
    model = w.balance_dock.table.balance_model
    for r in plan.rows():
        for key in ("accounts", "potential", "workload_hours"):
            cell = model.index(r["index"], COLUMN[key])
            assert model.data(cell, RAW_ROLE) == pytest.approx(ref.loc[r["name"], key])
    shown = model.data(model.index(2, COLUMN["potential"]))
    assert shown == compact(ref.loc["T3", "potential"])
    t3 = str(plan.atoms.territory_colours[2])
    qtbot.waitUntil(lambda: unit_fill(qtbot, w, 1) == t3, timeout=10_000)
    assert w.undo_stack.count() == 1
    assert w.undo_stack.text(0).startswith("lasso 4 unit(s) to T3 · max dev ")
    w.undo_stack.undo()
    np.testing.assert_allclose(plan.balance.totals, before_totals, rtol=1e-12)
    np.testing.assert_array_equal(plan.alignment, before_align)
    before_rows = Plan.load(Project.open(w.project.location)).rows()
    for r in before_rows:
        cell = model.index(r["index"], COLUMN["potential"])
        assert model.data(cell, RAW_ROLE) == pytest.approx(r["potential"], rel=1e-12)
    t1 = str(plan.atoms.territory_colours[0])
    qtbot.waitUntil(lambda: unit_fill(qtbot, w, 1) == t1, timeout=10_000)


def test_escape_cancels_a_pending_edit(qtbot: Any, window: Any) -> None:
    from PySide6.QtCore import Qt

    w = window
    before = w.plan.alignment.copy()
    w.map_view.bridge.receive('{"kind": "paint", "units": [13, 14]}')
    assert w.workspace.pending is not None
    qtbot.keyClick(w, Qt.Key.Key_Escape)
    assert w.workspace.pending is None
    assert not w.preview_bar.pending
    np.testing.assert_array_equal(w.plan.alignment, before)


def test_window_screenshot_shows_territory_colours(qtbot: Any, window: Any) -> None:
    w = window
    # Unit fills only: an account dot under the sampled pixel made the test flaky.
    for layer in ("accounts", "reps"):
        w.map_view.set_layer_visible(layer, False)
    # Grab once the page has painted a frame (a fixed wait was flaky on a loaded machine).
    with qtbot.waitSignal(w.map_view.bridge.rendered, timeout=10_000,
                          check_params_cb=lambda layer: layer == "shot"):  # fmt: skip
        w.map_view.call("notifyPainted", "shot")
    image = w.grab().toImage()
    # Pixel at the centre of unit U3_1 (T2, orange #ff7f0e under a translucent fill).
    point = js(qtbot, w, "(function(){var p=TP.map().latLngToContainerPoint([33.15,-83.65]);"
                         "return [p.x, p.y];})()")  # fmt: skip
    from PySide6.QtCore import QPoint

    at = w.map_view.mapTo(w, QPoint(int(point[0]), int(point[1])))
    c = image.pixelColor(at)
    assert c.red() > c.blue() + 60, (c.red(), c.green(), c.blue())  # orange, not basemap grey
    point = js(qtbot, w, "(function(){var p=TP.map().latLngToContainerPoint([33.35,-83.95]);"
                         "return [p.x, p.y];})()")  # fmt: skip
    c = image.pixelColor(w.map_view.mapTo(w, QPoint(int(point[0]), int(point[1]))))
    assert c.blue() > c.red() + 40, (c.red(), c.green(), c.blue())  # T1 blue


def test_rename_is_undoable_and_reaches_the_legend(qtbot: Any, window: Any) -> None:
    from planner.model import territories

    w = window
    assert w.workspace.apply(territories.rename(w.plan, 0, "<b>North</b>"))
    assert w.territory_combo.itemText(0) == "<b>North</b>"
    assert w.plan.rows()[0]["name"] == "<b>North</b>"
    assert w.undo_stack.count() == 1
    w.undo_stack.undo()
    assert w.plan.rows()[0]["name"] == "T1"
    assert w.territory_combo.itemText(0) == "T1"


def test_account_points_follow_their_unit_and_layers_toggle(qtbot: Any, window: Any) -> None:
    w = window
    plan = w.plan
    acc = int(np.flatnonzero((plan.atoms.account_unit == 0)
                             & (plan.alignment[plan.atoms.n_units:] < 0))[0])  # fmt: skip
    acc_id = int(plan.atoms.account_ids[acc])
    assert js(qtbot, w, f"TP.accountColour({acc_id})") == str(plan.atoms.territory_colours[0])
    w.workspace.apply(Edit.of_moves(moves.for_units(plan, np.array([0]), 2)))
    t3 = str(plan.atoms.territory_colours[2])
    qtbot.waitUntil(lambda: js(qtbot, w, f"TP.accountColour({acc_id})") == t3, timeout=10_000)
    w.map_view.set_layer_visible("accounts", False)
    qtbot.waitUntil(
        lambda: js(qtbot, w, "TP.map().getPane('tpAccounts').style.display") == "none",
        timeout=10_000,
    )


def test_opening_another_project_replaces_its_map_and_history(
    qtbot: Any, window: Any, tmp_path: Path
) -> None:
    """The map of a project opened after another shows only its own units and accounts (the
    old accounts stayed drawn over a project without any), and its history is listed."""
    w = window
    first = w.project.location
    w.workspace.apply(Edit.of_moves(moves.for_units(w.plan, np.array([0]), 2)))
    assert js(qtbot, w, "TP.accountsState().n") == w.plan.atoms.n_accounts > 0
    bare = grid_project(tmp_path / "bare.tplan", nx=3, ny=2)
    with bare.transaction() as s:  # units only: its accounts go, as a CRM clean-up would
        s.execute(delete(Assignment).where(Assignment.atom_kind == "account"))
        s.execute(delete(Account))
        atom_cache.invalidate(s)
    bare.close()
    with qtbot.waitSignal(w.map_rendered, timeout=30_000):
        assert w.open_project(tmp_path / "bare.tplan")
    assert js(qtbot, w, "TP.accountsState().n") == 0
    assert js(qtbot, w, "TP.accountsState().mode") is None  # nothing drawn
    assert js(qtbot, w, "TP.state().units") == 6
    assert w.history_view.model().rowCount() == 1  # "Opened" only
    with qtbot.waitSignal(w.map_rendered, timeout=30_000):
        assert w.open_project(first)
    assert js(qtbot, w, "TP.accountsState().n") == w.plan.atoms.n_accounts
    model = w.history_view.model()
    assert model.rowCount() == 2  # "Opened", then the unit move made before
    assert model.index(1, 0).data() == w.undo_stack.text(0) != ""


def test_a_territory_drawn_or_split_before_the_unit_polygons_are_read(
    qtbot: Any, window: Any
) -> None:
    """A project opened again is drawn from its cached display polygons; the full-detail ones
    are read once the map is idle. A territory drawn or split before that (a quick user) waits
    for them: the same units and the same colour choice as once they are read."""
    w = window

    def gestures() -> list[tuple[list[int], list[Any]]]:
        out = []
        ring = [[-84.0, 33.0], [-83.8, 33.0], [-83.8, 33.2], [-84.0, 33.2], [-84.0, 33.0]]
        a, active = w.plan.atoms, w.workspace.active
        mine = np.flatnonzero(w.plan.alignment[: a.n_units] == active)
        x = float(np.median(a.unit_rep_lon[mine]))  # through the active territory
        line = [[x, float(a.unit_rep_lat.min()) - 1], [x, float(a.unit_rep_lat.max()) + 1]]
        for kind, geometry in (("polygon", {"type": "Polygon", "coordinates": [ring]}),
                               ("line", {"type": "LineString", "coordinates": line})):  # fmt: skip
            w.map_view.bridge.receive(json.dumps({"kind": kind, "geometry": geometry}))
            edit = w.workspace.pending
            assert edit is not None, kind
            out.append((edit.moves.atoms.tolist(), [dict(c.spec) for c in edit.creates]))
            w.workspace.cancel_pending()
        return out

    assert w.open_project(w.project.location)  # no waiting: the map is still being drawn
    assert not w.workspace.geometries_read  # the window this test is about
    early = gestures()
    assert w.workspace.geometries_read
    assert all(atoms and creates for atoms, creates in early)
    qtbot.waitSignal(w.map_rendered, timeout=30_000).wait()
    assert gestures() == early
    with qtbot.waitSignal(w.map_rendered, timeout=30_000):
        assert w.open_project(w.project.location)
    qtbot.waitUntil(lambda: w.workspace.geometries_read, timeout=10_000)  # read once idle
    assert gestures() == early


def test_drawn_territory_becomes_active_and_is_remembered(qtbot: Any, window: Any) -> None:
    w = window
    js(qtbot, w, "TP.setMode('draw')")
    with qtbot.waitSignal(w.workspace.previewChanged, timeout=10_000):
        js(qtbot, w, f"TP._onPmCreate({{layer: {LASSO}}}) || 1")
    w.workspace.apply_pending()
    assert w.territory_combo.currentText() == "New territory"
    assert w.plan.rows()[-1]["accounts"] > 0
    assert w.balance_dock.table.balance_model.rowCount() == 4
    table = w.balance_dock.table
    current = table.proxy.mapToSource(table.currentIndex())
    assert table.balance_model.territory_index(current.row()) == 3  # the new one is selected
    info = Project.open(w.project.location).info()
    new_id = int(w.plan.atoms.territory_ids[-1])
    assert info[f"active_territory:{w.plan.scenario_id}"] == str(new_id)
    colours = [str(c) for c in w.plan.atoms.territory_colours]
    assert colours[-1] not in colours[:-1]  # its fill tells it apart from its neighbours


def test_deviation_colour_mode_recolours_units(qtbot: Any, window: Any) -> None:
    from planner.model.mapdata import deviation_colour

    w = window
    w.layers_panel.by_deviation.setChecked(True)
    dev = w.plan.deviation("potential")
    expected = deviation_colour(float(dev[0])).lower()
    qtbot.waitUntil(lambda: str(unit_fill(qtbot, w, 1)).lower() == expected, timeout=10_000)
    w.layers_panel.by_territory.setChecked(True)
    t1 = str(w.plan.atoms.territory_colours[0])
    qtbot.waitUntil(lambda: unit_fill(qtbot, w, 1) == t1, timeout=10_000)


def test_account_click_shows_details_and_pin_holds_it(qtbot: Any, window: Any) -> None:
    from planner.model.atoms import FOLLOW

    w = window
    plan = w.plan
    acc = int(np.flatnonzero(plan.alignment[plan.atoms.n_units :] == FOLLOW)[0])
    acc_id = int(plan.atoms.account_ids[acc])
    w.map_view.bridge.receive(f'{{"kind": "account_clicked", "id": {acc_id}}}')
    assert w.selected_account == acc
    assert str(plan.atoms.account_names[acc]) in w.account_panel.browser.toPlainText()
    w.territory_combo.setCurrentIndex(2)
    w.territory_actions.pin(True)
    assert plan.account_territories()[acc] == 2
    assert plan.alignment[plan.atoms.n_units + acc] == 2
    unit = int(plan.atoms.account_unit[acc])
    w.workspace.apply(Edit.of_moves(moves.for_units(plan, np.array([unit]), 1)))
    assert plan.account_territories()[acc] == 2  # pinned: stays when its unit moves
    w.territory_actions.pin(False)
    assert plan.account_territories()[acc] == 1


def test_find_account_selects_and_reports(qtbot: Any, window: Any) -> None:
    w = window
    assert w.select_account_by_text("account 7") == 7
    assert w.selected_account == 7
    assert w.select_account_by_text("no such thing") is None
    assert "No account matches" in w.statusBar().currentMessage()


def test_window_layout_is_remembered_but_not_by_a_snapshot(qtbot: Any, tmp_path: Path) -> None:
    from PySide6.QtCore import QCoreApplication, QEvent, QSettings, QStandardPaths

    from planner.ui.main_window import MainWindow

    QStandardPaths.setTestModeEnabled(True)
    QSettings().clear()

    def window(**kw: Any) -> Any:
        w = MainWindow(page_dir=tmp_path / "page", **kw)
        qtbot.addWidget(w, before_close_func=lambda win: win.map_view.dispose(delete_view=False))
        qtbot.waitUntil(lambda: w.map_view.is_ready, timeout=30_000)
        return w

    def close(w: Any) -> None:
        # Delete the closed window now: a view outliving its page makes a default page that
        # Chromium then finds alive when its profile goes at exit.
        w.close()
        w.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)

    w = window()
    w.resize(1100, 700)
    w.show()
    w.docks["chart"].hide()  # the user closes the chart
    close(w)
    del w
    gc.collect()  # the wrapper too: pytest-qt would close a deleted window
    again = window()
    again.show()
    assert not again.docks["chart"].isVisible()
    close(again)
    del again
    gc.collect()  # the wrapper too: pytest-qt would close a deleted window
    shot = window(remember_layout=False)  # what --snapshot uses: the default layout...
    shot.resize(1600, 1000)
    shot.show()
    assert shot.docks["chart"].isVisible()
    view = shot.map_view
    qtbot.waitUntil(lambda: view.width() > 700)  # the map gets the middle
    close(shot)
    del shot
    gc.collect()  # the wrapper too: pytest-qt would close a deleted window
    last = window()  # ... and the saved layout is left alone
    last.show()
    assert not last.docks["chart"].isVisible()
    close(last)
    del last
    gc.collect()  # the wrapper too: pytest-qt would close a deleted window
