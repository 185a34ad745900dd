"""import_units on files the tests write: formats, CRS rules, repair, refusals, upsert.

"Project unchanged" is checked on the database content (``iterdump`` of every table), not on
the file's bytes: in WAL mode committed pages may sit in ``-wal`` and a checkpoint by any
reader rewrites the main file without changing its content, so byte hashes would be flaky
while the dump is exactly what a user could see.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from shapely.geometry import box
from sqlalchemy import select

from planner.model.io.units import import_units
from planner.model.schema import Account, Unit
from planner.model.store import Project
from tests.model import importing


def square(x: float, y: float, size: float = 1.0) -> list[list[list[float]]]:
    return [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]


def feature(coords: Any, kind: str = "Polygon", **props: Any) -> dict[str, Any]:
    geometry = None if coords is None else {"type": kind, "coordinates": coords}
    return {"type": "Feature", "properties": props, "geometry": geometry}


def write_geojson(path: Path, features: list[dict[str, Any]], crs: str | None = None) -> Path:
    doc: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def grid_features() -> list[dict[str, Any]]:
    return [
        feature(square(c, r), GEOID=f"U{r}{c}", NAME=f"Unit {r}{c}", POP=100 * (r + 1), INCOME=5.5)
        for r in range(2)
        for c in range(2)
    ]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    p = Project.create(tmp_path / "p.tplan")
    with p.transaction() as s:
        s.add(Account(external_id="in", name="In", lon=1.5, lat=0.5, location_source="exact"))
        s.add(Account(external_id="out", name="Out", lon=9, lat=9, location_source="exact"))
        s.add(Account(external_id="nowhere", name="No location"))
    return p


def refused(project: Project, path: Path, **kw: Any) -> str:
    return importing.refused(project, lambda: import_units(project, path, **kw))


def test_geojson_import_fields_areas_and_account_placement(
    project: Project, tmp_path: Path
) -> None:
    report = import_units(project, write_geojson(tmp_path / "u.geojson", grid_features()))
    assert (report.read, report.imported, report.updated) == (4, 4, 0)
    assert report.outside_units == 1
    assert report.warnings == []  # a GeoJSON without "crs" is EPSG:4326 by definition
    with project.session() as s:
        units = {u.code: u for u in s.scalars(select(Unit))}
        acc = s.scalar(select(Account).where(Account.external_id == "in"))
        assert acc is not None
        assert units["U01"].id == acc.unit_id
        assert s.scalar(select(Account.unit_id).where(Account.external_id == "out")) is None
    u = units["U10"]
    assert u.name == "Unit 10"
    assert u.population == 200
    assert u.attributes == {"POP": 200.0, "INCOME": 5.5}
    assert 0 <= u.rep_lon - 0 <= 1
    assert 1 <= u.rep_lat <= 2
    assert u.area_km2 == pytest.approx(12300, rel=0.01)


@pytest.mark.parametrize("fmt", ["gpkg", "shp", "zip"])
def test_other_formats_reprojected_to_lonlat(project: Project, tmp_path: Path, fmt: str) -> None:
    gdf = gpd.GeoDataFrame(
        {"ZIP": ["10001", "10002"], "NAMELSAD": ["A", "B"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
        crs=4326,
    ).to_crs(3857)  # metres: the importer must bring it back to lon/lat
    if fmt == "zip":
        gdf.to_file(tmp_path / "u.shp")
        path = tmp_path / "u.zip"
        with zipfile.ZipFile(path, "w") as z:
            for part in tmp_path.glob("u.*"):
                if part.suffix != ".zip":
                    z.write(part, part.name)
    else:
        path = tmp_path / f"u.{fmt}"
        gdf.to_file(path)
    report = import_units(project, path)
    assert report.imported == 2
    with project.session() as s:
        u = s.scalar(select(Unit).where(Unit.code == "10002"))
        assert u is not None
        assert u.name == "B"
        assert 1 < u.rep_lon < 2


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_missing_crs_lonlat_assumed_with_warning(project: Project, tmp_path: Path) -> None:
    gpd.GeoDataFrame({"CODE": ["a"]}, geometry=[box(0, 0, 1, 1)]).to_file(tmp_path / "u.shp")
    report = import_units(project, tmp_path / "u.shp")
    assert report.imported == 1
    assert "EPSG:4326 was assumed" in report.warnings[0].reason


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_missing_crs_projected_refused_mentions_crs_flag(project: Project, tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"CODE": ["a"]}, geometry=[box(500000, 4000000, 510000, 4010000)])
    gdf.to_file(tmp_path / "u.shp")
    msg = refused(project, tmp_path / "u.shp")
    assert "u.shp" in msg
    assert "look projected" in msg
    assert "--crs EPSG:NNNN" in msg
    report = import_units(project, tmp_path / "u.shp", crs="EPSG:32631")  # UTM 31N
    with project.session() as s:
        lon = s.scalar(select(Unit.rep_lon))
    assert report.imported == 1
    assert lon is not None
    assert 2 < lon < 3.2


def test_empty_junk_and_truncated_files_refused(project: Project, tmp_path: Path) -> None:
    (tmp_path / "empty.geojson").write_bytes(b"")
    assert "empty.geojson: the file is empty" in refused(project, tmp_path / "empty.geojson")
    (tmp_path / "junk.gpkg").write_bytes(bytes(range(256)) * 40)
    assert "junk.gpkg: cannot be read" in refused(project, tmp_path / "junk.gpkg")
    text = json.dumps({"type": "FeatureCollection", "features": grid_features()})
    (tmp_path / "cut.geojson").write_text(text[: len(text) // 2])
    assert "cut.geojson: cannot be read" in refused(project, tmp_path / "cut.geojson")
    write_geojson(tmp_path / "none.geojson", [])
    assert "none.geojson: the file has no features" in refused(project, tmp_path / "none.geojson")


def test_points_refused(project: Project, tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "pts.geojson", [feature([1, 2], "Point", CODE="a")])
    msg = refused(project, path)
    assert "pts.geojson: contains points, not polygons" in msg


def test_bow_tie_repaired_and_counted(project: Project, tmp_path: Path) -> None:
    bow = [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]
    features = [*grid_features(), feature(bow, GEOID="BOW", NAME="Bow")]
    report = import_units(project, write_geojson(tmp_path / "u.geojson", features))
    assert report.repaired == 1
    assert report.imported == 5
    assert report.warnings[0].row == 5
    assert report.warnings[0].field == "geometry"
    assert "repaired" in report.warnings[0].reason
    with project.session() as s:
        area = s.scalar(select(Unit.area_km2).where(Unit.code == "BOW"))
    assert area == pytest.approx(12300 / 2, rel=0.02)  # two triangles of a quarter each


def test_duplicate_codes_and_null_geometry_rejected(project: Project, tmp_path: Path) -> None:
    features = [*grid_features(), feature(square(5, 5), GEOID="U00"), feature(None, GEOID="X")]
    path = write_geojson(tmp_path / "u.geojson", features)
    msg = refused(project, path)
    assert "row 5, field 'GEOID': duplicate code 'U00' (also row 1)" in msg
    assert "(and 1 more)" in msg
    report = import_units(project, path, skip_invalid=True)
    assert report.imported == 4
    assert [(r.row, r.field) for r in report.rejected] == [(5, "GEOID"), (6, "geometry")]


def test_upsert_by_code_updates_geometry_and_replaces_accounts(
    project: Project, tmp_path: Path
) -> None:
    import_units(project, write_geojson(tmp_path / "a.geojson", grid_features()))
    moved = [feature(square(8.5, 8.5), GEOID="U01", NAME="Moved"), feature(square(20, 20), ID=7)]
    moved[1]["properties"] = {"GEOID": "NEW"}
    report = import_units(project, write_geojson(tmp_path / "b.geojson", moved))
    assert (report.imported, report.updated) == (1, 1)
    assert report.outside_units == 1  # "in" lost its unit, "out" (9, 9) is now inside U01
    with project.session() as s:
        assert s.scalar(select(Unit.name).where(Unit.code == "U01")) == "Moved"
        out = s.scalar(select(Account.unit_id).where(Account.external_id == "out"))
        assert out == s.scalar(select(Unit.id).where(Unit.code == "U01"))
        assert s.scalar(select(Account.unit_id).where(Account.external_id == "in")) is None


def test_feature_number_is_the_code_without_a_code_column(project: Project, tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "u.geojson", [feature(square(0, 0), label="x")])
    report = import_units(project, path)
    assert "coded by feature number" in report.warnings[0].reason
    with project.session() as s:
        assert s.scalars(select(Unit.code)).all() == ["1"]


def test_explicit_code_field_missing_refused(project: Project, tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "u.geojson", grid_features())
    msg = refused(project, path, code_field="FIPS")
    assert "no column 'FIPS' for the code" in msg
