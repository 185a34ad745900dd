"""Where the bundled resources (map assets, demo data) are: in the repository or installed.

The fixed layout keeps ``resources/`` at the top of the repository, outside the package. A
source checkout (the README's install, an editable install) reads it in place; a wheel carries
it as data files that land in ``<prefix>/share/territory-planner/resources`` (pyproject
``[tool.setuptools.data-files]``), so an installed app still finds its map with no network.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: Where a wheel installs ``resources/``, relative to the environment's prefix.
INSTALLED = Path("share") / "territory-planner" / "resources"


def find_resources(source_root: Path, prefix: Path) -> Path:
    """The checkout's ``resources/`` when present, else the installed copy under ``prefix``.

    Falls back to the checkout path when neither exists, so the error a caller raises names
    the place a developer expects."""
    for candidate in (source_root / "resources", prefix / INSTALLED):
        if candidate.is_dir():
            return candidate
    return source_root / "resources"


def resources_dir() -> Path:
    return find_resources(Path(__file__).resolve().parents[2], Path(sys.prefix))
