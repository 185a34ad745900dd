"""The map workspace: binds the active Plan to the MapView and turns gestures into edits.

DESIGN.md "data flow of one edit": a bridge message becomes a MoveSet (planner.model.moves),
its preview is shown, Enter applies it through the Plan and pushes a MoveCommand; the Plan's
change event restyles only the touched units and outlines (one JS call each), never the page.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import shapely
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from planner.model import mapdata, moves
from planner.model.atoms import load_unit_geometries
from planner.model.errors import PlannerError
from planner.model.events import PlanChange
from planner.model.geo import outlines
from planner.model.moves import MoveSet
from planner.model.plan import Plan, Preview
from planner.model.territories import create_territory, unique_name
from planner.ui.commands import MoveCommand, effect_text
from planner.ui.map.view import MapView, RawJson


class MapWorkspace(QObject):
    """Owns no widgets: it drives a MapView and an undo stack for one Plan at a time."""

    previewChanged = Signal(object)  # Preview or None
    message = Signal(str)
    error = Signal(str)
    rendered = Signal()
    territoriesChanged = Signal()
    lastEditSeconds = Signal(float)  # bridge message -> model + table + restyle call issued

    def __init__(self, view: MapView, undo: QUndoStack) -> None:
        super().__init__(view)
        self.view = view
        self.undo = undo
        self.plan: Plan | None = None
        self.active = 0
        self.pending: MoveSet | None = None
        self.colour_mode = "territory"
        self.metric = "potential"
        self._geoms = np.zeros(0, dtype=object)
        self._display = np.zeros(0, dtype=object)
        self._layers_sent = False
        self._waiting: set[str] = set()
        self._previous_project: object = None
        b = view.bridge
        b.lassoDrawn.connect(self._on_lasso)
        b.polygonDrawn.connect(self._on_polygon)
        b.paintStroke.connect(self._on_paint)
        b.reshaped.connect(self._on_reshape)
        b.lineDrawn.connect(self._on_line)
        b.rendered.connect(self._on_rendered)
        view.mapReady.connect(self._push_layers)

    # -- plan ------------------------------------------------------------------------------
    def set_plan(
        self, plan: Plan, *, geoms: np.ndarray | None = None, display: np.ndarray | None = None
    ) -> None:
        previous = self.plan
        if previous is not None:
            previous.changed.disconnect(self._on_change)
        self._previous_project = previous.project if previous is not None else None
        self.plan = plan
        self.cancel_pending()
        soft = geoms is None and self.plan_project_same(plan)
        if geoms is None:
            geoms = self._geoms if soft else load_unit_geometries(plan.project)
        if not soft:  # a scenario switch keeps the same geometry and its display form
            self._geoms = geoms
            if display is None:
                display = mapdata.display_geometries(geoms, len(geoms)) if len(geoms) else geoms
            self._display = display
            self._unit_geojson = mapdata.geometry_json(display)
        plan.changed.connect(self._on_change)
        self.active = min(self.active, max(plan.atoms.n_territories - 1, 0))
        if soft and self._layers_sent and self.view.is_ready:
            self._restyle_for_switch()
            return
        self._layers_sent = False
        if self.view.is_ready:
            self._push_layers()

    def plan_project_same(self, plan: Plan) -> bool:
        return self._previous_project is plan.project and len(self._geoms) == plan.atoms.n_units

    def set_baseline_outlines(self, alignment: np.ndarray | None) -> None:
        """Dashed outlines of another alignment (the baseline) over the scenario's."""
        if alignment is None or self.plan is None or not self.plan.atoms.n_units:
            self.view.set_baseline_outlines(None)
            return
        shapes = outlines(self._display, alignment[: self.plan.atoms.n_units])
        keep = [g for g in shapes.values() if not g.is_empty]
        props = [{} for _ in keep]
        fc = mapdata.collection_json(props, mapdata.geometry_json(np.array(keep, dtype=object)))
        self.view.set_baseline_outlines(RawJson(fc))

    def _restyle_for_switch(self) -> None:
        """Another scenario of the same project: same geometry, new colours and outlines."""
        plan = self.plan
        self.restyle_all()
        if plan.atoms.n_units:
            self.view.set_outlines(RawJson(mapdata.outlines_json(plan, self._display)[0]))
        pts = mapdata.account_points(plan)
        if pts["ids"]:
            self.view.set_accounts(pts["ids"], pts["lon"], pts["lat"], pts["colour"], pts["names"])
        self._legend()

    def _push_layers(self) -> None:
        plan = self.plan
        if plan is None or self._layers_sent:
            return
        self._layers_sent = True
        self._waiting = set()
        if plan.atoms.n_units:
            self._waiting |= {"units", "outlines"}
            props = mapdata.unit_properties(plan)
            self.view.set_units(RawJson(mapdata.collection_json(props, self._unit_geojson)))
            self.view.set_outlines(RawJson(mapdata.outlines_json(plan, self._display)[0]))
        pts = mapdata.account_points(plan)
        if pts["ids"]:
            self._waiting.add("accounts")
            self.view.set_accounts(pts["ids"], pts["lon"], pts["lat"], pts["colour"], pts["names"])
        a = plan.atoms
        reps = [
            {"id": int(a.territory_ids[i]), "name": a.rep_names.get(int(r), ""),
             "lon": float(a.home_lon[i]), "lat": float(a.home_lat[i])}
            for i, r in enumerate(a.territory_rep_ids)
            if np.isfinite(r) and np.isfinite(a.home_lon[i])
        ]  # fmt: skip
        self.view.set_reps(reps)
        self._legend()
        box = mapdata.bounds(plan)
        if box is not None:
            self.view.fit_bounds(*box)

    def _legend(self) -> None:
        a = self.plan.atoms
        if self.colour_mode == "deviation":
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

    def _on_rendered(self, layer: str) -> None:
        """Announce once every layer pushed at open has painted (the snapshot waits for it)."""
        if layer in self._waiting:
            self._waiting.discard(layer)
            if not self._waiting:
                self.rendered.emit()

    # -- display updates on every change -------------------------------------------------
    def _on_change(self, change: PlanChange) -> None:
        plan = self.plan
        units = change.moveset.atoms[change.moveset.atoms < plan.atoms.n_units]
        if self.colour_mode == "deviation":
            self.restyle_all()
        elif len(units):
            colours = mapdata.unit_colours(plan)
            self.view.restyle_units({int(plan.atoms.unit_ids[u]): colours[u] for u in units})
        if plan.atoms.n_units and change.touched:
            fc, ids = mapdata.outlines_json(plan, self._display, list(change.touched))
            self.view.update_outlines(RawJson(fc), ids)
        self._recolour_accounts(change.moveset)

    def _recolour_accounts(self, ms: MoveSet) -> None:
        """Account points of moved units, pins and free-form accounts take their new colour."""
        a = self.plan.atoms
        units = ms.atoms[ms.atoms < a.n_units]
        accounts = ms.atoms[ms.atoms >= a.n_units] - a.n_units
        if len(units):
            accounts = np.union1d(accounts, np.flatnonzero(np.isin(a.account_unit, units)))
        if not len(accounts):
            return
        terr = self.plan.account_territories()[accounts]
        palette = np.append(a.territory_colours, mapdata.UNASSIGNED_COLOUR)
        self.view.restyle_accounts(
            {int(a.account_ids[i]): str(palette[t]) for i, t in zip(accounts, terr, strict=True)}
        )

    def restyle_all(self) -> None:
        plan = self.plan
        if plan is None or not plan.atoms.n_units:
            return
        colours = mapdata.unit_colours(plan, self.colour_mode, self.metric)
        self.view.restyle_units(
            {int(u): c for u, c in zip(plan.atoms.unit_ids, colours, strict=True)}
        )
        self._legend()

    def set_colour_mode(self, mode: str, metric: str | None = None) -> None:
        self.colour_mode = mode
        self.metric = metric or self.metric
        self.restyle_all()

    def refresh_territory_display(self) -> None:
        """After rename/recolour: colours, outlines and legend."""
        self.restyle_all()
        if self.plan is not None and self.plan.atoms.n_units:
            self.view.set_outlines(RawJson(mapdata.outlines_json(self.plan, self._display)[0]))

    # -- gestures -> pending MoveSet -------------------------------------------------------
    def _propose(self, build: Any, started: float | None = None) -> None:
        if self.plan is None:
            return
        try:
            ms = build()
        except PlannerError as err:
            self.error.emit(str(err))
            return
        if len(ms) == 0:
            self.message.emit("Nothing would change.")
            return
        self.pending = ms
        pv = self.plan.preview(ms)
        self._show_preview_overlay(ms)
        self.previewChanged.emit(pv)
        if started is not None:
            self.lastEditSeconds.emit(time.perf_counter() - started)

    def _show_preview_overlay(self, ms: MoveSet) -> None:
        n_u = self.plan.atoms.n_units
        units = ms.atoms[ms.atoms < n_u]
        feats = [
            {"type": "Feature", "properties": {},
             "geometry": shapely.geometry.mapping(self._display[u])}
            for u in units[:5000]
        ]  # fmt: skip
        self.view.show_preview({"type": "FeatureCollection", "features": feats})

    def _on_lasso(self, geometry: dict) -> None:
        t0 = time.perf_counter()
        poly = shapely.geometry.shape(geometry)
        self._propose(lambda: moves.for_polygon(self.plan, poly, self.active), t0)

    def _on_paint(self, unit_ids: list) -> None:
        t0 = time.perf_counter()
        index = self.plan.atoms.unit_index()
        units = np.array([index[int(u)] for u in unit_ids if int(u) in index], dtype=np.int64)
        self._propose(lambda: moves.for_units(self.plan, units, self.active), t0)

    def _on_reshape(self, territory_id: int, geometry: dict) -> None:
        tidx = self.plan.atoms.territory_index()
        if territory_id not in tidx:
            return
        poly = shapely.geometry.shape(geometry)
        self._propose(lambda: moves.for_reshape(self.plan, tidx[territory_id], poly))

    def _on_polygon(self, geometry: dict) -> None:
        """Draw a new territory: create it, then everything inside moves to it (one step)."""
        poly = shapely.geometry.shape(geometry)
        plan = self.plan
        name = unique_name(plan.project, "New territory")
        create_territory(plan.project, name, near=self._colours_touching(poly))
        plan.refresh_territories()
        new = plan.atoms.n_territories - 1
        c = poly.centroid
        plan.set_anchor(new, c.x, c.y)
        self.active = new
        self.territoriesChanged.emit()
        self._propose(lambda: moves.for_polygon(plan, poly, new, kind="draw"))

    def _colours_touching(self, shape: shapely.Geometry) -> list[str]:
        """Colours of the territories with a unit touching ``shape``: a territory drawn or
        split off there should not share their fill."""
        a = self.plan.atoms
        terr = self.plan.alignment[: a.n_units][shapely.intersects(self._geoms, shape)]
        return [str(c) for c in a.territory_colours[np.unique(terr[terr >= 0])]]

    def _on_line(self, geometry: dict) -> None:
        """Split the active territory by a drawn line into a new territory."""
        plan = self.plan
        line = shapely.geometry.shape(geometry)
        outline = outlines(self._geoms, plan.alignment[: plan.atoms.n_units], [self.active])
        shape = outline.get(self.active)
        if shape is None or shape.is_empty:
            self.error.emit("the active territory has no units to split")
            return
        name = unique_name(plan.project, f"{plan.territory_label(self.active)} (split)")
        new_id = create_territory(plan.project, name, near=self._colours_touching(shape))
        plan.refresh_territories()
        new = plan.atoms.n_territories - 1
        self.territoriesChanged.emit()
        try:
            ms = moves.for_split(plan, self.active, shape, line, new)
        except PlannerError as err:
            from planner.model.territories import delete_territory

            delete_territory(plan.project, new_id)
            self.error.emit(str(err))
            return
        sub = ms.atoms[ms.atoms < plan.atoms.n_units]
        plan.set_anchor(new, float(plan.atoms.unit_rep_lon[sub].mean()),
                        float(plan.atoms.unit_rep_lat[sub].mean()))  # fmt: skip
        self._propose(lambda: ms)

    # -- apply / cancel -------------------------------------------------------------------
    def apply_pending(self) -> bool:
        if self.pending is None or self.plan is None:
            return False
        ms, self.pending = self.pending, None
        self.view.clear_preview()
        self.previewChanged.emit(None)
        return self.apply(ms)

    def apply(self, ms: MoveSet) -> bool:
        """Apply a MoveSet now and push it on the undo stack as one step."""
        before = self.plan.summary()["max_abs_deviation"]
        try:
            log_id = self.plan.apply(ms)
        except PlannerError as err:
            self.error.emit(str(err))
            return False
        text = effect_text(self.plan, before, ms.label, self.metric)
        self.undo.push(MoveCommand(self.plan, ms, log_id, text, self.error.emit))
        return True

    def cancel_pending(self) -> None:
        if self.pending is not None:
            self.pending = None
            self.view.clear_preview()
            self.previewChanged.emit(None)

    def preview_pending(self) -> Preview | None:
        return None if self.pending is None else self.plan.preview(self.pending)
