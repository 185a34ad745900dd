"""The maps in the reports: the impact map (the scenario's territories, the units that change
territory hatched, the compared alignment's outlines dashed) and a handover packet's cover map
(the accounts that change hands between the two reps' territories).

Rendered by :class:`planner.ui.map_capture.OffscreenMap` (the map page itself, never shown) and
framed as a sheet (:mod:`planner.ui.map_sheet`: title, legend, scale bar, north arrow), so the
picture in a PDF or workbook is the map the window shows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import shapely
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize
from PySide6.QtGui import QImage

from planner.model.atoms import load_unit_geometries
from planner.model.colours import preview_colour
from planner.model.handover import Packet
from planner.model.impact import Impact
from planner.model.plan import Plan
from planner.model.store import Project
from planner.ui.map_capture import report_map
from planner.ui.map_sheet import LegendItem, SheetText, sheet_image

#: Map pixels of a report picture: drawn at print density (map_capture.PRINT_ZOOM: 192 dpi
#: text and lines), placed at ~185 dpi across a landscape A4 page's printable width.
REPORT_SIZE = (2000, 1250)
IMPACT_MAP = "tp-map:impact"


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def _box(
    lon: np.ndarray, lat: np.ndarray, pad: float = 0.2
) -> tuple[float, float, float, float] | None:
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        return None
    w, e, s, n = lon[ok].min(), lon[ok].max(), lat[ok].min(), lat[ok].max()
    dx, dy = max((e - w) * pad, 0.02), max((n - s) * pad, 0.02)
    return float(s - dy), float(w - dx), float(n + dy), float(e + dx)


def _geometry_box(geoms: np.ndarray) -> tuple[float, float, float, float] | None:
    if not len(geoms):
        return None
    w, s, e, n = shapely.total_bounds(geoms)
    return _box(np.array([w, e]), np.array([s, n]))


def _territory_items(plan: Plan, names: Sequence[str]) -> list[LegendItem]:
    a = plan.atoms
    colour = {str(n): str(c) for n, c in zip(a.territory_names, a.territory_colours, strict=True)}
    return [LegendItem(n, colour[n]) for n in names if n in colour]


def impact_map(project: Project, imp: Impact, size: tuple[int, int] = REPORT_SIZE) -> QImage:
    """The impact map sheet: zoomed to what moves (the whole plan when nothing does)."""
    plan = Plan.load(project, imp.scenario, atoms=imp.atoms)  # the accounts are read once
    before = Plan.load(project, imp.against, atoms=plan.atoms)
    a = plan.atoms
    units = np.asarray(imp.moved_unit_index, dtype=np.int64)
    focus = None
    if len(units):
        focus = _geometry_box(load_unit_geometries(project)[units])
    elif len(imp.moved_account_index):
        idx = np.asarray(imp.moved_account_index, dtype=np.int64)
        focus = _box(a.account_lon[idx], a.account_lat[idx])
    cap = report_map(*size).render(plan, baseline=before.alignment, hatched_units=units,
                                   focus=focus)  # fmt: skip
    touched = imp.territories
    changed = touched[(touched["accounts_gained"] > 0) | (touched["accounts_lost"] > 0)]
    legend = _territory_items(plan, [str(t) for t in changed["territory"]])
    hatch = preview_colour([str(c) for c in a.territory_colours])
    legend += [LegendItem(f"Units that change territory ({len(units):,})", hatch, "hatched"),
               LegendItem(f"Outlines of {imp.against}", "#111111", "dashed")]  # fmt: skip
    text = SheetText(
        f"{imp.scenario} against {imp.against}",
        f"{imp.summary.accounts_moved:,} accounts move · {dt.date.today().isoformat()}",
        legend,
    )
    return sheet_image(cap, text, QSize(size[0], int(size[1] * 1.12)))


def packet_map_name(index: int) -> str:
    """The image name packet ``index``'s cover uses (``<img src=...>``)."""
    return f"tp-map:packet-{index}"


def packet_maps(
    project: Project, packets: Sequence[Packet], size: tuple[int, int] = (1600, 900)
) -> dict[str, QImage]:
    """A cover map per packet: the scenario's territories around the packet's accounts, the
    units holding them hatched, the two reps' territories in the legend. One offscreen page
    serves every packet (the scenario is pushed once)."""
    if not packets:
        return {}
    plan = Plan.load(project, packets[0].scenario)
    a = plan.atoms
    where = {str(e): i for i, e in enumerate(a.account_ext_ids)}
    reps = {int(r): str(a.rep_names.get(int(r), "")) for r in a.territory_rep_ids
            if np.isfinite(r)}  # fmt: skip
    out: dict[str, QImage] = {}
    m = report_map(*size)
    for i, packet in enumerate(packets):
        idx = np.array([where[e] for e in (x.external_id for x in packet.accounts)
                        if e in where], dtype=np.int64)  # fmt: skip
        units = np.unique(a.account_unit[idx]) if len(idx) and a.n_units else np.zeros(0)
        units = units[units >= 0].astype(np.int64)
        focus = _box(a.account_lon[idx], a.account_lat[idx], pad=0.6) if len(idx) else None
        cap = m.render(plan, hatched_units=units, focus=focus)
        both = (packet.from_rep, packet.to_rep)
        pairs = zip(a.territory_names, a.territory_rep_ids, strict=True)
        names = [str(n) for n, r in pairs if np.isfinite(r) and reps.get(int(r)) in both]
        hatch = preview_colour([str(c) for c in a.territory_colours])
        legend = _territory_items(plan, names)
        legend.append(LegendItem(f"Units of the {len(idx)} accounts", hatch, "hatched"))
        text = SheetText(f"{packet.from_rep} → {packet.to_rep}", packet.scenario, legend)
        out[packet_map_name(i)] = sheet_image(cap, text, QSize(size[0], int(size[1] * 1.12)))
    return out
