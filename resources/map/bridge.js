/*
 * Territory Planner map page: the core every other page script builds on, and the channel to
 * Python.
 *
 * Python -> JS: plain functions on window.TP, called with JSON arguments through runJavaScript.
 * JS -> Python: JSON text sent to the one slot `bridge.receive(text)` on the QWebChannel.
 * Every user-supplied string (unit names, territory names, rep names, legend labels) reaches the
 * DOM through textContent only, never through innerHTML, so a name cannot run script.
 *
 * Page scripts, loaded in this order (planner/ui/map/page.py lists them):
 *   bridge.js       this file: TP, the shared private namespace TP._, init, channel, input log
 *   basemap.js      the offline world basemap (detail by zoom) and optional online tiles
 *   territories.js  the live territory model: names, colours, fills (colour mode)
 *   units.js        the units layer: fills from the model, hit-testing, tooltips and popups
 *   points.js       the accounts layer (100k+ points on one canvas), coloured from the model
 *   overlays.js     outlines, labels, preview, legend, rep home bases
 *   gestures.js     modes and freehand gestures: lasso, draw, split, paint, reshape, Esc
 * Each script adds its TP functions and may push a function on TP._.initHooks, run by TP.init
 * once the Leaflet map exists.
 */
(function () {
  "use strict";

  var TP = (window.TP = {});
  var S = {
    map: null,
    bridge: null,
    outbox: [], // messages sent before the channel is up
    mode: "pan",
    lastInput: null, // the last DOM input event the page saw (tests wait on it)
    inputSeq: 0,
  };
  var listeners = {};

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

  /* listen(name, fn) / emit(name, detail): page-internal notifications between the scripts,
     e.g. "territories" (names/colours changed), "fills" (colour mode), "units" (assignments). */
  function listen(name, fn) {
    (listeners[name] = listeners[name] || []).push(fn);
  }
  function emit(name, detail) {
    (listeners[name] || []).forEach(function (fn) {
      fn(detail);
    });
  }

  /* TP._: what the page scripts share; not an API for Python. */
  TP._ = {
    S: S,
    send: send,
    el: el,
    afterPaint: afterPaint,
    escapeHtml: escapeHtml,
    listen: listen,
    emit: emit,
    initHooks: [],
  };

  /* Uncaught errors and rejected promises are reported, so Python tests and logs see them. */
  window.onerror = function (message, source, line) {
    send({ kind: "js_error", message: String(message) + " (" + source + ":" + line + ")" });
    return false;
  };
  window.addEventListener("unhandledrejection", function (ev) {
    send({ kind: "js_error", message: "unhandled rejection: " + String(ev.reason) });
  });

  /* Every mouse/key/wheel event the page receives is noted (type, position, buttons) before any
     handler runs, so a test driving the real mouse can wait until the page has seen its last
     event (tests/ui/real_input.py). Costs one small object per event. */
  ["mousedown", "mousemove", "mouseup", "keydown", "wheel"].forEach(function (type) {
    document.addEventListener(
      type,
      function (e) {
        S.inputSeq += 1;
        S.lastInput = {
          seq: S.inputSeq,
          type: type,
          x: e.clientX === undefined ? null : e.clientX,
          y: e.clientY === undefined ? null : e.clientY,
          buttons: e.buttons === undefined ? null : e.buttons,
          key: e.key === undefined ? null : e.key,
        };
      },
      true
    );
  });
  TP.lastInput = function () {
    return S.lastInput;
  };

  /* TP.init(map, options): called once by the page after folium created the Leaflet map. */
  TP.init = function (map, options) {
    options = options || {};
    S.map = map;
    var panes = [
      ["tpBasemap", 150, true],
      ["tpBasemapLines", 160, true],
      ["tpUnits", 400, false],
      ["tpOutlines", 410, true],
      ["tpPreview", 420, true],
      ["tpAccounts", 430, true],
      ["tpLabels", 435, true],
      ["tpReps", 440, false],
      ["tpTrail", 445, true],
      ["tpEdit", 450, false],
    ];
    panes.forEach(function (p) {
      var pane = map.createPane(p[0]);
      pane.style.zIndex = String(p[1]);
      if (p[2]) pane.classList.add("tp-noevents");
    });
    TP._.initHooks.forEach(function (hook) {
      hook(map, options);
    });
    connectChannel();
  };

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

  /* TP.fitBounds([[s, w], [n, e]]). */
  TP.fitBounds = function (bounds) {
    S.map.fitBounds(bounds, { animate: false });
    return true;
  };

  /* TP.setLayerVisible(name, on): show or hide a data layer's pane (survives layer resets). */
  TP.setLayerVisible = function (name, on) {
    var pane = {
      units: "tpUnits",
      outlines: "tpOutlines",
      accounts: "tpAccounts",
      reps: "tpReps",
      labels: "tpLabels",
    }[name];
    if (!pane) return false;
    S.map.getPane(pane).style.display = on ? "" : "none";
    return !!on;
  };

  /* TP.notifyPainted(tag): send {kind: "rendered", layer: tag} after the next painted frame
     (lets Python time "call + repaint"). */
  TP.notifyPainted = function (tag) {
    afterPaint(function () {
      send({ kind: "rendered", layer: String(tag) });
    });
    return true;
  };

  /* TP.setPadding(p): how far beyond the view (a fraction of its size) the canvas layers
     draw. 0.5 keeps panning smooth on screen; a picture for a report (OffscreenMap) sets 0:
     at 2000 x 1250 px each padded canvas was 4000 x 2500 px of software raster per layer. */
  TP.setPadding = function (p) {
    var renderers = [S.map.getRenderer(L.polyline([[0, 0], [0, 0]]))];
    Object.keys(S).forEach(function (k) {
      if (S[k] instanceof L.Renderer) renderers.push(S[k]);
    });
    renderers.forEach(function (r) {
      r.options.padding = p;
    });
    return renderers.length;
  };

  /* TP.state(): a small summary for tests and debugging; each script adds its part. */
  TP._.stateParts = [];
  TP.state = function () {
    var out = { mode: S.mode, channel: !!S.bridge };
    TP._.stateParts.forEach(function (part) {
      part(out);
    });
    return out;
  };
  TP.map = function () {
    return S.map;
  };

  /* TP.containerPoint(lat, lng): where a place is in the map's pixels (tests aim with it). */
  TP.containerPoint = function (lat, lng) {
    var p = S.map.latLngToContainerPoint([lat, lng]);
    return [p.x, p.y];
  };
})();
