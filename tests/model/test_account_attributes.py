"""Numeric columns of an account import the project does not know: kept, listed, balanced."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from planner.model.optimize.report import territory_totals
from planner.model.plan import Plan
from planner.model.schema import Account, Pin
from planner.model.store import Project
from planner.model.synthetic import grid_project
from planner.model.unit_metrics import available_metrics
from tests.clirun import dump, run
from tests.model.test_team_postgres import pg_server, team_url  # noqa: F401 - fixtures

NX, NY = 6, 4


def _grid(tmp: Path, pins: int = 0) -> Path:
    """24 units, one account each (``A000000`` in unit 0, ...), three territories."""
    path = tmp / "g.tplan"
    grid_project(path, nx=NX, ny=NY, accounts_per_unit=1, territories=3, pins=pins).close()
    return path


def _accounts(tmp: Path, calls: list[str], name: str = "calls.csv") -> Path:
    """The grid's accounts again (an update) with two unknown numeric columns and a text one."""
    path = tmp / name
    rows = ["id,name,calls,volume,region"]
    rows += [f"A{k:06d},Account {k},{c},{k * 1.5},north" for k, c in enumerate(calls)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _calls(seed: int = 1) -> list[int]:
    return np.random.default_rng(seed).integers(1, 40, NX * NY).tolist()


def test_unknown_numeric_columns_kept_and_balanceable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proj = _grid(tmp_path)
    calls = _calls()
    path = _accounts(tmp_path, list(map(str, calls)))
    code, out, err = run(capsys, "import-accounts", proj, path, "--json")
    assert code == 0, err
    assert json.loads(out)["attributes"] == ["calls", "volume"]
    code, out, _ = run(capsys, "metrics", proj, "--json")
    listed = {m["name"]: m for m in json.loads(out)["metrics"]}
    assert listed["calls"]["source"] == "account attribute"
    assert listed["calls"]["total"] == sum(calls)
    assert listed["volume"]["total"] == pytest.approx(sum(k * 1.5 for k in range(NX * NY)))
    assert "region" not in listed  # a text column is not a metric
    code, out, err = run(capsys, "optimize", proj, "--from-scratch", "3", "--out-scenario", "S",
                         "--metrics", "calls:0.05", "--time-limit", "5", "--seed", "0",
                         "--json")  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    measures = data["measures"]
    assert data["balanced"] is True
    assert measures["metrics"]["calls"]["within_tolerance"] is True
    # Summed per unit and territory: the saved plan's territories hold these calls.
    p = Project.open(proj)
    try:
        plan = Plan.load(p, "S")
        unit_territory = plan.alignment[: plan.atoms.n_units].tolist()
        unit_index = plan.atoms.unit_index()
        with p.session() as s:
            unit_of = dict(s.query(Account.external_id, Account.unit_id).all())
    finally:
        p.close()
    by_territory: dict[int, int] = {}
    for k, c in enumerate(calls):
        t = unit_territory[unit_index[unit_of[f"A{k:06d}"]]]
        by_territory[t] = by_territory.get(t, 0) + c
    mean = sum(calls) / 3
    worst = max(abs(v / mean - 1) for v in by_territory.values())
    assert measures["metrics"]["calls"]["max_abs_deviation"] == pytest.approx(worst)
    assert worst <= 0.05


def test_kept_columns_follow_pins_updates_and_blanks_never_stale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proj = _grid(tmp_path, pins=1)
    calls = _calls()
    assert run(capsys, "import-accounts", proj, _accounts(tmp_path, list(map(str, calls))))[0] == 0

    def totals() -> list[float]:
        p = Project.open(proj)
        try:
            plan = Plan.load(p)  # writes the atom cache when there is none
            return territory_totals(plan, ["calls"])["calls"].tolist()
        finally:
            p.close()

    def expected() -> list[float]:
        p = Project.open(proj)
        try:
            plan = Plan.load(p)
            with p.session() as s:
                pinned = {a: t for a, t in s.query(Pin.account_id, Pin.territory_id)}
                unit_of = dict(s.query(Account.external_id, Account.unit_id).all())
                acc_id = dict(s.query(Account.external_id, Account.id).all())
            t_index = plan.atoms.territory_index()
            out = [0.0] * plan.atoms.n_territories
            for k, c in enumerate(calls):
                ext = f"A{k:06d}"
                if acc_id[ext] in pinned:
                    t = t_index[pinned[acc_id[ext]]]
                else:
                    t = int(plan.alignment[plan.atoms.unit_index()[unit_of[ext]]])
                out[t] += float(c or 0)
            return out
        finally:
            p.close()

    assert totals() == pytest.approx(expected())
    assert sum(totals()) == sum(calls)
    # An update (the atom cache is warm now): a new value, and a blank that clears one.
    calls[0], calls[5] = 100, 0
    cells = list(map(str, calls))
    cells[5] = ""
    assert run(capsys, "import-accounts", proj, _accounts(tmp_path, cells, "again.csv"))[0] == 0
    assert totals() == pytest.approx(expected())
    assert sum(totals()) == sum(calls)
    _, out, _ = run(capsys, "metrics", proj, "--json")
    listed = {m["name"]: m for m in json.loads(out)["metrics"]}
    assert listed["calls"]["accounts_with_value"] == NX * NY - 1


def test_an_absurd_number_in_a_kept_column_refuses_the_import(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proj = _grid(tmp_path)
    before = dump(proj)
    calls = list(map(str, _calls()))
    calls[3] = "1e300"
    code, _, err = run(capsys, "import-accounts", proj, _accounts(tmp_path, calls))
    assert code != 0
    assert "row 5" in err
    assert "calls" in err
    assert dump(proj) == before


def test_text_in_a_later_chunk_of_a_kept_column_costs_the_value_not_the_account(
    tmp_path: Path,
) -> None:
    """Which columns are kept is decided on the first 20,000 rows of the file, whatever the
    reader's chunk size (row 20,012 is past them, with the csv module's chunks and with
    pyarrow's larger ones alike)."""
    from planner.model.io.accounts import import_accounts

    proj = _grid(tmp_path)
    n = 20_050
    calls = [str(k % 7) for k in range(n)]
    calls[20_010] = "n/a"
    path = tmp_path / "many.csv"
    lines = ["id,name,calls"] + [f"N{k},New {k},{c}" for k, c in enumerate(calls)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    p = Project.open(proj)
    try:
        report = import_accounts(p, path, chunk_cells=3 * 1000)
        listed = {m["name"]: m for m in available_metrics(p)}
    finally:
        p.close()
    assert report.imported == n
    assert [(w.row, w.field) for w in report.warnings] == [(20_012, "calls")]
    assert listed["calls"]["total"] == sum(k % 7 for k in range(n)) - 20_010 % 7


@pytest.mark.postgres
def test_kept_columns_on_a_team_database(
    team_url: str,  # noqa: F811 - the fixture
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """PostgreSQL: new accounts go in by COPY, updated ones by statements; both keep values."""
    path = tmp_path / "team.csv"
    rows = ["id,name,calls"] + [f"A{k:06d},Account {k},{k}" for k in range(10)]
    rows += [f"NEW{k},New {k},100" for k in range(3)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, _, err = run(capsys, "import-accounts", team_url, path)
    assert code == 0, err
    _, out, _ = run(capsys, "metrics", team_url, "--json")
    calls = {m["name"]: m for m in json.loads(out)["metrics"]}["calls"]
    assert (calls["source"], calls["total"]) == ("account attribute", sum(range(10)) + 300)
