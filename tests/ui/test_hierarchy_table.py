"""The balance table as a hierarchy tree: roll-ups, sibling deviation, quota columns, keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt

from planner.model import moves, org
from planner.model.hierarchy import tree_rows
from planner.model.plan import Plan
from planner.ui.balance_model import QUOTA_KEYS
from planner.ui.balance_table import COLUMN, RAW_ROLE, BalanceTableView
from tests.ui.quota_fixture import YEAR, hierarchy_project, node


@pytest.fixture
def plan(tmp_path: Path) -> Plan:
    return hierarchy_project(tmp_path / "h.tplan")


def _view(qtbot: Any, plan: Plan) -> BalanceTableView:
    view = BalanceTableView(plan)
    qtbot.addWidget(view)
    view.resize(1400, 400)
    view.show()
    qtbot.waitExposed(view)
    return view


def _raw(view: BalanceTableView, item: int, key: str) -> Any:
    m = view.balance_model
    return m.data(m.item_index(item, COLUMN[key]), RAW_ROLE)


def test_tree_rolls_up_every_metric_and_passes_the_model_tester(
    qtbot: Any, qtmodeltester: Any, plan: Plan
) -> None:
    view = _view(qtbot, plan)
    qtmodeltester.check(view.balance_model)
    qtmodeltester.check(view.proxy)
    rows = {r["id"]: r for r in plan.rows()}
    t1, t2, t3, t4 = rows
    d1, d2, south = node(plan, "D1"), node(plan, "D2"), node(plan, "South")
    m = view.balance_model
    # Shape: South and T4 on top; D1 and D2 under South; T1, T2 under D1.
    assert {m.row_of(m.index(r, 0))["name"] for r in range(m.rowCount())} == {"South", "T4"}
    d1_index = m.item_index(d1)
    assert [m.index(r, 0, d1_index).data() for r in range(m.rowCount(d1_index))] == ["T1", "T2"]
    for key in ("potential", "accounts", "revenue", "workload_hours", "pipeline"):
        assert _raw(view, d1, key) == pytest.approx(rows[t1][key] + rows[t2][key])
        assert _raw(view, south, key) == pytest.approx(
            rows[t1][key] + rows[t2][key] + rows[t3][key]
        )
    # Deviation among siblings: T1 against T2 only (two equal-weight rows: opposite signs).
    dev = {r["id"]: r["deviation"]["potential"] for r in tree_rows(plan)}
    assert _raw(view, t1, "deviation") == pytest.approx(dev[t1])
    assert _raw(view, t1, "deviation") == pytest.approx(-_raw(view, t2, "deviation"))
    assert _raw(view, d2, "deviation") == pytest.approx(dev[d2])
    tip = m.item_index(t1, COLUMN["deviation"]).data(Qt.ItemDataRole.ToolTipRole)
    assert "against the rows under D1" in tip
    assert "plan-wide" in tip
    assert _raw(view, t4, "potential") == pytest.approx(rows[t4]["potential"])


def test_an_edit_updates_the_rolled_up_rows_in_place(qtbot: Any, plan: Plan) -> None:
    view = _view(qtbot, plan)
    m = view.balance_model
    resets: list[int] = []
    m.modelReset.connect(lambda: resets.append(1))
    d1, d2 = node(plan, "D1"), node(plan, "D2")
    # Two units of T3 (in D2) to T1 (in D1): both districts change, no reset.
    t3_units = np.flatnonzero(plan.alignment[: plan.atoms.n_units] == 2)[:2]
    before = _raw(view, d1, "potential")
    plan.apply(moves.for_units(plan, t3_units, 0))
    rows = {r["id"]: r for r in plan.rows()}
    ids = list(rows)
    assert resets == []
    assert _raw(view, d1, "potential") == pytest.approx(
        rows[ids[0]]["potential"] + rows[ids[1]]["potential"]
    )
    assert _raw(view, d1, "potential") > before
    assert _raw(view, d2, "potential") == pytest.approx(rows[ids[2]]["potential"])
    plan.undo()
    assert _raw(view, d1, "potential") == pytest.approx(before)


def test_collapsed_rows_and_the_current_row_survive_a_reshaping_edit(
    qtbot: Any, plan: Plan
) -> None:
    view = _view(qtbot, plan)
    m, d1 = view.balance_model, node(plan, "D1")
    d1_row = view.proxy.mapFromSource(m.item_index(d1))
    assert view.isExpanded(d1_row)
    # Real keys: click the D1 row, Left collapses it.
    view.setFocus()
    qtbot.mouseClick(
        view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(d1_row).center()
    )
    assert view.selected_node() == d1
    qtbot.keyClick(view, Qt.Key.Key_Left)
    assert not view.isExpanded(d1_row)
    # A new district (the tree's shape changes: the model resets) keeps D1 collapsed and current.
    plan.apply(org.create_node(plan, "D3", "district", parent=node(plan, "South")))
    d1_row = view.proxy.mapFromSource(m.item_index(d1))
    assert not view.isExpanded(d1_row)
    assert view.selected_node() == d1
    south = view.proxy.mapFromSource(m.item_index(node(plan, "South")))
    assert view.isExpanded(south)


def test_clicking_a_territory_row_selects_that_territory(qtbot: Any, plan: Plan) -> None:
    view = _view(qtbot, plan)
    view.sortByColumn(COLUMN["potential"], Qt.SortOrder.DescendingOrder)
    qtbot.wait(10)
    t2 = int(plan.atoms.territory_ids[1])
    index = view.proxy.mapFromSource(view.balance_model.item_index(t2))
    with qtbot.waitSignal(view.territorySelected) as sig:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                         pos=view.visualRect(index).center())  # fmt: skip
    assert sig.args == [1]
    view.select_territory(2)
    assert view.balance_model.territory_index(view.proxy.mapToSource(view.currentIndex())) == 2


def test_quota_columns_show_the_plan_and_flag_difficulty(qtbot: Any, plan: Plan) -> None:
    view = _view(qtbot, plan)
    m = view.balance_model
    for key in QUOTA_KEYS:
        assert not view.isColumnHidden(COLUMN[key])
    assert m.headerData(COLUMN["quota"], Qt.Orientation.Horizontal) == f"Quota FY{YEAR}"
    rows = {r["id"]: r for r in plan.rows()}
    t1 = next(iter(rows))
    assert _raw(view, t1, "quota") == pytest.approx(rows[t1]["quota"])
    assert _raw(view, node(plan, "D1"), "quota") == pytest.approx(
        sum(rows[t]["quota"] for t in list(rows)[:2])
    )
    # A quota far above its market is flagged hard, shown with the word and a red background.
    from planner.model.quota import ops

    plan.apply(ops.adjust_edit(plan, YEAR, t1, 9_000_000_00))
    index = m.item_index(t1, COLUMN["difficulty"])
    assert index.data().endswith("hard")
    assert index.data(Qt.ItemDataRole.BackgroundRole).name() == "#ffcdd2"
    assert index.siblingAtColumn(COLUMN["quota"]).data(Qt.ItemDataRole.FontRole).italic()
    assert "adjusted by hand" in index.siblingAtColumn(COLUMN["quota"]).data(
        Qt.ItemDataRole.ToolTipRole
    )


def test_quota_columns_are_hidden_without_a_quota_plan(qtbot: Any, tmp_path: Path) -> None:
    plan = hierarchy_project(tmp_path / "n.tplan", quota=False)
    view = _view(qtbot, plan)
    assert all(view.isColumnHidden(COLUMN[k]) for k in QUOTA_KEYS)
    assert not view.isColumnHidden(COLUMN["potential"])
