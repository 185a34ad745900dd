/*
 * Account points as typed arrays: what the accounts layer (points.js) draws and hit-tests.
 *
 * Why typed arrays sorted by a world grid: at 1-10 million accounts one JS object, or one JSON
 * number list, per account costs seconds and gigabytes. Here an account is ~30 bytes in typed
 * arrays, stored sorted by its cell in a 4096 x 4096 Web Mercator grid, so the accounts in view
 * are a few contiguous runs (one per grid row, found by binary search) and a redraw never walks
 * the accounts outside the view.
 *
 * Two numberings: an account's *index* is its position in what Python sent (the model's account
 * index, unlocated accounts included); the page keeps located accounts in grid order, at
 * *position* k, with order[k] = index and rank[index] = k (-1: no location, never drawn).
 *
 * Colours come from the live territory model (territories.js): own[k] is the account's own
 * assignment (territory id, -1 none, -2 goes with its unit), unit[k] its unit id, slot[k] the
 * palette slot it is drawn in (slot 0: no territory). A layer given explicit colours instead
 * (the older {colour} / {territory, palette} forms) is "static": its slots index that palette.
 */
(function () {
  "use strict";

  var P = window.TP._;
  var S = P.S;
  var G = 4096; // grid cells per axis over the whole Web Mercator world
  var MAX_LAT = 85.0511287798;
  var FOLLOW = -2;

  /* IntMap: int -> int (-1 when absent); a flat array when the keys are small, else a Map. */
  function IntMap(maxKey, count) {
    this.dense = maxKey >= 0 && maxKey < 4 * count + 65536 ? new Int32Array(maxKey + 1).fill(-1) : null;
    this.map = this.dense ? null : new Map();
  }
  IntMap.prototype.get = function (key) {
    if (this.dense) return key >= 0 && key < this.dense.length ? this.dense[key] : -1;
    var v = this.map.get(key);
    return v === undefined ? -1 : v;
  };
  IntMap.prototype.set = function (key, value) {
    if (this.dense && key >= 0 && key < this.dense.length) this.dense[key] = value;
    else if (this.dense) throw new Error("IntMap: key out of range " + key);
    else this.map.set(key, value);
  };

  function mercY(lat) {
    var s = Math.sin((Math.max(-MAX_LAT, Math.min(MAX_LAT, lat)) * Math.PI) / 180);
    return 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
  }

  /* AccountData(src): src = {n, lon, lat, unit?, own?, ids?, idStart?, names?, palette?,
     paletteIndex?}; lon/lat/unit/own are arrays or typed arrays by index. */
  function AccountData(src) {
    var n = (this.n = src.n);
    var lon = src.lon, lat = src.lat;
    this.ids = src.ids || null; // by index; or consecutive from idStart
    this.idStart = src.idStart === undefined ? null : src.idStart;
    this.names = src.names || null;
    this.live = !src.palette;
    // Pass 1: grid keys (and the origin the Float32 offsets are taken from).
    var keys = new Int32Array(n);
    var minLon = Infinity, maxLat = -Infinity, m = 0;
    for (var i = 0; i < n; i++) {
      if (Number.isFinite(lon[i]) && Number.isFinite(lat[i])) {
        if (lon[i] < minLon) minLon = lon[i];
        if (lat[i] > maxLat) maxLat = lat[i];
      }
    }
    this.x0 = minLon === Infinity ? 0 : (minLon + 180) / 360;
    this.y0 = maxLat === -Infinity ? 0 : mercY(maxLat);
    var minKey = 2147483647, maxKey = -1;
    var tx = new Float32Array(n), ty = new Float32Array(n);
    for (var j = 0; j < n; j++) {
      if (!(Number.isFinite(lon[j]) && Number.isFinite(lat[j]))) {
        keys[j] = -1;
        continue;
      }
      var x = (lon[j] + 180) / 360, y = mercY(lat[j]);
      var gx = Math.max(0, Math.min(G - 1, Math.floor(x * G)));
      var gy = Math.max(0, Math.min(G - 1, Math.floor(y * G)));
      var key = gy * G + gx;
      keys[j] = key;
      if (key < minKey) minKey = key;
      if (key > maxKey) maxKey = key;
      tx[j] = x - this.x0;
      ty[j] = y - this.y0;
      m++;
    }
    // Pass 2: counting sort of located accounts by key (stable: index order within a cell).
    this.m = m;
    var span = maxKey >= minKey ? maxKey - minKey + 1 : 0;
    var count = new Int32Array(span + 1);
    for (var a = 0; a < n; a++) if (keys[a] >= 0) count[keys[a] - minKey + 1]++;
    var cells = 0;
    for (var b = 0; b < span; b++) {
      if (count[b + 1]) cells++;
      count[b + 1] += count[b];
    }
    this.order = new Int32Array(m);
    this.rank = new Int32Array(n).fill(-1);
    this.x = new Float32Array(m);
    this.y = new Float32Array(m);
    this.own = new Int32Array(m);
    this.unit = new Int32Array(m).fill(-1);
    this.slot = new Uint16Array(m);
    for (var c = 0; c < n; c++) {
      if (keys[c] < 0) continue;
      var k = count[keys[c] - minKey]++;
      this.order[k] = c;
      this.rank[c] = k;
      this.x[k] = tx[c];
      this.y[k] = ty[c];
      if (src.own) this.own[k] = src.own[c];
      if (src.unit) this.unit[k] = src.unit[c];
      if (src.paletteIndex) this.slot[k] = src.paletteIndex[c];
    }
    // Occupied cells: their keys (sorted) and where their accounts start.
    this.cellKeys = new Int32Array(cells);
    this.cellStart = new Int32Array(cells + 1);
    var q = 0, last = -1;
    for (var p = 0; p < m; p++) {
      var kk = keys[this.order[p]];
      if (kk !== last) {
        this.cellKeys[q] = kk;
        this.cellStart[q++] = p;
        last = kk;
      }
    }
    this.cellStart[cells] = m;
    if (this.live) {
      this.palette = [P.UNASSIGNED_POINT];
      this.slotTid = [-1];
      this.slotOf = new Map();
      this.unitsChanged(null);
    } else {
      this.palette = src.palette.slice();
    }
  }

  /* idAt(index): the account's database id (clicks, tests). */
  AccountData.prototype.idAt = function (index) {
    if (this.idStart !== null) return this.idStart + index;
    return this.ids ? this.ids[index] : index;
  };

  /* indexOfId(id): the index of a database id, or -1 (ids ascending: binary search). */
  AccountData.prototype.indexOfId = function (id) {
    id = Number(id);
    if (this.idStart !== null) {
      var i = id - this.idStart;
      return i >= 0 && i < this.n ? i : -1;
    }
    var ids = this.ids;
    if (!ids) return id >= 0 && id < this.n ? id : -1;
    if (this._sorted === undefined) {
      this._sorted = true;
      for (var k = 1; k < ids.length; k++) if (ids[k] < ids[k - 1]) this._sorted = false;
    }
    if (!this._sorted) {
      if (!this._idIndex) {
        this._idIndex = new Map();
        for (var j = 0; j < ids.length; j++) this._idIndex.set(Number(ids[j]), j);
      }
      var v = this._idIndex.get(id);
      return v === undefined ? -1 : v;
    }
    var lo = 0, hi = ids.length - 1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (ids[mid] < id) lo = mid + 1;
      else if (ids[mid] > id) hi = mid - 1;
      else return mid;
    }
    return -1;
  };

  /* _slot(tid): the palette slot of a territory (created on first use; 0 = none). */
  AccountData.prototype._slot = function (tid) {
    if (!P.isTerritory(tid)) return 0;
    var s = this.slotOf.get(tid);
    if (s === undefined) {
      s = this.palette.length;
      if (s > 65535) throw new Error("too many territories for the accounts layer");
      this.slotOf.set(tid, s);
      this.slotTid.push(tid);
      this.palette.push(P.pointFillOf(tid));
    }
    return s;
  };

  /* refreshPalette(): territory colours or fills changed: one colour per slot, no account. */
  AccountData.prototype.refreshPalette = function () {
    if (!this.live) return false;
    for (var s = 1; s < this.slotTid.length; s++) this.palette[s] = P.pointFillOf(this.slotTid[s]);
    return true;
  };

  /* _unitOrdinals(): unit id -> position in the units layer, and each ordinal's territory. */
  AccountData.prototype._unitOrdinals = function () {
    var list = S.unitList || [];
    var maxId = -1;
    for (var u = 0; u < list.length; u++) maxId = Math.max(maxId, list[u].feature.properties.id);
    var ord = new IntMap(maxId, list.length);
    var tid = new Int32Array(list.length);
    for (var v = 0; v < list.length; v++) {
      var entry = list[v];
      ord.set(entry.feature.properties.id, v);
      tid[v] = entry.live && P.isTerritory(entry.tid) ? entry.tid : -1;
    }
    return { ord: ord, tid: tid, n: list.length };
  };

  /* _indexUnits(units): accounts by unit ordinal (counting sort): a unit move finds its
     accounts in O(its accounts). Pins are kept in (their own code decides, checked then). */
  AccountData.prototype._indexUnits = function (units) {
    var m = this.m, start = new Int32Array(units.n + 1), uo = new Int32Array(m);
    for (var k = 0; k < m; k++) {
      uo[k] = this.unit[k] >= 0 ? units.ord.get(this.unit[k]) : -1;
      if (uo[k] >= 0) start[uo[k] + 1]++;
    }
    for (var u = 0; u < units.n; u++) start[u + 1] += start[u];
    var fill = start.slice(0, units.n), items = new Int32Array(start[units.n]);
    for (var j = 0; j < m; j++) if (uo[j] >= 0) items[fill[uo[j]]++] = j;
    this.byUnit = { ord: units.ord, start: start, items: items };
    return uo;
  };

  /* unitsChanged(unitIds | null): recompute the accounts that follow these units (all when
     null: a new units layer or a new accounts layer). Returns the changed positions, or null
     when everything was recomputed. */
  AccountData.prototype.unitsChanged = function (unitIds) {
    if (!this.live) return [];
    if (unitIds === null || !this.byUnit) {
      var units = this._unitOrdinals();
      var uo = this._indexUnits(units);
      var last = null, lastSlot = 0;
      for (var k = 0; k < this.m; k++) {
        var own = this.own[k];
        var t = own !== FOLLOW ? own : uo[k] >= 0 ? units.tid[uo[k]] : -1;
        if (t !== last) {
          last = t;
          lastSlot = this._slot(t);
        }
        this.slot[k] = lastSlot;
      }
      return null;
    }
    var changed = [], by = this.byUnit;
    for (var i = 0; i < unitIds.length; i++) {
      var o = by.ord.get(Number(unitIds[i]));
      if (o < 0) continue;
      var tid = P.unitTerritory(unitIds[i]);
      var s = this._slot(P.isTerritory(tid) ? tid : -1);
      for (var q = by.start[o]; q < by.start[o + 1]; q++) {
        var p = by.items[q];
        if (this.own[p] === FOLLOW && this.slot[p] !== s) {
          this.slot[p] = s;
          changed.push(p);
        }
      }
    }
    return changed;
  };

  /* effective(k): the territory id the account at position k is drawn for (-1: none). */
  AccountData.prototype.effective = function (k) {
    if (!this.live) return null;
    var own = this.own[k];
    if (own !== FOLLOW) return P.isTerritory(own) ? own : -1;
    var tid = this.unit[k] >= 0 ? P.unitTerritory(this.unit[k]) : null;
    return P.isTerritory(tid) ? tid : -1;
  };

  /* assignAt(indices, codes): new own assignments (pins, free-form); changed positions. */
  AccountData.prototype.assignAt = function (indices, codes) {
    var changed = [];
    if (!this.live) return changed;
    for (var i = 0; i < indices.length; i++) {
      var index = indices[i];
      var k = index >= 0 && index < this.n ? this.rank[index] : -1;
      if (k < 0) continue;
      this.own[k] = codes[i] === null ? -1 : codes[i];
      var s = this._slot(this.effective(k));
      if (s !== this.slot[k]) {
        this.slot[k] = s;
        changed.push(k);
      }
    }
    return changed;
  };

  /* recolourAt(indices, colours): explicit colours (the older restyleAccounts). */
  AccountData.prototype.recolourAt = function (indices, colours) {
    var seen = {}, changed = [];
    for (var p = 0; p < this.palette.length; p++) seen[this.palette[p]] = p;
    for (var i = 0; i < indices.length; i++) {
      var k = indices[i] >= 0 && indices[i] < this.n ? this.rank[indices[i]] : -1;
      if (k < 0) continue;
      var c = String(colours[i]);
      if (!(c in seen)) {
        seen[c] = this.palette.length;
        this.palette.push(c);
      }
      this.slot[k] = seen[c];
      changed.push(k);
    }
    return changed;
  };

  /* ranges(wx0, wy0, wx1, wy1): runs [start, end) of positions whose grid cell meets this
     world rectangle (normalised Web Mercator), as a flat Int32Array, and their total. */
  AccountData.prototype.ranges = function (wx0, wy0, wx1, wy1) {
    var cx0 = Math.max(0, Math.floor(wx0 * G)), cx1 = Math.min(G - 1, Math.floor(wx1 * G));
    var cy0 = Math.max(0, Math.floor(wy0 * G)), cy1 = Math.min(G - 1, Math.floor(wy1 * G));
    var out = [], total = 0, keys = this.cellKeys;
    if (cx1 < cx0 || cy1 < cy0 || !keys.length) return { runs: new Int32Array(0), total: 0 };
    for (var cy = cy0; cy <= cy1; cy++) {
      var a = lowerBound(keys, cy * G + cx0), b = lowerBound(keys, cy * G + cx1 + 1);
      if (a < b) {
        var s = this.cellStart[a], e = this.cellStart[b];
        if (out.length && out[out.length - 1] === s) out[out.length - 1] = e; // adjacent rows
        else out.push(s, e);
        total += e - s;
      }
    }
    return { runs: Int32Array.from(out), total: total };
  };

  function lowerBound(arr, value) {
    var lo = 0, hi = arr.length;
    while (lo < hi) {
      var mid = (lo + hi) >>> 1;
      if (arr[mid] < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  P.AccountData = AccountData;
})();
