/*
 * TPPointsLayer: draws 100,000+ account points on one canvas, as one Leaflet layer.
 *
 * Why not L.circleMarker: one Leaflet object per point costs ~1 KB and a full canvas redraw walks
 * them all; 100k of them stalls panning. Here points live in typed arrays, are projected once to
 * normalised Web Mercator, drawn in one path per colour, and hit-tested with a screen-space grid
 * rebuilt on every redraw. The canvas follows the map pane while panning (like Leaflet's own
 * renderers) and is redrawn on moveend, so a pan costs nothing until the mouse is released.
 *
 * Colours come from the live territory model (territories.js) when the data names territories:
 *   TP.setAccounts({ids, lon, lat, territory, unit?, names?})
 *     territory: each account's own assignment, a territory id, -1 (none) or -2 (goes with its
 *     unit, whose live territory units.js knows); unit: the account's unit id or -1.
 *   TP.assignAccounts({accountId: territoryId | -1 | -2})   changed pins / free-form accounts
 * A unit move (TP.assignUnits) recolours the accounts following those units; a colour mode
 * switch (TP.setFills) only changes one colour per territory and redraws. Points are grouped
 * by territory, so neither walks 100k points to find colours.
 * Older forms, still accepted: {territory: [palette index], palette: [css]} or {colour: [css]},
 * and TP.restyleAccounts({accountId: css}).
 */
(function () {
  "use strict";

  var CELL = 16; // hit-test grid cell in CSS pixels
  var MAX_LAT = 85.0511287798;
  var FOLLOW = -2;
  var P = window.TP._;

  /* toPalette(data): accept {colour: [css...]} or {territory: [int...], palette: [css...]}. */
  function toPalette(data, n) {
    var index = new Int32Array(n);
    var palette = [];
    if (data.territory && data.palette) {
      palette = data.palette.slice();
      palette.push("#868e96"); // unassigned (-1) -> last entry
      for (var i = 0; i < n; i++) {
        var t = data.territory[i];
        index[i] = t >= 0 && t < data.palette.length ? t : palette.length - 1;
      }
    } else {
      var seen = {};
      var colours = data.colour || [];
      for (var j = 0; j < n; j++) {
        var c = colours[j] || "#1c7ed6";
        if (!(c in seen)) {
          seen[c] = palette.length;
          palette.push(c);
        }
        index[j] = seen[c];
      }
    }
    return { index: index, palette: palette };
  }

  window.TPPointsLayer = L.Layer.extend({
    options: { pane: "tpAccounts", padding: 0.3, radius: 3 },

    /* initialize(data): copy to typed arrays, project to normalised Web Mercator once. */
    initialize: function (data, options) {
      L.setOptions(this, options);
      var n = (data.ids || []).length;
      this._n = n;
      this._ids = data.ids;
      this._names = data.names || null;
      this._mx = new Float64Array(n);
      this._my = new Float64Array(n);
      for (var i = 0; i < n; i++) {
        var lat = Math.max(-MAX_LAT, Math.min(MAX_LAT, data.lat[i]));
        var s = Math.sin((lat * Math.PI) / 180);
        this._mx[i] = (data.lon[i] + 180) / 360;
        this._my[i] = 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
      }
      this._live = !data.palette && !data.colour && !!data.territory;
      if (this._live) {
        this._own = Int32Array.from(data.territory);
        this._unit = data.unit ? Int32Array.from(data.unit) : new Int32Array(n).fill(-1);
        this._slotOf = {}; // territory id -> palette slot; slot 0 = unassigned
        this._slotTid = [-1];
        this._palette = [P.UNASSIGNED_POINT];
        this._index = new Int32Array(n);
        for (var k = 0; k < n; k++) this._index[k] = this._slot(this._effective(k));
      } else {
        var pal = toPalette(data, n);
        this._palette = pal.palette;
        this._index = pal.index;
      }
      this._group();
      this._px = new Float32Array(n); // container-relative pixels of the last draw
      this._py = new Float32Array(n);
    },

    /* _group(): points grouped by colour (a counting sort) so one pass draws one path each. */
    _group: function () {
      var n = this._n, index = this._index, k = this._palette.length;
      var start = new Int32Array(k + 1);
      for (var a = 0; a < n; a++) start[index[a] + 1]++;
      for (var b = 0; b < k; b++) start[b + 1] += start[b];
      var fill = start.slice(0, k);
      this._order = new Int32Array(n);
      for (var c = 0; c < n; c++) this._order[fill[index[c]]++] = c;
      this._colourStart = start;
    },

    /* _effective(i): the territory id point i is drawn for (-1: none). */
    _effective: function (i) {
      var own = this._own[i];
      if (own !== FOLLOW) return own;
      var tid = this._unit[i] >= 0 ? P.unitTerritory(this._unit[i]) : null;
      return P.isTerritory(tid) ? tid : -1;
    },

    /* _slot(tid): the palette slot of a territory (created on first use). */
    _slot: function (tid) {
      if (!P.isTerritory(tid)) return 0;
      var slot = this._slotOf[tid];
      if (slot === undefined) {
        slot = this._slotOf[tid] = this._palette.length;
        this._slotTid.push(tid);
        this._palette.push(P.pointFillOf(tid));
        this._regroup = true;
      }
      return slot;
    },

    /* refreshFills(): territory colours or fills changed: new slot colours, one redraw. */
    refreshFills: function () {
      if (!this._live) return 0;
      for (var s = 1; s < this._slotTid.length; s++) this._palette[s] = P.pointFillOf(this._slotTid[s]);
      if (this._map && this._ctx && this._drawn) this.lastDrawMs = this._draw(); // same size and place
      return this._slotTid.length - 1;
    },

    /* _update(list): recompute these points' territory; repaint those that changed. */
    _update: function (list) {
      var changed = [];
      for (var k = 0; k < list.length; k++) {
        var i = list[k];
        var slot = this._slot(this._effective(i));
        if (slot !== this._index[i]) {
          this._index[i] = slot;
          changed.push(i);
        }
      }
      if (changed.length) this._regroup = true;
      if (this._map && this._ctx && this._drawn) this._paintPoints(changed);
      return changed.length;
    },

    /* unitsChanged(unitIds | null): the accounts following these units (all if null). */
    unitsChanged: function (unitIds) {
      if (!this._live) return 0;
      if (unitIds === null) {
        var all = [];
        for (var i = 0; i < this._n; i++) all.push(i);
        return this._update(all);
      }
      if (!this._byUnit) {
        this._byUnit = {};
        for (var j = 0; j < this._n; j++) {
          if (this._own[j] !== FOLLOW || this._unit[j] < 0) continue;
          (this._byUnit[this._unit[j]] = this._byUnit[this._unit[j]] || []).push(j);
        }
      }
      var list = [];
      for (var u = 0; u < unitIds.length; u++) {
        var pts = this._byUnit[unitIds[u]];
        if (pts) for (var q = 0; q < pts.length; q++) list.push(pts[q]);
      }
      return this._update(list);
    },

    /* assign({accountId: code}): new own assignments (pins, free-form accounts). */
    assign: function (mapping) {
      if (!this._live) return 0;
      this._positions();
      var list = [];
      Object.keys(mapping).forEach(function (id) {
        var j = this._pos[id];
        if (j === undefined) return;
        var code = mapping[id] === null ? -1 : mapping[id];
        if (code === FOLLOW && this._own[j] !== FOLLOW) this._byUnit = null; // rebuilt lazily
        if (code !== FOLLOW && this._own[j] === FOLLOW) this._byUnit = null;
        this._own[j] = code;
        list.push(j);
      }, this);
      return this._update(list);
    },

    /* territoryOf(i): the territory id point i is drawn for (-1 none, null: colour only). */
    territoryOf: function (i) {
      return this._live ? this._effective(i) : null;
    },

    _positions: function () {
      if (!this._pos) {
        this._pos = {};
        for (var i = 0; i < this._n; i++) this._pos[this._ids[i]] = i;
      }
    },

    /* recolour({id: css}): new colours for some points (after a move). Only the changed
       points are painted over their old dots now (O(changed)); the colour grouping is redone
       lazily at the next full draw (pan/zoom), so a move never redraws all 100k points. */
    recolour: function (mapping) {
      this._positions();
      var seen = {};
      for (var p = 0; p < this._palette.length; p++) seen[this._palette[p]] = p;
      var changed = [];
      Object.keys(mapping).forEach(function (id) {
        var j = this._pos[id];
        if (j === undefined) return;
        var colour = mapping[id];
        if (!(colour in seen)) {
          seen[colour] = this._palette.length;
          this._palette.push(colour);
        }
        this._index[j] = seen[colour];
        changed.push(j);
      }, this);
      if (changed.length) this._regroup = true;
      if (this._map && this._ctx && this._drawn) this._paintPoints(changed);
      return changed.length;
    },

    /* _paintPoints(list): draw these points (by index) at their last drawn positions. */
    _paintPoints: function (list) {
      var ctx = this._ctx, r = this._lastRadius, px = this._px, py = this._py;
      var w = this._dim.x, h = this._dim.y;
      ctx.globalAlpha = 1;
      for (var k = 0; k < list.length; k++) {
        var i = list[k], x = px[i], y = py[i];
        if (x < -r || y < -r || x > w + r || y > h + r) continue;
        ctx.fillStyle = this._palette[this._index[i]];
        ctx.beginPath();
        if (this._lastTiny) {
          ctx.rect(x - r, y - r, 2 * r, 2 * r);
        } else {
          ctx.arc(x, y, r + 0.5, 0, 2 * Math.PI); // a hair larger: covers the old dot's edge
        }
        ctx.fill();
      }
      ctx.globalAlpha = 0.85;
    },

    colourOf: function (id) {
      this._positions();
      var j = this._pos[id];
      return j === undefined ? null : this._palette[this._index[j]];
    },

    count: function () {
      return this._n;
    },
    idAt: function (i) {
      return this._ids[i];
    },

    onAdd: function (map) {
      var canvas = (this._canvas = L.DomUtil.create("canvas", "tp-points leaflet-zoom-animated"));
      this._ctx = canvas.getContext("2d");
      this.getPane().appendChild(canvas);
      this._reset();
    },
    onRemove: function () {
      L.DomUtil.remove(this._canvas);
      this._canvas = null;
    },
    getEvents: function () {
      return { moveend: this._reset, zoomanim: this._onZoomAnim, zoom: this._onZoom, resize: this._reset };
    },

    /* _onZoomAnim / _onZoom: scale the last frame during zoom, as L.Renderer does. */
    _onZoomAnim: function (e) {
      this._updateTransform(e.center, e.zoom);
    },
    _onZoom: function () {
      this._updateTransform(this._map.getCenter(), this._map.getZoom());
    },
    _updateTransform: function (center, zoom) {
      var map = this._map;
      var scale = map.getZoomScale(zoom, this._zoom);
      var viewHalf = map.getSize().multiplyBy(0.5 + this.options.padding);
      var currentCenterPoint = map.project(this._center, zoom);
      var topLeft = viewHalf.multiplyBy(-scale).add(currentCenterPoint).subtract(map._getNewPixelOrigin(center, zoom));
      L.DomUtil.setTransform(this._canvas, topLeft, scale);
    },

    /* _reset: size the canvas to the view plus padding and redraw every visible point. */
    _reset: function () {
      var map = this._map;
      if (!map || !this._canvas) return;
      var p = this.options.padding;
      var size = map.getSize();
      var min = map.containerPointToLayerPoint(size.multiplyBy(-p)).round();
      var dim = size.multiplyBy(1 + p * 2).round();
      this._center = map.getCenter();
      this._zoom = map.getZoom();
      this._origin = min; // layer point of the canvas' top-left
      var ratio = window.devicePixelRatio || 1;
      L.DomUtil.setPosition(this._canvas, min);
      this._canvas.width = dim.x * ratio;
      this._canvas.height = dim.y * ratio;
      this._canvas.style.width = dim.x + "px";
      this._canvas.style.height = dim.y + "px";
      this._ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      this._dim = dim;
      this.lastDrawMs = this._draw();
    },

    /* _draw: one path per colour; returns ms. Also rebuilds the hit-test grid. */
    _draw: function () {
      var t0 = performance.now();
      var map = this._map;
      var ctx = this._ctx;
      var scale = 256 * Math.pow(2, this._zoom);
      var pixelOrigin = map.getPixelOrigin();
      var ox = pixelOrigin.x + this._origin.x; // world pixel of canvas (0, 0)
      var oy = pixelOrigin.y + this._origin.y;
      var w = this._dim.x, h = this._dim.y;
      if (this._regroup) {
        this._group();
        this._regroup = false;
      }
      var r = this._zoom >= 9 ? this.options.radius + 1 : this.options.radius;
      this._lastRadius = r;
      this._drawn = true;
      var mx = this._mx, my = this._my, order = this._order, start = this._colourStart;
      var px = this._px, py = this._py;
      var visible = new Int32Array(this._n);
      var nv = 0;
      var tiny = r <= 3 && this._n > 20000; // squares are ~5x cheaper than arcs, same look at 3 px
      this._lastTiny = tiny;
      ctx.clearRect(0, 0, w, h);
      ctx.globalAlpha = 0.85;
      for (var c = 0; c < this._palette.length; c++) {
        ctx.fillStyle = this._palette[c];
        ctx.beginPath();
        for (var k = start[c]; k < start[c + 1]; k++) {
          var i = order[k];
          var x = mx[i] * scale - ox, y = my[i] * scale - oy;
          px[i] = x;
          py[i] = y;
          if (x < -r || y < -r || x > w + r || y > h + r) continue;
          visible[nv++] = i;
          if (tiny) {
            ctx.rect(x - r, y - r, 2 * r, 2 * r);
          } else {
            ctx.moveTo(x + r, y);
            ctx.arc(x, y, r, 0, 2 * Math.PI);
          }
        }
        ctx.fill();
      }
      this._buildGrid(visible, nv, w, h);
      return performance.now() - t0;
    },

    /* _buildGrid: counting sort of visible points into CELL-sized screen cells. */
    _buildGrid: function (visible, nv, w, h) {
      var cols = Math.ceil(w / CELL) + 1, rows = Math.ceil(h / CELL) + 1;
      var start = new Int32Array(cols * rows + 1);
      var cellOf = new Int32Array(nv);
      for (var k = 0; k < nv; k++) {
        var j = visible[k];
        var cx = Math.max(0, Math.min(cols - 1, Math.floor(this._px[j] / CELL)));
        var cy = Math.max(0, Math.min(rows - 1, Math.floor(this._py[j] / CELL)));
        cellOf[k] = cy * cols + cx;
        start[cellOf[k] + 1]++;
      }
      for (var c = 0; c < cols * rows; c++) start[c + 1] += start[c];
      var fill = start.slice(0, cols * rows);
      var items = new Int32Array(nv);
      for (var m = 0; m < nv; m++) items[fill[cellOf[m]]++] = visible[m];
      this._grid = { cols: cols, rows: rows, start: start, items: items };
    },

    /* hitTest(containerPoint): index of the nearest point within radius + 3 px, or -1. */
    hitTest: function (cp) {
      if (!this._grid || !this._map) return -1;
      var pos = L.DomUtil.getPosition(this._map.getPane("mapPane"));
      // container point -> canvas point: undo the map pane offset and the canvas origin
      var x = cp.x - pos.x - this._origin.x, y = cp.y - pos.y - this._origin.y;
      var g = this._grid, best = -1, bestD = Math.pow(this.options.radius + 3, 2);
      var cx = Math.floor(x / CELL), cy = Math.floor(y / CELL);
      for (var dy = -1; dy <= 1; dy++) {
        for (var dx = -1; dx <= 1; dx++) {
          var gx = cx + dx, gy = cy + dy;
          if (gx < 0 || gy < 0 || gx >= g.cols || gy >= g.rows) continue;
          var cell = gy * g.cols + gx;
          for (var k = g.start[cell]; k < g.start[cell + 1]; k++) {
            var i = g.items[k];
            var d = (this._px[i] - x) * (this._px[i] - x) + (this._py[i] - y) * (this._py[i] - y);
            if (d <= bestD) {
              bestD = d;
              best = i;
            }
          }
        }
      }
      return best;
    },

    /* tooltipContent(i, el): DOM text for a point; names go through textContent. */
    tooltipContent: function (i, el) {
      var box = el("div", "tp-tip-body");
      if (this._names) box.appendChild(el("div", "tp-tip-name", this._names[i]));
      box.appendChild(el("div", "tp-tip-code", "Account " + this._ids[i]));
      if (this._live) box.appendChild(el("div", "tp-tip-territory", P.nameOf(this._effective(i))));
      return box;
    },
  });

  /* ------------------------------------------------------------ TP functions for accounts */
  var TP = window.TP;
  var S = P.S;
  S.accounts = null;

  TP.setAccounts = function (data) {
    if (S.accounts) S.map.removeLayer(S.accounts);
    S.accounts = new window.TPPointsLayer(data);
    var t0 = performance.now();
    S.accounts.addTo(S.map);
    var ms = performance.now() - t0;
    P.afterPaint(function () {
      P.send({ kind: "rendered", layer: "accounts" });
    });
    return ms;
  };

  TP.assignAccounts = function (mapping) {
    return S.accounts ? S.accounts.assign(mapping || {}) : 0;
  };

  TP.restyleAccounts = function (mapping) {
    return S.accounts ? S.accounts.recolour(mapping) : 0;
  };

  /* TP.accountColour(id): the colour an account point is drawn in (tests, debugging). */
  TP.accountColour = function (id) {
    return S.accounts ? S.accounts.colourOf(id) : null;
  };

  P.listen("units", function (ids) {
    if (S.accounts) S.accounts.unitsChanged(ids);
  });
  P.listen("territories", function () {
    if (S.accounts) S.accounts.refreshFills();
  });
  P.listen("fills", function () {
    if (S.accounts) S.accounts.refreshFills();
  });

  /* Hover and click on a point (units.js asks first: accounts are drawn above units). */
  P.accountHover = function (e) {
    var hit = S.accounts ? S.accounts.hitTest(e.containerPoint) : -1;
    if (hit < 0) return false;
    P.showTooltip(S.accounts.tooltipContent(hit, P.el), e.latlng);
    return true;
  };
  P.accountClick = function (e) {
    var hit = S.accounts ? S.accounts.hitTest(e.containerPoint) : -1;
    if (hit < 0) return false;
    P.send({ kind: "account_clicked", id: S.accounts.idAt(hit) });
    return true;
  };

  P.stateParts.push(function (out) {
    out.accounts = S.accounts ? S.accounts.count() : 0;
  });
})();
