"""A small project with hand-made bookings, opportunities, visits and quotas (results tests).

The grid project (3 territories T1..T3 of 40 accounts) with its opportunities and activities
replaced by a handful whose results are computed by hand in the tests. As of 2026-04-15,
fiscal year 2026 (calendar year):

T1 (Rep 1): quota 1,000 a month except April 3,000 (14,000); expected on 15 April =
3 x 1,000 + 3,000 x 15/30 = 4,500. Bookings: a1 1,500 (Jan) + 1,000 (Feb), a2 500 (Mar) =
3,000 (a2's 999 on 20 April is after the as-of day); last year to 15 April: a1 2,000 (its
700 in June does not count). Opportunities: won a1 400 (Feb), a2 600 (Mar); lost a1 100 (Mar);
won in 2025 and lost after the as-of day: not this year; open: a1 Prospecting 1,000, a2
Qualification 2,000, a2 Proposal/Price Quote 3,000. Visits: a1 on 1 March (in the last 90
days), a2 on 1 December (not).

T2 (Rep 2): quota 100 a month; bookings 400 (b1, Feb): ahead of its 350 expected; open
Prospecting 2,000 (coverage 2,000 / 800 = 2.5).

T3: no quota, no bookings.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import delete

from planner.model.plan import Plan
from planner.model.schema import Activity, Actual, Opportunity, Quota, QuotaPlan
from planner.model.store import Project
from planner.model.synthetic import grid_project

AS_OF = dt.date(2026, 4, 15)
D = dt.date


def first_accounts(plan: Plan, territory: str, n: int) -> list[int]:
    """Ids of the first ``n`` accounts of a territory (by id), from the alignment."""
    a = plan.atoms
    t = list(a.territory_names).index(territory)
    idx = np.flatnonzero(plan.account_territories() == t)[:n]
    return [int(a.account_ids[i]) for i in idx]


def build(path: Path) -> tuple[Project, dict[str, Any]]:
    p = grid_project(path)
    plan = Plan.load(p)
    a1, a2 = first_accounts(plan, "T1", 2)
    (b1,) = first_accounts(plan, "T2", 1)
    tid = {str(n): int(t) for t, n in zip(plan.atoms.territory_ids, plan.atoms.territory_names,
                                          strict=True)}  # fmt: skip
    sid = plan.scenario_id
    with p.transaction() as s:
        s.execute(delete(Opportunity))
        s.execute(delete(Activity))
        for i, (acc, day, amount) in enumerate([
            (a1, D(2026, 1, 10), 1500), (a1, D(2026, 2, 2), 1000), (a2, D(2026, 3, 3), 500),
            (a2, D(2026, 4, 20), 999), (a1, D(2025, 2, 1), 2000), (a1, D(2025, 6, 1), 700),
            (b1, D(2026, 2, 5), 400),
        ]):  # fmt: skip
            s.add(Actual(booking_key=f"k{i}", account_id=acc, booked_on=day,
                         period=day.year * 100 + day.month, amount=amount * 100))  # fmt: skip
        for acc, stage, amount, is_open, close in [
            (a1, "Closed Won", 400, False, D(2026, 2, 1)),
            (a1, "Closed Lost", 100, False, D(2026, 3, 1)),
            (a1, "Closed Won", 250, False, D(2025, 12, 1)),
            (a2, "Closed Won", 600, False, D(2026, 3, 10)),
            (a2, "Closed Lost", 50, False, D(2026, 4, 20)),
            (a1, "Prospecting", 1000, True, D(2026, 6, 1)),
            (a2, "Qualification", 2000, True, D(2026, 6, 1)),
            (a2, "Proposal/Price Quote", 3000, True, D(2026, 6, 1)),
            (b1, "Prospecting", 2000, True, D(2026, 6, 1)),
        ]:
            s.add(Opportunity(account_id=acc, stage=stage, amount=amount, is_open=is_open,
                              close_date=close))  # fmt: skip
        s.add(Activity(account_id=a1, type="Visit", date=D(2026, 3, 1)))
        s.add(Activity(account_id=a2, type="Visit", date=D(2025, 12, 1)))
        s.add(QuotaPlan(scenario_id=sid, fiscal_year=2026, settings={"start_month": 1}))
        for m in range(1, 13):
            s.add(Quota(scenario_id=sid, fiscal_year=2026, node_id=tid["T1"], month=m,
                        amount=(3000 if m == 4 else 1000) * 100))  # fmt: skip
            s.add(Quota(scenario_id=sid, fiscal_year=2026, node_id=tid["T2"], month=m,
                        amount=100 * 100))  # fmt: skip
    return p, {"a1": a1, "a2": a2, "b1": b1, "tid": tid, "sid": sid}
