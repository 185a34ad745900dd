"""Natural Earth 1:10m first-level division lines (states, provinces, prefectures) as small
script files the map page loads by region (run by scripts/vendor_basemap.sh):

    python scripts/prepare_admin1.py ne_10m_admin_1_states_provinces_lines.shp OUT_DIR US_STATES

Why by region: the whole layer is ~416,000 points (7 MB); a report map of one region must not
parse the world's. The lines are simplified to ~1 km (0.01 degree; the map draws them from zoom
4, where a pixel is kilometres), rounded to 0.001 degree, and cut into 30 x 30 degree cells
(``admin1-<col>-<row>.js``: column from -180, row from -90), each a ``JSON.parse('...')``
script for Chromium (no fetch() of file: URLs). The United States are left out: the page draws
the Census state lines there (us_state_borders.js), and two sources would draw double lines.
``admin1-index.js`` lists the cells that exist, so the page never asks for a missing file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely

CELL = 30
TOLERANCE = 0.01


def main(shp: str, out_dir: str, us_states: str) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("admin1-*.js"):
        old.unlink()
    lines = shapely.union_all(pyogrio.read_dataframe(shp).geometry.values)  # merges the runs
    us = shapely.buffer(shapely.union_all(gpd.read_file(us_states).geometry.values), 0.05)
    lines = shapely.line_merge(shapely.difference(lines, us))
    lines = shapely.set_precision(shapely.simplify(lines, TOLERANCE), 0.001)
    index = []
    for col in range(360 // CELL):
        for row in range(180 // CELL):
            w, s = -180 + col * CELL, -90 + row * CELL
            part = shapely.clip_by_rect(lines, w, s, w + CELL, s + CELL)
            if part.is_empty:
                continue
            key = f"{col}-{row}"
            geometry = shapely.geometry.mapping(part)
            feature = {"type": "Feature", "properties": {}, "geometry": geometry}
            text = json.dumps(feature, separators=(",", ":"))
            text = text.replace("\\", "\\\\").replace("'", "\\'")
            (out / f"admin1-{key}.js").write_text(
                f'window.TP_ADMIN1 = window.TP_ADMIN1 || {{}};\nwindow.TP_ADMIN1["{key}"] = '
                f"JSON.parse('{text}');\n",
                encoding="utf-8",
            )
            index.append(key)
    (out / "admin1-index.js").write_text(
        f"window.TP_ADMIN1_CELLS = {json.dumps({'size': CELL, 'cells': index})};\n",
        encoding="utf-8",
    )
    total = sum(f.stat().st_size for f in out.glob("admin1-*.js"))
    print(f"{out}: {len(index)} cells, {total:,} bytes")


if __name__ == "__main__":
    main(*sys.argv[1:4])
