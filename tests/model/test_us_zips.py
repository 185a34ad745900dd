"""``import-units --us-zips``: US ZIP codes as point units at their bundled centroids."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import pytest

from planner.model.io.us_zips import zip_centroids
from planner.model.plan import Plan
from planner.model.resources import resources_dir
from planner.model.store import Project
from tests.clirun import dump, one_error_line, run

ATLANTA = ["30301", "30303", "30305", "30306", "30307", "30308", "30309"]


def _new(tmp: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    proj = tmp / "z.tplan"
    assert run(capsys, "new", proj)[0] == 0
    return proj


def _units(proj: Path) -> dict[str, tuple[str, float, float]]:
    p = Project.open(proj)
    try:
        a = Plan.load(p).atoms
        cols = zip(a.unit_codes, a.unit_names, a.unit_rep_lon, a.unit_rep_lat, strict=True)
        return {str(c): (str(n), float(x), float(y)) for c, n, x, y in cols}
    finally:
        p.close()


def test_a_list_of_zips_becomes_point_units_at_their_centroids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proj = _new(tmp_path, capsys)
    code, out, err = run(capsys, "import-units", proj, "--us-zips", ",".join(ATLANTA), "--json")
    assert code == 0, err
    assert json.loads(out)["read"] == json.loads(out)["imported"] == len(ATLANTA)
    units = _units(proj)
    assert sorted(units) == ATLANTA
    for z in ATLANTA:
        name, lon, lat = units[z]
        assert name == f"ZIP {z}"
        assert (lon, lat) == pytest.approx(zip_centroids()[z], abs=1e-6)
    _, out, _ = run(capsys, "adjacency", proj, "--json")
    graph = json.loads(out)
    assert (graph["source"], graph["nodes"], graph["components"]) == ("delaunay", 7, 1)


def test_a_file_of_zips_keeps_its_columns_and_pads_lost_leading_zeros(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proj = _new(tmp_path, capsys)
    path = tmp_path / "zips.csv"
    path.write_text("Zip Code,calls\n2134,10\n2135,12\n02138,7\n02139-4307,9\n2116,11\n",
                    encoding="utf-8")  # fmt: skip
    code, _, err = run(capsys, "import-units", proj, "--us-zips", path)
    assert code == 0, err
    assert sorted(_units(proj)) == ["02116", "02134", "02135", "02138", "02139"]
    _, out, _ = run(capsys, "metrics", proj, "--json")
    calls = {m["name"]: m for m in json.loads(out)["metrics"]}["calls"]
    assert (calls["source"], calls["total"]) == ("unit attribute", 49.0)


def test_unknown_zips_are_refused_by_name_and_nothing_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proj = _new(tmp_path, capsys)
    before = dump(proj)
    code, _, err = run(capsys, "import-units", proj, "--us-zips", "30301,99999,00000,30303")
    assert code == 1
    one_error_line(err, "unknown US ZIP code(s) 00000, 99999", "nothing imported")
    code, _, err = run(capsys, "import-units", proj, "--us-zips", "30301,Atlanta")
    assert code == 1
    one_error_line(err, "not a US ZIP code: row 2: 'Atlanta'")
    assert dump(proj) == before


def test_zips_sharing_a_centroid_each_get_a_cell(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert zip_centroids()["00501"] == zip_centroids()["00544"]  # Holtsville's IRS ZIPs
    proj = _new(tmp_path, capsys)
    code, out, err = run(capsys, "import-units", proj, "--us-zips", "00501,00544,11742",
                         "--json")  # fmt: skip
    assert code == 0, err
    warnings = [w["reason"] for w in json.loads(out)["warnings"]]
    assert warnings == ["ZIP 00544 shares its centroid with ZIP 00501; placed 30 m east of it"]
    units = _units(proj)
    assert units["00544"][1] > units["00501"][1]


def test_the_bundled_table_is_what_the_script_builds() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
    try:
        from build_zip_centroids import ZIP_FILE, rows
    finally:
        sys.path.pop(0)
    text = gzip.decompress((resources_dir() / "data" / ZIP_FILE).read_bytes()).decode()
    assert text == "zip,lon,lat\n" + "".join(f"{z},{x},{y}\n" for z, x, y in rows())
