"""Territory totals, O(|S|) deltas, deviation from target, Gini and disruption.

Totals per territory are kept in a ``K x len(TOTAL_COLUMNS)`` matrix. Moving atoms ``S`` changes
only the rows of the territories they leave and join, by subtracting and adding the atoms'
contributions, so a move costs O(|S|) whatever the project size.

Workload
--------
``workload_hours(t) = sum(visits_a * (minutes_per_visit_a + travel_a(t))) / 60`` over accounts in t,
with the travel time of one visit estimated from the territory's anchor, reps chaining several
visits into one day trip::

    travel_minutes = 2 * ROAD_FACTOR * great_circle_km(anchor, account) / SPEED_KMH * 60
                     / VISITS_PER_TRIP + HOP_MINUTES

``ROAD_FACTOR = 1.3`` (road distance over great-circle distance, a common planning constant),
``SPEED_KMH = 60`` (mixed rural/urban driving), ``VISITS_PER_TRIP = 4`` (the round trip from
the anchor is shared by a day's visits) and ``HOP_MINUTES = 15`` (driving between two accounts
of the same trip). Charging a full round trip to every visit made travel dwarf the calls in
large rural territories (6 h per 45-minute visit), which no field team plans for.

The anchor is the home base of the territory's rep; a territory without a rep home base uses the
visit-weighted centre of its accounts at load time (held fixed while editing, so deltas stay
O(|S|)). For a unit atom the distance is taken to the visit-weighted centroid of the unit's
accounts: exact for small units, an approximation for large ones (documented in README
"Balance").
"""

from __future__ import annotations

from typing import cast

import numpy as np
from numpy.typing import NDArray

from planner.model.atoms import COL, FOLLOW, AtomData, unit_sums

ROAD_FACTOR = 1.3
SPEED_KMH = 60.0
VISITS_PER_TRIP = 4.0
HOP_MINUTES = 15.0
EARTH_RADIUS_KM = 6371.0088

#: Internal total columns: the base columns plus travel minutes.
TOTAL_COLUMNS = ("accounts", "potential", "revenue", "pipeline", "visits", "call_minutes", "travel")
TRAVEL = len(TOTAL_COLUMNS) - 1
#: Metrics shown to users and balanced, in display order.
METRICS = ("accounts", "potential", "workload_hours", "revenue", "pipeline")


def haversine_km(
    lon1: NDArray[np.float64],
    lat1: NDArray[np.float64],
    lon2: float | NDArray[np.float64],
    lat2: float | NDArray[np.float64],
) -> NDArray[np.float64]:
    lon1, lat1, lon2, lat2 = (
        np.radians(np.asarray(v, dtype=np.float64)) for v in (lon1, lat1, lon2, lat2)
    )
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return cast(
        "NDArray[np.float64]", 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    )


def travel_minutes_per_visit(
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    anchor_lon: NDArray[np.float64],
    anchor_lat: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Drive minutes per visit from an anchor (module docstring); 0 where a point is unknown."""
    km = haversine_km(lon, lat, anchor_lon, anchor_lat)
    trip = 2.0 * ROAD_FACTOR * km / SPEED_KMH * 60.0 / VISITS_PER_TRIP + HOP_MINUTES
    return np.nan_to_num(trip, nan=0.0)


def gini(values: NDArray[np.float64]) -> float:
    """Gini coefficient of non-negative values (0 = perfectly equal)."""
    v = np.sort(np.clip(np.asarray(values, dtype=np.float64), 0.0, None))
    n = len(v)
    if n == 0 or v.sum() <= 0:
        return 0.0
    ranks = np.arange(1, n + 1)
    return float((2.0 * (ranks * v).sum()) / (n * v.sum()) - (n + 1.0) / n)


class Balance:
    """Mutable totals of one alignment. The caller owns the alignment vector and passes changes.

    ``unit_matrix`` holds each unit's sums over the accounts that FOLLOW it; pinning an account
    takes its row out of its unit and unpinning puts it back, so moving a unit never moves a
    pinned account.
    """

    def __init__(self, atoms: AtomData, alignment: NDArray[np.int32]) -> None:
        self.atoms = atoms
        self.alignment = alignment  # shared with the Plan: Balance updates it in apply()
        self.anchor_lon, self.anchor_lat = self._anchors()
        self.unit_matrix = self._unit_matrix()
        self.totals = self.recompute()

    # -- set-up ------------------------------------------------------------------------------
    def _unit_matrix(self) -> NDArray[np.float64]:
        a = self.atoms
        acc_al = self.alignment[a.n_units :]
        follows = (a.account_unit >= 0) & (acc_al == FOLLOW)
        if follows.all():  # no pin, every account located: the sums the atom cache keeps
            return a.unit_matrix_all()
        # The cached sums over every located account, less the few that do not follow their
        # unit (pins): masking a copy of the 1M-account matrix cost ~0.4 s of every open.
        pinned = np.flatnonzero((a.account_unit >= 0) & ~follows)
        return a.unit_matrix_all() - unit_sums(
            a.account_unit[pinned], a.account_matrix[pinned], a.n_units
        )

    def _anchors(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Rep home bases; for territories without one, the visit-weighted centre of their
        accounts."""
        a = self.atoms
        lon, lat = a.home_lon.copy(), a.home_lat.copy()
        missing = np.flatnonzero(~(np.isfinite(lon) & np.isfinite(lat)))
        if len(missing):
            clon, clat = self._centres(missing)
            lon[missing], lat[missing] = clon, clat
        return lon, lat

    def _centres(self, ts: NDArray[np.int64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Visit-weighted centre of the located accounts of territories ``ts`` (NaN if none)."""
        from planner.model.atoms import account_territories

        a = self.atoms
        terr = account_territories(a, self.alignment)
        ok = (terr >= 0) & np.isfinite(a.account_lon) & np.isfinite(a.account_lat)
        w = np.maximum(a.account_matrix[ok, COL["visits"]], 1e-9)
        k = a.n_territories
        ws = np.bincount(terr[ok], weights=w, minlength=k)[ts]
        cx = np.bincount(terr[ok], weights=w * a.account_lon[ok], minlength=k)[ts]
        cy = np.bincount(terr[ok], weights=w * a.account_lat[ok], minlength=k)[ts]
        with np.errstate(invalid="ignore", divide="ignore"):
            return cx / ws, cy / ws

    def refresh_anchors(self, territories: NDArray[np.int64] | list[int]) -> None:
        """Re-centre the travel anchor of these territories when they have no rep home base,
        and recompute their travel.

        The anchor of such a territory is *defined* as the centre of its accounts, so after an
        edit it moves with them: the window, the CLI and a reopened project then always agree
        (an anchor fixed at load time made them differ after edits). O(atoms) vectorised,
        only when a rep-less territory was touched.
        """
        a = self.atoms
        ts = np.asarray(sorted({int(t) for t in territories if t >= 0}), dtype=np.int64)
        if not len(ts):
            return
        ts = ts[~(np.isfinite(a.home_lon[ts]) & np.isfinite(a.home_lat[ts]))]
        if not len(ts):
            return
        self.anchor_lon[ts], self.anchor_lat[ts] = self._centres(ts)
        self.totals[ts, TRAVEL] = self._travel(ts)

    def _travel(self, ts: NDArray[np.int64]) -> NDArray[np.float64]:
        """Travel minutes of territories ``ts`` from scratch (their atoms, current anchors)."""
        a = self.atoms
        k = a.n_territories
        out = np.zeros(k)
        idx = np.arange(a.n_atoms)
        terr = self.alignment.astype(np.int64)
        own = terr >= 0
        mask = own & np.isin(terr, ts)
        if mask.any():
            rows, lon, lat = self._rows(idx[mask])
            contrib = self._contribution(rows, lon, lat, terr[mask])
            # numpy's stub types bincount as intp even with float weights
            out = cast(
                "NDArray[np.float64]",
                np.bincount(terr[mask], weights=contrib[:, -1], minlength=k),
            )
        return out[ts]

    # -- contributions -----------------------------------------------------------------------
    def _rows(
        self, atom_idx: NDArray[np.int64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """Base rows and travel location of atoms (units: current follower sums)."""
        a = self.atoms
        is_unit = atom_idx < a.n_units
        rows = np.empty((len(atom_idx), self.unit_matrix.shape[1]))
        lon = np.empty(len(atom_idx))
        lat = np.empty(len(atom_idx))
        u = atom_idx[is_unit]
        rows[is_unit] = self.unit_matrix[u]
        lon[is_unit], lat[is_unit] = a.unit_travel_lon[u], a.unit_travel_lat[u]
        acc = atom_idx[~is_unit] - a.n_units
        rows[~is_unit] = a.account_matrix[acc]
        lon[~is_unit], lat[~is_unit] = a.account_lon[acc], a.account_lat[acc]
        return rows, lon, lat

    def _contribution(
        self,
        rows: NDArray[np.float64],
        lon: NDArray[np.float64],
        lat: NDArray[np.float64],
        terr: NDArray[np.int64],
    ) -> NDArray[np.float64]:
        """Total-column contributions of rows placed in territories ``terr`` (all >= 0)."""
        travel = rows[:, COL["visits"]] * travel_minutes_per_visit(
            lon, lat, self.anchor_lon[terr], self.anchor_lat[terr]
        )
        return np.column_stack([rows, travel])

    def _add(
        self,
        rows: NDArray[np.float64],
        lon: NDArray[np.float64],
        lat: NDArray[np.float64],
        terr: NDArray[np.int64],
        sign: float,
    ) -> None:
        ok = terr >= 0
        if ok.any():
            contrib = self._contribution(rows[ok], lon[ok], lat[ok], terr[ok])
            np.add.at(self.totals, terr[ok], sign * contrib)

    def _effective(
        self, atom_idx: NDArray[np.int64], values: NDArray[np.int32]
    ) -> NDArray[np.int64]:
        """Territory an atom counts in for a given alignment value (FOLLOW -> its unit's)."""
        a = self.atoms
        eff = values.astype(np.int64).copy()
        follow = values == FOLLOW
        if follow.any():
            au = a.account_unit[atom_idx[follow] - a.n_units]
            eff[follow] = np.where(au >= 0, self.alignment[np.maximum(au, 0)], -1)
        return eff

    # -- the O(|S|) update -------------------------------------------------------------------
    def apply(self, atom_idx: NDArray[np.int64], new_values: NDArray[np.int32]) -> None:
        """Set ``alignment[atom_idx] = new_values`` and update totals in O(len(atom_idx)).

        Accounts are processed before units so a MoveSet that pins an account and moves its
        unit in one step stays exact (the unit's rows no longer include the pinned account).
        """
        atom_idx = np.asarray(atom_idx, dtype=np.int64)
        new_values = np.asarray(new_values, dtype=np.int32)
        a = self.atoms
        is_acc = atom_idx >= a.n_units
        if is_acc.any():
            self._apply_accounts(atom_idx[is_acc], new_values[is_acc])
        if (~is_acc).any():
            units, vals = atom_idx[~is_acc], new_values[~is_acc]
            rows, lon, lat = self._rows(units)
            self._add(rows, lon, lat, self.alignment[units].astype(np.int64), -1.0)
            self.alignment[units] = vals
            self._add(rows, lon, lat, vals.astype(np.int64), +1.0)

    def _apply_accounts(self, atom_idx: NDArray[np.int64], new_values: NDArray[np.int32]) -> None:
        a = self.atoms
        old_values = self.alignment[atom_idx]
        rows, lon, lat = self._rows(atom_idx)
        acc = atom_idx - a.n_units
        unit = a.account_unit[acc]
        for values, sign in ((old_values, -1.0), (new_values, +1.0)):
            # An account that follows its unit travels from the unit's centre (as the unit
            # row counts it); a pinned or free-form account from its own location.
            via_unit = (values == FOLLOW) & (unit >= 0)
            u = np.maximum(unit, 0)
            plon = np.where(via_unit, a.unit_travel_lon[u] if a.n_units else lon, lon)
            plat = np.where(via_unit, a.unit_travel_lat[u] if a.n_units else lat, lat)
            self._add(rows, plon, plat, self._effective(atom_idx, values), sign)
        leaving = (old_values == FOLLOW) & (new_values != FOLLOW) & (unit >= 0)
        joining = (old_values != FOLLOW) & (new_values == FOLLOW) & (unit >= 0)
        np.subtract.at(self.unit_matrix, unit[leaving], a.account_matrix[acc[leaving]])
        np.add.at(self.unit_matrix, unit[joining], a.account_matrix[acc[joining]])
        self.alignment[atom_idx] = new_values

    # -- full recompute (independent path, used at load and to verify deltas) ---------------
    def recompute(self) -> NDArray[np.float64]:
        """Totals from scratch with bincount over atoms (does not use the delta path)."""
        a = self.atoms
        k = a.n_territories
        totals = np.zeros((k, len(TOTAL_COLUMNS)))
        units = np.arange(a.n_units)
        unit_terr = self.alignment[: a.n_units].astype(np.int64)
        # Pinned or free-form accounts count on their own: only those are indexed (two 80 MB
        # arrays of every account cost ~0.7 s of a 10M-account open in the window).
        own = np.flatnonzero(self.alignment[a.n_units :] >= 0)
        acc_terr = self.alignment[a.n_units + own].astype(np.int64)
        for idx, terr in ((units, unit_terr), (own + a.n_units, acc_terr)):
            ok = terr >= 0
            if not ok.any():
                continue
            rows, lon, lat = self._rows(idx[ok])
            contrib = self._contribution(rows, lon, lat, terr[ok])
            for j in range(contrib.shape[1]):
                totals[:, j] += np.bincount(terr[ok], weights=contrib[:, j], minlength=k)
        return totals

    # -- derived measures --------------------------------------------------------------------
    def metric_values(
        self, totals: NDArray[np.float64] | None = None
    ) -> dict[str, NDArray[np.float64]]:
        t = self.totals if totals is None else totals
        return metric_values(t)


def metric_values(totals: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
    """User-facing metrics per territory from a totals matrix."""
    return {
        "accounts": totals[:, COL["accounts"]],
        "potential": totals[:, COL["potential"]],
        "revenue": totals[:, COL["revenue"]],
        "pipeline": totals[:, COL["pipeline"]],
        "visits": totals[:, COL["visits"]],
        "workload_hours": (totals[:, COL["call_minutes"]] + totals[:, TRAVEL]) / 60.0,
    }


#: The metric views open on: the first of these the project has data for.
DEFAULT_ORDER = ("potential", "workload_hours", "revenue", "accounts", "pipeline")


def metrics_with_data(totals: NDArray[np.float64]) -> tuple[str, ...]:
    """User-facing metrics whose total is not zero. An import without a potential column
    leaves every potential at 0: its deviations are all 0, which is no balance at all."""
    vals = metric_values(totals)
    return tuple(m for m in METRICS if float(np.abs(vals[m]).sum()) > 0)


def default_metric(totals: NDArray[np.float64]) -> str:
    """The metric to show first: potential if the project has it, else the next with data."""
    have = metrics_with_data(totals)
    return next((m for m in DEFAULT_ORDER if m in have), "accounts")


def deviations(values: NDArray[np.float64], weights: NDArray[np.float64]) -> NDArray[np.float64]:
    """(value - target) / target with target = total x weight / sum(weights); 0 where no target."""
    w = np.asarray(weights, dtype=np.float64)
    if len(values) == 0 or w.sum() <= 0:
        return np.zeros(len(values))
    target = values.sum() * w / w.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(target > 0, (values - target) / target, 0.0)


def summary(
    totals: NDArray[np.float64],
    weights: NDArray[np.float64],
    present: NDArray[np.bool_] | None = None,
) -> dict[str, dict[str, float]]:
    """max |deviation|, mean |deviation| and Gini per user-facing metric.

    ``present`` limits the figures to some territories (a comparison of two scenarios lists
    territories one of them does not have; they count on neither side's balance).
    """
    vals = metric_values(totals)
    keep = np.ones(len(totals), dtype=bool) if present is None else np.asarray(present, bool)
    out: dict[str, dict[str, float]] = {
        "max_abs_deviation": {},
        "mean_abs_deviation": {},
        "gini": {},
    }
    for m in METRICS:
        dev = np.abs(deviations(vals[m][keep], weights[keep]))
        out["max_abs_deviation"][m] = float(dev.max()) if len(dev) else 0.0
        out["mean_abs_deviation"][m] = float(dev.mean()) if len(dev) else 0.0
        out["gini"][m] = gini(vals[m][keep])
    return out
