"""The demo's hierarchy and quota at 1366x768 and 1920x1080: what a new user sees on first open.

Saved as build/quota-<size>-*.png for people to look at: the balance tree with its quota
columns, the Quota dock, the quota chart and the region colour view.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from planner.ui.balance_table import COLUMN
from tests.ui.test_layout_sizes import demo_file, window  # noqa: F401 - the fixtures
from tests.ui.test_main_window import js

pytestmark = pytest.mark.webengine

SHOTS = Path(__file__).resolve().parents[2] / "build"


def shoot(w: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    w.grab().save(str(SHOTS / f"quota-{w.width()}x{w.height()}-{name}.png"))


def test_demo_opens_on_the_tree_with_quota(qtbot: Any, window: Any) -> None:  # noqa: F811
    w = window
    shoot(w, "balance")
    table = w.balance_dock.table
    model = table.balance_model
    assert model.quota_year is not None  # the demo ships a quota plan
    assert not table.isColumnHidden(COLUMN["quota"])
    top = {model.index(r, 0).data() for r in range(model.rowCount())}
    assert top == {"East Region", "West Region"}
    # The names of the deepest rows are not cut by the indentation.
    fm = table.fontMetrics()
    deepest = max(model.items(), key=lambda i: model.row_of(model.item_index(i))["depth"])
    depth = model.row_of(model.item_index(deepest))["depth"]
    name = model.item_index(deepest).data()
    room = table.columnWidth(COLUMN["name"]) - table.indentation() * depth
    assert fm.horizontalAdvance(name) < room


def test_quota_dock_and_chart_have_room(qtbot: Any, window: Any) -> None:  # noqa: F811
    w = window
    w.show_dock("quota")
    qtbot.wait(100)
    shoot(w, "quota")
    tree = w.quota_dock.tree
    row = max(tree.sizeHintForRow(0), tree.fontMetrics().height())
    assert tree.viewport().height() / row >= 5
    name = w.quota_dock.model.index(0, 0)
    assert tree.fontMetrics().horizontalAdvance(name.data()) < tree.columnWidth(0)
    w.show_dock("chart")
    w.chart.metric_box.setCurrentIndex(w.chart.metric_box.findData("quota"))
    qtbot.wait(100)
    shoot(w, "chart")
    assert w.chart.key.isVisible()
    assert w.chart.values() == pytest.approx([r["quota"] or 0.0 for r in w.plan.rows()], rel=1e-9)


def test_region_view(qtbot: Any, window: Any) -> None:  # noqa: F811
    w = window
    w.show_dock("layers")
    w.layers_panel.level_box.setCurrentText("region")
    assert w.layers_panel.by_level.isChecked()
    qtbot.wait(1500)
    shoot(w, "region")
    assert w.workspace.colour_mode == "level"
    legend = js(qtbot, w, "document.querySelector('.tp-legend').innerText")
    assert "East Region" in legend
    assert "West Region" in legend
