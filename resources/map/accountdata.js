/*
 * Account points as typed arrays: what the accounts layer (points.js) draws and hit-tests.
 *
 * Why typed arrays sorted by a world grid: at 1-10 million accounts one JS object, or one JSON
 * number list, per account costs seconds and gigabytes. Here an account is ~30 bytes in typed
 * arrays, stored sorted by its cell in a 4096 x 4096 Web Mercator grid, so the accounts in view
 * are a few contiguous runs (one per grid row, found by binary search) and a redraw never walks
 * the accounts outside the view. A binary layer arrives already in that order (Python sorts it:
 * planner/model/mapdata_grid.py, with the same grid); a JSON layer is sorted here.
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

  /* Web Mercator y by table: linear between 0.01 degree steps is within 1e-9 of the world
     (0.07 px at zoom 18) and ~10x cheaper than sin + log for ten million accounts. */
  var STEP = 100; // table entries per degree
  var MERC = new Float64Array(Math.ceil(2 * MAX_LAT * STEP) + 2);
  for (var t = 0; t < MERC.length; t++) MERC[t] = mercY(t / STEP - MAX_LAT);
  var TABLE_LAT = (MERC.length - 3) / STEP - MAX_LAT; // beyond: exact (polar accounts)
  function mercYFast(lat) {
    if (lat > TABLE_LAT || lat < -MAX_LAT) return mercY(lat);
    var f = (lat + MAX_LAT) * STEP;
    var i = f | 0;
    return MERC[i] + (f - i) * (MERC[i + 1] - MERC[i]);
  }
  P.mercY = mercYFast;

  /* AccountData(src): src = {n, lon, lat, unit?, own?, ids?, idStart?, names?, palette?,
     paletteIndex?}; lon/lat/unit/own are arrays or typed arrays by index. Or, presorted,
     {n, sorted: true, m, x0, y0, x, y, unit, own, order, cellKeys, cellStart, ids?, idStart?}
     with the columns by position (see presorted). */
  function AccountData(src) {
    var t0 = performance.now();
    this.n = src.n;
    this.ids = src.ids || null; // by index; or consecutive from idStart
    this.idStart = src.idStart === undefined ? null : src.idStart;
    this.names = src.names || null;
    this.live = !src.palette;
    var sorted;
    if (src.sorted) {
      this.times = { keys: 0 };
      sorted = presorted(src);
    } else {
      var rows = rowsOf(src);
      this.times = { keys: performance.now() - t0 };
      sorted = sortByCell(src, rows);
    }
    this.m = sorted.m;
    this.x0 = sorted.x0;
    this.y0 = sorted.y0;
    this.order = sorted.order; // position -> index
    this.rank = sorted.rank; // index -> position (-1: not located)
    this.x = sorted.x; // Web Mercator, offset from x0, y0
    this.y = sorted.y;
    this.own = sorted.own;
    this.unit = sorted.unit;
    this.slot = sorted.slot;
    this.cellKeys = sorted.cellKeys; // occupied grid cells, ascending
    this.cellStart = sorted.cellStart; // where each one's accounts start (+ m at the end)
    this.cellSlot = new Uint16Array(sorted.cellKeys.length); // each one's most frequent slot
    this.times.sort = performance.now() - t0;
    if (this.live) {
      this.palette = [P.UNASSIGNED_POINT];
      this.slotTid = [-1];
      this.slotOf = new Map();
      this.unitsChanged(null);
    } else {
      this.palette = src.palette.slice();
    }
    this.times.units = performance.now() - t0;
    this.voteCells(null);
    this.times.slots = performance.now() - t0;
  }

  /* rowsOf(src): the origin (north-west corner of the data), each located account's grid key
     (-1: no location) and where each grid row starts in grid order. */
  function rowsOf(src) {
    var n = src.n, lon = src.lon, lat = src.lat, i;
    var minLon = Infinity, maxLat = -Infinity;
    for (i = 0; i < n; i++) {
      if (Number.isFinite(lon[i]) && Number.isFinite(lat[i])) {
        if (lon[i] < minLon) minLon = lon[i];
        if (lat[i] > maxLat) maxLat = lat[i];
      }
    }
    var keys = new Int32Array(n), rowStart = new Int32Array(G + 1), m = 0;
    for (i = 0; i < n; i++) {
      var lo = lon[i], la = lat[i];
      if (!(Number.isFinite(lo) && Number.isFinite(la))) {
        keys[i] = -1;
        continue;
      }
      var gx = Math.floor(((lo + 180) / 360) * G), gy = Math.floor(mercYFast(la) * G);
      gx = gx < 0 ? 0 : gx >= G ? G - 1 : gx;
      gy = gy < 0 ? 0 : gy >= G ? G - 1 : gy;
      keys[i] = gy * G + gx;
      rowStart[gy + 1]++;
      m++;
    }
    for (var r = 0; r < G; r++) rowStart[r + 1] += rowStart[r];
    return {
      keys: keys,
      rowStart: rowStart,
      m: m,
      x0: minLon === Infinity ? 0 : (minLon + 180) / 360,
      y0: maxLat === -Infinity ? 0 : mercYFast(maxLat),
    };
  }

  /* sortByCell(src, rows): located accounts in grid order, by a two-pass radix sort (rows,
     then columns within a row) that carries the columns along. Each pass reads in order and
     writes to a few places at a time; sorting indices and then gathering each column through
     them cost ~5 random memory accesses per account (2.1 of 3.2 s at 10M accounts). */
  function sortByCell(src, rows) {
    var n = src.n, m = rows.m, keys = rows.keys, lon = src.lon, lat = src.lat, i, p;
    var own = src.own, unit = src.unit, pal = src.paletteIndex, x0 = rows.x0, y0 = rows.y0;
    // Pass 1: into rows (stable), with the Web Mercator offsets computed on the way.
    var fill = rows.rowStart.slice(0, G);
    var tIdx = new Int32Array(m), tCol = new Uint16Array(m), tX = new Float32Array(m), tY = new Float32Array(m);
    var tOwn = new Int32Array(m), tUnit = new Int32Array(m).fill(-1), tSlot = new Uint16Array(m);
    for (i = 0; i < n; i++) {
      var key = keys[i];
      if (key < 0) continue;
      p = fill[key >>> 12]++;
      tIdx[p] = i;
      tCol[p] = key & (G - 1);
      tX[p] = (lon[i] + 180) / 360 - x0;
      tY[p] = mercYFast(lat[i]) - y0;
      if (own) tOwn[p] = own[i];
      if (unit) tUnit[p] = unit[i];
      if (pal) tSlot[p] = pal[i];
    }
    // Pass 2: each row by column, into the final arrays; the occupied cells on the way.
    var order = new Int32Array(m), rank = new Int32Array(n).fill(-1);
    var x = new Float32Array(m), y = new Float32Array(m), ownOut = new Int32Array(m);
    var unitOut = new Int32Array(m), slot = new Uint16Array(m);
    var cellKeys = [], cellStart = [], col = new Int32Array(G + 1);
    for (var r = 0; r < G; r++) {
      var a = rows.rowStart[r], b = rows.rowStart[r + 1];
      if (a === b) continue;
      col.fill(0);
      for (p = a; p < b; p++) col[tCol[p] + 1]++;
      for (var c = 0; c < G; c++) {
        if (col[c + 1]) {
          cellKeys.push(r * G + c);
          cellStart.push(a + col[c]);
        }
        col[c + 1] += col[c];
      }
      for (p = a; p < b; p++) {
        var k = a + col[tCol[p]]++;
        order[k] = tIdx[p];
        rank[tIdx[p]] = k;
        x[k] = tX[p];
        y[k] = tY[p];
        ownOut[k] = tOwn[p];
        unitOut[k] = tUnit[p];
        slot[k] = tSlot[p];
      }
    }
    cellStart.push(m);
    return {
      m: m, x0: x0, y0: y0, order: order, rank: rank, x: x, y: y, own: ownOut, unit: unitOut,
      slot: slot, cellKeys: Int32Array.from(cellKeys), cellStart: Int32Array.from(cellStart),
    };
  }

  /* presorted(src): a layer Python sent in grid order (binary files): its columns are used as
     they are (views on the file's buffer, no copy); only rank (index -> position) is made,
     unless src.rank came with it (accounts.js reads the file and makes it on a worker). */
  function presorted(src) {
    var m = src.m, order = src.order, rank = src.rank; // made by the file's reader if it could
    if (!rank || rank.length !== src.n) {
      rank = new Int32Array(src.n).fill(-1);
      for (var k = 0; k < m; k++) rank[order[k]] = k;
    }
    return {
      m: m, x0: src.x0, y0: src.y0, order: order, rank: rank, x: src.x, y: src.y, own: src.own,
      unit: src.unit, slot: src.slot && src.slot.length === m ? src.slot : new Uint16Array(m),
      cellKeys: src.cellKeys, cellStart: src.cellStart,
    };
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

  /* _ordinalsOf(units): each account's unit ordinal (-1: none, or not in the units layer). */
  AccountData.prototype._ordinalsOf = function (units) {
    var m = this.m, uo = new Int32Array(m), unit = this.unit;
    var dense = units.ord.dense, nd = dense ? dense.length : 0;
    for (var k = 0; k < m; k++) {
      var id = unit[k];
      uo[k] = id < 0 ? -1 : dense ? (id < nd ? dense[id] : -1) : units.ord.get(id);
    }
    return uo;
  };

  /* indexUnits(): accounts by unit ordinal (counting sort), so that a unit move finds its
     accounts in O(its accounts); pins are kept in (their own code decides, checked then).
     Built once the layer has painted (accounts.js, when idle) or at the first unit move,
     whichever comes first: at 10M accounts it was about half of the layer's set-up. */
  AccountData.prototype.indexUnits = function () {
    var pending = this._pendingIndex;
    if (!pending) return;
    this._pendingIndex = null;
    var units = pending.units, uo = pending.uo, m = this.m, start = new Int32Array(units.n + 1);
    for (var k = 0; k < m; k++) if (uo[k] >= 0) start[uo[k] + 1]++;
    for (var u = 0; u < units.n; u++) start[u + 1] += start[u];
    var fill = start.slice(0, units.n), items = new Int32Array(start[units.n]);
    for (var j = 0; j < m; j++) if (uo[j] >= 0) items[fill[uo[j]]++] = j;
    this.byUnit = { ord: units.ord, start: start, items: items };
  };

  /* unitsChanged(unitIds | null): recompute the accounts that follow these units (all when
     null: a new units layer or a new accounts layer). Returns the changed positions, or null
     when everything was recomputed. */
  AccountData.prototype.unitsChanged = function (unitIds) {
    if (!this.live) return [];
    if (unitIds === null || (!this.byUnit && !this._pendingIndex)) {
      var units = this._unitOrdinals();
      var uo = this._ordinalsOf(units);
      this.byUnit = null;
      this._pendingIndex = { units: units, uo: uo };
      var last = null, lastSlot = 0, ownArr = this.own, slot = this.slot, utid = units.tid;
      for (var k = 0; k < this.m; k++) {
        var own = ownArr[k];
        var t = own !== FOLLOW ? own : uo[k] >= 0 ? utid[uo[k]] : -1;
        if (t !== last) {
          last = t;
          lastSlot = this._slot(t);
        }
        slot[k] = lastSlot;
      }
      return null;
    }
    this.indexUnits();
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
      var code = codes[i] === null ? -1 : codes[i];
      if (this.own instanceof Int16Array && (code > 32767 || code < -32768)) this.own = Int32Array.from(this.own);
      this.own[k] = code;
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

  /* cellRuns(wx0, wy0, wx1, wy1): runs [first, end) of occupied cells meeting this world
     rectangle (normalised Web Mercator), one per grid row, as a flat Int32Array, and how many
     accounts they hold. A run's accounts are positions cellStart[first] .. cellStart[end]. */
  AccountData.prototype.cellRuns = function (wx0, wy0, wx1, wy1) {
    var cx0 = Math.max(0, Math.floor(wx0 * G)), cx1 = Math.min(G - 1, Math.floor(wx1 * G));
    var cy0 = Math.max(0, Math.floor(wy0 * G)), cy1 = Math.min(G - 1, Math.floor(wy1 * G));
    var out = [], total = 0, keys = this.cellKeys;
    if (cx1 < cx0 || cy1 < cy0 || !keys.length) return { runs: new Int32Array(0), total: 0 };
    for (var cy = cy0; cy <= cy1; cy++) {
      var a = lowerBound(keys, cy * G + cx0), b = lowerBound(keys, cy * G + cx1 + 1);
      if (a < b) {
        if (out.length && out[out.length - 1] === a) out[out.length - 1] = b; // a whole row
        else out.push(a, b);
        total += this.cellStart[b] - this.cellStart[a];
      }
    }
    return { runs: Int32Array.from(out), total: total };
  };

  /* A cell key is row * GRID + column (column: key & (GRID - 1), row: key >>> 12). */
  AccountData.GRID = G;
  AccountData.CELL_WORLD = 1 / G;

  /* voteCells(positions | null): each cell's most frequent slot (Boyer-Moore majority vote)
     for the cells holding these positions (all if null): bins at small zooms are counted from
     cells, not accounts, and an edit re-votes only the cells it touched. */
  AccountData.prototype.voteCells = function (positions) {
    var start = this.cellStart, slot = this.slot, cells;
    if (positions === null) {
      cells = null;
    } else {
      var seen = new Set();
      for (var i = 0; i < positions.length; i++) seen.add(upperBound(start, positions[i]) - 1);
      cells = Array.from(seen);
    }
    var count = cells === null ? this.cellKeys.length : cells.length;
    for (var q = 0; q < count; q++) {
      var c = cells === null ? q : cells[q], cand = 0, votes = 0;
      for (var k = start[c]; k < start[c + 1]; k++) {
        if (votes === 0) {
          cand = slot[k];
          votes = 1;
        } else if (slot[k] === cand) votes++;
        else votes--;
      }
      this.cellSlot[c] = cand;
    }
  };

  function upperBound(arr, value) {
    var lo = 0, hi = arr.length;
    while (lo < hi) {
      var mid = (lo + hi) >>> 1;
      if (arr[mid] <= value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

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
