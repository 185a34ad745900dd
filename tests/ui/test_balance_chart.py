"""Balance chart: bars follow the plan in place, metric switch, target line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtGui import QColor
from sqlalchemy import update

from planner.model import moves
from planner.model.plan import Plan
from planner.model.schema import ScenarioTerritory
from planner.model.synthetic import grid_project
from planner.ui.balance_chart import BalanceChart


@pytest.fixture
def plan(tmp_path: Path) -> Plan:
    return Plan.load(grid_project(tmp_path / "g.tplan", pins=2))


def _metric(plan: Plan, metric: str) -> list[float]:
    return [row[metric] for row in plan.rows()]


def test_bars_follow_apply_and_undo_in_place(qtbot: Any, plan: Plan) -> None:
    chart = BalanceChart(plan)
    qtbot.addWidget(chart)
    assert chart.chosen_metric == "potential"
    assert chart.values() == pytest.approx(_metric(plan, "potential"))
    assert [c.name() for c in chart.view.colours] == [row["colour"] for row in plan.rows()]

    ms = moves.for_units(plan, np.array([8, 9]), 0)
    log_id = plan.apply(ms)
    assert chart.values() == pytest.approx(_metric(plan, "potential"))
    assert plan.undo() == log_id
    assert chart.values() == pytest.approx(_metric(plan, "potential"))


def test_metric_switch_changes_values(qtbot: Any, plan: Plan) -> None:
    chart = BalanceChart(plan)
    qtbot.addWidget(chart)
    chart.metric_box.setCurrentIndex(chart.metric_box.findData("accounts"))
    assert chart.values() == pytest.approx(_metric(plan, "accounts"))
    assert sum(chart.values()) == 120
    chart.set_metric("workload_hours")
    assert chart.values() == pytest.approx(_metric(plan, "workload_hours"))
    with pytest.raises(ValueError, match="unknown metric"):
        chart.set_metric("bananas")


def test_target_line_is_total_times_weight_share(qtbot: Any, tmp_path: Path) -> None:
    project = grid_project(tmp_path / "g.tplan")
    with project.transaction() as s:
        st = ScenarioTerritory
        s.execute(update(st).where(st.name == "T1").values(target_weight=2.0))
    plan = Plan.load(project)
    chart = BalanceChart(plan)
    qtbot.addWidget(chart)
    total = sum(_metric(plan, "potential"))
    assert chart.target_values() == pytest.approx([total / 2, total / 4, total / 4])
    chart.set_metric("accounts")
    assert chart.target_values() == pytest.approx([60.0, 30.0, 30.0])
    assert chart.y_max >= max(chart.values())


def test_new_territory_rebuilds_and_renders(qtbot: Any, plan: Plan) -> None:
    chart = BalanceChart(plan)
    qtbot.addWidget(chart)
    chart.resize(600, 400)
    chart.show()
    qtbot.waitExposed(chart)
    image = chart.view.grab().toImage()
    colours = {image.pixelColor(x, y).name() for x in range(0, 600, 3) for y in range(0, 380, 3)}
    assert QColor(plan.rows()[0]["colour"]).name() in colours
    chart.set_plan(None)
    assert chart.values() == []
    chart.set_plan(plan)
    assert len(chart.values()) == 3


def test_hidden_chart_catches_up_when_shown(qtbot: Any, plan: Plan) -> None:
    """A tabbed-away chart does no work per edit; showing it brings it up to date."""
    chart = BalanceChart(plan)
    qtbot.addWidget(chart)
    first = chart.view.values.copy()
    plan.apply(moves.for_units(plan, np.array([8, 9]), 0))
    assert list(chart.view.values) == list(first)  # hidden: untouched
    chart.show()
    qtbot.waitExposed(chart)
    assert chart.view.values[0] == pytest.approx(_metric(plan, "potential")[0])
    plan.apply(moves.for_units(plan, np.array([10]), 0))  # visible: follows at once
    assert chart.view.values[0] == pytest.approx(_metric(plan, "potential")[0])
