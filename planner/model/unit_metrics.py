"""What auto-balance can balance in a project: the built-in metrics and imported columns.

Numeric columns of a unit import that the project does not know (land area, three activity
measures of a CTDP instance, income …) are kept per unit in ``Unit.attributes``, those of an
account import per account in ``account_attribute``; each becomes a metric named after its
column, summed per unit and territory like ``potential`` (an account's value counts in its
unit, or where it is pinned; a name kept by both imports adds up). Built-in names win over a
column of the same name.

The values are read from the tables when asked, never from the atom cache, so they cannot be
stale: the cache holds only which unit each account lies in, and every account import that
could change that (or these values) invalidates it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import text

if TYPE_CHECKING:
    from planner.model.plan import Plan
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


def account_attributes(
    project: Project, account_ids: NDArray[np.int64]
) -> dict[str, NDArray[np.float64]]:
    """Per kept account column: its value for every account of ``account_ids`` (sorted database
    ids, as in :class:`~planner.model.atoms.AtomData`; 0 where blank)."""
    with project.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT name, account_id, value FROM account_attribute ORDER BY name")
        ).all()
    out: dict[str, NDArray[np.float64]] = {}
    if not rows:
        return out
    names = np.array([r[0] for r in rows], dtype=object)
    ids = np.array([r[1] for r in rows], dtype=np.int64)
    values = np.array([r[2] for r in rows], dtype=np.float64)
    pos = np.minimum(np.searchsorted(account_ids, ids), max(len(account_ids) - 1, 0))
    known = (account_ids[pos] == ids) if len(account_ids) else np.zeros(len(ids), dtype=bool)
    for name in dict.fromkeys(names.tolist()):
        if name in BUILT_IN:
            continue
        mine = (names == name) & known
        col = np.zeros(len(account_ids))
        col[pos[mine]] = values[mine]
        out[str(name)] = col
    return out


def atom_attributes(plan: Plan) -> dict[str, NDArray[np.float64]]:
    """Per imported column: its value per atom of ``plan`` (units, then accounts). A unit holds
    its own value plus those of the accounts that follow it; an account holds its own only when
    it counts on its own (pinned, or in no unit), so summing atoms by territory is exact."""
    from planner.model.atoms import FOLLOW

    a = plan.atoms
    per_unit = unit_attributes(plan.project)
    per_account = account_attributes(plan.project, a.account_ids)
    follows = (plan.alignment[a.n_units :] == FOLLOW) & (a.account_unit >= 0)
    out = {}
    for name in sorted({*per_unit, *per_account}):
        vals = np.zeros(a.n_atoms)
        if name in per_unit:
            vals[: a.n_units] = per_unit[name]
        if name in per_account:
            acc = per_account[name]
            vals[: a.n_units] += np.bincount(
                a.account_unit[follows], weights=acc[follows], minlength=a.n_units
            )
            vals[a.n_units :] = np.where(follows, 0.0, acc)
        out[name] = vals
    return out


def attribute_totals(
    plan: Plan, atom_values: dict[str, NDArray[np.float64]]
) -> dict[str, NDArray[np.float64]]:
    """Per-territory sums of :func:`atom_attributes` values under the plan's alignment."""
    k, al = plan.atoms.n_territories, plan.alignment
    ok = al >= 0
    return {
        name: np.bincount(al[ok], weights=v[ok], minlength=k).astype(np.float64)
        for name, v in atom_values.items()
    }


def unit_values(plan: Plan, metric: str) -> NDArray[np.float64]:
    """Each unit's value of ``metric`` from the accounts that follow it (and its own imported
    column); workload without its travel term, which depends on who owns the unit. What a
    centre is weighted by (``--centre weighted:METRIC``)."""
    from planner.model.atoms import COL
    from planner.model.errors import PlannerError

    um = plan.balance.unit_matrix
    name = "workload_hours" if metric == "workload" else metric
    if name == "workload_hours":
        return np.asarray(um[:, COL["call_minutes"]] / 60, dtype=np.float64)
    if name in COL:
        return np.asarray(um[:, COL[name]], dtype=np.float64)
    attrs = atom_attributes(plan)
    if name not in attrs:
        raise PlannerError(f"unknown metric {name!r} (planner metrics PROJECT lists them)")
    return attrs[name][: plan.atoms.n_units]


def available_metrics(project: Project) -> list[dict[str, Any]]:
    """Every balanceable metric with where it comes from and its project total."""
    out: list[dict[str, Any]] = [{"name": m, "source": "built-in"} for m in BUILT_IN]
    units = unit_attributes(project)
    with project.engine.connect() as conn:
        accounts = {
            str(r[0]): (float(r[1] or 0.0), int(r[2]))
            for r in conn.execute(
                text(
                    "SELECT name, SUM(value), SUM(CASE WHEN value != 0 THEN 1 ELSE 0 END) "
                    "FROM account_attribute GROUP BY name"
                )
            )
            if r[0] not in BUILT_IN
        }
    for name in sorted({*units, *accounts}):
        row: dict[str, Any] = {"name": name, "total": 0.0}
        sources = []
        if name in units:
            sources.append("unit attribute")
            row["total"] += float(units[name].sum())
            row["units_with_value"] = int((units[name] != 0).sum())
        if name in accounts:
            sources.append("account attribute")
            row["total"] += accounts[name][0]
            row["accounts_with_value"] = accounts[name][1]
        row["source"] = " and ".join(sources)
        out.append(row)
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


def parse_centre(spec: str, known: list[str]) -> str:
    """``"median"`` or ``"weighted:METRIC"`` (a known metric; ``workload`` is workload_hours)."""
    from planner.model.errors import PlannerError

    kind, sep, metric = spec.strip().partition(":")
    if kind == "median" and not sep:
        return "median"
    metric = "workload_hours" if metric.strip() == "workload" else metric.strip()
    if kind != "weighted" or not metric:
        raise PlannerError(f"--centre {spec}: use median or weighted:METRIC")
    if metric not in known:
        raise PlannerError(
            f"--centre {spec}: unknown metric {metric!r}; choose from {', '.join(known)}"
        )
    return f"weighted:{metric}"
