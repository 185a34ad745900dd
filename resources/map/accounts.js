/*
 * The accounts layer's TP functions: loading, edits, hover and click.
 *
 *   TP.loadAccounts(header)   binary: typed arrays read from a file Python wrote in the page's
 *       own folder (XMLHttpRequest, responseType arraybuffer: no JSON, no per-account object).
 *       header = {layer, url, n, m, x0, y0, grid, bytes, fields: {name: {type, offset, length}},
 *       idStart?}. The m located accounts come already in drawing order (planner/model/
 *       mapdata_grid.py): x, y (float32 Web Mercator minus x0, y0), unit (the unit id, -1 none),
 *       own (territory id, -1 none, -2 goes with its unit) and order (position -> index) by
 *       position; or, instead of own, ownAt (ascending positions) and ownCode: the accounts
 *       that do not go with their unit (the others do); cellKeys, cellStart: the occupied grid
 *       cells; ids (if not consecutive from idStart) by index. Says {kind: "accounts_loaded",
 *       layer} once the file is read, then {kind: "rendered", layer: "accounts"} once painted.
 *       Assignments sent while the file is read are kept and applied to it once read.
 *   TP.setAccounts(data)      JSON, for small layers and tests: {ids, lon, lat, territory,
 *       unit?, names?} (live), or the older {ids, lon, lat, colour} / {territory: [palette
 *       index], palette} with explicit colours.
 *   TP.assignAccountsAt([index], [code])   changed own assignments after an edit, by index
 *   TP.assignAccounts({accountId: code})   the same by database id (JSON layers, tests)
 *   TP.accountInfo({layer, index, name, code})   Python's answer to {kind: "account_info"}
 *   TP.setAccountOptions({maxPoints, cell, radius})   when bins replace points (tests)
 * A unit move (TP.assignUnits) recolours the accounts following those units and a colour mode
 * switch (TP.setFills) changes one colour per territory: neither sends anything per account.
 *
 * Names are not sent with a binary layer: hovering an account asks Python for its name once
 * ({kind: "account_info", layer, index}); the answer is kept (a few thousand at most) and shown
 * through textContent, like every name on the page.
 */
(function () {
  "use strict";

  var TP = window.TP;
  var P = TP._;
  var S = P.S;
  var TYPES = { f32: Float32Array, f64: Float64Array, i16: Int16Array, i32: Int32Array };
  var INFO_CACHE = 5000;
  var FOLLOW = -2; // own code: goes with its unit (accountdata.js)

  S.accounts = null; // the TPPointsLayer
  S.accountLayer = 0; // the layer number of the binary layer shown (Python's counter)
  S.accountInfo = new Map(); // index -> {name, code} (or {pending: true})
  S.accountTip = null; // {k, latlng} while an account tooltip is shown
  S.accountOptions = {};
  S.accountTimes = {};

  /* show(data): replace the layer, draw it, say "rendered" after the frame is painted. */
  function show(data) {
    var t0 = performance.now();
    if (S.accounts) S.map.removeLayer(S.accounts);
    S.accountInfo = new Map();
    S.accountTip = null;
    S.accounts = new window.TPPointsLayer(data, S.accountOptions);
    S.accounts.addTo(S.map);
    S.accountTimes.drawMs = S.accounts.lastDrawMs;
    P.afterPaint(function () {
      S.accountTimes.paintMs = performance.now() - t0; // shown -> the frame painted
      P.send({ kind: "rendered", layer: "accounts" });
      indexSoon();
    });
    return performance.now() - t0;
  }

  /* TP.clearAccounts(): no accounts layer (another project is on its way): a file still
     being read is not shown either. */
  TP.clearAccounts = function () {
    S.accountLoad = (S.accountLoad || 0) + 1;
    S.accountsPending = null;
    if (S.accounts) S.map.removeLayer(S.accounts);
    S.accounts = null;
    S.accountInfo = new Map();
    S.accountTip = null;
    P.hideTooltip();
    return true;
  };

  /* indexSoon(): the accounts-by-unit index, after what is queued now (see indexUnits). */
  function indexSoon() {
    var layer = S.accounts;
    setTimeout(function () {
      if (layer && layer === S.accounts) layer.data.indexUnits();
    }, 0);
  }

  TP.setAccounts = function (data) {
    var n = (data.ids || []).length;
    var src = { n: n, lon: data.lon, lat: data.lat, ids: data.ids, names: data.names || null };
    if (data.territory && !data.palette && !data.colour) {
      src.own = data.territory;
      src.unit = data.unit || null;
    } else if (data.palette) {
      var last = data.palette.length;
      src.palette = data.palette.concat([P.UNASSIGNED_POINT]);
      src.paletteIndex = data.territory.map(function (t) {
        return t >= 0 && t < last ? t : last;
      });
    } else {
      var seen = {};
      src.palette = [];
      src.paletteIndex = (data.colour || []).map(function (c) {
        c = c || "#1c7ed6";
        if (!(c in seen)) seen[c] = src.palette.push(c) - 1;
        return seen[c];
      });
    }
    var t0 = performance.now();
    var layer = new P.AccountData(src);
    S.accountTimes = { buildMs: performance.now() - t0 };
    S.accountLayer = 0;
    S.accountLoad = (S.accountLoad || 0) + 1; // a binary layer still being read is not shown
    S.accountsPending = null;
    return show(layer);
  };

  /* The file is read by a worker: a main-thread XMLHttpRequest gets its data on the main
     thread, so while the page built the units (seconds at 41,000 ZIP areas) a 10M-account file
     waited (3.6 s instead of 0.7 s for 125 MB with the main thread busy 3 s; a worker read it
     in 0.5 s meanwhile: /tmp measurement on this machine). The worker also makes the ranks
     (index -> position), the own column (from ownAt/ownCode; -2: goes with its unit) and the
     empty slot column, and hands them over without a copy: allocated on the main thread,
     each of those tens of MB cost ~0.4 s there at 10M accounts (measured in the set-up
     times), as the page's heap holds 41k polygons. Where no worker can be made, or it cannot
     read the file, the main thread reads it as before. */
  var READER = [
    "onmessage = function (e) {",
    "  var h = e.data;",
    "  var failed = function () { postMessage({ layer: h.layer, failed: true }); };",
    "  try {",
    "    var t0 = performance.now(), x = new XMLHttpRequest();",
    "    x.open('GET', h.url);",
    "    x.responseType = 'arraybuffer';",
    "    x.onload = function () {",
    "      try {",
    "        var buf = x.response, made = null, t1 = performance.now();",
    "        var f = h.fields, T = { i16: Int16Array, i32: Int32Array };",
    "        if (buf && buf.byteLength === h.bytes && f.order && f.order.type === 'i32') {",
    "          var order = new Int32Array(buf, f.order.offset, f.order.length);",
    "          var rank = new Int32Array(h.n).fill(-1);",
    "          for (var k = 0; k < order.length; k++) rank[order[k]] = k;",
    "          made = { rank: rank, slot: new Uint16Array(order.length), own: null };",
    "          if (!f.own && f.ownAt && f.ownCode && T[f.ownCode.type] && f.ownAt.type === 'i32') {",
    "            var at = new Int32Array(buf, f.ownAt.offset, f.ownAt.length);",
    "            var code = new T[f.ownCode.type](buf, f.ownCode.offset, f.ownCode.length);",
    "            var own = (made.own = new T[f.ownCode.type](order.length).fill(-2));",
    "            for (var i = 0; i < at.length; i++) own[at[i]] = code[i];",
    "          }",
    "        }",
    "        var times = { xhrMs: t1 - t0, rankMs: performance.now() - t1, postedAt: Date.now() };",
    "        var moved = made ? [buf, made.rank.buffer, made.slot.buffer] : buf ? [buf] : [];",
    "        if (made && made.own) moved.push(made.own.buffer);",
    "        postMessage({ layer: h.layer, buf: buf, made: made, times: times }, moved);",
    "      } catch (err) { failed(); }",
    "    };",
    "    x.onerror = failed;",
    "    x.send();",
    "  } catch (err) { failed(); }",
    "};",
  ].join("\n");
  var reader = null; // the Worker, or false when none can be made here
  var readerWaiting = {}; // layer -> function (buf, rank)

  function readOnMainThread(header, done) {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", header.url);
    xhr.responseType = "arraybuffer";
    xhr.onload = function () {
      done(xhr.response, null, "main thread");
    };
    xhr.onerror = function () {
      done(null, null);
    };
    xhr.send();
  }

  /* startReader(): the worker, made when the page starts: made at the first file, it began
     only once the main thread was free again, i.e. after the units sent with the file were
     built (1.8 s of a 10M-account open spent waiting for it). */
  function startReader() {
    if (reader === null) {
      try {
        reader = new Worker(URL.createObjectURL(new Blob([READER], { type: "text/javascript" })));
        reader.onmessage = function (e) {
          var wanted = readerWaiting[e.data.layer];
          delete readerWaiting[e.data.layer];
          if (!wanted) return;
          var times = e.data.times;
          if (times) times.waitMs = Date.now() - times.postedAt; // the main thread was busy
          wanted(e.data.failed ? undefined : e.data.buf, e.data.made, times);
        };
        // A worker that cannot start says so later, as an event: no more worker, and what
        // it was asked to read is read on the main thread.
        reader.onerror = reader.onmessageerror = function () {
          reader = false;
          var waiting = readerWaiting;
          readerWaiting = {};
          Object.keys(waiting).forEach(function (layer) {
            waiting[layer](undefined, null);
          });
        };
      } catch (err) {
        reader = false;
      }
    }
  }
  P.initHooks.push(startReader);

  function readFile(header, done) {
    startReader();
    if (!reader) return readOnMainThread(header, done);
    readerWaiting[header.layer] = function (buf, made, times) {
      if (buf === undefined) return readOnMainThread(header, done); // the worker could not read it
      done(buf, made, "worker", times);
    };
    reader.postMessage({ layer: header.layer, url: header.url, bytes: header.bytes, n: header.n, fields: header.fields });
  }

  /* failed(message): a layer that cannot be shown: said, and nothing waits for it. */
  function failed(message) {
    S.accountsPending = null;
    P.send({ kind: "js_error", message: message });
  }

  TP.loadAccounts = function (header) {
    var t0 = performance.now();
    var load = (S.accountLoad = (S.accountLoad || 0) + 1);
    readFile(header, function (buf, made, readBy, readTimes) {
      // A newer layer (binary or JSON) was asked for meanwhile: this one is not shown.
      if (load !== S.accountLoad || header.layer < S.accountLayer) return;
      if (!buf) return failed("accounts file could not be read: " + header.url);
      if (header.grid !== P.AccountData.GRID) {
        return failed("accounts file: grid " + header.grid + ", the page draws " + P.AccountData.GRID);
      }
      if (buf.byteLength !== header.bytes) {
        return failed("accounts file: expected " + header.bytes + " bytes, got " + buf.byteLength);
      }
      var t1 = performance.now();
      var field = function (name) {
        var spec = header.fields[name];
        return spec ? new TYPES[spec.type](buf, spec.offset, spec.length) : null;
      };
      var src = {
        n: header.n, sorted: true, m: header.m, x0: header.x0, y0: header.y0, x: field("x"), y: field("y"),
        unit: field("unit"), own: field("own") || (made && made.own) || ownOf(header, field), order: field("order"),
        rank: made && made.rank, slot: made && made.slot,
        cellKeys: field("cellKeys"), cellStart: field("cellStart"),
      };
      if (header.fields.ids) src.ids = field("ids");
      else src.idStart = header.idStart;
      var data = new P.AccountData(src);
      P.send({ kind: "accounts_loaded", layer: header.layer });
      var t2 = performance.now();
      S.accountLayer = header.layer;
      var pending = S.accountsPending || [], moved = [];
      S.accountsPending = null;
      pending.forEach(function (a) {
        moved = moved.concat(data.assignAt(a[0], a[1]));
      });
      if (moved.length) data.voteCells(moved);
      show(data);
      S.accountTimes = { readMs: t1 - t0, buildMs: t2 - t1, drawMs: S.accounts.lastDrawMs, build: data.times, readBy: readBy,
        read: readTimes || null };
    });
    S.accountLayer = Math.max(S.accountLayer, header.layer);
    S.accountsPending = []; // the file holds every assignment sent before it
    return header.n;
  };

  /* changed(positions | null): accounts changed territory (null: maybe all): re-vote their
     bins, repaint them, refresh an open account tooltip. */
  function changed(positions) {
    if (!S.accounts) return 0;
    S.accounts.data.voteCells(positions);
    S.accounts.repaint(positions);
    if (tipShown()) showTip(S.accountTip.k, S.accountTip.latlng);
    return positions === null ? S.accounts.data.m : positions.length;
  }

  /* ownOf(header, field): the own column from ownAt/ownCode (every other account goes with
     its unit), of the type Python chose for the codes. */
  function ownOf(header, field) {
    var at = field("ownAt"), code = field("ownCode");
    if (!at || !code) return null;
    var own = new code.constructor(header.m).fill(FOLLOW);
    for (var i = 0; i < at.length; i++) own[at[i]] = code[i];
    return own;
  }

  TP.assignAccountsAt = function (indices, codes) {
    if (S.accountsPending) S.accountsPending.push([(indices || []).slice(), (codes || []).slice()]);
    return S.accounts ? changed(S.accounts.data.assignAt(indices || [], codes || [])) : 0;
  };

  TP.assignAccounts = function (mapping) {
    if (!S.accounts) return 0;
    var d = S.accounts.data, indices = [], codes = [];
    Object.keys(mapping || {}).forEach(function (id) {
      var i = d.indexOfId(id);
      if (i >= 0) {
        indices.push(i);
        codes.push(mapping[id] === null ? -1 : mapping[id]);
      }
    });
    return changed(d.assignAt(indices, codes));
  };

  TP.restyleAccounts = function (mapping) {
    if (!S.accounts) return 0;
    var d = S.accounts.data, indices = [], colours = [];
    Object.keys(mapping || {}).forEach(function (id) {
      var i = d.indexOfId(id);
      if (i >= 0) {
        indices.push(i);
        colours.push(mapping[id]);
      }
    });
    return changed(d.recolourAt(indices, colours));
  };

  /* colourAt(index): the colour an account is drawn in (tests, debugging). */
  function colourAt(index) {
    if (!S.accounts || index < 0) return null;
    var d = S.accounts.data, k = d.rank[index];
    return k === undefined || k < 0 ? null : d.palette[d.slot[k]];
  }
  TP.accountColourAt = colourAt;
  TP.accountColour = function (id) {
    return S.accounts ? colourAt(S.accounts.data.indexOfId(id)) : null;
  };

  TP.setAccountOptions = function (options) {
    S.accountOptions = L.extend({}, S.accountOptions, options || {});
    if (S.accounts) S.accounts.setOptions(S.accountOptions);
    return S.accounts ? S.accounts.mode : null;
  };

  /* TP.accountsState(): mode, counts and timings (tests, benchmarks). */
  TP.accountsState = function () {
    var a = S.accounts;
    return {
      n: a ? a.data.n : 0,
      located: a ? a.data.m : 0,
      mode: a ? a.mode : null,
      visible: a ? a.visible : 0,
      lastDrawMs: a ? a.lastDrawMs : null,
      layer: S.accountLayer,
      times: S.accountTimes,
    };
  };

  P.listen("units", function (ids) {
    if (!S.accounts) return;
    changed(S.accounts.data.unitsChanged(ids));
    if (ids === null) indexSoon();
  });
  function refreshColours() {
    if (S.accounts && S.accounts.data.refreshPalette()) {
      S.accounts.repaint(null); // the same slots, new colours
      if (tipShown()) showTip(S.accountTip.k, S.accountTip.latlng);
    }
  }
  P.listen("territories", refreshColours);
  P.listen("fills", refreshColours);

  /* ------------------------------------------------------------ hover and click */

  TP.accountInfo = function (reply) {
    if (!reply || reply.layer !== S.accountLayer || !S.accounts) return false;
    if (S.accountInfo.size >= INFO_CACHE) S.accountInfo.clear();
    S.accountInfo.set(reply.index, { name: String(reply.name), code: String(reply.code) });
    var tip = S.accountTip;
    if (tipShown() && S.accounts.data.order[tip.k] === reply.index) showTip(tip.k, tip.latlng);
    return true;
  };

  /* tipContent(k): the tooltip of the account at position k (text only, via P.el). */
  function tipContent(k) {
    var d = S.accounts.data, index = d.order[k], el = P.el;
    var box = el("div", "tp-tip-body");
    if (d.names) {
      box.appendChild(el("div", "tp-tip-name", d.names[index]));
      box.appendChild(el("div", "tp-tip-code", "Account " + d.idAt(index)));
    } else {
      var info = S.accountInfo.get(index);
      var known = info && !info.pending;
      box.appendChild(el("div", "tp-tip-name" + (known ? "" : " tp-tip-pending"), known ? info.name : "…"));
      if (known) box.appendChild(el("div", "tp-tip-code", "Account " + info.code));
      if (!info) {
        S.accountInfo.set(index, { pending: true });
        P.send({ kind: "account_info", layer: S.accountLayer, index: index });
      }
    }
    if (d.live) box.appendChild(el("div", "tp-tip-territory", P.nameOf(d.effective(k))));
    return box;
  }

  function showTip(k, latlng) {
    var content = tipContent(k);
    S.accountTip = { k: k, latlng: latlng, content: content };
    P.showTooltip(content, latlng);
  }

  /* tipShown(): the shared tooltip is open on an account's content (not a unit's, not hidden). */
  function tipShown() {
    var tip = S.accountTip;
    return !!(tip && S.map.hasLayer(S.tooltip) && S.tooltip.getContent() === tip.content);
  }

  /* Hover and click on a point (units.js asks first: accounts are drawn above units). */
  P.accountHover = function (e) {
    var hit = S.accounts ? S.accounts.hitTest(e.containerPoint) : -1;
    if (hit < 0) {
      S.accountTip = null;
      return false;
    }
    if (tipShown() && S.accountTip.k === hit) {
      S.accountTip.latlng = e.latlng;
      S.tooltip.setLatLng(e.latlng);
    } else {
      showTip(hit, e.latlng);
    }
    return true;
  };
  P.accountClick = function (e) {
    var hit = S.accounts ? S.accounts.hitTest(e.containerPoint) : -1;
    if (hit < 0) return false;
    var index = S.accounts.data.order[hit];
    P.send({ kind: "account_clicked", id: S.accounts.data.idAt(index), index: index });
    return true;
  };

  P.stateParts.push(function (out) {
    out.accounts = S.accounts ? S.accounts.data.n : 0;
    out.accountsMode = S.accounts ? S.accounts.mode : null;
  });
})();
