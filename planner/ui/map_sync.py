"""Keeps the map page in step with the shown Plan: the page's live territory model.

The page holds the territories (names, colours, locks), each unit's territory id and each
account's own assignment (typed arrays; names are asked for on hover, see
:meth:`MapSync._on_account_info`); fills, tooltips, popups, labels and account colours are
derived there. So after an edit (apply, undo or redo alike) only what changed crosses the
bridge: the atoms of the change, the outlines and labels of the territories it touched, and the
territory list when territories came, went or changed. Tooltips therefore always show the live
alignment (they showed the one loaded at start).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from PySide6.QtCore import QObject, QTimer, Signal

from planner.model import mapdata
from planner.model.events import PlanChange
from planner.model.geo import outlines
from planner.model.plan import Plan
from planner.ui.level_colours import THIN_LINES, level_fills, level_legend
from planner.ui.map.view import MapView, RawJson


class MapSync(QObject):
    """Pushes a Plan to a MapView once, then only its changes."""

    rendered = Signal()  # every layer pushed at open has painted (the snapshot waits for it)

    def __init__(self, view: MapView, *, report: bool = False) -> None:
        """``report``: a picture for a report (:class:`~planner.ui.map_capture.OffscreenMap`):
        no account points where there are units (at 100k accounts they were a third of the
        picture's time and show nothing the territories do not), no zoom to the whole plan
        (the report sets its view first) and no coverage check (no edit follows)."""
        super().__init__(view)
        self.view = view
        self.report = report
        self.plan: Plan | None = None
        self.colour_mode = "territory"
        self.metric = "potential"
        self.level = "territory"  # the hierarchy level coloured in "level" mode
        self._thin = False  # outlines drawn thin (a level mode) in the page
        self._display = np.zeros(0, dtype=object)
        self._valid_coverage = self._coverage_checked = False
        self._unit_geojson: list[str] = []
        self._sent = False
        self._waiting: set[str] = set()
        view.bridge.rendered.connect(self._on_rendered)
        view.bridge.accountInfoRequested.connect(self._on_account_info)
        view.mapReady.connect(self._push_all)

    # -- showing a plan ----------------------------------------------------------------------
    def show(self, plan: Plan, display: np.ndarray, unit_geojson: list[str] | None) -> None:
        """Show ``plan``. With ``unit_geojson`` the unit layer is (re)built (a new project);
        without, only what differs from the plan shown so far is sent (a scenario switch)."""
        previous, self.plan = self.plan, plan
        if display is not self._display:  # a new project: its coverage is checked once idle
            self._valid_coverage = self._coverage_checked = False
        self._display = display
        if unit_geojson is not None or previous is None or not self._sent:
            if unit_geojson is not None:
                self._unit_geojson = unit_geojson
            self._sent = False
            if self.view.is_ready:
                self._push_all()
            return
        # Same project, another scenario: its territories, then only the atoms that differ.
        self.view.set_territories(mapdata.territory_items(plan))
        units, accounts = mapdata.differing_atoms(plan, previous.alignment)
        self.view.assign_units(units)
        if len(accounts):
            self.view.assign_accounts_at(accounts.indices, accounts.codes)
        self._territory_layers()

    def _push_all(self) -> None:
        plan = self.plan
        if plan is None or self._sent:
            return
        self._sent = True
        self._thin = False  # a fresh page
        self._waiting = set()
        v = self.view
        v.clear_data_layers()
        if not self.report or not plan.atoms.n_units:
            # First: the page's calls run one after another on its main thread, so a file
            # announced after the units (seconds at 41k ZIP areas) was read only once they were
            # built; announced first, a worker reads it while the main thread builds them.
            layer = mapdata.account_arrays(plan, cached_order=True)
            if layer.any_located:
                self._waiting.add("accounts")
                v.set_account_arrays(layer)
        if not self.report:
            # The view before the layers: Leaflet projects every polygon when it is added and
            # again when the zoom changes (0.4 s of the page at 41k ZIP areas, twice).
            self.zoom_to_all()
        v.set_territories(mapdata.territory_items(plan))
        if plan.atoms.n_units:
            self._waiting |= {"units", "outlines"}
            v.set_units(RawJson(mapdata.unit_layer_json(plan, self._unit_geojson)))
        self._territory_layers()
        # Sent now, not when this event-loop turn ends: the docks and the undo history are
        # filled after this, while the page works.
        v.flush()

    def _territory_layers(self) -> None:
        """Outlines, labels, fills, rep home bases and the legend of the whole plan."""
        plan, v = self.plan, self.view
        assert plan is not None
        shapes = mapdata.territory_shapes(plan, self._display, valid_coverage=self._valid_coverage)
        v.set_outlines(RawJson(mapdata.outline_layer_json(plan, shapes)[0]))
        v.set_labels(mapdata.label_points(plan, shapes))
        self._fills()
        self._reps()
        self._legend()

    # -- after each change -----------------------------------------------------------------
    def on_change(self, change: PlanChange) -> None:
        plan, v = self.plan, self.view
        assert plan is not None
        self._check_coverage()  # at once if an edit came before the map was idle
        if change.territories_changed:
            v.set_territories(mapdata.territory_items(plan))
        units, accounts = mapdata.changed_atoms(plan, change.moveset)
        if units:
            v.assign_units(units)
        if len(accounts):
            v.assign_accounts_at(accounts.indices, accounts.codes)
        created_or_deleted = change.edit is not None and (
            change.edit.creates or change.edit.deletes
        )
        if created_or_deleted:
            self._territory_layers()
            return
        if plan.atoms.n_units and change.touched:
            shapes = mapdata.territory_shapes(
                plan, self._display, list(change.touched), valid_coverage=self._valid_coverage
            )
            fc, ids = mapdata.outline_layer_json(plan, shapes)
            v.update_outlines(RawJson(fc), ids)
            v.update_labels(mapdata.label_points(plan, shapes), ids)
        if self.colour_mode == "deviation" or (
            self.colour_mode == "level" and change.territories_changed
        ):
            self._fills()  # every target moves when a total does; a node changed: all K fills
        if change.territories_changed:
            self._reps()
            self._legend()

    # -- colour mode, legend, reps ---------------------------------------------------------
    def set_colour_mode(self, mode: str, metric: str | None = None) -> None:
        """``mode`` territory, deviation (of ``metric``) or level (``metric`` names it)."""
        self.colour_mode = mode
        if mode == "level":
            self.level = metric or self.level
        else:
            self.metric = metric or self.metric
        if self.plan is not None and self._sent:
            self._fills()
            self._legend()

    def _fills(self) -> None:
        plan = self.plan
        assert plan is not None
        level = self.level if self.colour_mode == "level" else "territory"
        if self._thin != (level != "territory"):
            self._thin = level != "territory"
            self.view.set_outline_style(THIN_LINES if self._thin else None)
        if self.colour_mode == "deviation":
            self.view.set_fills(mapdata.deviation_fills(plan, self.metric))
        else:
            self.view.set_fills(level_fills(plan, level))

    def _reps(self) -> None:
        a = self.plan.atoms  # type: ignore[union-attr]
        reps = [
            {"id": int(a.territory_ids[i]), "name": a.rep_names.get(int(r), ""),
             "lon": float(a.home_lon[i]), "lat": float(a.home_lat[i])}
            for i, r in enumerate(a.territory_rep_ids)
            if np.isfinite(r) and np.isfinite(a.home_lon[i])
        ]  # fmt: skip
        self.view.set_reps(reps)

    def _legend(self) -> None:
        a = self.plan.atoms  # type: ignore[union-attr]
        if self.colour_mode == "level" and self.level != "territory":
            items = level_legend(self.plan, self.level)  # type: ignore[arg-type]
        elif self.colour_mode == "deviation":
            items = [("≥ +30 % over target", mapdata.deviation_colour(0.3)),
                     ("on target", mapdata.deviation_colour(0.0)),
                     ("≤ −30 % under target", mapdata.deviation_colour(-0.3))]  # fmt: skip
        else:
            items = [
                (f"{n} (locked)" if locked else str(n), str(c))
                for n, c, locked in zip(
                    a.territory_names, a.territory_colours, a.territory_locked, strict=True
                )
            ]
        self.view.set_legend(items)

    @property
    def drawing(self) -> bool:
        """Layers pushed whole have not all painted yet (:attr:`rendered` follows)."""
        return bool(self._waiting)

    def zoom_to_all(self) -> None:
        box = mapdata.bounds(self.plan) if self.plan is not None else None
        if box is not None:
            self.view.fit_bounds(*box)

    def set_baseline_outlines(self, alignment: np.ndarray | None) -> None:
        """Dashed outlines of another alignment (the baseline) over the scenario's."""
        if alignment is None or self.plan is None or not self.plan.atoms.n_units:
            self.view.set_baseline_outlines(None)
            return
        shapes = outlines(self._display, alignment[: self.plan.atoms.n_units])
        keep = [g for g in shapes.values() if not g.is_empty]
        props: list[dict[str, Any]] = [{} for _ in keep]
        fc = mapdata.collection_json(props, mapdata.geometry_json(np.array(keep, dtype=object)))
        self.view.set_baseline_outlines(RawJson(fc))

    def _on_account_info(self, layer: int, index: int) -> None:
        """The page wants the name of the account under the mouse (names are not sent with
        the points: 10M names were most of a 526 MB message)."""
        plan = self.plan
        if plan is None or layer != self.view.account_layer:
            return  # asked about a layer that has been replaced since
        if not 0 <= index < plan.atoms.n_accounts:
            return
        self.view.reply_account_info(layer, index, *mapdata.account_label(plan, index))

    def _on_rendered(self, layer: str) -> None:
        if layer in self._waiting:
            self._waiting.discard(layer)
            if not self._waiting:
                self.rendered.emit()
                QTimer.singleShot(0, self._check_coverage)

    def _check_coverage(self) -> None:
        """Whether the display polygons are a valid coverage (then the outline unions after
        each edit skip their own validity checks). Checked once per project, after the map
        has painted: at open it was ~0.1 s CPU of the 1M-account benchmark project's 3,108
        counties (more at 41k units), and the first outlines check each union instead."""
        if self._coverage_checked or self.report:
            return
        self._coverage_checked = True
        display = self._display
        self._valid_coverage = bool(len(display)) and bool(shapely.coverage_is_valid(display))
