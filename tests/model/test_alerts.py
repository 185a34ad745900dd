"""Each alert rule fires exactly on the cases built for it, and on nothing else."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import delete, update

from planner.model import moves
from planner.model.alert_rules import AlertRules, load_rules, save_rules
from planner.model.alerts import AlertEngine, AlertList
from planner.model.atoms import COL
from planner.model.errors import PlannerError
from planner.model.impact import impact
from planner.model.plan import Plan
from planner.model.results import Results
from planner.model.scenarios import create_scenario
from planner.model.schema import Activity, Rep
from tests.model.results_project import AS_OF, build


@pytest.fixture
def built(tmp_path: Path) -> Iterator[tuple[Any, dict[str, Any]]]:
    p, ids = build(tmp_path / "a.tplan")
    yield p, ids
    p.close()


def _alerts(p: Any, scenario: Any = None, rules: AlertRules | None = None) -> AlertList:
    plan = Plan.load(p, scenario)
    res = Results.of_plan(plan, as_of=AS_OF)
    return AlertEngine(res, plan, rules).evaluate(res, plan)


def _names(alerts: AlertList, rule: str) -> set[str]:
    return {a.name for a in alerts.items[rule]}


def test_behind_pace_fires_on_t1_only(built: Any) -> None:
    p, _ = built
    al = _alerts(p)
    assert _names(al, "behind_pace") == {"T1"}  # T2 is ahead, T3 has no quota
    # T1 is 33 % behind: a 40 % rule lets it pass
    assert _names(_alerts(p, rules=AlertRules(behind_pace_pct=0.4)), "behind_pace") == set()


def test_low_pipeline_coverage_fires_below_the_rule(built: Any) -> None:
    p, _ = built
    assert _names(_alerts(p), "low_pipeline") == {"T1"}  # 0.55x; T2 2.5x
    assert _names(_alerts(p, rules=AlertRules(min_pipeline_coverage=3)), "low_pipeline") == {
        "T1", "T2"}  # fmt: skip


def test_over_capacity_fires_on_the_rep_whose_workload_exceeds_it(built: Any) -> None:
    p, _ = built
    plan = Plan.load(p)
    work = dict(zip(plan.atoms.territory_names, plan.metrics()["workload_hours"], strict=True))
    with p.transaction() as s:
        # Rep 1 just below their workload, Rep 2 and 3 well above
        s.execute(update(Rep).values(capacity_hours=10_000))
        s.execute(update(Rep).where(Rep.name == "Rep 1")
                  .values(capacity_hours=work["T1"] / 46 * 0.9))  # fmt: skip
    al = _alerts(p)
    assert _names(al, "over_capacity") == {"Rep 1"}
    assert al.items["over_capacity"][0].value == pytest.approx(1 / 0.9)


def test_top_accounts_not_visited(built: Any) -> None:
    p, _ = built
    plan = Plan.load(p)
    a = plan.atoms
    pot = a.account_matrix[:, COL["potential"]]
    top = np.argsort(-pot)[:24]  # the top 20 % of 120 accounts
    with p.transaction() as s:
        s.execute(delete(Activity))
        for i in top[2:]:
            s.add(Activity(account_id=int(a.account_ids[i]), type="Visit",
                           date=AS_OF - dt.timedelta(days=10)))  # fmt: skip
        # one of the two left was visited, but 91 days ago
        s.add(Activity(account_id=int(a.account_ids[top[0]]), type="Visit",
                       date=AS_OF - dt.timedelta(days=91)))  # fmt: skip
    al = _alerts(p)
    assert {a.id for a in al.items["unvisited_top"]} == {int(a.account_ids[i]) for i in top[:2]}
    assert al.counts["unvisited_top"] == 2


def test_unowned_accounts_are_unassigned_or_in_a_territory_without_rep(built: Any) -> None:
    p, _ = built
    assert _alerts(p).counts["unowned"] == 0
    plan = Plan.load(p)
    unit = int(np.flatnonzero(plan.alignment[: plan.atoms.n_units] == 2)[0])  # a unit of T3
    plan.apply(moves.for_units(plan, np.array([unit]), -1))
    al = _alerts(p)
    expected = int((Plan.load(p).account_territories() < 0).sum())
    assert expected > 0
    assert al.counts["unowned"] == expected
    assert {x.territory for x in al.items["unowned"]} == {"(unassigned)"}


def test_a_rep_losing_book_in_a_scenario_matches_impact(built: Any) -> None:
    p, _ = built
    create_scenario(p, "What if")
    plan = Plan.load(p, "What if")
    t1 = np.flatnonzero(plan.alignment[: plan.atoms.n_units] == 0)
    plan.apply(moves.for_units(plan, t1[:3], 1))  # three of T1's units to T2
    assert _alerts(p).counts["book_loss"] == 0  # the baseline loses nothing
    al = _alerts(p, "What if")
    assert _names(al, "book_loss") == {"Rep 1"}
    imp = impact(p, "What if").reps.set_index("rep")
    lost = imp.loc["Rep 1", "potential_lost"] / imp.loc["Rep 1", "potential_before"]
    assert al.items["book_loss"][0].value == pytest.approx(lost)
    rules = AlertRules(book_loss_pct=float(lost) + 0.01)
    assert _alerts(p, "What if", rules).counts["book_loss"] == 0


def test_alerts_follow_an_edit_without_rebuilding(built: Any) -> None:
    p, _ = built
    plan = Plan.load(p)
    res = Results.of_plan(plan, as_of=AS_OF)
    engine = AlertEngine(res, plan)
    assert engine.evaluate(res, plan).counts["unowned"] == 0
    unit = int(np.flatnonzero(plan.alignment[: plan.atoms.n_units] == 2)[0])
    plan.apply(moves.for_units(plan, np.array([unit]), -1))
    res.refresh(plan.atoms, plan.alignment)
    assert engine.evaluate(res, plan).counts["unowned"] == int(
        (plan.account_territories() < 0).sum()
    )


def test_rules_are_stored_with_the_project_and_checked(built: Any) -> None:
    p, _ = built
    save_rules(p, AlertRules(behind_pace_pct=0.25, unvisited_days=30))
    assert load_rules(p).behind_pace_pct == 0.25
    assert load_rules(p).unvisited_days == 30
    with pytest.raises(PlannerError, match="top_share"):
        save_rules(p, AlertRules(top_share=2.0))
    assert load_rules(p).top_share == 0.20
