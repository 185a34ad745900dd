"""The demo's results data (issue 17): a year and more of bookings, partners, one written plan.

So a new user sees results and alerts on first open: bookings from January 2025 to the demo's
"today" for every customer, with a seasonal pattern (slow summer, strong Q4) and a few
territories clearly behind this year (every fifth territory books ~40 % less in 2026, so its
pace and growth stand out as soon as quotas exist); a handful of partner accounts linked to the
territory they sit in, through which ~10 % of that territory's sales go; and a filled-in plan
for the first territory (SWOT, SMART goals, focus accounts, review log).

Everything is drawn from the generator it is given (the demo spawns one for it), so the same
seed gives the same tables, and nothing drawn here shifts the rest of the demo.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

#: Share of a year's bookings per calendar month (sums to 1).
SEASON = np.array([0.06, 0.07, 0.09, 0.08, 0.08, 0.09, 0.06, 0.06, 0.09, 0.09, 0.10, 0.13])
BEHIND_EVERY = 5  # every fifth territory falls behind in 2026
BEHIND_FACTOR = 0.6


def write_results_demo(
    insert: Callable[[str, str, Any], None],
    rng: np.random.Generator,
    acc: dict[str, NDArray[Any]],
    acc_terr: NDArray[np.int64],
    anchor: dt.date,
    sqlite: bool,
) -> None:
    """Write bookings, partner links and one plan through ``insert(table, cols, rows)``."""
    months = [(y, m) for y in (anchor.year - 1, anchor.year) for m in range(1, 13)
              if (y, m) < (anchor.year, anchor.month)]  # fmt: skip
    customers = np.flatnonzero(acc["status"] == "customer")
    partners = np.flatnonzero(acc["status"] == "partner")
    # partners: up to 8, each linked to the territory it sits in
    linked = partners[: min(8, len(partners))]
    partner_of_terr = {int(acc_terr[p]): int(p) for p in linked}
    insert("partner_link", "id partner_id territory_id account_id note",
           [(k + 1, int(p) + 1, int(acc_terr[p]) + 1, None, "reseller for the territory")
            for k, p in enumerate(linked)])  # fmt: skip
    rows: list[tuple[Any, ...]] = []
    yearly = np.maximum(acc["revenue"][customers], 0.0)
    partner_lut = np.full(int(acc_terr.max(initial=0)) + 1, -1, dtype=np.int64)
    for t, p in partner_of_terr.items():
        partner_lut[t] = p
    for y, m in months:
        share = SEASON[m - 1]
        behind = (acc_terr[customers] % BEHIND_EVERY == 0) & (y == anchor.year)
        expect = yearly * share * np.where(behind, BEHIND_FACTOR, 1.0)
        # most months an account books nothing: a deal is ~2.5 months of its revenue
        deal = rng.random(len(customers)) < 0.4
        amount = np.round(expect / 0.4 * rng.uniform(0.6, 1.4, len(customers)), 2)
        day = rng.integers(1, 29, len(customers))
        sel = np.flatnonzero(deal & (amount > 0))  # vectorised: ~500k rows at 100k accounts
        a = customers[sel]
        via = np.where(rng.random(len(sel)) < 0.1, partner_lut[acc_terr[a]], -1)
        days = [dt.date(y, m, int(d)) for d in range(1, 29)]
        when = [days[d - 1].isoformat() if sqlite else days[d - 1] for d in day[sel].tolist()]
        keys = range(len(rows) + 1, len(rows) + len(sel) + 1)
        rows += zip(
            keys, [f"demo:{k}" for k in keys], (a + 1).tolist(), when,
            [y * 100 + m] * len(sel), np.round(amount[sel] * 100).astype(np.int64).tolist(),
            [""] * len(sel), [None if v < 0 else v + 1 for v in via.tolist()], strict=True,
        )  # fmt: skip
    insert("actual", "id booking_key account_id booked_on period amount product partner_id", rows)
    first = np.flatnonzero(acc_terr == 0)
    top = first[np.argsort(-acc["potential"][first])[:3]]
    content = _plan(top, acc, [int(p) + 1 for p in linked if acc_terr[p] == 0], anchor)
    insert("plan_doc", "id territory_id revision at user label content",
           [(1, 1, 1, dt.datetime(anchor.year, anchor.month, 1, 9, tzinfo=dt.UTC).isoformat()
             if sqlite else dt.datetime(anchor.year, anchor.month, 1, 9, tzinfo=dt.UTC),
             "demo", "first plan", json.dumps(content, ensure_ascii=False))])  # fmt: skip


def _plan(top: NDArray[np.int64], acc: dict[str, NDArray[Any]], partners: list[int],
          anchor: dt.date) -> dict[str, Any]:  # fmt: skip
    year = anchor.year
    return {
        "swot": {
            "strengths": ["Long-standing relationships with the three largest customers",
                          "Rep lives in the territory's biggest city: short drives"],
            "weaknesses": ["Few visits to mid-size accounts outside the metro area",
                           "Pipeline thin for Q1"],
            "opportunities": ["Healthcare accounts growing fast in the north of the territory",
                              "Partner reseller covers the rural counties"],
            "threats": ["A competitor opened a branch office nearby",
                        "Two key contacts changed jobs this year"],
        },
        "goals": [
            {"description": f"Book the year's quota by 31 December {year}",
             "metric": "bookings", "target": float(np.round(acc["revenue"][top].sum() * 3, -3)),
             "due": f"{year}-12-31", "owner": "Territory rep"},
            {"description": "Visit every A-tier account each quarter", "metric": "coverage",
             "target": 0.8, "due": f"{year}-12-31", "owner": "Territory rep"},
            {"description": "Win five new customers", "metric": "new_customers", "target": 5,
             "due": f"{year + 1}-03-31", "owner": "Territory rep"},
        ],
        "strategy": {
            "focus": [{"account_id": int(a) + 1, "reason": r} for a, r in zip(
                top, ("Largest potential; renewal due", "Expansion into a second site",
                      "New buyer: rebuild the relationship"), strict=False)],
            "visit_frequency": {"A": 12, "B": 6, "C": 2},
            "partners": partners,
            "notes": "Use the partner for C-tier accounts beyond a two-hour drive.",
        },
        "review": [
            {"date": f"{year}-07-01", "happened": "Q2 closed at 92 % of plan; one large deal "
             "slipped to Q3.", "changes": "Weekly pipeline review with the district manager."},
            {"date": f"{year}-10-01", "happened": "Q3 on plan; the slipped deal closed.",
             "changes": "Focus Q4 visits on A-tier renewals."},
        ],
    }  # fmt: skip
