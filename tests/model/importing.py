"""Helpers shared by the importer tests: write an input file, prove a refusal changed nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from planner.model.errors import ImportRefused
from planner.model.io.accounts import import_accounts
from planner.model.schema import Account
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


def accounts(project: Project) -> dict[str, Account]:
    """The project's accounts by external id."""
    with project.session() as s:
        return {a.external_id: a for a in s.scalars(select(Account))}


def refused_accounts(project: Project, path: Path, **kw: Any) -> str:
    """An account import of ``path`` expecting refusal (see :func:`refused`)."""
    return refused(project, lambda: import_accounts(project, path, **kw))


def xlsx(path: Path, rows: list[list[Any]]) -> Path:
    """A real workbook written by openpyxl with ``rows`` on its first sheet."""
    import openpyxl

    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


def patched_xlsx(src: Path, dst: Path, **parts: Callable[[str], str] | None) -> Path:
    """A copy of workbook ``src`` whose zip parts are rewritten (``None`` deletes the part);
    the keyword is the part path with ``/`` and ``.`` as ``_``: ``xl_worksheets_sheet1_xml``."""
    import zipfile

    with zipfile.ZipFile(src) as z:
        files = {n: z.read(n) for n in z.namelist()}
    out: dict[str, bytes] = {}
    for name, data in files.items():
        key = name.replace("/", "_").replace(".", "_")
        if key not in parts:
            out[name] = data
        elif (change := parts[key]) is not None:
            out[name] = change(data.decode("utf-8")).encode("utf-8")
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in out.items():
            z.writestr(name, data)
    return dst


def geojson(path: Path, features: list[tuple[Any, dict[str, Any]]], raw: bool = False) -> Path:
    """A FeatureCollection of (geometry, properties); ``raw`` geometries are JSON text already
    (to write the NaN, Infinity and 1e400 that json.dumps would not)."""
    import json

    feats = ", ".join(
        f'{{"type": "Feature", "properties": {json.dumps(props)}, '
        f'"geometry": {geom if raw else json.dumps(geom)}}}'
        for geom, props in features
    )
    path.write_text(f'{{"type": "FeatureCollection", "features": [{feats}]}}')
    return path


def ring(coords: str) -> str:
    """A Polygon geometry as JSON text from its ring's coordinate text."""
    return f'{{"type": "Polygon", "coordinates": [[{coords}]]}}'
