/*
 * The offline basemap drawn under every project, and the optional online tiles above it.
 *
 * Natural Earth countries (world-atlas TopoJSON, resources/map/basemap/world-*.js) at three
 * levels of detail picked by zoom: 1:110m for the whole world, 1:50m from zoom 3, 1:10m from
 * zoom 5. Land is filled per country without an edge; the coastline (arcs of one country) and
 * the borders (arcs two countries share) are drawn from topojson.mesh, so no line is drawn
 * twice. Only the pieces near the view are on the map (see piece()). Over them, the
 * lines between US states (resources/map/basemap/us_state_borders.js) from zoom 3.
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
  var LAND = { stroke: false, fillColor: "#f4f1ea", fillOpacity: 1 };
  var COAST = { color: "#7f95a8", weight: 0.9, fill: false };
  var BORDERS = { color: "#a3a9b4", weight: 1, fill: false };
  var STATE_BORDERS = { color: "#bcc3cc", weight: 0.7, fill: false };

  // Where this script was loaded from: the world files sit in basemap/ beside it.
  var SCRIPT = document.currentScript ? document.currentScript.src : "";
  var BASE = SCRIPT.slice(0, SCRIPT.lastIndexOf("/") + 1) + "basemap/";

  var B = (S.basemap = { level: null, wanted: null, loading: null, drawn: false, shown: new Set() });
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

  /* After every zoom or pan: the level for the zoom (loading it first if needed), and the
     pieces near the new view. */
  function update() {
    var wanted = (B.wanted = levelFor(S.map.getZoom()));
    if (wanted !== B.level) draw(B.level); // the coarser level follows the view meanwhile
    load(wanted, function () {
      if (B.wanted === wanted) draw(wanted);
    });
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
    return { level: B.level, wanted: B.wanted, loading: B.loading, drawn: B.drawn };
  };
})();
