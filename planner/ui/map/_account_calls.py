"""MapView's calls for the binary accounts layer (resources/map/accounts.js).

The points go as typed arrays in a file (``_account_file``), names never go up front: the page
asks for the name of the account under the mouse (``bridge.accountInfoRequested``) and whoever
holds the plan answers with :meth:`AccountLayerCalls.reply_account_info`. After an edit only the
accounts whose own assignment changed are sent, by index (:meth:`assign_accounts_at`); accounts
that follow a unit follow it in the page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from planner.model.mapdata import AccountArrays
from planner.ui.map import _account_file

JsCallback = Callable[[Any], None]


class AccountLayerCalls:
    """Mixin for :class:`~planner.ui.map.view.MapView`: needs its ``call`` and ``page_path``;
    :meth:`_init_account_layer` connects it to the bridge."""

    page_path: Path
    _account_layer = 0

    def call(self, function: str, *args: object, callback: JsCallback | None = None) -> None:
        raise NotImplementedError  # MapView.call

    def _init_account_layer(self, loaded_signal: Any) -> None:
        """Files the page has read are deleted at once (10M accounts: 120-160 MB each)."""
        loaded_signal.connect(self._account_layer_loaded)

    @property
    def account_layer(self) -> int:
        """The number of the last binary accounts layer sent (0: none): the page's name
        requests carry it, so an answer for an older layer is never shown on a newer one."""
        return self._account_layer

    def set_account_arrays(self, arrays: AccountArrays, callback: JsCallback | None = None) -> int:
        """Replace the accounts layer with ``arrays`` (``mapdata.account_arrays``): written as
        typed arrays into the page's folder and read by the page as one ArrayBuffer. The page
        says ``rendered("accounts")`` once painted. Returns the layer number."""
        self._account_layer += 1
        header = _account_file.write_layer(self.page_path.parent, self._account_layer, arrays)
        self.call("loadAccounts", header, callback=callback)
        return self._account_layer

    def _account_layer_loaded(self, layer: int) -> None:
        _account_file.remove_layers(self.page_path.parent, layer)

    def assign_accounts_at(self, indices: Iterable[int], codes: Iterable[int]) -> None:
        """Accounts (by index) whose own assignment changed: territory id, ``UNASSIGNED`` or
        ``FOLLOW_UNIT`` (``mapdata.changed_atoms``)."""
        idx = np.asarray(list(indices) if not isinstance(indices, np.ndarray) else indices)
        own = np.asarray(list(codes) if not isinstance(codes, np.ndarray) else codes)
        self.call("assignAccountsAt", idx.astype(np.int64).tolist(), own.astype(np.int64).tolist())

    def reply_account_info(self, layer: int, index: int, name: str, code: str) -> None:
        """The answer to the page's ``account_info`` request (shown as text, never HTML)."""
        self.call(
            "accountInfo", {"layer": int(layer), "index": int(index), "name": name, "code": code}
        )

    def set_account_options(self, **options: float) -> None:
        """``maxPoints`` (beyond that many accounts in view they are binned), ``cell`` (bin size,
        CSS px), ``radius`` (dot radius, CSS px)."""
        self.call("setAccountOptions", dict(options))

    def _remove_account_files(self) -> None:
        _account_file.remove_layers(self.page_path.parent)
