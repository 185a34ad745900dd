/*
 * The live territory model: what the page knows about territories, by database id.
 *
 * Why: tooltips, popups, labels, unit fills and account colours must follow the live alignment
 * and the active colour mode (issue 12, defect 3: tooltips showed the territory of the
 * alignment loaded at start). So units and accounts carry territory *ids* only, and every name
 * and colour is looked up here when drawn. After an edit Python sends the changed assignments
 * (units.js, points.js); after a rename or recolour, the changed territories; after a colour
 * mode switch, one fills mapping. Nothing is re-sent per unit.
 *
 *   TP.setTerritories([{id, name, colour, locked}])   replace the model
 *   TP.updateTerritories([{id, name?, colour?, locked?}])   merge changes (rename, recolour)
 *   TP.setFills({id: css} | null)   fills by territory (colour by deviation); null: own colours
 *   TP.updateFills({id: css})   change some fills (the territories an edit touched)
 */
(function () {
  "use strict";

  var TP = window.TP;
  var P = TP._;
  var S = P.S;

  S.territories = {}; // id -> {id, name, colour, locked}
  S.fills = null; // id -> css while colouring by something else than the territory colour

  /* Fill of units without a territory, and of account points without one (darker: visible
     over grey units). */
  P.UNASSIGNED_FILL = "#cfcfcf";
  P.UNASSIGNED_POINT = "#868e96";

  /* P.isTerritory(tid): a real territory id (null and negative codes mean "none"). */
  function isTerritory(tid) {
    return tid !== null && tid !== undefined && tid >= 0;
  }
  P.isTerritory = isTerritory;

  /* P.fillOf(tid): what a unit of that territory is filled with in the current colour mode. */
  P.fillOf = function (tid) {
    if (!isTerritory(tid)) return P.UNASSIGNED_FILL;
    if (S.fills && S.fills[tid]) return S.fills[tid];
    var t = S.territories[tid];
    return t && t.colour ? t.colour : P.UNASSIGNED_FILL;
  };

  /* P.pointFillOf(tid): the same for an account point. */
  P.pointFillOf = function (tid) {
    return isTerritory(tid) ? P.fillOf(tid) : P.UNASSIGNED_POINT;
  };

  /* P.nameOf(tid): the territory's name for tooltips, popups and labels (plain text). */
  P.nameOf = function (tid) {
    if (!isTerritory(tid)) return "Unassigned";
    var t = S.territories[tid];
    return t ? String(t.name) : "Territory " + tid;
  };

  function ids(list) {
    return list.map(function (t) {
      return t.id;
    });
  }

  TP.setTerritories = function (list) {
    S.territories = {};
    (list || []).forEach(function (t) {
      S.territories[t.id] = { id: t.id, name: t.name, colour: t.colour, locked: !!t.locked };
    });
    P.emit("territories", null);
    return Object.keys(S.territories).length;
  };

  TP.updateTerritories = function (list) {
    (list || []).forEach(function (t) {
      var old = S.territories[t.id] || { id: t.id, name: "", colour: null, locked: false };
      S.territories[t.id] = {
        id: t.id,
        name: t.name !== undefined ? t.name : old.name,
        colour: t.colour !== undefined ? t.colour : old.colour,
        locked: t.locked !== undefined ? !!t.locked : old.locked,
      };
    });
    P.emit("territories", ids(list || []));
    return (list || []).length;
  };

  TP.setFills = function (fills) {
    S.fills = fills ? Object.assign({}, fills) : null;
    P.emit("fills", null);
    return S.fills ? Object.keys(S.fills).length : 0;
  };

  TP.updateFills = function (fills) {
    if (!S.fills) S.fills = {};
    Object.keys(fills || {}).forEach(function (id) {
      S.fills[id] = fills[id];
    });
    P.emit(
      "fills",
      Object.keys(fills || {}).map(function (id) {
        return Number(id);
      })
    );
    return Object.keys(fills || {}).length;
  };

  /* TP.territory(id): the model's entry (tests, debugging). */
  TP.territory = function (id) {
    return S.territories[id] || null;
  };

  P.stateParts.push(function (out) {
    out.territories = Object.keys(S.territories).length;
    out.fills = S.fills ? "custom" : "territory";
  });
})();
