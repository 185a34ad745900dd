"""MapView's calls into the page's live territory model (resources/map/territories.js).

Push the territories once, units and accounts with territory *ids*, then after each edit only
the changed assignments; fills, tooltips, popups, labels and account colours follow in the page.
The data comes from ``planner.model.mapdata`` (pure builders, no Qt).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

JsCallback = Callable[[Any], None]
#: An account's own assignment when it goes with its unit / has no territory (page codes).
FOLLOW_UNIT = -2
UNASSIGNED = -1


class RawJson(str):
    """Text that is already valid JSON (made by json.dumps / shapely.to_geojson)."""


class LiveModelCalls:
    """Mixin for :class:`~planner.ui.map.view.MapView`: needs its ``call``."""

    def call(self, function: str, *args: object, callback: JsCallback | None = None) -> None:
        raise NotImplementedError  # MapView.call

    def set_territories(self, items: Iterable[Mapping[str, Any]]) -> None:
        """Replace the page's territories: ``[{id, name, colour, locked}]``
        (``planner.model.mapdata.territory_items``). Fills, tooltips, labels, outlines and
        account colours follow."""
        self.call("setTerritories", [dict(t) for t in items])

    def update_territories(self, items: Iterable[Mapping[str, Any]]) -> None:
        """Merge changed territories (rename, recolour, lock): only the given keys change."""
        self.call("updateTerritories", [dict(t) for t in items])

    def set_fills(self, fills: Mapping[int, str] | None) -> None:
        """Fill by territory for another colour mode (``{territory id: css}``, e.g.
        ``mapdata.deviation_fills``); None goes back to the territories' own colours. Units and
        account points both follow."""
        self.call("setFills", None if fills is None else {str(k): v for k, v in fills.items()})

    def update_fills(self, fills: Mapping[int, str]) -> None:
        """Change the fills of some territories (those an edit touched) in that mode."""
        self.call("updateFills", {str(k): v for k, v in fills.items()})

    def assign_units(
        self, mapping: Mapping[int, int | None], callback: JsCallback | None = None
    ) -> None:
        """Units that changed territory: ``{unit id: territory id | None}``
        (``mapdata.changed_assignments``). Accounts that follow them are recoloured by the page;
        callback gets the JS ms."""
        self.call("assignUnits", {str(k): v for k, v in mapping.items()}, callback=callback)

    def assign_accounts(self, mapping: Mapping[int, int]) -> None:
        """Accounts whose own assignment changed (pins, free-form): ``{account id: territory id |
        UNASSIGNED | FOLLOW_UNIT}``."""
        self.call("assignAccounts", {str(k): int(v) for k, v in mapping.items()})

    def clear_data_layers(self) -> None:
        """Remove the units and accounts layers (another project is on its way): the page
        neither projects the old polygons again when the view moves nor keeps showing the old
        accounts when the new project has none."""
        self.call("clearUnits")
        self.call("clearAccounts")

    def set_account_layer(
        self, layer: Mapping[str, Sequence[Any]], callback: JsCallback | None = None
    ) -> None:
        """Account points coloured by the live model: ``{ids, lon, lat, unit, territory,
        names?}`` (``mapdata.account_layer``). Sent as one JSON text: for small layers and
        tests; the window sends typed arrays (``set_account_arrays``)."""
        self.call("setAccounts", RawJson(json.dumps(dict(layer))), callback=callback)

    def set_labels(self, items: Iterable[Mapping[str, Any]]) -> None:
        """Territory name labels at ``[{id, lat, lon, rank}]`` (``mapdata.label_points``); the
        names come from the territory model, bigger ``rank`` wins where names would overlap."""
        self.call("setLabels", [dict(i) for i in items])

    def update_labels(
        self, items: Iterable[Mapping[str, Any]], territory_ids: Sequence[int]
    ) -> None:
        """Replace the labels of these territories (after an edit touched them)."""
        self.call("updateLabels", [dict(i) for i in items], [int(t) for t in territory_ids])

    def set_label_min_zoom(self, zoom: float) -> None:
        """Show territory names from this zoom level on (default 6)."""
        self.call("setLabelOptions", {"minZoom": float(zoom)})
