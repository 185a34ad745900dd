"""The in-memory side of territory operations: the Plan's territory columns and totals.

A Plan holds its scenario's territories as the territory columns of its
:class:`~planner.model.atoms.AtomData` (frozen: every change makes a new one that shares the
unit and account arrays) and one totals row and travel anchor per territory in its
:class:`~planner.model.balance.Balance`. These functions keep the two in step when an Edit
creates, changes or deletes territories.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from planner.model.atoms import AtomData, replace_territories
from planner.model.balance import Balance
from planner.model.edits import NewTerritory, TerritoryUpdate

#: Ids of territories a preview shows before they exist.
PLACEHOLDER = 2**62

#: AtomData column of each territory attribute (and how a missing value is stored there).
_COLUMNS = {
    "name": ("territory_names", ""),
    "colour": ("territory_colours", "#888888"),
    "rep_id": ("territory_rep_ids", np.nan),
    "parent_id": ("territory_parent_ids", np.nan),
    "target_weight": ("territory_weights", 1.0),
    "locked": ("territory_locked", False),
}


def spec_of(a: AtomData, t: int) -> dict[str, Any]:
    """The attributes of territory index ``t`` as an Edit stores them."""
    rep, parent = a.territory_rep_ids[t], a.territory_parent_ids[t]
    return {
        "name": str(a.territory_names[t]),
        "colour": str(a.territory_colours[t]),
        "rep_id": int(rep) if np.isfinite(rep) else None,
        "parent_id": int(parent) if np.isfinite(parent) else None,
        "target_weight": float(a.territory_weights[t]),
        "locked": bool(a.territory_locked[t]),
    }


def _stored(key: str, value: Any) -> Any:
    missing = _COLUMNS[key][1]
    return missing if value is None else value


def _home(a: AtomData, rep: Any) -> tuple[float, float]:
    if rep is None or (isinstance(rep, float) and not np.isfinite(rep)):
        return (np.nan, np.nan)
    return a.rep_homes.get(int(rep), (np.nan, np.nan))


def append(a: AtomData, bal: Balance, creates: Iterable[NewTerritory]) -> AtomData:
    """Territories appended at the end (their placeholder indices), with zero totals and the
    rep's home base as travel anchor (without one, the plan re-centres it on the accounts
    that move in: :meth:`Balance.refresh_anchors`)."""
    creates = list(creates)
    cols: dict[str, Any] = {}
    for key, (column, _missing) in _COLUMNS.items():
        old = getattr(a, column)
        extra = [_stored(key, c.spec.get(key)) for c in creates]
        cols[column] = np.concatenate([old, np.asarray(extra, dtype=old.dtype)])
    homes = [_home(a, c.spec.get("rep_id")) for c in creates]
    # A territory not created yet (a preview) gets a placeholder id above any real one, so
    # it stays last when territories are kept in id order.
    ids = [
        c.territory_id if c.territory_id is not None else PLACEHOLDER + j
        for j, c in enumerate(creates)
    ]
    cols["territory_ids"] = np.concatenate([a.territory_ids, np.asarray(ids, np.int64)])
    cols["home_lon"] = np.concatenate([a.home_lon, [h[0] for h in homes]])
    cols["home_lat"] = np.concatenate([a.home_lat, [h[1] for h in homes]])
    fresh = _replace(a, cols)
    bal.atoms = fresh
    bal.totals = np.vstack([bal.totals, np.zeros((len(creates), bal.totals.shape[1]))])
    bal.anchor_lon = np.append(bal.anchor_lon, [h[0] for h in homes])
    bal.anchor_lat = np.append(bal.anchor_lat, [h[1] for h in homes])
    return fresh


def update(a: AtomData, bal: Balance, updates: Iterable[TerritoryUpdate]) -> AtomData:
    """New attribute values; a new rep moves the travel anchor to their home base (and the
    totals are recomputed, since travel depends on it)."""
    index = a.territory_index()
    cols = {column: getattr(a, column).copy() for column, _ in _COLUMNS.values()}
    cols["home_lon"], cols["home_lat"] = a.home_lon.copy(), a.home_lat.copy()
    anchors_moved = False
    for u in updates:
        t = index[u.territory_id]
        for key, value in u.after.items():
            cols[_COLUMNS[key][0]][t] = _stored(key, value)
        if "rep_id" in u.after:
            lon, lat = _home(a, u.after["rep_id"])
            cols["home_lon"][t], cols["home_lat"][t] = lon, lat
            if np.isfinite(lon) and np.isfinite(lat):
                bal.anchor_lon[t], bal.anchor_lat[t] = lon, lat
                anchors_moved = True
    fresh = _replace(a, cols)
    bal.atoms = fresh
    if anchors_moved:
        bal.totals = bal.recompute()
    return fresh


def remove(
    a: AtomData, bal: Balance, alignment: NDArray[np.int32], territory_ids: Iterable[int]
) -> tuple[AtomData, NDArray[np.int64]]:
    """Drop territories (they hold nothing) and renumber the rest; returns the new AtomData
    and the old -> new index map (-1 for a dropped territory)."""
    gone = {int(t) for t in territory_ids}
    keep = np.flatnonzero([int(t) not in gone for t in a.territory_ids])
    return renumber(a, bal, alignment, keep)


def sort_by_id(
    a: AtomData, bal: Balance, alignment: NDArray[np.int32]
) -> tuple[AtomData, NDArray[np.int64]] | None:
    """Territories back in id order (as a fresh load has them) after one came back at the
    end (the undo of a delete); None when they already are."""
    order = np.argsort(a.territory_ids, kind="stable")
    if (order == np.arange(len(order))).all():
        return None
    return renumber(a, bal, alignment, order)


def renumber(
    a: AtomData, bal: Balance, alignment: NDArray[np.int32], keep: NDArray[np.int64]
) -> tuple[AtomData, NDArray[np.int64]]:
    """Keep territories ``keep`` in that order; the alignment (in place: Balance shares it),
    totals and anchors follow. Returns the old -> new index map (-1 for a dropped one)."""
    remap = np.full(a.n_territories, -1, dtype=np.int64)
    remap[keep] = np.arange(len(keep))
    cols: dict[str, Any] = {column: getattr(a, column)[keep] for column, _ in _COLUMNS.values()}
    cols.update(
        territory_ids=a.territory_ids[keep], home_lon=a.home_lon[keep], home_lat=a.home_lat[keep]
    )
    fresh = _replace(a, cols)
    assigned = alignment >= 0
    if (remap[alignment[assigned]] < 0).any():
        raise ValueError("a deleted territory still holds atoms")
    alignment[assigned] = remap[alignment[assigned]]
    bal.atoms = fresh
    bal.totals = bal.totals[keep]
    bal.anchor_lon, bal.anchor_lat = bal.anchor_lon[keep], bal.anchor_lat[keep]
    return fresh, remap


def _replace(a: AtomData, cols: Mapping[str, Any]) -> AtomData:
    return replace_territories(a, **cols)
