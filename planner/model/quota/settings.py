"""A quota plan's settings: how it was allocated and how it is judged.

Stored as JSON in ``quota_plan.settings``; :func:`normalise` fills defaults and checks each
field, naming it in the error, so a hand-edited or imported plan cannot carry nonsense.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from planner.model.errors import PlannerError
from planner.model.quota.allocation import Guardrails, format_basis, parse_basis

#: Difficulty bands: (upper bound of the difficulty index, suggested multiplier); the last band
#: has no bound. A harder territory (quota high for its market and history) earns a better rate.
DEFAULT_BANDS: list[list[float | None]] = [[0.8, 0.9], [1.2, 1.0], [1.5, 1.1], [None, 1.25]]

DEFAULTS: dict[str, Any] = {
    "start_month": 1,  # calendar month the fiscal year starts in
    "basis": "potential:0.5,revenue:0.5",
    "min_growth": None,
    "max_growth": None,
    "seasonality": "flat",  # "flat", "opportunities" or 12 weights
    "follow": True,  # quota follows moved accounts
    "flag_threshold": 0.2,  # difficulty flagged beyond 1 +- this
    "bands": DEFAULT_BANDS,
    "total": None,  # cents, of the last top-down allocation
}

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def normalise(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    """Defaults filled in and every field checked (PlannerError naming the field)."""
    out = {**DEFAULTS, **dict(settings or {})}
    start = out["start_month"]
    if not isinstance(start, int) or not 1 <= start <= 12:
        raise PlannerError(f"start_month must be a month number 1-12, not {start!r}")
    out["basis"] = format_basis(parse_basis(str(out["basis"])))
    Guardrails(_num(out, "min_growth"), _num(out, "max_growth"))
    season = out["seasonality"]
    if isinstance(season, list):
        if len(season) != 12 or any(not isinstance(v, int | float) or v < 0 for v in season):
            raise PlannerError("seasonality must be 12 numbers of zero or more, one per month")
        if sum(season) <= 0:
            raise PlannerError("seasonality: the 12 month weights must add up to a positive number")
    elif season not in ("flat", "opportunities"):
        raise PlannerError(f"seasonality must be flat, opportunities or 12 weights, not {season!r}")
    thr = _num(out, "flag_threshold")
    if thr is None or thr < 0:
        raise PlannerError("flag_threshold must be a number of zero or more")
    bands = out["bands"]
    if not isinstance(bands, list) or not bands or bands[-1][0] is not None:
        raise PlannerError("bands must be a list of [upper bound, multiplier], the last unbounded")
    return out


def guardrails(settings: Mapping[str, Any]) -> Guardrails:
    return Guardrails(settings.get("min_growth"), settings.get("max_growth"))


def fiscal_months(year: int, start_month: int) -> list[tuple[int, int]]:
    """(calendar year, month) of fiscal months 1..12. A fiscal year is named by the calendar
    year it ends in: FY2027 starting in April runs from April 2026 to March 2027."""
    first_year = year if start_month == 1 else year - 1
    return [
        (first_year + (start_month - 1 + i) // 12, (start_month - 1 + i) % 12 + 1)
        for i in range(12)
    ]


def month_labels(year: int, start_month: int) -> list[str]:
    return [f"{MONTHS[m - 1]} {y}" for y, m in fiscal_months(year, start_month)]


def _num(out: dict[str, Any], key: str) -> float | None:
    v = out.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise PlannerError(f"{key} must be a number, not {v!r}")
    return float(v)
