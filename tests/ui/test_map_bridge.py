"""MapBridge without a web view: the page's messages become typed signals, junk is dropped."""

from __future__ import annotations

import json
from typing import Any

import pytest
import shapely.geometry

from planner.ui.map.bridge import MapBridge

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[-98.0, 38.0], [-97.0, 38.0], [-97.0, 39.0], [-98.0, 39.0], [-98.0, 38.0]]],
}
LINE = {"type": "LineString", "coordinates": [[-98.0, 38.0], [-97.0, 39.0]]}


def _record(signal: Any) -> list[tuple[Any, ...]]:
    seen: list[tuple[Any, ...]] = []
    signal.connect(lambda *args: seen.append(args))
    return seen


def test_lasso_geometry_reaches_python_as_a_shapely_readable_polygon(qtbot: Any) -> None:
    bridge = MapBridge()
    seen = _record(bridge.lassoDrawn)
    bridge.receive(json.dumps({"kind": "lasso", "geometry": SQUARE}))
    assert len(seen) == 1
    shape = shapely.geometry.shape(seen[0][0])
    assert shape.is_valid
    assert shape.area == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("message", "signal", "expected"),
    [
        ({"kind": "ready"}, "ready", ()),
        ({"kind": "rendered", "layer": "units"}, "rendered", ("units",)),
        ({"kind": "polygon", "geometry": SQUARE}, "polygonDrawn", (SQUARE,)),
        ({"kind": "line", "geometry": LINE}, "lineDrawn", (LINE,)),
        ({"kind": "paint", "units": [3, 1, 2]}, "paintStroke", ([3, 1, 2],)),
        ({"kind": "reshape", "territory": 7, "geometry": SQUARE}, "reshaped", (7, SQUARE)),
        ({"kind": "gesture", "active": True, "mode": "lasso"}, "gestureChanged", (True, "lasso")),
        ({"kind": "unit_clicked", "id": 42}, "unitClicked", (42,)),
        ({"kind": "account_clicked", "id": 9}, "accountClicked", (9,)),
        ({"kind": "js_error", "message": "boom"}, "jsError", ("boom",)),
    ],
)
def test_each_message_kind_emits_its_signal_with_typed_values(
    qtbot: Any, message: dict[str, Any], signal: str, expected: tuple[Any, ...]
) -> None:
    bridge = MapBridge()
    seen = _record(getattr(bridge, signal))
    bridge.receive(json.dumps(message))
    assert seen == [expected]
    assert bridge.errors == []


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[1, 2]",
        json.dumps({"kind": "launch_missiles"}),
        json.dumps({"no_kind": 1}),
        json.dumps({"kind": "lasso"}),
        json.dumps({"kind": "lasso", "geometry": LINE}),
        json.dumps({"kind": "lasso", "geometry": {"type": "Polygon", "coordinates": []}}),
        json.dumps({"kind": "line", "geometry": SQUARE}),
        json.dumps({"kind": "paint", "units": "1,2"}),
        json.dumps({"kind": "paint", "units": [1, "x"]}),
        json.dumps({"kind": "paint", "units": [1.5]}),
        json.dumps({"kind": "unit_clicked", "id": True}),
        json.dumps({"kind": "unit_clicked", "id": "7"}),
        json.dumps({"kind": "reshape", "territory": None, "geometry": SQUARE}),
        json.dumps({"kind": "rendered", "layer": 3}),
        json.dumps({"kind": "gesture", "active": 1, "mode": "lasso"}),
        json.dumps({"kind": "gesture", "active": False}),
    ],
)
def test_malformed_messages_are_logged_and_dropped_without_raising(qtbot: Any, text: str) -> None:
    bridge = MapBridge()
    signals = [
        "ready",
        "rendered",
        "lassoDrawn",
        "polygonDrawn",
        "lineDrawn",
        "paintStroke",
        "reshaped",
        "gestureChanged",
        "unitClicked",
        "accountClicked",
        "jsError",
    ]
    seen = [_record(getattr(bridge, name)) for name in signals]
    bridge.receive(text)  # must not raise
    assert all(s == [] for s in seen)
    assert len(bridge.errors) == 1


def test_a_failing_listener_does_not_break_the_bridge(qtbot: Any) -> None:
    bridge = MapBridge()

    def broken(_unit: int) -> None:
        raise RuntimeError("listener bug")

    bridge.unitClicked.connect(broken)
    later = _record(bridge.accountClicked)
    with qtbot.captureExceptions() as exceptions:
        bridge.receive(json.dumps({"kind": "unit_clicked", "id": 1}))
        bridge.receive(json.dumps({"kind": "account_clicked", "id": 2}))
    assert later == [(2,)]
    assert [str(e[1]) for e in exceptions] == ["listener bug"]
