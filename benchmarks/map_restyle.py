"""How fast is the embedded map? ~3,000 real county polygons and 100,000 account points.

Run: ``python benchmarks/map_restyle.py [--repeat 3] [--screenshot out.png]``
(offscreen by default; needs the ``data`` extra for plotly-geo's county shapefile).

Measures, through the real bridge (``MapView`` -> ``runJavaScript`` -> ``window.TP``):
page load until ready, setting the units layer (until the page reports it rendered), the JS time
to restyle every unit, a restyle from Python including the repaint (until the next frame), and
drawing 100,000 account points.
"""

from __future__ import annotations

import argparse
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
from planner.ui.map.view import MapView

PALETTE = ["#e64980", "#7950f2", "#1c7ed6", "#12b886", "#fab005", "#fd7e14", "#868e96", "#40c057"]


def counties() -> dict[str, Any]:
    """Census 2016 counties (plotly-geo, public domain), coverage-simplified at 0.01°."""
    import _plotly_geo
    import geopandas as gpd
    import shapely

    src = Path(_plotly_geo.__file__).parent / "package_data" / "cb_2016_us_county_500k.shp"
    gdf = gpd.read_file(src)
    gdf = gdf[~gdf["STATEFP"].isin(["02", "15", "60", "66", "69", "72", "78"])].reset_index()
    geoms = shapely.coverage_simplify(gdf.geometry.values, 0.01)
    out = gpd.GeoDataFrame(
        {
            "id": np.arange(len(gdf)),
            "code": gdf["GEOID"],
            "name": gdf["NAME"],
            "territory": [f"T{int(s) % 8}" for s in gdf["STATEFP"]],
            "colour": [PALETTE[int(s) % 8] for s in gdf["STATEFP"]],
        },
        geometry=shapely.set_precision(geoms, 1e-5),
        crs=4326,
    )
    return out.__geo_interface__


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--screenshot", type=Path)
    args = parser.parse_args()

    app = QApplication.instance() or QApplication(sys.argv)
    t0 = time.perf_counter()
    fc = counties()
    prep = time.perf_counter() - t0
    n_units = len(fc["features"])

    rows: list[tuple[str, list[float]]] = []
    view = MapView()
    view.resize(1200, 800)
    rows.append(("page load until ready (s)", [wait(view.mapReady, view.show)]))

    rows.append(
        (
            f"set units layer, {n_units} polygons (s)",
            [wait(rendered(view, "units"), lambda: view.set_units(fc)) for _ in range(args.repeat)],
        )
    )
    js(view, "TP.fitBounds([[24.5,-125],[49.5,-66.9]])")
    unit_js_ms = [js(view, "TP.setUnits(" + _json(fc) + ")") for _ in range(args.repeat)]
    rows.append(("set units layer, JS time only (ms)", unit_js_ms))
    if args.screenshot:
        wait(rendered(view, "shot"), lambda: view.call("notifyPainted", "shot"))
        view.grab().save(str(args.screenshot.with_stem(args.screenshot.stem + "_units")))

    rng = np.random.default_rng(1)
    js_ms, py_ms = [], []
    for _ in range(args.repeat):
        mapping = {i: PALETTE[int(rng.integers(8))] for i in range(n_units)}
        js_ms.append(js(view, f"TP.restyleUnits({_dumps(mapping)})"))
        mapping = {i: PALETTE[int(rng.integers(8))] for i in range(n_units)}

        def restyle(mapping: dict[int, str] = mapping) -> None:
            view.restyle_units(mapping)
            view.call("notifyPainted", "restyle")

        py_ms.append(wait(rendered(view, "restyle"), restyle) * 1000)
    rows.append(("restyle all units, JS time (ms)", js_ms))
    rows.append(("restyle all from Python incl. repaint (ms)", py_ms))

    n = 100_000
    lon = rng.uniform(-124, -67, n)
    lat = rng.uniform(25, 49, n)
    colours = [PALETTE[i % 8] for i in range(n)]
    draw_ms: list[float] = []
    total_s = []
    for _ in range(args.repeat):
        total_s.append(
            wait(
                rendered(view, "accounts"),
                lambda: view.set_accounts(range(n), lon, lat, colours, callback=draw_ms.append),
            )
        )
    rows.append(("100k accounts: Python->painted (s)", total_s))
    rows.append(("100k accounts: JS add + first draw (ms)", draw_ms))
    pan = [
        js(view, f"(TP.map().panBy([{d},{d // 2}],{{animate:false}}), {_last_draw()})")
        for d in [200, -200] * 5
    ]
    rows.append(("100k accounts: redraw after a pan (ms)", pan))

    if args.screenshot:
        view.grab().save(str(args.screenshot))

    print(f"\nmap benchmark: {n_units} counties (prep {prep:.1f} s), 100,000 accounts\n")
    print(f"{'measure':<46}{'median':>10}{'min':>10}{'max':>10}")
    for name, values in rows:
        vals = [float(v) for v in values if v is not None]
        print(f"{name:<46}{statistics.median(vals):>10.3g}{min(vals):>10.3g}{max(vals):>10.3g}")

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
    return _json({str(k): v for k, v in mapping.items()})


def _json(value: object) -> str:
    import json

    return json.dumps(value)


if __name__ == "__main__":
    main()
