"""Import accounts from a CRM export (CSV or XLSX): map, parse, locate, place, upsert.

One import is one transaction (see :mod:`planner.model.io.report` for the policy). Rows are
parsed column-wise with pandas/numpy and written with executemany, so 100,000 rows take seconds.

Location, in order: the row's own coordinates (corrected when lat/lon are swapped, dropped when
out of range), else the centroid of its US ZIP code (offline ``zipcodes`` table), else the
account is kept *unlocated* and counted; an account is never dropped for lacking a location.

Accounts whose external id is already in the project are updated (upsert): only the fields the
file provides change, so a file of ids and revenues refreshes revenue without touching the rest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from planner.model._persist import log_data_change
from planner.model.geo import place_points
from planner.model.io import _columns as cols
from planner.model.io._limits import MAX_AMOUNT, MAX_MINUTES_PER_VISIT, MAX_VISITS_PER_YEAR
from planner.model.io._locate import fix_coordinates, zip_fallback
from planner.model.io._messages import quote
from planner.model.io._rowchecks import RowChecks
from planner.model.io._tabular import read_table
from planner.model.io.report import ImportReport
from planner.model.schema import Account, Rep, Unit
from planner.model.store import Project
from planner.model.users import current_user

#: Visits per year and minutes per visit assumed when the file gives none, by status: customers
#: are seen monthly for an hour, partners every two months, prospects quarterly for 45 minutes.
DEFAULT_VISITS_PER_YEAR = {"customer": 12.0, "partner": 6.0, "prospect": 4.0}
DEFAULT_MINUTES_PER_VISIT = {"customer": 60.0, "partner": 60.0, "prospect": 45.0}
#: Status of a row whose status/type value is not recognised (a warning says so).
FALLBACK_STATUS = "customer"

#: Known headers per field, in order of preference (matched with :func:`cols.norm`):
#: Salesforce, HubSpot, Dynamics, Chinese CRMs, then plain English names.
ACCOUNT_COLUMNS = cols.synonym_table(
    """
external_id: external_id | Account ID | AccountId | Id | Record ID | Company ID |
    Account Number | accountid | customer_id | id | 客户编号 | 客户ID | 客户代码 | 编号
name: Account Name | Company name | name | account | company | customer | 客户名称 |
    公司名称 | 名称
address: BillingStreet | Billing Street | Street Address | Address 1: Street 1 |
    address1_line1 | address | street | 地址 | 详细地址 | 街道
city: BillingCity | Billing City | Address 1: City | address1_city | city | 城市 | 市
state: BillingState | Billing State/Province | State/Region |
    Address 1: State/Province | address1_stateorprovince | state | province | 省份 |
    省
postal_code: Billing Zip/Postal Code | BillingPostalCode | Postal Code |
    Address 1: ZIP/Postal Code | address1_postalcode | zip | zipcode | zip_code |
    postal_code | postcode | 邮编 | 邮政编码
country: BillingCountry | Billing Country | Country/Region |
    Address 1: Country/Region | address1_country | country | 国家
lat: BillingLatitude | Billing Latitude | Address 1: Latitude | address1_latitude |
    lat | latitude | 纬度
lon: BillingLongitude | Billing Longitude | Address 1: Longitude |
    address1_longitude | lon | lng | long | longitude | 经度
industry: Industry | industrycode | 行业
segment: segment | tier | Customer Segment | Account Tier | 细分 | 客户等级 | 客户分级
status: status | Type | Account Type | Relationship Type | customertypecode |
    Lifecycle Stage | 客户类型 | 客户状态 | 状态 | 类型
potential: potential | Account Potential | Sales Potential | 潜力 | 潜力值 | 销售潜力
revenue: Annual Revenue | AnnualRevenue | revenue | annual_revenue | 年收入 | 营收 |
    营业收入 | 收入
visits_per_year: visits_per_year | Visits per Year | visits | 拜访次数 | 年拜访次数
minutes_per_visit: minutes_per_visit | Minutes per Visit | call_minutes |
    visit_minutes | 拜访时长 | 每次拜访分钟
owner: Account Owner | Company owner | Owner Name | Owner | owner | rep |
    sales_rep | 负责人 | 客户经理 | 所属销售 | 销售代表
notes: notes | description | 备注
"""
)
REQUIRED = ("external_id", "name")
_TEXT_FIELDS = (
    "address",
    "city",
    "state",
    "postal_code",
    "country",
    "industry",
    "segment",
    "owner",
    "notes",
)
_LOCATION_FIELDS = ("lat", "lon", "postal_code")
#: Numeric fields and their plausible range (coordinates are checked by fix_coordinates).
_NUMBERS = {
    "potential": (-MAX_AMOUNT, MAX_AMOUNT),
    "revenue": (-MAX_AMOUNT, MAX_AMOUNT),
    "visits_per_year": (0.0, MAX_VISITS_PER_YEAR),
    "minutes_per_visit": (0.0, MAX_MINUTES_PER_VISIT),
}


def import_accounts(
    project: Project,
    path: Path,
    *,
    mapping: dict[str, str] | None = None,
    encoding: str | None = None,
    skip_invalid: bool = False,
) -> ImportReport:
    """Import or update accounts from ``path``; returns the report (kind ``"accounts"``).

    Raises :class:`~planner.model.errors.ImportRefused` (carrying the report) when the file is
    unusable, a required column is missing, or a row is rejected and ``skip_invalid`` is False;
    the project is then unchanged.
    """
    path = Path(path)
    report = ImportReport(kind="accounts", file=str(path))
    table = read_table(path, report, encoding=encoding)
    fmap = cols.resolve_mapping(table.headers, ACCOUNT_COLUMNS, REQUIRED, mapping, report)
    frame, rows = table.frame, table.rows.to_numpy()

    def text(field: str) -> pd.Series:
        if field not in fmap:
            return pd.Series([""] * len(frame), dtype=object)
        return frame[fmap[field]]

    data: dict[str, Any] = {f: text(f) for f in ("external_id", "name", *_TEXT_FIELDS)}
    ok = _validate(data, frame, fmap, rows, report)
    report.rejected.sort(key=lambda r: r.row or 0)  # first problem first
    report.check_rejections(skip_invalid)

    keep = np.flatnonzero(ok)
    rows = rows[keep]
    data = {
        k: (v.iloc[keep].reset_index(drop=True) if isinstance(v, pd.Series) else v[keep])
        for k, v in data.items()
    }
    status = _statuses(text("status").iloc[keep].reset_index(drop=True), rows, report)
    data["status"] = status
    for fld, table_ in (
        ("visits_per_year", DEFAULT_VISITS_PER_YEAR),
        ("minutes_per_visit", DEFAULT_MINUTES_PER_VISIT),
    ):
        v = data[fld]
        fill = np.array([table_[s] for s in status], dtype=float)
        data[fld] = np.where(np.isnan(v), fill, v)

    with project.transaction() as session:
        units = session.execute(select(Unit.id, Unit.geometry)).all()
        unit_ids = np.array([u.id for u in units], dtype=np.int64)
        polys = np.array(
            shapely.from_wkb([u.geometry for u in units]) if units else [], dtype=object
        )
        lon, lat = fix_coordinates(data["lon"], data["lat"], rows, polys, report)
        source = np.where(np.isfinite(lon) & np.isfinite(lat), "exact", "unlocated").astype(object)
        zip_fallback(data, lon, lat, source, rows, table.encoding == "xlsx", report)
        located = source != "unlocated"
        idx = place_points(lon, lat, polys)
        unit_col = [int(unit_ids[i]) if i >= 0 else None for i in idx]
        if len(polys):
            report.outside_units = int((located & (idx < 0)).sum())
            if report.outside_units:
                report.warn(
                    None,
                    "location",
                    f"{report.outside_units} located account(s) fall "
                    "outside every unit and belong to no unit",
                )
        data.update(lon=lon, lat=lat, location_source=source, unit_id=unit_col)
        _write(session, data, fmap, report)
        log_data_change(session, current_user(), "import-accounts",
                        f"import accounts from {path.name}")  # fmt: skip
    return report


def _validate(
    data: dict[str, Any],
    frame: pd.DataFrame,
    fmap: dict[str, str],
    rows: np.ndarray,
    report: ImportReport,
) -> np.ndarray:
    """Reject rows without id/name, duplicate ids and bad numbers; parse numeric columns."""
    n = len(frame)
    check = RowChecks(report, rows, np.ones(n, dtype=bool))
    ext, name = data["external_id"], data["name"]
    for fld in ("external_id", "name", *_TEXT_FIELDS, *_NUMBERS):
        if fld in fmap:
            check.spreadsheet_errors(fld, frame[fmap[fld]].tolist())
    check.reject((ext == "").to_numpy(), "external_id", "empty account id")
    check.reject((name == "").to_numpy(), "name", "empty account name")
    for fld in ("external_id", "name", *_TEXT_FIELDS):  # the database (PostgreSQL) would refuse
        if fld in fmap:
            check.too_long(fld, data[fld].tolist(), Account)
    ext_list = ext.tolist()
    dup = ext.duplicated(keep="first").to_numpy() & (ext != "").to_numpy()
    if dup.any():
        first_row = dict(zip(ext[~dup].tolist(), rows[~dup].tolist(), strict=True))
        check.reject(
            dup,
            "external_id",
            lambda i: f"duplicate of row {first_row[ext_list[i]]} (id {quote(ext_list[i])})",
        )
    for fld, (low, high) in _NUMBERS.items():
        raw = frame[fmap[fld]] if fld in fmap else pd.Series([""] * n, dtype=object)
        raw_list = raw.tolist()
        money = fld in ("potential", "revenue")
        values, bad = cols.parse_money(raw) if money else cols.parse_number(raw)
        what = "an amount" if money else "a number"

        def not_a(i: int, raw_list: list[Any] = raw_list, what: str = what) -> str:
            return f"{quote(raw_list[i])} is not {what}"

        check.reject(bad, fld, not_a)
        check.out_of_range(fld, values, raw_list, low, high)
        data[fld] = np.nan_to_num(values, nan=0.0) if money else values
    for fld in ("lat", "lon"):  # a bad coordinate costs the location, not the row
        raw_list = frame[fmap[fld]].tolist() if fld in fmap else [""] * n
        values, bad = cols.parse_number(pd.Series(raw_list, dtype=object))
        for i in np.flatnonzero(bad & check.ok):
            report.warn(
                int(rows[i]), fld, f"{quote(raw_list[i])} is not a number; coordinate ignored"
            )
        data[fld] = values
    return check.ok


def _statuses(values: pd.Series, rows: np.ndarray, report: ImportReport) -> list[str]:
    """Status per row; blanks are customers, each unrecognised value is warned about once."""
    uniq = {v: (cols.classify_status(v) if v else FALLBACK_STATUS) for v in values.unique()}
    out: list[str] = []
    unknown: dict[str, list[int]] = {}  # value -> [first position, count]
    for i, v in enumerate(values.tolist()):
        s = uniq[v]
        if s is None:
            unknown.setdefault(v, [i, 0])[1] += 1
        out.append(s or FALLBACK_STATUS)
    for v, (first, count) in unknown.items():
        report.warn(
            int(rows[first]),
            "status",
            f"{quote(v)} is not a known status ({count} row(s)); imported as {FALLBACK_STATUS}",
        )
    return out


def _write(
    session: Session, data: dict[str, Any], fmap: dict[str, str], report: ImportReport
) -> None:
    """Insert new accounts, update existing ones (fields the file gives), create owners' reps."""
    existing = {e: i for e, i in session.execute(select(Account.external_id, Account.id))}
    given = set(fmap)
    if given & set(_LOCATION_FIELDS):
        given |= {"lon", "lat", "location_source", "unit_id"}
    fields = [
        "external_id",
        "name",
        *_TEXT_FIELDS,
        "status",
        "potential",
        "revenue",
        "visits_per_year",
        "minutes_per_visit",
        "lon",
        "lat",
        "location_source",
        "unit_id",
    ]
    columns = {f: _py(data[f]) for f in fields}
    ids = columns["external_id"]
    new_rows: list[dict[str, Any]] = []
    upd_rows: list[dict[str, Any]] = []
    upd_fields = [f for f in fields if f in given]
    for j, ext in enumerate(ids):
        acc_id = existing.get(ext)
        if acc_id is None:
            new_rows.append({f: columns[f][j] for f in fields})
        else:
            row = {f: columns[f][j] for f in upd_fields}
            row["_id"] = acc_id
            upd_rows.append(row)
    table = cast(Table, Account.__table__)  # a declarative class's table (typed FromClause)
    if new_rows:
        # Core insert on the table: the ORM's per-row bookkeeping would triple the time.
        session.execute(insert(table), new_rows)
    if upd_rows:
        stmt = (
            update(table)
            .where(table.c.id == bindparam("_id"))
            .values({f: bindparam(f) for f in upd_fields})
        )
        session.execute(stmt, upd_rows)
    report.imported, report.updated = len(new_rows), len(upd_rows)
    written = [r["location_source"] for r in new_rows]
    if "location_source" in given:
        written += [r["location_source"] for r in upd_rows]
    report.unlocated = sum(1 for s in written if s == "unlocated")
    owners = sorted({o for o in columns["owner"] if o})
    known = set(session.scalars(select(Rep.name)))
    created = [o for o in owners if o not in known]
    if created:
        session.execute(insert(Rep), [{"name": o, "skills": [], "industries": []} for o in created])
    report.extra["reps_created"] = created


def _py(values: Any) -> list[Any]:
    """Plain Python values for the driver (NaN -> None)."""
    if isinstance(values, pd.Series):
        return values.tolist()
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        out = values.astype(object)
        out[np.isnan(values)] = None
        return cast("list[Any]", out.tolist())  # a 1-d array's tolist() is a list
    return list(values.tolist() if isinstance(values, np.ndarray) else values)
