"""Benchmark projects, built once into build/ and reused (delete the file to rebuild)."""

from __future__ import annotations

import time
from pathlib import Path

from planner.model.demo import create_demo
from planner.model.store import Project

BUILD = Path(__file__).resolve().parents[1] / "build"


def demo_project(accounts: int = 100_000, region: str = "southeast") -> Path:
    """The demo (~600 counties, 100k accounts) or the benchmark set (lower 48, 1M accounts)."""
    BUILD.mkdir(exist_ok=True)
    path = BUILD / f"bench-{region}-{accounts}.tplan"
    if not path.exists():
        t0 = time.perf_counter()
        create_demo(path, accounts=accounts, region=region, seed=0).close()
        print(f"(built {path.name} in {time.perf_counter() - t0:.1f} s)")
    return path


def open_project(path: Path) -> Project:
    return Project.open(path)
