"""The map workspace: binds the active Plan to the MapView and turns gestures into Edits.

DESIGN.md "data flow of one edit": a bridge message becomes an Edit (a lasso's moves, a drawn
territory and what it takes...), its preview is shown without writing anything, Enter applies it
through the Plan (one step on the undo stack), Esc drops it. The map changes only from the
Plan's change events (apply, undo, redo alike): touched units and outlines are restyled with
one JS call each, never the whole page.

The active territory is held by database id: indices shift when territories are created or
deleted, ids do not.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import shapely
from PySide6.QtCore import QObject, Signal

from planner.model import mapdata, moves, territories
from planner.model.atoms import load_unit_geometries
from planner.model.edits import Edit
from planner.model.errors import PlannerError
from planner.model.events import PlanChange
from planner.model.geo import outlines
from planner.model.plan import Plan, Preview
from planner.ui.commands import UndoMirror
from planner.ui.map.view import MapView, RawJson


class MapWorkspace(QObject):
    """Owns no widgets: it drives a MapView and the undo mirror for one Plan at a time."""

    previewChanged = Signal(object)  # Preview or None
    message = Signal(str)
    error = Signal(str)
    rendered = Signal()
    activeChanged = Signal(int)  # index of the active territory
    lastEditSeconds = Signal(float)  # bridge message -> model + table + restyle call issued

    def __init__(self, view: MapView, mirror: UndoMirror) -> None:
        super().__init__(view)
        self.view = view
        self.mirror = mirror
        self.plan: Plan | None = None
        self.active_id: int | None = None
        self.pending: Edit | None = None
        self.colour_mode = "territory"
        self.metric = "potential"
        self._geoms = np.zeros(0, dtype=object)
        self._display = np.zeros(0, dtype=object)
        self._unit_geojson: list[str] = []
        #: The colour each account point is drawn in ("" = not on the map: no location).
        self._shown = np.zeros(0, dtype=object)
        self._layers_sent = False
        self._waiting: set[str] = set()
        b = view.bridge
        b.lassoDrawn.connect(self._on_lasso)
        b.polygonDrawn.connect(self._on_polygon)
        b.paintStroke.connect(self._on_paint)
        b.reshaped.connect(self._on_reshape)
        b.lineDrawn.connect(self._on_line)
        b.rendered.connect(self._on_rendered)
        view.mapReady.connect(self._push_layers)

    # -- active territory ----------------------------------------------------------------------
    @property
    def active(self) -> int:
        """Index of the active territory in the current plan (0 when there is none)."""
        if self.plan is None or self.active_id is None:
            return 0
        pos = self.plan.territory_position(self.active_id)
        return 0 if pos is None else pos

    def set_active(self, index: int) -> None:
        plan = self.plan
        if plan is None or not (0 <= index < plan.atoms.n_territories):
            return
        tid = int(plan.atoms.territory_ids[index])
        if tid != self.active_id:
            self.active_id = tid
            self.activeChanged.emit(index)

    # -- plan ------------------------------------------------------------------------------
    def set_plan(
        self, plan: Plan, *, geoms: np.ndarray | None = None, display: np.ndarray | None = None
    ) -> None:
        """Show a plan: a scenario switch keeps the unit geometry and its display form."""
        previous = self.plan
        if previous is not None:
            previous.changed.disconnect(self._on_change)
        self.cancel_pending()
        same_project = previous is not None and previous.project is plan.project
        soft = geoms is None and same_project and len(self._geoms) == plan.atoms.n_units
        if not soft:
            self._geoms = geoms if geoms is not None else load_unit_geometries(plan.project)
            if display is None:
                n = len(self._geoms)
                display = mapdata.display_geometries(self._geoms, n) if n else self._geoms
            self._display = display
            self._unit_geojson = mapdata.geometry_json(display)
        self.plan = plan
        plan.changed.connect(self._on_change)
        if self.active_id is None or plan.territory_position(self.active_id) is None:
            self.active_id = int(plan.atoms.territory_ids[0]) if plan.atoms.n_territories else None
        if soft and self._layers_sent and self.view.is_ready:
            self._restyle_for_switch()
            return
        self._layers_sent = False
        if self.view.is_ready:
            self._push_layers()

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

    def _restyle_for_switch(self) -> None:
        """Another scenario of the same project: same geometry, new colours and outlines."""
        plan = self.plan
        assert plan is not None
        self.restyle_all()
        if plan.atoms.n_units:
            self.view.set_outlines(RawJson(mapdata.outlines_json(plan, self._display)[0]))
        # The points stay where they are: only those whose colour differs are restyled
        # (re-sending 100k points cost 1.3 s of a scenario switch).
        self._recolour_accounts(np.zeros(0, dtype=np.int64), everything=True)
        self._send_reps()
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
        if self._send_accounts():
            self._waiting.add("accounts")
        self._send_reps()
        self._legend()
        self.zoom_to_all()

    def _send_accounts(self) -> bool:
        plan = self.plan
        assert plan is not None
        pts = mapdata.account_points(plan)
        self._shown = np.full(plan.atoms.n_accounts, "", dtype=object)  # colour on the map
        if pts["ids"]:
            located = np.flatnonzero(np.isin(plan.atoms.account_ids, pts["ids"]))
            colours = self._account_colours(located)
            self._shown[located] = colours
            self.view.set_accounts(pts["ids"], pts["lon"], pts["lat"], colours, pts["names"])
        return bool(pts["ids"])

    def _send_reps(self) -> None:
        a = self.plan.atoms  # type: ignore[union-attr]
        reps = [
            {"id": int(a.territory_ids[i]), "name": a.rep_names.get(int(r), ""),
             "lon": float(a.home_lon[i]), "lat": float(a.home_lat[i])}
            for i, r in enumerate(a.territory_rep_ids)
            if np.isfinite(r) and np.isfinite(a.home_lon[i])
        ]  # fmt: skip
        self.view.set_reps(reps)

    def zoom_to_all(self) -> None:
        box = mapdata.bounds(self.plan) if self.plan is not None else None
        if box is not None:
            self.view.fit_bounds(*box)

    def _legend(self) -> None:
        a = self.plan.atoms  # type: ignore[union-attr]
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
        """Apply, undo and redo alike: restyle what changed (a pending preview is dropped:
        it was computed against the state before)."""
        plan = self.plan
        assert plan is not None
        self.cancel_pending()
        if change.territories_changed or self.colour_mode == "deviation":
            self.restyle_all()
            self._refresh_territory_layers()
            self._recolour_accounts(change.moveset.atoms, everything=True)
            return
        units = change.moveset.atoms[change.moveset.atoms < plan.atoms.n_units]
        if len(units):
            colours = mapdata.unit_colours(plan)
            self.view.restyle_units({int(plan.atoms.unit_ids[u]): colours[u] for u in units})
        if plan.atoms.n_units and change.touched:
            fc, ids = mapdata.outlines_json(plan, self._display, list(change.touched))
            self.view.update_outlines(RawJson(fc), ids)
        self._recolour_accounts(change.moveset.atoms)

    def _refresh_territory_layers(self) -> None:
        """Names, colours, reps or the territory list changed: outlines, reps and legend."""
        plan = self.plan
        assert plan is not None
        if plan.atoms.n_units:
            self.view.set_outlines(RawJson(mapdata.outlines_json(plan, self._display)[0]))
        self._send_reps()
        self._legend()

    def _recolour_accounts(self, atoms: np.ndarray, *, everything: bool = False) -> None:
        """Account points of moved units, pins and free-form accounts take their new colour."""
        a = self.plan.atoms  # type: ignore[union-attr]
        if everything:
            accounts = np.arange(a.n_accounts)
        else:
            units = atoms[atoms < a.n_units]
            accounts = atoms[atoms >= a.n_units] - a.n_units
            if len(units):
                accounts = np.union1d(accounts, a.accounts_of_units(units))
        if not len(accounts) or not len(self._shown):
            return
        colours = np.asarray(self._account_colours(accounts), dtype=object)
        changed = (self._shown[accounts] != colours) & (self._shown[accounts] != "")
        if not changed.any():
            return
        accounts, colours = accounts[changed], colours[changed]
        self._shown[accounts] = colours
        self.view.restyle_accounts(
            {int(a.account_ids[i]): str(c) for i, c in zip(accounts, colours, strict=True)}
        )

    def _account_colours(self, accounts: np.ndarray) -> list[str]:
        """Each account in its territory's colour, or its territory's deviation colour."""
        plan = self.plan
        assert plan is not None
        terr = plan.account_territories()[accounts]
        if self.colour_mode == "deviation":
            dev = plan.deviation(self.metric)
            palette = [mapdata.deviation_colour(d) for d in dev] + [mapdata.UNASSIGNED_COLOUR]
        else:
            palette = [*(str(c) for c in plan.atoms.territory_colours), mapdata.UNASSIGNED_COLOUR]
        return list(np.asarray(palette, dtype=object)[terr])

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
        if self.plan is None:
            return
        self.restyle_all()
        self._recolour_accounts(np.zeros(0, dtype=np.int64), everything=True)

    # -- gestures -> pending Edit ----------------------------------------------------------
    def _propose(self, build: Callable[[], Edit], started: float | None = None) -> None:
        """Build the edit, show its preview; nothing is written until Enter."""
        if self.plan is None:
            return
        try:
            edit = build()
        except PlannerError as err:
            self.error.emit(str(err))
            return
        if edit.is_empty() or (not len(edit.moves) and not edit.changes_territories):
            self.message.emit("Nothing would change.")
            return
        self.pending = edit
        pv = self.plan.preview(edit)
        self._show_preview_overlay(edit)
        self.previewChanged.emit(pv)
        if started is not None:
            self.lastEditSeconds.emit(time.perf_counter() - started)

    def _show_preview_overlay(self, edit: Edit) -> None:
        n_u = self.plan.atoms.n_units  # type: ignore[union-attr]
        units = edit.moves.atoms[edit.moves.atoms < n_u]
        feats = [
            {"type": "Feature", "properties": {},
             "geometry": shapely.geometry.mapping(self._display[u])}
            for u in units[:5000]
        ]  # fmt: skip
        self.view.show_preview({"type": "FeatureCollection", "features": feats})

    def _on_lasso(self, geometry: dict) -> None:
        t0 = time.perf_counter()
        poly = shapely.geometry.shape(geometry)
        plan, to = self.plan, self.active
        self._propose(lambda: Edit.of_moves(moves.for_polygon(plan, poly, to)), t0)

    def _on_paint(self, unit_ids: list) -> None:
        t0 = time.perf_counter()
        plan, to = self.plan, self.active
        if plan is None:
            return
        index = plan.atoms.unit_index()
        units = np.array([index[int(u)] for u in unit_ids if int(u) in index], dtype=np.int64)
        self._propose(lambda: Edit.of_moves(moves.for_units(plan, units, to)), t0)

    def _on_reshape(self, territory_id: int, geometry: dict) -> None:
        plan = self.plan
        pos = plan.territory_position(territory_id) if plan is not None else None
        if pos is None:
            return
        poly = shapely.geometry.shape(geometry)
        self._propose(lambda: Edit.of_moves(moves.for_reshape(plan, pos, poly)))

    def _on_polygon(self, geometry: dict) -> None:
        """Draw a new territory: a placeholder with what lies inside, until Enter."""
        poly = shapely.geometry.shape(geometry)
        plan = self.plan
        self._propose(lambda: territories.draw(plan, poly, self._colours_touching(poly)))

    def _colours_touching(self, shape: shapely.Geometry) -> list[str]:
        """Colours of the territories with a unit touching ``shape``: a territory drawn or
        split off there should not share their fill."""
        a = self.plan.atoms  # type: ignore[union-attr]
        if not len(self._geoms):
            return []
        terr = self.plan.alignment[: a.n_units][shapely.intersects(self._geoms, shape)]  # type: ignore[union-attr]
        return [str(c) for c in a.territory_colours[np.unique(terr[terr >= 0])]]

    def _on_line(self, geometry: dict) -> None:
        """Split the active territory by a drawn line (the smaller side becomes new)."""
        plan = self.plan
        if plan is None:
            return
        line = shapely.geometry.shape(geometry)
        t = self.active
        shape = outlines(self._geoms, plan.alignment[: plan.atoms.n_units], [t]).get(t)
        if shape is None or shape.is_empty:
            self.error.emit("the active territory has no units to split")
            return
        near = self._colours_touching(shape)
        self._propose(lambda: territories.split(plan, t, shape, line, near))

    # -- apply / cancel -------------------------------------------------------------------
    def apply_pending(self) -> bool:
        if self.pending is None or self.plan is None:
            return False
        edit, self.pending = self.pending, None
        self.view.clear_preview()
        self.previewChanged.emit(None)
        return self.apply(edit)

    def apply(self, edit: Edit) -> bool:
        """Apply an Edit now; it becomes one step of the undo history. A territory the edit
        creates becomes the active one."""
        plan = self.plan
        if plan is None:
            return False
        had = {int(t) for t in plan.atoms.territory_ids}
        try:
            log_id = plan.apply(edit)
        except PlannerError as err:
            self.error.emit(str(err))
            return False
        self.mirror.applied(log_id)
        created = [int(t) for t in plan.atoms.territory_ids if int(t) not in had]
        if created:
            self.set_active(plan.territory_position(created[-1]) or 0)
        return True

    def cancel_pending(self) -> None:
        """Esc: the previewed edit is dropped; nothing was written."""
        if self.pending is not None:
            self.pending = None
            self.view.clear_preview()
            self.previewChanged.emit(None)

    def preview_pending(self) -> Preview | None:
        return (
            None if self.pending is None or self.plan is None else self.plan.preview(self.pending)
        )
