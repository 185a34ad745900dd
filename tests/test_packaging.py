"""A wheel installs everything the app reads at run time: code, migrations and resources/."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from planner.model.resources import INSTALLED, find_resources

ROOT = Path(__file__).resolve().parents[1]
#: Not the project: version control, environments, build output, caches (resources/ is copied).
NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__",
                                    ".*_cache", ".hypothesis", "node_modules")  # fmt: skip


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """The wheel of a fresh copy of the checkout: setuptools writes build/ and *.egg-info where
    it builds and never cleans build/lib, so building the checkout itself could ship modules
    since deleted from planner/ (and would litter the checkout)."""
    src = tmp_path_factory.mktemp("src") / "project"
    shutil.copytree(ROOT, src, ignore=NOT_COPIED)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(src)],
        check=True, capture_output=True, cwd=out,
    )  # fmt: skip
    (path,) = out.glob("territory_planner-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_carries_every_resource_file(wheel: zipfile.ZipFile) -> None:
    data = {
        n.split("/data/", 1)[1] for n in wheel.namelist() if ".data/data/" in n
    }  # <name>.data/data/share/territory-planner/resources/...
    expected = {
        (INSTALLED / f.relative_to(ROOT / "resources")).as_posix()
        for f in (ROOT / "resources").rglob("*")
        if f.is_file()
    }
    assert expected, "no resources found"
    assert expected <= data, f"missing from the wheel: {sorted(expected - data)}"


def test_wheel_carries_the_code_and_migrations(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    for f in (ROOT / "planner").rglob("*"):
        if f.suffix in (".py", ".mako") and "__pycache__" not in f.parts:
            assert f.relative_to(ROOT).as_posix() in names
    stale = sorted(n for n in names if n.startswith("planner/") and not (ROOT / n).is_file())
    assert not stale, f"in the wheel but not in the checkout: {stale}"


def test_installed_resources_are_found_when_there_is_no_checkout(tmp_path: Path) -> None:
    prefix = tmp_path / "env"
    (prefix / INSTALLED / "map").mkdir(parents=True)
    nowhere = tmp_path / "site-packages"
    assert find_resources(nowhere, prefix) == prefix / INSTALLED
    assert find_resources(ROOT, prefix) == ROOT / "resources"  # a checkout wins
