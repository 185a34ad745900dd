"""Impact: every figure checked against an independent pandas computation from the raw tables.

The reference below reads accounts, assignments, pins, territories, reps and opportunities with
plain SQL and derives the documented figures (planner/model/impact.py docstring) with pandas
group-bys; it shares no code with the engine. Per-territory balance metrics come from the
project's separate reference (tests/model/reference.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely
from sqlalchemy import text, update

from planner.model import moves
from planner.model.atoms import UNASSIGNED
from planner.model.balance import METRICS
from planner.model.impact import MOVED_COLUMNS, impact
from planner.model.io.impact_report import SHEETS, impact_html, write_xlsx
from planner.model.plan import Plan
from planner.model.scenarios import create_scenario, scenario_id
from planner.model.schema import Account, ScenarioTerritory
from planner.model.store import Project
from planner.model.synthetic import grid_project
from tests.model.reference import reference_balance

THRESHOLD = 0.10


# -- the independent reference -----------------------------------------------------------------
def _read(project: Project, sql: str, **params: object) -> pd.DataFrame:
    with project.engine.connect() as conn:
        return pd.read_sql_query(text(sql), conn, params=params)


def _owner(project: Project, sid: int) -> pd.Series:
    """Territory id per account id (NaN = unassigned): unit, then free-form row, then pin."""
    acc = _read(project, "SELECT id, unit_id FROM account").set_index("id")
    asg = _read(project, "SELECT * FROM assignment WHERE scenario_id = :s", s=sid)
    pins = _read(project, "SELECT * FROM pin WHERE scenario_id = :s", s=sid)
    by_unit = asg[asg.atom_kind == "unit"].set_index("atom_id")["territory_id"]
    owner = acc["unit_id"].map(by_unit)
    free = asg[asg.atom_kind == "account"].set_index("atom_id")["territory_id"]
    owner = owner.astype(float)
    if len(free):
        owner.loc[free.index] = free.astype(float)
    if len(pins):
        owner.loc[pins["account_id"]] = pins.set_index("account_id")["territory_id"].astype(float)
    return owner


def _gini(values: np.ndarray) -> float:
    """Gini as the mean absolute difference over twice the mean (a different formula)."""
    v = np.clip(np.asarray(values, float), 0, None)
    if v.sum() == 0:
        return 0.0
    return float(np.abs(v[:, None] - v[None, :]).sum() / (2 * len(v) ** 2 * v.mean()))


def reference_impact(project: Project, after_id: int, before_id: int) -> dict:
    acc = _read(project, "SELECT id, external_id, name, potential, revenue FROM account")
    opp = _read(project, "SELECT account_id, amount FROM opportunity WHERE is_open")
    terr = _read(
        project,
        "SELECT t.id, t.name, t.target_weight, r.id AS rep_id, r.name AS rep FROM territory t "
        "LEFT JOIN rep r ON r.id = t.rep_id WHERE t.level = 'territory'",
    ).set_index("id")
    acc["pipeline"] = acc["id"].map(opp.groupby("account_id")["amount"].sum()).fillna(0.0)
    acc["open_opps"] = acc["id"].map(opp.groupby("account_id").size()).fillna(0).astype(int)
    acc["before"] = acc["id"].map(_owner(project, before_id))
    acc["after"] = acc["id"].map(_owner(project, after_id))
    acc["moved"] = acc["before"].fillna(-1) != acc["after"].fillna(-1)
    for side in ("before", "after"):
        acc[f"{side}_name"] = acc[side].map(terr["name"])
        acc[f"{side}_rep_id"] = acc[side].map(terr["rep_id"])
        acc[f"{side}_rep"] = acc[side].map(terr["rep"])
    moved = acc[acc["moved"]]

    bal = {s: reference_balance(project, sid) for s, sid in (("b", before_id), ("a", after_id))}
    w = terr.set_index("name")["target_weight"]
    territories = {}
    for name in terr["name"]:
        row = {
            "gained": int((moved["after_name"] == name).sum()),
            "lost": int((moved["before_name"] == name).sum()),
        }
        for m in METRICS:
            for s in ("b", "a"):
                v = bal[s][m]
                target = v.sum() * w[name] / w.sum()
                row[f"{m}_{s}"] = v[name]
                row[f"{m}_dev_{s}"] = (v[name] - target) / target if target > 0 else 0.0
        territories[name] = row
    balance = {}
    for s in ("b", "a"):
        balance[s] = {
            "max_abs_deviation": {
                m: max(abs(territories[t][f"{m}_dev_{s}"]) for t in territories) for m in METRICS
            },
            "gini": {m: _gini(bal[s][m].to_numpy()) for m in METRICS},
        }

    reps = {}
    for rep_id, rep in terr.dropna(subset=["rep_id"]).groupby("rep_id")["rep"].first().items():
        inb, ina = acc["before_rep_id"] == rep_id, acc["after_rep_id"] == rep_id
        row = {}
        for v in ("potential", "revenue"):
            kept = acc.loc[inb & ina, v].sum()
            gained = acc.loc[ina & ~inb, v].sum()
            lost = acc.loc[inb & ~ina, v].sum()
            book = max(kept + gained, kept + lost)
            row[v] = (kept, gained, lost)
            row[f"change_{v}"] = (gained + lost) / book if book > 0 else 0.0
        row["accounts"] = (int((inb & ina).sum()), int((ina & ~inb).sum()), int((inb & ~ina).sum()))
        row["flagged"] = row["change_potential"] > THRESHOLD or row["change_revenue"] > THRESHOLD
        reps[rep] = row

    def share(col: str) -> float:
        return moved[col].sum() / acc[col].sum()

    acc["one"] = 1.0
    moved = acc[acc["moved"]]
    return {
        "moved": moved.set_index("external_id"),
        "territories": territories,
        "reps": reps,
        "balance": balance,
        "disruption": {
            k: share(c)
            for k, c in (("accounts", "one"), ("revenue", "revenue"), ("potential", "potential"))
        },
    }


# -- fixtures ----------------------------------------------------------------------------------
@pytest.fixture
def scenarios(tmp_path: Path) -> Iterator[Project]:
    """The grid (with pins) plus two scenarios edited differently."""
    project = grid_project(tmp_path / "grid.tplan", pins=3, seed=4)
    create_scenario(project, "East")
    plan = Plan.load(project, "East")
    plan.apply(moves.for_units(plan, np.arange(0, 6), 2))  # T1 cells to T3
    create_scenario(project, "Pinned")
    plan = Plan.load(project, "Pinned")
    plan.apply(moves.for_units(plan, np.array([10, 11]), 0))  # T2 cells to T1
    plan.apply(moves.for_units(plan, np.array([23]), UNASSIGNED))  # one cell unassigned
    plan.apply(moves.for_pin(plan, 7, 1))  # an account of T1 pinned to T2
    yield project
    project.close()


CASES = [("East", None), ("Pinned", None), ("Pinned", "East")]


@pytest.mark.parametrize(("scenario", "against"), CASES)
def test_every_figure_matches_the_pandas_reference(
    scenarios: Project, scenario: str, against: str | None
) -> None:
    imp = impact(scenarios, scenario, against, threshold=THRESHOLD)
    ref = reference_impact(
        scenarios, scenario_id(scenarios, scenario), scenario_id(scenarios, against)
    )
    assert imp.scenario == scenario
    assert imp.against == (against or "Baseline")

    # Moved accounts, row by row.
    exp = ref["moved"]
    got = imp.moved.set_index("account_id")
    assert list(imp.moved.columns) == list(MOVED_COLUMNS)
    assert len(got) > 0
    assert set(got.index) == set(exp.index)
    exp = exp.loc[got.index]
    pairs = {"from_territory": "before_name", "to_territory": "after_name",
             "from_rep": "before_rep", "to_rep": "after_rep", "name": "name"}  # fmt: skip
    for mine, theirs in pairs.items():
        assert got[mine].fillna("-").tolist() == exp[theirs].fillna("-").tolist(), mine
    for col in ("potential", "revenue", "pipeline"):
        np.testing.assert_allclose(got[col], exp[col])
    assert got["open_opportunities"].tolist() == exp["open_opps"].tolist()
    assert imp.moved["potential"].is_monotonic_decreasing

    # Summary.
    s = imp.to_json()["summary"]
    assert s["accounts_moved"] == len(exp)
    assert s["potential_moved"] == pytest.approx(exp["potential"].sum())
    assert s["revenue_moved"] == pytest.approx(exp["revenue"].sum())
    assert s["pipeline_moved"] == pytest.approx(exp["pipeline"].sum())
    assert s["open_opportunities_moved"] == exp["open_opps"].sum()
    for k, v in ref["disruption"].items():
        assert s["disruption"][k] == pytest.approx(v)
    for side, key in (("before", "b"), ("after", "a")):
        for what in ("max_abs_deviation", "gini"):
            for m in METRICS:
                assert s["balance"][side][what][m] == pytest.approx(
                    ref["balance"][key][what][m], abs=1e-9
                ), (side, what, m)

    # Per territory.
    terr = imp.territories.set_index("territory")
    assert set(terr.index) == set(ref["territories"])
    for name, r in ref["territories"].items():
        assert terr.loc[name, "accounts_gained"] == r["gained"]
        assert terr.loc[name, "accounts_lost"] == r["lost"]
        for m in METRICS:
            for side, key in (("before", "b"), ("after", "a")):
                assert terr.loc[name, f"{m}_{side}"] == pytest.approx(r[f"{m}_{key}"], rel=1e-9)
                assert terr.loc[name, f"{m}_deviation_{side}"] == pytest.approx(
                    r[f"{m}_dev_{key}"], abs=1e-9
                )
            assert terr.loc[name, f"{m}_delta"] == pytest.approx(
                r[f"{m}_a"] - r[f"{m}_b"], abs=1e-6
            )

    # Per rep.
    reps = imp.reps.set_index("rep")
    assert set(reps.index) == set(ref["reps"])
    for rep, r in ref["reps"].items():
        for v in ("accounts", "potential", "revenue"):
            got_v = [reps.loc[rep, f"{v}_{k}"] for k in ("kept", "gained", "lost")]
            np.testing.assert_allclose(got_v, r[v], err_msg=f"{rep} {v}")
        for v in ("potential", "revenue"):
            assert reps.loc[rep, f"change_{v}"] == pytest.approx(r[f"change_{v}"])
        assert bool(reps.loc[rep, "flagged"]) == r["flagged"]
    assert s["reps_flagged"] == sum(r["flagged"] for r in ref["reps"].values())


def test_json_has_the_documented_shape(scenarios: Project) -> None:
    data = impact(scenarios, "Pinned").to_json()
    assert {"scenario", "against", "moved_accounts", "summary", "territories", "reps"} <= set(data)
    first = data["moved_accounts"][0]
    assert {"account_id", "from_territory", "to_territory", "from_rep", "to_rep", "potential",
            "revenue"} <= set(first)  # fmt: skip
    assert {"accounts_moved", "revenue_moved", "potential_moved", "disruption"} <= set(
        data["summary"]
    )
    assert {"accounts", "revenue"} <= set(data["summary"]["disruption"])
    # The unassigned cell's accounts have no destination territory or rep.
    assert any(m["to_territory"] is None and m["to_rep"] is None for m in data["moved_accounts"])
    json.dumps(data)  # plain JSON types only


def test_identical_alignments_have_no_impact(scenarios: Project) -> None:
    create_scenario(scenarios, "Copy")
    imp = impact(scenarios, "Copy")
    assert imp.moved.empty
    assert imp.summary.accounts_moved == 0
    assert imp.summary.disruption == {"accounts": 0.0, "revenue": 0.0, "potential": 0.0}
    assert not imp.reps["flagged"].any()
    assert (imp.territories["accounts_delta"] == 0).all()


def test_threshold_decides_which_reps_are_flagged(scenarios: Project) -> None:
    changes = impact(scenarios, "East").reps[["change_potential", "change_revenue"]].max(axis=1)
    low = impact(scenarios, "East", threshold=0.0)
    high = impact(scenarios, "East", threshold=float(changes.max()) + 0.01)
    assert low.reps["flagged"].sum() == (changes > 0).sum() > 0
    assert not high.reps["flagged"].any()


def test_free_form_project_matches_the_reference(tmp_path: Path) -> None:
    project = grid_project(tmp_path / "free.tplan", free_form=True, seed=2)
    try:
        create_scenario(project, "Lasso")
        plan = Plan.load(project, "Lasso")
        plan.apply(moves.for_polygon(plan, shapely.box(-84.0, 33.0, -83.75, 33.2), to=1))
        imp = impact(project, "Lasso")
        ref = reference_impact(project, scenario_id(project, "Lasso"), project.baseline_id())
        assert len(imp.moved) > 0
        assert set(imp.moved["account_id"]) == set(ref["moved"].index)
        assert imp.summary.potential_moved == pytest.approx(ref["moved"]["potential"].sum())
        assert imp.summary.disruption["revenue"] == pytest.approx(ref["disruption"]["revenue"])
    finally:
        project.close()


def test_xlsx_report_has_the_documented_sheets_and_totals(
    scenarios: Project, tmp_path: Path
) -> None:
    imp = impact(scenarios, "Pinned")
    out = write_xlsx(imp, tmp_path / "impact.xlsx")
    assert not (tmp_path / "impact.xlsx.partial").exists()
    wb = openpyxl.load_workbook(out, read_only=True)
    assert wb.sheetnames == list(SHEETS)
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True) if r[0]}
    assert summary["Scenario"] == "Pinned"
    assert summary["Accounts moved"] == imp.summary.accounts_moved
    moved = pd.read_excel(out, sheet_name="Moved accounts")
    assert len(moved) == len(imp.moved) + 1
    total = moved.iloc[-1]
    assert total["Account id"] == "Total"
    assert total["Potential"] == pytest.approx(imp.summary.potential_moved)
    assert total["Revenue"] == pytest.approx(imp.summary.revenue_moved)
    terr = pd.read_excel(out, sheet_name="Territories")
    assert terr.iloc[-1]["Territory"] == "Total"
    assert terr.iloc[-1]["Accounts gained"] == imp.territories["accounts_gained"].sum()
    # The total delta is what left the territories: the potential of the unassigned cell.
    assert terr.iloc[-1]["Potential delta"] == pytest.approx(
        imp.territories["potential_delta"].sum()
    )
    assert terr.iloc[-1]["Potential delta"] < 0
    assert pd.isna(terr.iloc[-1]["Potential deviation after"])  # no total of deviations
    reps = pd.read_excel(out, sheet_name="Reps")
    assert reps.iloc[-1]["Rep"] == "Total"
    assert reps.iloc[-1]["Potential lost"] == pytest.approx(imp.reps["potential_lost"].sum())


def test_html_report_escapes_every_user_string(tmp_path: Path) -> None:
    project = grid_project(tmp_path / "g.tplan")
    try:
        with project.transaction() as s:
            s.get(Account, 1).name = "<script>alert('x')</script>"
            st = ScenarioTerritory
            s.execute(update(st).where(st.territory_id == 3).values(name="T3 & <i>co</i>"))
        create_scenario(project, "East <b>")
        plan = Plan.load(project, "East <b>")
        plan.apply(moves.for_units(plan, np.arange(0, 4), 2))
        html = impact_html(impact(project, "East <b>"))
    finally:
        project.close()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "T3 &amp; &lt;i&gt;co&lt;/i&gt;" in html
    assert "East &lt;b&gt;" in html
    assert "<i>" not in html
