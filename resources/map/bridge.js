/*
 * Territory Planner map page: every layer we draw and the channel to Python.
 *
 * Python -> JS: plain functions on window.TP, called with JSON arguments through runJavaScript.
 * JS -> Python: JSON text sent to the one slot `bridge.receive(text)` on the QWebChannel.
 * Every user-supplied string (unit names, territory names, rep names, legend labels) reaches the
 * DOM through textContent only, never through innerHTML, so a name cannot run script.
 */
(function () {
  "use strict";

  var TP = (window.TP = {});
  var S = {
    map: null,
    bridge: null,
    outbox: [], // messages sent before the channel is up
    mode: "pan",
    units: null, // L.GeoJSON of units
    unitById: {}, // id -> {layer, feature, bounds}
    unitList: [],
    selected: {},
    outlines: null,
    outlineById: {},
    accounts: null,
    reps: null,
    preview: null,
    legend: null,
    editing: null, // {territory, layer} while a territory outline is being reshaped
    tooltip: null,
    tooltipFor: null, // the unit entry whose content the tooltip shows
    paint: null, // {ids: {}, order: []} while a paint stroke is in progress
  };
  var SELECTED_STYLE = { color: "#111", weight: 3, opacity: 1 };
  var UNIT_STYLE = { color: "#ffffff", weight: 0.6, opacity: 0.9, fillOpacity: 0.65 };

  /* send(msg): the single way out to Python; queues until the channel is up. */
  function send(msg) {
    var text = JSON.stringify(msg);
    if (S.bridge) {
      S.bridge.receive(text);
    } else {
      S.outbox.push(text);
    }
  }
  TP._send = send;

  /* Uncaught errors and rejected promises are reported, so Python tests and logs see them. */
  window.onerror = function (message, source, line) {
    send({ kind: "js_error", message: String(message) + " (" + source + ":" + line + ")" });
    return false;
  };
  window.addEventListener("unhandledrejection", function (ev) {
    send({ kind: "js_error", message: "unhandled rejection: " + String(ev.reason) });
  });

  /* afterPaint(fn): run fn once the browser has painted the current frame (two rAFs). */
  function afterPaint(fn) {
    window.requestAnimationFrame(function () {
      window.requestAnimationFrame(fn);
    });
  }

  /* el(tag, className, text): a DOM element whose text is set with textContent (never HTML). */
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  /* escapeHtml(s): for the rare place a string must become HTML; we prefer el() everywhere. */
  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  TP.escapeHtml = escapeHtml;

  /* TP.init(map, options): called once by the page after folium created the Leaflet map. */
  TP.init = function (map, options) {
    options = options || {};
    S.map = map;
    var panes = [
      ["tpBasemap", 150, true],
      ["tpUnits", 400, false],
      ["tpOutlines", 410, true],
      ["tpPreview", 420, true],
      ["tpAccounts", 430, true],
      ["tpReps", 440, false],
      ["tpEdit", 450, false],
    ];
    panes.forEach(function (p) {
      var pane = map.createPane(p[0]);
      pane.style.zIndex = String(p[1]);
      if (p[2]) pane.classList.add("tp-noevents");
    });
    S.unitRenderer = L.canvas({ pane: "tpUnits", padding: 0.5 });
    S.outlineRenderer = L.canvas({ pane: "tpOutlines", padding: 0.5 });
    S.previewRenderer = L.canvas({ pane: "tpPreview", padding: 0.5 });
    S.tooltip = L.tooltip({ sticky: true, direction: "top", offset: [0, -6], className: "tp-tip" });

    addBasemap(map, options);
    map.on("click", onMapClick);
    map.on("mousemove", onMapMove);
    map.on("mouseout", hideTooltip);
    map.on("mousedown", onMapDown);
    map.on("mouseup", onMapUp);
    map.on("pm:create", onPmCreate);
    if (map.pm) {
      map.pm.setGlobalOptions({ snappable: false, continueDrawing: true });
    }
    connectChannel();
  };

  /* addBasemap: bundled US states drawn as vector (always), online tiles on top if configured. */
  function addBasemap(map, options) {
    if (window.TP_BASEMAP_STATES) {
      L.geoJSON(window.TP_BASEMAP_STATES, {
        renderer: L.canvas({ pane: "tpBasemap", padding: 0.5 }),
        interactive: false,
        pmIgnore: true,
        style: { color: "#9aa5b1", weight: 0.8, fillColor: "#f4f1ea", fillOpacity: 1 },
      }).addTo(map);
    }
    if (options.tilesUrl) {
      L.tileLayer(options.tilesUrl, {
        // Leaflet renders attribution as HTML: the setting is shown as plain text.
        attribution: escapeHtml(options.attribution || ""),
        maxZoom: 19,
        pmIgnore: true,
      }).addTo(map);
    }
  }

  /* connectChannel: attach to Python's "bridge" object, flush queued messages, say ready. */
  function connectChannel() {
    if (typeof QWebChannel === "undefined" || !window.qt || !qt.webChannelTransport) {
      // Opened in a plain browser: keep working, just without Python.
      return;
    }
    new QWebChannel(qt.webChannelTransport, function (channel) {
      S.bridge = channel.objects.bridge;
      var queued = S.outbox;
      S.outbox = [];
      queued.forEach(function (text) {
        S.bridge.receive(text);
      });
      send({ kind: "ready" });
    });
  }

  /* ---------------------------------------------------------------- units ---------------- */

  /* TP.setUnits(fc): replace the units layer; properties {id, code, name, territory, colour}. */
  TP.setUnits = function (fc) {
    var t0 = performance.now();
    if (S.units) S.map.removeLayer(S.units);
    S.unitById = {};
    S.unitList = [];
    S.selected = {};
    hideTooltip();
    S.units = L.geoJSON(fc, {
      renderer: S.unitRenderer,
      interactive: false, // hit-testing is ours (unitAt), so one code path serves click/hover/paint
      pmIgnore: true,
      style: function (f) {
        return L.extend({}, UNIT_STYLE, { fillColor: f.properties.colour || "#cccccc" });
      },
      onEachFeature: function (f, layer) {
        var entry = { layer: layer, feature: f, bounds: layer.getBounds() };
        S.unitById[f.properties.id] = entry;
        S.unitList.push(entry);
      },
    }).addTo(S.map);
    afterPaint(function () {
      send({ kind: "rendered", layer: "units" });
    });
    return performance.now() - t0;
  };

  /* TP.restyleUnits({id: colour}): change the fill of just these units; returns JS ms. */
  TP.restyleUnits = function (mapping) {
    var t0 = performance.now();
    Object.keys(mapping).forEach(function (id) {
      var entry = S.unitById[id];
      if (entry) {
        entry.feature.properties.colour = mapping[id];
        entry.layer.setStyle({ fillColor: mapping[id] });
      }
    });
    return performance.now() - t0;
  };

  /* TP.setSelection(ids): outline these units in black; all others get the normal edge. */
  TP.setSelection = function (ids) {
    Object.keys(S.selected).forEach(function (id) {
      var entry = S.unitById[id];
      if (entry) entry.layer.setStyle({ color: UNIT_STYLE.color, weight: UNIT_STYLE.weight });
    });
    S.selected = {};
    (ids || []).forEach(function (id) {
      var entry = S.unitById[id];
      if (entry) {
        entry.layer.setStyle(SELECTED_STYLE);
        S.selected[id] = true;
      }
    });
    return Object.keys(S.selected).length;
  };

  /* ringContains(ring, x, y): even-odd ray casting on [lon, lat] pairs. */
  function ringContains(ring, x, y) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }

  /* geometryContains(geom, lon, lat): Polygon/MultiPolygon with holes. */
  function geometryContains(geom, x, y) {
    var polys = geom.type === "Polygon" ? [geom.coordinates] : geom.type === "MultiPolygon" ? geom.coordinates : [];
    for (var p = 0; p < polys.length; p++) {
      var rings = polys[p];
      if (rings.length && ringContains(rings[0], x, y)) {
        var inHole = false;
        for (var h = 1; h < rings.length; h++) if (ringContains(rings[h], x, y)) inHole = true;
        if (!inHole) return true;
      }
    }
    return false;
  }

  /* unitAt(latlng): the unit under a point (bounds pre-filter, then point in polygon). */
  function unitAt(latlng) {
    for (var i = S.unitList.length - 1; i >= 0; i--) {
      var entry = S.unitList[i];
      if (entry.bounds.contains(latlng) && geometryContains(entry.feature.geometry, latlng.lng, latlng.lat)) {
        return entry;
      }
    }
    return null;
  }
  TP._unitAt = function (lat, lng) {
    var entry = unitAt(L.latLng(lat, lng));
    return entry ? entry.feature.properties.id : null;
  };

  /* unitTooltipContent / unitPopupContent: DOM built with textContent (escaping by design). */
  function unitTooltipContent(props) {
    var box = el("div", "tp-tip-body");
    box.appendChild(el("div", "tp-tip-name", props.name));
    box.appendChild(el("div", "tp-tip-code", props.code));
    if (props.territory !== undefined && props.territory !== null) {
      box.appendChild(el("div", "tp-tip-territory", props.territory));
    }
    return box;
  }
  function unitPopupContent(props) {
    var box = el("div", "tp-popup");
    box.appendChild(el("h3", "tp-popup-title", props.name));
    var table = el("table", "tp-popup-table");
    Object.keys(props).forEach(function (key) {
      if (key === "colour" || key === "name") return;
      var row = el("tr");
      row.appendChild(el("th", null, key));
      row.appendChild(el("td", null, props[key]));
      table.appendChild(row);
    });
    box.appendChild(table);
    return box;
  }

  /* TP.showUnitTooltip(id) / TP.showUnitPopup(id): the hover and click paths, callable by id. */
  function showUnitTooltip(entry, latlng) {
    if (S.tooltipFor !== entry) {
      // Build the DOM only when the hovered unit changes, not on every mouse move.
      S.tooltip.setContent(unitTooltipContent(entry.feature.properties));
      S.tooltipFor = entry;
    }
    S.tooltip.setLatLng(latlng || entry.bounds.getCenter());
    if (!S.map.hasLayer(S.tooltip)) S.tooltip.addTo(S.map);
  }
  function showUnitPopup(entry, latlng) {
    L.popup({ className: "tp-popup-wrap", maxWidth: 320 })
      .setLatLng(latlng || entry.bounds.getCenter())
      .setContent(unitPopupContent(entry.feature.properties))
      .openOn(S.map);
  }
  TP.showUnitTooltip = function (id) {
    var entry = S.unitById[id];
    if (entry) showUnitTooltip(entry);
    return !!entry;
  };
  TP.showUnitPopup = function (id) {
    var entry = S.unitById[id];
    if (entry) showUnitPopup(entry);
    return !!entry;
  };
  function hideTooltip() {
    S.tooltipFor = null;
    if (S.tooltip && S.map.hasLayer(S.tooltip)) S.map.removeLayer(S.tooltip);
  }

  /* ---------------------------------------------------------------- pointer ---------------- */

  /* onMapClick: accounts win over units; pan mode opens the popup and reports the click. */
  function onMapClick(e) {
    if (S.mode !== "pan") return;
    var hit = S.accounts ? S.accounts.hitTest(e.containerPoint) : -1;
    if (hit >= 0) {
      send({ kind: "account_clicked", id: S.accounts.idAt(hit) });
      return;
    }
    var entry = unitAt(e.latlng);
    if (entry) {
      showUnitPopup(entry, e.latlng);
      send({ kind: "unit_clicked", id: entry.feature.properties.id });
    }
  }

  /* onMapMove: hover tooltip (accounts, then units); in paint mode extends the stroke. */
  function onMapMove(e) {
    if (S.paint) {
      paintAt(e.latlng);
      return;
    }
    if (S.mode !== "pan") return;
    var hit = S.accounts ? S.accounts.hitTest(e.containerPoint) : -1;
    if (hit >= 0) {
      S.tooltip.setContent(S.accounts.tooltipContent(hit, el));
      S.tooltipFor = null;
      S.tooltip.setLatLng(e.latlng);
      if (!S.map.hasLayer(S.tooltip)) S.tooltip.addTo(S.map);
      return;
    }
    var entry = unitAt(e.latlng);
    if (entry) showUnitTooltip(entry, e.latlng);
    else hideTooltip();
  }

  /* Paint: mouse down starts a stroke, moving collects units, mouse up sends them. */
  function paintAt(latlng) {
    var entry = unitAt(latlng);
    if (!entry) return;
    var id = entry.feature.properties.id;
    if (!S.paint.ids[id]) {
      S.paint.ids[id] = true;
      S.paint.order.push(id);
      entry.layer.setStyle({ color: "#000", weight: 2 });
    }
  }
  function onMapDown(e) {
    if (S.mode !== "paint") return;
    S.paint = { ids: {}, order: [] };
    paintAt(e.latlng);
  }
  function onMapUp() {
    if (!S.paint) return;
    var ids = S.paint.order;
    S.paint = null;
    ids.forEach(function (id) {
      var entry = S.unitById[id];
      if (entry) entry.layer.setStyle(S.selected[id] ? SELECTED_STYLE : { color: UNIT_STYLE.color, weight: UNIT_STYLE.weight });
    });
    if (ids.length) send({ kind: "paint", units: ids });
  }
  document.addEventListener("mouseup", onMapUp);

  /* ---------------------------------------------------------------- modes ---------------- */

  /* TP.setMode(mode): pan | lasso | paint | draw | split | reshape. */
  TP.setMode = function (mode) {
    var map = S.map;
    if (["pan", "lasso", "paint", "draw", "split", "reshape"].indexOf(mode) < 0) {
      throw new Error("unknown mode " + mode);
    }
    if (map.pm) map.pm.disableDraw();
    if (mode !== "reshape") stopEditing();
    S.mode = mode;
    S.paint = null;
    hideTooltip();
    if (mode === "paint") map.dragging.disable();
    else map.dragging.enable();
    if (map.pm && (mode === "lasso" || mode === "draw")) {
      map.pm.enableDraw("Polygon", { continueDrawing: true, snappable: false, pmIgnore: true });
    } else if (map.pm && mode === "split") {
      map.pm.enableDraw("Line", { continueDrawing: true, snappable: false, pmIgnore: true });
    }
    map.getContainer().setAttribute("data-tp-mode", mode);
    return mode;
  };

  /* onPmCreate: Geoman finished a shape; send its geometry for the current mode, drop the layer. */
  function onPmCreate(e) {
    var kind = { lasso: "lasso", draw: "polygon", split: "line" }[S.mode];
    var geometry = e.layer.toGeoJSON().geometry;
    S.map.removeLayer(e.layer);
    if (kind) send({ kind: kind, geometry: geometry });
  }
  TP._onPmCreate = onPmCreate;

  /* TP.editOutline(territoryId): make that outline editable; each finished edit is sent. */
  TP.editOutline = function (territoryId) {
    var source = S.outlineById[territoryId];
    if (!source) return false;
    if (S.mode !== "reshape") TP.setMode("reshape");
    stopEditing();
    var layer = L.geoJSON(source.feature, {
      pmIgnore: false,
      renderer: L.svg({ pane: "tpEdit" }),
      style: { color: "#d9480f", weight: 3, fillOpacity: 0.05 },
    }).getLayers()[0];
    layer.addTo(S.map);
    layer.pm.enable({ allowSelfIntersection: false, snappable: false });
    layer.on("pm:edit", function () {
      send({ kind: "reshape", territory: territoryId, geometry: layer.toGeoJSON().geometry });
    });
    S.editing = { territory: territoryId, layer: layer };
    return true;
  };
  function stopEditing() {
    if (!S.editing) return;
    if (S.editing.layer.pm) S.editing.layer.pm.disable();
    S.map.removeLayer(S.editing.layer);
    S.editing = null;
  }

  /* ---------------------------------------------------------------- other layers ------------ */

  /* TP.setOutlines(fc): territory outlines; properties {id, name?, colour?}. */
  TP.setOutlines = function (fc) {
    if (S.outlines) S.map.removeLayer(S.outlines);
    S.outlineById = {};
    S.outlines = L.geoJSON(fc, {
      renderer: S.outlineRenderer,
      interactive: false,
      pmIgnore: true,
      style: function (f) {
        var style = { color: f.properties.colour || "#222", weight: 2.5, opacity: 0.9, fill: false };
        if (f.properties.locked) {
          style.weight = 4; // locked territories: a heavy dotted edge
          style.dashArray = "1 7";
          style.lineCap = "round";
        }
        return style;
      },
      onEachFeature: function (f, layer) {
        S.outlineById[f.properties.id] = { feature: f, layer: layer };
      },
    }).addTo(S.map);
    afterPaint(function () {
      send({ kind: "rendered", layer: "outlines" });
    });
    return Object.keys(S.outlineById).length;
  };

  /* TP.setBaselineOutlines(fc | null): the baseline's outlines, dashed, over the scenario's. */
  TP.setBaselineOutlines = function (fc) {
    if (S.baseOutlines) S.map.removeLayer(S.baseOutlines);
    S.baseOutlines = null;
    if (!fc) return 0;
    S.baseOutlines = L.geoJSON(fc, {
      renderer: S.outlineRenderer,
      interactive: false,
      pmIgnore: true,
      style: function () {
        return { color: "#111", weight: 2, opacity: 0.9, dashArray: "6 5", fill: false };
      },
    }).addTo(S.map);
    return S.baseOutlines.getLayers().length;
  };

  /* TP.updateOutlines(fc, ids): replace the outlines of territories ``ids`` by fc's features. */
  TP.updateOutlines = function (fc, ids) {
    if (!S.outlines) return TP.setOutlines(fc);
    (ids || []).forEach(function (id) {
      var entry = S.outlineById[id];
      if (entry) {
        S.outlines.removeLayer(entry.layer);
        delete S.outlineById[id];
      }
    });
    S.outlines.addData(fc);
    return Object.keys(S.outlineById).length;
  };

  /* TP.setAccounts({ids, lon, lat, colour | territory + palette, names?}): one canvas layer. */
  TP.setAccounts = function (data) {
    if (S.accounts) S.map.removeLayer(S.accounts);
    S.accounts = new window.TPPointsLayer(data);
    var t0 = performance.now();
    S.accounts.addTo(S.map);
    var ms = performance.now() - t0;
    afterPaint(function () {
      send({ kind: "rendered", layer: "accounts" });
    });
    return ms;
  };

  /* TP.restyleAccounts({id: colour}): recolour just these account points; returns count. */
  TP.restyleAccounts = function (mapping) {
    return S.accounts ? S.accounts.recolour(mapping) : 0;
  };

  /* TP.accountColour(id): the colour an account point is drawn in (tests, debugging). */
  TP.accountColour = function (id) {
    return S.accounts ? S.accounts.colourOf(id) : null;
  };

  /* TP.setLayerVisible(name, on): show or hide a data layer's pane (survives layer resets). */
  TP.setLayerVisible = function (name, on) {
    var pane = { units: "tpUnits", outlines: "tpOutlines", accounts: "tpAccounts", reps: "tpReps" }[name];
    if (!pane) return false;
    S.map.getPane(pane).style.display = on ? "" : "none";
    return !!on;
  };

  /* TP.setReps([{id, name, lon, lat}]): rep home bases as small DOM markers with a name tooltip. */
  TP.setReps = function (reps) {
    if (S.reps) S.map.removeLayer(S.reps);
    S.reps = L.layerGroup();
    (reps || []).forEach(function (rep) {
      var marker = L.marker([rep.lat, rep.lon], {
        icon: L.divIcon({ className: "tp-rep", iconSize: [14, 14] }),
        pane: "tpReps",
        pmIgnore: true,
        keyboard: false,
      });
      marker.bindTooltip(el("span", "tp-rep-name", rep.name), { direction: "top", offset: [0, -8] });
      S.reps.addLayer(marker);
    });
    S.reps.addTo(S.map);
    return (reps || []).length;
  };

  /* TP.showPreview(fc) / TP.clearPreview(): a hatched-looking overlay of a proposed change. */
  TP.showPreview = function (fc) {
    TP.clearPreview();
    S.preview = L.geoJSON(fc, {
      renderer: S.previewRenderer,
      interactive: false,
      pmIgnore: true,
      style: { color: "#d9480f", weight: 2, dashArray: "6 4", fillColor: "#ffa94d", fillOpacity: 0.35 },
    }).addTo(S.map);
    afterPaint(function () {
      send({ kind: "rendered", layer: "preview" });
    });
    return true;
  };
  TP.clearPreview = function () {
    if (S.preview) S.map.removeLayer(S.preview);
    S.preview = null;
    return true;
  };

  /* TP.fitBounds([[s, w], [n, e]]). */
  TP.fitBounds = function (bounds) {
    S.map.fitBounds(bounds, { animate: false });
    return true;
  };

  /* TP.setLegend([{label, colour}]): a legend control; labels go in via textContent. */
  TP.setLegend = function (items) {
    if (S.legend) S.map.removeControl(S.legend);
    S.legend = L.control({ position: "bottomright" });
    S.legend.onAdd = function () {
      var box = el("div", "tp-legend leaflet-bar");
      (items || []).forEach(function (item) {
        var row = el("div", "tp-legend-row");
        var swatch = el("span", "tp-legend-swatch");
        swatch.style.background = String(item.colour);
        row.appendChild(swatch);
        row.appendChild(el("span", "tp-legend-label", item.label));
        box.appendChild(row);
      });
      return box;
    };
    S.legend.addTo(S.map);
    return (items || []).length;
  };

  /* TP.notifyPainted(tag): send {kind: "rendered", layer: tag} after the next painted frame
     (lets Python time "call + repaint"). */
  TP.notifyPainted = function (tag) {
    afterPaint(function () {
      send({ kind: "rendered", layer: String(tag) });
    });
    return true;
  };

  /* TP.state(): a small summary for tests and debugging. */
  TP.state = function () {
    return {
      mode: S.mode,
      units: S.unitList.length,
      outlines: Object.keys(S.outlineById).length,
      accounts: S.accounts ? S.accounts.count() : 0,
      reps: S.reps ? S.reps.getLayers().length : 0,
      preview: !!S.preview,
      selected: Object.keys(S.selected).length,
      channel: !!S.bridge,
    };
  };
  TP.map = function () {
    return S.map;
  };
})();
