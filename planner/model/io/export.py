"""Exports of a scenario: XLSX workbook, accounts CSV, and the GIS formats.

- ``csv``: one row per account with its territory and rep in the scenario and in the baseline
  (the files CRMs import to change owners are ``planner crm-update``'s:
  :mod:`planner.model.io.crm_update`); with ``level="units"`` one row per unit instead
  (``unit_code``, ``territory``, ``unit_name``: what a GIS join or another solver reads).
- ``xlsx``: sheets *Balance* (per territory, with deviation from target), *Summary*,
  *Accounts* (as the CSV) and *Units* (unit -> territory).
- ``gpkg``, ``shp``, ``geojson``, ``kml``: territory polygons with their balance figures and
  units with their territory (:mod:`planner.model.io.gis_export`).

Files are written through :func:`planner.model.io._output.write_atomic`: never over the
project (or its ``-wal``/``-shm``) or another protected file, under a temporary name renamed
when complete. Text cells are neutralised against formula injection
(:mod:`planner.model.io._cells`); non-finite numbers are ``null`` in GeoJSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from planner.model.atoms import AtomData, for_scenario, territory_ids_of
from planner.model.balance import METRICS
from planner.model.errors import PlannerError
from planner.model.io._cells import neutralise_frame, textify
from planner.model.io._output import Protected, protected, write_atomic
from planner.model.io.gis_export import GIS_FORMATS, export_gis

if TYPE_CHECKING:
    from planner.model.plan import Plan


def balance_frame(plan: Plan) -> pd.DataFrame:
    """One row per territory: its hierarchy (a column per level: ``district``, ``region``...,
    as a plan CSV imports them back), rep, metrics, deviations, disruption and quota."""
    from planner.model.hierarchy import Tree

    tree = Tree.of_plan(plan)
    levels = tree.levels()[:-1][::-1]  # nearest first, as a plan file names them
    rows = []
    for r in plan.rows():
        row = {"territory": r["name"]}
        for lv in levels:
            up = tree.ancestor_at(r["id"], lv)
            row[lv] = tree.name(up) if up is not None else ""
        row["rep"] = r["rep"]
        row.update({m: r[m] for m in METRICS})
        if "quota" in r:
            row.update({k: r.get(k) for k in ("quota", "commitment", "difficulty", "multiplier")})
        row.update({f"deviation_{m}": r["deviation"][m] for m in METRICS})
        row["disruption"] = r["disruption"]
        rows.append(row)
    return pd.DataFrame(rows)


def _labels(a: AtomData) -> tuple[np.ndarray, np.ndarray]:
    """Territory and rep name per territory index, with "" for index -1 (unassigned)."""
    names = np.append(a.territory_names, "")
    reps = np.array(
        [a.rep_names.get(int(r), "") if np.isfinite(r) else "" for r in a.territory_rep_ids] + [""],
        dtype=object,
    )
    return names, reps


def accounts_frame(plan: Plan) -> pd.DataFrame:
    a = plan.atoms
    names, reps = _labels(a)
    now = plan.account_territories()
    # The baseline's own territory names and reps (a scenario may rename or reassign them).
    base_atoms = for_scenario(a, plan.project, plan.project.baseline_id())
    base_names, base_reps = _labels(base_atoms)
    base_ids = plan.baseline_territory_ids
    base = np.array([base_atoms.territory_index().get(int(t), -1) for t in base_ids], np.int64)
    codes = np.append(a.unit_codes, "")
    m = a.account_matrix
    return pd.DataFrame(
        {
            "account_id": a.account_ext_ids,
            "name": a.account_names,
            "unit_code": codes[a.account_unit],
            "territory": names[now],
            "rep": reps[now],
            "baseline_territory": base_names[base],
            "baseline_rep": base_reps[base],
            "moved": territory_ids_of(a, now) != base_ids,
            "potential": m[:, 1],
            "revenue": m[:, 2],
            "pipeline": m[:, 3],
        }
    )


FORMATS = ("xlsx", "csv", *GIS_FORMATS)


def units_frame(plan: Plan) -> pd.DataFrame:
    """One row per unit: its code, its territory in the plan ("" when unassigned), name."""
    a = plan.atoms
    return pd.DataFrame(
        {
            "unit_code": a.unit_codes,
            "territory": np.append(a.territory_names, "")[plan.alignment[: a.n_units]],
            "unit_name": a.unit_names,
        }
    )


LEVELS = ("accounts", "units")


def export(
    plan: Plan,
    fmt: str,
    out: Path,
    *,
    protect: Protected | None = None,
    level: str = "accounts",
) -> Path:
    """Write ``plan`` as ``fmt`` to ``out``; returns ``out``.

    ``protect``: files that must not be overwritten besides the plan's own project. The GIS
    formats write their default layers; :func:`~planner.model.io.gis_export.export_gis` takes
    a layer and says what was written. ``level``: the CSV's rows, accounts or units (the
    workbook has a sheet of each).
    """
    if fmt not in FORMATS:
        raise PlannerError(f"unknown export format '{fmt}' ({', '.join(FORMATS)})")
    if level not in LEVELS:
        raise PlannerError(f"unknown export level '{level}' ({', '.join(LEVELS)})")
    if fmt in GIS_FORMATS:
        return export_gis(plan, fmt, out, protect=protect).file
    if fmt == "xlsx" and level != "accounts":
        raise PlannerError("the workbook holds accounts and units sheets: no level to choose")
    if level == "units" and not plan.atoms.n_units:
        raise PlannerError("the project has no units to export (its accounts are drawn freely)")
    guard = {**protected(plan.project.path), **(protect or {})}
    if fmt == "csv":
        frame = units_frame if level == "units" else accounts_frame
        return write_atomic(out, lambda tmp: _write_csv(frame(plan), tmp), protect=guard)
    return write_atomic(out, lambda tmp: _write_xlsx(plan, tmp), protect=guard)


def _write_csv(frame: pd.DataFrame, tmp: Path) -> None:
    # CRLF rows (RFC 4180): then a CR or LF inside a name gets the field quoted, as it must.
    neutralise_frame(frame).to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\r\n")


def _write_xlsx(plan: Plan, tmp: Path) -> None:
    summary = plan.summary()
    srows = [{"measure": k, **{m: summary[k][m] for m in METRICS}} for k in summary] + [
        {"measure": "disruption", **plan.disruption()}
    ]
    units = units_frame(plan)[["unit_code", "unit_name", "territory"]]
    with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
        balance_frame(plan).to_excel(xw, sheet_name="Balance", index=False)
        pd.DataFrame(srows).to_excel(xw, sheet_name="Summary", index=False)
        accounts_frame(plan).to_excel(xw, sheet_name="Accounts", index=False)
        units.to_excel(xw, sheet_name="Units", index=False)
        textify(xw.book)
