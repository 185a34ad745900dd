"""Helpers shared by the importer tests: write an input file, prove a refusal changed nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from planner.model.errors import ImportRefused
from planner.model.store import Project


def write(tmp_path: Path, name: str, content: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode(encoding))
    return path


def dump(project: Project) -> list[str]:
    """The whole project file as SQL: equal dumps mean not one row changed."""
    assert project.path is not None
    con = sqlite3.connect(project.path)
    try:
        return list(con.iterdump())
    finally:
        con.close()


def refused(project: Project, run: Callable[[], Any]) -> str:
    """Run an import expecting refusal; returns the message after checking the project file
    is unchanged and the report says refused."""
    before = dump(project)
    with pytest.raises(ImportRefused) as err:
        run()
    assert dump(project) == before
    assert err.value.report.refused  # type: ignore[attr-defined]
    return str(err.value)
