"""Quota allocation arithmetic: shares, guardrails and exact rounding to the cent (pure numpy).

A total is split over territories in proportion to a *basis*: a weighted blend of normalised
shares of last year's revenue, potential, open pipeline and an even split
(``potential:0.5,revenue:0.5``). Blending normalised shares (not raw values) keeps the weights
meaning what a manager reads: "half by market size, half by history", whatever the units.

Guardrails bound each territory's quota by its growth over last year's revenue,
``rev * (1 + min_growth) <= q <= rev * (1 + max_growth)``. The bounded split is the
*water-filling* solution: one factor ``lam`` with ``q_i = clip(lam * share_i, lo_i, hi_i)`` and
``sum q_i = total``; what a bound clips is thereby redistributed over the others in proportion
to their shares, never by a second arbitrary pass. A territory without revenue has no growth to
bound: the guardrails do not apply to it, and the report says so.

Rounding rule (stated, tested): amounts are whole cents. Each territory gets the floor of its
exact share (kept inside its bounds, rounded inward: ``ceil(lo)``, ``floor(hi)``); the cents left
go one each to the largest fractional remainders, ties to the earlier territory in the order
given (territory order of the plan). The result sums exactly to the total and never crosses a
guardrail.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from planner.model.errors import PlannerError

#: What a basis may blend: the balance metric each draws its shares from ("even": 1 each).
BASIS_KINDS = ("even", "revenue", "potential", "pipeline")


def parse_basis(text: str) -> dict[str, float]:
    """``potential:0.5,revenue:0.5`` (a bare name weighs 1) -> weights; errors name the field."""
    weights: dict[str, float] = {}
    for part in (p.strip() for p in str(text).split(",")):
        if not part:
            continue
        name, _, raw = part.partition(":")
        name = name.strip().lower()
        if name not in BASIS_KINDS:
            raise PlannerError(
                f"basis: unknown measure '{name}' (use {', '.join(BASIS_KINDS)}, e.g. "
                "potential:0.5,revenue:0.5)"
            )
        try:
            w = float(raw) if raw.strip() else 1.0
        except ValueError:
            raise PlannerError(f"basis: the weight of '{name}' is not a number: '{raw}'") from None
        if not np.isfinite(w) or w < 0:
            raise PlannerError(f"basis: the weight of '{name}' must be zero or more, not {raw}")
        weights[name] = weights.get(name, 0.0) + w
    if sum(weights.values()) <= 0:
        raise PlannerError("basis: the weights must add up to a positive number")
    return weights


def format_basis(weights: Mapping[str, float]) -> str:
    return ",".join(f"{k}:{v:g}" for k, v in weights.items())


def blend(
    values: Mapping[str, NDArray[np.float64]], weights: Mapping[str, float]
) -> NDArray[np.float64]:
    """Each territory's share of the blend (sums to 1 unless every used measure is zero).

    A measure whose total is zero (no pipeline imported) contributes nothing and its weight is
    spread over the others, so a blend never silently turns into zeros.
    """
    n = len(next(iter(values.values()))) if values else 0
    out = np.zeros(n)
    used = 0.0
    for kind, w in weights.items():
        v = np.ones(n) if kind == "even" else np.maximum(np.asarray(values[kind], float), 0.0)
        total = float(v.sum())
        if w <= 0 or total <= 0:
            continue
        out += w * v / total
        used += w
    return out / used if used > 0 else out


@dataclass(frozen=True)
class Guardrails:
    """Bounds on growth over last year's revenue (0.05 = +5 %); None: no bound that side."""

    min_growth: float | None = None
    max_growth: float | None = None

    def __post_init__(self) -> None:
        lo, hi = self.min_growth, self.max_growth
        for name, v in (("min growth", lo), ("max growth", hi)):
            if v is not None and (not np.isfinite(v) or v < -1):
                raise PlannerError(f"{name} must be a number of at least -1 (-100 %), not {v}")
        if lo is not None and hi is not None and lo > hi:
            raise PlannerError(f"min growth ({lo:+.0%}) is above max growth ({hi:+.0%})")

    @property
    def active(self) -> bool:
        return self.min_growth is not None or self.max_growth is not None

    def bounds(
        self, revenue_cents: NDArray[np.float64]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Integer bounds in cents (rounded inward); no revenue: 0 .. unbounded."""
        rev = np.asarray(revenue_cents, dtype=np.float64)
        has = rev > 0
        big = np.iinfo(np.int64).max // 4
        lo = np.zeros(len(rev), dtype=np.int64)
        hi = np.full(len(rev), big, dtype=np.int64)
        if self.min_growth is not None:
            lo[has] = np.ceil(rev[has] * (1 + self.min_growth) - 1e-6).astype(np.int64)
        if self.max_growth is not None:
            hi[has] = np.floor(rev[has] * (1 + self.max_growth) + 1e-6).astype(np.int64)
        return lo, np.maximum(hi, lo)


@dataclass
class Split:
    """The result of one bounded split: cents per item, and what the guardrails did."""

    amounts: NDArray[np.int64]
    #: Items held at their lower / upper bound (the others share what these gave or took).
    at_min: list[int] = field(default_factory=list)
    at_max: list[int] = field(default_factory=list)
    #: Per item: bounded amount minus the unbounded proportional amount (cents, + = raised).
    clipped: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))


def split(
    total: int,
    shares: NDArray[np.float64],
    lo: NDArray[np.int64] | None = None,
    hi: NDArray[np.int64] | None = None,
    *,
    what: str = "the total",
) -> Split:
    """``total`` cents split in proportion to ``shares`` within ``[lo, hi]`` (water-filling),
    rounded by largest remainder (module docstring). Raises PlannerError when the bounds cannot
    be met (their sums exclude the total) or when nothing has a share."""
    total = int(total)
    if total < 0:
        raise PlannerError(f"{what}: a quota total cannot be negative ({total / 100:,.2f})")
    s = np.maximum(np.asarray(shares, dtype=np.float64), 0.0)
    n = len(s)
    big = np.iinfo(np.int64).max // 4
    lo = np.zeros(n, np.int64) if lo is None else np.asarray(lo, np.int64)
    hi = np.full(n, big, np.int64) if hi is None else np.asarray(hi, np.int64)
    if n == 0:
        if total:
            raise PlannerError(f"{what}: there is no territory to give {total / 100:,.2f} to")
        return Split(np.zeros(0, np.int64))
    if int(lo.sum()) > total:
        raise PlannerError(
            f"{what}: the guardrails' minimum growth needs {lo.sum() / 100:,.2f}, more than the "
            f"total {total / 100:,.2f}; lower the minimum growth or raise the total"
        )
    if _cap(hi) < total:
        raise PlannerError(
            f"{what}: the guardrails' maximum growth allows {hi.sum() / 100:,.2f}, less than the "
            f"total {total / 100:,.2f}; raise the maximum growth or lower the total"
        )
    # Items without a share take their minimum and the rest is shared by those with one; if
    # nothing has a share, an even split stands in (better than refusing an all-zero basis).
    if s.sum() <= 0:
        s = np.ones(n)
    free = s > 0
    unbounded = float(total) * s / s.sum()
    if _cap(hi[free]) + int(lo[~free].sum()) < total:
        # Everything with a share is at its maximum: the rest goes evenly to the others.
        amounts = lo.copy()
        amounts[free] = hi[free]
        rest = split(total - int(amounts.sum()) + int(lo[~free].sum()), np.ones(int((~free).sum())),
                     lo[~free], hi[~free], what=what)  # fmt: skip
        amounts[~free] = rest.amounts
        return Split(amounts, at_max=[int(i) for i in np.flatnonzero(free)],
                     clipped=amounts - unbounded)  # fmt: skip
    lam = _water_level(float(total), s, lo.astype(float), hi.astype(float))
    exact = np.clip(lam * s, lo, hi)
    exact[~free] = lo[~free]
    amounts = np.clip(np.floor(exact + 1e-9).astype(np.int64), lo, hi)
    left = total - int(amounts.sum())
    if left > 0:
        room = amounts < hi
        frac = np.where(room, exact - amounts, -np.inf)
        order = np.lexsort((np.arange(n), -frac))  # largest remainder, ties by order
        order = order[room[order]]
        # More cents than items with room (float slack): hand them round-robin.
        while left > 0 and len(order):
            if left < len(order):
                amounts[order[:left]] += 1
                break
            add = np.minimum(hi[order] - amounts[order], left // len(order))  # in bulk
            amounts[order] += add
            left -= int(add.sum())
            order = order[amounts[order] < hi[order]]
    elif left < 0:  # float slack the other way: take from the smallest remainders above lo
        order = np.lexsort((np.arange(n), exact - amounts))
        while left < 0:
            cand = order[amounts[order] > lo[order]]
            if not len(cand):
                break
            if -left < len(cand):
                amounts[cand[:-left]] -= 1
                break
            take = np.minimum(amounts[cand] - lo[cand], -left // len(cand))
            amounts[cand] -= take
            left += int(take.sum())
    return Split(
        amounts,
        at_min=[int(i) for i in np.flatnonzero((amounts == lo) & (unbounded < lo - 0.5))],
        at_max=[int(i) for i in np.flatnonzero((amounts == hi) & (unbounded > hi + 0.5))],
        clipped=amounts - unbounded,
    )


def _cap(hi: NDArray[np.int64]) -> float:
    """Sum of upper bounds (infinite when one is unbounded: no int64 overflow)."""
    big = np.iinfo(np.int64).max // 4
    return float("inf") if (hi >= big).any() else float(sum(int(v) for v in hi))


def _water_level(
    total: float, s: NDArray[np.float64], lo: NDArray[np.float64], hi: NDArray[np.float64]
) -> float:
    """The factor ``lam`` with ``sum(clip(lam * s, lo, hi)) == total`` (monotone: bisection on
    the breakpoints, then the exact solution on the linear piece between them)."""
    pos = s > 0
    fixed = float(lo[~pos].sum())
    s, lo, hi = s[pos], lo[pos], hi[pos]
    with np.errstate(over="ignore"):
        brk = np.unique(np.concatenate([lo / s, hi / s, [0.0]]))

    def filled(lam: float) -> float:
        return float(np.clip(lam * s, lo, hi).sum()) + fixed

    i, j = 0, len(brk) - 1
    if filled(brk[j]) <= total:
        return float(brk[j])
    while j - i > 1:
        k = (i + j) // 2
        if filled(brk[k]) <= total:
            i = k
        else:
            j = k
    a, b = brk[i], brk[j]
    mid = (a + b) / 2
    inside = (mid * s > lo) & (mid * s < hi)  # the items that grow with lam on (a, b)
    base = float(np.where(mid * s <= lo, lo, np.where(mid * s >= hi, hi, 0.0)).sum()) + fixed
    slope = float(s[inside].sum())
    return float(a if slope <= 0 else (total - base) / slope)


def by_largest_remainder(
    total: int, weights: Sequence[float] | NDArray[np.float64]
) -> NDArray[np.int64]:
    """``total`` cents in proportion to ``weights`` (seasonality months): exact sum, the same
    rounding rule as :func:`split` (floor, then one cent each to the largest remainders)."""
    w = np.maximum(np.asarray(weights, dtype=np.float64), 0.0)
    if w.sum() <= 0:
        w = np.ones(len(w))
    return split(int(total), w).amounts
