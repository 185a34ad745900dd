"""Alerts: early warnings computed from the current results and plan, never stored.

Each rule (thresholds in :class:`planner.model.alert_rules.AlertRules`) lists the territories,
reps or accounts that trip it:

- ``behind_pace``: a territory's bookings are below its expected-to-date quota by more than
  ``behind_pace_pct`` (pace_pct < -X; territories without quota never trip it);
- ``over_capacity``: a rep's workload (the balance's workload hours of their territories) is
  above ``capacity_hours`` x 46 working weeks (planner.model.repmatch) by more than
  ``capacity_margin``;
- ``unvisited_top``: an account in the top ``top_share`` by potential (accounts with potential
  only) with no visit in the last ``unvisited_days`` days;
- ``low_pipeline``: a territory with quota still to make whose open pipeline / remaining quota
  is below ``min_pipeline_coverage``;
- ``unowned``: an account in no territory, or (``unowned_includes_no_rep``) in a territory
  without a rep;
- ``book_loss``: a rep losing more than ``book_loss_pct`` of their book (potential) in the
  scenario against the baseline, with impact's definition (planner.model.impact: potential
  of the accounts they held in the baseline and no longer hold, over that book).

Because they are computed, alerts are current after every edit or import. Everything that
does not depend on the alignment (which accounts are top and unvisited, rep capacities, the
baseline's reps) is prepared once in :class:`AlertEngine`; an evaluation is then vectorised
over accounts with no per-account Python (benchmarks/results.py: < 100 ms at 1M accounts).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import text

from planner.model.alert_rules import AlertRules
from planner.model.atoms import COL
from planner.model.repmatch import WORKING_WEEKS
from planner.model.results import Results
from planner.model.results_data import NO_DAY, day_number

RULES = {
    "behind_pace": "Behind pace",
    "over_capacity": "Workload above capacity",
    "unvisited_top": "Top accounts not visited",
    "low_pipeline": "Low pipeline coverage",
    "unowned": "Accounts without an owner",
    "book_loss": "Rep losing book",
}


@dataclass(frozen=True)
class Alert:
    rule: str
    subject: str  # territory | rep | account
    id: int | None
    name: str
    territory: str  # the territory it concerns ("" for a rep)
    value: float | None
    message: str


@dataclass(frozen=True)
class AlertList:
    """Alerts per rule: the listed items (at most ``max_items``) and the full count."""

    items: dict[str, list[Alert]]
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "rules": [
                {
                    "rule": r,
                    "title": RULES[r],
                    "count": self.counts[r],
                    "items": [asdict(a) for a in self.items[r]],
                }
                for r in RULES
            ],
        }


class AlertEngine:
    """The alignment-independent parts of the rules for one project, scenario and rule set."""

    def __init__(self, results: Results, plan: Any, rules: AlertRules | None = None) -> None:
        self.rules = (rules or AlertRules()).validated()
        r, f = self.rules, results.facts
        pot = results.atoms.account_matrix[:, COL["potential"]]
        has = pot > 0
        cut = np.quantile(pot[has], 1 - r.top_share) if has.any() and r.top_share > 0 else np.inf
        since = day_number(results.as_of) - r.unvisited_days
        stale = (f.last_visit == NO_DAY) | (f.last_visit <= since)
        top = np.flatnonzero(has & (pot >= cut) & stale)
        self.unvisited = top[np.argsort(-pot[top], kind="stable")]
        listed = self.unvisited[: r.max_items]
        #: Names of the listed unvisited accounts (fixed with the engine: read once, not at
        #: every evaluation after an edit).
        self.unvisited_names = dict(
            zip(listed.tolist(), results.atoms.account_names[listed], strict=True)
        )
        self.last_visit = f.last_visit
        with plan.project.engine.connect() as conn:
            self.capacity = {
                int(i): float(c or 0)
                for i, c in conn.execute(text("SELECT id, capacity_hours FROM rep"))
            }
            base = plan.project.baseline_id()
            self.base_rep = {
                int(t): (None if rp is None else int(rp))
                for t, rp in conn.execute(
                    text(
                        "SELECT territory_id, rep_id FROM scenario_territory WHERE scenario_id = :s"
                    ),
                    {"s": base},
                )
            }
        self.is_baseline = plan.scenario_id == base

    def evaluate(self, results: Results, plan: Any) -> AlertList:
        """The alerts of the scenario as ``results`` and ``plan`` have it now."""
        r, a = self.rules, plan.atoms
        items: dict[str, list[Alert]] = {k: [] for k in RULES}
        counts = dict.fromkeys(RULES, 0)

        def add(rule: str, alert: Alert) -> None:
            counts[rule] += 1
            if len(items[rule]) < r.max_items:
                items[rule].append(alert)

        def unlisted(rule: str, n: int) -> None:  # past max_items: counted, not built
            counts[rule] += n

        tids = [int(t) for t in a.territory_ids]
        tname = dict(zip(tids, (str(n) for n in a.territory_names), strict=True))
        for row in results.rows("territory"):
            pace, cov = row["pace_pct"], row["pipeline_coverage"]
            if pace is not None and pace < -r.behind_pace_pct:
                add(
                    "behind_pace",
                    Alert(
                        "behind_pace",
                        "territory",
                        row["id"],
                        row["name"],
                        row["name"],
                        pace,
                        f"{-pace:.0%} behind pace "
                        f"({row['bookings']:,.0f} of {row['expected']:,.0f} expected to date)",
                    ),
                )
            if row["remaining_quota"] and cov is not None and cov < r.min_pipeline_coverage:
                add(
                    "low_pipeline",
                    Alert(
                        "low_pipeline",
                        "territory",
                        row["id"],
                        row["name"],
                        row["name"],
                        cov,
                        f"pipeline covers {cov:.1f}x the remaining quota "
                        f"{row['remaining_quota']:,.0f} (rule: {r.min_pipeline_coverage:g}x)",
                    ),
                )
        self._capacity(plan, tids, tname, add)
        tid_now = results.account_tid
        listed = self.unvisited[: r.max_items]
        unlisted("unvisited_top", len(self.unvisited) - len(listed))
        names = self.unvisited_names
        for i in listed.tolist():
            t = int(tid_now[i])
            last = int(self.last_visit[i])
            when = "never visited" if last == NO_DAY else f"last visit {day_number_text(last)}"
            add(
                "unvisited_top",
                Alert(
                    "unvisited_top",
                    "account",
                    int(a.account_ids[i]),
                    str(names[i]),
                    tname.get(t, "(unassigned)"),
                    None,
                    when,
                ),
            )
        self._unowned(a, tid_now, tname, add, unlisted)
        if not self.is_baseline:
            self._book_loss(plan, results, tid_now, add)
        return AlertList(items, counts)

    def _capacity(self, plan: Any, tids: list[int], tname: dict[int, str], add: Any) -> None:
        work = plan.metrics()["workload_hours"]
        hours: dict[int, float] = {}
        held: dict[int, list[str]] = {}
        for t, rep, w in zip(tids, plan.atoms.territory_rep_ids, work, strict=True):
            if np.isfinite(rep):
                hours[int(rep)] = hours.get(int(rep), 0.0) + float(w)
                held.setdefault(int(rep), []).append(tname[t])
        for rep, h in hours.items():
            yearly = self.capacity.get(rep, 0.0) * WORKING_WEEKS
            if yearly > 0 and h > yearly * (1 + self.rules.capacity_margin):
                add(
                    "over_capacity",
                    Alert(
                        "over_capacity",
                        "rep",
                        rep,
                        plan.atoms.rep_names.get(rep, ""),
                        ", ".join(held[rep]),
                        h / yearly,
                        f"{h:,.0f} h a year for a capacity of {yearly:,.0f} h ({h / yearly:.0%})",
                    ),
                )

    def _unowned(
        self, a: Any, tid_now: NDArray[np.int64], tname: dict[int, str], add: Any, unlisted: Any
    ) -> None:
        no_rep = {
            int(t)
            for t, rp in zip(a.territory_ids, a.territory_rep_ids, strict=True)
            if not np.isfinite(rp)
        }
        mask = tid_now < 0
        if self.rules.unowned_includes_no_rep and no_rep:
            mask |= np.isin(tid_now, np.fromiter(no_rep, dtype=np.int64))
        found = np.flatnonzero(mask)
        unlisted("unowned", max(len(found) - self.rules.max_items, 0))
        shown = found[: self.rules.max_items]
        names = dict(zip(shown.tolist(), a.account_names[shown], strict=True))
        for i in shown.tolist():
            t = int(tid_now[i])
            why = "in no territory" if t < 0 else f"territory {tname.get(t, t)} has no rep"
            add(
                "unowned",
                Alert(
                    "unowned",
                    "account",
                    int(a.account_ids[i]),
                    str(names[i]),
                    tname.get(t, "(unassigned)"),
                    None,
                    why,
                ),
            )

    def _book_loss(self, plan: Any, results: Results, tid_now: NDArray[np.int64], add: Any) -> None:
        a = plan.atoms
        pot = a.account_matrix[:, COL["potential"]]
        base_tid = plan.baseline_territory_ids
        reps_now = {
            int(t): (int(rp) if np.isfinite(rp) else -1)
            for t, rp in zip(a.territory_ids, a.territory_rep_ids, strict=True)
        }
        top = int(max([*self.base_rep, *reps_now, 0])) + 2
        lut_b, lut_a = np.full(top, -1, dtype=np.int64), np.full(top, -1, dtype=np.int64)
        for t, rp in self.base_rep.items():
            lut_b[t] = -1 if rp is None else rp
        for t, rp in reps_now.items():
            lut_a[t] = rp
        rep_b = lut_b[np.where(base_tid >= 0, base_tid, top - 1)]
        rep_a = lut_a[np.where(tid_now >= 0, tid_now, top - 1)]
        held = rep_b >= 0
        lost = held & (rep_b != rep_a)
        if not lost.any():
            return
        size = int(rep_b.max()) + 1
        book = np.bincount(rep_b[held], weights=pot[held], minlength=size)
        gone = np.bincount(rep_b[lost], weights=pot[lost], minlength=size)
        for rep in np.flatnonzero(gone > 0):
            share = float(gone[rep] / book[rep]) if book[rep] > 0 else 0.0
            if share > self.rules.book_loss_pct:
                add(
                    "book_loss",
                    Alert(
                        "book_loss",
                        "rep",
                        int(rep),
                        a.rep_names.get(int(rep), ""),
                        "",
                        share,
                        f"loses {share:.0%} of their book ({gone[rep]:,.0f} of "
                        f"{book[rep]:,.0f} potential)",
                    ),
                )


def day_number_text(day: int) -> str:
    return str(np.datetime64(day, "D"))
