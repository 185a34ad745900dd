"""Fairness of a quota plan: what each territory is asked for against what it can do.

Per territory: ``quota / potential`` (the share of its market the rep must win) and
``quota / revenue`` (growth asked over last year). The *difficulty index* compares both with
the plan's medians: ``mean(q/pot / median(q/pot), q/rev / median(q/rev))`` over the ratios the
territory has (no potential or no revenue: that ratio is left out). 1.0 is a typical
territory; above ``1 + threshold`` is flagged hard, below ``1 - threshold`` easy. A suggested
commission/accelerator multiplier comes from the configurable difficulty bands, because a hard
territory deserves a better rate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def fairness(
    quota: Mapping[int, float],
    potential: Mapping[int, float],
    revenue: Mapping[int, float],
    *,
    threshold: float = 0.2,
    bands: Sequence[Sequence[float | None]] = (),
) -> dict[int, dict[str, Any]]:
    """territory id -> share_of_potential, growth, difficulty, flag ("hard"/"easy"/""),
    multiplier (None where the territory has no quota or no measure to judge it by)."""
    ids = list(quota)
    q = np.array([float(quota[t]) for t in ids])
    pot = np.array([float(potential.get(t, 0.0)) for t in ids])
    rev = np.array([float(revenue.get(t, 0.0)) for t in ids])
    with np.errstate(divide="ignore", invalid="ignore"):
        r_pot = np.where((pot > 0) & (q > 0), q / pot, np.nan)
        r_rev = np.where((rev > 0) & (q > 0), q / rev, np.nan)
    med_pot = float(np.nanmedian(r_pot)) if np.isfinite(r_pot).any() else np.nan
    med_rev = float(np.nanmedian(r_rev)) if np.isfinite(r_rev).any() else np.nan
    out: dict[int, dict[str, Any]] = {}
    for i, t in enumerate(ids):
        parts = [
            r / m
            for r, m in ((r_pot[i], med_pot), (r_rev[i], med_rev))
            if np.isfinite(r) and np.isfinite(m) and m > 0
        ]
        diff = float(np.mean(parts)) if parts else None
        flag = ""
        if diff is not None and diff > 1 + threshold:
            flag = "hard"
        elif diff is not None and diff < 1 - threshold:
            flag = "easy"
        out[t] = {
            "share_of_potential": _f(r_pot[i]),
            "growth": _f(r_rev[i] - 1) if np.isfinite(r_rev[i]) else None,
            "difficulty": diff,
            "flag": flag,
            "multiplier": multiplier(diff, bands) if diff is not None else None,
        }
    return out


def multiplier(difficulty: float, bands: Sequence[Sequence[float | None]]) -> float | None:
    """The band's multiplier: the first band whose upper bound is above the index."""
    for upper, mult in bands:
        if upper is None or difficulty < float(upper):
            return None if mult is None else float(mult)
    return None


def _f(v: float) -> float | None:
    return float(v) if np.isfinite(v) else None
