"""How fast is the embedded map? 3,108 real county polygons and 100,000 account points.

Run: ``python benchmarks/map_restyle.py [--repeat 3] [--screenshot out.png]`` (offscreen by
default). The counties are the bundled ``resources/data/us_counties.geojson.gz`` (Census 2016,
public domain), coverage-simplified at 0.01° as the app does for big layers.

Measures, through the real bridge (``MapView`` -> ``runJavaScript`` -> ``window.TP``): page load
until ready; setting the units layer (until the page reports it rendered); the older per-unit
restyle; and the live territory model the workspace uses: moving the units of a lasso
(``assignUnits``, with 100k accounts following their units), switching the colour mode
(``setFills``: units and account points), labels; and drawing 100,000 account points.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")

import numpy as np
from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from planner.model.colours import PALETTE
from planner.model.mapdata import deviation_colour
from planner.model.resources import resources_dir
from planner.ui.map.view import MapView, RawJson

N_TERRITORIES = 50


def counties() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(units FeatureCollection with territory ids, a label point per territory)."""
    import shapely

    path = resources_dir() / "data" / "us_counties.geojson.gz"
    raw = json.loads(gzip.decompress(path.read_bytes()))
    feats = raw["features"]
    geoms = shapely.coverage_simplify(
        np.array([shapely.geometry.shape(f["geometry"]) for f in feats], dtype=object), 0.01
    )
    # 50 territories as longitude bands: contiguous enough to look like a plan.
    rep = shapely.get_coordinates(shapely.point_on_surface(geoms))
    band = np.argsort(np.argsort(rep[:, 0])) * N_TERRITORIES // len(feats)
    features = [
        {
            "type": "Feature",
            "geometry": json.loads(shapely.to_geojson(shapely.set_precision(g, 1e-5))),
            "properties": {
                "id": i,
                "code": f["properties"]["code"],
                "name": f["properties"]["name"],
                "territory": int(band[i]) + 1,
            },
        }
        for i, (f, g) in enumerate(zip(feats, geoms, strict=True))
    ]
    mean = [rep[band == t].mean(axis=0) for t in range(N_TERRITORIES)]
    labels = [
        {"id": t + 1, "lat": float(m[1]), "lon": float(m[0]), "rank": float((band == t).sum())}
        for t, m in enumerate(mean)
    ]
    return {"type": "FeatureCollection", "features": features}, labels


def wait(signal: Any, start: Callable[[], None], timeout_ms: int = 60_000) -> float:
    """Run ``start`` and block until ``signal`` fires; returns seconds."""
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(timeout_ms, loop.quit)
    t0 = time.perf_counter()
    start()
    loop.exec()
    signal.disconnect(loop.quit)
    return time.perf_counter() - t0


def js(view: MapView, script: str) -> Any:
    loop = QEventLoop()
    box: list[Any] = []
    view.run_js_json(script, lambda v: (box.append(v), loop.quit()))
    QTimer.singleShot(60_000, loop.quit)
    loop.exec()
    return box[0] if box else None


def rendered(view: MapView, layer: str) -> Any:
    """A signal-like object firing when the page reports ``layer`` rendered."""

    class _Once:
        def connect(self, slot: Callable[[], None]) -> None:
            self._slot = slot
            view.bridge.rendered.connect(self._fire)

        def _fire(self, name: str) -> None:
            if name == layer:
                self._slot()

        def disconnect(self, _slot: Callable[[], None]) -> None:
            view.bridge.rendered.disconnect(self._fire)

    return _Once()


def painted(view: MapView, call: Callable[[], None], tag: str) -> float:
    """ms from ``call`` (Python) until the page painted the next frame after it."""

    def start() -> None:
        call()
        view.call("notifyPainted", tag)

    return wait(rendered(view, tag), start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--screenshot", type=Path)
    args = parser.parse_args()

    app = QApplication.instance() or QApplication(sys.argv)
    t0 = time.perf_counter()
    fc, labels = counties()
    prep = time.perf_counter() - t0
    n_units = len(fc["features"])
    fc_text = json.dumps(fc)
    territories = [
        {"id": t + 1, "name": f"T{t + 1:02d}", "colour": PALETTE[t % len(PALETTE)], "locked": False}
        for t in range(N_TERRITORIES)
    ]

    rows: list[tuple[str, list[float]]] = []
    view = MapView()
    view.resize(1200, 800)
    rows.append(("page load until ready (s)", [wait(view.mapReady, view.show)]))
    view.set_territories(territories)
    rows.append(
        (
            f"set units layer, {n_units} polygons (s)",
            [
                wait(rendered(view, "units"), lambda: view.set_units(RawJson(fc_text)))
                for _ in range(args.repeat)
            ],
        )
    )
    js(view, "TP.fitBounds([[24.5,-125],[49.5,-66.9]])")
    rows.append(("set units layer, JS time only (ms)",
                 [js(view, f"TP.setUnits({fc_text})") for _ in range(args.repeat)]))  # fmt: skip

    rng = np.random.default_rng(1)
    # 100k accounts, each in a random county, following it (as in a unit project).
    n = 100_000
    unit_of = rng.integers(0, n_units, n)
    lon = rng.uniform(-124, -67, n)
    lat = rng.uniform(25, 49, n)
    layer = {
        "ids": list(range(n)),
        "lon": np.round(lon, 5).tolist(),
        "lat": np.round(lat, 5).tolist(),
        "unit": unit_of.tolist(),
        "territory": [-2] * n,
    }
    draw_ms: list[float] = []
    rows.append(
        (
            "100k accounts (live model): Python->painted (s)",
            [
                wait(
                    rendered(view, "accounts"),
                    lambda: view.set_account_layer(layer, callback=draw_ms.append),
                )
                for _ in range(args.repeat)
            ],
        )
    )
    rows.append(("100k accounts: JS add + first draw (ms)", draw_ms))

    # A lasso's worth of units (60 counties) changes territory; their accounts follow.
    assign_js: list[float] = []
    assign_py: list[float] = []
    for r in range(args.repeat + 1):
        units = rng.choice(n_units, 60, replace=False)
        mapping = {int(u): int(rng.integers(1, N_TERRITORIES + 1)) for u in units}
        box: list[float] = []
        ms = painted(
            view, lambda m=mapping, b=box: view.assign_units(m, callback=b.append), f"a{r}"
        )
        if r:  # the first call also indexes accounts by unit (once per accounts layer)
            assign_js.append(box[0])
            assign_py.append(ms)
        else:
            rows.append(("assignUnits, first call (indexes accounts) (ms)", [box[0]]))
    rows.append(("assignUnits 60 units + their accounts, JS (ms)", assign_js))
    rows.append(("assignUnits 60 units, Python incl. repaint (ms)", assign_py))

    fills_py = []
    for r in range(args.repeat):
        fills = {
            t + 1: deviation_colour(float(rng.uniform(-0.4, 0.4))) for t in range(N_TERRITORIES)
        }
        fills_py.append(painted(view, lambda f=fills: view.set_fills(f), f"f{r}"))
        fills_py.append(painted(view, lambda: view.set_fills(None), f"g{r}"))
    rows.append(("colour mode switch (units + 100k points) incl. repaint (ms)", fills_py))
    fills_js = [
        js(view, f"(function(){{var t=performance.now();TP.setFills({_dumps(fills)});"
                 "return performance.now()-t;})()"),
        js(view, "(function(){var t=performance.now();TP.setFills(null);"
                 "return performance.now()-t;})()"),
    ]  # fmt: skip
    rows.append(("colour mode switch, JS time (ms)", fills_js))

    label_ms = [painted(view, lambda: view.set_labels(labels), f"l{r}") for r in range(args.repeat)]
    rows.append((f"{N_TERRITORIES} labels incl. layout and repaint (ms)", label_ms))

    js_ms, py_ms = [], []
    colours = list(PALETTE[:8])
    for r in range(args.repeat):
        mapping = {i: colours[int(rng.integers(8))] for i in range(n_units)}
        js_ms.append(js(view, f"TP.restyleUnits({_dumps(mapping)})"))
        mapping = {i: colours[int(rng.integers(8))] for i in range(n_units)}
        py_ms.append(painted(view, lambda m=mapping: view.restyle_units(m), f"r{r}"))
    rows.append(("older restyle of every unit, JS time (ms)", js_ms))
    rows.append(("older restyle of every unit from Python incl. repaint (ms)", py_ms))

    pan = [
        js(view, f"(TP.map().panBy([{d},{d // 2}],{{animate:false}}), {_last_draw()})")
        for d in [200, -200] * 5
    ]
    rows.append(("100k accounts: redraw after a pan (ms)", pan))

    if args.screenshot:
        view.set_units(RawJson(fc_text))
        js(view, "(TP.map().setView([35, -86], 6, {animate: false}), 1)")
        wait(rendered(view, "shot"), lambda: view.call("notifyPainted", "shot"))
        view.grab().save(str(args.screenshot))

    print(f"\nmap benchmark: {n_units} counties (prep {prep:.1f} s), 100,000 accounts\n")
    print(f"{'measure':<62}{'median':>10}{'min':>10}{'max':>10}")
    for name, values in rows:
        vals = [float(v) for v in values if v is not None]
        print(f"{name:<62}{statistics.median(vals):>10.3g}{min(vals):>10.3g}{max(vals):>10.3g}")

    view.dispose()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.processEvents()


def _last_draw() -> str:
    """JS expression: the accounts layer's last draw time in ms."""
    return (
        "(function(){var a=null;TP.map().eachLayer(function(l)"
        "{if(l.lastDrawMs!==undefined)a=l;});return a.lastDrawMs;})()"
    )


def _dumps(mapping: dict[int, str]) -> str:
    return json.dumps({str(k): v for k, v in mapping.items()})


if __name__ == "__main__":
    main()
