"""import_territories: polygon files (unit and free-form projects) and plan CSVs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from planner.model.colours import PALETTE
from planner.model.errors import ImportRefused
from planner.model.io.territories import import_territories
from planner.model.io.units import import_units
from planner.model.schema import (
    Account,
    Assignment,
    Pin,
    Rep,
    ScenarioTerritory,
    Territory,
    TerritoryShape,
    Unit,
)
from planner.model.store import Project
from planner.model.territories import add_to_scenarios
from tests.model.importing import dump


def square(x: float, y: float, w: float = 1.0, h: float = 1.0) -> dict[str, Any]:
    ring = [[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def write_geojson(path: Path, items: list[tuple[dict[str, Any], dict[str, Any]]]) -> Path:
    feats = [{"type": "Feature", "properties": p, "geometry": g} for g, p in items]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return path


def add_accounts(project: Project, points: dict[str, tuple[float, float]]) -> None:
    with project.transaction() as s:
        for ext, (lon, lat) in points.items():
            s.add(Account(external_id=ext, name=ext, lon=lon, lat=lat, location_source="exact"))


@pytest.fixture
def unit_project(tmp_path: Path) -> Project:
    """Four units in a row, x 0..4 (codes U0..U3), one account in each and two in U3."""
    p = Project.create(tmp_path / "p.tplan")
    add_accounts(p, {"a0": (0.5, 0.5), "a1": (1.5, 0.5), "a2": (2.5, 0.5), "a3": (3.5, 0.5)})
    add_accounts(p, {"b3": (3.6, 0.6)})
    units = [(square(i, 0), {"CODE": f"U{i}"}) for i in range(4)]
    import_units(p, write_geojson(tmp_path / "units.geojson", units))
    return p


def assignments(project: Project, kind: str) -> dict[str, str]:
    """atom code/external id -> territory name of the baseline."""
    key = Unit.code if kind == "unit" else Account.external_id
    table = Unit if kind == "unit" else Account
    with project.session() as s:
        st = ScenarioTerritory
        rows = s.execute(
            select(key, st.name)
            .join(Assignment, Assignment.atom_id == table.id)
            .join(st, (st.territory_id == Assignment.territory_id)
                  & (st.scenario_id == Assignment.scenario_id))
            .where(Assignment.atom_kind == kind, Assignment.scenario_id == project.baseline_id())
        ).all()  # fmt: skip
    return dict(rows)  # type: ignore[arg-type]


def territory_colours(project: Project) -> dict[str, str]:
    with project.session() as s:
        st = ScenarioTerritory
        mine = st.scenario_id == project.baseline_id()
        return dict(s.execute(select(st.name, st.colour).where(mine)).all())  # type: ignore[arg-type]


def test_polygons_assign_units_first_in_file_wins_overlap(
    unit_project: Project, tmp_path: Path
) -> None:
    path = write_geojson(
        tmp_path / "t.geojson",
        [
            (square(0, 0, 2.6), {"Territory": "West", "colour": "#ff0000", "rep": "Ana"}),
            (square(2, 0, 2), {"Territory": "East"}),
        ],
    )
    report = import_territories(unit_project, path)
    assert assignments(unit_project, "unit") == {
        "U0": "West",
        "U1": "West",
        "U2": "West",
        "U3": "East",
    }
    assert report.extra["territories_created"] == ["West", "East"]
    overlap = [w.reason for w in report.warnings if "overlap" in w.reason]
    assert len(overlap) == 1
    assert "'West' and 'East' overlap by" in overlap[0]
    assert "goes to 'West' (the territory that comes first in the file)" in overlap[0]
    with unit_project.session() as s:
        west = s.scalar(select(ScenarioTerritory).where(ScenarioTerritory.name == "West"))
        assert west is not None
        assert west.colour == "#ff0000"
        assert s.scalar(select(Rep.name).where(Rep.id == west.rep_id)) == "Ana"


def test_free_form_stores_shapes_and_assigns_accounts(tmp_path: Path) -> None:
    p = Project.create(tmp_path / "p.tplan")
    add_accounts(p, {"x": (0.5, 0.5), "y": (5.5, 0.5), "z": (50, 50)})
    path = write_geojson(
        tmp_path / "t.geojson", [(square(0, 0), {"name": "A"}), (square(5, 0), {"name": "B"})]
    )
    report = import_territories(p, path)
    assert assignments(p, "account") == {"x": "A", "y": "B"}
    assert report.extra["unassigned_accounts"] == 1
    with p.session() as s:
        assert len(s.scalars(select(TerritoryShape)).all()) == 2


def test_reimport_replaces_previous_alignment_only_when_asked(
    unit_project: Project, tmp_path: Path
) -> None:
    one = write_geojson(tmp_path / "1.geojson", [(square(0, 0, 4), {"name": "All"})])
    import_territories(unit_project, one)
    two = write_geojson(tmp_path / "2.geojson", [(square(0, 0, 1), {"name": "Small"})])
    before = dump(unit_project)
    with pytest.raises(ImportRefused, match="would leave 3 of the 4 unit"):
        import_territories(unit_project, two)  # U1-U3 would silently lose their territory
    assert dump(unit_project) == before
    import_territories(unit_project, two, mode="update")
    assert assignments(unit_project, "unit") == {"U0": "Small", "U1": "All", "U2": "All",
                                                 "U3": "All"}  # fmt: skip
    import_territories(unit_project, two, mode="replace")
    assert assignments(unit_project, "unit") == {"U0": "Small"}


def test_refusals_leave_project_unchanged(unit_project: Project, tmp_path: Path) -> None:
    before = dump(unit_project)
    bad = [
        (
            write_geojson(tmp_path / "n.geojson", [(square(0, 0), {"colour": "#fff"})]),
            "no territory name column",
        ),
        (tmp_path / "e.geojson", "the file is empty"),
        (
            write_geojson(
                tmp_path / "d.geojson",
                [(square(0, 0), {"name": "A"}), (square(1, 0), {"name": "A"})],
            ),
            "appears twice",
        ),
    ]
    (tmp_path / "e.geojson").write_bytes(b"")
    for path, text in bad:
        with pytest.raises(ImportRefused, match=text):
            import_territories(unit_project, path)
    assert dump(unit_project) == before


def test_plan_csv_unit_codes(unit_project: Project, tmp_path: Path) -> None:
    path = tmp_path / "plan.csv"
    path.write_text("unit_code,territory\nU0,North\nU1,North\nU2,South\n")
    report = import_territories(unit_project, path)
    assert report.kind == "plan"
    assert report.extra["territories_created"] == ["North", "South"]
    assert assignments(unit_project, "unit") == {"U0": "North", "U1": "North", "U2": "South"}


def test_plan_csv_unknown_unit_rejected_per_row(unit_project: Project, tmp_path: Path) -> None:
    path = tmp_path / "plan.csv"
    path.write_text("unit_code,territory\nU0,North\nZZ,South\n")
    before = dump(unit_project)
    with pytest.raises(ImportRefused, match="row 3, field 'unit_code': unknown unit code 'ZZ'"):
        import_territories(unit_project, path)
    assert dump(unit_project) == before
    report = import_territories(unit_project, path, skip_invalid=True)
    assert report.imported == 1
    assert report.extra["territories_created"] == ["North"]


def test_plan_accounts_in_unit_project_majority_and_pins(
    unit_project: Project, tmp_path: Path
) -> None:
    with unit_project.transaction() as s:
        s.add(Rep(name="Bo"))
        s.flush()
        central = Territory(name="Central", rep_id=s.scalar(select(Rep.id).where(Rep.name == "Bo")))
        s.add(central)
        s.flush()
        add_to_scenarios(s, [central.id])
    path = tmp_path / "plan.csv"
    path.write_text("account_id,owner\na0,West\na1,West\na3,Bo\nb3,West\na2,Bo\n")
    report = import_territories(unit_project, path)
    # U3 holds a3 (Bo -> Central) and b3 (West): a tie, West is named first in the file.
    assert assignments(unit_project, "unit") == {
        "U0": "West",
        "U1": "West",
        "U2": "Central",
        "U3": "West",
    }
    assert report.extra["pins"] == 1
    assert report.extra["territories_created"] == ["West"]
    assert "pinned" in report.warnings[0].reason
    with unit_project.session() as s:
        pin = s.execute(
            select(Account.external_id, ScenarioTerritory.name)
            .join(Pin, Pin.account_id == Account.id)
            .join(
                ScenarioTerritory,
                (ScenarioTerritory.territory_id == Pin.territory_id)
                & (ScenarioTerritory.scenario_id == Pin.scenario_id),
            )
        ).all()
    assert [tuple(r) for r in pin] == [("a3", "Central")]


def test_plan_accounts_free_form_and_bad_columns(tmp_path: Path) -> None:
    p = Project.create(tmp_path / "p.tplan")
    add_accounts(p, {"x": (0.5, 0.5), "y": (5.5, 0.5)})
    path = tmp_path / "plan.csv"
    path.write_text("Account_ID,Owner\nx,A\ny,B\n")
    import_territories(p, path)
    assert assignments(p, "account") == {"x": "A", "y": "B"}
    path.write_text("foo,bar\n1,2\n")
    with pytest.raises(ImportRefused, match="unit_code,territory or account_id,owner"):
        import_territories(p, path)


def test_plan_csv_territories_are_coloured_apart(unit_project: Project, tmp_path: Path) -> None:
    path = tmp_path / "plan.csv"
    path.write_text("unit_code,territory\nU0,North\nU1,East\nU2,South\nU3,West\n")
    import_territories(unit_project, path)
    got = territory_colours(unit_project)
    assert len(set(got.values())) == 4
    assert "#888888" not in got.values()


def test_a_bad_colour_in_a_file_is_reported_and_replaced(
    unit_project: Project, tmp_path: Path
) -> None:
    path = write_geojson(
        tmp_path / "t.geojson",
        [
            (square(0, 0, 2), {"Territory": "West", "colour": "#00ff00"}),
            (square(2, 0, 2), {"Territory": "East", "colour": "red;<script>"}),
        ],
    )
    report = import_territories(unit_project, path)
    (warning,) = [w for w in report.warnings if w.field == "colour"]
    assert warning.row == 2
    assert "'red;<script>' is not a colour" in warning.reason
    got = territory_colours(unit_project)
    assert got["West"] == "#00ff00"
    assert got["East"] in PALETTE
    path = write_geojson(  # re-import: a bad colour leaves the territory's colour as it was
        tmp_path / "t2.geojson", [(square(0, 0, 4), {"Territory": "West", "colour": "#12"})]
    )
    import_territories(unit_project, path)
    assert territory_colours(unit_project)["West"] == "#00ff00"


def test_a_recoloured_territory_frees_its_old_colour(unit_project: Project, tmp_path: Path) -> None:
    from planner.model import territories
    from planner.model.plan import Plan

    plan = Plan.load(unit_project)
    plan.apply(territories.create(plan, "A"))
    first = territory_colours(unit_project)["A"]
    path = write_geojson(
        tmp_path / "t.geojson",
        [
            (square(0, 0, 2), {"Territory": "A", "colour": "#00ff00"}),
            (square(2, 0, 2), {"Territory": "B"}),
        ],
    )
    import_territories(unit_project, path)
    assert territory_colours(unit_project) == {"A": "#00ff00", "B": first}
