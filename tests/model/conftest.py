"""Fixtures of the model tests (no Qt here)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from planner.model.store import Project


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    """An empty project file; test modules that need data define their own ``project``."""
    p = Project.create(tmp_path / "t.tplan")
    yield p
    p.close()
