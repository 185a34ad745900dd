"""JSON that every parser accepts: no ``NaN``, no ``Infinity``.

Python's :func:`json.dumps` writes ``NaN``/``Infinity`` for non-finite floats, which is not JSON
(``jq``, JavaScript's ``JSON.parse``, PostgreSQL's ``jsonb`` all reject it). A balance can hold
them honestly: a deviation from a target of 0 has no finite value.

**Rule** (README "JSON output"): a number that is not finite (NaN, +inf, -inf) is written as
``null``, meaning "no value"; everything else is unchanged. numpy scalars and arrays become plain
numbers and lists. :func:`dumps` then encodes with ``allow_nan=False``, so a non-finite number
that escaped the rule fails loudly instead of producing invalid JSON.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np


def finite(value: Any) -> Any:
    """``value`` with every non-finite float replaced by None (recursively)."""
    if isinstance(value, Mapping):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    if isinstance(value, np.ndarray):
        return [finite(v) for v in value.tolist()]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


def dumps(value: Any, **kwargs: Any) -> str:
    """:func:`json.dumps` of ``finite(value)``: always valid JSON (``ensure_ascii=False``)."""
    import json

    kwargs.setdefault("ensure_ascii", False)
    return json.dumps(finite(value), allow_nan=False, **kwargs)
