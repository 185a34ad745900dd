"""Import actuals: bookings (sales) per account and date, from CSV or XLSX.

Columns: the account's external id, the booking date and the amount are required; a booking
id, a product and the partner the sale went through (the partner account's external id) are
optional. Same reading, mapping and all-or-nothing policy as every import
(:mod:`planner.model.io.report`): one transaction, a rejected row refuses the whole file unless
``skip_invalid``.

**Importing twice never double counts.** Every booking is stored under a key: ``id:<booking
id>`` when the file has one, otherwise ``row:<hash>`` of the row's account, date, amount,
product and partner plus its occurrence among identical rows of the file (two identical sales
on one day stay two bookings). A key already in the project is *replaced* (counted in
``report.updated``), so a corrected re-export updates amounts in place and the same file
imported twice changes nothing. A booking id repeated within one file is a rejected row.

Amounts are stored in whole cents (exact sums at every level, like quotas). Negative amounts
(credit notes) are accepted.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import insert, select, update

from planner.model.io import _columns as cols
from planner.model.io._limits import MAX_AMOUNT
from planner.model.io._messages import quote
from planner.model.io._rowchecks import RowChecks
from planner.model.io._tabular import read_table
from planner.model.io.report import ImportReport
from planner.model.schema import Account, Actual
from planner.model.store import Project

ACTUAL_COLUMNS = cols.synonym_table(
    """
account_id: Account ID | AccountId | account_id | Account External ID | External Account ID |
    Account Number | Customer ID | Customer Number | Company ID | 客户编号 | 客户ID | 客户代码
date: Booking Date | Booked On | Order Date | Invoice Date | Close Date | CloseDate | Date |
    date | 日期 | 订单日期 | 成交日期 | 开票日期
amount: Amount | Booking Amount | Net Amount | Revenue | Sales | Value | amount | 金额 |
    销售额 | 订单金额
booking_id: Booking ID | Order ID | Order Number | Invoice Number | Invoice ID | Transaction ID |
    booking_id | id | 订单号 | 发票号
product: Product | Product Name | Product Family | Item | product | 产品 | 产品名称
partner_id: Partner | Partner ID | Partner Account ID | Reseller | Channel Partner | partner_id |
    渠道 | 合作伙伴 | 经销商
"""
)
_CHUNK = 500


def import_actuals(
    project: Project,
    path: Path,
    *,
    mapping: dict[str, str] | None = None,
    encoding: str | None = None,
    skip_invalid: bool = False,
) -> ImportReport:
    """Import bookings from ``path``; returns the report (kind ``actuals``).

    Raises :class:`~planner.model.errors.ImportRefused` (carrying the report) for an unusable
    file, a missing required column, or rejected rows without ``skip_invalid``; the project is
    then unchanged.
    """
    path = Path(path)
    report = ImportReport(kind="actuals", file=str(path))
    table = read_table(path, report, encoding=encoding)
    fmap = cols.resolve_mapping(
        table.headers, ACTUAL_COLUMNS, ("account_id", "date", "amount"), mapping, report
    )
    frame, rows = table.frame, table.rows.to_numpy()
    n = len(frame)

    def text(fld: str) -> list[str]:
        return [str(v).strip() for v in frame[fmap[fld]].tolist()] if fld in fmap else [""] * n

    checks = RowChecks(report, rows, np.ones(n, dtype=bool))
    for fld in fmap:
        checks.spreadsheet_errors(fld, text(fld))
    amount_raw = text("amount")
    amount, bad = cols.parse_money(pd.Series(amount_raw, dtype=object))
    checks.reject(np.array([not t for t in amount_raw], dtype=bool), "amount", "empty amount")
    checks.reject(bad, "amount", lambda i: f"{quote(amount_raw[i])} is not an amount")
    checks.out_of_range("amount", amount, amount_raw, -MAX_AMOUNT, MAX_AMOUNT)
    date_raw = text("date")
    dates, bad = cols.parse_dates(pd.Series(date_raw, dtype=object))
    checks.reject(
        np.array([d is None and not t for d, t in zip(dates, date_raw, strict=True)], dtype=bool),
        "date",
        "empty date",
    )
    checks.reject(bad, "date", lambda i: f"{quote(date_raw[i])} is not a date")
    products, booking_ids = text("product"), text("booking_id")
    checks.too_long("product", products, Actual)
    if "booking_id" in fmap:
        seen: dict[str, int] = {}
        for i, b in enumerate(booking_ids):
            if b and checks.ok[i]:
                if b in seen:
                    report.reject(
                        int(rows[i]),
                        "booking_id",
                        f"booking id {quote(b)} repeated (first on row {seen[b]})",
                    )
                    checks.ok[i] = False
                else:
                    seen[b] = int(rows[i])
        checks.reject(
            np.array([len(b) > 190 for b in booking_ids], dtype=bool),
            "booking_id",
            "longer than 190 characters",
        )
    with project.transaction() as session:
        ids = {e: i for e, i in session.execute(select(Account.external_id, Account.id))}
        account = _resolve(checks, text("account_id"), ids, "account_id", required=True)
        partner = _resolve(checks, text("partner_id"), ids, "partner_id", required=False)
        report.rejected.sort(key=lambda r: r.row or 0)
        report.check_rejections(skip_invalid)
        records = _records(checks.ok, account, partner, dates, amount, products, booking_ids)
        report.imported, report.updated = _store(session, records)
    report.extra["total_amount"] = sum(r["amount"] for r in records) / 100
    return report


def _resolve(
    checks: RowChecks, values: list[str], ids: dict[str, int], fld: str, *, required: bool
) -> list[int | None]:
    """Account ids of external ids; an unknown id rejects its row (empty: only if required)."""
    out: list[int | None] = []
    for i, ext in enumerate(values):
        acc = ids.get(ext) if ext else None
        out.append(acc)
        if acc is None and checks.ok[i] and (ext or required):
            reason = (
                "empty account id"
                if not ext
                else f"account {quote(ext)} is not in the project (import accounts first)"
            )
            checks.report.reject(int(checks.rows[i]), fld, reason)
            checks.ok[i] = False
    return out


def _records(
    ok: np.ndarray,
    account: list[int | None],
    partner: list[int | None],
    dates: list[Any],
    amount: np.ndarray,
    products: list[str],
    booking_ids: list[str],
) -> list[dict[str, Any]]:
    """One row per kept booking, keyed (see the module docstring)."""
    out = []
    occurrences: dict[str, int] = {}
    for i in np.flatnonzero(ok):
        day, cents = dates[i], round(float(amount[i]) * 100)
        if booking_ids[i]:
            key = f"id:{booking_ids[i]}"
        else:
            content = f"{account[i]}|{day.isoformat()}|{cents}|{products[i]}|{partner[i]}"
            nth = occurrences.get(content, 0)
            occurrences[content] = nth + 1
            key = "row:" + hashlib.sha1(f"{content}|{nth}".encode()).hexdigest()
        out.append(
            {
                "booking_key": key,
                "account_id": account[i],
                "booked_on": day,
                "period": day.year * 100 + day.month,
                "amount": cents,
                "product": products[i],
                "partner_id": partner[i],
            }
        )
    return out


def _store(session: Any, records: list[dict[str, Any]]) -> tuple[int, int]:
    """Insert new keys, replace the values of known ones; returns (inserted, replaced)."""
    known: dict[str, int] = {}
    keys = [r["booking_key"] for r in records]
    for i in range(0, len(keys), _CHUNK):
        chunk = keys[i : i + _CHUNK]
        known.update(
            session.execute(
                select(Actual.booking_key, Actual.id).where(Actual.booking_key.in_(chunk))
            ).all()
        )
    new = [r for r in records if r["booking_key"] not in known]
    old = [{**r, "id": known[r["booking_key"]]} for r in records if r["booking_key"] in known]
    if new:
        session.execute(insert(Actual), new)
    if old:
        session.execute(update(Actual), old)
    return len(new), len(old)
