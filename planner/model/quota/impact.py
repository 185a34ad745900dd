"""The quota that changes hands between two scenarios (the impact's ``quota_moved``).

Per moved account: its share of its old territory's quota in the scenario compared with, by
that plan's allocation basis (the same rule as "quota follows the accounts",
planner.model.quota.follow), in currency units. Per territory: the quota each scenario's own
plan gives it, before and after. The fiscal year is the latest both scenarios have a plan for
(else the latest either has).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from planner.model.atoms import COL, account_territories, territory_ids_of
from planner.model.quota.allocation import parse_basis
from planner.model.quota.book import QuotaBook

if TYPE_CHECKING:
    from planner.model.impact import Impact
    from planner.model.plan import Plan


@dataclass
class QuotaImpact:
    year: int
    #: Per moved account (aligned with Impact.moved rows): quota moving with it.
    per_account: NDArray[np.float64]
    #: territory name -> (quota before, quota after), currency units.
    territories: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def total_moved(self) -> float:
        return float(self.per_account.sum())

    def to_json(self, imp: Impact) -> dict[str, Any]:
        ids = imp.moved["account_id"].tolist() if len(imp.moved) else []
        return {
            "year": self.year,
            "total_moved": self.total_moved,
            "accounts": [
                {"account_id": a, "quota_moved": float(q)}
                for a, q in zip(ids, self.per_account, strict=True)
            ],
            "territories": [
                {"territory": t, "before": b, "after": a, "delta": a - b}
                for t, (b, a) in self.territories.items()
            ],
        }


def quota_impact(after: Plan, before: Plan, imp: Impact) -> QuotaImpact | None:
    """None when neither scenario has a quota plan."""
    years = (set(after.quotas.years) & set(before.quotas.years)) or (
        set(after.quotas.years) | set(before.quotas.years)
    )
    if not years:
        return None
    year = max(years)
    per_account = account_shares(before, _moved_rows(imp, after), year)
    return QuotaImpact(year, per_account, _territories(after, before, year))


def account_shares(before: Plan, accounts: NDArray[np.int64], year: int) -> NDArray[np.float64]:
    """Per account (AtomData index): its share of its territory's FY ``year`` quota in
    ``before`` by that plan's basis, in currency units (0 without a territory or a quota)."""
    book = before.quotas.year(year)
    out = np.zeros(len(accounts))
    if book is None or not len(accounts):
        return out
    a = before.atoms
    tb = account_territories(a, before.alignment).astype(np.int64)
    weights = parse_basis(str(book.settings.get("basis", "potential:0.5,revenue:0.5")))
    m = a.account_matrix
    keys = {k: ("accounts" if k == "even" else k) for k in weights}
    held = tb >= 0
    old = tb[accounts]
    quota = np.array(
        [(book.amount(int(t)) / 100) if t >= 0 else 0.0 for t in territory_ids_of(a, old)]
    )
    share, wsum = np.zeros(len(accounts)), np.zeros(len(accounts))
    for k, w in weights.items():
        total = np.bincount(tb[held], weights=m[held, COL[keys[k]]], minlength=a.n_territories)
        tot = np.where(old >= 0, total[np.maximum(old, 0)], 0.0)
        ok = tot > 0
        share[ok] += w * m[accounts[ok], COL[keys[k]]] / tot[ok]
        wsum[ok] += w
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(wsum > 0, quota * share / wsum, 0.0)


def _moved_rows(imp: Impact, after: Plan) -> NDArray[np.int64]:
    """Account indices of the impact's moved rows, in their order."""
    idx = np.asarray(imp.moved_account_index, dtype=np.int64)
    pot = after.atoms.account_matrix[idx, COL["potential"]]
    return idx[np.argsort(-pot, kind="stable")]  # the order of Impact.moved


def _territories(after: Plan, before: Plan, year: int) -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {}
    ya, yb = after.quotas.year(year), before.quotas.year(year)
    names: dict[int, str] = {}
    for p in (before, after):
        names.update(
            zip(p.atoms.territory_ids.tolist(), map(str, p.atoms.territory_names), strict=True)
        )
    for t, name in names.items():
        b = yb.amount(t) / 100 if yb else 0.0
        a = ya.amount(t) / 100 if ya else 0.0
        if a or b:
            out[name] = (b, a)
    return out


__all__ = ["QuotaBook", "QuotaImpact", "quota_impact"]
