"""GIS exports read back with pyogrio give the plan: territories, fields, values, areas, units
(issue 18, item 4)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner.model.balance import METRICS
from planner.model.geo import area_km2
from planner.model.plan import Plan
from planner.model.store import Project
from planner.model.synthetic import grid_project
from tests.clirun import one_error_line, run
from tests.gis import AWKWARD, planned_project, read_layer, unit_areas

FORMATS = {"gpkg": "plan.gpkg", "shp": "plan.zip", "geojson": "plan.geojson", "kml": "plan.kml"}
TEXT = ("name", "rep", "district", "region", "colour")
NUMBERS = (*METRICS, *(f"dev_{m}" for m in METRICS), "disruption")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return planned_project(tmp_path / "p.tplan")


def _export(capsys, project: Path, fmt: str, out: Path, *extra: str) -> dict:
    code, stdout, err = run(capsys, "export", project, "--format", fmt, out, "--scenario",
                            "East", "--json", *extra)  # fmt: skip
    assert code == 0, err
    return json.loads(stdout)


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_territories_layer_reads_back_as_the_plan(project, tmp_path, capsys, fmt) -> None:
    out = tmp_path / FORMATS[fmt]
    data = _export(capsys, project, fmt, out)
    fields = data["fields"]["territories"]
    df = read_layer(out, None if fmt == "geojson" else "territories")
    with Project.open(project) as p:
        plan = Plan.load(p, "East")
        rows = {r["name"]: r for r in plan.rows()}
        areas = unit_areas(p, plan)
    # Every territory with an area, in plan order; the empty one is reported, not written.
    assert df[fields["name"]].tolist() == ["T1", AWKWARD, "T3"]
    assert data["without_area"] == ["Empty"]
    missing = [f for f, short in fields.items() if short.lower() not in df.columns]
    assert not missing
    for _, feature in df.iterrows():
        r = rows[feature[fields["name"]]]
        got = {f: feature[fields[f]] for f in (*TEXT, *NUMBERS, "area_km2", "units")}
        assert got["rep"] == r["rep"]
        assert got["colour"] == r["colour"]
        assert got["units"] == int((plan.alignment[:24] == r["index"]).sum())
        for m in NUMBERS:
            want = r["deviation"][m[4:]] if m.startswith("dev_") else r[m]
            assert got[m] == pytest.approx(want, rel=1e-9, abs=1e-12), m
        measured = float(area_km2(np.array([feature.geometry]))[0])
        assert measured == pytest.approx(areas[r["name"]], rel=1e-3)
        assert got["area_km2"] == pytest.approx(areas[r["name"]], rel=1e-3)
    hierarchy = dict(zip(df[fields["name"]], zip(df["district"], df["region"], strict=True),
                         strict=True))  # fmt: skip
    assert hierarchy["T1"] == hierarchy[AWKWARD] == ("North District", "East Region")
    assert hierarchy["T3"][1] == "East Region"
    assert pd.isna(hierarchy["T3"][0])  # no district: NULL (KML: left out), never "" or "nan"


@pytest.mark.parametrize("fmt", ["gpkg", "shp", "kml"])
def test_the_units_layer_gives_each_unit_its_territory(project, tmp_path, capsys, fmt) -> None:
    out = tmp_path / FORMATS[fmt]
    data = _export(capsys, project, fmt, out)
    assert data["layers"] == {"territories": 3, "units": 24}
    df = read_layer(out, "units")
    with Project.open(project) as p:
        plan = Plan.load(p, "East")
    names = [str(n) for n in plan.atoms.territory_names]
    want = {str(c): names[t] for c, t in zip(plan.atoms.unit_codes, plan.alignment[:24],
                                             strict=True)}  # fmt: skip
    assert dict(zip(df["code"], df["territory"], strict=True)) == want
    assert want["U0_0"] == "T3"  # the scenario's move, not the baseline


def test_geojson_writes_one_layer_chosen_by_layer(project, tmp_path, capsys) -> None:
    out = tmp_path / "units.geojson"
    data = _export(capsys, project, "geojson", out, "--layer", "units")
    assert data["layers"] == {"units": 24}
    assert len(read_layer(out, None)) == 24
    text = out.read_text(encoding="utf-8")
    json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} is not JSON"))


def test_the_shapefile_zip_holds_every_part_and_ten_character_names(project, tmp_path,
                                                                     capsys) -> None:  # fmt: skip
    out = tmp_path / FORMATS["shp"]
    data = _export(capsys, project, "shp", out)
    names = zipfile.ZipFile(out).namelist()
    for layer in ("territories", "units"):
        assert {f"{layer}{ext}" for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg")} <= set(names)
        short = list(data["fields"][layer].values())
        assert all(len(s) <= 10 for s in short), short
        assert len({s.lower() for s in short}) == len(short)
        assert set(short) <= set(read_layer(out, layer).columns)
    assert data["fields"]["territories"]["workload_hours"] == "workload_h"
    with zipfile.ZipFile(out) as z:
        assert z.read("territories.cpg").decode().strip().upper() in ("UTF-8", "UTF8")
        mapping = z.read("fields.csv").decode().splitlines()
    assert "territories,dev_wl_h,dev_workload_hours" in mapping
    code, stdout, _ = run(capsys, "export", project, "--format", "shp", out, "--scenario", "East")
    assert code == 0
    assert "workload_hours -> workload_h" in stdout


def test_kml_is_valid_xml_with_names_escaped(project, tmp_path, capsys) -> None:
    import sqlite3

    con = sqlite3.connect(project)
    with con:  # a control character CRM exports do carry, and XML 1.0 cannot
        con.execute("UPDATE scenario_territory SET name = 'T1\x0bbis' WHERE name = 'T1'")
    con.close()
    out = tmp_path / FORMATS["kml"]
    _export(capsys, project, "kml", out)
    root = ET.parse(out).getroot()  # raises if the file is not well-formed XML
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    folder = root.find("k:Document/k:Folder", ns)
    assert folder is not None
    assert folder.findtext("k:name", namespaces=ns) == "territories"
    names = [pm.findtext("k:name", namespaces=ns) for pm in folder.findall("k:Placemark", ns)]
    assert names == ["T1\ufffdbis", AWKWARD, "T3"]
    raw = out.read_text(encoding="utf-8")
    assert "North &lt;&amp;&gt;" in raw
    assert "<&>" not in raw


def test_format_and_layer_mistakes_are_one_line(project, tmp_path, capsys) -> None:
    code, _, err = run(capsys, "export", project, "--format", "shp", tmp_path / "plan.shp")
    assert code == 1
    one_error_line(err, "ending in .zip")
    code, _, err = run(capsys, "export", project, "--format", "csv", tmp_path / "a.csv",
                       "--layer", "units")  # fmt: skip
    assert code == 1
    one_error_line(err, "--layer applies to the GIS formats")
    free = tmp_path / "free.tplan"
    grid_project(free, free_form=True).close()
    code, _, err = run(capsys, "export", free, "--format", "gpkg", tmp_path / "f.gpkg",
                       "--layer", "units")  # fmt: skip
    assert code == 1
    one_error_line(err, "no units")
    assert not list(tmp_path.glob(".*.partial"))
    assert not (tmp_path / "plan.shp").exists()
