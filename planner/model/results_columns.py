"""Per-account additive columns: the building blocks every result is a ratio of.

Results per territory, rep, district or region are sums over accounts (then ratios of sums,
never averages of ratios), so the facts are first reduced to one row of additive numbers per
account for a fiscal year and an as-of date. A scenario change then only re-sums the accounts
that changed territory (:mod:`planner.model.results`).

Definitions (README "Results"):

- *bookings to date*: bookings of the fiscal year dated on or before the as-of date, per
  fiscal month ``m1..m12`` (cents); ``p1..p12`` the previous fiscal year's months and
  ``prior_ytd`` the previous year up to the same day (for year-over-year growth);
- *partner bookings*: bookings that went through a partner (their ``partner`` column) or were
  booked by a partner account; they are part of bookings and also shown on their own;
- *won/lost*: opportunities closed in the fiscal year up to the as-of date, won when their
  stage says so (Closed Won, 赢单...); *win rate* = won / (won + lost) by count;
- *funnel*: the open opportunities at their stage plus those won this year; the conversion
  from a stage to the next is the share of opportunities that reached the next stage among
  those that reached this one (an opportunity at a later stage passed every earlier one);
  lost opportunities are left out because an export does not say where they dropped;
- *new customers*: accounts with bookings this year to date and none the year before;
- *customers*: accounts with status customer; *visited*: a visit in the last ``visit_days``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from planner.model.atoms import COL, AtomData
from planner.model.io import _columns as cols
from planner.model.results_data import NO_DAY, Facts, day_number
from planner.model.results_quota import FiscalCalendar

MONTHS = tuple(f"m{i}" for i in range(1, 13))
PRIOR = tuple(f"p{i}" for i in range(1, 13))
BASE = (
    "accounts",
    "customers",
    "potential",
    "customer_potential",
    "visited",
    "visited_potential",
    "pipeline",
    "won",
    "lost",
    "won_amount",
    "partner_bookings",
    "prior_ytd",
    "new_customers",
    *MONTHS,
    *PRIOR,
)
#: Usual stage orders of Salesforce, Dynamics and HubSpot (normalised); others sort after them
#: by name, and won stages last.
STAGE_ORDER = (
    "prospecting",
    "lead",
    "appointmentscheduled",
    "qualification",
    "qualify",
    "qualified",
    "needsanalysis",
    "develop",
    "valueproposition",
    "iddecisionmakers",
    "perceptionanalysis",
    "presentationscheduled",
    "decisionmakerboughtin",
    "propose",
    "proposal",
    "proposalpricequote",
    "contractsent",
    "negotiationreview",
    "negotiation",
    "close",
    "初步接洽",
    "需求确认",
    "方案报价",
    "商务谈判",
)


@dataclass(frozen=True, eq=False)
class AccountColumns:
    """(n_accounts x columns) additive values in cents or counts, and what the columns are."""

    matrix: NDArray[np.float64]
    names: tuple[str, ...]
    stages: tuple[str, ...]  # funnel stages in order (display names)
    #: bookings of partner accounts that serve territories: partner position -> cents per
    #: column (distributed over the territories they serve, not where the partner sits)
    partner_rows: dict[int, NDArray[np.float64]]
    fiscal_year: int
    as_of: dt.date

    def col(self, name: str) -> int:
        return self.names.index(name)


def stage_key(stage: str) -> tuple[int, str]:
    key = cols.norm(stage)
    return (STAGE_ORDER.index(key), key) if key in STAGE_ORDER else (len(STAGE_ORDER), key)


def build_columns(
    facts: Facts,
    atoms: AtomData,
    cal: FiscalCalendar,
    fiscal_year: int,
    as_of: dt.date,
    *,
    visit_days: int = 90,
) -> AccountColumns:
    """The per-account columns for ``fiscal_year`` as known on ``as_of``."""
    n = atoms.n_accounts
    f = facts
    today = day_number(as_of)
    start, prior_start = day_number(cal.start(fiscal_year)), day_number(cal.start(fiscal_year - 1))
    prior_as_of = day_number(_year_before(as_of))
    stages = _stages(f)
    names = (*BASE, *(f"n:{s}" for s in stages), *(f"v:{s}" for s in stages))
    # column-major: every step below fills or adds to whole columns (contiguous this way)
    m = np.zeros((n, len(names)), order="F")
    c = {name: i for i, name in enumerate(names)}
    pot = atoms.account_matrix[:, COL["potential"]]
    m[:, c["accounts"]] = 1.0
    _put(m, c["customers"], f.is_customer)
    _put(m, c["potential"], pot)
    _put(m, c["customer_potential"], np.where(f.is_customer, pot, 0.0))
    visited = (
        (f.last_visit != NO_DAY) & (f.last_visit > today - visit_days) & (f.last_visit <= today)
    )
    _put(m, c["visited"], visited)
    _put(m, c["visited_potential"], np.where(visited, pot, 0.0))
    # bookings (sorted by day): each fiscal month is a slice, summed per account by bincount
    acc, day, cents = f.book_account, f.book_day, f.book_cents
    for prefix, year, last in (("m", fiscal_year, today), ("p", fiscal_year - 1, None)):
        bounds = [day_number(cal.month_start(year, k)) for k in range(1, 13)]
        bounds.append(day_number(cal.start(year + 1)))
        cut = np.searchsorted(day, np.asarray(bounds, dtype=day.dtype), side="left")
        if last is not None:  # this year: nothing after the as-of day
            cut = np.minimum(cut, np.searchsorted(day, day.dtype.type(last), side="right"))
        for k in range(12):
            lo, hi = int(cut[k]), int(cut[k + 1])
            if hi > lo:
                _put(
                    m,
                    c[f"{prefix}{k + 1}"],
                    np.bincount(acc[lo:hi], weights=cents[lo:hi].astype(np.float64), minlength=n),
                )
    t = day.dtype.type  # search with the array's own type: no copy of millions of days
    lo, hi = (
        int(np.searchsorted(day, t(prior_start))),
        int(np.searchsorted(day, t(prior_as_of), "right")),
    )
    _put(
        m,
        c["prior_ytd"],
        np.bincount(acc[lo:hi], weights=cents[lo:hi].astype(np.float64), minlength=n),
    )
    month_cols = [c[k] for k in MONTHS]
    prior_cols = [c[k] for k in PRIOR]
    booked, booked_before = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    for col in month_cols if len(acc) else ():  # no bookings: 24 passes over nothing
        booked |= m[:, col] != 0
    for col in prior_cols if len(acc) else ():
        booked_before |= m[:, col] != 0
    _put(m, c["new_customers"], booked & ~booked_before)
    lo = int(np.searchsorted(day, t(start)))
    hi = int(np.searchsorted(day, t(today), side="right"))
    if f.book_via_partner.any() or f.is_partner.any():
        via = f.book_via_partner[lo:hi] | f.is_partner[acc[lo:hi]]
        _put(
            m,
            c["partner_bookings"],
            np.bincount(acc[lo:hi][via], weights=cents[lo:hi][via].astype(np.float64), minlength=n),
        )
    # opportunities
    o = f.opp_account >= 0
    closed_now = o & ~f.opp_open & (f.opp_close_day >= start) & (f.opp_close_day <= today)
    won, lost = closed_now & f.opp_won, closed_now & ~f.opp_won
    cents_o = f.opp_amount * 100
    np.add.at(m[:, c["pipeline"]], f.opp_account[o & f.opp_open], cents_o[o & f.opp_open])
    np.add.at(m[:, c["won"]], f.opp_account[won], 1.0)
    np.add.at(m[:, c["lost"]], f.opp_account[lost], 1.0)
    np.add.at(m[:, c["won_amount"]], f.opp_account[won], cents_o[won])
    in_funnel = (o & f.opp_open) | won
    index = {s: i for i, s in enumerate(stages)}
    codes, kinds = pd.factorize(pd.Series(f.opp_stage, dtype=object))
    by_kind = np.array([index.get(_stage_name(k, False), -1) for k in kinds] + [-1])
    st = np.where(f.opp_won, index.get("Closed Won", -1), by_kind[codes]).astype(np.int64)
    sel = in_funnel & (st >= 0)
    _add(
        m,
        f.opp_account[sel],
        c[f"n:{stages[0]}"] + st[sel] if stages else st[sel],
        np.ones(int(sel.sum())),
    )
    if stages:
        _add(m, f.opp_account[sel], c[f"v:{stages[0]}"] + st[sel], cents_o[sel])
    partner_rows = _partner_rows(m, f, names)
    return AccountColumns(m, names, stages, partner_rows, fiscal_year, as_of)


def _put(m: NDArray[np.float64], col: int, values: Any) -> None:
    """``m[:, col] = values``, unless every value is 0: the matrix starts as untouched zero
    pages (``np.zeros``), and a column never written costs no memory (at 10M accounts each
    column written is 80 MB, and a project without visits, bookings or partners has many)."""
    if np.any(values):
        m[:, col] = values


def _add(
    m: NDArray[np.float64],
    rows: NDArray[np.int64],
    columns: NDArray[np.int64],
    values: NDArray[np.float64],
) -> None:
    """m[rows, columns] += values with repeats: one bincount per column present (np.add.at
    over millions of rows would take seconds)."""
    n = m.shape[0]
    for col in np.unique(columns):
        sel = columns == col
        if sel.any():
            m[:, col] += np.bincount(rows[sel], weights=values[sel], minlength=n)


def _year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _stage_name(stage: str, won: bool) -> str:
    return "Closed Won" if won else (str(stage).strip() or "(no stage)")


def _stages(f: Facts) -> tuple[str, ...]:
    """Funnel stages present in the data, in pipeline order, Closed Won last."""
    names = {
        _stage_name(s, False) for s in pd.unique(pd.Series(f.opp_stage[f.opp_open], dtype=object))
    }
    ordered = sorted(names, key=stage_key)
    return (*ordered, "Closed Won") if f.opp_won.any() else tuple(ordered)


def _partner_rows(
    m: NDArray[np.float64], f: Facts, names: tuple[str, ...]
) -> dict[int, NDArray[np.float64]]:
    """Take the bookings of linked partner accounts out of their own rows (they count in the
    territories the partner serves, see :func:`planner.model.results.partner_share`)."""
    cols_ = [names.index(k) for k in ("partner_bookings", "prior_ytd", *MONTHS, *PRIOR)]
    out: dict[int, NDArray[np.float64]] = {}
    for p in np.unique(f.link_partner[f.link_partner >= 0]):
        row = np.zeros(len(names))
        row[cols_] = m[p, cols_]
        m[p, cols_] = 0.0
        out[int(p)] = row
    return out
