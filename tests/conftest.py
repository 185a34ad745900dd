"""Shared fixtures. Qt-specific set-up lives in tests/ui/conftest.py (model tests need no Qt)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from planner.model.store import Project
from planner.model.synthetic import grid_project


@pytest.fixture
def empty_project(tmp_path: Path) -> Iterator[Project]:
    project = Project.create(tmp_path / "empty.tplan")
    yield project
    project.close()


@pytest.fixture
def grid(tmp_path: Path) -> Iterator[Project]:
    """A 6x4 grid project: 24 units, 120 accounts, 3 territories, 2 pins."""
    project = grid_project(tmp_path / "grid.tplan", pins=2)
    yield project
    project.close()
