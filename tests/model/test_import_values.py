"""Impossible values are refused per field with their row (issue 13, items 7, 9 and 11): amounts
of 1e308 (two of them overflow a total), negative or absurd visits, NaN/Infinity/1e308 or
longitude 500 in geometry, text longer than the database column, on every importer."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from sqlalchemy import func, select

from planner.model.io.accounts import import_accounts
from planner.model.io.related import import_related
from planner.model.io.territories import import_territories
from planner.model.io.units import import_units
from planner.model.schema import Account, Opportunity, Territory
from planner.model.store import Project
from tests.model import importing
from tests.model.importing import geojson, ring, write

SQUARE = "[0,0],[1,0],[1,1],[0,1],[0,0]"


@pytest.mark.parametrize(
    ("field", "cell", "reason"),
    [
        ("potential", "1e308", "'1e308' is not between -1e+15 and 1e+15"),
        ("revenue", "-1e308", "'-1e308' is not between -1e+15 and 1e+15"),
        ("potential", "inf", "'inf' is not an amount"),
        ("revenue", "NaN", "'NaN' is not an amount"),
        ("visits_per_year", "-1", "'-1' is negative"),
        ("visits_per_year", "5000", "'5000' is not between 0 and 1000"),
        ("minutes_per_visit", "2000", "'2000' is not between 0 and 1440"),
    ],
)
def test_absurd_account_numbers_rejected_with_row_and_field(
    project: Project, tmp_path: Path, field: str, cell: str, reason: str
) -> None:
    path = write(tmp_path, "a.csv", f"id,name,{field}\nA1,Acme,{cell}\nA2,Beta,1\n")
    msg = importing.refused(project, lambda: import_accounts(project, path))
    assert f"row 2, field '{field}': {reason};" in msg
    report = import_accounts(project, path, skip_invalid=True)
    assert report.imported == 1
    with project.session() as s:
        total = s.scalar(select(func.sum(getattr(Account, field))))
    assert math.isfinite(total)


def test_absurd_opportunity_amount_rejected(project: Project, tmp_path: Path) -> None:
    import_accounts(project, write(tmp_path, "a.csv", "id,name\nA1,Acme\n"))
    path = write(tmp_path, "o.csv", "account_id,name,amount\nA1,Big,1e308\nA1,Small,100\n")
    msg = importing.refused(project, lambda: import_related(project, path, "opportunities"))
    assert "row 2, field 'amount': '1e308' is not between" in msg
    import_related(project, path, "opportunities", skip_invalid=True)
    with project.session() as s:
        assert s.scalar(select(func.sum(Opportunity.amount))) == 100


@pytest.mark.parametrize(
    ("coords", "reason"),
    [
        ("[0,0],[NaN,0],[1,1],[0,1],[0,0]", "coordinate (nan, 0) is not a finite number"),
        ("[0,0],[Infinity,0],[1,1],[0,1],[0,0]", "coordinate (inf, 0) is not a finite number"),
        ("[0,0],[1e308,0],[1,1],[0,1],[0,0]", "coordinate (1e+308, 0) is outside longitude"),
        ("[499,0],[500,0],[500,1],[499,1],[499,0]", "coordinate (499, 0) is outside longitude"),
    ],
)
@pytest.mark.parametrize("importer", ["units", "territories"])
def test_impossible_coordinates_rejected_by_feature(
    project: Project, tmp_path: Path, coords: str, reason: str, importer: str
) -> None:
    path = geojson(
        tmp_path / "g.geojson",
        [(ring(SQUARE), {"GEOID": "ok", "name": "North"}),
         (ring(coords), {"GEOID": "bad", "name": "South"})],
        raw=True,
    )  # fmt: skip
    run = import_units if importer == "units" else import_territories
    msg = importing.refused(project, lambda: run(project, path))
    assert f"g.geojson: row 2, field 'geometry': {reason}" in msg
    report = run(project, path, skip_invalid=True)
    assert report.imported == 1


@pytest.mark.parametrize(
    ("props", "field", "reason"),
    [
        ({"POP": -5}, "POP", "'-5' is negative"),
        ({"POP": 1e12}, "POP", "is not between 0 and 1e+10"),
        ({"AWATER": 1e300}, "AWATER", "is not between -1e+15 and 1e+15"),
    ],
)
def test_impossible_unit_numbers_rejected(
    project: Project, tmp_path: Path, props: dict, field: str, reason: str
) -> None:
    path = geojson(
        tmp_path / "u.geojson",
        [
            (ring(SQUARE), {"GEOID": "1", "POP": 10, "AWATER": 0}),
            (ring(SQUARE), {"GEOID": "2", **props}),
        ],
        raw=True,
    )
    msg = importing.refused(project, lambda: import_units(project, path))
    assert f"row 2, field '{field}'" in msg
    assert reason in msg


def test_infinite_unit_attribute_rejected(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "u.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        '{"GEOID": "1", "INCOME": Infinity}, "geometry": ' + ring(SQUARE) + "}]}"
    )
    msg = importing.refused(project, lambda: import_units(project, path))
    assert "row 1, field 'INCOME': 'inf' is not between" in msg


@pytest.mark.parametrize(
    ("props", "field", "limit"),
    [
        ({"GEOID": "U" * 65, "NAME": "x"}, "GEOID", 64),
        ({"GEOID": "1", "NAME": "N" * 201}, "NAME", 200),
    ],
)
def test_unit_text_longer_than_the_column_rejected(
    project: Project, tmp_path: Path, props: dict, field: str, limit: int
) -> None:
    path = geojson(tmp_path / "u.geojson", [(ring(SQUARE), props)], raw=True)
    msg = importing.refused(project, lambda: import_units(project, path))
    assert f"row 1, field '{field}': " in msg
    assert f"characters, longer than {limit}" in msg


def test_territory_and_rep_names_longer_than_the_column_rejected(
    project: Project, tmp_path: Path
) -> None:
    path = geojson(
        tmp_path / "t.geojson",
        [
            (ring(SQUARE), {"territory": "T" * 201}),
            (ring(SQUARE), {"territory": "B", "rep": "R" * 201}),
        ],
        raw=True,
    )
    report = importing.refused(project, lambda: import_territories(project, path))
    assert "row 1, field 'territory': 201 characters, longer than 200 (and 1 more)" in report


def test_plan_owner_longer_than_a_territory_name_rejected(project: Project, tmp_path: Path) -> None:
    import_accounts(project, write(tmp_path, "a.csv", "id,name\nA1,Acme\nA2,Beta\n"))
    plan = write(tmp_path, "plan.csv", f"account_id,owner\nA1,{'O' * 201}\nA2,North\n")
    msg = importing.refused(project, lambda: import_territories(project, plan))
    assert "row 2, field 'owner': 201 characters, longer than 200" in msg
    import_territories(project, plan, skip_invalid=True)
    with project.session() as s:
        assert list(s.scalars(select(Territory.name))) == ["North"]
