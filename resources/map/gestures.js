/*
 * Modes and gestures. Lasso, draw-new-territory, split and paint are freehand, as in every
 * lasso tool people know (QGIS freehand select, image editors): press, drag with the button
 * held (a trail is drawn; the map does not pan), release. Esc while the button is held cancels.
 *
 *   lasso   release closes the trail into a polygon:    {kind: "lasso",   geometry: Polygon}
 *   draw    the same, for a new territory:              {kind: "polygon", geometry: Polygon}
 *   split   the trail is the cut line:                   {kind: "line",    geometry: LineString}
 *   paint   the units under the trail, in order:         {kind: "paint",   units: [id]}
 *   reshape drag the vertices of one outline (Geoman):   {kind: "reshape", territory, geometry}
 *
 * A gesture starts only on a primary-button press on the map itself (not on the legend or a
 * control) and ends only with the release of that press: a click on a Qt dialog over the map,
 * or a release whose press happened elsewhere, starts and finishes nothing. The page says when
 * a gesture starts and ends ({kind: "gesture", active, mode}) so Python can route Esc to it.
 * Tiny or degenerate shapes (a click in lasso mode, a trail of a few pixels) are ignored.
 */
(function () {
  "use strict";

  var TP = window.TP;
  var P = TP._;
  var S = P.S;
  var MODES = ["pan", "lasso", "paint", "draw", "split", "reshape"];
  var FREEHAND = { lasso: "lasso", draw: "polygon", split: "line", paint: "paint" };
  var STEP_PX = 3; // a trail point every 3 px of movement
  var MIN_EXTENT_PX = 8; // a polygon or line smaller than this (either way) is a slip
  var MIN_AREA_PX = 100;
  var TRAIL_STYLE = { color: "#111111", weight: 2, opacity: 0.9, dashArray: "4 4", interactive: false };

  // {mode, points: [L.Point] (for spacing), latlngs: [L.LatLng] (the shape), trail, units}
  S.gesture = null;
  S.editing = null; // {territory, layer} while a territory outline is being reshaped

  P.initHooks.push(function (map) {
    S.trailRenderer = L.svg({ pane: "tpTrail" });
    var container = map.getContainer();
    container.addEventListener("mousedown", onDown);
    // Pointer moves carry the moves Chromium coalesced into one frame (getCoalescedEvents): a
    // fast hand's trail keeps its corners.
    document.addEventListener(window.PointerEvent ? "pointermove" : "mousemove", onMove, true);
    document.addEventListener("mouseup", onUp, true);
    document.addEventListener("keydown", onKey, true);
    window.addEventListener("blur", function () {
      cancel();
    });
    if (map.pm) map.pm.setGlobalOptions({ snappable: false });
  });

  /* ------------------------------------------------------------------ modes */

  TP.setMode = function (mode) {
    var map = S.map;
    if (MODES.indexOf(mode) < 0) throw new Error("unknown mode " + mode);
    cancel();
    if (map.pm) map.pm.disableDraw();
    if (mode !== "reshape") stopEditing();
    S.mode = mode;
    P.hideTooltip();
    var drawing = !!FREEHAND[mode];
    // A drag draws in the freehand modes: the map must not pan, zoom on double click or box.
    [map.dragging, map.doubleClickZoom, map.boxZoom].forEach(function (handler) {
      if (handler) handler[drawing ? "disable" : "enable"]();
    });
    map.getContainer().setAttribute("data-tp-mode", mode);
    return mode;
  };

  /* ------------------------------------------------------------------ freehand */

  function onControl(target) {
    return !!(target && target.closest && target.closest(".leaflet-control, .leaflet-popup"));
  }

  function onDown(e) {
    var kind = FREEHAND[S.mode];
    if (!kind || e.button !== 0 || onControl(e.target)) return;
    e.preventDefault(); // no text selection, no native drag
    if (S.gesture) cancel();
    var point = S.map.mouseEventToContainerPoint(e);
    var g = {
      mode: S.mode,
      points: [point],
      latlngs: [S.map.containerPointToLatLng(point)],
      trail: null,
      units: { ids: {}, order: [] },
    };
    S.gesture = g;
    if (S.mode === "paint") {
      paintAt(g, point);
    } else {
      g.trail = L.polyline(g.latlngs.slice(), L.extend({ renderer: S.trailRenderer }, TRAIL_STYLE)).addTo(S.map);
    }
    P.send({ kind: "gesture", active: true, mode: S.mode });
  }

  function onMove(e) {
    var g = S.gesture;
    if (!g) return;
    if ((e.buttons & 1) === 0) {
      // The release happened where the page could not see it: nothing is sent for a stroke
      // whose end is unknown.
      cancel();
      return;
    }
    var events = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
    if (!events.length) events = [e];
    events.forEach(function (ev) {
      extend(g, S.map.mouseEventToContainerPoint(ev));
    });
  }

  function extend(g, point) {
    var last = g.points[g.points.length - 1];
    if (point.distanceTo(last) < STEP_PX) return;
    if (g.mode === "paint") {
      // Sample the segment: a fast stroke must not skip the units it crosses.
      var n = Math.ceil(point.distanceTo(last) / STEP_PX);
      for (var k = 1; k <= n; k++) paintAt(g, last.add(point.subtract(last).multiplyBy(k / n)));
    } else {
      g.trail.addLatLng(S.map.containerPointToLatLng(point));
    }
    g.points.push(point);
    g.latlngs.push(S.map.containerPointToLatLng(point));
  }

  function onUp(e) {
    var g = S.gesture;
    if (!g || e.button !== 0) return;
    var point = S.map.mouseEventToContainerPoint(e);
    if (point.distanceTo(g.points[g.points.length - 1]) >= 1) {
      if (g.mode === "paint") {
        extend(g, point);
        paintAt(g, point);
      } else {
        g.points.push(point);
        g.latlngs.push(S.map.containerPointToLatLng(point));
      }
    }
    finish(g);
  }

  function onKey(e) {
    if (e.key === "Escape" && S.gesture) {
      cancel();
      e.preventDefault();
      e.stopPropagation();
    }
  }

  function paintAt(g, point) {
    var entry = P.unitAt(S.map.containerPointToLatLng(point));
    if (!entry) return;
    var id = entry.feature.properties.id;
    if (!g.units.ids[id]) {
      g.units.ids[id] = true;
      g.units.order.push(id);
      entry.layer.setStyle({ color: "#000", weight: 2 });
    }
  }

  /* end(g): remove what the gesture drew and tell Python it is over. */
  function end(g) {
    S.gesture = null;
    if (g.trail) S.map.removeLayer(g.trail);
    g.units.order.forEach(P.restoreEdge);
    P.send({ kind: "gesture", active: false, mode: g.mode });
  }

  function cancel() {
    var g = S.gesture;
    if (!g) return false;
    end(g);
    return true;
  }
  TP.cancelGesture = cancel;

  function finish(g) {
    end(g);
    if (g.mode === "paint") {
      if (g.units.order.length) P.send({ kind: "paint", units: g.units.order });
      return;
    }
    // Trail points are kept as lat/lon (a wheel zoom mid-gesture moves the pixels).
    var pts = simplify(
      g.latlngs.map(function (ll) {
        return S.map.latLngToContainerPoint(ll);
      }),
      1.0
    );
    if (g.mode !== "split" && pts.length > 3 && pts[pts.length - 1].distanceTo(pts[0]) < STEP_PX) {
      pts.pop(); // the trail came back to its start: the ring closes there anyway
    }
    if (!bigEnough(pts, g.mode === "split")) return;
    var lnglat = pts.map(function (p) {
      var ll = S.map.containerPointToLatLng(p);
      return [round(ll.lng), round(ll.lat)];
    });
    if (g.mode === "split") {
      P.send({ kind: "line", geometry: { type: "LineString", coordinates: lnglat } });
    } else {
      lnglat.push(lnglat[0]);
      P.send({ kind: FREEHAND[g.mode], geometry: { type: "Polygon", coordinates: [lnglat] } });
    }
  }

  function round(v) {
    return Math.round(v * 1e6) / 1e6;
  }

  /* bigEnough(points, line): not a click or a slip of the hand. */
  function bigEnough(pts, line) {
    if (pts.length < (line ? 2 : 3)) return false;
    var b = L.bounds(pts);
    var w = b.max.x - b.min.x, h = b.max.y - b.min.y;
    if (line) return Math.max(w, h) >= MIN_EXTENT_PX;
    if (w < MIN_EXTENT_PX || h < MIN_EXTENT_PX) return false;
    var area = 0;
    for (var i = 0, j = pts.length - 1; i < pts.length; j = i++) area += (pts[j].x + pts[i].x) * (pts[j].y - pts[i].y);
    return Math.abs(area / 2) >= MIN_AREA_PX;
  }

  /* simplify(points, tolerance): Douglas-Peucker in pixels (a freehand trail has hundreds of
     nearly collinear points; the shape stays within `tolerance` px of the trail). */
  function simplify(pts, tolerance) {
    if (pts.length < 3) return pts.slice();
    var keep = new Uint8Array(pts.length);
    keep[0] = keep[pts.length - 1] = 1;
    var stack = [[0, pts.length - 1]];
    while (stack.length) {
      var seg = stack.pop(), a = seg[0], b = seg[1], worst = -1, worstD = tolerance;
      for (var i = a + 1; i < b; i++) {
        var d = L.LineUtil.pointToSegmentDistance(pts[i], pts[a], pts[b]);
        if (d > worstD) {
          worstD = d;
          worst = i;
        }
      }
      if (worst >= 0) {
        keep[worst] = 1;
        stack.push([a, worst], [worst, b]);
      }
    }
    return pts.filter(function (_, i) {
      return keep[i];
    });
  }

  /* TP._onPmCreate({layer}): finish a shape drawn by a script (walkthrough, tests): its
     geometry is sent for the current mode, as a freehand release sends it. */
  TP._onPmCreate = function (e) {
    var kind = { lasso: "lasso", draw: "polygon", split: "line" }[S.mode];
    var geometry = e.layer.toGeoJSON().geometry;
    if (S.map.hasLayer(e.layer)) S.map.removeLayer(e.layer);
    if (kind) P.send({ kind: kind, geometry: geometry });
  };

  /* ------------------------------------------------------------------ reshape */

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
      P.send({ kind: "reshape", territory: territoryId, geometry: layer.toGeoJSON().geometry });
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

  P.stateParts.push(function (out) {
    out.gesture = S.gesture ? S.gesture.mode : null;
  });
})();
