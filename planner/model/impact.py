"""Impact of a scenario: what changes, for whom, against the baseline (or any other scenario).

The diff is taken at **account** level: both alignments are resolved to an effective territory
per account (:func:`~planner.model.atoms.account_territories`: pins and free-form accounts
explicit, the others through their unit), so a unit move, a pin and a redrawn free-form polygon
are all seen the same way: as accounts changing owner. Everything is vectorised over the
account arrays (``bincount`` and boolean masks), so a 1M-account project costs a few hundred
milliseconds; see ``benchmarks/impact.py``.

Definitions (also README "Impact"):

- *moved account*: its effective territory differs between the two alignments;
- *disruption*: the share of all accounts, revenue and potential that are moved accounts;
- per territory, every balance metric before/after/delta and its deviation from target, as the
  balance table computes them (:mod:`planner.model.balance`);
- per rep (the rep of the account's territory): accounts and value *kept* (same rep before and
  after), *gained* and *lost*. A rep's *book change* for a value is
  ``(gained + lost) / max(book before, book after)`` (0 when both books are empty): it counts
  churn, so losing 10 % and gaining another 10 % is a 20 % change even though the total is
  unchanged. The rep is *flagged* when the change in potential or in revenue exceeds
  ``threshold``. Accounts in territories without a rep belong to no rep row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sqlalchemy import text

from planner.model.atoms import (
    COL,
    AtomData,
    account_territories,
    for_scenario,
    index_of,
    load_alignment,
    load_atoms,
    replace_territories,
    territory_ids_of,
)
from planner.model.balance import METRICS, Balance, deviations, metric_values, summary
from planner.model.scenario_rows import resolve
from planner.model.store import Project

if TYPE_CHECKING:
    from planner.model.plan import Plan

_CHUNK = 5000
#: Columns of :attr:`Impact.moved`, in display order.
MOVED_COLUMNS = (
    "account_id", "name", "from_territory", "to_territory", "from_rep", "to_rep",
    "potential", "revenue", "pipeline", "open_opportunities",
)  # fmt: skip
VALUES = ("accounts", "potential", "revenue")

CountOpen = Callable[[NDArray[np.int64]], NDArray[np.int64]]


@dataclass(frozen=True)
class ImpactSummary:
    accounts_moved: int
    potential_moved: float
    revenue_moved: float
    pipeline_moved: float
    open_opportunities_moved: int
    units_moved: int
    #: Share of accounts, revenue and potential changing territory.
    disruption: dict[str, float]
    #: {"max_abs_deviation": {metric: x}, "gini": {metric: x}} of each alignment.
    balance_before: dict[str, dict[str, float]]
    balance_after: dict[str, dict[str, float]]
    reps_flagged: int
    threshold: float

    def to_json(self) -> dict[str, Any]:
        return {
            "accounts_moved": self.accounts_moved,
            "revenue_moved": self.revenue_moved,
            "potential_moved": self.potential_moved,
            "pipeline_moved": self.pipeline_moved,
            "open_opportunities_moved": self.open_opportunities_moved,
            "units_moved": self.units_moved,
            "disruption": dict(self.disruption),
            "balance": {"before": self.balance_before, "after": self.balance_after},
            "reps_flagged": self.reps_flagged,
            "threshold": self.threshold,
        }


@dataclass(frozen=True, eq=False)
class Impact:
    """The impact of ``scenario`` against ``against``; tables are pandas frames (read-only use).

    ``moved`` has :data:`MOVED_COLUMNS` (territory and rep are None when unassigned / no rep),
    sorted by potential, largest first. ``territories`` has ``territory, rep, accounts_gained,
    accounts_lost`` then ``{metric}_before|_after|_delta|_deviation_before|_deviation_after``
    for every metric in :data:`~planner.model.balance.METRICS`. ``reps`` has ``rep, territories``
    then ``{value}_{before|after|kept|gained|lost}`` for accounts, potential and revenue,
    ``change_potential``, ``change_revenue`` and ``flagged``.
    """

    scenario: str
    against: str
    moved: pd.DataFrame
    territories: pd.DataFrame
    reps: pd.DataFrame
    summary: ImpactSummary
    #: Account indices (into AtomData) that change territory, for map highlighting.
    moved_account_index: NDArray[np.int64]
    #: Unit indices whose own assignment differs.
    moved_unit_index: NDArray[np.int64]
    #: The scenario's units and accounts as compared (the indices above point into them), so a
    #: report's map loads the plan without reading every account again (1 s at 100k).
    atoms: AtomData | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        """The documented ``planner impact --json`` object (README "JSON output")."""
        terr = []
        for r in self.territories.to_dict("records"):
            row: dict[str, Any] = {
                "territory": r["territory"],
                "rep": r["rep"],
                "accounts_gained": int(r["accounts_gained"]),
                "accounts_lost": int(r["accounts_lost"]),
            }
            for part in ("before", "after", "delta", "deviation_before", "deviation_after"):
                row[part] = {m: float(r[f"{m}_{part}"]) for m in METRICS}
            terr.append(row)
        reps = []
        for r in self.reps.to_dict("records"):
            row = {"rep": r["rep"], "territories": r["territories"]}
            for v in VALUES:
                row[v] = {
                    k: _num(r[f"{v}_{k}"]) for k in ("before", "after", "kept", "gained", "lost")
                }
            row["change"] = {"potential": r["change_potential"], "revenue": r["change_revenue"]}
            row["flagged"] = bool(r["flagged"])
            reps.append(row)
        moved = [{k: _num(v) for k, v in rec.items()} for rec in self.moved.to_dict("records")]
        return {
            "scenario": self.scenario,
            "against": self.against,
            "moved_accounts": moved,
            "summary": self.summary.to_json(),
            "territories": terr,
            "reps": reps,
        }


def impact(
    project: Project,
    scenario: int | str | None,
    against: int | str | None = None,
    *,
    atoms: AtomData | None = None,
    threshold: float = 0.10,
    held: Mapping[int, NDArray[np.int64]] | None = None,
) -> Impact:
    """Impact of ``scenario`` against ``against`` (default: the baseline), read from the project.

    Scenarios are given by id or name (None = the baseline). Pass ``atoms`` when already loaded
    (the GUI has them) to skip reading the account table, and ``held`` (:func:`held_by` of the
    open plan) for the scenarios whose account territories are already in memory: a free-form
    project stores a row per account, and reading two scenarios' rows was 83 % of a 1M-account
    impact (4-4.6 s), where the in-memory vectors give it in a fraction of a second.
    """
    with project.session() as s:
        after_row, before_row = resolve(s, scenario), resolve(s, against)
        names = (after_row.name, before_row.name)
        ids = (after_row.id, before_row.id)
    read = load_atoms if atoms is None else (lambda p, s: for_scenario(atoms, p, s))
    atoms_a = read(project, ids[0])
    atoms_b = for_scenario(atoms_a, project, ids[1])
    after = _alignment(project, atoms_a, ids[0], held)
    before = _alignment(project, atoms_b, ids[1], held)
    return compare(
        atoms_a,
        before,
        after,
        scenario=names[0],
        against=names[1],
        threshold=threshold,
        count_open=lambda acc_ids: open_opportunity_counts(project, acc_ids),
        before_atoms=atoms_b,
    )


def held_by(plan: Plan) -> dict[int, NDArray[np.int64]]:
    """What an open plan already holds, for :func:`impact`'s ``held``: the territory (database
    id, -1 unassigned) of every account in its scenario and, when the baseline is its reference
    (any scenario but the baseline itself), in the baseline. The plan writes every edit as it
    applies it, so these equal the stored rows."""
    a = plan.atoms
    out = {int(plan.scenario_id): territory_ids_of(a, account_territories(a, plan.alignment))}
    base = plan.project.baseline_id()
    if base != plan.scenario_id:
        out[int(base)] = plan.baseline_territory_ids
    return out


def _alignment(
    project: Project,
    atoms: AtomData,
    scenario_id: int,
    held: Mapping[int, NDArray[np.int64]] | None,
) -> NDArray[np.int32]:
    """A scenario's alignment over ``atoms``' territories: from ``held`` in a free-form project
    (every atom is an account, so the account territories are the whole alignment), else read."""
    ids = (held or {}).get(int(scenario_id))
    if ids is None or not atoms.free_form or len(ids) != atoms.n_accounts:
        return load_alignment(project, atoms, scenario_id)
    return index_of(atoms.territory_ids, np.asarray(ids, dtype=np.int64)).astype(np.int32)


def open_opportunity_counts(project: Project, account_ids: NDArray[np.int64]) -> NDArray[np.int64]:
    """Number of open opportunities of each account (database ids), in the given order."""
    ids = [int(i) for i in account_ids]
    counts: dict[int, int] = {}
    with project.engine.connect() as conn:
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i : i + _CHUNK]
            marks = ",".join(str(x) for x in chunk)  # integers only: safe to inline
            for aid, n in conn.execute(
                text(
                    "SELECT account_id, COUNT(*) FROM opportunity "
                    f"WHERE is_open AND account_id IN ({marks}) GROUP BY account_id"
                )
            ):
                counts[int(aid)] = int(n)
    return np.array([counts.get(i, 0) for i in ids], dtype=np.int64)


def compare(
    atoms: AtomData,
    before: NDArray[np.int32],
    after: NDArray[np.int32],
    *,
    scenario: str = "",
    against: str = "",
    threshold: float = 0.10,
    count_open: CountOpen | None = None,
    before_atoms: AtomData | None = None,
) -> Impact:
    """The impact between two in-memory alignments (no database access except ``count_open``).

    ``after`` indexes the territories of ``atoms`` (the scenario); ``before`` those of
    ``before_atoms`` (the scenario compared with; default: the same territories). Territories
    are matched by id, so one created, deleted, renamed or given another rep in either
    scenario is reported as it is on each side.
    """
    sides = Sides.of(atoms, before_atoms if before_atoms is not None else atoms)
    before, after = sides.to_union(before, after)
    a = sides.after
    tb = account_territories(sides.before, before).astype(np.int64)
    ta = account_territories(a, after).astype(np.int64)
    changed = tb != ta
    moved_idx = np.flatnonzero(changed)
    m = a.account_matrix

    # One full recompute per alignment (the costliest step: travel for every atom).
    totals_b, totals_a = Balance(sides.before, before).totals, Balance(a, after).totals
    moved = _moved_frame(sides, moved_idx, tb, ta, count_open)
    territories = _territory_frame(sides, totals_b, totals_a, tb, ta, changed)
    reps = _rep_frame(sides, tb, ta, threshold)

    disruption = {}
    for key in ("accounts", "revenue", "potential"):
        total = m[:, COL[key]].sum()
        disruption[key] = float(m[changed, COL[key]].sum() / total) if total > 0 else 0.0
    sb = summary(totals_b, sides.before.territory_weights, sides.in_before)
    sa = summary(totals_a, a.territory_weights, sides.in_after)
    keep = ("max_abs_deviation", "gini")
    summ = ImpactSummary(
        accounts_moved=len(moved_idx),
        potential_moved=float(m[moved_idx, COL["potential"]].sum()),
        revenue_moved=float(m[moved_idx, COL["revenue"]].sum()),
        pipeline_moved=float(m[moved_idx, COL["pipeline"]].sum()),
        open_opportunities_moved=int(moved["open_opportunities"].sum()),
        units_moved=int((before[: a.n_units] != after[: a.n_units]).sum()),
        disruption=disruption,
        balance_before={k: sb[k] for k in keep},
        balance_after={k: sa[k] for k in keep},
        reps_flagged=int(reps["flagged"].sum()),
        threshold=float(threshold),
    )
    return Impact(
        scenario=scenario,
        against=against,
        moved=moved,
        territories=territories,
        reps=reps,
        summary=summ,
        moved_account_index=moved_idx,
        moved_unit_index=np.flatnonzero(before[: a.n_units] != after[: a.n_units]),
        atoms=atoms,
    )


# -- sections ----------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Sides:
    """Both scenarios' territories in one index space: the scenario's own first, then those
    only the other scenario has. ``before``/``after`` carry each side's names, reps and
    weights (a territory a side does not have keeps the other side's, with ``in_*`` False)."""

    before: AtomData
    after: AtomData
    in_before: NDArray[np.bool_]
    in_after: NDArray[np.bool_]
    #: before-side index -> union index
    from_before: NDArray[np.int64]

    @classmethod
    def of(cls, after: AtomData, before: AtomData) -> Sides:
        pos_a = after.territory_index()
        extra = [i for i, t in enumerate(before.territory_ids) if int(t) not in pos_a]
        k_a = after.n_territories
        from_before = np.array(
            [pos_a.get(int(t), -1) for t in before.territory_ids], dtype=np.int64
        )
        from_before[extra] = k_a + np.arange(len(extra))
        order_b = np.full(k_a + len(extra), -1, dtype=np.int64)  # union index -> before index
        order_b[from_before] = np.arange(before.n_territories)
        take_a = np.concatenate([np.arange(k_a), np.full(len(extra), -1)]).astype(np.int64)
        union_a = _take(after, before, take_a, order_b)
        union_b = _take(before, after, order_b, take_a)
        return cls(union_b, union_a, order_b >= 0, take_a >= 0, from_before)

    def to_union(
        self, before: NDArray[np.int32], after: NDArray[np.int32]
    ) -> tuple[NDArray[np.int32], NDArray[np.int32]]:
        """The before-side alignment renumbered into the union (the after side already is)."""
        out = before.copy()
        held = out >= 0
        out[held] = self.from_before[out[held]]
        return out, after


def _take(
    own: AtomData, other: AtomData, own_idx: NDArray[np.int64], other_idx: NDArray[np.int64]
) -> AtomData:
    """Territory columns in union order: ``own``'s where it has the territory, else
    ``other``'s, with weight 0 (a territory a scenario lacks has no target there)."""
    cols = {}
    for name in ("territory_ids", "territory_names", "territory_colours", "territory_rep_ids",
                 "territory_parent_ids", "territory_weights", "territory_locked", "home_lon",
                 "home_lat"):  # fmt: skip
        mine, theirs = getattr(own, name), getattr(other, name)
        col = np.empty(len(own_idx), dtype=mine.dtype)
        has = own_idx >= 0
        col[has] = mine[own_idx[has]]
        col[~has] = theirs[other_idx[~has]].astype(mine.dtype)
        cols[name] = col
    cols["territory_weights"] = np.where(own_idx >= 0, cols["territory_weights"], 0.0)
    return replace_territories(own, **cols)


def _labels(a: AtomData) -> tuple[NDArray[np.object_], NDArray[np.object_]]:
    """Territory and rep names per territory index, with a trailing None for index -1."""
    reps = [a.rep_names.get(int(r)) if np.isfinite(r) else None for r in a.territory_rep_ids]
    tn = np.array([*(str(n) for n in a.territory_names), None], dtype=object)
    rn = np.array([*reps, None], dtype=object)
    return tn, rn


def _moved_frame(
    sides: Sides,
    idx: NDArray[np.int64],
    tb: NDArray[np.int64],
    ta: NDArray[np.int64],
    count_open: CountOpen | None,
) -> pd.DataFrame:
    a = sides.after
    tn_b, rn_b = _labels(sides.before)
    tn_a, rn_a = _labels(a)
    fb, fa = tb[idx], ta[idx]  # -1 indexes the trailing None
    m = a.account_matrix[idx]
    opens = (
        count_open(a.account_ids[idx])
        if count_open is not None and len(idx)
        else np.zeros(len(idx))
    )
    frame = pd.DataFrame(
        {
            "account_id": a.account_ext_ids[idx],
            "name": a.account_names[idx],
            "from_territory": tn_b[fb],
            "to_territory": tn_a[fa],
            "from_rep": rn_b[fb],
            "to_rep": rn_a[fa],
            "potential": m[:, COL["potential"]],
            "revenue": m[:, COL["revenue"]],
            "pipeline": m[:, COL["pipeline"]],
            "open_opportunities": np.asarray(opens, dtype=np.int64),
        },
        columns=list(MOVED_COLUMNS),
    )
    order = np.argsort(-frame["potential"].to_numpy(), kind="stable")
    return frame.iloc[order].reset_index(drop=True)


def _territory_frame(
    sides: Sides,
    totals_b: NDArray[np.float64],
    totals_a: NDArray[np.float64],
    tb: NDArray[np.int64],
    ta: NDArray[np.int64],
    changed: NDArray[np.bool_],
) -> pd.DataFrame:
    a = sides.after
    k = a.n_territories
    tn, rn = _labels(a)  # the scenario's names; the other side's for a territory it lacks
    vb, va = metric_values(totals_b), metric_values(totals_a)
    wb, wa = sides.before.territory_weights, a.territory_weights
    cols: dict[str, Any] = {
        "territory": tn[:k],
        "rep": rn[:k],
        "accounts_gained": np.bincount(ta[changed & (ta >= 0)], minlength=k),
        "accounts_lost": np.bincount(tb[changed & (tb >= 0)], minlength=k),
    }
    for metric in METRICS:
        cols[f"{metric}_before"] = vb[metric]
        cols[f"{metric}_after"] = va[metric]
        cols[f"{metric}_delta"] = va[metric] - vb[metric]
        cols[f"{metric}_deviation_before"] = deviations(vb[metric], wb)
        cols[f"{metric}_deviation_after"] = deviations(va[metric], wa)
    return pd.DataFrame(cols)


def _rep_frame(
    sides: Sides, tb: NDArray[np.int64], ta: NDArray[np.int64], threshold: float
) -> pd.DataFrame:
    """Per rep: the book before (reps of the compared scenario) and after (the scenario's)."""
    a = sides.after
    rep_b = np.where(sides.in_before, sides.before.territory_rep_ids, np.nan)
    rep_a = np.where(sides.in_after, a.territory_rep_ids, np.nan)
    both = np.concatenate([rep_b, rep_a])
    rep_ids = np.unique(both[np.isfinite(both)]).astype(np.int64)
    n = len(rep_ids)

    def compact(rep_of: NDArray[np.float64]) -> NDArray[np.int64]:
        # Compact rep index per territory; n = "no rep"; trailing entry for unassigned (-1).
        out = np.full(len(rep_of) + 1, n, dtype=np.int64)
        has = np.isfinite(rep_of)
        out[: len(rep_of)][has] = np.searchsorted(rep_ids, rep_of[has].astype(np.int64))
        return out

    rb, ra = compact(rep_b)[tb], compact(rep_a)[ta]
    kept = rb == ra
    names = a.territory_names

    def held(r: int) -> str:
        mine = names[rep_a == r] if (rep_a == r).any() else sides.before.territory_names[rep_b == r]
        return ", ".join(str(t) for t in mine)

    cols: dict[str, Any] = {
        "rep": [a.rep_names.get(int(r), "") for r in rep_ids],
        "territories": [held(int(r)) for r in rep_ids],
    }
    for v in VALUES:
        wv = a.account_matrix[:, COL[v]]

        def count(
            mask: NDArray[np.bool_], who: NDArray[np.int64], w: NDArray[np.float64] = wv
        ) -> NDArray[np.float64]:
            # numpy's stub types bincount as intp even with float weights
            out = np.bincount(who[mask], weights=w[mask], minlength=n + 1)[:n]
            return cast("NDArray[np.float64]", out)

        k_, g_, l_ = count(kept, ra), count(~kept, ra), count(~kept, rb)
        cols[f"{v}_before"], cols[f"{v}_after"] = k_ + l_, k_ + g_
        cols[f"{v}_kept"], cols[f"{v}_gained"], cols[f"{v}_lost"] = k_, g_, l_
        if v != "accounts":
            book = np.maximum(k_ + l_, k_ + g_)
            with np.errstate(invalid="ignore", divide="ignore"):
                cols[f"change_{v}"] = np.where(book > 0, (g_ + l_) / book, 0.0)
    frame = pd.DataFrame(cols)
    for c in ("before", "after", "kept", "gained", "lost"):
        frame[f"accounts_{c}"] = frame[f"accounts_{c}"].round().astype(np.int64)
    frame["flagged"] = (frame["change_potential"] > threshold) | (
        frame["change_revenue"] > threshold
    )
    return frame


def _num(v: Any) -> Any:
    """Plain Python scalars for JSON (numpy ints/floats, NaN -> None)."""
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if np.isnan(v) else float(v)
    return v
