// Prepare a world-atlas TopoJSON file for the map page (run by scripts/vendor_basemap.sh):
//   node scripts/prepare_basemap.js LEVEL countries-LEVEL.json OUT.js
//
// Why: at 1:10m the page spent ~0.9 s decoding the world (topojson.mesh of every coast and
// border, and every country turned into GeoJSON to learn its bounds) before a report map could
// be taken. The coast and border meshes are computed here once and stored as objects of the
// topology (`coast`, `borders`: arcs already stitched), and every country carries its bbox,
// so the page decodes only the pieces near the view. The file is written as
// `JSON.parse('...')`, which V8 parses faster than the same data as an object literal.
"use strict";
const fs = require("fs");
const path = require("path");
const topojson = require(path.join(__dirname, "../resources/map/vendor/topojson-client/topojson-client.js"));

const [level, input, output] = process.argv.slice(2);
const topo = JSON.parse(fs.readFileSync(input, "utf8"));
const countries = topo.objects.countries;
delete topo.objects.land; // unused: the page fills countries
topo.objects.coast = topojson.meshArcs(topo, countries, (a, b) => a === b);
topo.objects.borders = topojson.meshArcs(topo, countries, (a, b) => a !== b);

function bbox(coords, box) {
  if (typeof coords[0] === "number") {
    box[0] = Math.min(box[0], coords[0]);
    box[1] = Math.min(box[1], coords[1]);
    box[2] = Math.max(box[2], coords[0]);
    box[3] = Math.max(box[3], coords[1]);
  } else coords.forEach((c) => bbox(c, box));
  return box;
}
const round = (v) => Math.round(v * 1e4) / 1e4;
countries.geometries.forEach((g) => {
  const f = topojson.feature(topo, g);
  if (f.geometry) g.bbox = bbox(f.geometry.coordinates, [180, 90, -180, -90]).map(round);
});

const text = JSON.stringify(topo).replace(/\\/g, "\\\\").replace(/'/g, "\\'");
fs.writeFileSync(
  output,
  "window.TP_WORLD = window.TP_WORLD || {};\n" +
    `window.TP_WORLD["${level}"] = JSON.parse('${text}');\n`,
);
console.log(`${output}: ${text.length} bytes`);
