"""Result measures of any group of accounts, from its additive sums (vectorised over groups).

Every measure is a ratio of sums (README "Results"), so territories, reps, districts, regions
and the whole plan are all measured by the one function :func:`measures`:

- ``attainment`` = bookings to date / the year's quota;
- ``expected`` = the quota of the elapsed part of the year, month by month (the quota's own
  month split is the seasonality; the current month counts by its elapsed days);
  ``pace_delta`` = bookings - expected (money), ``pace_pct`` = bookings / expected - 1;
- ``yoy_growth`` = bookings to date / last year's bookings to the same day - 1;
- ``win_rate`` = won / (won + lost); ``avg_deal`` = won amount / won;
- ``pipeline_coverage`` = open pipeline / remaining quota (quota - bookings; none when the
  quota is met);
- ``penetration`` = customers / accounts; ``potential_won`` = potential of customers / potential;
- ``coverage`` = visited accounts / accounts, ``coverage_potential`` the same weighted by
  potential.

Undefined ratios (nothing to divide by) are ``None``: a territory without quota has no
attainment rather than an attainment of 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from planner.model.results_columns import MONTHS, PRIOR

Sums = dict[str, NDArray[np.float64]]


def _ratio(num: NDArray[np.float64], den: NDArray[np.float64]) -> list[float | None]:
    with np.errstate(invalid="ignore", divide="ignore"):
        r = num / den
    return [float(x) if d > 0 and np.isfinite(x) else None for x, d in zip(r, den, strict=True)]


def measures(
    sums: Sums,
    quota: NDArray[np.float64],
    has_quota: NDArray[np.bool_],
    elapsed: NDArray[np.float64],
    stages: tuple[str, ...],
) -> list[dict[str, Any]]:
    """One dict per group. ``sums``: column -> cents or counts per group; ``quota``: (groups,
    12) cents per fiscal month; ``elapsed``: share of each fiscal month elapsed."""
    months = np.column_stack([sums[m] for m in MONTHS]) / 100
    prior = np.column_stack([sums[p] for p in PRIOR]) / 100
    q = quota / 100
    bookings = months.sum(axis=1)
    year_quota = np.where(has_quota, q.sum(axis=1), 0.0)
    expected = np.where(has_quota, (q * elapsed).sum(axis=1), 0.0)
    remaining = np.maximum(year_quota - bookings, 0.0)
    pipeline = sums["pipeline"] / 100
    won, lost = sums["won"], sums["lost"]
    out: dict[str, list[Any]] = {
        "bookings": bookings.tolist(),
        "partner_bookings": (sums["partner_bookings"] / 100).tolist(),
        "quota": [float(v) if h else None for v, h in zip(year_quota, has_quota, strict=True)],
        "attainment": _ratio(bookings, year_quota),
        "expected": [float(v) if h else None for v, h in zip(expected, has_quota, strict=True)],
        "pace_delta": [
            float(b - e) if h else None
            for b, e, h in zip(bookings, expected, has_quota, strict=True)
        ],
        "pace_pct": [None if r is None else r - 1 for r in _ratio(bookings, expected)],
        "prior_ytd": (sums["prior_ytd"] / 100).tolist(),
        "yoy_growth": [
            None if r is None else r - 1 for r in _ratio(bookings, sums["prior_ytd"] / 100)
        ],
        "won": won.astype(int).tolist(),
        "lost": lost.astype(int).tolist(),
        "win_rate": _ratio(won, won + lost),
        "avg_deal": _ratio(sums["won_amount"] / 100, won),
        "pipeline": pipeline.tolist(),
        "remaining_quota": [
            float(v) if h else None for v, h in zip(remaining, has_quota, strict=True)
        ],
        "pipeline_coverage": _ratio(pipeline, np.where(has_quota, remaining, 0.0)),
        "accounts": sums["accounts"].astype(int).tolist(),
        "customers": sums["customers"].astype(int).tolist(),
        "new_customers": sums["new_customers"].astype(int).tolist(),
        "penetration": _ratio(sums["customers"], sums["accounts"]),
        "potential": sums["potential"].tolist(),
        "potential_won": _ratio(sums["customer_potential"], sums["potential"]),
        "visited": sums["visited"].astype(int).tolist(),
        "coverage": _ratio(sums["visited"], sums["accounts"]),
        "coverage_potential": _ratio(sums["visited_potential"], sums["potential"]),
        "months": months.tolist(),
        "quota_months": [r if h else None for r, h in zip(q.tolist(), has_quota, strict=True)],
        "prior_months": prior.tolist(),
        "funnel": _funnel(sums, stages),
    }
    n = len(bookings)
    return [{k: v[i] for k, v in out.items()} for i in range(n)]


def _funnel(sums: Sums, stages: tuple[str, ...]) -> list[list[dict[str, Any]]]:
    """Per group: each stage's count, value, and conversion to the next stage."""
    if not stages:
        return [[] for _ in sums["accounts"]]
    counts = np.column_stack([sums[f"n:{s}"] for s in stages])
    values = np.column_stack([sums[f"v:{s}"] for s in stages]) / 100
    reached = np.cumsum(counts[:, ::-1], axis=1)[:, ::-1]  # at this stage or later
    out = []
    for g in range(counts.shape[0]):
        rows = []
        for k, s in enumerate(stages):
            conv = None
            if k + 1 < len(stages) and reached[g, k] > 0:
                conv = float(reached[g, k + 1] / reached[g, k])
            rows.append(
                {
                    "stage": s,
                    "count": int(counts[g, k]),
                    "value": float(values[g, k]),
                    "conversion": conv,
                }
            )
        out.append(rows)
    return out
