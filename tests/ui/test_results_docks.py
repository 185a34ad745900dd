"""Results, Alerts and Plan docks on a real project: live after an edit, rules, plan undo."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QDate, Qt

from planner.model import moves
from planner.model import territory_plan as tp
from planner.model.plan import Plan
from planner.model.store import Project
from planner.ui.alerts_dock import AlertsDock
from planner.ui.plan_dock import PlanDock
from planner.ui.results_dock import ResultsDock
from tests.model.results_project import AS_OF, build


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    p, _ = build(tmp_path / "r.tplan")
    yield p
    p.close()


def _docks(qtbot: Any, plan: Plan) -> tuple[ResultsDock, AlertsDock, PlanDock]:
    results = ResultsDock()
    alerts, plan_dock = AlertsDock(results), PlanDock(results)
    for w in (results, alerts, plan_dock):
        qtbot.addWidget(w)
    for w in (results, alerts):  # a hidden dock fills its table when it is shown
        w.show()
    results.as_of.setDate(QDate(AS_OF.year, AS_OF.month, AS_OF.day))
    with qtbot.waitSignal(results.updated, timeout=10_000):  # facts are read on the pool
        results.set_plan(plan)
    plan_dock.set_plan(plan)
    return results, alerts, plan_dock


def _cell(dock: ResultsDock, name: str, column: str) -> Any:
    frame = dock.model.frame
    return frame.loc[frame["Name"] == name, column].iloc[0]


def test_results_follow_an_edit_and_alerts_are_counted(qtbot: Any, project: Project) -> None:
    plan = Plan.load(project)
    results, alerts, _ = _docks(qtbot, plan)
    assert _cell(results, "T1", "Bookings") == 3000
    assert _cell(results, "T1", "Attainment %") == pytest.approx(21.4)
    counts: list[int] = []
    alerts.countChanged.connect(counts.append)
    unit = int(plan.atoms.account_unit[0])  # a1's unit goes to T2
    with qtbot.waitSignal(results.updated, timeout=5000):
        plan.apply(moves.for_units(plan, np.array([unit]), 1))
    assert _cell(results, "T2", "Bookings") == 3400
    assert _cell(results, "T1", "Bookings") == 0
    assert counts
    assert counts[-1] == results.alerts.total
    with qtbot.waitSignal(results.fillsRequested) as sig:
        results.colour.setCurrentIndex(results.colour.findData("attainment"))
    fills, legend = sig.args
    assert set(fills) == {1, 2, 3}
    assert fills[3] == "#bbbbbb"
    assert any("no value" in label for label, _ in legend)


def test_tuning_a_rule_saves_it_and_reevaluates(qtbot: Any, project: Project) -> None:
    results, alerts, _ = _docks(qtbot, Plan.load(project))
    assert results.alerts.counts["behind_pace"] == 1  # type: ignore[union-attr]
    alerts.spins["behind_pace_pct"].setValue(50)
    assert results.alerts.counts["behind_pace"] == 0  # type: ignore[union-attr]
    from planner.model.alert_rules import load_rules

    assert load_rules(project).behind_pace_pct == 0.5


def test_plan_dock_saves_revisions_with_undo_and_shows_text_plainly(
    qtbot: Any, project: Project
) -> None:
    _, _, dock = _docks(qtbot, Plan.load(project))
    dock.swot["strengths"].setPlainText("<b>loyal</b>\n\nfast")
    dock.goals.set_rows([["Book 6,000", "bookings", "6000", "2026-12-31", "Rep 1"]])
    dock.save()
    tid = dock.territory_id
    assert tid is not None
    saved = tp.current(project, tid)
    assert saved.revision == 1
    assert saved.content["swot"]["strengths"] == ["<b>loyal</b>", "fast"]
    assert dock.goals.table.item(0, 5).text() == "3,000.00 (50%)"
    dock.stack.undo()
    assert tp.current(project, tid).content["swot"]["strengths"] == []
    assert dock.swot["strengths"].toPlainText() == ""
    dock.stack.redo()
    assert tp.current(project, tid).revision == 3
    assert dock.swot["strengths"].toPlainText() == "<b>loyal</b>\nfast"
    errors: list[str] = []
    dock.error.connect(errors.append)
    dock.goals.set_rows([["x", "bookings", "lots", "", ""]])
    dock.save()
    assert errors
    assert "goal 1 target" in errors[-1]
    assert tp.current(project, tid).revision == 3


def test_importing_actuals_from_the_dock(qtbot: Any, project: Project, tmp_path: Path) -> None:
    results, _, _ = _docks(qtbot, Plan.load(project))
    errors: list[str] = []
    results.error.connect(errors.append)
    bad = tmp_path / "bad.csv"
    bad.write_text("Account ID,Date,Amount\nNOPE,2026-03-01,5\n", encoding="utf-8")
    results.import_file(bad)
    assert errors
    assert "row 2" in errors[0]
    assert "NOPE" in errors[0]
    good = tmp_path / "good.csv"
    good.write_text("Account ID,Date,Amount\nA000003,2026-03-01,250\n", encoding="utf-8")
    with qtbot.waitSignal(results.updated, timeout=10_000):
        results.import_file(good)
    assert _cell(results, "T1", "Bookings") == 3250


def test_partner_checklist_is_built_when_first_seen_and_keeps_checked_partners(
    qtbot: Any, project: Project
) -> None:
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QTabWidget
    from sqlalchemy import update

    from planner.model.schema import Account

    ids = [int(i) for i in Plan.load(project).atoms.account_ids[-2:]]
    with project.transaction() as s:
        for i, name in zip(ids, ["<i>Beta</i> Channel", "Alpha Resellers"], strict=True):
            s.execute(update(Account).where(Account.id == i).values(status="partner", name=name))
    _, _, dock = _docks(qtbot, Plan.load(project))
    assert dock.partners.count() == 0  # not seen yet: nothing sorted
    dock.show()
    qtbot.waitExposed(dock)
    tabs = dock.findChild(QTabWidget)
    bar = tabs.tabBar()
    strategy = next(i for i in range(tabs.count()) if tabs.tabText(i) == "Strategy")
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(strategy).center())
    qtbot.waitUntil(lambda: dock.partners.count() == 2)
    # as typed (plain text), in code point order like the database's ORDER BY name
    assert [dock.partners.item(i).text() for i in range(2)] == [
        "<i>Beta</i> Channel",
        "Alpha Resellers",
    ]
    rect = dock.partners.visualItemRect(dock.partners.item(1))
    box = QPoint(rect.left() + 8, rect.center().y())  # the check box at the item's left edge
    qtbot.mouseClick(dock.partners.viewport(), Qt.MouseButton.LeftButton, pos=box)
    assert dock.partners.checked() == [ids[1]]
    dock.save()
    tid = dock.territory_id
    assert tid is not None
    assert tp.current(project, tid).content["strategy"]["partners"] == [ids[1]]
    _, _, unseen = _docks(qtbot, Plan.load(project))
    assert unseen.partners.count() == 0
    assert unseen.partners.checked() == [ids[1]]  # kept as saved although never listed


def test_hidden_docks_count_alerts_and_fill_their_tables_when_shown(
    qtbot: Any, project: Project
) -> None:
    """Docks are hidden by default: after an edit the alert count still reaches the status
    bar, but no table is refilled until its dock is shown."""
    plan = Plan.load(project)
    results = ResultsDock()
    alerts = AlertsDock(results)
    for w in (results, alerts):
        qtbot.addWidget(w)
    results.as_of.setDate(QDate(AS_OF.year, AS_OF.month, AS_OF.day))
    counts: list[int] = []
    alerts.countChanged.connect(counts.append)
    with qtbot.waitSignal(results.updated, timeout=10_000):
        results.set_plan(plan)
    assert results.alerts is not None
    assert counts[-1] == results.alerts.total > 0
    assert alerts.model.rowCount() == 0
    assert results.model.rowCount() == 0
    alerts.show()
    results.show()
    qtbot.waitExposed(alerts)
    assert alerts.model.rowCount() == sum(len(v) for v in results.alerts.items.values())
    assert results.model.rowCount() > 0
    assert _cell(results, "T1", "Bookings") == 3000
