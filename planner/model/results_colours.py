"""Map colours for a result measure: the map coloured by attainment, pace, coverage...

Measures around a natural zero (pace, growth) use the balance's diverging deviation colours
turned round, so that behind is red as over-target is on the balance map and ahead is blue;
the others a light-to-dark blue ramp between the smallest and largest territory value.
Territories without a value (no quota for attainment) are grey and say so in the legend.
"""

from __future__ import annotations

from typing import Any

from planner.model.mapdata import deviation_colour

#: Measures a user can colour the map by, with their labels.
MEASURES = {
    "attainment": "Quota attainment",
    "pace_pct": "Pace (ahead/behind)",
    "yoy_growth": "Growth on last year",
    "bookings": "Bookings to date",
    "win_rate": "Win rate",
    "pipeline_coverage": "Pipeline coverage",
    "penetration": "Penetration (customers)",
    "coverage_potential": "Visit coverage (potential)",
}
DIVERGING = {"pace_pct", "yoy_growth"}
NONE_COLOUR = "#bbbbbb"
_LIGHT, _DARK = (222, 235, 247), (8, 69, 148)


def ramp(share: float) -> str:
    s = min(max(share, 0.0), 1.0)
    r, g, b = (round(lo + (hi - lo) * s) for lo, hi in zip(_LIGHT, _DARK, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def _fmt(measure: str, v: float) -> str:
    return (
        f"{v:,.0f}"
        if measure == "bookings"
        else (
            f"{v:.1f}x"
            if measure == "pipeline_coverage"
            else f"{v:+.0%}"
            if measure in DIVERGING
            else f"{v:.0%}"
        )
    )


def measure_fills(
    rows: list[dict[str, Any]], measure: str
) -> tuple[dict[int, str], list[tuple[str, str]]]:
    """``({territory id: colour}, legend rows)`` for territory result rows."""
    values = [r.get(measure) for r in rows]
    known = [float(v) for v in values if v is not None]
    fills: dict[int, str] = {}
    if measure in DIVERGING:
        for r, v in zip(rows, values, strict=True):
            fills[int(r["id"])] = NONE_COLOUR if v is None else deviation_colour(-float(v))
        legend = [
            ("≥ 30 % behind", deviation_colour(0.3)),
            ("on pace", deviation_colour(0.0)),
            ("≥ 30 % ahead", deviation_colour(-0.3)),
        ]
    else:
        lo, hi = (min(known), max(known)) if known else (0.0, 1.0)
        span = hi - lo or 1.0
        for r, v in zip(rows, values, strict=True):
            fills[int(r["id"])] = NONE_COLOUR if v is None else ramp((float(v) - lo) / span)
        legend = [(_fmt(measure, hi), ramp(1.0)), (_fmt(measure, lo), ramp(0.0))]
    if len(known) < len(values):
        legend.append(("no value", NONE_COLOUR))
    return fills, [(f"{MEASURES.get(measure, measure)}: {label}", c) for label, c in legend]
