/*
 * TPPointsLayer: draws millions of account points (P.AccountData, accountdata.js) on one canvas.
 *
 * Why pixels and not canvas paths: a path of 1M squares costs ~0.5 s to fill; writing each
 * point's few pixels into an ImageData costs ~20 ns. Why aggregate: beyond `maxPoints` visible
 * accounts (a few hundred thousand) single dots only make a smear and cost time, so the view is
 * binned into `cell`-pixel squares, each drawn in the colour of its most frequent territory
 * (Boyer-Moore majority vote, exact when one territory holds most of the cell) and more opaque
 * the more accounts it holds (log scale). Zooming in below the threshold turns it into points.
 *
 * Like Leaflet's own renderers, the canvas covers the view plus padding, follows the map pane
 * while panning, is scaled during a zoom animation and redrawn on moveend. After an edit only
 * the changed accounts are repainted (points mode: their dots, one dirty rectangle); in the
 * density mode the visible bins are recounted (one pass over the visible accounts), at most once
 * per animation frame however many changes arrive in it.
 */
(function () {
  "use strict";

  var HIT_CELL = 16; // hit-test grid cell, CSS pixels
  var POINT_ALPHA = 217; // 0.85, as the older canvas layer drew
  var P = window.TP._;

  var rgbCache = {};
  var probe = null;
  /* rgbOf(css): 0x00BBGGRR of any CSS colour (through a 1x1 canvas; cached). */
  function rgbOf(css) {
    var hit = rgbCache[css];
    if (hit !== undefined) return hit;
    if (!probe) probe = document.createElement("canvas").getContext("2d", { willReadFrequently: true });
    probe.clearRect(0, 0, 1, 1);
    probe.fillStyle = "#000";
    probe.fillStyle = css;
    probe.fillRect(0, 0, 1, 1);
    var d = probe.getImageData(0, 0, 1, 1).data;
    return (rgbCache[css] = ((d[2] << 16) | (d[1] << 8) | d[0]) >>> 0);
  }

  /* disc(r): half-widths of each row of a disc of radius r pixels (dy = -r .. r). */
  function disc(r) {
    var rows = new Int32Array(2 * r + 1);
    for (var dy = -r; dy <= r; dy++) rows[dy + r] = Math.floor(Math.sqrt(r * r + r - dy * dy));
    return rows;
  }

  window.TPPointsLayer = L.Layer.extend({
    options: { pane: "tpAccounts", padding: 0.3, radius: 3, maxPoints: 300000, cell: 4 },

    initialize: function (data, options) {
      L.setOptions(this, options);
      this.data = data;
      this.mode = null; // "points" | "density" once drawn
      this.visible = 0;
    },

    onAdd: function () {
      this._canvas = L.DomUtil.create("canvas", "tp-points leaflet-zoom-animated");
      this._ctx = this._canvas.getContext("2d");
      this.getPane().appendChild(this._canvas);
      this._reset();
    },
    onRemove: function () {
      L.DomUtil.remove(this._canvas);
      this._canvas = this._ctx = this._image = null;
    },
    getEvents: function () {
      return { moveend: this._reset, zoomanim: this._onZoomAnim, zoom: this._onZoom, resize: this._reset };
    },

    /* setOptions({maxPoints, cell, radius}): then one redraw. */
    setOptions: function (options) {
      L.setOptions(this, options);
      if (this._map) this._reset();
    },

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

    /* _reset: size the canvas to the view plus padding, redraw. */
    _reset: function () {
      var map = this._map;
      if (!map || !this._canvas) return;
      var p = this.options.padding, size = map.getSize();
      var min = map.containerPointToLayerPoint(size.multiplyBy(-p)).round();
      var dim = size.multiplyBy(1 + p * 2).round();
      var ratio = window.devicePixelRatio || 1;
      this._center = map.getCenter();
      this._zoom = map.getZoom();
      this._origin = min;
      this._ratio = ratio;
      L.DomUtil.setPosition(this._canvas, min);
      var w = Math.round(dim.x * ratio), h = Math.round(dim.y * ratio);
      if (!this._image || this._image.width !== w || this._image.height !== h) {
        this._canvas.width = w;
        this._canvas.height = h;
        this._image = this._ctx.createImageData(w, h);
        this._buf = new Uint32Array(this._image.data.buffer);
      }
      this._canvas.style.width = dim.x + "px";
      this._canvas.style.height = dim.y + "px";
      this.draw();
    },

    /* _frame(): device-pixel transform of the current canvas: px = x[k] * s + bx. */
    _frame: function () {
      var d = this.data, r = this._ratio, scale = 256 * Math.pow(2, this._zoom);
      var po = this._map.getPixelOrigin();
      var ox = po.x + this._origin.x, oy = po.y + this._origin.y; // world px of canvas (0, 0)
      return { s: scale * r, bx: (d.x0 * scale - ox) * r, by: (d.y0 * scale - oy) * r, scale: scale, ox: ox, oy: oy };
    },

    _colourTable: function (alpha) {
      var pal = this.data.palette, out = new Uint32Array(pal.length);
      for (var i = 0; i < pal.length; i++) out[i] = (rgbOf(pal[i]) | (alpha << 24)) >>> 0;
      return out;
    },

    /* draw(): everything in view, as points or bins; returns ms. */
    draw: function () {
      if (!this._map || !this._image) return 0;
      var t0 = performance.now();
      this._pending = false;
      var f = this._frame(), w = this._image.width, h = this._image.height;
      var margin = (this.options.radius + 1) / f.scale + P.AccountData.CELL_WORLD;
      var view = this.data.cellRuns(
        f.ox / f.scale - margin, f.oy / f.scale - margin,
        (f.ox + w / this._ratio) / f.scale + margin, (f.oy + h / this._ratio) / f.scale + margin
      );
      this._buf.fill(0);
      this._hit = null;
      if (view.total > this.options.maxPoints) this._drawDensity(view.runs, f, w, h);
      else this._drawPoints(view.runs, f, w, h);
      this._ctx.putImageData(this._image, 0, 0);
      this.lastDrawMs = performance.now() - t0;
      return this.lastDrawMs;
    },

    _radius: function () {
      var r = this._zoom >= 9 ? this.options.radius + 1 : this.options.radius;
      return Math.max(1, Math.round(r * this._ratio));
    },

    _drawPoints: function (runs, f, w, h) {
      this.mode = "points";
      var d = this.data, x = d.x, y = d.y, slot = d.slot, buf = this._buf, start = d.cellStart;
      var colours = this._colourTable(POINT_ALPHA);
      var r = (this._r = this._radius()), rows = (this._disc = disc(r));
      var vis = [], vx = [], vy = [];
      for (var q = 0; q < runs.length; q += 2) {
        for (var k = start[runs[q]]; k < start[runs[q + 1]]; k++) {
          var px = Math.round(x[k] * f.s + f.bx), py = Math.round(y[k] * f.s + f.by);
          if (px < -r || py < -r || px >= w + r || py >= h + r) continue;
          vis.push(k);
          vx.push(px);
          vy.push(py);
          paintDisc(buf, w, h, px, py, r, rows, colours[slot[k]]);
        }
      }
      this.visible = vis.length;
      this._buildHitGrid(vis, vx, vy, w, h);
    },

    /* _drawDensity: bins of `cell` px coloured by their most frequent territory. Where a grid
       cell of the data is at most half a bin (small zooms) the bins are counted from the
       cells (their account count and majority slot), else from the accounts. */
    _drawDensity: function (runs, f, w, h) {
      this.mode = "density";
      var D = Math.max(1, Math.round(this.options.cell * this._ratio));
      var cols = Math.ceil(w / D), rows = Math.ceil(h / D), nc = cols * rows;
      var bins = { count: new Int32Array(nc), votes: new Int32Array(nc), cand: new Uint16Array(nc), cols: cols, D: D };
      var cellPx = P.AccountData.CELL_WORLD * f.s;
      this.visible = cellPx <= D / 2 ? this._binCells(runs, f, w, h, bins) : this._binAccounts(runs, f, w, h, bins);
      var count = bins.count, cand = bins.cand, max = 1;
      for (var i = 0; i < nc; i++) if (count[i] > max) max = count[i];
      var rgb = this._colourTable(0), buf = this._buf, scale = 1 / Math.log(1 + max);
      for (var cy = 0; cy < rows; cy++) {
        for (var cx = 0; cx < cols; cx++) {
          var n = count[cy * cols + cx];
          if (!n) continue;
          var alpha = Math.round(255 * (0.35 + 0.55 * Math.log(1 + n) * scale));
          var colour = (rgb[cand[cy * cols + cx]] | (alpha << 24)) >>> 0;
          var x1 = Math.min(w, (cx + 1) * D);
          for (var yy = cy * D, y1 = Math.min(h, yy + D); yy < y1; yy++) buf.fill(colour, yy * w + cx * D, yy * w + x1);
        }
      }
    },

    _binAccounts: function (runs, f, w, h, bins) {
      var d = this.data, x = d.x, y = d.y, slot = d.slot, start = d.cellStart, seen = 0;
      var count = bins.count, votes = bins.votes, cand = bins.cand, cols = bins.cols, D = bins.D;
      for (var q = 0; q < runs.length; q += 2) {
        for (var k = start[runs[q]]; k < start[runs[q + 1]]; k++) {
          var px = x[k] * f.s + f.bx, py = y[k] * f.s + f.by;
          if (px < 0 || py < 0 || px >= w || py >= h) continue;
          var c = ((py / D) | 0) * cols + ((px / D) | 0), s = slot[k];
          seen++;
          count[c]++;
          if (votes[c] === 0) {
            cand[c] = s;
            votes[c] = 1;
          } else if (cand[c] === s) votes[c]++;
          else votes[c]--;
        }
      }
      return seen;
    },

    _binCells: function (runs, f, w, h, bins) {
      var d = this.data, start = d.cellStart, cellSlot = d.cellSlot, keys = d.cellKeys, seen = 0;
      var G = P.AccountData.GRID, cs = f.s / G, ox = f.bx - d.x0 * f.s + cs / 2, oy = f.by - d.y0 * f.s + cs / 2;
      var count = bins.count, votes = bins.votes, cand = bins.cand, cols = bins.cols, D = bins.D;
      for (var q = 0; q < runs.length; q += 2) {
        for (var c = runs[q]; c < runs[q + 1]; c++) {
          var px = (keys[c] & (G - 1)) * cs + ox, py = (keys[c] >>> 12) * cs + oy;
          if (px < 0 || py < 0 || px >= w || py >= h) continue;
          var b = ((py / D) | 0) * cols + ((px / D) | 0), s = cellSlot[c], n = start[c + 1] - start[c];
          seen += n;
          count[b] += n;
          // Boyer-Moore with weights: the cell votes n times for its majority slot.
          if (cand[b] === s || votes[b] === 0) {
            cand[b] = s;
            votes[b] += n;
          } else if (votes[b] >= n) votes[b] -= n;
          else {
            cand[b] = s;
            votes[b] = n - votes[b];
          }
        }
      }
      return seen;
    },

    /* _buildHitGrid: visible points by HIT_CELL-sized screen cell (counting sort). */
    _buildHitGrid: function (vis, vx, vy, w, h) {
      var cell = HIT_CELL * this._ratio, cols = Math.ceil(w / cell) + 1, rows = Math.ceil(h / cell) + 1;
      var nv = vis.length, start = new Int32Array(cols * rows + 1), cellOf = new Int32Array(nv);
      for (var i = 0; i < nv; i++) {
        var cx = Math.max(0, Math.min(cols - 1, Math.floor(vx[i] / cell)));
        var cy = Math.max(0, Math.min(rows - 1, Math.floor(vy[i] / cell)));
        cellOf[i] = cy * cols + cx;
        start[cellOf[i] + 1]++;
      }
      for (var c = 0; c < cols * rows; c++) start[c + 1] += start[c];
      var fill = start.slice(0, cols * rows), items = new Int32Array(nv);
      for (var j = 0; j < nv; j++) items[fill[cellOf[j]]++] = j;
      this._hit = { cell: cell, cols: cols, rows: rows, start: start, items: items, k: Int32Array.from(vis), x: Float32Array.from(vx), y: Float32Array.from(vy) };
    },

    /* repaint(positions | null): accounts changed colour. Points mode: their dots now (one
       dirty rectangle); density mode or null: a full redraw at the next animation frame. */
    repaint: function (positions) {
      if (!this._image || !this.mode) return;
      if (positions === null || this.mode !== "points") {
        this.redrawSoon();
        return;
      }
      if (this._pending || !positions.length) return;
      var f = this._frame(), w = this._image.width, h = this._image.height, r = this._r;
      var d = this.data, colours = this._colourTable(POINT_ALPHA);
      var x0 = w, y0 = h, x1 = -1, y1 = -1;
      for (var i = 0; i < positions.length; i++) {
        var k = positions[i];
        var px = Math.round(d.x[k] * f.s + f.bx), py = Math.round(d.y[k] * f.s + f.by);
        if (px < -r || py < -r || px >= w + r || py >= h + r) continue;
        paintDisc(this._buf, w, h, px, py, r, this._disc, colours[d.slot[k]]);
        x0 = Math.min(x0, px - r);
        y0 = Math.min(y0, py - r);
        x1 = Math.max(x1, px + r);
        y1 = Math.max(y1, py + r);
      }
      if (x1 < 0) return;
      x0 = Math.max(0, x0);
      y0 = Math.max(0, y0);
      this._ctx.putImageData(this._image, 0, 0, x0, y0, Math.min(w, x1 + 1) - x0, Math.min(h, y1 + 1) - y0);
    },

    /* redrawSoon(): one full redraw at the next animation frame (changes coalesce). */
    redrawSoon: function () {
      if (this._pending) return;
      this._pending = true;
      var self = this;
      window.requestAnimationFrame(function () {
        if (self._pending) self.draw();
      });
    },

    /* hitTest(containerPoint): position of the nearest drawn point within radius + 3 px, or
       -1 (nothing, or bins: a bin is many accounts, not one). */
    hitTest: function (cp) {
      var g = this._hit;
      if (!g || !this._map || this.mode !== "points") return -1;
      var pos = L.DomUtil.getPosition(this._map.getPane("mapPane")), r = this._ratio;
      var x = (cp.x - pos.x - this._origin.x) * r, y = (cp.y - pos.y - this._origin.y) * r;
      var best = -1, bestD = Math.pow(this._r + 3 * r, 2);
      var cx = Math.floor(x / g.cell), cy = Math.floor(y / g.cell);
      for (var dy = -1; dy <= 1; dy++) {
        for (var dx = -1; dx <= 1; dx++) {
          var gx = cx + dx, gy = cy + dy;
          if (gx < 0 || gy < 0 || gx >= g.cols || gy >= g.rows) continue;
          var cell = gy * g.cols + gx;
          for (var q = g.start[cell]; q < g.start[cell + 1]; q++) {
            var i = g.items[q], dd = (g.x[i] - x) * (g.x[i] - x) + (g.y[i] - y) * (g.y[i] - y);
            if (dd <= bestD) {
              bestD = dd;
              best = g.k[i];
            }
          }
        }
      }
      return best;
    },
  });

  /* paintDisc: write one dot (a disc of radius r around px, py) into the pixel buffer. */
  function paintDisc(buf, w, h, px, py, r, rows, colour) {
    for (var dy = -r; dy <= r; dy++) {
      var yy = py + dy;
      if (yy < 0 || yy >= h) continue;
      var hw = rows[dy + r], xa = Math.max(0, px - hw), xb = Math.min(w - 1, px + hw), base = yy * w;
      for (var xx = xa; xx <= xb; xx++) buf[base + xx] = colour;
    }
  }
})();
