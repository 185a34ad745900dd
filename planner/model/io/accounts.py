"""Import accounts from a CRM export (CSV or XLSX): map, parse, locate, place, upsert.

One import is one transaction (see :mod:`planner.model.io.report` for the policy). The file is
read as a stream of chunks (about six million cells each, the whole file when it is small):
each chunk is checked column-wise with pandas/numpy, placed into units and written before the
next is read (the write on a worker thread, overlapping the next read), so memory holds about
two chunks whatever the size of the file: 10 million accounts (a 1.4 GB CSV) import within
3.0 GB here (pyarrow splits a plain CSV: :mod:`._csvarrow`), where reading whole took 2.8 GB
for one million. A rejected row anywhere refuses the whole import at the end of the file, after
every problem has been listed, and the transaction is rolled back; a file whose only chunk has
a rejected row is refused before anything is written, as it always was.

Location, in order: the row's own coordinates (corrected when lat/lon are swapped, dropped when
out of range), else the centroid of its US ZIP code (offline ``zipcodes`` table), else the
account is kept *unlocated* and counted; an account is never dropped for lacking a location.

Accounts whose external id is already in the project are updated (upsert): only the fields the
file provides change, so a file of ids and revenues refreshes revenue without touching the rest.
Numeric columns the importer cannot map are kept per account as metrics (``_account_attrs``).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Generator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from planner.model._persist import log_data_change
from planner.model.io import _account_attrs as extra_cols
from planner.model.io import _columns as cols
from planner.model.io._account_rows import Statuses, validate
from planner.model.io._account_write import AccountWriter
from planner.model.io._limits import CHUNK_CELLS
from planner.model.io._locate import fix_coordinates, zip_fallback
from planner.model.io._rowchecks import RowChecks
from planner.model.io._seen_ids import SeenIds
from planner.model.io._tabular import Table, iter_tables
from planner.model.io.report import ImportReport, RowIssue
from planner.model.point_grid import PointGrid
from planner.model.schema import Unit
from planner.model.store import Project
from planner.model.users import current_user

#: Visits per year and minutes per visit assumed when the file gives none, by status: customers
#: are seen monthly for an hour, partners every two months, prospects quarterly for 45 minutes.
DEFAULT_VISITS_PER_YEAR = {"customer": 12.0, "partner": 6.0, "prospect": 4.0}
DEFAULT_MINUTES_PER_VISIT = {"customer": 60.0, "partner": 60.0, "prospect": 45.0}

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


def import_accounts(
    project: Project,
    path: Path,
    *,
    mapping: dict[str, str] | None = None,
    encoding: str | None = None,
    skip_invalid: bool = False,
    chunk_cells: int = CHUNK_CELLS,
) -> ImportReport:
    """Import or update accounts from ``path``; returns the report (kind ``"accounts"``).

    Raises :class:`~planner.model.errors.ImportRefused` (carrying the report) when the file is
    unusable, a required column is missing, or a row is rejected and ``skip_invalid`` is False;
    the project is then unchanged. A CSV is read in chunks of about ``chunk_cells`` cells.
    """
    path = Path(path)
    report = ImportReport(kind="accounts", file=str(path))
    tables = iter_tables(path, report, encoding=encoding, chunk_cells=chunk_cells)
    collecting = gc.isenabled()
    gc.disable()  # a chunk is a million new lists and strings: nothing for the collector to
    try:  # free, and scanning them again and again took half the time of reading the file
        return _import(project, path, tables, mapping, skip_invalid, report)
    finally:
        tables.close()
        if collecting:
            gc.enable()


def _import(
    project: Project,
    path: Path,
    tables: Generator[Table, None, None],
    mapping: dict[str, str] | None,
    skip_invalid: bool,
    report: ImportReport,
) -> ImportReport:
    first = next(tables)
    fmap = cols.resolve_mapping(first.headers, ACCOUNT_COLUMNS, REQUIRED, mapping, report)
    extra = extra_cols.numeric_columns(first, fmap, report)
    seen, statuses = SeenIds(), Statuses()
    checked = _Chunk.check(first, fmap, extra, seen, statuses, report)
    if first.final:  # the whole file: refused before the project is touched, as always
        report.rejected.sort(key=lambda r: r.row or 0)  # first problem first
        report.check_rejections(skip_invalid)
    more = (_Chunk.check(t, fmap, extra, seen, statuses, report) for t in tables)
    with project.transaction() as session:
        placer = _Placer(session, first.encoding == "xlsx")
        writer = AccountWriter(session, fmap, report, bulk=not first.final, attributes=extra)
        try:
            with _Behind() as behind:
                for chunk in chain([checked], more):
                    if report.rejected and not skip_invalid:
                        continue  # refused at the end: only the list of problems goes on
                    behind.run(writer.write, placer.place(chunk))
            report.rejected.sort(key=lambda r: r.row or 0)
            if report.rejected and not skip_invalid:
                report.imported = report.updated = report.unlocated = 0
                report.check_rejections(skip_invalid)
            writer.finish()
        finally:
            writer.close()
        statuses.warn(report)
        placer.finish(report)
        log_data_change(session, current_user(), "import-accounts",
                        f"import accounts from {path.name}")  # fmt: skip
    return report


class _Chunk:
    """The kept rows of one chunk: their values by field and spreadsheet row numbers."""

    def __init__(self, data: dict[str, Any], rows: NDArray[np.int64]) -> None:
        self.data, self.rows = data, rows

    @classmethod
    def check(
        cls,
        table: Table,
        fmap: dict[str, str],
        extra: list[str],
        seen: SeenIds,
        statuses: Statuses,
        report: ImportReport,
    ) -> _Chunk:
        rows = table.rows.to_numpy()
        data, ok = validate(table.columns, fmap, rows, seen, report, table.arrow)
        if extra:
            data.update(extra_cols.parse(extra, table.columns, rows, RowChecks(report, rows, ok)))
        if not ok.all():
            rows = rows[ok]
            data = {
                k: (v[ok] if isinstance(v, np.ndarray)
                    else [x for x, k in zip(v, ok.tolist(), strict=True) if k])
                for k, v in data.items()
            }  # fmt: skip
        status = statuses.classify(data["status"], rows)
        data["status"] = status
        for fld, table_ in (
            ("visits_per_year", DEFAULT_VISITS_PER_YEAR),
            ("minutes_per_visit", DEFAULT_MINUTES_PER_VISIT),
        ):
            v = data[fld]
            if np.isnan(v).any():
                fill = np.array([table_[s] for s in status], dtype=float)
                data[fld] = np.where(np.isnan(v), fill, v)
        return cls(data, rows)


class _Placer:
    """Locates and places the accounts of each chunk into the project's units; keeps the
    location warnings apart so that a refused import reports only the problems."""

    def __init__(self, session: Session, from_xlsx: bool) -> None:
        units = session.execute(select(Unit.id, Unit.geometry)).all()
        self.unit_ids = np.array([u.id for u in units], dtype=np.int64)
        self.polys = np.array(
            shapely.from_wkb([u.geometry for u in units]) if units else [], dtype=object
        )
        self.units = PointGrid(self.polys)  # once: a file's chunks are placed into it
        self.from_xlsx = from_xlsx
        self.notes = ImportReport(kind="accounts", file="")  # the location warnings
        self.swap_all: bool | None = None
        self.swapped_rows = 0  # located rows of the file once the columns were found swapped
        self.outside = 0

    def place(self, chunk: _Chunk) -> dict[str, Any]:
        data, rows, notes = chunk.data, chunk.rows, self.notes
        placed = fix_coordinates(data["lon"], data["lat"], rows, self.units, notes, self.swap_all)
        self.swap_all = placed.swap_all
        if placed.swap_all:
            self.swapped_rows += placed.located
        lon, lat, unit = placed.lon, placed.lat, placed.unit
        source = np.where(np.isfinite(lon) & np.isfinite(lat), "exact", "unlocated").astype(object)
        zip_fallback(data, lon, lat, source, rows, self.from_xlsx, notes)
        by_zip = np.flatnonzero(source == "zip")
        if len(by_zip):
            unit[by_zip] = self.units.place(lon[by_zip], lat[by_zip])
        if len(self.polys):
            self.outside += int(((source != "unlocated") & (unit < 0)).sum())
        unit_col = self.unit_ids[np.maximum(unit, 0)].astype(object) if len(self.polys) else None
        if unit_col is None:
            unit_col = np.full(len(unit), None, dtype=object)
        else:
            unit_col[unit < 0] = None
        return {**data, "lon": lon, "lat": lat, "location_source": source, "unit_id": unit_col}

    def finish(self, report: ImportReport) -> None:
        """Add the location warnings to the report (the file-wide ones with their totals)."""
        for issue in self.notes.warnings:
            if issue.row is None and "look swapped in" in issue.reason:
                issue = RowIssue(
                    None,
                    issue.field,
                    f"latitude and longitude columns look swapped in {self.swapped_rows} "
                    "located row(s); corrected for all rows",
                )
            report.warnings.append(issue)
        if len(self.polys):
            report.outside_units = self.outside
            if self.outside:
                report.warn(
                    None,
                    "location",
                    f"{self.outside} located account(s) fall "
                    "outside every unit and belong to no unit",
                )


class _Behind:
    """Runs each write on one worker thread while the next chunk is read and checked.

    SQLite and the PostgreSQL driver let go of the GIL while the database works (about half
    of a write), and reading the next chunk is the other half of the time: the two overlap on
    this 2-core machine. One write at a time, in order; the session is never used by both
    threads at once (the reading side does not touch the database). A write's error is raised
    in the importing thread, and every write has ended before the transaction does.
    """

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-write")
        self._pending: Future[None] | None = None

    def run(self, write: Callable[[dict[str, Any]], None], data: dict[str, Any]) -> None:
        self._wait()
        self._pending = self._pool.submit(write, data)

    def _wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def __enter__(self) -> _Behind:
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        try:
            if kind is None:
                self._wait()
            elif self._pending is not None:
                wait([self._pending])  # the importing side failed: let the write end, quietly
        finally:
            self._pool.shutdown(wait=True)
