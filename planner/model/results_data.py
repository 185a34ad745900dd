"""The raw facts results are computed from, read once per project as flat arrays.

Bookings, opportunities, activities, account status and partner links do not depend on the
scenario: a scenario only decides which territory each account is in. So they are read once
(one SQL pass per table, no ORM objects) into arrays indexed like
:attr:`planner.model.atoms.AtomData.account_ids`, and every scenario, edit and hierarchy level
reuses them. Dates are whole days since 1970-01-01 (``int32``): comparing and bucketing 5M
bookings is then integer arithmetic.

Bookings are the ``actual`` table; when it is empty, the closed-won opportunities stand in for
them (issue 17: a Salesforce export without a separate bookings file still shows results).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from planner.model.atoms import CUSTOMER, PARTNER, AtomData, _frame
from planner.model.io import _columns as cols
from planner.model.store import Project

EPOCH = dt.date(1970, 1, 1)
NO_DAY = np.iinfo(np.int32).min
#: Stages that close an opportunity as won (after :func:`cols.norm`); lost is closed and not won.
WON_STAGES = frozenset({"won", "closedwon", "赢单", "已成交", "成交", "签约"})
#: Activity types that count as a visit for coverage (substring of the normalised type). A
#: project whose activities name none of them counts every activity (its types are blank).
VISIT_WORDS = ("visit", "meeting", "appointment", "demo", "拜访", "会议", "面谈", "上门")


def day_number(day: dt.date) -> int:
    return (day - EPOCH).days


def is_won_stage(stage: str) -> bool:
    key = cols.norm(stage)
    return key in WON_STAGES or (key.startswith("closed") and "won" in key)


@dataclass(frozen=True, eq=False)
class Facts:
    """Per-project facts, account positions as in the atoms (-1: not a known account)."""

    is_customer: NDArray[np.bool_]
    is_partner: NDArray[np.bool_]
    #: bookings: account position, day, amount in cents, sold through a partner; sorted by
    #: day and of known accounts only (read_facts)
    book_account: NDArray[np.int64]
    book_day: NDArray[np.int32]
    book_cents: NDArray[np.int64]
    book_via_partner: NDArray[np.bool_]
    bookings_from_crm: bool
    #: opportunities: account position, stage, amount, open, won, close day
    opp_account: NDArray[np.int64]
    opp_stage: NDArray[np.object_]
    opp_amount: NDArray[np.float64]
    opp_open: NDArray[np.bool_]
    opp_won: NDArray[np.bool_]
    opp_close_day: NDArray[np.int32]
    #: last visit per account (NO_DAY: never)
    last_visit: NDArray[np.int32]
    #: partner links: partner position, territory id (-1: none), served account position (-1)
    link_partner: NDArray[np.int64]
    link_territory: NDArray[np.int64]
    link_account: NDArray[np.int64]


def _positions(atoms: AtomData, ids: NDArray[np.int64]) -> NDArray[np.int64]:
    """Position of each account id in the atoms (-1 for ids not there), by binary search."""
    known = atoms.account_ids
    if not len(known) or not len(ids):
        return np.full(len(ids), -1, dtype=np.int64)
    pos = np.searchsorted(known, ids)
    pos = np.minimum(pos, len(known) - 1)
    return np.where(known[pos] == ids, pos, -1).astype(np.int64)


def _day_sql(project: Project, column: str) -> str:
    """``column`` as ``day``: on SQLite already a day number (text dates of millions of rows
    cost more to move and parse than the rows themselves), elsewhere the date."""
    if project.is_sqlite:
        return f"CAST(julianday({column}) - 2440587.5 AS INTEGER) AS day"
    return f"{column} AS day"


def _days(values: pd.Series) -> NDArray[np.int32]:
    """Dates (day numbers, ISO text or dates) as day numbers; blank -> NO_DAY."""
    if not len(values):
        return np.zeros(0, dtype=np.int32)
    if pd.api.types.is_numeric_dtype(values):
        return values.fillna(NO_DAY).to_numpy(np.int64).astype(np.int32)
    stamps = pd.to_datetime(values.astype(str).str[:10], format="%Y-%m-%d", errors="coerce")
    days = stamps.to_numpy("datetime64[D]").astype(np.int64)
    return np.where(stamps.isna().to_numpy(), NO_DAY, days).astype(np.int32)


def read_facts(project: Project, atoms: AtomData) -> Facts:
    """Everything results need besides the alignment, in one read per table."""
    n = atoms.n_accounts
    is_customer = atoms.account_status == CUSTOMER
    is_partner = atoms.account_status == PARTNER
    opp = _frame(project, "SELECT account_id, stage, amount, is_open, close_date FROM opportunity")
    stage = opp["stage"].fillna("").to_numpy(object)
    opp_open = opp["is_open"].fillna(False).to_numpy(bool)
    codes, stages = pd.factorize(pd.Series(stage, dtype=object))
    won_stage = np.array([is_won_stage(str(k)) for k in stages], dtype=bool)
    won = ~opp_open & (won_stage[codes] if len(stages) else np.zeros(len(stage), dtype=bool))
    opp_pos = _positions(atoms, opp["account_id"].to_numpy(np.int64))
    close = _days(opp["close_date"])
    via_sql = "CASE WHEN partner_id IS NULL THEN 0 ELSE 1 END AS via"  # ints, not NULLs
    book = _frame(
        project,
        f"SELECT account_id, amount, {via_sql}, {_day_sql(project, 'booked_on')} FROM actual",
    )
    from_crm = not len(book)
    if from_crm:
        b_acc, b_day = opp_pos[won], close[won]
        b_cents = np.round(opp["amount"].fillna(0.0).to_numpy(float)[won] * 100).astype(np.int64)
        via = np.zeros(len(b_acc), dtype=bool)
    else:
        b_acc = _positions(atoms, book["account_id"].to_numpy(np.int64))
        b_day = _days(book["day"])
        b_cents = book["amount"].to_numpy(np.int64)
        via = book["via"].to_numpy(bool)
    # bookings of known accounts, by day: a fiscal month is then a slice (results_columns)
    keep_b = (b_acc >= 0) & (b_day != NO_DAY)
    order = np.flatnonzero(keep_b)[np.argsort(b_day[keep_b], kind="stable")]
    b_acc, b_day, b_cents, via = b_acc[order], b_day[order], b_cents[order], via[order]
    act = _frame(project, f"SELECT account_id, type, {_day_sql(project, 'date')} FROM activity")
    codes, kinds = pd.factorize(act["type"].fillna(""))
    is_visit = np.array([any(w in cols.norm(k) for w in VISIT_WORDS) for k in kinds], dtype=bool)
    visit = is_visit[codes] if len(kinds) else np.zeros(len(act), dtype=bool)
    if not visit.any():
        visit = np.ones(len(act), dtype=bool)
    last = np.full(n, NO_DAY, dtype=np.int32)
    a_pos, a_day = _positions(atoms, act["account_id"].to_numpy(np.int64)), _days(act["day"])
    keep = visit & (a_pos >= 0) & (a_day != NO_DAY)
    np.maximum.at(last, a_pos[keep], a_day[keep])
    links = _frame(project, "SELECT partner_id, territory_id, account_id FROM partner_link")
    return Facts(
        is_customer,
        is_partner,
        b_acc,
        b_day,
        b_cents,
        via,
        from_crm,
        opp_pos,
        stage,
        opp["amount"].fillna(0.0).to_numpy(float),
        opp_open,
        won,
        close,
        last,
        _positions(atoms, links["partner_id"].to_numpy(np.int64)),
        links["territory_id"].fillna(-1).to_numpy(np.int64),
        _positions(atoms, links["account_id"].fillna(-1).to_numpy(np.int64)),
    )
