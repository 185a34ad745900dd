/*
 * The offline basemap drawn under every project, and the optional online tiles above it.
 *
 * Natural Earth countries (world-atlas TopoJSON, resources/map/basemap/world-*.js) at three
 * levels of detail picked by zoom: 1:110m for the whole world, 1:50m from zoom 3, 1:10m from
 * zoom 5. Land is filled per country without an edge; the coastline (arcs of one country) and
 * the borders (arcs two countries share) are drawn from topojson.mesh, so no line is drawn
 * twice. Only the pieces near the view are on the map (see piece()). Over them, the
 * lines between US states (resources/map/basemap/us_state_borders.js) from zoom 3, and the
 * first-level divisions of the other countries (Natural Earth admin-1 lines, by region from
 * basemap/admin1/) from zoom 5.
 *
 * Only the 1:110m file is loaded with the page (~100 KB); a finer level's script is added to the
 * page the first time the map is zoomed in that far, so a page that never zooms in never parses
 * the 3.6 MB of the 1:10m file. Until it has loaded the coarser level stays on screen.
 *
 *   TP.setTiles(url | null, attribution)   online tiles over the basemap (Preferences), or none
 *   TP.basemapState()   {level, wanted, loading, drawn}: tests and the offscreen renderer wait
 *                       until wanted === level and drawn (the finer level is on screen)
 */
(function () {
  "use strict";

  var TP = window.TP;
  var P = TP._;
  var S = P.S;

  /* [level, first zoom it is used at], coarse to fine. */
  var LEVELS = [
    ["110m", 0],
    ["50m", 3],
    ["10m", 5],
  ];
  var STATE_BORDERS_ZOOM = 3;
  /* First-level divisions outside the US (Natural Earth 1:10m admin-1 lines, basemap/admin1/,
     scripts/prepare_admin1.py) from this zoom, loaded by 30-degree cell under the view. Not
     at the page's first view (zoom 4 over the US), which would load a dozen cells for nothing. */
  var ADMIN1_ZOOM = 5;
  var LAND = { stroke: false, fillColor: "#f4f1ea", fillOpacity: 1 };
  var COAST = { color: "#7f95a8", weight: 0.9, fill: false };
  var BORDERS = { color: "#a3a9b4", weight: 1, fill: false };
  var STATE_BORDERS = { color: "#bcc3cc", weight: 0.7, fill: false };

  // Where this script was loaded from: the world files sit in basemap/ beside it.
  var SCRIPT = document.currentScript ? document.currentScript.src : "";
  var BASE = SCRIPT.slice(0, SCRIPT.lastIndexOf("/") + 1) + "basemap/";

  var B = (S.basemap = {
    level: null, wanted: null, loading: null, drawn: false, shown: new Set(), admin1Loading: 0,
  });
  var admin1 = {}; // cell key -> pieces once loaded (null while its script loads)
  var decoded = {}; // level -> [piece]: land per country, coast and border runs
  var states = null; // pieces of the US state borders

  function levelFor(zoom) {
    var level = LEVELS[0][0];
    LEVELS.forEach(function (l) {
      if (zoom >= l[1]) level = l[0];
    });
    return level;
  }

  /* A piece of the basemap with its bounds: only pieces near the view are on the map, so a
     zoom or pan re-projects what is visible, not the 480,000 points of the 1:10m world.
     `geometry` is GeoJSON or a function returning it (a country is decoded from the topology
     only when it is first drawn); `box` is [west, south, east, north]. */
  function piece(geometry, box, style) {
    var layer = null;
    return {
      bounds: L.latLngBounds([box[1], box[0]], [box[3], box[2]]),
      layer: function () {
        layer =
          layer ||
          L.geoJSON(typeof geometry === "function" ? geometry() : geometry, {
            // Lines on their own canvas above the land: a country added after a pan would
            // otherwise be painted over the coast and borders already shown.
            renderer: style.fill === false ? S.basemapLineRenderer : S.basemapRenderer,
            interactive: false,
            pmIgnore: true,
            style: style,
          });
        return layer;
      },
    };
  }

  function lineBox(line) {
    var box = [Infinity, Infinity, -Infinity, -Infinity];
    line.forEach(function (p) {
      if (p[0] < box[0]) box[0] = p[0];
      if (p[1] < box[1]) box[1] = p[1];
      if (p[0] > box[2]) box[2] = p[0];
      if (p[1] > box[3]) box[3] = p[1];
    });
    return box;
  }

  /* Lines cut into runs of at most CHUNK points (a merged coast can be a whole continent). */
  var CHUNK = 400;
  function linePieces(geometry, style) {
    var out = [];
    var lines = geometry.type === "LineString" ? [geometry.coordinates] : geometry.coordinates;
    lines.forEach(function (line) {
      for (var i = 0; i < line.length - 1; i += CHUNK) {
        var run = line.slice(i, i + CHUNK + 1);
        out.push(piece({ type: "LineString", coordinates: run }, lineBox(run), style));
      }
    });
    return out;
  }

  /* The level's pieces. scripts/prepare_basemap.js stored the coast and border meshes and each
     country's bbox in the file, so nothing but those lines is decoded here (the whole 1:10m
     world took ~0.9 s); an older file without them is meshed here. */
  function decode(level) {
    if (decoded[level]) return decoded[level];
    var topo = window.TP_WORLD && window.TP_WORLD[level];
    if (!topo || typeof topojson === "undefined") return null;
    var countries = topo.objects.countries;
    var land = countries.geometries.map(function (g) {
      var feature = topojson.feature(topo, g);
      var box = g.bbox || L.geoJSON(feature).getBounds().toBBoxString().split(",").map(Number);
      return piece(feature, box, LAND);
    });
    var coast = topo.objects.coast
      ? topojson.feature(topo, topo.objects.coast)
      : topojson.mesh(topo, countries, function (a, b) {
          return a === b;
        });
    var borders = topo.objects.borders
      ? topojson.feature(topo, topo.objects.borders)
      : topojson.mesh(topo, countries, function (a, b) {
          return a !== b;
        });
    decoded[level] = land.concat(linePieces(coast.geometry || coast, COAST),
                                 linePieces(borders.geometry || borders, BORDERS));
    return decoded[level];
  }

  /* load(level, done): make the level's data available, adding its script once. */
  function load(level, done) {
    if (decode(level)) return done();
    if (B.loading === level) return undefined;
    B.loading = level;
    var tag = document.createElement("script");
    tag.src = BASE + "world-" + level + ".js";
    tag.onload = function () {
      B.loading = null;
      if (decode(level)) done();
    };
    tag.onerror = function () {
      B.loading = null;
      P.send({ kind: "js_error", message: "basemap: cannot load " + tag.src });
    };
    document.head.appendChild(tag);
    return undefined;
  }

  function draw(level) {
    var map = S.map;
    var pieces = decode(level);
    if (!pieces) return;
    var view = map.getBounds().pad(0.5);
    var wanted = pieces.filter(function (p) {
      return view.intersects(p.bounds);
    });
    if (states && map.getZoom() >= STATE_BORDERS_ZOOM) {
      wanted = wanted.concat(states.filter(function (p) {
        return view.intersects(p.bounds);
      }));
    }
    if (map.getZoom() >= ADMIN1_ZOOM) {
      admin1Cells(view).forEach(function (k) {
        if (admin1[k]) {
          wanted = wanted.concat(admin1[k].filter(function (p) {
            return view.intersects(p.bounds);
          }));
        }
      });
    }
    var keep = new Set(wanted.map(function (p) {
      return p.layer();
    }));
    B.shown.forEach(function (layer) {
      if (!keep.has(layer)) map.removeLayer(layer);
    });
    keep.forEach(function (layer) {
      if (!B.shown.has(layer)) layer.addTo(map);
    });
    B.shown = keep;
    B.level = level;
    B.drawn = false;
    P.afterPaint(function () {
      if (B.level === level) B.drawn = true;
    });
  }

  /* The admin-1 cells (that exist) under `bounds`. */
  function admin1Cells(bounds) {
    var index = window.TP_ADMIN1_CELLS;
    if (!index) return [];
    var size = index.size, have = new Set(index.cells), out = [];
    var c0 = Math.max(0, Math.floor((bounds.getWest() + 180) / size));
    var c1 = Math.min(360 / size - 1, Math.floor((bounds.getEast() + 180) / size));
    var r0 = Math.max(0, Math.floor((bounds.getSouth() + 90) / size));
    var r1 = Math.min(180 / size - 1, Math.floor((bounds.getNorth() + 90) / size));
    for (var c = c0; c <= c1; c++) {
      for (var r = r0; r <= r1; r++) {
        if (have.has(c + "-" + r)) out.push(c + "-" + r);
      }
    }
    return out;
  }

  /* Load the cells not loaded yet; `done` after each arrives (the caller redraws). */
  function loadAdmin1(keys, done) {
    keys.forEach(function (k) {
      if (k in admin1) return; // loaded or loading
      admin1[k] = null;
      B.admin1Loading += 1;
      var tag = document.createElement("script");
      tag.src = BASE + "admin1/admin1-" + k + ".js";
      tag.onload = function () {
        var f = window.TP_ADMIN1 && window.TP_ADMIN1[k];
        admin1[k] = f ? linePieces(f.geometry, STATE_BORDERS) : [];
        if (f) delete window.TP_ADMIN1[k];
        B.admin1Loading -= 1;
        done();
      };
      tag.onerror = function () {
        admin1[k] = [];
        B.admin1Loading -= 1;
        P.send({ kind: "js_error", message: "basemap: cannot load " + tag.src });
        done();
      };
      document.head.appendChild(tag);
    });
  }

  /* After every zoom or pan: the level for the zoom (loading it first if needed), and the
     pieces near the new view. */
  function update() {
    var wanted = (B.wanted = levelFor(S.map.getZoom()));
    if (wanted !== B.level) draw(B.level); // the coarser level follows the view meanwhile
    load(wanted, function () {
      if (B.wanted === wanted) draw(wanted);
    });
    if (S.map.getZoom() >= ADMIN1_ZOOM) {
      loadAdmin1(admin1Cells(S.map.getBounds()), function () {
        if (B.level) draw(B.level);
      });
    }
  }

  P.initHooks.push(function (map, options) {
    S.basemapRenderer = L.canvas({ pane: "tpBasemap", padding: 0.5 });
    S.basemapLineRenderer = L.canvas({ pane: "tpBasemapLines", padding: 0.5 });
    if (window.TP_US_STATE_BORDERS) {
      states = linePieces(window.TP_US_STATE_BORDERS.features[0].geometry, STATE_BORDERS);
    }
    draw(LEVELS[0][0]);
    map.on("moveend zoomend", update);
    update();
    TP.setTiles(options.tilesUrl, options.attribution);
  });

  /* TP.setTiles(url | null, attribution): online tiles over the basemap, or none. */
  TP.setTiles = function (url, attribution) {
    if (B.tiles) S.map.removeLayer(B.tiles);
    B.tiles = null;
    if (!url) return false;
    B.tiles = L.tileLayer(url, {
      // Leaflet renders attribution as HTML: the setting is shown as plain text.
      attribution: P.escapeHtml(attribution || ""),
      maxZoom: 19,
      pmIgnore: true,
    }).addTo(S.map);
    return true;
  };

  TP.basemapState = function () {
    var loading = B.loading || (B.admin1Loading ? "admin1" : null);
    return { level: B.level, wanted: B.wanted, loading: loading, drawn: B.drawn };
  };
})();
