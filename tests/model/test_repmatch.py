"""Rep matching: the nearest, best-fitting rep with room gets the territory; costs explain it."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import update

from planner.model.plan import Plan
from planner.model.repmatch import suggest, suggest_for_plan
from planner.model.schema import Rep


def _reps(**over: object) -> pd.DataFrame:
    data = {
        "name": ["West", "East"],
        "home_lon": [-100.0, -80.0],
        "home_lat": [40.0, 40.0],
        "capacity_hours": [40.0, 40.0],
        "industries": [[], []],
    }
    data.update(over)  # type: ignore[arg-type]
    return pd.DataFrame(data, index=[11, 12])


def test_each_territory_gets_the_rep_living_nearest() -> None:
    mix = pd.DataFrame({"Retail": [1.0, 1.0]})
    out = suggest(np.array([-80.5, -99.5]), np.array([40.0, 40.0]), np.array([100.0, 100.0]),
                  mix, _reps())  # fmt: skip
    assert [p.rep_name for p in out] == ["East", "West"]
    assert out[0].components["distance_km"] < 60
    assert out[0].components["overload"] == 0.0


def test_industry_fit_outweighs_a_short_distance() -> None:
    mix = pd.DataFrame({"Healthcare": [1.0, 0.0], "Energy": [0.0, 1.0]})
    reps = _reps(industries=[["Healthcare"], ["Energy"]], home_lon=[-90.2, -89.8])
    out = suggest(np.array([-89.8, -90.2]), np.array([40.0, 40.0]), np.array([10.0, 10.0]),
                  mix, reps)  # fmt: skip
    assert [p.rep_name for p in out] == ["West", "East"]  # fit wins over 30 km
    assert out[0].components["industry_miss"] == 0.0


def test_capacity_overload_is_costed() -> None:
    mix = pd.DataFrame({"Retail": [1.0]})
    reps = _reps(capacity_hours=[10.0, 40.0])
    out = suggest(np.array([-100.0]), np.array([40.0]), np.array([40.0 * 46]), mix, reps)
    assert out[0].rep_name == "East"  # the near rep would be 4x over capacity
    assert out[0].components["overload"] == 0.0


def test_plan_pairs_every_territory_with_its_own_rep_in_a_stripe_grid(grid) -> None:
    with grid.transaction() as s:
        s.execute(update(Rep).values(industries=[]))
    out = suggest_for_plan(Plan.load(grid))
    assert len(out) == 3
    assert [p.rep_id for p in out] == [p.current_rep_id for p in out]
    assert all(p.cost >= 0 for p in out)
    assert set(out[0].to_json()) >= {"territory", "rep", "cost", "distance_km", "overload"}
