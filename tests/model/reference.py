"""An independent pandas computation of the balance from the raw tables.

Written separately from planner.model.balance on purpose: tests compare the engine (and the
CLI's --json) against it. It follows the documented formula (balance.py module docstring and
README "Balance"), not the engine's code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import text

from planner.model.store import Project


def _read(project: Project, sql: str, **params: object) -> pd.DataFrame:
    with project.engine.connect() as conn:
        return pd.read_sql_query(text(sql), conn, params=params)


def _km(lon1, lat1, lon2, lat2):
    r = 6371.0088
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dlmb = p2 - p1, np.radians(lon2) - np.radians(lon1)
    h = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * r * np.arcsin(np.sqrt(h))


def reference_balance(project: Project, scenario_id: int) -> pd.DataFrame:
    """Per territory name: accounts, potential, revenue, pipeline, workload_hours."""
    acc = _read(project, "SELECT * FROM account")
    terr = _read(
        project,
        "SELECT t.territory_id, t.name AS territory, r.home_lon, r.home_lat "
        "FROM scenario_territory t LEFT JOIN rep r ON r.id = t.rep_id WHERE t.scenario_id = :s",
        s=scenario_id,
    )
    asg = _read(project, "SELECT * FROM assignment WHERE scenario_id = :s", s=scenario_id)
    pins = _read(project, "SELECT * FROM pin WHERE scenario_id = :s", s=scenario_id)
    opp = _read(project, "SELECT account_id, amount FROM opportunity WHERE is_open")
    pipeline = opp.groupby("account_id")["amount"].sum()
    acc["pipeline"] = acc["id"].map(pipeline).fillna(0.0)
    unit_t = asg[asg.atom_kind == "unit"].set_index("atom_id")["territory_id"]
    free_t = asg[asg.atom_kind == "account"].set_index("atom_id")["territory_id"]
    pin_t = pins.set_index("account_id")["territory_id"]
    acc["territory_id"] = acc["unit_id"].map(unit_t)
    acc.loc[acc["id"].isin(free_t.index), "territory_id"] = acc["id"].map(free_t)
    acc["pinned"] = acc["id"].isin(pin_t.index)
    acc.loc[acc["pinned"], "territory_id"] = acc["id"].map(pin_t)

    # Travel point: own location for pinned/free-form accounts; for accounts that follow their
    # unit, the visit-weighted centre of all the unit's located accounts (documented).
    located = acc.dropna(subset=["lon", "lat", "unit_id"]).copy()
    located["w"] = located["visits_per_year"].clip(lower=1e-9)
    located["wx"], located["wy"] = located.lon * located.w, located.lat * located.w
    g = located.groupby("unit_id")[["w", "wx", "wy"]].sum()
    centre = pd.DataFrame({"clon": g.wx / g.w, "clat": g.wy / g.w})
    acc = acc.join(centre, on="unit_id")
    follows = ~acc["pinned"] & acc["unit_id"].notna() & ~acc["id"].isin(free_t.index)
    acc["tlon"] = np.where(follows, acc["clon"], acc["lon"]).astype(float)
    acc["tlat"] = np.where(follows, acc["clat"], acc["lat"]).astype(float)

    terr["territory_id"] = terr["territory_id"].astype("float64")  # also with no territory
    acc["territory_id"] = acc["territory_id"].astype("float64")
    acc = acc.merge(terr, on="territory_id", how="inner")
    # Anchor: rep home; else visit-weighted centre of the territory's located accounts.
    ok = acc.dropna(subset=["lon", "lat"]).copy()
    ok["w"] = ok["visits_per_year"].clip(lower=1e-9)
    ok["wx"], ok["wy"] = ok.lon * ok.w, ok.lat * ok.w
    gt = ok.groupby("territory_id")[["w", "wx", "wy"]].sum()
    centre_t = pd.DataFrame({"alon": gt.wx / gt.w, "alat": gt.wy / gt.w})
    acc = acc.join(centre_t, on="territory_id")
    has_home = acc["home_lon"].notna() & acc["home_lat"].notna()
    alon = np.where(has_home, acc["home_lon"], acc["alon"]).astype(float)
    alat = np.where(has_home, acc["home_lat"], acc["alat"]).astype(float)
    # README "Balance": round trip by road shared by 4 visits a trip, plus 15 min between visits.
    travel = np.nan_to_num(2 * 1.3 * _km(acc["tlon"], acc["tlat"], alon, alat) / 4.0 + 15.0)
    acc["workload_hours"] = acc["visits_per_year"] * (acc["minutes_per_visit"] + travel) / 60.0
    out = acc.groupby("territory").agg(
        accounts=("id", "count"),
        potential=("potential", "sum"),
        revenue=("revenue", "sum"),
        pipeline=("pipeline", "sum"),
        workload_hours=("workload_hours", "sum"),
    )
    return out.reindex(terr["territory"]).fillna(0.0)
