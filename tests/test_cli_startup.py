"""``planner`` starts fast: commands import what they use, when they run (issue 15; the
published-instance benchmark starts a process per step)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.clirun import ROOT, run_process

HEAVY = ("numpy", "pandas", "scipy", "shapely", "sqlalchemy", "alembic", "PySide6")


def _imported_after(code: str) -> list[str]:
    probe = f"import sys\n{code}\nprint(__import__('json').dumps(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         env=env, check=True, timeout=120).stdout  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])


def test_the_command_line_loads_no_library_before_a_command_runs() -> None:
    loaded = _imported_after("import planner.cli")
    assert [m for m in HEAVY if m in loaded] == []


def test_opening_a_project_does_not_load_the_migration_tool(tmp_path: Path) -> None:
    proj = tmp_path / "p.tplan"
    assert run_process("new", proj).returncode == 0
    loaded = _imported_after(
        f"from planner.cli import main\nassert main(['metrics', {str(proj)!r}, '--json']) == 0"
    )
    assert "sqlalchemy" in loaded  # it did open the project
    assert "alembic" not in loaded
