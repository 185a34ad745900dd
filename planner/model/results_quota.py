"""Quotas as results see them: the fiscal calendar and one read of a scenario's quota months.

This is the one place results (attainment, pacing, pipeline coverage) learn quotas: it reads
the ``quota_plan`` and ``quota`` tables directly (issue 16's schema), so the quota engine
(planner.model.quota) can later replace :func:`read_quotas` without anything else changing.

Fiscal calendar (the quota schema's): a fiscal year starts in calendar month ``start_month``
(``quota_plan.settings["start_month"]``, default 1) and is named by the calendar year it ends
in, so with ``start_month = 10`` October 2026 is fiscal month 1 of FY2027. Quota months are
fiscal months 1..12 in whole cents; the month split of a node's quota is its seasonality, which
is what pacing measures against (a node without quota rows has no target to pace).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select

from planner.model.schema import Quota, QuotaPlan
from planner.model.store import Project


@dataclass(frozen=True)
class FiscalCalendar:
    """Fiscal year arithmetic for one ``start_month`` (1 = calendar years)."""

    start_month: int = 1

    def year_of(self, day: dt.date) -> int:
        """The fiscal year ``day`` falls in (named by the calendar year it ends in)."""
        return day.year + 1 if self.start_month > 1 and day.month >= self.start_month else day.year

    def month_of(self, day: dt.date) -> int:
        """Fiscal month 1..12 of ``day``."""
        return (day.month - self.start_month) % 12 + 1

    def start(self, fiscal_year: int) -> dt.date:
        """First day of ``fiscal_year``."""
        year = fiscal_year - 1 if self.start_month > 1 else fiscal_year
        return dt.date(year, self.start_month, 1)

    def month_start(self, fiscal_year: int, month: int) -> dt.date:
        """First day of fiscal month ``month`` (1..12) of ``fiscal_year``."""
        first = self.start(fiscal_year)
        m = first.month - 1 + month - 1
        return dt.date(first.year + m // 12, m % 12 + 1, 1)

    def elapsed(self, fiscal_year: int, as_of: dt.date) -> NDArray[np.float64]:
        """Per fiscal month, the share of it elapsed on ``as_of`` (inclusive): 1 for past
        months, day/days-in-month for the current one, 0 after; pacing weighs quota by it."""
        out = np.zeros(12)
        for m in range(1, 13):
            first = self.month_start(fiscal_year, m)
            days = calendar.monthrange(first.year, first.month)[1]
            last = first.replace(day=days)
            if as_of >= last:
                out[m - 1] = 1.0
            elif as_of >= first:
                out[m - 1] = as_of.day / days
        return out


@dataclass(frozen=True)
class QuotaYear:
    """A scenario's quota for one fiscal year: node id -> cents per fiscal month (12)."""

    fiscal_year: int
    calendar: FiscalCalendar
    months: dict[int, NDArray[np.int64]] = field(default_factory=dict)

    def of(self, node_id: int) -> NDArray[np.int64] | None:
        return self.months.get(int(node_id))


def fiscal_calendar(project: Project, scenario_id: int) -> FiscalCalendar:
    """The scenario's fiscal calendar: the start month of its latest quota plan (default 1)."""
    with project.session() as s:
        settings = s.scalar(
            select(QuotaPlan.settings)
            .where(QuotaPlan.scenario_id == scenario_id)
            .order_by(QuotaPlan.fiscal_year.desc())
            .limit(1)
        )
    start = int((settings or {}).get("start_month", 1) or 1)
    return FiscalCalendar(start if 1 <= start <= 12 else 1)


def read_quotas(project: Project, scenario_id: int, fiscal_year: int) -> QuotaYear:
    """Every node's quota months of ``scenario_id`` for ``fiscal_year`` (nodes without rows are
    absent; months without a row count 0)."""
    cal = fiscal_calendar(project, scenario_id)
    with project.session() as s:
        plan = s.get(QuotaPlan, (scenario_id, fiscal_year))
        if plan is not None:
            start = int(plan.settings.get("start_month", 1) or 1)
            cal = FiscalCalendar(start if 1 <= start <= 12 else 1)
        rows = s.execute(
            select(Quota.node_id, Quota.month, Quota.amount).where(
                Quota.scenario_id == scenario_id, Quota.fiscal_year == fiscal_year
            )
        ).all()
    months: dict[int, NDArray[np.int64]] = {}
    for node, month, amount in rows:
        if 1 <= month <= 12:
            months.setdefault(int(node), np.zeros(12, dtype=np.int64))[month - 1] += int(amount)
    return QuotaYear(fiscal_year, cal, months)
