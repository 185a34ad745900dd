"""Numbers as people read them in narrow columns: 399.3 M rather than 399,286,000.

Tables and charts in docks have little room: a column of nine-digit amounts pushed the
deviation column out of sight at 1366x768. Views show the compact form and keep the exact
value in the tooltip and for sorting.
"""

from __future__ import annotations

#: (from, divisor, suffix): thousands only from 10,000 on ("9,999" reads better than "10.0 k").
_STEPS = ((1e9, 1e9, "B"), (1e6, 1e6, "M"), (1e4, 1e3, "k"))


def compact(value: float, decimals: int = 0) -> str:
    """``1234`` -> "1,234", ``123456`` -> "123.5 k", ``399286000`` -> "399.3 M"."""
    v = float(value)
    for start, size, suffix in _STEPS:
        if abs(v) >= start:
            return f"{v / size:,.1f} {suffix}"
    return f"{v:,.{decimals}f}"


def full(value: float, decimals: int = 0) -> str:
    """The exact figure with thousands separators (tooltips, exports)."""
    return f"{float(value):,.{decimals}f}"
