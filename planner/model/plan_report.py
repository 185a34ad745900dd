"""Everything a printed territory plan shows, gathered once: the data behind the PDF and XLSX.

A :class:`PlanReport` per territory joins the five steps of a territory plan: segmentation
(computed from the accounts it holds in the scenario), the written SWOT, goals with their
progress measured from the results where the metric is computable, strategy (focus accounts
by name, visit frequency per tier, partners), results with their monthly trend, the alerts
that concern it, and the review log. The exporters (planner.model.io.plan_export) only lay it
out; nothing here is escaped yet, everything is escaped where it is written.

Tiers: A = the top 20 % of the project's accounts by potential, B = the next 30 %, C = the
rest (accounts without potential are C), the usual ABC split of key-account planning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from planner.model.alerts import Alert, AlertList
from planner.model.atoms import COL, _frame
from planner.model.partners import serving
from planner.model.results import Results
from planner.model.territory_plan import METRICS, Revision, current

TIER_SHARES = (("A", 0.20), ("B", 0.50))


@dataclass(frozen=True)
class GoalProgress:
    goal: dict[str, Any]
    actual: float | None  # None: the metric is not computable from the data
    progress: float | None  # actual / target


@dataclass
class PlanReport:
    territory_id: int
    territory: str
    rep: str
    scenario: str
    fiscal_year: int
    as_of: str
    results: dict[str, Any]
    segmentation: list[dict[str, Any]]
    plan: Revision
    goals: list[GoalProgress]
    focus: list[dict[str, Any]]
    partners: list[str]
    alerts: list[Alert] = field(default_factory=list)
    account_index: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def tiers(potential: np.ndarray) -> np.ndarray:
    """A/B/C per account by potential rank in the project."""
    out = np.full(len(potential), "C", dtype=object)
    has = np.flatnonzero(potential > 0)
    order = has[np.argsort(-potential[has], kind="stable")]
    start = 0
    for tier, share in TIER_SHARES:
        end = round(len(potential) * share)
        out[order[start:end]] = tier
        start = max(start, end)
    return out


def goal_progress(goal: dict[str, Any], row: dict[str, Any]) -> GoalProgress:
    metric = goal.get("metric", "")
    actual = row.get(metric) if metric in METRICS else None
    target = goal.get("target")
    progress = float(actual) / target if actual is not None and target not in (None, 0) else None
    return GoalProgress(goal, None if actual is None else float(actual), progress)


def build_reports(
    results: Results, plan: Any, alerts: AlertList | None, territory_ids: list[int]
) -> list[PlanReport]:
    """One report per territory id (in the given order)."""
    a = plan.atoms
    rows = {r["id"]: r for r in results.rows("territory")}
    pot = a.account_matrix[:, COL["potential"]]
    tier = tiers(pot)
    attrs = _frame(plan.project, "SELECT id, segment, industry FROM account ORDER BY id")
    out = []
    for tid in territory_ids:
        idx = np.flatnonzero(results.account_tid == tid)
        frame = pd.DataFrame(
            {
                "segment": attrs["segment"].to_numpy(object)[idx] if len(attrs) else [],
                "industry": attrs["industry"].to_numpy(object)[idx] if len(attrs) else [],
                "tier": tier[idx],
                "potential": pot[idx],
                "revenue": a.account_matrix[idx, COL["revenue"]],
                "customer": results.facts.is_customer[idx],
            }
        )
        doc = current(plan.project, tid)
        row = rows.get(tid, {})
        names = {int(a.account_ids[i]): str(a.account_names[i]) for i in idx}
        focus = [
            {
                **f,
                "name": names.get(
                    f["account_id"], f"account {f['account_id']} (not in this territory)"
                ),
            }
            for f in doc.content["strategy"]["focus"]
        ]
        partner_names = sorted({lk.partner for lk in serving(plan.project, tid, names)})
        concerned = []
        if alerts is not None:
            tname = row.get("name", "")
            concerned = [
                x
                for items in alerts.items.values()
                for x in items
                if x.territory == tname or (x.subject == "territory" and x.id == tid)
            ]
        out.append(
            PlanReport(
                tid,
                str(row.get("name", tid)),
                str(row.get("rep", "")),
                plan.name,
                results.fiscal_year,
                results.as_of.isoformat(),
                row,
                segmentation(frame),
                doc,
                [goal_progress(g, row) for g in doc.content["goals"]],
                focus,
                partner_names,
                concerned,
                idx,
            )
        )
    return out


def segmentation(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Accounts, customers, potential and revenue by tier, segment and industry."""
    if frame.empty:
        return []
    f = frame.assign(
        segment=frame["segment"].replace("", "(none)"),
        industry=frame["industry"].replace("", "(none)"),
    )
    g = f.groupby(["tier", "segment", "industry"], sort=True).agg(
        accounts=("potential", "size"),
        customers=("customer", "sum"),
        potential=("potential", "sum"),
        revenue=("revenue", "sum"),
    )
    return [
        {
            "tier": tier,
            "segment": seg,
            "industry": ind,
            "accounts": int(n),
            "customers": int(c),
            "potential": float(p),
            "revenue": float(r),
        }
        for (tier, seg, ind), n, c, p, r in zip(
            g.index, g["accounts"], g["customers"], g["potential"], g["revenue"], strict=True
        )
    ]
