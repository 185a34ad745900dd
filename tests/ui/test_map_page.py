"""The real map page in a real QWebEngineView (offscreen): offline, safe, and wired to Python."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import shapely.geometry
from PySide6.QtCore import QPoint, Qt, QUrl
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest

from planner.ui.map.view import MapView

pytestmark = pytest.mark.webengine

JS = Callable[[str], Any]
RED, BLUE, GREEN = "#ff0000", "#0000ff", "#00c000"
XSS_IMG = '<img src=x onerror="window.__pwned=1">'
XSS_SCRIPT = "<script>window.__pwned=1</script>"
# A 4 x 4 grid of 0.5° squares in Kansas: unit id = 10 * row + col.
WEST, SOUTH, STEP = -99.0, 38.0, 0.5


def _grid(colour: str = BLUE, names: dict[int, str] | None = None) -> dict[str, Any]:
    features = []
    for row in range(4):
        for col in range(4):
            uid = 10 * row + col
            x, y = WEST + col * STEP, SOUTH + row * STEP
            ring = [[x, y], [x + STEP, y], [x + STEP, y + STEP], [x, y + STEP], [x, y]]
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                    "properties": {
                        "id": uid,
                        "code": f"U{uid:02d}",
                        "name": (names or {}).get(uid, f"Unit {uid}"),
                        "territory": "North" if row >= 2 else "South",
                        "colour": colour,
                    },
                }
            )
    return {"type": "FeatureCollection", "features": features}


def _centre(uid: int) -> tuple[float, float]:
    """(lat, lon) of a grid unit's centre."""
    row, col = divmod(uid, 10)
    return SOUTH + (row + 0.5) * STEP, WEST + (col + 0.5) * STEP


def _show_units(qtbot: Any, view: Any, js: JS, fc: dict[str, Any]) -> None:
    with qtbot.waitSignal(view.bridge.rendered, timeout=10_000, check_params_cb="units".__eq__):
        view.set_units(fc)
    view.fit_bounds(SOUTH, WEST, SOUTH + 4 * STEP, WEST + 4 * STEP)
    assert js("TP.state().units") == 16


def _pixel(view: Any, js: JS, uid: int) -> tuple[QPoint, QColor]:
    lat, lon = _centre(uid)
    x, y = js(
        f"(function(){{var p=TP.map().latLngToContainerPoint([{lat},{lon}]);return [p.x,p.y];}})()"
    )
    point = QPoint(round(x), round(y))
    return point, view.grab().toImage().pixelColor(point)


def _is(colour: QColor, name: str) -> bool:
    """A unit's fill is blended over the basemap: compare which channel dominates."""
    r, g, b = colour.red(), colour.green(), colour.blue()
    return {"red": r > b + 80 and r > g + 80, "blue": b > r + 80 and b > g + 80}[name]


def test_page_loads_offline_with_local_leaflet_and_no_network(map_view: Any, js: JS) -> None:
    assert js("typeof L") == "object"
    assert js("typeof L.PM") == "object"  # Geoman loaded from the vendored file
    assert js("TP.state().channel") is True
    assert js("document.querySelectorAll('script[src^=http], link[href^=http]').length") == 0
    assert map_view.interceptor.blocked == []


def test_page_injected_fetch_fails_offline(qtbot: Any, map_view: Any, js: JS) -> None:
    """Offline, Chromium refuses remote URLs from our file: page before any request is made."""
    js(
        "(window.__f = 'pending', fetch('http://example.com/leak')"
        ".then(function () { window.__f = 'loaded'; })"
        ".catch(function () { window.__f = 'blocked'; }), 1)"
    )
    qtbot.waitUntil(lambda: js("window.__f") != "pending", timeout=10_000)
    assert js("window.__f") == "blocked"
    assert map_view.interceptor.blocked == []  # nothing even reached the network layer


def test_with_online_tiles_only_the_tile_host_gets_through(qtbot: Any, tmp_path: Path) -> None:
    """Remote access is on for tiles; the interceptor then blocks every other host."""
    view = MapView(
        page_dir=tmp_path / "online", tiles_url="https://{s}.tiles.invalid/{z}/{x}/{y}.png"
    )
    qtbot.addWidget(view, before_close_func=lambda w: w.dispose(delete_view=False))
    view.resize(400, 300)
    with qtbot.waitSignal(view.mapReady, timeout=20_000):
        view.show()
    view.run_js_json("(fetch('http://example.com/leak').catch(function () {}), 1)")
    blocked = view.interceptor.blocked
    qtbot.waitUntil(lambda: any("example.com" in u for u in blocked), timeout=10_000)
    assert not any(".tiles.invalid" in u for u in blocked)  # tile requests were let through
    assert view.interceptor.allows(QUrl("https://a.tiles.invalid/4/3/5.png"))
    assert not view.interceptor.allows(QUrl("https://evil.example/4/3/5.png"))
    assert not view.interceptor.allows(QUrl.fromLocalFile("/etc/passwd"))


def test_units_pushed_through_the_bridge_render_in_their_colours(
    qtbot: Any, map_view: Any, js: JS
) -> None:
    fc = _grid(BLUE)
    fc["features"][0]["properties"]["colour"] = RED  # unit 0
    _show_units(qtbot, map_view, js, fc)
    qtbot.waitUntil(lambda: _is(_pixel(map_view, js, 0)[1], "red"), timeout=10_000)
    assert _is(_pixel(map_view, js, 11)[1], "blue")


def test_restyle_changes_only_the_given_units(qtbot: Any, map_view: Any, js: JS) -> None:
    _show_units(qtbot, map_view, js, _grid(BLUE))
    qtbot.waitUntil(lambda: _is(_pixel(map_view, js, 0)[1], "blue"), timeout=10_000)
    changed = [0, 12, 33]
    timings: list[float] = []
    map_view.restyle_units(dict.fromkeys(changed, RED), callback=timings.append)
    qtbot.waitUntil(
        lambda: all(_is(_pixel(map_view, js, u)[1], "red") for u in changed), timeout=10_000
    )
    assert timings
    assert timings[0] >= 0
    for uid in (1, 2, 3, 10, 11, 13, 20, 21, 22, 23, 30, 31, 32):
        assert _is(_pixel(map_view, js, uid)[1], "blue"), uid


def test_hostile_names_show_as_text_in_tooltip_popup_legend_and_reps(
    qtbot: Any, map_view: Any, js: JS
) -> None:
    _show_units(qtbot, map_view, js, _grid(BLUE, names={0: XSS_IMG, 1: XSS_SCRIPT}))
    qtbot.waitUntil(lambda: _is(_pixel(map_view, js, 0)[1], "blue"), timeout=10_000)
    # Hover with the real mouse: the tooltip path a user triggers.
    tip = (
        "(function(){var t=document.querySelector('.leaflet-tooltip');return t&&t.textContent;})()"
    )
    QTest.mouseMove(map_view.focusProxy() or map_view, _pixel(map_view, js, 0)[0])
    qtbot.waitUntil(lambda: XSS_IMG in (js(tip) or ""), timeout=10_000)
    assert js("TP.showUnitTooltip(0)") is True
    tooltip = js("document.querySelector('.leaflet-tooltip').textContent")
    assert XSS_IMG in tooltip
    assert js("document.querySelectorAll('.leaflet-tooltip img').length") == 0
    assert js("TP.showUnitPopup(1)") is True
    popup = js("document.querySelector('.leaflet-popup-content').textContent")
    assert XSS_SCRIPT in popup
    assert js("document.querySelectorAll('.leaflet-popup-content script').length") == 0

    map_view.set_legend([(XSS_IMG, RED), (XSS_SCRIPT, BLUE)])
    map_view.set_reps([{"id": 1, "name": XSS_IMG, "lon": -98.0, "lat": 39.0}])
    legend = js("document.querySelector('.tp-legend').textContent")
    assert XSS_IMG in legend
    assert XSS_SCRIPT in legend
    assert js("document.querySelectorAll('.tp-legend img, .tp-legend script').length") == 0
    assert js("TP.state().reps") == 1
    # Give an injected onerror handler every chance to run before checking it did not.
    qtbot.waitUntil(lambda: js("document.readyState") == "complete", timeout=5_000)
    assert js("typeof window.__pwned") == "undefined"


@pytest.mark.parametrize(
    ("mode", "shape", "latlngs", "signal", "geom_type"),
    [
        ("lasso", "Polygon", "[[38.2,-98.8],[38.2,-98.2],[38.8,-98.2]]", "lassoDrawn", "Polygon"),
        ("draw", "Polygon", "[[38.2,-98.8],[38.2,-98.2],[38.8,-98.2]]", "polygonDrawn", "Polygon"),
        ("split", "Line", "[[38.2,-98.8],[38.8,-98.2]]", "lineDrawn", "LineString"),
    ],
)
def test_shapes_drawn_with_geoman_reach_python_as_geojson(
    qtbot: Any,
    map_view: Any,
    js: JS,
    mode: str,
    shape: str,
    latlngs: str,
    signal: str,
    geom_type: str,
) -> None:
    _show_units(qtbot, map_view, js, _grid())
    map_view.set_mode(mode)
    assert js("TP.state().mode") == mode
    assert js("TP.map().pm.globalDrawModeEnabled()") is True
    ctor = "L.polygon" if shape == "Polygon" else "L.polyline"
    with qtbot.waitSignal(getattr(map_view.bridge, signal), timeout=10_000) as blocker:
        # The event Geoman fires when the user finishes a shape.
        js(
            f"(function(){{var l={ctor}({latlngs}).addTo(TP.map());"
            f"TP.map().fire('pm:create',{{shape:'{shape}',layer:l}});"
            "window.__drawn=l;return 1;})()"
        )
    geometry = shapely.geometry.shape(blocker.args[0])
    assert geometry.geom_type == geom_type
    assert geometry.is_valid
    assert geometry.bounds == pytest.approx((-98.8, 38.2, -98.2, 38.8))
    assert js("TP.map().hasLayer(window.__drawn)") is False  # the drawn layer is removed


def test_a_lasso_clicked_with_the_real_mouse_reaches_python(
    qtbot: Any, map_view: Any, js: JS
) -> None:
    """Geoman's own polygon tool, driven by Qt mouse events: 3 vertices, then close on the first."""
    _show_units(qtbot, map_view, js, _grid())
    qtbot.waitUntil(lambda: _is(_pixel(map_view, js, 0)[1], "blue"), timeout=10_000)
    map_view.set_mode("lasso")
    assert js("TP.state().mode") == "lasso"
    corners = [_pixel(map_view, js, uid)[0] for uid in (0, 3, 33)]
    target = map_view.focusProxy() or map_view
    with qtbot.waitSignal(map_view.bridge.lassoDrawn, timeout=10_000) as blocker:
        for point in [*corners, corners[0]]:
            QTest.mouseMove(target, point)
            QTest.mouseClick(
                target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point
            )
    lasso = shapely.geometry.shape(blocker.args[0])
    assert lasso.is_valid
    assert len(lasso.exterior.coords) == 4  # a triangle, closed
    assert lasso.contains(shapely.geometry.Point(-97.5, 38.5))  # inside the triangle


def test_reshaping_an_outline_reports_the_edited_geometry(
    qtbot: Any, map_view: Any, js: JS
) -> None:
    _show_units(qtbot, map_view, js, _grid())
    outline = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"id": 5, "name": "North", "colour": "#222"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[-99, 39], [-97, 39], [-97, 40], [-99, 40], [-99, 39]]],
                },
            }
        ],
    }
    with qtbot.waitSignal(map_view.bridge.rendered, check_params_cb="outlines".__eq__):
        map_view.set_outlines(outline)
    map_view.edit_outline(5)
    assert js("TP.state().mode") == "reshape"
    with qtbot.waitSignal(map_view.bridge.reshaped, timeout=10_000) as blocker:
        # What a finished vertex drag amounts to: the layer moved a vertex, Geoman fires pm:edit.
        js(
            "(function(){var e=null;TP.map().eachLayer(function(l){if(l.pm&&l.pm.enabled&&"
            "l.pm.enabled())e=l;});var ll=e.getLatLngs();ll[0][1]=L.latLng(38.5,-97);"
            "e.setLatLngs(ll);e.fire('pm:edit',{layer:e});return 1;})()"
        )
    territory, geometry = blocker.args
    assert territory == 5
    assert shapely.geometry.shape(geometry).bounds == pytest.approx((-99, 38.5, -97, 40))
    map_view.set_mode("pan")  # leaving reshape mode removes the editable copy
    editable = (
        "(function(){var n=0;TP.map().eachLayer(function(l){if(l.pm&&l.pm.enabled&&"
        "l.pm.enabled())n++;});return n;})()"
    )
    assert js(editable) == 0


def test_selection_preview_and_legend_layers(qtbot: Any, map_view: Any, js: JS) -> None:
    _show_units(qtbot, map_view, js, _grid())
    map_view.set_selection([0, 1, 99])  # 99 does not exist: ignored
    preview = _grid(RED)
    preview["features"] = preview["features"][:2]
    with qtbot.waitSignal(map_view.bridge.rendered, check_params_cb="preview".__eq__):
        map_view.show_preview(preview)
    map_view.set_legend([("North", RED), ("South", BLUE)])
    state = js("TP.state()")
    assert state["selected"] == 2
    assert state["preview"] is True
    assert js("document.querySelectorAll('.tp-legend-row').length") == 2
    map_view.clear_preview()
    assert js("TP.state().preview") is False


def _mouse(js: JS, events: list[tuple[str, QPoint]]) -> None:
    """Dispatch DOM mouse events on the map container (Leaflet's own handlers take them)."""
    body = "".join(
        f"c.dispatchEvent(new MouseEvent('{kind}', {{bubbles: true, cancelable: true, "
        f"clientX: {p.x()}, clientY: {p.y()}, button: 0, buttons: 1}}));"
        for kind, p in events
    )
    js(f"(function () {{ var c = TP.map().getContainer(); {body} return 1; }})()")


def test_paint_stroke_with_the_mouse_collects_units(qtbot: Any, map_view: Any, js: JS) -> None:
    _show_units(qtbot, map_view, js, _grid())
    qtbot.waitUntil(lambda: _is(_pixel(map_view, js, 0)[1], "blue"), timeout=10_000)
    map_view.set_mode("paint")
    assert js("TP.state().mode") == "paint"
    row = [_pixel(map_view, js, uid)[0] for uid in (0, 1, 2, 3)]
    stroke = [("mousedown", row[0])] + [("mousemove", p) for p in row[1:]] + [("mouseup", row[3])]
    with qtbot.waitSignal(map_view.bridge.paintStroke, timeout=10_000) as blocker:
        _mouse(js, stroke)
    assert blocker.args[0] == [0, 1, 2, 3]
    with qtbot.waitSignal(map_view.bridge.paintStroke, timeout=10_000) as blocker:
        _mouse(js, [("mousedown", row[2]), ("mouseup", row[2])])  # a click paints one unit
    assert blocker.args[0] == [2]


def test_a_real_click_on_a_unit_reports_it(qtbot: Any, map_view: Any, js: JS) -> None:
    _show_units(qtbot, map_view, js, _grid())
    qtbot.waitUntil(lambda: _is(_pixel(map_view, js, 0)[1], "blue"), timeout=10_000)
    point, _ = _pixel(map_view, js, 21)
    target = map_view.focusProxy() or map_view
    with qtbot.waitSignal(map_view.bridge.unitClicked, timeout=10_000) as blocker:
        QTest.mouseClick(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
    assert blocker.args == [21]


def test_100k_accounts_draw_and_an_account_click_is_reported(
    qtbot: Any, map_view: Any, js: JS
) -> None:
    n = 100_000
    lon = [-125.0 + 58.0 * ((i * 7919) % n) / n for i in range(n)]
    lat = [25.0 + 24.0 * ((i * 104729) % n) / n for i in range(n)]
    lon[-1], lat[-1] = -60.0, 60.0  # one isolated account, away from the others
    colours = [RED if i % 2 else BLUE for i in range(n)]
    timings: list[float] = []
    with qtbot.waitSignal(
        map_view.bridge.rendered, timeout=20_000, check_params_cb="accounts".__eq__
    ):
        map_view.set_accounts(list(range(n)), lon, lat, colours, callback=timings.append)
    assert js("TP.state().accounts") == n
    assert timings
    assert timings[0] < 2_000
    js("TP.fitBounds([[59.5,-60.5],[60.5,-59.5]])")
    point = QPoint(
        *js(
            "(function(){var p=TP.map().latLngToContainerPoint([60,-60]);"
            "return [Math.round(p.x),Math.round(p.y)];})()"
        )
    )
    target = map_view.focusProxy() or map_view
    with qtbot.waitSignal(map_view.bridge.accountClicked, timeout=10_000) as blocker:
        QTest.mouseClick(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
    assert blocker.args == [n - 1]


def test_navigation_away_from_the_map_is_refused(qtbot: Any, map_view: Any, js: JS) -> None:
    js("(location.href = 'http://example.com/', 1)")
    qtbot.waitUntil(
        lambda: any("example.com" in u for u in map_view.map_page.refused), timeout=10_000
    )
    js("(window.open('http://example.net/'), 1)")
    assert js("typeof TP.setUnits") == "function"  # still our page
    assert map_view.url().isLocalFile()


def test_reload_drops_stale_results_and_replays_calls_queued_before_ready(
    qtbot: Any, map_view: Any, js: JS
) -> None:
    stale: list[Any] = []
    map_view.run_js_json("TP.state()", stale.append)
    map_view.reload_page()  # the result above now belongs to a page that is gone
    assert map_view.is_ready is False
    map_view.set_legend([("Queued", RED)])  # made before the new page is ready
    with qtbot.waitSignal(map_view.mapReady, timeout=20_000):
        pass
    assert js("document.querySelector('.tp-legend').textContent") == "Queued"
    assert stale == []
