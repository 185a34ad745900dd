"""The alert rules a user tunes: thresholds, stored with the project so a team shares them.

Stored as JSON under the ``alert_rules`` key of ``project_info`` (no table of its own: it is one
small settings object). Unknown keys are ignored and missing ones take their defaults, so a
project saved by an older or newer version still opens; out-of-range values are refused with
a message naming the rule and the value, never stored.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from planner.model.errors import PlannerError
from planner.model.store import Project

KEY = "alert_rules"


@dataclass(frozen=True)
class AlertRules:
    #: behind pace: bookings below the expected-to-date quota by more than this share
    behind_pace_pct: float = 0.10
    #: over capacity: workload above the rep's weekly capacity x 46 weeks by more than this share
    capacity_margin: float = 0.0
    #: top accounts not visited: the top share of accounts by potential...
    top_share: float = 0.20
    #: ...without a visit in this many days
    unvisited_days: int = 90
    #: low pipeline coverage: open pipeline / remaining quota below this
    min_pipeline_coverage: float = 2.0
    #: a rep losing more than this share of their book (potential) in a scenario (impact's
    #: "lost" over the book before)
    book_loss_pct: float = 0.10
    #: accounts without an owner: also count accounts in territories that have no rep
    unowned_includes_no_rep: bool = True
    #: items listed per rule (the count is always complete)
    max_items: int = 500

    def validated(self) -> AlertRules:
        for name, low, high in (
            ("behind_pace_pct", 0.0, 10.0),
            ("capacity_margin", 0.0, 10.0),
            ("top_share", 0.0, 1.0),
            ("unvisited_days", 1, 3650),
            ("min_pipeline_coverage", 0.0, 1000.0),
            ("book_loss_pct", 0.0, 1.0),
            ("max_items", 1, 1_000_000),
        ):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and low <= v <= high):
                raise PlannerError(f"alert rule {name}: {v!r} is out of range ({low} to {high})")
        return self

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AlertRules:
        known = {f.name: f.type for f in fields(cls)}
        values = {}
        for k, v in data.items():
            if k not in known:
                continue
            default = getattr(cls(), k)
            try:
                values[k] = type(default)(v)
            except (TypeError, ValueError):
                raise PlannerError(f"alert rule {k}: {v!r} is not a number") from None
        return replace(cls(), **values).validated()


def load_rules(project: Project) -> AlertRules:
    """The project's rules (defaults for what it does not set)."""
    raw = project.info().get(KEY, "")
    if not raw:
        return AlertRules()
    try:
        data = json.loads(raw)
    except ValueError:
        return AlertRules()
    return AlertRules.from_json(data if isinstance(data, dict) else {})


def save_rules(project: Project, rules: AlertRules) -> None:
    project.set_info(**{KEY: json.dumps(rules.validated().to_json())})
