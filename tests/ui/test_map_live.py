"""The page's live territory model, seen through real hover and screenshots: tooltips, fills,
account points, labels and the legend follow every change (issue 12, defects 3, 6 and 8)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPoint

from tests.ui import real_input as ri
from tests.ui.map_grid import (
    BLUE,
    GREEN,
    NORTH_ID,
    RED,
    SOUTH_ID,
    centre,
    colour_grid,
    live_grid,
    looks,
    pixel,
    point,
    show,
)

pytestmark = pytest.mark.webengine

XSS_IMG = '<img src=x onerror="window.__pwned=1">'
TIP = "(function(){var t=document.querySelector('.leaflet-tooltip');return t&&t.textContent;})()"


def _hover_text(view: Any, p: QPoint, expected: str) -> str:
    """Move the real mouse to ``p`` and wait for a tooltip containing ``expected``."""
    ri.move(view, p + QPoint(1, 0))
    ri.move(view, p)
    ri.wait_until(lambda: expected in (ri.js(view, TIP) or ""), what=f"tooltip with {expected!r}")
    return str(ri.js(view, TIP))


def test_unit_tooltips_follow_assignments_and_renames(qtbot: Any, map_view: Any) -> None:
    """Defect 3: tooltips showed the territory of the alignment loaded at start."""
    view = map_view
    show(qtbot, view, live_grid())
    p = point(view, 0)
    assert "South" in _hover_text(view, p, "South")
    view.assign_units({0: NORTH_ID})
    ri.wait_until(lambda: "North" in (ri.js(view, TIP) or ""), what="tooltip follows the move")
    assert "South" not in ri.js(view, TIP)
    ri.wait_until(lambda: looks(pixel(view, 0), "blue"), what="the fill follows")
    view.update_territories([{"id": NORTH_ID, "name": XSS_IMG}])
    ri.wait_until(lambda: XSS_IMG in (ri.js(view, TIP) or ""), what="renamed in the tooltip")
    assert ri.js(view, "document.querySelectorAll('.leaflet-tooltip img').length") == 0
    view.assign_units({0: None})
    ri.wait_until(lambda: "Unassigned" in (ri.js(view, TIP) or ""), what="unassigned")
    assert ri.js(view, "TP.showUnitPopup(0)") is True
    popup = ri.js(view, "document.querySelector('.leaflet-popup-content').textContent")
    assert "Unassigned" in popup


def test_fills_follow_recolour_and_the_deviation_mode(qtbot: Any, map_view: Any) -> None:
    view = map_view
    show(qtbot, view, live_grid())
    ri.wait_until(lambda: looks(pixel(view, 0), "red"), what="South filled")
    assert looks(pixel(view, 33), "blue")  # North
    view.update_territories([{"id": SOUTH_ID, "colour": GREEN}])
    ri.wait_until(lambda: looks(pixel(view, 0), "green"), what="recoloured")
    view.set_fills({NORTH_ID: RED, SOUTH_ID: BLUE})  # colour by deviation
    ri.wait_until(
        lambda: looks(pixel(view, 0), "blue") and looks(pixel(view, 33), "red"), what="fills"
    )
    view.update_fills({SOUTH_ID: RED})  # an edit touched South
    ri.wait_until(lambda: looks(pixel(view, 0), "red"), what="updated fill")
    view.set_fills(None)
    ri.wait_until(lambda: looks(pixel(view, 0), "green"), what="back to territory colours")
    assert looks(pixel(view, 33), "blue")


def _accounts(qtbot: Any, view: Any) -> list[int]:
    """Three accounts: 100 in unit 0 (follows it), 101 in unit 33 (follows), 102 pinned North."""
    ids = [100, 101, 102]
    lat0, lon0 = centre(0)
    lat1, lon1 = centre(33)
    layer = {
        "ids": ids,
        "lon": [lon0 + 0.1, lon1 + 0.1, lon0 - 0.1],
        "lat": [lat0 + 0.1, lat1 + 0.1, lat0 - 0.1],
        "unit": [0, 33, 0],
        "territory": [-2, -2, NORTH_ID],
        "names": ["Acme", "Globex", XSS_IMG],
    }
    with qtbot.waitSignal(view.bridge.rendered, check_params_cb="accounts".__eq__):
        view.set_account_layer(layer)
    return ids


def test_account_points_follow_their_unit_pins_and_the_colour_mode(
    qtbot: Any, map_view: Any
) -> None:
    """Defect 6: in "colour by deviation" mode account squares stayed in territory colours."""
    view = map_view
    show(qtbot, view, live_grid())
    _accounts(qtbot, view)
    colour = lambda aid: ri.js(view, f"TP.accountColour({aid})")  # noqa: E731
    assert (colour(100), colour(101), colour(102)) == (RED, BLUE, BLUE)
    view.assign_units({0: NORTH_ID})  # unit 0 moves: its account follows, the pin does not
    ri.wait_until(lambda: colour(100) == BLUE, what="account follows its unit")
    view.assign_accounts({102: SOUTH_ID})
    ri.wait_until(lambda: colour(102) == RED, what="pin moved")
    view.set_fills({NORTH_ID: "#aaaaff", SOUTH_ID: "#ffaaaa"})
    ri.wait_until(lambda: colour(100) == "#aaaaff", what="accounts take the deviation fills")
    assert (colour(101), colour(102)) == ("#aaaaff", "#ffaaaa")
    view.assign_accounts({102: -2})  # unpinned: follows unit 0 again
    ri.wait_until(lambda: colour(102) == "#aaaaff", what="unpinned")
    # The account tooltip names its live territory.
    lat, lon = centre(33)
    text = _hover_text(view, ri.container_point(view, lat + 0.1, lon + 0.1), "Globex")
    assert "North" in text


def test_territory_labels_show_from_a_zoom_level_without_overlap(qtbot: Any, map_view: Any) -> None:
    view = map_view
    show(qtbot, view, live_grid())
    lat, lon = centre(11)
    view.set_labels(
        [
            {"id": NORTH_ID, "lat": centre(22)[0], "lon": centre(22)[1], "rank": 2.0},
            {"id": SOUTH_ID, "lat": lat, "lon": lon, "rank": 1.0},
        ]
    )
    view.set_label_min_zoom(5)
    labels = lambda: ri.js(view, "TP.labels()")  # noqa: E731
    ri.wait_until(lambda: all(v["shown"] for v in labels().values()), what="labels shown")
    assert {v["text"] for v in labels().values()} == {"North", "South"}
    # Zoomed out below the level: no names (the map would be a wall of text).
    ri.js(view, "(TP.map().setZoom(4, {animate: false}), 1)")
    ri.wait_until(lambda: not any(v["shown"] for v in labels().values()), what="labels hidden")
    ri.js(view, "(TP.map().setZoom(5, {animate: false}), 1)")
    # Two names on the same spot: the bigger territory's stays, the other hides.
    view.update_labels(
        [{"id": SOUTH_ID, "lat": centre(22)[0], "lon": centre(22)[1], "rank": 1}], [SOUTH_ID]
    )
    ri.wait_until(lambda: labels()[str(SOUTH_ID)]["shown"] is False, what="overlap hidden")
    assert labels()[str(NORTH_ID)]["shown"] is True
    # A rename reaches the label as text.
    view.update_territories([{"id": NORTH_ID, "name": XSS_IMG}])
    ri.wait_until(lambda: labels()[str(NORTH_ID)]["text"] == XSS_IMG, what="renamed label")
    assert ri.js(view, "document.querySelectorAll('.tp-label img').length") == 0
    qtbot.wait(200)
    assert ri.js(view, "typeof window.__pwned") == "undefined"


def _legend(qtbot: Any, view: Any, n: int) -> None:
    view.set_legend([(f"T{i:02d} a territory with a long name {i}", RED) for i in range(n)])
    # Wait until the legend is on screen: Chromium scrolls a box under the wheel only once it
    # has been painted (its scroller composited).
    with qtbot.waitSignal(view.bridge.rendered, check_params_cb="legend".__eq__):
        view.call("notifyPainted", "legend")
    assert ri.js(view, "document.querySelectorAll('.tp-legend-row').length") == n


def _legend_box(view: Any) -> dict[str, float]:
    return ri.js(
        view,
        "(function(){var b=document.querySelector('.tp-legend'),r=b.getBoundingClientRect();"
        "return {x:r.left,y:r.top,w:r.width,h:r.height,top:b.scrollTop,"
        "scroll:b.scrollHeight,client:b.clientHeight};})()",
    )


def test_the_legend_is_one_column_with_every_entry_reachable(qtbot: Any, map_view: Any) -> None:
    """Defect 8: two columns, entries hidden behind a tiny scrollbar."""
    view = map_view
    show(qtbot, view, colour_grid(), territories=False)
    _legend(qtbot, view, 60)
    lefts = ri.js(
        view,
        "[].map.call(document.querySelectorAll('.tp-legend-row'),"
        "function(r){return r.getBoundingClientRect().left;})",
    )
    assert len(set(lefts)) == 1  # one column
    box = _legend_box(view)
    assert box["y"] >= 0
    assert box["y"] + box["h"] <= view.height()  # fits the map: its own scrollbar
    assert box["scroll"] > box["client"]
    # Every entry can be reached: scrolled to the end, the last row is inside the box.
    ri.js(
        view,
        "(function(){var b=document.querySelector('.tp-legend');"
        "b.scrollTop=b.scrollHeight;return 1;})()",
    )
    last = ri.js(
        view,
        "(function(){var r=document.querySelector('.tp-legend').lastChild"
        ".getBoundingClientRect();return [r.top,r.bottom];})()",
    )
    box = _legend_box(view)
    assert box["y"] <= last[0]
    assert last[1] <= box["y"] + box["h"] + 1


def test_the_wheel_over_the_legend_scrolls_it_and_does_not_zoom_the_map(
    qtbot: Any, map_view: Any
) -> None:
    view = map_view
    show(qtbot, view, colour_grid(), territories=False)
    _legend(qtbot, view, 60)
    box = _legend_box(view)
    zoom = ri.js(view, "TP.map().getZoom()")
    over = QPoint(round(box["x"] + box["w"] / 2), round(box["y"] + box["h"] / 2))
    for _ in range(3):
        ri.wheel(view, over, -1)  # towards the user: scroll down
    ri.wait_until(lambda: _legend_box(view)["top"] > 0, what="legend scrolled")
    qtbot.wait(300)
    assert ri.js(view, "TP.map().getZoom()") == zoom  # the map did not zoom


def test_clicks_and_drags_on_the_legend_do_not_reach_the_map(qtbot: Any, map_view: Any) -> None:
    view = map_view
    show(qtbot, view, colour_grid(), territories=False)
    _legend(qtbot, view, 8)
    box = _legend_box(view)
    over = QPoint(round(box["x"] + box["w"] / 2), round(box["y"] + box["h"] / 2))
    seen: list[Any] = []
    view.bridge.paintStroke.connect(seen.append)
    view.bridge.unitClicked.connect(seen.append)
    ri.click(view, over)  # pan mode: no unit popup/click under the legend
    view.set_mode("paint")
    ri.wait_until(lambda: ri.js(view, "TP.state().mode") == "paint", what="paint mode")
    ri.drag_path(view, [over, over + QPoint(0, 20)])  # paint mode: no stroke
    qtbot.wait(300)
    assert seen == []


def test_the_preview_is_hatched_in_a_colour_no_territory_uses(qtbot: Any, map_view: Any) -> None:
    view = map_view
    show(qtbot, view, live_grid())
    fc = colour_grid()
    fc["features"] = [f for f in fc["features"] if f["properties"]["id"] in (11, 12)]
    with qtbot.waitSignal(view.bridge.rendered, check_params_cb="preview".__eq__):
        view.show_preview(fc, colour="#111111")
    p = point(view, 11)

    def samples() -> list[Any]:
        image = view.grab().toImage()
        return [image.pixelColor(p + QPoint(dx, 0)) for dx in range(-12, 13)]

    def dark(colours: list[Any]) -> list[Any]:
        return [c for c in colours if max(c.red(), c.green(), c.blue()) < 90]

    ri.wait_until(lambda: bool(dark(samples())), what="preview drawn")
    row = samples()
    runs = sum(
        1 for a, b in zip([None, *row], row, strict=False) if b in dark(row) and a not in dark(row)
    )
    assert runs >= 3  # stripes of the preview colour every few pixels...
    assert [c for c in row if looks(c, "red")]  # ...with the fill between: hatched, not flat
    view.clear_preview()
    ri.wait_until(lambda: ri.js(view, "TP.state().preview") is False, what="preview cleared")
