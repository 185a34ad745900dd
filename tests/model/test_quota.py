"""Quotas and the sales hierarchy (issue 16) on real SQLite projects."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.model import org
from planner.model.errors import ImportRefused, PlannerError
from planner.model.hierarchy import ROOT, Tree, tree_rows
from planner.model.io.quotas import export_quotas, import_quotas
from planner.model.moves import MoveSet
from planner.model.plan import Plan, StaleScenario
from planner.model.quota.allocation import Guardrails, parse_basis, split
from planner.model.quota.book import YearPlan
from planner.model.quota.ops import adjust_edit, allocate_edit, commit_edit, delete_plan_edit
from planner.model.store import Project
from planner.model.synthetic import grid_project

YEAR = 2027


@pytest.fixture
def grid6(tmp_path: Path) -> Iterator[Project]:
    """12x4 grid, 6 territories (2 columns each), 240 accounts."""
    p = grid_project(tmp_path / "q.tplan", nx=12, ny=4, territories=6)
    yield p
    p.close()


def organise(plan: Plan) -> dict[str, int]:
    """Region R with districts D1 (T1-T3) and D2 (T4-T5); T6 stays at the top level."""
    ids = [int(t) for t in plan.atoms.territory_ids]
    plan.apply(org.create_node(plan, "R", "region"))
    r = next(n.id for n in plan.org.values() if n.name == "R")
    plan.apply(org.create_node(plan, "D1", "district", parent=r, children=ids[:3]))
    plan.apply(org.create_node(plan, "D2", "district", parent=r, children=ids[3:5]))
    names = {n.name: n.id for n in plan.org.values()}
    return {**names, **{f"T{i + 1}": t for i, t in enumerate(ids)}}


def cells(plan: Plan, year: int = YEAR) -> dict[int, tuple[int, ...]]:
    yp = plan.quotas.year(year)
    return {} if yp is None else {n: c.months for n, c in yp.cells.items()}


def year_plan(plan: Plan, year: int = YEAR) -> YearPlan:
    yp = plan.quotas.year(year)
    assert yp is not None
    return yp


def assert_nodes_are_sums(plan: Plan, year: int = YEAR) -> None:
    yp = plan.quotas.year(year)
    assert yp is not None
    tree = Tree.of_plan(plan)
    for n in [ROOT, *tree.nodes]:
        if n in yp.cells and not yp.cells[n].adjusted:
            kids = np.zeros(12, np.int64)
            for c in tree.children(n):
                if c in yp.cells:
                    kids += np.asarray(yp.cells[c].months)
            assert tuple(int(v) for v in kids) == yp.cells[n].months, tree.name(n)


# -- pure allocation ---------------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(
    shares=st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=30),
    total=st.integers(0, 10**12),
    seed=st.integers(0, 2**16),
)
def test_split_is_exact_to_the_cent_and_never_crosses_a_guardrail(
    shares: list[float], total: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    n = len(shares)
    lo = rng.integers(0, max(1, total // (2 * n) + 1), n)
    hi = lo + rng.integers(0, max(1, 2 * total // n + 2), n)
    if lo.sum() > total or hi.sum() < total:
        with pytest.raises(PlannerError, match="guardrails"):
            split(total, np.array(shares), lo, hi)
        return
    out = split(total, np.array(shares), lo, hi)
    assert int(out.amounts.sum()) == total
    assert (out.amounts >= lo).all()
    assert (out.amounts <= hi).all()


def test_split_without_bounds_is_proportional_within_a_cent() -> None:
    s = np.array([3.0, 1.0, 1.0, 0.0])
    out = split(1001, s)
    assert out.amounts.tolist() == [601, 200, 200, 0]  # 600.6 -> 601 by largest remainder


def test_what_a_guardrail_clips_goes_to_the_others_in_proportion() -> None:
    out = split(1000_00, np.array([8.0, 1.0, 1.0]), hi=np.array([50_000, 10**9, 10**9]))
    assert out.amounts.tolist() == [50_000, 25_000, 25_000]
    assert out.at_max == [0]
    assert out.clipped[0] == pytest.approx(50_000 - 80_000)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: split(-1, np.ones(2)), "negative"),
        (lambda: parse_basis("potential:0,revenue:0"), "positive"),
        (lambda: parse_basis("turnover:1"), "unknown measure 'turnover'"),
        (lambda: parse_basis("potential:-1"), "zero or more"),
        (lambda: Guardrails(0.5, 0.1), "min growth .* above max growth"),
    ],
)
def test_invalid_input_is_named(call: object, field: str) -> None:
    with pytest.raises(PlannerError, match=field):
        call()  # type: ignore[operator]


# -- hierarchy ---------------------------------------------------------------------------------
def test_tree_rolls_up_and_deviates_among_siblings(grid6: Project) -> None:
    plan = Plan.load(grid6)
    ids = organise(plan)
    rows = {r["name"]: r for r in tree_rows(plan)}
    flat = {r["name"]: r for r in plan.rows()}
    assert rows["D1"]["potential"] == pytest.approx(
        sum(flat[f"T{i}"]["potential"] for i in (1, 2, 3))
    )
    assert rows["R"]["accounts"] == rows["D1"]["accounts"] + rows["D2"]["accounts"]
    assert rows["All territories"]["accounts"] == 240
    # D1 and D2 are siblings: weighted by their 3 and 2 territories
    d1, d2 = rows["D1"]["potential"], rows["D2"]["potential"]
    target = (d1 + d2) * 3 / 5
    assert rows["D1"]["deviation"]["potential"] == pytest.approx((d1 - target) / target)
    assert Tree.of_plan(plan).levels() == ["region", "district", "territory"]
    assert ids["D1"] in plan.org


def test_hierarchy_edits_are_undoable_and_saved(grid6: Project) -> None:
    plan = Plan.load(grid6)
    ids = organise(plan)
    plan.apply(org.update_node(plan, ids["D1"], name="North"))
    plan.apply(org.delete_node(plan, ids["D2"]))  # T4, T5 move up to R
    tree = Tree.of_plan(Plan.load(grid6))
    assert tree.parent(ids["T4"]) == ids["R"]
    assert ids["D2"] not in tree.nodes
    assert tree.name(ids["D1"]) == "North"
    plan.undo()
    plan.undo()
    tree = Tree.of_plan(Plan.load(grid6))
    assert tree.parent(ids["T4"]) == ids["D2"]
    assert tree.name(ids["D1"]) == "D1"
    with pytest.raises(PlannerError, match="below it"):
        org.reparent(plan, ids["R"], ids["D1"])


# -- allocation on a plan ----------------------------------------------------------------------
def test_allocation_sums_exactly_at_every_node(grid6: Project) -> None:
    plan = Plan.load(grid6)
    organise(plan)
    total = 123_456_789_01
    edit, _ = allocate_edit(plan, YEAR, total, basis="potential:0.5,revenue:0.3,even:0.2")
    plan.apply(edit)
    assert year_plan(plan).amount(ROOT) == total
    assert_nodes_are_sums(plan)
    assert cells(Plan.load(grid6)) == cells(plan)  # saved as shown


def test_guardrails_hold_and_the_report_says_what_was_clipped(grid6: Project) -> None:
    plan = Plan.load(grid6)
    rev = {r["id"]: r["revenue"] for r in plan.rows()}
    total = round(sum(rev.values()) * 1.2 * 100)
    edit, outcome = allocate_edit(
        plan, YEAR, total, basis="potential", min_growth=0.1, max_growth=0.3
    )
    plan.apply(edit)
    yp = year_plan(plan)
    for t, r in rev.items():
        assert r * 1.1 * 100 - 1 <= yp.cells[t].amount <= r * 1.3 * 100 + 1
    assert yp.amount(ROOT) == total
    assert outcome.clipped
    assert "growth" in outcome.report(Tree.of_plan(plan))[0]
    with pytest.raises(PlannerError, match="maximum growth allows"):
        allocate_edit(plan, YEAR, total * 3, basis="potential", min_growth=0.1, max_growth=0.3)


def test_preserved_adjustments_survive_reallocation(grid6: Project) -> None:
    plan = Plan.load(grid6)
    ids = organise(plan)
    plan.apply(allocate_edit(plan, YEAR, 10_000_000_00)[0])
    plan.apply(adjust_edit(plan, YEAR, ids["D1"], 6_000_000_00, note="strategic"))
    plan.apply(adjust_edit(plan, YEAR, ids["T6"], 1_000_000_00))
    plan.apply(allocate_edit(plan, YEAR, 12_000_000_00)[0])
    yp = year_plan(plan)
    assert yp.amount(ids["D1"]) == 6_000_000_00
    assert yp.cells[ids["D1"]].note == "strategic"
    assert yp.amount(ids["T6"]) == 1_000_000_00
    assert sum(yp.amount(ids[f"T{i}"]) for i in (1, 2, 3)) == 6_000_000_00
    assert yp.amount(ids["D2"]) == 12_000_000_00 - 7_000_000_00
    with pytest.raises(PlannerError, match="adjusted quotas kept"):
        allocate_edit(plan, YEAR, 5_000_000_00)
    # a later manual change shows as a gap, it does not propagate
    plan.apply(adjust_edit(plan, YEAR, ids["T1"], yp.amount(ids["T1"]) + 100))
    from planner.model.quota.ops import table

    gap = {r["name"]: r["gap"] for r in table(plan, YEAR)}
    assert gap["D1"] == pytest.approx(-1.0)


def test_commitments_roll_up(grid6: Project) -> None:
    plan = Plan.load(grid6)
    ids = organise(plan)
    plan.apply(allocate_edit(plan, YEAR, 1_000_000_00)[0])
    plan.apply(commit_edit(plan, YEAR, ids["T1"], 100_000_00))
    plan.apply(commit_edit(plan, YEAR, ids["T2"], 50_000_00))
    yp = year_plan(plan)
    assert yp.cells[ids["D1"]].committed == 150_000_00
    assert yp.cells[ROOT].committed == 150_000_00


# -- quota follows the accounts ----------------------------------------------------------------
def _units_of(plan: Plan, t: int) -> np.ndarray:
    return np.flatnonzero(plan.alignment[: plan.atoms.n_units] == t)


def test_moved_accounts_take_exactly_their_share_and_undo_restores_it(grid6: Project) -> None:
    plan = Plan.load(grid6)
    ids = organise(plan)
    plan.apply(allocate_edit(plan, YEAR, 9_999_999_99, basis="potential")[0])
    before = cells(plan)
    t_from, t_to = 0, 3  # T1 (D1) -> T4 (D2)
    units = _units_of(plan, t_from)[:3]
    pot = plan.balance._rows(units.astype(np.int64))[0][:, 1].sum()  # potential column
    f = pot / plan.rows()[t_from]["potential"]
    ms = MoveSet(units.astype(np.int64), plan.alignment[units].copy(),
                 np.full(len(units), t_to, np.int32), "paint", "move")  # fmt: skip
    preview = plan.preview(ms)
    assert cells(plan) == before  # a preview writes nothing, in memory either
    plan.apply(ms)
    after = cells(plan)
    m_from = np.asarray(before[ids["T1"]])
    lost = np.floor(m_from * f + 0.5).astype(np.int64)
    assert np.array_equal(np.asarray(after[ids["T1"]]), m_from - lost)
    assert np.array_equal(np.asarray(after[ids["T4"]]), np.asarray(before[ids["T4"]]) + lost)
    assert {q.node for q in preview.quotas} == {q for q in after if after[q] != before[q]}
    assert sum(after[ROOT]) == sum(before[ROOT])
    assert_nodes_are_sums(plan)  # D1 lost, D2 gained the same, R unchanged
    assert after[ids["R"]] == before[ids["R"]]
    assert after[ids["D1"]] != before[ids["D1"]]
    plan.undo()
    assert cells(plan) == before
    assert cells(Plan.load(grid6)) == before
    plan.redo()
    assert cells(Plan.load(grid6)) == after


def test_quota_stays_when_follow_is_off(grid6: Project) -> None:
    plan = Plan.load(grid6)
    plan.apply(allocate_edit(plan, YEAR, 1_000_000_00, settings={"follow": False})[0])
    before = cells(plan)
    units = _units_of(plan, 0)[:3]
    plan.apply(MoveSet(units.astype(np.int64), plan.alignment[units].copy(),
                       np.full(len(units), 1, np.int32), "paint", "move"))  # fmt: skip
    assert cells(plan) == before


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(1, 6),
                                st.integers(0, 3)), min_size=1, max_size=8))  # fmt: skip
def test_roll_up_equals_sum_of_leaves_after_any_edit(
    tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[int, int, int, int]]
) -> None:
    path = tmp_path_factory.mktemp("prop") / "p.tplan"
    project = grid_project(path, nx=12, ny=4, territories=6)
    try:
        plan = Plan.load(project)
        ids = organise(plan)
        plan.apply(allocate_edit(plan, YEAR, 5_000_000_00)[0])
        total = sum(cells(plan)[ROOT])
        for a, b, k, kind in steps:
            if kind <= 1:  # paint k units of territory a into b
                units = _units_of(plan, a)[:k]
                if len(units) and a != b:
                    plan.apply(MoveSet(units.astype(np.int64), plan.alignment[units].copy(),
                                       np.full(len(units), b, np.int32), "paint", "p"))  # fmt: skip
            elif kind == 2:  # re-parent a territory
                plan.apply(
                    org.reparent(plan, ids[f"T{a + 1}"], [ids["D1"], ids["D2"], None][b % 3])
                )
            else:  # a new district over two territories, or undo
                name = f"N{len(plan.org)}"
                plan.apply(org.create_node(plan, name, "district", parent=ids["R"],
                                           children=[ids[f"T{a + 1}"]]))  # fmt: skip
            assert_nodes_are_sums(plan)
            assert sum(cells(plan)[ROOT]) == total
            tree = Tree.of_plan(plan)
            yp = year_plan(plan)
            assert sum(yp.amount(t) for t in tree.territories) == total
        assert cells(Plan.load(project)) == cells(plan)
    finally:
        project.close()


# -- staleness, import, export -------------------------------------------------------------------
def test_a_stale_quota_plan_is_refused(grid6: Project) -> None:
    mine, theirs = Plan.load(grid6), Plan.load(grid6)
    theirs.apply(allocate_edit(theirs, YEAR, 1_000_000_00)[0])
    with pytest.raises(StaleScenario):
        mine.apply(allocate_edit(mine, YEAR, 2_000_000_00)[0])


def test_export_then_import_gives_the_same_cents(grid6: Project, tmp_path: Path) -> None:
    from planner.model.scenarios import create_scenario

    plan = Plan.load(grid6)
    organise(plan)
    plan.apply(allocate_edit(plan, YEAR, 7_654_321_09, settings={"seasonality": [1, 2, 3] * 4})[0])
    out = export_quotas(plan, YEAR, "xlsx", tmp_path / "q.xlsx")
    create_scenario(grid6, "copy")
    copy = Plan.load(grid6, "copy")
    assert cells(copy) == cells(plan)  # a new scenario copies the quota plan
    copy.apply(delete_plan_edit(copy, YEAR))
    assert cells(copy) == {}
    report, edit = import_quotas(copy, out, YEAR)
    copy.apply(edit)
    assert report.imported == 12 * len(cells(plan))
    assert cells(copy) == cells(plan)


def test_a_refused_import_leaves_the_project_unchanged(grid6: Project, tmp_path: Path) -> None:
    plan = Plan.load(grid6)
    plan.apply(allocate_edit(plan, YEAR, 1_000_000_00)[0])
    before, version = cells(plan), plan.version
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "territory,period,quota\nT1,FY2027,100\nNowhere,FY2027,5\nT2,2027-13,1\nT3,Q2,-4\n"
    )
    with pytest.raises(ImportRefused) as err:
        import_quotas(plan, bad, YEAR)
    issues = {(i.row, i.field) for i in err.value.report.rejected}  # type: ignore[attr-defined]
    assert issues == {(3, "territory"), (4, "period"), (5, "quota")}
    assert "unknown territory or node 'Nowhere'" in err.value.report.rejected[0].reason  # type: ignore[attr-defined]
    fresh = Plan.load(grid6)
    assert cells(fresh) == before
    assert fresh.version == version


# -- impact and CLI -----------------------------------------------------------------------------
def test_impact_reports_the_quota_changing_hands(grid6: Project, tmp_path: Path) -> None:
    from planner.model.impact import impact
    from planner.model.quota.impact import quota_impact
    from planner.model.scenarios import create_scenario

    plan = Plan.load(grid6)
    plan.apply(allocate_edit(plan, YEAR, 3_000_000_00, basis="potential:0.5,revenue:0.5")[0])
    create_scenario(grid6, "what if")
    what_if = Plan.load(grid6, "what if")
    units = _units_of(what_if, 0)[:4]
    what_if.apply(MoveSet(units.astype(np.int64), what_if.alignment[units].copy(),
                          np.full(len(units), 2, np.int32), "paint", "move"))  # fmt: skip
    imp = impact(grid6, "what if")
    q = quota_impact(what_if, Plan.load(grid6), imp)
    assert q is not None
    assert len(q.per_account) == len(imp.moved) == 4 * 5
    terr = dict(q.territories)
    names = [str(n) for n in plan.atoms.territory_names]
    lost = terr[names[0]][0] - terr[names[0]][1]
    assert lost > 0
    assert terr[names[2]][1] - terr[names[2]][0] == pytest.approx(lost)
    # each account's share adds up to what its old territory lost (cents per month rounding)
    assert q.total_moved == pytest.approx(lost, abs=0.12)


def test_cli_allocates_shows_and_undoes(grid6: Project, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from tests.clirun import run

    path = str(grid6.path)
    grid6.close()
    code, out, _ = run(capsys, "quota", path, "allocate", "--year", "2027", "--total",
                       "1,000,000", "--basis", "potential", "--json")  # fmt: skip
    assert code == 0
    assert json.loads(out)["rows"][0]["quota"] == pytest.approx(1_000_000)
    code, out, _ = run(capsys, "hierarchy", path, "--json")
    assert code == 0
    assert json.loads(out)["rows"][0]["quota"] == pytest.approx(1_000_000)
    code, out, err = run(capsys, "quota", path, "allocate", "--total", "-5")
    assert code == 1
    assert "negative" in err
    assert run(capsys, "undo", path)[0] == 0
    code, out, err = run(capsys, "quota", path, "show")
    assert code == 1
    assert "no quota plan" in err


def test_plan_csv_brings_the_hierarchy_and_undo_takes_it_back(
    grid6: Project, tmp_path: Path
) -> None:
    from planner.model.io.territories import import_territories

    plan = Plan.load(grid6)
    a = plan.atoms
    names = [str(n) for n in a.territory_names]
    rows = ["unit_code,territory,district,region"]
    for code, t in zip(a.unit_codes, plan.alignment[: a.n_units], strict=True):
        d = "North" if t < 3 else "South"
        name = names[t] if t < 5 else "Brand new"
        rows.append(f"{code},{name},{d},{'East' if t < 5 else 'West'}")
    f = tmp_path / "plan.csv"
    f.write_text("\n".join(rows) + "\n")
    import_territories(grid6, f, mode="replace")
    plan = Plan.load(grid6)
    tree = Tree.of_plan(plan)
    by = {tree.name(i): i for i in tree.walk()}
    assert tree.levels() == ["region", "district", "territory"]
    assert tree.parent(by["North"]) == by["East"]
    assert tree.parent(by[names[0]]) == by["North"]
    assert tree.parent(by["Brand new"]) == by["South"]
    assert tree.parent(by["South"]) == by["East"]  # the first row naming South decides
    plan.undo()
    assert Plan.load(grid6).org == {}


def test_handover_cover_page_shows_the_quota_moving(grid6: Project) -> None:
    import datetime as dt

    from planner.model.handover import generate_packets
    from planner.model.io.handover_export import packet_html
    from planner.model.scenarios import create_scenario

    plan = Plan.load(grid6)
    plan.apply(allocate_edit(plan, YEAR, 3_000_000_00, basis="revenue")[0])
    create_scenario(grid6, "what if")
    what_if = Plan.load(grid6, "what if")
    units = _units_of(what_if, 1)[:2]
    what_if.apply(MoveSet(units.astype(np.int64), what_if.alignment[units].copy(),
                          np.full(len(units), 0, np.int32), "paint", "move"))  # fmt: skip
    lost = year_plan(plan).amount(int(plan.atoms.territory_ids[1])) - year_plan(what_if).amount(
        int(plan.atoms.territory_ids[1])
    )
    packets = generate_packets(grid6, "what if", effective_date=dt.date(2027, 1, 1))
    moving = sum(a.quota_moved or 0 for p in packets for a in p.accounts)
    assert moving == pytest.approx(lost / 100, abs=0.12)
    assert "Quota moving" in packet_html(list(packets))
