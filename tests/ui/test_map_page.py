"""The real map page in a real QWebEngineView (offscreen): offline, safe, and wired to Python."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import shapely.geometry
from PySide6.QtCore import QPoint, Qt, QUrl
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest

from planner.ui.map.view import _PARSE_BEYOND, MapView, RawJson, _js_argument
from tests.ui import real_input as ri
from tests.ui.map_grid import BLUE, RED, SOUTH, STEP, WEST, looks
from tests.ui.map_grid import colour_grid as _grid
from tests.ui.map_grid import point as grid_point

pytestmark = pytest.mark.webengine

JS = Callable[[str], Any]
XSS_IMG = '<img src=x onerror="window.__pwned=1">'
XSS_SCRIPT = "<script>window.__pwned=1</script>"


def _show_units(qtbot: Any, view: Any, js: JS, fc: dict[str, Any]) -> None:
    with qtbot.waitSignal(view.bridge.rendered, timeout=10_000, check_params_cb="units".__eq__):
        view.set_units(fc)
    view.fit_bounds(SOUTH, WEST, SOUTH + 4 * STEP, WEST + 4 * STEP)
    assert js("TP.state().units") == 16


def _pixel(view: Any, js: JS, uid: int) -> tuple[QPoint, QColor]:
    point = grid_point(view, uid)
    return point, view.grab().toImage().pixelColor(point)


def _is(colour: QColor, name: str) -> bool:
    return looks(colour, name)


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
    ("mode", "latlngs", "signal", "geom_type"),
    [
        ("lasso", "L.polygon([[38.2,-98.8],[38.2,-98.2],[38.8,-98.2]])", "lassoDrawn", "Polygon"),
        ("draw", "L.polygon([[38.2,-98.8],[38.2,-98.2],[38.8,-98.2]])", "polygonDrawn", "Polygon"),
        ("split", "L.polyline([[38.2,-98.8],[38.8,-98.2]])", "lineDrawn", "LineString"),
    ],
)
def test_a_shape_finished_by_a_script_reaches_python_as_geojson(
    qtbot: Any, map_view: Any, js: JS, mode: str, latlngs: str, signal: str, geom_type: str
) -> None:
    """The hook scripts use (scripts/walkthrough.py, window tests): a finished shape is sent
    for the current mode, exactly as a freehand release sends it (test_map_gestures)."""
    _show_units(qtbot, map_view, js, _grid())
    map_view.set_mode(mode)
    assert js("TP.state().mode") == mode
    with qtbot.waitSignal(getattr(map_view.bridge, signal), timeout=10_000) as blocker:
        js(f"(window.__drawn={latlngs}.addTo(TP.map()), 1)")
        js("(TP._onPmCreate({layer: window.__drawn}), 1)")
    geometry = shapely.geometry.shape(blocker.args[0])
    assert geometry.geom_type == geom_type
    assert geometry.is_valid
    assert geometry.bounds == pytest.approx((-98.8, 38.2, -98.2, 38.8))
    assert js("TP.map().hasLayer(window.__drawn)") is False  # the drawn layer is removed


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


def test_calls_sent_together_all_run_and_a_failing_one_is_reported(
    qtbot: Any, map_view: Any, js: Any
) -> None:
    """Calls without a result are batched into one script per event-loop turn: one failing
    call must neither stop the others nor go unreported, and a query sees them all done."""
    errors: list[str] = []
    map_view.bridge.jsError.connect(errors.append)
    map_view.call("setLayerVisible", "units", False)
    map_view.call("noSuchFunction")
    map_view.call("setLayerVisible", "accounts", False)
    assert js("TP.map().getPane('tpAccounts').style.display") == "none"  # ran before the query
    assert js("TP.map().getPane('tpUnits').style.display") == "none"
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert "noSuchFunction" in errors[0]


def test_big_serialised_json_reaches_the_page_unchanged_through_json_parse(map_view: Any) -> None:
    """Layers beyond 64 KB of JSON cross as ``JSON.parse`` of a string literal (V8 compiles a
    12 MB object literal three times slower): every character a name may hold arrives as it
    was, and none of them ends the literal or runs as code."""
    names = ['quote " and \' apostrophe', "back\\slash \\u0041", "</script><b>x</b>",
             "line\u2028separator\u2029", "Zürich 東京 😀", "tab\tnew\nline"]  # fmt: skip
    value = {"features": [{"id": i, "name": names[i % len(names)]} for i in range(4000)]}
    text = json.dumps(value, ensure_ascii=False)
    assert len(text) > _PARSE_BEYOND
    argument = _js_argument(RawJson(text))
    assert argument.startswith("JSON.parse(")
    assert ri.js(map_view, f"(function (x) {{ return x; }})({argument})") == value
    assert ri.js(map_view, "window.__pwned === undefined")
