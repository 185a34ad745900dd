"""Valid input files, one per importer, that match the fuzz template project.

The template is ``grid_project``: 24 units ``U{x}_{y}`` of 0.1° near (-84, 33), 120 accounts
``A000000`` … ``A000119`` and territories T1-T3. Every seed imports cleanly into it, so what a
mutation breaks is the mutation's doing. Each seed is (file suffix, bytes, extra CLI options).
"""

from __future__ import annotations

import functools
import io
import json
import re
import zipfile
from collections.abc import Callable

import openpyxl

from planner.model.synthetic import CELL, ORIGIN
from tests.fuzz.mutate import rezip

X0, Y0 = ORIGIN


def _rows_csv(rows: list[list[object]]) -> bytes:
    return "".join(",".join(str(c) for c in row) + "\n" for row in rows).encode("utf-8")


def _accounts() -> list[list[object]]:
    rows: list[list[object]] = [
        ["Account ID", "Account Name", "BillingStreet", "BillingCity", "BillingState",
         "Billing Zip/Postal Code", "BillingLatitude", "BillingLongitude", "Annual Revenue",
         "potential", "visits_per_year", "minutes_per_visit", "Type", "Account Owner"]
    ]  # fmt: skip
    for i in range(24):
        ext = f"A{i * 5:06d}" if i % 2 else f"N{i:05d}"  # half update, half new
        lat, lon = Y0 + CELL * (0.3 + (i % 4)), X0 + CELL * (0.4 + (i % 6))
        rows.append([ext, f"Company {i}", f"{i} Main St", "Atlanta", "GA", f"303{i:02d}",
                     f"{lat:.5f}", f"{lon:.5f}", f'"${i * 1000 + 500:,}"', 250000 + i,
                     12, 60, "Customer" if i % 3 else "Prospect", f"Rep {1 + i % 3}"])  # fmt: skip
    return rows


def accounts_csv() -> bytes:
    return _rows_csv(_accounts())


def accounts_xlsx() -> bytes:
    wb = openpyxl.Workbook()
    for row in _accounts():
        wb.active.append([c.strip('"') if isinstance(c, str) else c for c in row])
    out = io.BytesIO()
    wb.save(out)
    with zipfile.ZipFile(out) as z:  # openpyxl stamps the time of saving: fix it
        parts = {n: z.read(n) for n in z.namelist()}
    parts["docProps/core.xml"] = re.sub(
        rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2026-01-01T00:00:00Z", parts["docProps/core.xml"]
    )
    return rezip(parts)


def _square(x: int, y: int, w: int = 1, h: int = 1) -> list[list[list[float]]]:
    x0, y0 = X0 + CELL * x, Y0 + CELL * y
    x1, y1 = x0 + CELL * w, y0 + CELL * h
    return [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]


def _collection(features: list[tuple[list[list[list[float]]], dict[str, object]]]) -> bytes:
    doc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": props,
             "geometry": {"type": "Polygon", "coordinates": coords}}
            for coords, props in features
        ],
    }  # fmt: skip
    return json.dumps(doc, indent=1).encode("utf-8")


def units_geojson() -> bytes:
    return _collection(
        [(_square(x, y), {"GEOID": f"U{x}_{y}", "NAME": f"Cell {x},{y}", "POP": 1000 + x * y,
                          "INCOME": 55000.5}) for x in range(3) for y in range(2)]
    )  # fmt: skip


def territories_geojson() -> bytes:
    return _collection(
        [(_square(2 * t, 0, 2, 4), {"territory": f"T{t + 1}", "colour": "#1f77b4",
                                    "rep": f"Rep {t + 1}"}) for t in range(3)]
    )  # fmt: skip


def plan_units_csv() -> bytes:
    rows: list[list[object]] = [["unit_code", "territory"]]
    rows += [[f"U{x}_{y}", f"T{1 + x // 2}"] for x in range(6) for y in range(4)]
    return _rows_csv(rows)


def plan_accounts_csv() -> bytes:
    rows: list[list[object]] = [["account_id", "owner"]]
    rows += [[f"A{i:06d}", f"Rep {1 + i % 3}"] for i in range(0, 120, 4)]
    return _rows_csv(rows)


def contacts_csv() -> bytes:
    rows: list[list[object]] = [["Account ID", "First Name", "Last Name", "Title", "Email",
                                 "Phone", "Decision Maker"]]  # fmt: skip
    rows += [[f"A{i:06d}", f"Ann{i}", "Lee", "CFO", f"a{i}@x.com", "555-0100", "yes"]
             for i in range(0, 120, 6)]  # fmt: skip
    return _rows_csv(rows)


def opportunities_csv() -> bytes:
    rows: list[list[object]] = [["AccountId", "Opportunity Name", "Stage", "Amount", "Close Date",
                                 "Next Step"]]  # fmt: skip
    rows += [[f"A{i:06d}", f"Deal {i}", "Proposal" if i % 2 else "Closed Won",
              f'"${i * 1000:,}"', "2027-03-05", "Call"] for i in range(0, 120, 5)]  # fmt: skip
    return _rows_csv(rows)


def activities_csv() -> bytes:
    rows: list[list[object]] = [["Account ID", "Activity Type", "Activity Date", "Subject",
                                 "Assigned"]]  # fmt: skip
    rows += [[f"A{i:06d}", "Visit", f"3/{1 + i % 28}/2026", f"Review {i}", "Rep 1"]
             for i in range(0, 120, 7)]  # fmt: skip
    return _rows_csv(rows)


#: kind -> (file suffix, maker, command and options before the file)
SEEDS: dict[str, tuple[str, Callable[[], bytes], list[str]]] = {
    "accounts-csv": (".csv", accounts_csv, ["import-accounts"]),
    "accounts-xlsx": (".xlsx", accounts_xlsx, ["import-accounts"]),
    "units-geojson": (".geojson", units_geojson, ["import-units"]),
    "territories-geojson": (".geojson", territories_geojson, ["import-territories"]),
    "plan-units-csv": (".csv", plan_units_csv, ["import-territories"]),
    "plan-accounts-csv": (".csv", plan_accounts_csv, ["import-territories"]),
    "contacts-csv": (".csv", contacts_csv, ["import-related", "--contacts"]),
    "opportunities-csv": (".csv", opportunities_csv, ["import-related", "--opportunities"]),
    "activities-csv": (".csv", activities_csv, ["import-related", "--activities"]),
}


@functools.cache
def seed(kind: str) -> bytes:
    """The valid file of ``kind`` (made once per process)."""
    return SEEDS[kind][1]()
