"""Balance table: live refresh of touched rows only, formatting, sorting, literal names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QModelIndex, QRect, Qt
from PySide6.QtWidgets import QStyleOptionViewItem
from sqlalchemy import update

from planner.model import moves
from planner.model.plan import Plan
from planner.model.schema import ScenarioTerritory
from planner.model.synthetic import grid_project
from planner.ui.balance_table import (
    COLUMN,
    RAW_ROLE,
    BalanceDock,
    BalanceTableModel,
    BalanceTableView,
    DeviationBarDelegate,
)
from planner.ui.numbers import compact

# Grid 6 x 4, stripes of two columns: units 0-7 are T1, 8-15 T2, 16-23 T3 (index = i * 4 + j).
T2_UNITS = np.array([8, 9])


@pytest.fixture
def plan(tmp_path: Path) -> Plan:
    return Plan.load(grid_project(tmp_path / "g.tplan", pins=2))


def _text(model: Any, row: int, key: str) -> str:
    return model.index(row, COLUMN[key]).data()


def _assert_matches_plan(model: BalanceTableModel, plan: Plan) -> None:
    for r, row in enumerate(plan.rows()):
        assert _text(model, r, "name") == row["name"]
        assert _text(model, r, "accounts") == compact(row["accounts"])
        assert _text(model, r, "potential") == compact(row["potential"])
        assert _text(model, r, "workload_hours") == compact(row["workload_hours"])
        assert _text(model, r, "revenue") == compact(row["revenue"])
        exact = model.index(r, COLUMN["potential"]).data(Qt.ItemDataRole.ToolTipRole)
        assert exact == f"{row['name']} · Potential: {row['potential']:,.0f}"
        dev = model.index(r, COLUMN["deviation"]).data(RAW_ROLE)
        assert dev == pytest.approx(row["deviation"][model.deviation_metric])
        assert _text(model, r, "disruption") == f"{row['disruption'] * 100:.1f} %"


def test_model_passes_qt_model_tester(qtbot: Any, qtmodeltester: Any, plan: Plan) -> None:
    view = BalanceTableView(plan)
    qtbot.addWidget(view)
    qtmodeltester.check(view.balance_model)
    qtmodeltester.check(view.proxy)


def test_apply_refreshes_only_touched_rows_without_reset(qtbot: Any, plan: Plan) -> None:
    view = BalanceTableView(plan)
    qtbot.addWidget(view)
    model = view.balance_model
    changed: list[tuple[int, int]] = []
    resets: list[str] = []
    model.dataChanged.connect(lambda tl, br, _roles=(): changed.append((tl.row(), br.row())))
    model.modelReset.connect(lambda: resets.append("reset"))
    model.layoutChanged.connect(lambda: resets.append("layout"))

    ms = moves.for_units(plan, T2_UNITS, 0)
    log_id = plan.apply(ms)

    rows = {r for top, bottom in changed for r in range(top, bottom + 1)}
    assert rows == {0, 1}  # T1 gained, T2 lost; T3 kept every figure (potential is conserved)
    assert resets == []
    _assert_matches_plan(model, plan)

    changed.clear()
    assert plan.undo() == log_id
    assert {r for top, bottom in changed for r in range(top, bottom + 1)} == {0, 1}
    assert resets == []
    _assert_matches_plan(model, plan)
    assert _text(model, 0, "disruption") == "0.0 %"


def test_workload_deviation_change_repaints_all_rows_that_changed(qtbot: Any, plan: Plan) -> None:
    """Workload's total changes with travel, so every row's deviation may move: refreshed."""
    view = BalanceTableView(plan)
    qtbot.addWidget(view)
    model = view.balance_model
    model.set_deviation_metric("workload_hours")
    before = [model.index(r, COLUMN["deviation"]).data(RAW_ROLE) for r in range(3)]
    plan.apply(moves.for_units(plan, T2_UNITS, 0))
    after = [model.index(r, COLUMN["deviation"]).data(RAW_ROLE) for r in range(3)]
    assert after == pytest.approx([row["deviation"]["workload_hours"] for row in plan.rows()])
    assert after != before


def test_numbers_right_aligned_with_thousands_separators(qtbot: Any, plan: Plan) -> None:
    view = BalanceTableView(plan)
    qtbot.addWidget(view)
    idx = view.balance_model.index(0, COLUMN["potential"])
    assert idx.data().endswith(" M")  # millions, compact: the column stays narrow
    assert idx.data(Qt.ItemDataRole.TextAlignmentRole) & int(Qt.AlignmentFlag.AlignRight)
    name = view.balance_model.index(0, COLUMN["name"])
    assert name.data(Qt.ItemDataRole.DecorationRole).name() == plan.rows()[0]["colour"]


def test_sorting_by_potential_is_numeric(qtbot: Any, plan: Plan) -> None:
    view = BalanceTableView(plan)
    qtbot.addWidget(view)
    view.sortByColumn(COLUMN["potential"], Qt.SortOrder.DescendingOrder)
    shown = [
        view.proxy.index(r, COLUMN["potential"]).data(RAW_ROLE)
        for r in range(view.proxy.rowCount())
    ]
    assert shown == sorted((row["potential"] for row in plan.rows()), reverse=True)
    # Clicking the top row reports the Plan's territory index, not the proxy row.
    top = int(np.argmax([row["potential"] for row in plan.rows()]))
    with qtbot.waitSignal(view.territorySelected) as sig:
        view.setCurrentIndex(view.proxy.index(0, 0))
    assert sig.args == [top]


def test_markup_in_a_territory_name_is_shown_literally(qtbot: Any, tmp_path: Path) -> None:
    project = grid_project(tmp_path / "g.tplan")
    with project.transaction() as s:
        st = ScenarioTerritory
        s.execute(update(st).where(st.name == "T1").values(name="<b>x</b>"))
        s.execute(update(st).where(st.name == "T2").values(name="x"))
    plan = Plan.load(project)
    view = BalanceTableView(plan)
    qtbot.addWidget(view)
    model = view.balance_model
    assert _text(model, 0, "name") == "<b>x</b>"
    # The view's plain-text delegate lays out all eight characters: wider than the bare "x".
    opt = QStyleOptionViewItem()
    opt.initFrom(view)
    delegate = view.itemDelegateForIndex(view.proxy.index(0, 0))
    wide = delegate.sizeHint(opt, view.proxy.mapFromSource(model.index(0, 0))).width()
    narrow = delegate.sizeHint(opt, view.proxy.mapFromSource(model.index(1, 0))).width()
    assert wide > narrow + view.fontMetrics().horizontalAdvance("<b></b>") // 2
    assert model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole) is None


def test_deviation_bar_colours_and_geometry() -> None:
    d = DeviationBarDelegate(tolerance=0.05, warning=0.15, scale=0.30)
    assert d.colour_for(0.04) == d.GREEN
    assert d.colour_for(-0.10) == d.AMBER
    assert d.colour_for(0.2) == d.RED
    cell = QRect(0, 0, 206, 24)  # inner width 200, centre x = 103
    right = d.bar_rect(cell, 0.15)
    left = d.bar_rect(cell, -0.15)
    assert (right.left(), right.width()) == (103, 50)
    assert (left.right() + 1, left.width()) == (103, 50)
    assert d.bar_rect(cell, 5.0).width() == 100  # clipped at the edge
    d.tolerance = 0.2
    assert d.colour_for(0.15) == d.GREEN


def test_deviation_bars_paint(qtbot: Any, plan: Plan) -> None:
    view = BalanceTableView(plan)
    qtbot.addWidget(view)
    view.resize(900, 200)
    view.show()
    qtbot.waitExposed(view)
    assert not view.grab().isNull()


def test_dock_summary_metric_switch_and_disruption_meter(qtbot: Any, plan: Plan) -> None:
    from planner.model.scenarios import create_scenario

    create_scenario(plan.project, "S")  # disruption is measured against the baseline
    plan = Plan.load(plan.project, "S")
    dock = BalanceDock(plan)
    qtbot.addWidget(dock)
    assert "Disruption 0.0 %" in dock.summary.text()
    assert dock.meter.accounts_bar.value() == 0
    dock.metric_box.setCurrentIndex(dock.metric_box.findData("accounts"))
    model = dock.table.balance_model
    assert model.deviation_metric == "accounts"
    assert "Accounts" in model.headerData(COLUMN["deviation"], Qt.Orientation.Horizontal)
    plan.apply(moves.for_units(plan, T2_UNITS, 0))
    d = plan.disruption()
    assert d["accounts"] > 0
    assert f"Disruption {d['accounts'] * 100:.1f} %" in dock.summary.text()
    max_dev = plan.summary()["max_abs_deviation"]["accounts"]
    assert f"Max |deviation| {max_dev * 100:.1f} %" in dock.summary.text()
    assert dock.meter.accounts_bar.value() == round(d["accounts"] * 1000)
    assert dock.meter.revenue_bar.value() == round(d["revenue"] * 1000)


def test_set_plan_resets_and_follows_the_new_plan(qtbot: Any, plan: Plan) -> None:
    view = BalanceTableView(plan)
    qtbot.addWidget(view)
    model = view.balance_model
    other = Plan.load(plan.project)
    with qtbot.waitSignal(model.modelReset):
        view.set_plan(other)
    before = _text(model, 0, "accounts")
    plan.apply(moves.for_units(plan, T2_UNITS, 0))  # the old plan no longer drives the table
    assert _text(model, 0, "accounts") == before
    assert model.rowCount(QModelIndex()) == 3


def test_sorted_table_resorts_after_an_edit(qtbot: Any, plan: Plan) -> None:
    view = BalanceTableView(plan)
    qtbot.addWidget(view)
    view.sortByColumn(COLUMN["accounts"], Qt.SortOrder.DescendingOrder)

    def column() -> list[float]:
        return [view.proxy.data(view.proxy.index(r, COLUMN["accounts"]), RAW_ROLE)
                for r in range(view.proxy.rowCount())]  # fmt: skip

    assert column() == [41.0, 40.0, 39.0]  # T2, T1, T3
    # Give T2 every unit of T1: T1 keeps only its pinned account and drops to the bottom.
    t1_units = np.flatnonzero(plan.alignment[: plan.atoms.n_units] == 0)
    plan.apply(moves.for_units(plan, t1_units, 1))
    qtbot.waitUntil(lambda: column() == [80.0, 39.0, 1.0], timeout=5000)
    assert view.proxy.data(view.proxy.index(2, COLUMN["name"])) == "T1"


def test_a_project_without_potential_opens_on_a_metric_it_has(qtbot: Any, tmp_path: Path) -> None:
    from planner.model.schema import Account
    from planner.ui.balance_chart import BalanceChart
    from planner.ui.balance_table import BalanceDock

    project = grid_project(tmp_path / "g.tplan")
    with project.transaction() as s:
        s.execute(update(Account).values(potential=0.0))  # an import without that column
    plan = Plan.load(project)
    dock, chart = BalanceDock(plan), BalanceChart(plan)
    qtbot.addWidget(dock)
    qtbot.addWidget(chart)
    assert dock.chosen_metric == chart.chosen_metric == "workload_hours"
    potential = dock.metric_box.findData("potential")
    assert dock.metric_box.itemText(potential) == "Potential (no data)"
    dock.metric_box.setCurrentIndex(potential)  # chosen anyway: never "0.0 %" as if balanced
    assert dock.summary.text().startswith("No potential data in this project's accounts")
    assert "Max |deviation| 0.0 %" not in dock.summary.text()
