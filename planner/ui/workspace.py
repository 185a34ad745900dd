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

import numpy as np
import shapely
from PySide6.QtCore import QObject, QTimer, Signal

from planner.model import mapdata, moves, territories
from planner.model.atoms import load_unit_geometries
from planner.model.colours import preview_colour
from planner.model.edits import Edit
from planner.model.errors import PlannerError
from planner.model.events import PlanChange
from planner.model.geo import outlines
from planner.model.plan import Plan, Preview
from planner.ui.commands import UndoMirror
from planner.ui.map.view import MapView
from planner.ui.map_sync import MapSync


class MapWorkspace(QObject):
    """Owns no widgets: it drives a MapView and the undo mirror for one Plan at a time."""

    previewChanged = Signal(object)  # Preview or None
    message = Signal(str)
    error = Signal(str)
    activeChanged = Signal(int)  # index of the active territory
    lastEditSeconds = Signal(float)  # bridge message -> model + table + restyle call issued

    def __init__(self, view: MapView, mirror: UndoMirror) -> None:
        super().__init__(view)
        self.view = view
        self.mirror = mirror
        self.plan: Plan | None = None
        self.active_id: int | None = None
        self.pending: Edit | None = None
        self.metric = "potential"
        #: Full-detail unit polygons; None until first needed or the map is idle after an open.
        self._geoms: np.ndarray | None = np.zeros(0, dtype=object)
        self._display = np.zeros(0, dtype=object)
        self.sync = MapSync(view)
        self.rendered = self.sync.rendered
        self.rendered.connect(lambda: QTimer.singleShot(0, self._read_geometries))
        b = view.bridge
        b.lassoDrawn.connect(self._on_lasso)
        b.polygonDrawn.connect(self._on_polygon)
        b.paintStroke.connect(self._on_paint)
        b.reshaped.connect(self._on_reshape)
        b.lineDrawn.connect(self._on_line)

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
        self,
        plan: Plan,
        *,
        geoms: np.ndarray | None = None,
        display: np.ndarray | None = None,
        display_json: list[str] | None = None,
    ) -> None:
        """Show a plan: a scenario switch keeps the unit geometry and its display form.
        ``display``: the map's polygons of a newly opened project; then ``geoms`` may be None
        (read once the map is idle, or at once by a gesture that needs them before).
        ``display_json``: the page's text of ``display`` when already known (the project's
        cache, ``loading.display_json_of``)."""
        previous = self.plan
        if previous is not None:
            previous.changed.disconnect(self._on_change)
        self.cancel_pending()
        same_project = previous is not None and previous.project is plan.project
        soft = (
            geoms is None
            and display is None
            and same_project
            and len(self._display) == plan.atoms.n_units
        )
        unit_geojson = None
        if not soft:
            self._geoms = geoms
            if display is None:
                full = self._geometries_of(plan)
                n = len(full)
                display = mapdata.display_geometries(full, n) if n else full
                display_json = None
            self._display = display
            known = display_json is not None and len(display_json) == len(display)
            unit_geojson = display_json if known else mapdata.geometry_json(display)
        self.plan = plan
        plan.changed.connect(self._on_change)
        if self.active_id is None or plan.territory_position(self.active_id) is None:
            self.active_id = int(plan.atoms.territory_ids[0]) if plan.atoms.n_territories else None
        self.sync.show(plan, self._display, unit_geojson)

    @property
    def unit_geometries(self) -> np.ndarray:
        """The project's unit polygons (full detail), read once per project: after the map
        has painted, or here by the first gesture that comes before (it waits for them)."""
        return self._geometries_of(self.plan) if self.plan is not None else np.zeros(0, object)

    @property
    def geometries_read(self) -> bool:
        """The full-detail polygons are in memory (a gesture needing them does not wait)."""
        return self._geoms is not None

    def _geometries_of(self, plan: Plan) -> np.ndarray:
        if self._geoms is None:
            self._geoms = load_unit_geometries(plan.project)
        return self._geoms

    def _read_geometries(self) -> None:
        """After the map painted (idle): the polygons the next split or drawn territory needs."""
        if self.plan is not None and self._geoms is None:
            self._geometries_of(self.plan)

    def set_baseline_outlines(self, alignment: np.ndarray | None) -> None:
        self.sync.set_baseline_outlines(alignment)

    def zoom_to_all(self) -> None:
        self.sync.zoom_to_all()

    def set_colour_mode(self, mode: str, metric: str | None = None) -> None:
        self.sync.set_colour_mode(mode, metric or self.metric)

    @property
    def colour_mode(self) -> str:
        return self.sync.colour_mode

    def _on_change(self, change: PlanChange) -> None:
        """Apply, undo and redo alike: the map follows (a pending preview is dropped: it was
        computed against the state before)."""
        self.cancel_pending()
        self.sync.on_change(change)

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
        colour = preview_colour([str(c) for c in self.plan.atoms.territory_colours])  # type: ignore[union-attr]
        self.view.show_preview({"type": "FeatureCollection", "features": feats}, colour=colour)

    def _on_lasso(self, geometry: dict) -> None:
        t0 = time.perf_counter()
        poly = mapdata.gesture_geometry(geometry)  # a freehand trace may cross itself
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
        poly = mapdata.gesture_geometry(geometry)
        plan = self.plan
        self._propose(lambda: territories.draw(plan, poly, self._colours_touching(poly)))

    def _colours_touching(self, shape: shapely.Geometry) -> list[str]:
        """Colours of the territories with a unit touching ``shape``: a territory drawn or
        split off there should not share their fill."""
        a = self.plan.atoms  # type: ignore[union-attr]
        geoms = self.unit_geometries
        if not len(geoms):
            return []
        terr = self.plan.alignment[: a.n_units][shapely.intersects(geoms, shape)]  # type: ignore[union-attr]
        return [str(c) for c in a.territory_colours[np.unique(terr[terr >= 0])]]

    def _on_line(self, geometry: dict) -> None:
        """Split the active territory by a drawn line (the smaller side becomes new)."""
        plan = self.plan
        if plan is None:
            return
        line = shapely.geometry.shape(geometry)
        t = self.active
        shape = outlines(self.unit_geometries, plan.alignment[: plan.atoms.n_units], [t]).get(t)
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
