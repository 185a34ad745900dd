"""Import territories (a polygon file) or a plan (a CSV of unit or account assignments).

Either import *replaces* the scenario's assignments, pins and drawn shapes in one transaction.

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
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from planner.model.colours import is_colour, next_colour
from planner.model.geo import area_km2, place_points
from planner.model.io._geofiles import find_column, read_polygons, text_values
from planner.model.io._messages import name_list, quote
from planner.model.io._rowchecks import RowChecks
from planner.model.io._tabular import read_table
from planner.model.io.report import ImportReport
from planner.model.schema import (
    Account,
    Assignment,
    Pin,
    Rep,
    ScenarioTerritory,
    Territory,
    TerritoryShape,
    Unit,
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
) -> ImportReport:
    """Import territories into a scenario (None = the baseline), replacing its alignment.

    A polygon file (GeoJSON/GPKG/SHP) has one feature per territory: in a project with units,
    each unit goes to the territory containing its representative point; without units the
    polygons are stored as drawn shapes and each located account is assigned by
    point-in-polygon. Overlaps are reported and go to the territory first in the file.
    A ``.csv`` is a plan: ``unit_code,territory`` or ``account_id,owner``.
    """
    path = Path(path)
    sid = project.baseline_id() if scenario_id is None else scenario_id
    if path.suffix.lower() in (".csv", ".txt"):
        return _import_plan(project, path, sid, skip_invalid)
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

    with project.transaction() as s:
        tids = _ensure_territories(s, sid, names, colours, reps, report)
        _clear_scenario(s, sid)
        units = s.execute(select(Unit.id, Unit.rep_lon, Unit.rep_lat)).all()
        if units:
            xy = np.array([(u[1], u[2]) for u in units], dtype=np.float64)
            where = place_points(xy[:, 0], xy[:, 1], geoms)
            rows = [
                {"scenario_id": sid, "atom_kind": "unit", "atom_id": u[0], "territory_id": tids[w]}
                for u, w in zip(units, where.tolist(), strict=True)
                if w >= 0
            ]
            report.extra["unassigned_units"] = int((where < 0).sum())
        else:
            shapes = [
                {"scenario_id": sid, "territory_id": tids[i], "geometry": bytes(shapely.to_wkb(g))}
                for i, g in enumerate(trimmed)
                if not g.is_empty
            ]
            if shapes:
                s.execute(insert(TerritoryShape), shapes)
            rows = _assign_accounts(s, sid, geoms, tids, report)
        if rows:
            s.execute(insert(Assignment), rows)
        report.imported = len(names)
        report.extra["assigned"] = len(rows)
    return report


def _report_overlaps(
    geoms: np.ndarray, names: list[str], report: ImportReport
) -> list[shapely.Geometry]:
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


def _ensure_territories(
    s: Session,
    sid: int,
    names: list[str],
    colours: list[str],
    reps: list[str],
    report: ImportReport,
) -> list[int]:
    """Territory id per name in the scenario, creating missing territories in it (and reps
    named in the file)."""
    mine = select(ScenarioTerritory).where(ScenarioTerritory.scenario_id == sid)
    existing = {r.name: r for r in s.scalars(mine)}
    rep_ids = dict(s.execute(select(Rep.name, Rep.id)).all())
    colour_of = {name: r.colour for name, r in existing.items()}
    created: list[str] = []
    ids: list[int] = []
    for nm, colour, rep in zip(names, colours, reps, strict=True):
        rep_id = None
        if rep:
            if rep not in rep_ids:
                new_rep = Rep(name=rep)
                s.add(new_rep)
                s.flush()
                rep_ids[rep] = new_rep.id
            rep_id = rep_ids[rep]
        if nm in existing:
            terr = existing[nm]
            if colour:
                terr.colour = colour
        else:
            terr = _new_territory(s, sid, nm, colour or next_colour(colour_of.values()), None)
            created.append(nm)
        colour_of[nm] = terr.colour
        if rep_id is not None:
            terr.rep_id = rep_id
        s.flush()
        ids.append(terr.territory_id)
    report.extra["territories_created"] = created
    return ids


def _new_territory(
    s: Session, sid: int, name: str, colour: str, rep_id: int | None
) -> ScenarioTerritory:
    """A territory created by the import: it joins this scenario only."""
    terr = Territory(name=name, colour=colour, rep_id=rep_id, level="territory")
    s.add(terr)
    s.flush()
    row = ScenarioTerritory(
        scenario_id=sid, territory_id=terr.id, name=name, colour=colour, rep_id=rep_id,
        parent_id=None, target_weight=1.0, locked=False,
    )  # fmt: skip
    s.add(row)
    s.flush()
    return row


def _clear_scenario(s: Session, sid: int) -> None:
    for table in (Assignment, Pin, TerritoryShape):
        s.execute(delete(table).where(table.scenario_id == sid))


def _assign_accounts(
    s: Session, sid: int, geoms: np.ndarray, tids: list[int], report: ImportReport
) -> list[dict[str, Any]]:
    accounts = s.execute(
        select(Account.id, Account.lon, Account.lat).where(
            Account.lon.is_not(None), Account.lat.is_not(None)
        )
    ).all()
    if not accounts:
        return []
    xy = np.array([(a[1], a[2]) for a in accounts], dtype=np.float64)
    where = place_points(xy[:, 0], xy[:, 1], geoms)
    report.extra["unassigned_accounts"] = int((where < 0).sum())
    return [
        {"scenario_id": sid, "atom_kind": "account", "atom_id": a[0], "territory_id": tids[w]}
        for a, w in zip(accounts, where.tolist(), strict=True)
        if w >= 0
    ]


# -- plan CSV -------------------------------------------------------------------------------


def _import_plan(project: Project, path: Path, sid: int, skip_invalid: bool) -> ImportReport:
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
    with project.transaction() as s:
        if key_col == "unit_code":
            known = dict(s.execute(select(Unit.code, Unit.id)).all())
            what = "unit code"
        else:
            known = dict(s.execute(select(Account.external_id, Account.id)).all())
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
                report.reject(
                    row, key_col, f"{what} {quote(key)} appears twice (also row {seen[key]})"
                )
            elif not owner:
                report.reject(row, owner_col, "no territory or owner given")
            else:
                seen[key] = row
                valid.append((known[key], owner))
        report.rejected.sort(key=lambda r: r.row or 0)
        report.check_rejections(skip_invalid)
        resolve = _owner_resolver(s, sid, report)
        atoms = [(atom, resolve(owner)) for atom, owner in valid]
        _clear_scenario(s, sid)
        has_units = s.scalar(select(Unit.id).limit(1)) is not None
        if key_col == "unit_code":
            rows = [_row(sid, "unit", a, t) for a, t in atoms]
        elif not has_units:
            rows = [_row(sid, "account", a, t) for a, t in atoms]
        else:
            rows = _units_by_majority(s, sid, atoms, report)
        if rows:
            s.execute(insert(Assignment), rows)
        report.imported = len(atoms)
        report.extra["assigned"] = len(rows)
    return report


def _row(sid: int, kind: str, atom: int, tid: int) -> dict[str, Any]:
    return {"scenario_id": sid, "atom_kind": kind, "atom_id": atom, "territory_id": tid}


def _owner_resolver(s: Session, sid: int, report: ImportReport) -> Any:
    """Owner name -> territory id: a territory name, else a rep's territory, else a new one
    (territories of the scenario only)."""
    st = ScenarioTerritory
    terr = dict(s.execute(select(st.name, st.territory_id).where(st.scenario_id == sid)).all())
    rep_terr: dict[str, int] = {}
    for rep_name, tid in s.execute(
        select(Rep.name, st.territory_id)
        .join(st, st.rep_id == Rep.id)
        .where(st.scenario_id == sid)
        .order_by(st.territory_id.desc())
    ):
        rep_terr[rep_name] = tid  # descending ids: the rep's first territory wins
    reps = dict(s.execute(select(Rep.name, Rep.id)).all())
    created: list[str] = []
    report.extra["territories_created"] = created
    used = list(s.scalars(select(st.colour).where(st.scenario_id == sid)))

    def resolve(owner: str) -> int:
        if owner in terr:
            return terr[owner]
        if owner in rep_terr:
            return rep_terr[owner]
        used.append(next_colour(used))
        new = _new_territory(s, sid, owner, used[-1], reps.get(owner))
        terr[owner] = new.territory_id
        created.append(owner)
        return new.territory_id

    return resolve


def _units_by_majority(
    s: Session, sid: int, atoms: list[tuple[int, int]], report: ImportReport
) -> list[dict[str, Any]]:
    unit_of = dict(s.execute(select(Account.id, Account.unit_id)).all())
    votes: dict[int, Counter[int]] = {}
    first_seen: dict[int, int] = {}
    for i, (_acc, tid) in enumerate(atoms):
        first_seen.setdefault(tid, i)
    for acc, tid in atoms:
        unit = unit_of.get(acc)
        if unit is not None:
            votes.setdefault(unit, Counter())[tid] += 1
    winner = {unit: max(c, key=lambda t: (c[t], -first_seen[t])) for unit, c in votes.items()}
    pins = [
        {"scenario_id": sid, "account_id": acc, "territory_id": tid}
        for acc, tid in atoms
        if winner.get(unit_of.get(acc) or -1) != tid
    ]
    if pins:
        s.execute(insert(Pin), pins)
        report.warn(
            None,
            "owner",
            f"{len(pins)} accounts are pinned to their owner's territory because the owner "
            "differs from the territory holding most accounts of their unit (or they lie in "
            "no unit)",
        )
    report.extra["pins"] = len(pins)
    return [_row(sid, "unit", unit, tid) for unit, tid in sorted(winner.items())]
