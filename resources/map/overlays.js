/*
 * Everything drawn over the units: territory outlines, territory name labels, the preview of a
 * proposed change, the legend and rep home bases.
 *
 *   TP.setOutlines(fc) / TP.updateOutlines(fc, ids) / TP.setBaselineOutlines(fc | null)
 *   TP.setLabels([{id, lat, lon, rank}]) / TP.updateLabels(items, ids)
 *   TP.setLabelOptions({minZoom})      names show from this zoom level on (default 6)
 *   TP.showPreview(fc, {colour}) / TP.clearPreview()   hatched in a colour no territory uses
 *   TP.setLegend([{label, colour}])    one column; scrolls by itself; keeps wheel and clicks
 *   TP.setReps([{id, name, lon, lat}])
 */
(function () {
  "use strict";

  var TP = window.TP;
  var P = TP._;
  var S = P.S;
  var el = P.el;

  S.outlines = null;
  S.outlineById = {};
  S.outlineStyle = null;
  S.labels = {}; // id -> {id, lat, lon, rank, marker, text, w, h}
  S.labelMinZoom = 6;
  S.preview = null;
  S.legend = null;
  S.reps = null;

  P.initHooks.push(function (map) {
    S.outlineRenderer = L.canvas({ pane: "tpOutlines", padding: 0.5 });
    S.previewRenderer = L.canvas({ pane: "tpPreview", padding: 0.5 });
    map.on("zoomend moveend resize", layoutLabels);
  });

  /* ------------------------------------------------------------------ outlines */

  function outlineStyle(f) {
    var t = S.territories[f.properties.id];
    var colour = (t && t.colour) || f.properties.colour || "#222";
    var style = { color: colour, weight: 2.5, opacity: 0.9, fill: false };
    if (S.outlineStyle) Object.assign(style, S.outlineStyle); // e.g. thin lines in a region view
    if (t ? t.locked : f.properties.locked) {
      style.weight = 4; // locked territories: a heavy dotted edge
      style.dashArray = "1 7";
      style.lineCap = "round";
    }
    return style;
  }

  /* TP.setOutlineStyle({color, weight, opacity} | null): every outline so; null: own colours. */
  TP.setOutlineStyle = function (style) {
    S.outlineStyle = style || null;
    if (S.outlines) S.outlines.eachLayer(function (l) { l.setStyle(outlineStyle(l.feature)); });
    return 1;
  };

  TP.setOutlines = function (fc) {
    if (S.outlines) S.map.removeLayer(S.outlines);
    S.outlineById = {};
    S.outlines = L.geoJSON(fc, {
      renderer: S.outlineRenderer,
      interactive: false,
      pmIgnore: true,
      style: outlineStyle,
      onEachFeature: function (f, layer) {
        S.outlineById[f.properties.id] = { feature: f, layer: layer };
      },
    }).addTo(S.map);
    P.afterPaint(function () {
      P.send({ kind: "rendered", layer: "outlines" });
    });
    return Object.keys(S.outlineById).length;
  };

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

  /* ------------------------------------------------------------------ labels */

  function removeLabel(id) {
    var label = S.labels[id];
    if (label) {
      S.map.removeLayer(label.marker);
      delete S.labels[id];
    }
  }

  function addLabel(item) {
    removeLabel(item.id);
    var text = el("span", "tp-label-text", P.nameOf(item.id));
    var marker = L.marker([item.lat, item.lon], {
      icon: L.divIcon({ className: "tp-label", html: text, iconSize: null }),
      pane: "tpLabels",
      interactive: false,
      keyboard: false,
      pmIgnore: true,
    }).addTo(S.map);
    S.labels[item.id] = {
      id: item.id,
      rank: item.rank || 0,
      marker: marker,
      text: text,
      w: 0,
      h: 0,
    };
  }

  TP.setLabels = function (items) {
    Object.keys(S.labels).forEach(removeLabel);
    (items || []).forEach(addLabel);
    layoutLabels();
    return Object.keys(S.labels).length;
  };

  TP.updateLabels = function (items, ids) {
    (ids || []).forEach(removeLabel);
    (items || []).forEach(addLabel);
    layoutLabels();
    return Object.keys(S.labels).length;
  };

  TP.setLabelOptions = function (options) {
    if (options && typeof options.minZoom === "number") S.labelMinZoom = options.minZoom;
    layoutLabels();
    return S.labelMinZoom;
  };

  /* layoutLabels: below the minimum zoom no names; above it, the biggest territories first,
     and a name that would overlap one already placed (or leave the view) is hidden. */
  function layoutLabels() {
    if (!S.map) return;
    var pane = S.map.getPane("tpLabels");
    var show = S.map.getZoom() >= S.labelMinZoom;
    pane.classList.toggle("tp-labels-off", !show);
    if (!show) return;
    var size = S.map.getSize();
    var placed = [];
    var order = Object.keys(S.labels).map(function (id) {
      return S.labels[id];
    });
    order.sort(function (a, b) {
      return b.rank - a.rank || a.id - b.id;
    });
    order.forEach(function (label) {
      if (!label.w) {
        label.w = label.text.offsetWidth;
        label.h = label.text.offsetHeight;
      }
      var p = S.map.latLngToContainerPoint(label.marker.getLatLng());
      var box = { x0: p.x - label.w / 2 - 3, x1: p.x + label.w / 2 + 3, y0: p.y - label.h / 2 - 2, y1: p.y + label.h / 2 + 2 };
      var inView = box.x1 > 0 && box.y1 > 0 && box.x0 < size.x && box.y0 < size.y;
      var free = inView && placed.every(function (o) {
        return box.x1 < o.x0 || box.x0 > o.x1 || box.y1 < o.y0 || box.y0 > o.y1;
      });
      label.text.classList.toggle("tp-label-hidden", !free);
      if (free) placed.push(box);
    });
  }

  /* Names changed (rename): new text, new size, new layout. */
  P.listen("territories", function (ids) {
    Object.keys(S.labels).forEach(function (id) {
      var label = S.labels[id];
      if (!ids || ids.indexOf(label.id) >= 0) {
        label.text.textContent = P.nameOf(label.id);
        label.w = 0;
      }
    });
    layoutLabels();
    if (S.outlines) {
      S.outlines.eachLayer(function (layer) {
        if (!ids || ids.indexOf(layer.feature.properties.id) >= 0) layer.setStyle(outlineStyle(layer.feature));
      });
    }
  });

  /* TP.labels(): id -> {text, shown} (tests, debugging). */
  TP.labels = function () {
    var out = {};
    Object.keys(S.labels).forEach(function (id) {
      var label = S.labels[id];
      out[id] = {
        text: label.text.textContent,
        shown: S.map.getZoom() >= S.labelMinZoom && !label.text.classList.contains("tp-label-hidden"),
      };
    });
    return out;
  };

  /* ------------------------------------------------------------------ preview */

  /* hatch(colour): diagonal stripes as a canvas pattern; Leaflet's canvas renderer assigns
     fillColor to ctx.fillStyle, so a CanvasPattern fills the preview with real hatching. */
  function hatch(colour) {
    var c = document.createElement("canvas");
    c.width = c.height = 8;
    var ctx = c.getContext("2d");
    ctx.strokeStyle = colour;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(-2, 10);
    ctx.lineTo(10, -2);
    ctx.moveTo(-2, 2);
    ctx.lineTo(2, -2);
    ctx.moveTo(6, 10);
    ctx.lineTo(10, 6);
    ctx.stroke();
    return ctx.createPattern(c, "repeat");
  }

  TP.showPreview = function (fc, options) {
    TP.clearPreview();
    var colour = (options && options.colour) || "#111111";
    var pattern = hatch(colour);
    var casing = L.geoJSON(fc, {
      renderer: S.previewRenderer,
      interactive: false,
      pmIgnore: true,
      style: { color: "#ffffff", weight: 5, opacity: 0.9, fill: false },
    });
    var body = L.geoJSON(fc, {
      renderer: S.previewRenderer,
      interactive: false,
      pmIgnore: true,
      style: { color: colour, weight: 2, opacity: 1, dashArray: "6 4", fillColor: pattern, fillOpacity: 0.8 },
    });
    S.preview = L.layerGroup([casing, body]).addTo(S.map);
    S.previewColour = colour;
    P.afterPaint(function () {
      P.send({ kind: "rendered", layer: "preview" });
    });
    return true;
  };
  TP.clearPreview = function () {
    if (S.preview) S.map.removeLayer(S.preview);
    S.preview = null;
    return true;
  };

  /* ------------------------------------------------------------------ legend */

  TP.setLegend = function (items) {
    if (S.legend) S.map.removeControl(S.legend);
    S.legend = L.control({ position: "bottomright" });
    S.legend.onAdd = function () {
      var box = el("div", "tp-legend leaflet-bar");
      (items || []).forEach(function (item) {
        var row = el("div", "tp-legend-row");
        row.title = String(item.label); // the full name when the row is cut (a property: text)
        var swatch = el("span", "tp-legend-swatch");
        swatch.style.background = String(item.colour);
        row.appendChild(swatch);
        row.appendChild(el("span", "tp-legend-label", item.label));
        box.appendChild(row);
      });
      // The legend scrolls by itself: the wheel must not zoom the map, a click not reach it.
      L.DomEvent.disableScrollPropagation(box);
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    S.legend.addTo(S.map);
    return (items || []).length;
  };

  /* ------------------------------------------------------------------ reps */

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

  P.stateParts.push(function (out) {
    out.outlines = Object.keys(S.outlineById).length;
    out.labels = Object.keys(S.labels).length;
    out.reps = S.reps ? S.reps.getLayers().length : 0;
    out.preview = !!S.preview;
  });
})();
