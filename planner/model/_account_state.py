"""Each account's territory now and in the baseline, with the disruption figures kept current.

Disruption (the share of accounts, revenue and potential whose territory differs from the
baseline) and each territory's accounts gained and lost were recomputed over every account after
each edit: ~30 ms of the Enter path at 1M accounts, growing with the project. Here they are
updated for the accounts an edit touches only (those of moved units and pinned or free-form
accounts), in O(touched) with ``np.add.at``.

Territories are named by database id (stable while territories come and go); an account of a
territory a preview is creating carries a negative placeholder id below every real one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

#: Territory id of an account in a territory that does not exist yet (a preview's placeholder).
PENDING = -1000
VALUES = ("accounts", "revenue", "potential")
#: What :meth:`AccountState.revert` needs: the accounts and their territory ids before.
Token = tuple[NDArray[np.int64], NDArray[np.int64]]


@dataclass
class AccountState:
    now: NDArray[np.int64]
    base: NDArray[np.int64]
    weights: dict[str, NDArray[np.float64]]
    totals: dict[str, float] = field(default_factory=dict)
    moved: dict[str, float] = field(default_factory=dict)
    lost: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    gained: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    size: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    #: The plan is the baseline: it is its own reference, so the baseline moves with it.
    is_reference: bool = False

    @classmethod
    def build(
        cls,
        now: NDArray[np.int64],
        base: NDArray[np.int64],
        weights: dict[str, NDArray[np.float64]],
        *,
        is_reference: bool = False,
    ) -> AccountState:
        now = now.astype(np.int64, copy=True)
        base = now if is_reference else base.astype(np.int64, copy=True)
        state = cls(now, base, weights, is_reference=is_reference)
        state.totals = {k: float(w.sum()) for k, w in weights.items()}
        top = int(max(state.base.max(initial=-1), state.now.max(initial=-1))) + 1
        state.size = np.bincount(state.base[state.base >= 0], minlength=top)
        if is_reference:  # nothing differs from itself (a pass over every account saved)
            state.moved = dict.fromkeys(weights, 0.0)
            state.lost = np.zeros(top, np.int64)
            state.gained = np.zeros(top, np.int64)
            return state
        changed = state.now != state.base
        state.moved = {k: float(w[changed].sum()) for k, w in weights.items()}
        state.lost = np.bincount(state.base[changed & (state.base >= 0)], minlength=top)
        state.gained = np.bincount(state.now[changed & (state.now >= 0)], minlength=top)
        return state

    def set(self, accounts: NDArray[np.int64], territory_ids: NDArray[np.int64]) -> Token:
        """Accounts now in these territories; returns what :meth:`revert` needs."""
        old = self.now[accounts].copy()
        if self.is_reference:  # base is now: nothing differs, only the sizes move
            self._grow(int(territory_ids.max(initial=-1)) + 1)
            np.add.at(self.size, old[old >= 0], -1)
            self.now[accounts] = territory_ids
            np.add.at(self.size, territory_ids[territory_ids >= 0], 1)
            return accounts, old
        self._count(accounts, old, -1)
        self.now[accounts] = territory_ids
        self._count(accounts, territory_ids, +1)
        return accounts, old

    def revert(self, token: Token) -> None:
        accounts, old = token
        self.set(accounts, old)

    def _count(self, accounts: NDArray[np.int64], ids: NDArray[np.int64], sign: int) -> None:
        base = self.base[accounts]
        changed = ids != base
        for k, w in self.weights.items():
            self.moved[k] += sign * float(w[accounts][changed].sum())
        self._grow(int(ids.max(initial=-1)) + 1)
        lost, gained = base[changed & (base >= 0)], ids[changed & (ids >= 0)]
        np.add.at(self.lost, lost, sign)
        np.add.at(self.gained, gained, sign)

    def _grow(self, top: int) -> None:
        if top > len(self.gained):
            extra = top - len(self.gained)
            self.lost, self.gained, self.size = (
                np.concatenate([a, np.zeros(extra, np.int64)])
                for a in (self.lost, self.gained, self.size)
            )

    def disruption(self) -> dict[str, float]:
        """Share of accounts, revenue and potential whose territory differs from the baseline."""
        return {k: (self.moved[k] / self.totals[k]) if self.totals[k] > 0 else 0.0 for k in VALUES}

    def per_territory(self, territory_ids: NDArray[np.int64]) -> NDArray[np.float64]:
        """Per territory (ids): accounts gained + lost, over its baseline account count."""
        ids = np.asarray(territory_ids, dtype=np.int64)
        ok = (ids >= 0) & (ids < 2**40)  # not a preview's placeholder
        self._grow(int(ids[ok].max(initial=-1)) + 1)
        size, churn = np.zeros(len(ids)), np.zeros(len(ids))
        size[ok] = self.size[ids[ok]]
        churn[ok] = self.lost[ids[ok]] + self.gained[ids[ok]]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(size > 0, churn / np.maximum(size, 1), 0.0)
