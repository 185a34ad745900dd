/*
 * The units layer: one canvas layer of unit polygons, filled from the live territory model.
 *
 *   TP.setUnits(fc)            features {id, code, name, territory}: territory is a territory id
 *                              (or null) resolved by territories.js; an older form with a
 *                              territory *name* and a `colour` is still drawn as given
 *   TP.assignUnits({unitId: territoryId | null})   the changed units after an edit
 *   TP.restyleUnits({unitId: css})                 explicit fills (older form, benchmarks)
 *   TP.setSelection([unitId])                      outline these units in black
 *   TP.showUnitTooltip(id) / TP.showUnitPopup(id)  the hover and click content, by id
 *
 * Hit-testing is ours (unitAt), so one code path serves click, hover and paint.
 */
(function () {
  "use strict";

  var TP = window.TP;
  var P = TP._;
  var S = P.S;
  var el = P.el;
  var SELECTED_STYLE = { color: "#111", weight: 3, opacity: 1 };
  var UNIT_STYLE = { color: "#ffffff", weight: 0.6, opacity: 0.9, fillOpacity: 0.65 };
  P.UNIT_EDGE = { color: UNIT_STYLE.color, weight: UNIT_STYLE.weight };
  P.SELECTED_STYLE = SELECTED_STYLE;

  S.units = null; // L.GeoJSON of units
  S.unitById = {}; // id -> {layer, feature, bounds, tid, live}
  S.unitList = [];
  S.selected = {};
  S.tooltipFor = null; // the unit entry whose content the tooltip shows

  P.initHooks.push(function (map) {
    S.unitRenderer = L.canvas({ pane: "tpUnits", padding: 0.5 });
    S.tooltip = L.tooltip({ sticky: true, direction: "top", offset: [0, -6], className: "tp-tip" });
    map.on("click", onMapClick);
    map.on("mousemove", onMapMove);
    map.on("mouseout", hideTooltip);
  });

  /* A unit is "live" when its feature names a territory id (number or null): its fill and its
     tooltip then come from the territory model and follow every change. */
  function fillOf(entry) {
    return entry.live ? P.fillOf(entry.tid) : entry.feature.properties.colour || "#cccccc";
  }
  function territoryText(entry) {
    if (entry.live) return P.nameOf(entry.tid);
    var t = entry.feature.properties.territory;
    return t === undefined || t === null ? null : t;
  }

  TP.setUnits = function (fc) {
    var t0 = performance.now();
    if (S.units) S.map.removeLayer(S.units);
    S.unitById = {};
    S.unitList = [];
    S.selected = {};
    hideTooltip();
    S.units = L.geoJSON(fc, {
      renderer: S.unitRenderer,
      interactive: false,
      pmIgnore: true,
      onEachFeature: function (f, layer) {
        var t = f.properties.territory;
        var live = t === null || typeof t === "number";
        var entry = { layer: layer, feature: f, bounds: layer.getBounds(), live: live };
        entry.tid = live && t !== null ? t : null;
        S.unitById[f.properties.id] = entry;
        S.unitList.push(entry);
      },
      style: function (f) {
        var t = f.properties.territory;
        var live = t === null || typeof t === "number";
        return L.extend({}, UNIT_STYLE, { fillColor: fillOf({ live: live, tid: t, feature: f }) });
      },
    }).addTo(S.map);
    P.emit("units", null);
    P.afterPaint(function () {
      P.send({ kind: "rendered", layer: "units" });
    });
    return performance.now() - t0;
  };

  /* TP.clearUnits(): no units layer (another project is on its way): the view can move
     without projecting the old polygons again, and their memory goes before the new ones'. */
  TP.clearUnits = function () {
    if (S.units) S.map.removeLayer(S.units);
    S.units = null;
    S.unitById = {};
    S.unitList = [];
    S.selected = {};
    hideTooltip();
    return true;
  };

  /* P.unitTerritory(unitId): the live territory id of a unit (null: none or unknown). */
  P.unitTerritory = function (unitId) {
    var entry = S.unitById[unitId];
    return entry && entry.live ? entry.tid : null;
  };

  TP.assignUnits = function (mapping) {
    var t0 = performance.now();
    var changed = [];
    Object.keys(mapping || {}).forEach(function (id) {
      var entry = S.unitById[id];
      if (!entry) return;
      var tid = mapping[id];
      entry.live = true;
      entry.tid = P.isTerritory(tid) ? tid : null;
      entry.layer.setStyle({ fillColor: fillOf(entry) });
      changed.push(Number(id));
    });
    if (S.tooltipFor && changed.indexOf(S.tooltipFor.feature.properties.id) >= 0) {
      refreshTooltip();
    }
    P.emit("units", changed);
    return performance.now() - t0;
  };

  TP.restyleUnits = function (mapping) {
    var t0 = performance.now();
    Object.keys(mapping).forEach(function (id) {
      var entry = S.unitById[id];
      if (entry) {
        entry.feature.properties.colour = mapping[id];
        entry.live = false;
        entry.layer.setStyle({ fillColor: mapping[id] });
      }
    });
    return performance.now() - t0;
  };

  /* Names, colours or fills of territories changed: refill their units, refresh the tooltip. */
  function refill(tids) {
    var wanted = null;
    if (tids) {
      wanted = {};
      tids.forEach(function (t) {
        wanted[t] = true;
      });
    }
    S.unitList.forEach(function (entry) {
      if (entry.live && (!wanted || wanted[entry.tid])) {
        entry.layer.setStyle({ fillColor: fillOf(entry) });
      }
    });
    refreshTooltip();
  }
  P.listen("territories", refill);
  P.listen("fills", refill);

  TP.setSelection = function (ids) {
    Object.keys(S.selected).forEach(function (id) {
      var entry = S.unitById[id];
      if (entry) entry.layer.setStyle(P.UNIT_EDGE);
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

  /* P.restoreEdge(id): the normal (or selected) edge after a paint highlight. */
  P.restoreEdge = function (id) {
    var entry = S.unitById[id];
    if (entry) entry.layer.setStyle(S.selected[id] ? SELECTED_STYLE : P.UNIT_EDGE);
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

  /* P.unitAt(latlng): the unit under a point (bounds pre-filter, then point in polygon). */
  function unitAt(latlng) {
    for (var i = S.unitList.length - 1; i >= 0; i--) {
      var entry = S.unitList[i];
      if (entry.bounds.contains(latlng) && geometryContains(entry.feature.geometry, latlng.lng, latlng.lat)) {
        return entry;
      }
    }
    return null;
  }
  P.unitAt = unitAt;
  TP._unitAt = function (lat, lng) {
    var entry = unitAt(L.latLng(lat, lng));
    return entry ? entry.feature.properties.id : null;
  };

  /* Tooltip and popup: DOM built with textContent (escaping by design). */
  function unitTooltipContent(entry) {
    var props = entry.feature.properties;
    var box = el("div", "tp-tip-body");
    box.appendChild(el("div", "tp-tip-name", props.name));
    box.appendChild(el("div", "tp-tip-code", props.code));
    var territory = territoryText(entry);
    if (territory !== null) box.appendChild(el("div", "tp-tip-territory", territory));
    return box;
  }
  function unitPopupContent(entry) {
    var props = entry.feature.properties;
    var box = el("div", "tp-popup");
    box.appendChild(el("h3", "tp-popup-title", props.name));
    var table = el("table", "tp-popup-table");
    Object.keys(props).forEach(function (key) {
      if (key === "colour" || key === "name") return;
      var row = el("tr");
      row.appendChild(el("th", null, key));
      row.appendChild(el("td", null, key === "territory" ? territoryText(entry) : props[key]));
      table.appendChild(row);
    });
    box.appendChild(table);
    return box;
  }

  function showUnitTooltip(entry, latlng) {
    if (S.tooltipFor !== entry) {
      // Build the DOM only when the hovered unit changes, not on every mouse move.
      S.tooltip.setContent(unitTooltipContent(entry));
      S.tooltipFor = entry;
    }
    S.tooltip.setLatLng(latlng || entry.bounds.getCenter());
    if (!S.map.hasLayer(S.tooltip)) S.tooltip.addTo(S.map);
  }
  function refreshTooltip() {
    if (S.tooltipFor && S.map.hasLayer(S.tooltip)) {
      S.tooltip.setContent(unitTooltipContent(S.tooltipFor));
    }
  }
  function showUnitPopup(entry, latlng) {
    L.popup({ className: "tp-popup-wrap", maxWidth: 320 })
      .setLatLng(latlng || entry.bounds.getCenter())
      .setContent(unitPopupContent(entry))
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
  P.hideTooltip = hideTooltip;

  /* P.showTooltip(content, latlng): the shared hover tooltip with other content (accounts). */
  P.showTooltip = function (content, latlng) {
    S.tooltip.setContent(content);
    S.tooltipFor = null;
    S.tooltip.setLatLng(latlng);
    if (!S.map.hasLayer(S.tooltip)) S.tooltip.addTo(S.map);
  };

  /* onMapClick: accounts win over units; pan mode opens the popup and reports the click. */
  function onMapClick(e) {
    if (S.mode !== "pan") return;
    if (P.accountClick && P.accountClick(e)) return;
    var entry = unitAt(e.latlng);
    if (entry) {
      showUnitPopup(entry, e.latlng);
      P.send({ kind: "unit_clicked", id: entry.feature.properties.id });
    }
  }

  /* onMapMove: hover tooltip (accounts, then units), in pan mode only. */
  function onMapMove(e) {
    if (S.mode !== "pan") return;
    if (P.accountHover && P.accountHover(e)) return;
    var entry = unitAt(e.latlng);
    if (entry) showUnitTooltip(entry, e.latlng);
    else hideTooltip();
  }

  P.stateParts.push(function (out) {
    out.units = S.unitList.length;
    out.selected = Object.keys(S.selected).length;
  });
})();
