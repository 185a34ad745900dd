"""``planner import-actuals | results | alerts | plan`` end to end (issue 17)."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

from tests.clirun import dump, one_error_line, run
from tests.model.results_project import build

AS_OF = "2026-04-15"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    p, _ = build(tmp_path / "r.tplan")
    p.close()
    return tmp_path / "r.tplan"


def test_results_json_per_level(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "results", project, "--as-of", AS_OF, "--json")
    assert code == 0
    data = json.loads(out)
    t1 = next(r for r in data["rows"] if r["name"] == "T1")
    assert (t1["bookings"], t1["quota"], t1["expected"]) == (3000, 14000, 4500)
    assert data["fiscal_year"] == 2026
    assert data["bookings_source"] == "actuals"
    code, out, _ = run(capsys, "results", project, "--as-of", AS_OF, "--level", "rep")
    assert code == 0
    assert "Rep 1" in out
    assert "3,000" in out
    code, out, _ = run(capsys, "results", project, "--as-of", AS_OF, "--level", "plan", "--json")
    assert json.loads(out)["rows"][0]["bookings"] == 3400


def test_import_actuals_twice_and_a_refused_file(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "a.csv"
    good.write_text("Account ID,Date,Amount\nA000003,2026-03-01,250\n", encoding="utf-8")
    for _ in range(2):
        assert run(capsys, "import-actuals", project, good)[0] == 0
    code, out, _ = run(capsys, "results", project, "--as-of", AS_OF, "--json")
    assert next(r for r in json.loads(out)["rows"] if r["name"] == "T1")["bookings"] == 3250
    before = dump(project)
    bad = tmp_path / "bad.csv"
    bad.write_text("Account ID,Date,Amount\nA000003,2026-03-01,250\nZZZ,2026-03-01,1\n")
    code, _, err = run(capsys, "import-actuals", project, bad)
    assert code == 1
    one_error_line(err, "row 3", "ZZZ", "nothing imported")
    assert dump(project) == before


def test_alerts_json_and_csv(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_csv = tmp_path / "alerts.csv"
    code, out, _ = run(capsys, "alerts", project, "--as-of", AS_OF, "--json", "--csv", out_csv)
    assert code == 0
    rules = {r["rule"]: r for r in json.loads(out)["rules"]}
    assert [a["name"] for a in rules["behind_pace"]["items"]] == ["T1"]
    with out_csv.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert {"Behind pace", "Low pipeline coverage"} <= {r["Rule"] for r in rows}
    code, _, err = run(capsys, "alerts", project, "--csv", project)
    assert code == 1
    one_error_line(err)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils missing")
def test_plan_saved_from_json_prints_text_literally_with_cjk(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(
        json.dumps(
            {
                "swot": {"strengths": ["<script>alert(1)</script>", "上海分公司销售额"]},
                "goals": [{"description": "Bookings", "metric": "bookings", "target": 6000}],
                "review": [
                    {"date": "2026-03-31", "happened": "<b>not bold</b>", "changes": "visit"}
                ],
            }
        ),
        encoding="utf-8",
    )
    pdf, xlsx = tmp_path / "t1.pdf", tmp_path / "t1.xlsx"
    code, out, err = run(
        capsys,
        "plan",
        project,
        "--territory",
        "T1",
        "--as-of",
        AS_OF,
        "--save",
        plan,
        "--pdf",
        pdf,
        "--xlsx",
        xlsx,
        "--json",
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["territories"][0]["revision"] == 1
    assert data["territories"][0]["goals"][0]["progress"] == 0.5
    text = unicodedata.normalize(
        "NFKC",
        subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout,
    )
    assert "<script>alert(1)</script>" in text
    assert "<b>not bold</b>" in text
    assert "上海分公司销售额" in text
    assert "Territory plan: T1" in text
    assert "Segmentation" in text
    assert "Review log" in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert "NotoSansCJK" in fonts
    assert xlsx.exists()


def test_plan_of_an_unknown_territory_is_one_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "plan", project, "--territory", "Nowhere")
    assert code == 1
    one_error_line(err, "no territory, district or region named 'Nowhere'")
