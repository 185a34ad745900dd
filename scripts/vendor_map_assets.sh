#!/usr/bin/env bash
# Re-fetch the map page's third-party assets from the npm registry into resources/map/vendor/.
#
# Why: the map must work offline and load nothing from a CDN, so the exact files the page uses
# are committed. This script records how they were obtained; re-run it to upgrade (change the
# versions below, run, then run tests/ui/test_map_page.py).
#
# Fetched (2026-11-23):
#   leaflet@1.9.4                          dist/leaflet.js, dist/leaflet.css, dist/images/*, LICENSE
#   @geoman-io/leaflet-geoman-free@2.20.2  dist/leaflet-geoman.min.js (as leaflet-geoman.js),
#                                          dist/leaflet-geoman.css (icons are inline data: URLs,
#                                          no fonts or image files needed), LICENSE (MIT)
set -euo pipefail

LEAFLET_VERSION="1.9.4"
GEOMAN_VERSION="2.20.2"

repo="$(cd "$(dirname "$0")/.." && pwd)"
vendor="$repo/resources/map/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "leaflet@$LEAFLET_VERSION" "@geoman-io/leaflet-geoman-free@$GEOMAN_VERSION" >/dev/null
mkdir leaflet geoman
tar xzf "leaflet-$LEAFLET_VERSION.tgz" -C leaflet
tar xzf "geoman-io-leaflet-geoman-free-$GEOMAN_VERSION.tgz" -C geoman

rm -rf "$vendor/leaflet" "$vendor/leaflet-geoman"
mkdir -p "$vendor/leaflet/images" "$vendor/leaflet-geoman"

cp leaflet/package/dist/leaflet.js leaflet/package/dist/leaflet.css "$vendor/leaflet/"
cp leaflet/package/dist/images/* "$vendor/leaflet/images/"
cp leaflet/package/LICENSE "$vendor/leaflet/LICENSE"
echo "leaflet@$LEAFLET_VERSION (npm)" > "$vendor/leaflet/VERSION"

cp geoman/package/dist/leaflet-geoman.min.js "$vendor/leaflet-geoman/leaflet-geoman.js"
cp geoman/package/dist/leaflet-geoman.css "$vendor/leaflet-geoman/"
cp geoman/package/LICENSE "$vendor/leaflet-geoman/LICENSE"
echo "@geoman-io/leaflet-geoman-free@$GEOMAN_VERSION (npm)" > "$vendor/leaflet-geoman/VERSION"

# The JS files end with a sourceMappingURL comment; the maps are not shipped, drop the comment so
# the dev tools do not try to fetch them.
sed -i '/^\/\/# sourceMappingURL=/d; /^\/\*# sourceMappingURL=/d' "$vendor/leaflet/leaflet.js" "$vendor/leaflet-geoman/leaflet-geoman.js" \
  "$vendor/leaflet/leaflet.css" "$vendor/leaflet-geoman/leaflet-geoman.css"

echo "vendored into $vendor:"
find "$vendor" -type f | sort

# --- Offline basemap ---------------------------------------------------------------------------
# resources/map/basemap/us_states.geojson: US Census Bureau cartographic boundary file
# cb_2016_us_state_500k (public domain), as shipped in plotly-geo's _plotly_geo/package_data.
# coverage_simplify keeps shared borders gap-free; 0.05 degrees and 0.001-degree precision keep the
# file near 230 KB, which is plenty for a background drawn under the units.
# Needs the project venv with the `data` extra (plotly-geo, geopandas).
python - "$repo/resources/map/basemap/us_states.geojson" <<'PY'
import os
import sys

import _plotly_geo
import geopandas as gpd
import shapely

out = sys.argv[1]
src = os.path.join(os.path.dirname(_plotly_geo.__file__), "package_data", "cb_2016_us_state_500k.shp")
states = gpd.read_file(src)  # NAD83 lon/lat; no .prj shipped; treated as EPSG:4326 (sub-metre)
geoms = shapely.set_precision(shapely.coverage_simplify(states.geometry.values, 0.05), 0.001)
gdf = gpd.GeoDataFrame({"name": states.NAME, "code": states.STUSPS}, geometry=geoms, crs=4326)
gdf = gdf.sort_values("code")
os.makedirs(os.path.dirname(out), exist_ok=True)
with open(out, "w", encoding="utf-8") as fh:
    fh.write(gdf.to_json(drop_id=True))
print(f"wrote {out} ({os.path.getsize(out)} bytes, {len(gdf)} states)")
PY
