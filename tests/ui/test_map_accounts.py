"""The binary accounts layer (issue 14) in the real page, seen through pixels and real input:
a small project's account points keep their territory's colour through edits, hover shows the
name Python sends on request, and beyond a few hundred thousand accounts in view the layer draws
bins until the wheel zooms in."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor, QImage
from sqlalchemy import text

from planner.model import mapdata, moves
from planner.model.atoms import load_unit_geometries
from planner.model.mapdata_grid import account_grid, with_positions
from planner.model.plan import Plan
from planner.model.synthetic import grid_project
from planner.ui.map import _account_file
from planner.ui.map_sync import MapSync
from tests.ui import map_grid
from tests.ui import real_input as ri
from tests.ui.map_grid import BLUE, NORTH_ID, RED, SOUTH_ID, TERRITORIES, looks

pytestmark = pytest.mark.webengine

XSS_IMG = '<img src=x onerror="window.__pwned=1">'
TIP = "(function(){var t=document.querySelector('.leaflet-tooltip');return t&&t.textContent;})()"
UNASSIGNED_POINT = "#868e96"
ALPHA = 217 / 255  # points are drawn at 0.85 opacity


# ------------------------------------------------------------------ a small project, synced


@pytest.fixture
def synced(qtbot: Any, map_view: Any, tmp_path: Path) -> Iterator[tuple[Any, Plan, MapSync]]:
    """The grid project (24 units, 120 accounts, 3 territories, 2 pins) shown through
    MapSync, as the window shows a project; every account's name carries markup and its id."""
    project = grid_project(tmp_path / "g.tplan", pins=2)
    with project.transaction() as s:
        s.execute(text("UPDATE account SET name = :n || ' #' || id"), {"n": XSS_IMG})
    plan = Plan.load(project)
    display = mapdata.display_geometries(load_unit_geometries(project), plan.atoms.n_units)
    sync = MapSync(map_view)
    plan.changed.connect(sync.on_change)
    with qtbot.waitSignal(sync.rendered, timeout=20_000):
        sync.show(plan, display, mapdata.geometry_json(display))
    yield map_view, plan, sync
    project.close()


def _painted(qtbot: Any, view: Any, tag: str) -> None:
    with qtbot.waitSignal(view.bridge.rendered, check_params_cb=tag.__eq__, timeout=10_000):
        view.call("notifyPainted", tag)


def _centres(view: Any, plan: Plan) -> list[QPoint]:
    """Where each account is drawn now (container pixels)."""
    a = plan.atoms
    pts = ri.js(
        view,
        "(function(){var m=TP.map();return "
        + json.dumps(
            [[float(y), float(x)] for x, y in zip(a.account_lon, a.account_lat, strict=True)]
        )
        + ".map(function(ll){var p=m.latLngToContainerPoint(ll);return [p.x,p.y];});})()",
    )
    return [QPoint(round(x), round(y)) for x, y in pts]


def _isolated(points: list[QPoint], gap: int = 12) -> list[int]:
    """Accounts with no other account's dot within ``gap`` pixels (their pixel is theirs)."""
    xy = np.array([[p.x(), p.y()] for p in points], dtype=float)
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    np.fill_diagonal(d, np.inf)
    return np.flatnonzero(d.min(axis=1) > gap).tolist()


def _expected(plan: Plan, fills: dict[int, str] | None = None) -> list[str]:
    """Each account's colour from Python's truth: its live territory's colour (or fill)."""
    a = plan.atoms
    terr = plan.account_territories()
    out = []
    for t in terr.tolist():
        if t < 0:
            out.append(UNASSIGNED_POINT)
        elif fills is not None:
            out.append(fills[int(a.territory_ids[t])])
        else:
            out.append(str(a.territory_colours[t]))
    return out


def _blend(css: str, under: QColor) -> tuple[int, int, int]:
    c = QColor(css)
    return tuple(  # type: ignore[return-value]
        round(ALPHA * getattr(c, ch)() + (1 - ALPHA) * getattr(under, ch)())
        for ch in ("red", "green", "blue")
    )


def _mismatches(
    shot: QImage, under: QImage, points: list[QPoint], which: list[int], colours: list[str]
) -> list[tuple[int, tuple[int, int, int], tuple[int, int, int]]]:
    out = []
    for i in which:
        got = shot.pixelColor(points[i])
        want = _blend(colours[i], under.pixelColor(points[i]))
        have = (got.red(), got.green(), got.blue())
        if max(abs(h - w) for h, w in zip(have, want, strict=True)) > 3:
            out.append((i, have, want))
    return out


def _patches(shot: QImage, points: list[QPoint], which: list[int], r: int = 5) -> list[int]:
    """The pixels (ARGB) of the square of side 2r+1 around each of ``which``: a whole dot."""
    return [
        shot.pixel(points[i].x() + dx, points[i].y() + dy)
        for i in which
        for dx in range(-r, r + 1)
        for dy in range(-r, r + 1)
    ]


def test_points_keep_their_territory_colours_through_edits(qtbot: Any, synced: Any) -> None:
    """Pixel test: after a unit move, a pin, an undo and the deviation colour mode, every
    account's dot has the colour of its live territory as Python computes it; after the edits
    the dots are pixel for pixel those of a fresh load of the same plan, after the undos those
    of the first load, and the older JSON layer draws the very same pixels."""
    view, plan, sync = synced
    for layer in ("units", "outlines", "labels", "reps"):
        view.set_layer_visible(layer, False)
    points = _centres(view, plan)
    which = _isolated(points)
    assert len(which) >= 30
    view.set_layer_visible("accounts", False)
    _painted(qtbot, view, "bare")
    qtbot.wait(500)  # the view's picture follows the page a little later
    under = view.grab().toImage()
    view.set_layer_visible("accounts", True)

    def check(tag: str, fills: dict[int, str] | None = None) -> QImage:
        """Wait until the screen shows every isolated account in its expected colour (the
        view's picture arrives a little after the page painted); fail with the mismatches."""
        expected = _expected(plan, fills)
        _painted(qtbot, view, tag)
        shot = [view.grab().toImage()]

        def right() -> bool:
            shot[0] = view.grab().toImage()
            return not _mismatches(shot[0], under, points, which, expected)

        with contextlib.suppress(TimeoutError):
            ri.wait_until(right, what=tag)
        assert _mismatches(shot[0], under, points, which, expected) == [], tag
        return shot[0]

    opened = check("open")
    a = plan.atoms
    unit = int(a.account_unit[which[0]])
    to = (int(plan.alignment[unit]) + 1) % a.n_territories
    before = _expected(plan)
    plan.apply(moves.for_units(plan, np.array([unit]), to))
    assert [i for i in which if _expected(plan)[i] != before[i]]  # the edit shows on screen
    check("unit moved")
    pin = next(i for i in which if int(a.account_unit[i]) != unit)
    plan.apply(moves.for_pin(plan, pin, (int(plan.account_territories()[pin]) + 1) % 3))
    edited = check("pinned")
    # The same plan loaded afresh draws the very same dots (every pixel of each).
    with qtbot.waitSignal(view.bridge.rendered, check_params_cb="accounts".__eq__):
        view.set_account_arrays(mapdata.account_arrays(plan))
    fresh = check("fresh load")
    assert _patches(edited, points, which) == _patches(fresh, points, which)
    plan.undo()
    plan.undo()
    undone = check("undone")
    assert _patches(undone, points, which) == _patches(opened, points, which)
    sync.set_colour_mode("deviation", "potential")
    fills = mapdata.deviation_fills(plan, "potential")
    binary = check("deviation", fills)
    with qtbot.waitSignal(view.bridge.rendered, check_params_cb="accounts".__eq__):
        view.set_account_layer(mapdata.account_layer(plan))
    json_shot = check("json layer", fills)
    assert _patches(binary, points, which) == _patches(json_shot, points, which)


def test_hover_shows_the_name_python_sends_and_a_click_names_the_account(
    qtbot: Any, synced: Any
) -> None:
    view, plan, _sync = synced
    a = plan.atoms
    asked: list[tuple[int, int]] = []
    view.bridge.accountInfoRequested.connect(lambda layer, i: asked.append((layer, i)))
    assert ri.js(view, "TP.accountsState().n") == a.n_accounts
    points = _centres(view, plan)
    which = _isolated(points, gap=20)
    target = which[0]
    name = str(a.account_names[target])
    assert name == f"{XSS_IMG} #{a.account_ids[target]}"
    p = points[target]
    ri.move(view, p + QPoint(1, 0))
    ri.move(view, p)
    ri.wait_until(lambda: name in (ri.js(view, TIP) or ""), what="the name from Python")
    tip = str(ri.js(view, TIP))
    assert f"Account {a.account_ext_ids[target]}" in tip
    assert plan.territory_label(int(plan.account_territories()[target])) in tip
    assert asked == [(view.account_layer, target)]
    assert ri.js(view, "document.querySelectorAll('.leaflet-tooltip img').length") == 0
    # Away and back in one quick stroke (moves a few ms apart, as a hand's mouse reports them,
    # stopping on the account): its tooltip is shown, and the name is kept, not asked for again.
    ri.move(view, p + QPoint(0, 30))
    ri.wait_until(lambda: name not in (ri.js(view, TIP) or ""), what="the unit's tooltip")
    for q in ri.interpolate([p + QPoint(0, 30), p], step_px=3):
        ri.move(view, q, wait=False)
    ri.wait_page(view, "mousemove", p)
    ri.wait_until(lambda: name in (ri.js(view, TIP) or ""), what="the name again")
    assert asked.count((view.account_layer, target)) == 1
    # A click names the account by database id and by index.
    with (
        qtbot.waitSignal(view.bridge.accountClicked) as by_id,
        qtbot.waitSignal(view.bridge.accountIndexClicked) as by_index,
    ):
        ri.click(view, p)
    assert by_id.args == [int(a.account_ids[target])]
    assert by_index.args == [target]
    # An answer about an older layer is not shown on this one.
    assert (
        ri.js(view, f"TP.accountInfo({{layer: -1, index: {target}, name: 'x', code: 'y'}})")
        is False
    )
    qtbot.wait(200)
    assert ri.js(view, "typeof window.__pwned") == "undefined"


# ------------------------------------------------------------------ synthetic layers


def _arrays(
    lon: Any, lat: Any, own: Any, unit: Any = None, ids: Any = None
) -> mapdata.AccountArrays:
    n = len(lon)
    return mapdata.AccountArrays(
        lon=np.asarray(lon, dtype=np.float32),
        lat=np.asarray(lat, dtype=np.float32),
        unit=np.full(n, -1, np.int32) if unit is None else np.asarray(unit, np.int32),
        own=np.asarray(own, dtype=np.int32),
        ids=np.arange(1, n + 1, dtype=np.int64) if ids is None else np.asarray(ids, np.int64),
    )


def test_edits_by_index_skip_nothing_around_unlocated_accounts(qtbot: Any, map_view: Any) -> None:
    view = map_view
    view.set_territories(TERRITORIES)
    lon = [np.nan, -98.5, -98.4, np.nan, -98.3]
    layer = _arrays(lon, [np.nan, 38.5, 38.6, np.nan, 38.7], [NORTH_ID] * 5,
                    ids=[10, 20, 35, 40, 99])  # fmt: skip
    with qtbot.waitSignal(view.bridge.rendered, check_params_cb="accounts".__eq__):
        view.set_account_arrays(layer)
    colour = lambda i: ri.js(view, f"TP.accountColourAt({i})")  # noqa: E731
    assert [colour(i) for i in range(5)] == [None, "#0000ff", "#0000ff", None, "#0000ff"]
    view.assign_accounts_at([2, 4], [SOUTH_ID, -1])
    ri.wait_until(lambda: colour(2) == "#ff0000", what="account 2 moved")
    assert [colour(i) for i in range(5)] == [None, "#0000ff", "#ff0000", None, UNASSIGNED_POINT]
    # Ids that are not consecutive travel with the points; clicks and tests use them.
    assert ri.js(view, "TP.accountColour(35)") == "#ff0000"
    assert ri.js(view, "TP.accountColour(36)") is None
    state = ri.js(view, "TP.accountsState()")
    assert (state["n"], state["located"]) == (5, 3)


def test_the_layer_crosses_as_typed_arrays_and_its_file_is_removed(
    qtbot: Any, map_view: Any, tmp_path: Path
) -> None:
    """No JSON, no names: a file of typed arrays in the page's folder, read once, deleted. The
    located accounts come in drawing order (north first here), the unlocated one left out."""
    folder = tmp_path / "layers"
    folder.mkdir()
    own = [SOUTH_ID, NORTH_ID, NORTH_ID]
    layer = _arrays([-98.0, np.nan, -97.0], [38.0, np.nan, 39.0], own, unit=[3, -1, 70_000])
    header = _account_file.write_layer(folder, 5, layer)
    raw = (folder / "accounts-5.bin").read_bytes()
    assert len(raw) == header["bytes"]
    fields = header["fields"]
    assert {k: v["type"] for k, v in fields.items()} == {
        "x": "f32", "y": "f32", "unit": "i32", "own": "i16", "order": "i32", "cellKeys": "i32",
        "cellStart": "i32",
    }  # fmt: skip
    assert (header["n"], header["m"], header["idStart"]) == (3, 2, 1)
    assert "ids" not in fields

    def read(name: str, dtype: Any) -> list[Any]:
        spec = fields[name]
        return np.frombuffer(raw, dtype, spec["length"], spec["offset"]).tolist()

    assert read("order", np.int32) == [2, 0]
    assert read("unit", np.int32) == [70_000, 3]
    assert read("own", np.int16) == [NORTH_ID, SOUTH_ID]
    assert read("cellStart", np.int32) == [0, 1, 2]
    assert all(v["offset"] % 8 == 0 for v in fields.values())

    view = map_view
    view.set_territories(TERRITORIES)
    loaded: list[int] = []
    view.bridge.accountsLoaded.connect(loaded.append)
    with qtbot.waitSignal(view.bridge.rendered, check_params_cb="accounts".__eq__):
        number = view.set_account_arrays(layer)
    assert loaded == [number]
    page_dir = view.page_path.parent
    ri.wait_until(lambda: not list(page_dir.glob("accounts-*.bin")), what="the file removed")
    assert ri.js(view, "TP.accountsState().located") == 2
    # Read off the page's main thread (which builds the units meanwhile at a national plan).
    assert ri.js(view, "TP.accountsState().times.readBy") == "worker"
    assert [ri.js(view, f"TP.accountColourAt({i})") for i in range(3)] == [RED, None, BLUE]


def test_accounts_that_go_with_their_unit_are_not_written_one_by_one(
    qtbot: Any, map_view: Any, tmp_path: Path
) -> None:
    """With the grid's ranks (the window's cached grid) only the accounts with an assignment
    of their own are written (positions and codes): the page draws them as the full column."""
    follow = mapdata.FOLLOW_UNIT
    lon, lat = [-98.0, np.nan, -97.0, -96.0], [38.0, np.nan, 39.0, 38.5]
    own = [follow, follow, NORTH_ID, follow]
    layer = _arrays(lon, lat, own, unit=[3, -1, 4, 5])
    grid = with_positions(account_grid(layer.lon, layer.lat), layer.unit)
    layer = dataclasses.replace(layer, grid=grid)
    header = _account_file.write_layer(tmp_path, 1, layer)
    fields = header["fields"]
    assert "own" not in fields
    raw = (tmp_path / "accounts-1.bin").read_bytes()

    def read(name: str, dtype: Any) -> list[Any]:
        spec = fields[name]
        return np.frombuffer(raw, dtype, spec["length"], spec["offset"]).tolist()

    order = read("order", np.int32)
    assert order == [2, 3, 0]  # north first; the unlocated account left out
    assert read("ownAt", np.int32) == [0]
    assert read("ownCode", np.int16) == [NORTH_ID]
    assert read("unit", np.int16) == [4, 5, 3]

    view = map_view
    view.set_territories(TERRITORIES)
    with qtbot.waitSignal(view.bridge.rendered, check_params_cb="accounts".__eq__):
        view.set_account_arrays(layer)
    colours = [ri.js(view, f"TP.accountColourAt({i})") for i in range(4)]
    # No units layer here: the accounts that go with their unit have no territory to show.
    assert colours == [UNASSIGNED_POINT, None, BLUE, UNASSIGNED_POINT]


def test_assignments_sent_while_the_file_is_read_are_kept_for_it(qtbot: Any, map_view: Any) -> None:
    """An edit right after a layer is sent (one script: the page has not read the file yet)
    reaches the new layer; it was applied to no layer at all before."""
    view = map_view
    view.set_territories(TERRITORIES)
    layer = _arrays([-98.5, -98.4, -98.3], [38.5, 38.6, 38.7], [NORTH_ID] * 3)
    with qtbot.waitSignal(view.bridge.rendered, check_params_cb="accounts".__eq__):
        view.set_account_arrays(layer)
        view.assign_accounts_at([1], [SOUTH_ID])
    assert [ri.js(view, f"TP.accountColourAt({i})") for i in range(3)] == [BLUE, RED, BLUE]


def test_a_layer_that_cannot_be_read_is_reported_and_the_next_one_shows(
    qtbot: Any, map_view: Any
) -> None:
    """A missing file: the worker says it failed, the main thread tries too, the page reports
    it (nothing waits for it forever) and the next layer is read and drawn as usual."""
    view = map_view
    view.set_territories(TERRITORIES)
    layer = _arrays([-98.5, -98.4], [38.5, 38.6], [NORTH_ID, SOUTH_ID])
    number = view.account_layer + 1  # the number the window's next layer gets too
    header = _account_file.write_layer(view.page_path.parent, number, layer)
    _account_file.remove_layers(view.page_path.parent)  # the file is gone
    with qtbot.waitSignal(view.bridge.jsError, timeout=10_000) as error:
        view.call("loadAccounts", header)
    assert "could not be read" in error.args[0]
    with qtbot.waitSignal(view.bridge.rendered, check_params_cb="accounts".__eq__):
        view.set_account_arrays(layer)
    assert [ri.js(view, f"TP.accountColourAt({i})") for i in range(2)] == [BLUE, RED]


def test_a_json_layer_set_while_a_file_is_read_stays(qtbot: Any, map_view: Any) -> None:
    """The last layer asked for is the one shown: a binary file still being read when a JSON
    layer arrives is dropped when it has been read."""
    view = map_view
    view.set_territories(TERRITORIES)
    binary = _arrays([-98.5, -98.4], [38.5, 38.6], [SOUTH_ID, SOUTH_ID])
    json_layer = {"ids": [1, 2], "lon": [-98.5, -98.4], "lat": [38.5, 38.6],
                  "unit": [-1, -1], "territory": [NORTH_ID, NORTH_ID]}  # fmt: skip
    loaded: list[int] = []
    view.bridge.accountsLoaded.connect(loaded.append)
    view.set_account_arrays(binary)
    view.set_account_layer(json_layer)  # one script with the load: before the file is read
    qtbot.wait(1500)  # a two-account file is read in milliseconds
    assert [ri.js(view, f"TP.accountColourAt({i})") for i in range(2)] == [BLUE, BLUE]
    assert loaded == []  # read, never built


def test_bins_beyond_a_few_hundred_thousand_in_view_and_points_once_zoomed_in(
    qtbot: Any, map_view: Any
) -> None:
    """400,000 accounts (North, blue) and one far from them (South, red): the whole view
    holds more than the layer draws one by one, so it bins them; the lone account is a faint
    bin. The wheel zooms in on it: fewer in view, points again, and it is a full dot."""
    view = map_view
    view.set_territories(TERRITORIES)
    rng = np.random.default_rng(3)
    n = 400_000
    lon = np.append(rng.uniform(-100.0, -96.0, n), -93.0)
    lat = np.append(rng.uniform(36.0, 40.0, n), 38.0)
    own = np.append(np.full(n, NORTH_ID), SOUTH_ID)
    with qtbot.waitSignal(view.bridge.rendered, check_params_cb="accounts".__eq__, timeout=30_000):
        view.set_account_arrays(_arrays(lon, lat, own))
    view.fit_bounds(35.5, -100.5, 40.5, -92.5)
    _painted(qtbot, view, "fitted")
    state = ri.js(view, "TP.accountsState()")
    assert state["mode"] == "density"
    assert state["visible"] == n + 1

    def lone() -> tuple[QPoint, list[QColor]]:
        p = ri.container_point(view, 38.0, -93.0)
        image = view.grab().toImage()
        return p, [
            image.pixelColor(p + QPoint(dx, dy)) for dx in range(-4, 5) for dy in range(-4, 5)
        ]

    def reds() -> list[QColor]:
        return [c for c in lone()[1] if looks(c, "red")]

    ri.wait_until(lambda: bool(reds()), what="the lone account drawn")
    p = lone()[0]
    assert len(reds()) <= 25  # one bin of 4 x 4 px (its corner may fall across two)...
    assert not [c for c in reds() if c.red() > 240 and c.green() < 60]  # ...faint: 1 account
    cluster = view.grab().toImage().pixelColor(ri.container_point(view, 38.0, -98.0))
    assert looks(cluster, "blue")
    zoom = lambda: ri.js(view, "TP.map()._animatingZoom ? -1 : TP.map().getZoom()")  # noqa: E731
    for _ in range(8):
        before = zoom()
        ri.wheel(view, p, 1)
        ri.wait_until(lambda b=before: zoom() > b, what="the wheel zoomed in")
        p = ri.container_point(view, 38.0, -93.0)
        if ri.js(view, "TP.accountsState().mode") == "points":
            break
    _painted(qtbot, view, "zoomed")
    state = ri.js(view, "TP.accountsState()")
    assert state["mode"] == "points"
    assert state["visible"] < 300_000

    def strong() -> list[QColor]:
        return [c for c in lone()[1] if c.red() > 200 and c.green() < 80 and c.blue() < 80]

    ri.wait_until(lambda: len(strong()) >= 21, what="a dot of radius 3 or more at 0.85 opacity")


def test_a_unit_move_before_the_layer_is_idle_recolours_its_accounts(
    qtbot: Any, map_view: Any
) -> None:
    """The accounts-by-unit index is built once the layer has painted; a unit move that comes
    first (same script as the layer) builds it then and still recolours the unit's accounts."""
    view = map_view
    map_grid.show(qtbot, view, map_grid.live_grid())
    (lat0, lon0), (lat1, lon1) = map_grid.centre(0), map_grid.centre(33)
    layer = {"ids": [1, 2, 3], "lon": [lon0, lon1, lon0], "lat": [lat0, lat1, lat0 + 0.1],
             "unit": [0, 33, 0], "territory": [-2, -2, NORTH_ID]}  # fmt: skip
    colours = ri.js(
        view,
        f"(TP.setAccounts({json.dumps(layer)}), TP.assignUnits({{0: {NORTH_ID}}}),"
        "[0, 1, 2].map(TP.accountColourAt))",
    )
    assert colours == [BLUE, BLUE, BLUE]
    ri.wait_until(lambda: ri.js(view, "TP._.S.accounts.data.byUnit !== null"), what="index")
    ri.js(view, f"TP.assignUnits({{0: {SOUTH_ID}, 33: {SOUTH_ID}}})")
    assert [ri.js(view, f"TP.accountColourAt({i})") for i in range(3)] == [RED, RED, BLUE]
