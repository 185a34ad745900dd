"""Bad files through the ``planner`` command (issue 13, items 9 and 13): always exit 1 with one
line ``planner: error: <file>: ...`` on stderr, the project file unchanged, never a traceback;
what GDAL or openpyxl warn about while reading ends up in the report, not on stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from planner.cli import main
from planner.model.synthetic import grid_project
from tests.model.importing import geojson, patched_xlsx, ring, xlsx

SQUARE = "[-84,33],[-83.9,33],[-83.9,33.1],[-84,33.1],[-84,33]"


def text(content: str, encoding: str = "utf-8") -> Callable[[Path], bytes]:
    return lambda _: content.encode(encoding)


def workbook(**parts: Callable[[str], str] | None) -> Callable[[Path], bytes]:
    def make(tmp: Path) -> bytes:
        base = xlsx(tmp / "base.xlsx", [["id", "name", "potential"], ["A000001", "Acme", 1]])
        return patched_xlsx(base, tmp / "patched.xlsx", **parts).read_bytes()

    return make


def geometry(coords: str) -> Callable[[Path], bytes]:
    def make(tmp: Path) -> bytes:
        return geojson(tmp / "g.geojson", [(ring(coords), {"GEOID": "X1", "territory": "T9"})],
                       raw=True).read_bytes()  # fmt: skip

    return make


def zip_version(version: int) -> Callable[[Path], bytes]:
    """A workbook whose central directory says it needs zip version ``version / 10``."""

    def make(tmp: Path) -> bytes:
        data = bytearray(xlsx(tmp / "v.xlsx", [["id", "name"], ["A1", "Acme"]]).read_bytes())
        k = data.find(b"PK\x01\x02")
        data[k + 6 : k + 8] = version.to_bytes(2, "little")
        return bytes(data)

    return make


def stated_crs(crs: str) -> Callable[[Path], bytes]:
    def make(tmp: Path) -> bytes:
        text = geometry(SQUARE)(tmp).decode()
        member = f'"crs": {{"type": "name", "properties": {{"name": "{crs}"}}}}, '
        return text.replace('"features"', member + '"features"', 1).encode()

    return make


SHEET = "xl_worksheets_sheet1_xml"
CASES = {
    "ragged": ("import-accounts", "a.csv", text("id,name,potential\nA1,Acme Corp,100,\n")),
    "short row": ("import-accounts", "a.csv", text("id,name,potential\nA1,Acme\n")),
    "unclosed quote": ("import-accounts", "a.csv", text('id,name\nA1,"Acme\nA2,B\n')),
    "text after quote": ("import-accounts", "a.csv", text('id,name\nA1,"Acme"x\n')),
    "empty": ("import-accounts", "a.csv", text("")),
    "binary": ("import-accounts", "a.csv", lambda _: bytes(range(256)) * 30),
    "utf-16 no bom": ("import-accounts", "a.csv", text("id,name\nA1,Acme,x\n", "utf-16-le")),
    "bad xml": ("import-accounts", "a.xlsx", workbook(**{SHEET: lambda x: x[:-40]})),
    "no sheets": ("import-accounts", "a.xlsx", workbook(**{SHEET: None})),
    "bad number": ("import-accounts", "a.xlsx",
                   workbook(**{SHEET: lambda x: x.replace("<v>1</v>", "<v>1x</v>")})),
    "error cell": ("import-accounts", "a.xlsx", workbook(**{SHEET: lambda x: x.replace(
        '<c r="C2" t="n"><v>1</v>', '<c r="C2" t="e"><v>#DIV/0!</v>')})),
    "nan": ("import-units", "g.geojson", geometry(SQUARE.replace("-83.9,33]", "NaN,33]"))),
    "infinity": ("import-units", "g.geojson", geometry(SQUARE.replace("-84,33.1", "Infinity,1"))),
    "1e308": ("import-units", "g.geojson", geometry(SQUARE.replace("-84,33.1", "1e308,1"))),
    "lon 500": ("import-territories", "g.geojson", geometry(SQUARE.replace("-84,33.1", "500,1"))),
    "unclosed ring": ("import-units", "g.geojson", geometry("[0,0],[1,0],[1,1],[0,1]")),
    "truncated json": ("import-units", "g.geojson", lambda t: geometry(SQUARE)(t)[:-30]),
    "geo binary": ("import-units", "g.geojson", lambda _: bytes(range(256)) * 30),
    "zip version": ("import-accounts", "a.xlsx", zip_version(228)),
    "other planet": ("import-units", "g.geojson", stated_crs("+proj=longlat +a=1")),
    "plan ragged": ("import-territories", "p.csv", text("unit_code,territory\nU0_0,T1,\n")),
    "plan quote": ("import-territories", "p.csv", text('unit_code,territory\nU0_0,"T1\n')),
    "plan binary": ("import-territories", "p.csv", lambda _: b"\x00\x01\x02" * 500),
    "plan utf-16": ("import-territories", "p.csv",
                    text("unit_code,territory\nU9_9,T1\n", "utf-16-le")),
    "contacts ragged": ("import-related", "c.csv", text("account_id,name\nA000001,Ann,x\n")),
    "opps quote": ("import-related", "o.csv", text('account_id,name,amount\nA000001,"X,1\n')),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_bad_file_is_one_line_refusal_and_project_untouched(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], case: str
) -> None:
    command, name, make = CASES[case]
    project = tmp_path / "p.tplan"
    grid_project(project).close()
    before = project.read_bytes()
    path = tmp_path / name
    path.write_bytes(make(tmp_path))
    capfd.readouterr()
    flag = ["--opportunities" if name == "o.csv" else "--contacts"] if "related" in command else []
    assert main([command, str(project), *flag, str(path)]) == 1
    err = capfd.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(f"planner: error: {name}: ") or err.startswith(
        f"planner: error: {path}: "
    )
    assert project.read_bytes() == before
    assert not Path(f"{project}-wal").exists()


def test_reader_warnings_are_report_lines_not_stderr(tmp_path: Path) -> None:
    """A real process: GDAL's warning (an unsupported geometry type) printed nothing on stderr
    but our one line, and is kept in the saved report."""
    project = tmp_path / "p.tplan"
    grid_project(project).close()
    path = tmp_path / "g.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        '{"GEOID": "1"}, "geometry": {"type": "Blob", "coordinates": [1, 2]}}]}'
    )
    done = subprocess.run(
        [sys.executable, "-m", "planner", "import-units", str(project), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr == (
        "planner: error: g.geojson: row 1, field 'geometry': empty or missing geometry; "
        "nothing imported (fix the file, or use --skip-invalid to import the valid rows)\n"
    )
    (saved,) = tmp_path.glob("p.import-units-*.json")
    warnings = json.loads(saved.read_text())["warnings"]
    assert [w["reason"] for w in warnings] == [
        "while reading: Unsupported geometry type detected. Feature gets NULL geometry assigned."
    ]
