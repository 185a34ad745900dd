"""What auto-balance can balance in a project: the built-in metrics and imported columns.

Numeric columns of a unit import that the project does not know (land area, three activity
measures of a CTDP instance, income …) are kept per unit in ``Unit.attributes``; each becomes
a metric named after its column, summed per territory like ``potential``. Built-in names win
over a column of the same name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import text

if TYPE_CHECKING:
    from planner.model.store import Project

#: The metrics the Balance engine knows (``workload`` is an alias of ``workload_hours``).
BUILT_IN = ("potential", "workload_hours", "accounts", "revenue", "pipeline")


def unit_attributes(project: Project) -> dict[str, NDArray[np.float64]]:
    """Per imported numeric column: its value for every unit in ``unit`` id order (0 if blank)."""
    import json

    with project.engine.connect() as conn:
        raw = [r[0] for r in conn.execute(text("SELECT attributes FROM unit ORDER BY id"))]
    rows = [json.loads(r) if isinstance(r, str) else (r or {}) for r in raw]
    names = sorted({k for r in rows for k, v in r.items() if isinstance(v, int | float)})
    out = {}
    for name in names:
        if name in BUILT_IN:
            continue
        out[name] = np.array([float(r.get(name, 0.0) or 0.0) for r in rows], dtype=np.float64)
    return out


def available_metrics(project: Project) -> list[dict[str, Any]]:
    """Every balanceable metric with where it comes from and its project total."""
    out: list[dict[str, Any]] = [{"name": m, "source": "built-in"} for m in BUILT_IN]
    for name, values in unit_attributes(project).items():
        out.append({"name": name, "source": "unit attribute", "total": float(values.sum()),
                    "units_with_value": int((values != 0).sum())})  # fmt: skip
    return out


def parse_metrics(spec: str, known: list[str], default_tolerance: float) -> dict[str, float]:
    """``"calls:0.05,volume:0.03,potential"`` -> {metric: tolerance}; unknown names refused."""
    from planner.model.errors import PlannerError

    out: dict[str, float] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        name, sep, tol = part.partition(":")
        name = "workload_hours" if name.strip() == "workload" else name.strip()
        if name not in known:
            raise PlannerError(
                f"unknown metric {name!r}; choose from {', '.join(known)} "
                "(planner metrics PROJECT lists them)"
            )
        value = default_tolerance
        if sep:
            try:
                value = float(tol)
            except ValueError:
                raise PlannerError(f"--metrics {part}: the tolerance must be a number") from None
            if not 0 < value < 1:
                raise PlannerError(f"--metrics {part}: the tolerance must be between 0 and 1")
        out[name] = value
    if not out:
        raise PlannerError("--metrics names no metric")
    return out
