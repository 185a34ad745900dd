"""The default layout at 1366x768 and 1920x1080: nothing a planner needs is cut off.

Checked by widget geometry (what is inside the visible part of each view), on the demo with 40
territories, and saved as screenshots under build/layout-*.png for people to look at.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from planner.model.demo import create_demo
from planner.ui.balance_table import COLUMN

pytestmark = pytest.mark.webengine

SIZES = [(1366, 768), (1920, 1080)]
SHOTS = Path(__file__).resolve().parents[2] / "build"


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.tplan"
    create_demo(path, accounts=3000, seed=0).close()
    return path


@pytest.fixture(params=SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def window(request: Any, qtbot: Any, demo_file: Path, tmp_path: Path) -> Iterator[Any]:
    from PySide6.QtCore import QCoreApplication, QEvent, QSettings, QStandardPaths

    from planner.ui.main_window import MainWindow

    QStandardPaths.setTestModeEnabled(True)
    QSettings().clear()
    w = MainWindow(page_dir=tmp_path / "page", remember_layout=False)
    qtbot.addWidget(w, before_close_func=lambda win: win.map_view.dispose(delete_view=False))
    w.resize(*request.param)
    w.show()
    with qtbot.waitSignal(w.map_rendered, timeout=60_000):
        assert w.open_project(demo_file)
    qtbot.wait(200)  # the first-run dock sizes are applied after the first show
    yield w
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def visible_columns(view: Any) -> set[str]:
    """Balance table columns fully inside the table's viewport."""
    width = view.viewport().width()
    return {
        key
        for key, col in COLUMN.items()
        if view.columnViewportPosition(col) >= 0
        and view.columnViewportPosition(col) + view.columnWidth(col) <= width
    }


def rows_visible(view: Any) -> float:
    row = max(view.sizeHintForRow(0), view.fontMetrics().height())
    return view.viewport().height() / row


def shoot(w: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    w.grab().save(str(SHOTS / f"layout-{w.width()}x{w.height()}-{name}.png"))


def test_balance_chart_and_map_fit(qtbot: Any, window: Any) -> None:
    w = window
    shoot(w, "default")
    assert w.map_view.width() >= 0.45 * w.width()  # the map keeps the middle
    table = w.balance_dock.table
    assert {"name", "deviation", "potential"} <= visible_columns(table)
    assert rows_visible(table) >= 6
    label = table.model().index(0, COLUMN["name"]).data()
    fm = table.fontMetrics()
    assert fm.horizontalAdvance(label) < table.columnWidth(COLUMN["name"])  # names not cut
    canvas = w.chart.view
    assert canvas.height() >= 150
    assert canvas.label_space() >= 40  # room for the territory names under the bars
    assert canvas.plot_rect().height() >= 60


def test_impact_dock_opens_with_room_for_rows(qtbot: Any, window: Any) -> None:
    w = window
    w.show_dock("impact")
    qtbot.wait(100)
    shoot(w, "impact")
    assert rows_visible(w.impact_dock.moved_view) >= 5


def test_handover_checklist_has_room_to_tick(qtbot: Any, window: Any) -> None:
    w = window
    w.show_dock("handovers")
    qtbot.wait(100)
    shoot(w, "handovers")
    assert rows_visible(w.handover_dock.tree) >= 5


def test_preview_lines_fit_or_end_in_an_ellipsis(qtbot: Any, window: Any) -> None:
    from planner.model import territories

    w = window
    long = "Territory with a very long name for the north-east of the region " * 2
    assert w.workspace.apply(territories.rename(w.plan, 0, long.strip()))
    w.territory_combo.setCurrentIndex(0)
    a = w.plan.atoms
    units = [int(u) for u in a.unit_ids[w.plan.alignment[: a.n_units] == 1][:3]]
    w.map_view.bridge.receive(json.dumps({"kind": "paint", "units": units}))
    assert w.preview_bar.pending
    qtbot.wait(50)
    shoot(w, "preview")
    fm = w.preview_bar.label.fontMetrics()
    for line in w.preview_bar.shown_lines():
        assert line.endswith("…") or fm.horizontalAdvance(line) <= w.preview_bar.label.width()
    assert any(line.endswith("…") for line in w.preview_bar.shown_lines())
    assert w.preview_bar.apply_button.isVisible()
    assert w.preview_bar.apply_button.geometry().right() <= w.preview_bar.width()
    assert w.preview_bar.label.textFormat() == Qt.TextFormat.RichText  # escaped, bold line 1
