"""The headless CLI: documented --json shapes, one-line errors with exit 1, exports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from planner.cli import main
from planner.model.plan import Plan
from planner.model.store import Project
from tests.model.reference import reference_balance


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_balance_json_matches_independent_computation(grid, capsys) -> None:
    code, out, _ = run(capsys, "balance", grid.location, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["scenario"] == "Baseline"
    assert set(data["summary"]) >= {"max_abs_deviation", "gini"}
    assert data["unassigned_accounts"] == 0
    ref = reference_balance(grid, grid.baseline_id())
    for t in data["territories"]:
        assert set(t) >= {"name", "rep", "accounts", "potential", "revenue", "workload_hours",
                          "pipeline", "deviation"}  # fmt: skip
        for m in ("accounts", "potential", "revenue", "pipeline", "workload_hours"):
            assert t[m] == pytest.approx(ref.loc[t["name"], m], rel=1e-9)
        assert set(t["deviation"]) >= {"potential", "workload_hours", "accounts"}


def test_assign_moves_units_and_balance_follows(grid, capsys) -> None:
    _, before, _ = run(capsys, "balance", grid.location, "--json")
    code, out, _ = run(capsys, "assign", grid.location, "--units", "U0_0", "U0_1", "--to", "T3",
                       "--json")  # fmt: skip
    assert code == 0
    moved = json.loads(out)
    assert (moved["moved_units"], moved["moved_accounts"]) == (2, 10)
    _, after, _ = run(capsys, "balance", grid.location, "--json")
    b = {t["name"]: t["accounts"] for t in json.loads(before)["territories"]}
    a = {t["name"]: t["accounts"] for t in json.loads(after)["territories"]}
    assert a["T3"] - b["T3"] == moved["moved_accounts"]
    assert b["T1"] - a["T1"] == moved["moved_accounts"]
    assert sum(a.values()) == sum(b.values())


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["balance", "{missing}"], "no such project file"),
        (["assign", "{grid}", "--units", "U0_0", "--to", "Nowhere"], "no territory 'Nowhere'"),
        (["assign", "{grid}", "--units", "ZZZ", "--to", "T1"], "unknown unit code(s): ZZZ"),
        (["balance", "{grid}", "--scenario", "Nope"], "no scenario 'Nope'"),
        (["import-accounts", "{grid}", "x.csv", "--map", "nonsense"], "--map expects FIELD=COLUMN"),
    ],
)
def test_user_errors_are_one_line_and_exit_1(grid, tmp_path, capsys, argv, message) -> None:
    args = [a.format(grid=grid.location, missing=tmp_path / "missing.tplan") for a in argv]
    code, out, err = run(capsys, *args)
    assert code == 1
    assert err.startswith("planner: error: ")
    assert message in err
    assert err.count("\n") == 1
    assert "Traceback" not in err + out


def test_cli_process_exit_code_and_no_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "planner", "balance", str(tmp_path / "nope.tplan")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"planner: error: {tmp_path / 'nope.tplan'}: no such project file"


def test_exports_write_complete_files(grid, tmp_path, capsys) -> None:
    xlsx, csv, gj = tmp_path / "p.xlsx", tmp_path / "p.csv", tmp_path / "p.geojson"
    assert run(capsys, "export", grid.location, "--format", "xlsx", str(xlsx))[0] == 0
    assert run(capsys, "export", grid.location, "--format", "csv", str(csv))[0] == 0
    assert run(capsys, "export", grid.location, "--format", "geojson", str(gj))[0] == 0
    wb = openpyxl.load_workbook(xlsx, read_only=True)
    assert wb.sheetnames == ["Balance", "Summary", "Accounts", "Units"]
    balance_rows = list(wb["Balance"].iter_rows(values_only=True))
    assert [r[0] for r in balance_rows[1:]] == ["T1", "T2", "T3"]
    assert sum(r[2] for r in balance_rows[1:]) == 120  # accounts column
    assert len(csv.read_text(encoding="utf-8-sig").splitlines()) == 121
    fc = json.loads(gj.read_text())
    assert [f["properties"]["name"] for f in fc["features"]] == ["T1", "T2", "T3"]
    assert all(f["geometry"]["type"] == "Polygon" for f in fc["features"])  # stripes are solid
    assert not list(tmp_path.glob("*.partial"))


def test_new_refuses_to_overwrite(tmp_path, capsys) -> None:
    target = tmp_path / "n.tplan"
    assert run(capsys, "new", str(target))[0] == 0
    code, _, err = run(capsys, "new", str(target))
    assert code == 1
    assert "already exists" in err


def test_optimize_creates_a_balanced_contiguous_scenario(tmp_path, capsys) -> None:
    from planner.model.plan import Plan
    from planner.model.store import Project
    from planner.model.synthetic import grid_project

    path = tmp_path / "o.tplan"
    grid_project(path, nx=8, ny=6).close()
    code, out, _ = run(capsys, "optimize", str(path), "--out-scenario", "Balanced",
                       "--max-disruption", "0.25", "--json")  # fmt: skip
    assert code == 0
    data = json.loads(out)
    assert data["scenario"] == "Balanced"
    m = data["measures"]
    assert m["noncontiguous_territories"] == 0
    assert m["disruption"]["accounts"] <= 0.25 + 1e-9
    _, before, _ = run(capsys, "balance", str(path), "--json")
    start = json.loads(before)["summary"]["max_abs_deviation"]["potential"]
    assert m["max_abs_deviation"]["potential"] < start  # better than the plan it started from
    with Project.open(path) as p:
        plan = Plan.load(p, "Balanced")
        assert plan.summary()["max_abs_deviation"]["potential"] == pytest.approx(
            m["max_abs_deviation"]["potential"])  # fmt: skip
        assert [h["kind"] for h in plan.history()] == ["optimize"]
    code, _, err = run(capsys, "optimize", str(path), "--out-scenario", "X", "--k", "7")
    assert code == 1
    assert "has 3 territories, not 7" in err


def test_scenario_and_impact_commands(grid, tmp_path, capsys) -> None:
    loc = grid.location
    assert run(capsys, "scenario", loc, "create", "East")[0] == 0
    assert run(capsys, "assign", loc, "--units", "U0_0", "U0_1", "--to", "T3",
               "--scenario", "East")[0] == 0  # fmt: skip
    code, out, _ = run(capsys, "impact", loc, "--scenario", "East", "--json",
                       "--xlsx", str(tmp_path / "i.xlsx"))  # fmt: skip
    assert code == 0
    data = json.loads(out)
    assert (data["scenario"], data["against"]) == ("East", "Baseline")
    moved = data["moved_accounts"]
    assert data["summary"]["accounts_moved"] == len(moved) == 10
    assert {m["from_territory"] for m in moved} == {"T1"}
    assert {m["to_rep"] for m in moved} == {"Rep 3"}
    assert set(moved[0]) >= {"account_id", "from_territory", "to_territory", "from_rep",
                             "to_rep", "potential", "revenue"}  # fmt: skip
    assert set(data["summary"]["disruption"]) >= {"accounts", "revenue"}
    assert openpyxl.load_workbook(tmp_path / "i.xlsx").sheetnames[0] == "Summary"
    code, out, _ = run(capsys, "scenario", loc, "publish", "East", "--effective", "2027-01-01",
                       "--json")  # fmt: skip
    assert code == 0
    assert json.loads(out)["effective_date"] == "2027-01-01"
    _, out, _ = run(capsys, "impact", loc, "--scenario", "East", "--json")
    assert json.loads(out)["summary"]["accounts_moved"] == 0  # East is the baseline now
    code, _, err = run(capsys, "scenario", loc, "delete", "Baseline")
    assert code == 1
    assert "cannot be deleted" in err
    code, _, err = run(capsys, "scenario", loc, "publish", "East", "--effective", "31/01/2027")
    assert code == 1
    assert "not a date like 2027-01-31" in err
    assert err.count("\n") == 1


def test_handover_command_packets_and_files(grid, tmp_path, capsys) -> None:
    loc = grid.location
    run(capsys, "scenario", loc, "create", "East")
    run(capsys, "assign", loc, "--units", "U0_0", "U0_1", "--to", "T3", "--scenario", "East")
    _, out, _ = run(capsys, "impact", loc, "--scenario", "East", "--json")
    moved = {m["account_id"] for m in json.loads(out)["moved_accounts"]}
    pdf, csv = tmp_path / "h.pdf", tmp_path / "h.csv"
    code, out, _ = run(capsys, "handover", loc, "--scenario", "East", "--effective", "2027-01-04",
                       "--pdf", str(pdf), "--csv", str(csv), "--json")  # fmt: skip
    assert code == 0
    data = json.loads(out)
    assert [(p["from_rep"], p["to_rep"]) for p in data["packets"]] == [("Rep 1", "Rep 3")]
    listed = [a for p in data["packets"] for a in p["accounts"]]
    assert sorted(listed) == sorted(moved)  # every moved account exactly once
    assert pdf.read_bytes().startswith(b"%PDF")
    assert "Subject" in csv.read_text(encoding="utf-8-sig").splitlines()[0]


def test_demo_then_balance_json_matches_independent_pandas(tmp_path, capsys) -> None:
    """Issue acceptance: `planner demo d.tplan && planner balance d.tplan --json`."""
    from planner.model.store import Project

    demo = tmp_path / "d.tplan"
    assert run(capsys, "demo", str(demo), "--accounts", "4000", "--seed", "3")[0] == 0
    code, out, _ = run(capsys, "balance", str(demo), "--json")
    assert code == 0
    data = json.loads(out)
    with Project.open(demo) as p:
        ref = reference_balance(p, p.baseline_id())
    assert 30 <= len(data["territories"]) <= 50
    assert sum(t["accounts"] for t in data["territories"]) + data["unassigned_accounts"] == 4000
    for t in data["territories"]:
        for m in ("accounts", "potential", "revenue", "pipeline", "workload_hours"):
            assert t[m] == pytest.approx(ref.loc[t["name"], m], rel=1e-9, abs=1e-6), (t["name"], m)


# -- issue 13: out-of-range options, valid JSON ------------------------------------------------
@pytest.fixture
def east(grid, capsys):
    """The grid with a scenario East that moves two units (for handover/optimize options)."""
    run(capsys, "scenario", grid.location, "create", "East")
    run(capsys, "assign", grid.location, "--units", "U0_0", "U0_1", "--to", "T3",
        "--scenario", "East")  # fmt: skip
    return grid.location


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["handover", "{p}", "--scenario", "East", "--effective", "9999-12-31"], "out of range"),
        (["handover", "{p}", "--scenario", "East", "--transition-days", "1e9"], "whole number"),
        (
            ["handover", "{p}", "--scenario", "East", "--transition-days", "1000000000"],
            "out of range",
        ),
        (["handover", "{p}", "--scenario", "East", "--support-days", "-1"], "out of range"),
        (["handover", "{p}", "--scenario", "East", "--joint-visit-top", "-1"], "out of range"),
        (["handover", "{p}", "--scenario", "East", "--joint-visit-top", "nan"], "out of range"),
        (["scenario", "{p}", "publish", "East", "--effective", "9999-12-31"], "out of range"),
        (["optimize", "{p}", "--out-scenario", "X", "--from-scratch", "-5"], "out of range"),
        (["optimize", "{p}", "--out-scenario", "X", "--from-scratch", "5000"], "at most"),
        (["optimize", "{p}", "--out-scenario", "X", "--seed", "-1"], "out of range"),
        (["optimize", "{p}", "--out-scenario", "X", "--tolerance", "0"], "out of range"),
        (["optimize", "{p}", "--out-scenario", "X", "--tolerance", "nan"], "out of range"),
        (["optimize", "{p}", "--out-scenario", "X", "--time-limit", "-1"], "out of range"),
        (["optimize", "{p}", "--out-scenario", "X", "--time-limit", "inf"], "out of range"),
        (["optimize", "{p}", "--out-scenario", "X", "--max-disruption", "-3"], "out of range"),
        (["impact", "{p}", "--scenario", "East", "--threshold", "nan"], "out of range"),
        (["demo", "{tmp}/d.tplan", "--accounts", "0"], "out of range"),
        (["demo", "{tmp}/d.tplan", "--accounts", "10000000000"], "out of range"),
        (["demo", "{tmp}/d.tplan", "--seed", "-1"], "out of range"),
        (["demo", "{tmp}", "--overwrite", "--accounts", "100"], "is a folder"),
    ],
)
def test_out_of_range_options_are_one_line_before_any_work(east, tmp_path, capsys, argv,
                                                           message) -> None:  # fmt: skip
    from tests.clirun import dump, one_error_line

    before = dump(Path(east))
    code, _, err = run(capsys, *[a.format(p=east, tmp=tmp_path) for a in argv])
    assert code == 1
    one_error_line(err, message)
    assert dump(Path(east)) == before  # nothing was created or published
    assert not (tmp_path / "d.tplan").exists()


def _strict_json(text: str) -> object:
    def refuse(token: str) -> None:
        raise AssertionError(f"invalid JSON token {token}")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid:RuntimeWarning")
def test_json_output_is_valid_even_when_totals_overflow(east, tmp_path, capsys) -> None:
    """Potentials of 1e308 (a project written before imports refused them) overflow the totals:
    deviations have no finite value. Every --json output stays JSON, with null there."""
    import sqlite3

    con = sqlite3.connect(east)
    with con:
        con.execute("UPDATE account SET potential = 1e308 WHERE id IN (1, 2, 50)")
    con.close()
    code, out, _ = run(capsys, "balance", east, "--json")
    assert code == 0
    data = _strict_json(out)
    assert data["summary"]["max_abs_deviation"]["potential"] is None
    assert isinstance(data["summary"]["max_abs_deviation"]["accounts"], float)  # finite stays
    for argv in (
        ["impact", east, "--scenario", "East", "--json"],
        ["handover", east, "--scenario", "East", "--json", "--no-save"],
        ["assign", east, "--units", "U0_2", "--to", "T3", "--json"],
        ["optimize", east, "--out-scenario", "O", "--time-limit", "1", "--json"],
    ):
        code, out, _ = run(capsys, *argv)
        assert code == 0, argv
        _strict_json(out)
    gj = tmp_path / "t.geojson"
    assert run(capsys, "export", east, "--format", "geojson", str(gj))[0] == 0
    _strict_json(gj.read_text(encoding="utf-8"))


def test_plan_commands_do_not_import_the_entry_point() -> None:
    """Issue 12: cli_plans used cli's private helpers (an import loop); both use cli_common."""
    code = "import sys, planner.cli_plans; assert 'planner.cli' not in sys.modules"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(
    ("url", "message"),
    [("nosuch://x", "not a database URL"),
     ("postgresql+psycopg://a@b:notaport/x", "not a database URL"),
     ("postgresql+psycopg://ana:secret@/nodb?host=/nonexistent", "cannot open the database")],
)  # fmt: skip
def test_a_bad_or_unreachable_database_url_is_one_line(capsys, url, message) -> None:
    from tests.clirun import one_error_line

    code, _, err = run(capsys, "balance", url)
    assert code == 1
    one_error_line(err, message)
    assert "secret" not in err  # a password is never printed


def test_history_undo_and_redo_from_the_command_line(grid, capsys) -> None:
    path = str(grid.location)
    _, before, _ = run(capsys, "balance", path, "--json")
    run(capsys, "assign", path, "--units", "U0_0", "U0_1", "--to", "T3")
    _, moved, _ = run(capsys, "balance", path, "--json")
    code, out, _ = run(capsys, "history", path, "--json")
    assert code == 0
    (step,) = json.loads(out)["steps"]
    assert (step["kind"], step["state"], step["undoable"]) == ("assign", "applied", True)
    assert step["effect"]["max_abs_deviation"]["before"]["potential"] >= 0
    code, out, _ = run(capsys, "undo", path)
    assert (code, out.strip()) == (0, "undid 'assign 2 unit(s) to T3' in scenario Baseline")
    assert run(capsys, "balance", path, "--json")[1] == before
    code, _, err = run(capsys, "undo", path)
    assert code == 1
    assert err.strip() == "planner: error: nothing to undo in scenario 'Baseline'"
    assert run(capsys, "redo", path)[0] == 0
    assert run(capsys, "balance", path, "--json")[1] == moved
    # The window reads the same history: the step is applied again, nothing left to redo.
    plan = Plan.load(Project.open(path))
    assert plan.can_undo() == "assign 2 unit(s) to T3"
    assert plan.can_redo() is None


def test_export_level_units_is_one_row_per_unit_with_its_territory(grid, tmp_path, capsys) -> None:
    """The CLI contract another solver or a GIS join reads: unit_code, territory per unit."""
    import csv as csvmod

    from planner.model import moves
    from planner.model.scenarios import create_scenario

    create_scenario(grid, "S")
    plan = Plan.load(grid, "S")
    plan.apply(moves.for_units(plan, [0, 1, 2], 2))
    out = tmp_path / "units.csv"
    code, _, err = run(capsys, "export", grid.location, "--scenario", "S", "--level", "units",
                       "--format", "csv", str(out))  # fmt: skip
    assert code == 0, err
    with out.open(newline="", encoding="utf-8-sig") as f:
        rows = list(csvmod.DictReader(f))
    a = Plan.load(Project.open(grid.location), "S").atoms
    assert [r["unit_code"] for r in rows] == [str(c) for c in a.unit_codes]
    expected = [str(a.territory_names[t]) for t in plan.alignment[: a.n_units]]
    assert [r["territory"] for r in rows] == expected
    assert {r["territory"] for r in rows[:3]} == {"T3"}
    code, _, err = run(capsys, "export", grid.location, "--level", "units", "--format", "xlsx",
                       str(tmp_path / "u.xlsx"))  # fmt: skip
    assert code == 1
    assert "no level to choose" in err
    assert not (tmp_path / "u.xlsx").exists()
    gj = tmp_path / "u.geojson"
    assert run(capsys, "export", grid.location, "--level", "units", "--format", "geojson",
               str(gj))[0] == 0  # fmt: skip
    assert len(json.loads(gj.read_text())["features"]) == len(rows)
