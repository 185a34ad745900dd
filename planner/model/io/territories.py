"""Import territories (a polygon file) or a plan (a CSV of unit or account assignments).

Either import is one undoable Edit of the scenario (:mod:`planner.model.io._plan_edit`): what
the file does not place is refused by default, unassigned with ``mode="replace"`` or kept with
``mode="update"``; nothing is ever wiped silently.

Overlap rule for polygon files: where two territory polygons overlap, the overlap belongs to
the territory that comes FIRST in the file. Placement uses the polygons in file order and
``place_points`` gives a point on several polygons to the lowest index, so the rule is one line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from planner.model.colours import is_colour
from planner.model.geo import area_km2, place_points
from planner.model.io._geofiles import find_column, read_polygons, text_values
from planner.model.io._messages import name_list, quote
from planner.model.io._plan_edit import Target, apply_target
from planner.model.io._rowchecks import RowChecks
from planner.model.io._tabular import read_table
from planner.model.io.report import ImportReport
from planner.model.plan import Plan
from planner.model.schema import (
    Rep,
    Territory,
)
from planner.model.store import Project

NAME_FIELDS = ("territory", "name", "territory_name", "territory_id", "terr", "label", "title")
COLOUR_FIELDS = ("colour", "color", "fill")
REP_FIELDS = ("rep", "rep_name", "owner", "salesperson")
#: Overlaps smaller than this (km²) are digitising noise, not worth a warning.
OVERLAP_MIN_KM2 = 0.01


def import_territories(
    project: Project,
    path: Path,
    *,
    scenario_id: int | None = None,
    skip_invalid: bool = False,
    mode: str = "check",
) -> ImportReport:
    """Import territories into a scenario (None = the baseline) as one undoable edit.

    A polygon file (GeoJSON/GPKG/SHP) has one feature per territory: in a project with units,
    each unit goes to the territory containing its representative point; without units the
    polygons are stored as drawn shapes and each located account is assigned by
    point-in-polygon. Overlaps are reported and go to the territory first in the file.
    A ``.csv`` is a plan: ``unit_code,territory`` or ``account_id,owner``.
    """
    path = Path(path)
    sid = project.baseline_id() if scenario_id is None else scenario_id
    if path.suffix.lower() in (".csv", ".txt"):
        return _import_plan(project, path, sid, skip_invalid, mode)
    report = ImportReport(kind="territories", file=path.name)
    layer = read_polygons(path, report)
    table = layer.table
    name_col = find_column(table, NAME_FIELDS)
    if name_col is None:
        raise report.refuse(
            f"{path.name}: no territory name column (expected one of "
            f"{', '.join(NAME_FIELDS)}; columns: {name_list(table.columns)})"
        )
    names = text_values(table[name_col])
    colour_col = find_column(table, COLOUR_FIELDS)
    colours = text_values(table[colour_col]) if colour_col else [""] * len(names)
    rep_col = find_column(table, REP_FIELDS)
    reps = text_values(table[rep_col]) if rep_col else [""] * len(names)
    keep = report.reject_missing_and_repeated(
        names, layer.rows, name_col, "missing territory name",
        lambda nm, first: f"territory {quote(nm)} appears twice (also row {first})",
    )  # fmt: skip
    check = RowChecks(report, layer.rows, keep)
    check.too_long("name", names, Territory, label=name_col)
    check.too_long("name", reps, Rep, label=rep_col)
    keep = check.ok
    report.rejected.sort(key=lambda r: r.row or 0)
    report.check_rejections(skip_invalid)
    geoms = layer.geometry[keep]
    names = [n for n, k in zip(names, keep, strict=True) if k]
    colours = _checked_colours(
        [c for c, k in zip(colours, keep, strict=True) if k], layer.rows[keep], colour_col, report
    )
    reps = [r for r, k in zip(reps, keep, strict=True) if k]
    if len(geoms) == 0:
        raise report.refuse(f"{path.name}: no valid territories to import")
    trimmed = _report_overlaps(geoms, names, report)

    plan = Plan.load(project, sid)
    with project.transaction() as s:
        target = Target()
        keys = _territory_keys(s, plan, target, names, colours, reps, report)
        if plan.atoms.n_units:
            a = plan.atoms
            where = place_points(a.unit_rep_lon, a.unit_rep_lat, geoms)
            target.units = {int(a.unit_ids[u]): keys[w] for u, w in enumerate(where) if w >= 0}
            report.extra["unassigned_units"] = int((where < 0).sum())
            report.extra["assigned"] = len(target.units)
        else:
            target.shapes = {keys[i]: bytes(shapely.to_wkb(g)) for i, g in enumerate(trimmed)
                             if not g.is_empty}  # fmt: skip
            target.accounts = _place_accounts(plan, geoms, keys, report)
            report.extra["assigned"] = len(target.accounts)
        report.imported = len(names)
        apply_target(plan, s, target, report, mode, f"import {path.name}")
    return report


def _report_overlaps(
    geoms: np.ndarray, names: list[str], report: ImportReport
) -> list[BaseGeometry]:
    """Warn about each overlapping pair; return the shapes with earlier territories cut out."""
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="intersects")
    pairs = sorted((int(i), int(j)) for i, j in zip(a, b, strict=True) if i < j)
    trimmed = list(geoms)
    for i, j in pairs:
        overlap = shapely.intersection(geoms[i], geoms[j])
        km2 = float(area_km2(np.array([overlap], dtype=object))[0]) if not overlap.is_empty else 0
        if km2 < OVERLAP_MIN_KM2:
            continue
        report.warn(
            None,
            "geometry",
            f"territories '{names[i]}' and '{names[j]}' overlap by {km2:.2f} km²; the overlap "
            f"goes to '{names[i]}' (the territory that comes first in the file)",
        )
        trimmed[j] = shapely.difference(trimmed[j], geoms[i])
    report.extra["overlaps"] = sum(1 for w in report.warnings if "overlap by" in w.reason)
    return trimmed


def _checked_colours(
    colours: list[str], rows: Sequence[int], field_name: str | None, report: ImportReport
) -> list[str]:
    """Colours as given where they are ``#rgb``/``#rrggbb``; anything else is dropped with a
    warning naming the row (the territory then keeps its colour, or a new one gets a palette
    colour), so no stray text reaches the map or a printout."""
    out = []
    for c, row in zip(colours, rows, strict=True):
        if c and not is_colour(c):
            report.warn(int(row), field_name or "colour", f"{quote(c)} is not a colour (#rrggbb)")
            c = ""
        out.append(c.strip())
    return out


def _territory_keys(
    s: Session,
    plan: Plan,
    target: Target,
    names: list[str],
    colours: list[str],
    reps: list[str],
    report: ImportReport,
) -> list[Any]:
    """The key of each named territory in ``target`` (an existing id of the scenario, or a
    territory to create); colours and reps given in the file become updates (reps named in the
    file and unknown are created)."""
    existing = {str(n): int(i) for n, i in zip(plan.atoms.territory_names,
                                               plan.atoms.territory_ids, strict=True)}  # fmt: skip
    rep_ids = _rep_ids(s)
    created: list[str] = []
    keys: list[Any] = []
    for nm, colour, rep in zip(names, colours, reps, strict=True):
        attrs: dict[str, Any] = {}
        if colour:
            attrs["colour"] = colour
        if rep:
            attrs["rep_id"] = _rep(s, rep_ids, rep)
        if nm in existing:
            keys.append(existing[nm])
            if attrs:
                target.updates[existing[nm]] = attrs
        else:
            keys.append(("new", len(target.new)))
            target.new.append({"name": nm, **attrs})
            created.append(nm)
    report.extra["territories_created"] = created
    return keys


def _rep_ids(s: Session) -> dict[str, int]:
    return dict(s.execute(select(Rep.name, Rep.id)).all())


def _rep(s: Session, rep_ids: dict[str, int], name: str) -> int:
    """A rep by name, created when the file names one the project does not have yet."""
    if name not in rep_ids:
        new_rep = Rep(name=name)
        s.add(new_rep)
        s.flush()
        rep_ids[name] = new_rep.id
    return rep_ids[name]


def _place_accounts(
    plan: Plan, geoms: np.ndarray, keys: list[Any], report: ImportReport
) -> dict[int, Any]:
    """Free-form: each located account to the territory whose polygon holds it."""
    a = plan.atoms
    ok = np.isfinite(a.account_lon) & np.isfinite(a.account_lat)
    where = np.full(a.n_accounts, -1, dtype=np.int64)
    if ok.any():
        where[ok] = place_points(a.account_lon[ok], a.account_lat[ok], geoms)
    report.extra["unassigned_accounts"] = int((where < 0).sum())
    return {int(a.account_ids[i]): keys[w] for i, w in enumerate(where) if w >= 0}


# -- plan CSV -------------------------------------------------------------------------------


def _import_plan(
    project: Project, path: Path, sid: int, skip_invalid: bool, mode: str
) -> ImportReport:
    """``unit_code,territory`` or ``account_id,owner``; owner = territory or rep name.

    In a unit project an account plan assigns each unit to the territory owning most of its
    accounts (ties: the territory named first in the file); accounts whose owner differs from
    their unit's territory, or that lie in no unit, become pins of the scenario.
    """
    report = ImportReport(kind="plan", file=path.name)
    table = read_table(path, report)
    df = table.frame.set_axis([c.lower() for c in table.frame.columns], axis=1)
    if {"unit_code", "territory"} <= set(df.columns):
        key_col, owner_col = "unit_code", "territory"
    elif {"account_id", "owner"} <= set(df.columns):
        key_col, owner_col = "account_id", "owner"
    else:
        raise report.refuse(
            f"{path.name}: a plan needs the columns unit_code,territory or account_id,owner "
            f"(found: {name_list(df.columns)})"
        )
    keys, owners = df[key_col].tolist(), df[owner_col].tolist()
    check = RowChecks(report, table.rows.to_numpy(), np.ones(len(df), dtype=bool))
    check.spreadsheet_errors(owner_col, owners)
    check.too_long("name", owners, Territory, label=owner_col)
    plan = Plan.load(project, sid)
    a = plan.atoms
    if key_col == "unit_code":
        known = {str(c): int(i) for c, i in zip(a.unit_codes, a.unit_ids, strict=True)}
        what = "unit code"
    else:
        known = {str(c): int(i) for c, i in zip(a.account_ext_ids, a.account_ids, strict=True)}
        what = "account id"
    valid: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for i, (key, owner) in enumerate(zip(keys, owners, strict=True)):
        row = int(check.rows[i])
        if not check.ok[i]:
            continue
        if key not in known:
            report.reject(row, key_col, f"unknown {what} {quote(key)}")
        elif key in seen:
            report.reject(row, key_col, f"{what} {quote(key)} appears twice (also row {seen[key]})")
        elif not owner:
            report.reject(row, owner_col, "no territory or owner given")
        else:
            seen[key] = row
            valid.append((known[key], owner))
    report.rejected.sort(key=lambda r: r.row or 0)
    report.check_rejections(skip_invalid)
    with project.transaction() as s:
        target = Target()
        resolve = _owner_resolver(s, plan, target, report)
        atoms = [(atom, resolve(owner)) for atom, owner in valid]
        if key_col == "unit_code":
            target.units = dict(atoms)
        elif a.free_form:
            target.accounts = dict(atoms)
        else:
            _units_by_majority(plan, target, atoms, report)
        report.imported = len(atoms)
        report.extra["assigned"] = len(target.units) + len(target.accounts)
        _hierarchy_columns(df, check, owners, resolve, target, report)
        apply_target(plan, s, target, report, mode, f"import {path.name}")
    return report


#: Plan CSV columns naming the hierarchy above a territory, nearest level first.
LEVEL_COLUMNS = ("district", "area", "region", "division")


def _hierarchy_columns(
    df: Any, check: Any, owners: list[str], resolve: Any, target: Target, report: ImportReport
) -> None:
    """``territory,district,region`` columns: each territory's parents (the first row of a
    territory decides; a later row giving other parents is a warning)."""
    levels = [c for c in LEVEL_COLUMNS if c in df.columns]
    if not levels:
        return
    first: dict[Any, tuple[int, list[tuple[str, str]]]] = {}
    for i, owner in enumerate(owners):
        if not check.ok[i] or not owner:
            continue
        chain = [(lv, " ".join(str(df[lv].iloc[i]).split())) for lv in levels]
        chain = [(lv, name) for lv, name in chain if name]
        key = resolve(owner)
        row = int(check.rows[i])
        if key not in first:
            first[key] = (row, chain)
        elif first[key][1] != chain:
            where = f"'{owner}' was given other parents in row {first[key][0]}"
            report.warn(row, levels[0], f"{where}; the first row's are kept")
    target.hierarchy = {k: chain for k, (_, chain) in first.items()}


def _owner_resolver(s: Session, plan: Plan, target: Target, report: ImportReport) -> Any:
    """Owner name -> territory key: a territory of the scenario, else the territory of the rep
    of that name (the first one), else a new territory of that name."""
    a = plan.atoms
    terr = {str(n): int(i) for n, i in zip(a.territory_names, a.territory_ids, strict=True)}
    reps = _rep_ids(s)
    rep_terr: dict[str, int] = {}
    for tid, rep in sorted(zip(a.territory_ids, a.territory_rep_ids, strict=True), reverse=True):
        if np.isfinite(rep) and int(rep) in a.rep_names:
            rep_terr[a.rep_names[int(rep)]] = int(tid)  # descending ids: the first one wins
    created: list[str] = []
    report.extra["territories_created"] = created
    new_keys: dict[str, Any] = {}

    def resolve(owner: str) -> Any:
        if owner in terr:
            return terr[owner]
        if owner in rep_terr:
            return rep_terr[owner]
        if owner not in new_keys:
            new_keys[owner] = ("new", len(target.new))
            target.new.append({"name": owner, "rep_id": reps.get(owner)})
            created.append(owner)
        return new_keys[owner]

    return resolve


def _units_by_majority(
    plan: Plan, target: Target, atoms: list[tuple[int, Any]], report: ImportReport
) -> None:
    """Each unit to the owner of most of its listed accounts; the accounts whose owner differs
    (or that lie in no unit) are pinned to theirs, the others follow their unit."""
    a = plan.atoms
    aidx = a.account_index()
    unit_of = {int(a.account_ids[i]): int(a.unit_ids[u]) if u >= 0 else None
               for i, u in enumerate(a.account_unit)}  # fmt: skip
    votes: dict[int, Counter[Any]] = {}
    first_seen: dict[Any, int] = {}
    for i, (_acc, key) in enumerate(atoms):
        first_seen.setdefault(key, i)
    for acc, key in atoms:
        unit = unit_of.get(acc)
        if unit is not None:
            votes.setdefault(unit, Counter())[key] += 1
    winner = {unit: max(c, key=lambda k: (c[k], -first_seen[k])) for unit, c in votes.items()}
    target.units = winner
    for acc, key in atoms:
        if winner.get(unit_of.get(acc) or -1) != key:
            target.pins[acc] = key
        elif plan.alignment[a.n_units + aidx[acc]] >= 0:
            target.unpin.add(acc)
    if target.pins:
        report.warn(
            None,
            "owner",
            f"{len(target.pins)} accounts are pinned to their owner's territory because the owner "
            "differs from the territory holding most accounts of their unit (or they lie in "
            "no unit)",
        )
    report.extra["pins"] = len(target.pins)
