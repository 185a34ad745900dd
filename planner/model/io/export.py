"""Exports of a scenario: XLSX workbook, accounts CSV for CRM owner updates, GeoJSON outlines.

- ``csv``: one row per account with its territory and rep in the scenario and in the baseline,
  ready to update owners in a CRM.
- ``xlsx``: sheets *Balance* (per territory, with deviation from target), *Summary*,
  *Accounts* (as the CSV) and *Units* (unit -> territory).
- ``geojson``: territory outlines (union of their units, or the drawn shapes in a free-form
  project) with the balance figures as properties, EPSG:4326.

Files are written to a temporary name and renamed, so a failed export never leaves a
half-written file under the requested name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import text

from planner.model.atoms import AtomData, for_scenario, load_unit_geometries, territory_ids_of
from planner.model.balance import METRICS
from planner.model.errors import PlannerError
from planner.model.geo import outlines

if TYPE_CHECKING:
    from planner.model.plan import Plan


def balance_frame(plan: Plan) -> pd.DataFrame:
    rows = []
    for r in plan.rows():
        row = {"territory": r["name"], "rep": r["rep"]}
        row.update({m: r[m] for m in METRICS})
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


def outline_features(plan: Plan) -> list[dict[str, Any]]:
    a = plan.atoms
    rows = plan.rows()
    if a.free_form:
        with plan.project.engine.connect() as c:
            shapes = c.execute(
                text("SELECT territory_id, geometry FROM territory_shape WHERE scenario_id = :s"),
                {"s": plan.scenario_id},
            ).all()
        tidx = a.territory_index()
        geoms = {tidx[t]: shapely.from_wkb(g) for t, g in shapes if t in tidx}
    else:
        geoms = outlines(load_unit_geometries(plan.project), plan.alignment[: a.n_units])
    feats = []
    for i, geom in sorted(geoms.items()):
        props = {k: v for k, v in rows[i].items() if k not in ("index",)}
        feats.append(
            {"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(geom)}
        )
    return feats


def export(plan: Plan, fmt: str, out: Path) -> Path:
    out = Path(out)
    if not out.parent.exists():
        raise PlannerError(f"{out.parent}: folder does not exist")
    tmp = out.with_name(out.name + ".partial")
    try:
        if fmt == "csv":
            accounts_frame(plan).to_csv(tmp, index=False, encoding="utf-8-sig")
        elif fmt == "xlsx":
            summary = plan.summary()
            srows = [{"measure": k, **{m: summary[k][m] for m in METRICS}} for k in summary] + [
                {"measure": "disruption", **plan.disruption()}
            ]
            units = pd.DataFrame(
                {
                    "unit_code": plan.atoms.unit_codes,
                    "unit_name": plan.atoms.unit_names,
                    "territory": np.append(plan.atoms.territory_names, "")[
                        plan.alignment[: plan.atoms.n_units]
                    ],
                }
            )
            with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
                balance_frame(plan).to_excel(xw, sheet_name="Balance", index=False)
                pd.DataFrame(srows).to_excel(xw, sheet_name="Summary", index=False)
                accounts_frame(plan).to_excel(xw, sheet_name="Accounts", index=False)
                units.to_excel(xw, sheet_name="Units", index=False)
        elif fmt == "geojson":
            fc = {"type": "FeatureCollection", "features": outline_features(plan)}
            tmp.write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")
        else:
            raise PlannerError(f"unknown export format '{fmt}' (xlsx, csv, geojson)")
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return out
