"""A small project around Tokyo Bay, built through the real importers (units GeoJSON, accounts
CSV, plan CSV): the coastline of the offline basemap must show around it. The same grid
elsewhere (:data:`YELLOW_SEA`: China and Korea) shows the neighbouring countries' borders."""

from __future__ import annotations

import json
from pathlib import Path

from planner.cli import main

#: South-west corner and cell size (degrees) of the 5 x 4 grid of units; it straddles the bay.
ORIGIN = (139.55, 35.35)
CELL = 0.12
TERRITORIES = ("東京 North", "Chiba <East>", "=Yokohama")
#: (origin, cell, territories, file name, step) of a grid across the Chinese-Korean border at
#: the Yalu: small units 0.6 degrees apart, so the basemap shows between them.
YELLOW_SEA = ((123.0, 39.3), 0.2, ("丹东 Dandong", "Korea Bay", "신의주 Sinuiju"), "yalu", 0.6)


def tokyo_project(
    folder: Path,
    origin: tuple[float, float] = ORIGIN,
    cell: float = CELL,
    territories: tuple[str, str, str] = TERRITORIES,
    name: str = "tokyo",
    step: float | None = None,
) -> Path:
    """``folder/NAME.tplan`` with 20 units, 60 accounts and three territories (by column);
    by default around Tokyo Bay. ``step``: distance between units (default ``cell``: they touch)."""
    step = cell if step is None else step
    folder.mkdir(parents=True, exist_ok=True)
    features, plan, accounts = (
        [],
        ["unit_code,territory"],
        ["Account ID,Account Name,Longitude,Latitude"],
    )
    for x in range(5):
        for y in range(4):
            x0, y0 = origin[0] + x * step, origin[1] + y * step
            ring = [[x0, y0], [x0 + cell, y0], [x0 + cell, y0 + cell], [x0, y0 + cell], [x0, y0]]
            code = f"T{x}{y}"
            features.append({"type": "Feature", "properties": {"code": code, "name": code},
                             "geometry": {"type": "Polygon", "coordinates": [ring]}})  # fmt: skip
            plan.append(f"{code},{territories[min(x * 3 // 5, 2)]}")
            for k in range(3):
                lon, lat = x0 + cell * (0.25 + 0.25 * k), y0 + cell * 0.5
                accounts.append(f"A{x}{y}{k},Account {x}{y}{k},{lon:.5f},{lat:.5f}")
    units = folder / "units.geojson"
    units.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    (folder / "accounts.csv").write_text("\n".join(accounts) + "\n", encoding="utf-8")
    (folder / "plan.csv").write_text("\n".join(plan) + "\n", encoding="utf-8")
    project = folder / f"{name}.tplan"
    for args in (["new", project], ["import-units", project, units, "--code-field", "code"],
                 ["import-accounts", project, folder / "accounts.csv"],
                 ["import-territories", project, folder / "plan.csv"]):  # fmt: skip
        code = main([str(a) for a in args])
        assert code == 0, args
    return project
