"""Account import from files a CRM user would actually have: real files, real project files."""

from __future__ import annotations

import os
from pathlib import Path

import openpyxl
import pytest
import shapely
from sqlalchemy import select

from planner.model.io.accounts import import_accounts
from planner.model.schema import Rep, Unit
from planner.model.store import Project
from tests.model.importing import accounts, refused_accounts, write

SALESFORCE = (
    "Account ID,Account Name,BillingStreet,BillingCity,BillingState,Billing Zip/Postal Code,"
    "BillingLatitude,BillingLongitude,Annual Revenue,Industry,Type,Account Owner\n"
    '001A,Acme Corp,1 Main St,Boston,MA,02134,42.35,-71.13,"$1,200,000",Manufacturing,'
    "Customer - Direct,Ana Ruiz\n"
    "001B,Globex,2 Elm St,Atlanta,GA,30301,,,1.2M,Energy,Prospect,Ben Ode\n"
    "001C,Initech,3 Oak St,Austin,TX,,,,(1000),Software,Channel Partner / Reseller,Ana Ruiz\n"
)


def test_salesforce_export(project: Project, tmp_path: Path) -> None:
    report = import_accounts(project, write(tmp_path, "sf.csv", SALESFORCE))
    assert (report.read, report.imported, report.updated) == (3, 3, 0)
    acc = accounts(project)
    a, b, c = acc["001A"], acc["001B"], acc["001C"]
    assert a.name == "Acme Corp"
    assert a.postal_code == "02134"
    assert (a.lat, a.lon, a.location_source) == (42.35, -71.13, "exact")
    assert a.revenue == 1_200_000
    assert b.revenue == 1_200_000
    assert c.revenue == -1000
    assert (a.status, b.status, c.status) == ("customer", "prospect", "partner")
    assert (a.visits_per_year, a.minutes_per_visit) == (12, 60)  # stated defaults
    assert (b.visits_per_year, b.minutes_per_visit) == (4, 45)
    assert b.location_source == "zip"
    assert b.lat == pytest.approx(33.84, abs=0.1)
    assert b.lon == pytest.approx(-84.47, abs=0.1)  # Atlanta
    assert c.location_source == "unlocated"
    assert c.lat is None
    assert report.unlocated == 1
    assert report.extra["mapping"]["postal_code"] == "Billing Zip/Postal Code"
    assert report.extra["reps_created"] == ["Ana Ruiz", "Ben Ode"]
    with project.session() as s:
        assert sorted(s.scalars(select(Rep.name))) == ["Ana Ruiz", "Ben Ode"]
    assert a.owner == "Ana Ruiz"


def test_chinese_gb18030_headers(project: Project, tmp_path: Path) -> None:
    content = (
        "客户编号,客户名称,城市,省份,经度,纬度,行业,年收入,潜力,负责人,拜访次数,客户类型\n"
        'C001,上海华东机械有限公司,上海,上海,121.47,31.23,制造,"¥3,500",1.5万,张伟,24,潜在客户\n'
        'C002,北京创新科技,北京,北京,116.40,39.90,软件,"¥1,000,000",0,李娜,,合作伙伴\n'
    )
    path = write(tmp_path, "客户.csv", content, encoding="gb18030")
    report = import_accounts(project, path)
    assert report.imported == 2
    acc = accounts(project)
    assert acc["C001"].name == "上海华东机械有限公司"
    assert acc["C001"].status == "prospect"
    assert acc["C002"].status == "partner"
    assert acc["C001"].potential == 15000
    assert acc["C002"].revenue == 1_000_000
    assert acc["C001"].revenue == 3500
    assert (acc["C001"].lon, acc["C001"].lat) == (121.47, 31.23)
    assert acc["C001"].visits_per_year == 24
    assert acc["C002"].visits_per_year == 6
    assert report.extra["reps_created"] == ["张伟", "李娜"]


def test_utf8_bom_and_plain_names(project: Project, tmp_path: Path) -> None:
    content = (
        "id,name,zip,segment,status,visits_per_year,minutes_per_visit\n"
        "x1,Café Ünïcode,30301,SMB,customer,2,30\n"
    )
    path = write(tmp_path, "bom.csv", "\ufeff" + content)
    report = import_accounts(project, path)
    assert report.extra["mapping"]["external_id"] == "id"  # BOM not glued to the header
    a = accounts(project)["x1"]
    assert (a.name, a.segment, a.visits_per_year, a.minutes_per_visit) == (
        "Café Ünïcode",
        "SMB",
        2,
        30,
    )


@pytest.mark.parametrize(
    ("name", "encoding"), [("张伟贸易", "gbk"), ("Zoë Ångström GmbH", "cp1252")]
)
def test_short_legacy_encodings_detected(
    project: Project, tmp_path: Path, name: str, encoding: str
) -> None:
    """Tiny files fool charset detectors; the common CRM encodings still come out right."""
    import_accounts(project, write(tmp_path, "s.csv", f"id,name\n1,{name}\n", encoding))
    assert accounts(project)["1"].name == name


def test_encoding_override(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, "k.csv", "id,name\n1,Ελληνικά\n", "iso8859_7")
    import_accounts(project, path, encoding="iso8859_7")
    assert accounts(project)["1"].name == "Ελληνικά"


def test_xlsx(project: Project, tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Account ID", "Account Name", "BillingPostalCode", "AnnualRevenue"])
    ws.append([1001, "Numeric Id Inc", 2134, 2500000])  # Excel turned id and ZIP into numbers
    ws.append(["A-2", "Text Id LLC", "30301", "$5,000"])
    ws.append([None, None, None, None])  # trailing blank row is ignored
    path = tmp_path / "acc.xlsx"
    wb.save(path)
    report = import_accounts(project, path)
    assert report.imported == 2
    acc = accounts(project)
    assert acc["1001"].revenue == 2_500_000
    assert acc["A-2"].revenue == 5000
    assert acc["1001"].location_source == "zip"  # 2134 read back as ZIP 02134
    assert acc["1001"].lat == pytest.approx(42.35, abs=0.1)


def test_map_override_and_bad_mapping(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, "odd.csv", "Kundennr,Firma,Umsatz\nk1,Alpha,100\n")
    msg = refused_accounts(project, path)
    assert "odd.csv" in msg
    assert "external_id" in msg
    assert "'Kundennr'" in msg
    msg = refused_accounts(project, path, mapping={"external_id": "Kundennr", "name": "Nope"})
    assert "'Nope'" in msg
    assert "'Firma'" in msg
    msg = refused_accounts(project, path, mapping={"shoe_size": "Umsatz"})
    assert "shoe_size" in msg
    report = import_accounts(
        project, path, mapping={"external_id": "Kundennr", "name": "Firma", "revenue": "Umsatz"}
    )
    assert report.extra["mapping"] == {
        "external_id": "Kundennr",
        "name": "Firma",
        "revenue": "Umsatz",
    }
    assert accounts(project)["k1"].revenue == 100


def test_non_numeric_money_refused_then_skipped(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, "money.csv", 'id,name,revenue\na,A,100\nb,B,abc\nc,C,"$1,200,000"\n')
    msg = refused_accounts(project, path)
    assert "money.csv" in msg
    assert "row 3" in msg
    assert "'revenue'" in msg
    assert "'abc'" in msg
    report = import_accounts(project, path, skip_invalid=True)
    assert report.imported == 2
    assert [(r.row, r.field) for r in report.rejected] == [(3, "revenue")]
    assert accounts(project)["c"].revenue == 1_200_000
    assert "b" not in accounts(project)


def test_duplicate_ids(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, "dup.csv", "id,name\na,First\nb,B\na,Second\n")
    msg = refused_accounts(project, path)
    assert "row 4" in msg
    assert "duplicate of row 2" in msg
    import_accounts(project, path, skip_invalid=True)
    assert accounts(project)["a"].name == "First"


def test_upsert_updates_given_fields_only(project: Project, tmp_path: Path) -> None:
    import_accounts(project, write(tmp_path, "a.csv", "id,name,city,revenue\na,A,Paris,10\n"))
    report = import_accounts(project, write(tmp_path, "b.csv", "id,name,revenue\na,A2,20\nb,B,1\n"))
    assert (report.imported, report.updated) == (1, 1)
    acc = accounts(project)
    assert (acc["a"].name, acc["a"].city, acc["a"].revenue) == ("A2", "Paris", 20)
    assert len(acc) == 2


def test_script_tags_stored_verbatim(project: Project, tmp_path: Path) -> None:
    evil = '<script>alert(1)</script> & <b>Co</b> "quoted"'
    path = write(tmp_path, "x.csv", 'id,name\nx,"' + evil.replace('"', '""') + '"\n')
    import_accounts(project, path)
    assert accounts(project)["x"].name == evil


def test_swapped_row_and_out_of_range(project: Project, tmp_path: Path) -> None:
    content = (
        "id,name,lat,lon,zip\n"
        "ok,Ok,33.7,-84.4,\n"
        "sw,BothWays,100,100,\n"  # out of range, and swapping does not help
        "sw2,Swapped2,-122.4,37.8,\n"  # lat out of range, swap valid
        "bad,Bad,95,200,30301\n"  # hopeless: dropped, ZIP used
        "nozip,NoZip,95,200,\n"
    )
    report = import_accounts(project, write(tmp_path, "c.csv", content))
    acc = accounts(project)
    assert (acc["sw2"].lat, acc["sw2"].lon) == (37.8, -122.4)
    assert acc["bad"].location_source == "zip"
    assert acc["nozip"].location_source == "unlocated"  # kept, not dropped
    assert acc["sw"].location_source == "unlocated"
    reasons = {r.row: r.reason for r in report.warnings}
    assert "swapped" in reasons[4]
    assert "out of range" in reasons[5]
    assert report.unlocated == 2
    assert acc["ok"].location_source == "exact"


def test_whole_column_swap(project: Project, tmp_path: Path) -> None:
    rows = "".join(f"r{i},R{i},{116 + i / 10},{39 + i / 10}\n" for i in range(5))
    report = import_accounts(project, write(tmp_path, "cn.csv", "id,name,lat,lon\n" + rows))
    acc = accounts(project)
    assert (acc["r0"].lon, acc["r0"].lat) == (116, 39)
    col_warnings = [w for w in report.warnings if w.field == "lat/lon"]
    assert len(col_warnings) == 1
    assert col_warnings[0].row is None


def add_units(project: Project) -> dict[str, int]:
    west = shapely.box(-90, 30, -80, 40)  # contains Atlanta
    east = shapely.box(-80, 30, -70, 45)  # contains Boston
    with project.transaction() as s:
        for code, poly in (("W", west), ("E", east)):
            c = poly.centroid
            s.add(Unit(code=code, geometry=shapely.to_wkb(poly), rep_lon=c.x, rep_lat=c.y))
    with project.session() as s:
        return {u.code: u.id for u in s.scalars(select(Unit))}


def test_placement_into_units(project: Project, tmp_path: Path) -> None:
    units = add_units(project)
    content = (
        "id,name,lat,lon,zip\n"
        "atl,Atlanta,33.75,-84.39,\n"
        "bos,Boston,42.36,-71.06,\n"
        "zip,ByZip,,,30301\n"
        "sea,Seattle,47.6,-122.3,\n"
        "swp,SwappedInRange,-84.39,33.75,\n"  # in range but only the swap lands in a unit
    )
    report = import_accounts(project, write(tmp_path, "u.csv", content))
    acc = accounts(project)
    assert acc["atl"].unit_id == units["W"]
    assert acc["bos"].unit_id == units["E"]
    assert acc["zip"].unit_id == units["W"]
    assert acc["sea"].unit_id is None
    assert acc["swp"].unit_id == units["W"]
    assert acc["swp"].lat == 33.75
    assert report.outside_units == 1
    assert any("outside every unit" in w.reason for w in report.warnings)


def test_whole_column_swap_detected_by_units(project: Project, tmp_path: Path) -> None:
    add_units(project)
    rows = "".join(f"r{i},R{i},{-84 + i / 10},{33 + i / 10}\n" for i in range(4))
    report = import_accounts(project, write(tmp_path, "us.csv", "id,name,lat,lon\n" + rows))
    assert accounts(project)["r1"].lat == pytest.approx(33.1)
    assert report.outside_units == 0


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (bytes(range(256)) * 40, "not a text table"),
        (b"id,name,revenue\n", "no data rows"),
    ],
)
def test_unusable_files_refused(
    project: Project, tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    msg = refused_accounts(project, path)
    assert "bad.csv" in msg
    assert expected in msg


def test_random_binary_refused(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "junk.csv"
    path.write_bytes(os.urandom(5000))
    assert "junk.csv" in refused_accounts(project, path)


def test_refused_import_leaves_existing_project_untouched(project: Project, tmp_path: Path) -> None:
    add_units(project)
    import_accounts(project, write(tmp_path, "sf.csv", SALESFORCE))
    bad = write(
        tmp_path, "bad.csv", "Account ID,Account Name,Account Owner\n001A,New,Zed\nq,,Zed\n"
    )
    msg = refused_accounts(project, bad)
    assert "row 3" in msg
    assert "'name'" in msg
    assert accounts(project)["001A"].name == "Acme Corp"


def test_unknown_status_imported_as_customer_with_one_warning(
    project: Project, tmp_path: Path
) -> None:
    content = "id,name,Type\na,A,Other\nb,B,Other\nc,C,Reseller\nd,D,\n"
    report = import_accounts(project, write(tmp_path, "s.csv", content))
    acc = accounts(project)
    assert [acc[k].status for k in "abcd"] == ["customer", "customer", "partner", "customer"]
    status_warnings = [w for w in report.warnings if w.field == "status"]
    assert len(status_warnings) == 1
    assert status_warnings[0].row == 2
    assert "'Other'" in status_warnings[0].reason


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('"$1,200,000"', 1_200_000),
        ("1.2M", 1_200_000),
        ("350k", 350_000),
        ('"¥3,500"', 3500),
        ("3.5万", 35_000),
        ('"(1,000)"', -1000),
        ("-42.5", -42.5),
        ('"1 200 000,50"', 1_200_000.5),
        ('"1.200.000,50"', 1_200_000.5),
        ('"1,5"', 1.5),
        ("EUR 900", 900),
        ("", 0),
    ],
)
def test_money_formats(project: Project, tmp_path: Path, cell: str, expected: float) -> None:
    import_accounts(project, write(tmp_path, "m.csv", f"id,name,revenue\na,A,{cell}\n"))
    assert accounts(project)["a"].revenue == pytest.approx(expected)


def test_overlong_text_rejected(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, "long.csv", f"id,name,state\na,A,{'X' * 61}\n")
    msg = refused_accounts(project, path)
    assert "row 2" in msg
    assert "'state'" in msg
    assert "longer than 60" in msg
