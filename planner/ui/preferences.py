"""Preferences: the user's choices that are not part of a project, as a typed, versioned file.

Why a file of our own and not QSettings: the settings that change what the app may do (here,
whether the map may fetch anything from the network) must be documented, validated and
testable in one place (STYLE.md: "a typed, documented, versioned schema with defaults");
QSettings keeps only the window layout and recent files.

The file is ``preferences.json`` in the platform's app config folder
(``QStandardPaths.AppConfigLocation``; tests switch on Qt's test mode). An unreadable, damaged
or newer file gives the defaults, with the reason logged: preferences never stop the app from
starting.

Online tiles are **off by default**: the map shows only the bundled offline basemap and makes no
request outside the app. Switched on, the page may fetch from the one host of the tile URL and
from no other (``planner.ui.map._security``).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QStandardPaths, QUrl

from planner.model.errors import PlannerError
from planner.model.io._output import write_atomic

log = logging.getLogger(__name__)

VERSION = 1
FILE_NAME = "preferences.json"
OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = "© OpenStreetMap contributors"


@dataclass(frozen=True)
class Preferences:
    """Every preference with its default.

    Attributes
    ----------
    online_tiles
        Draw online map tiles over the offline basemap. Off by default: then nothing is fetched.
    tiles_url
        Tile URL template with ``{z}``, ``{x}`` and ``{y}`` (``{s}`` for a subdomain); only its
        host is let through. OpenStreetMap's standard tiles by default.
    tiles_attribution
        The credit the tile provider requires, shown on the map as plain text.
    """

    online_tiles: bool = False
    tiles_url: str = OSM_URL
    tiles_attribution: str = OSM_ATTRIBUTION

    def checked(self) -> Preferences:
        """The same preferences, or :class:`PlannerError` naming what is wrong."""
        if self.online_tiles:
            check_tiles_url(self.tiles_url)
        return self

    def map_options(self) -> dict[str, Any]:
        """Keyword arguments for :class:`planner.ui.map.view.MapView`: no tiles when off."""
        if not self.online_tiles:
            return {"tiles_url": None, "tiles_attribution": ""}
        return {"tiles_url": self.tiles_url, "tiles_attribution": self.tiles_attribution}


def check_tiles_url(url: str) -> str:
    """``url`` if it is an http(s) tile template with a host and ``{z}/{x}/{y}``."""
    parsed = QUrl(url.replace("{s}", "a"))
    if parsed.scheme() not in ("http", "https") or not parsed.host():
        raise PlannerError(f"tile URL must start with https:// or http:// and name a host: {url}")
    missing = [p for p in ("{z}", "{x}", "{y}") if p not in url]
    if missing:
        raise PlannerError(f"tile URL lacks {', '.join(missing)}: {url}")
    return url


def path() -> Path:
    """Where the preferences live (Qt's test mode gives tests a folder of their own)."""
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppConfigLocation)
    return Path(folder) / FILE_NAME


def load(file: Path | None = None) -> Preferences:
    """The saved preferences, or the defaults when there are none or they cannot be used."""
    file = file or path()
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Preferences()
    except (OSError, ValueError) as err:
        log.warning("preferences: cannot read %s (%s); using the defaults", file, err)
        return Preferences()
    if not isinstance(data, dict) or data.get("version") != VERSION:
        log.warning("preferences: %s is not version %s; using the defaults", file, VERSION)
        return Preferences()
    known = {k: data[k] for k in asdict(Preferences()) if k in data}
    try:
        prefs = replace(Preferences(), **known)
        if not isinstance(prefs.online_tiles, bool):
            raise PlannerError("online_tiles must be true or false")
        return prefs.checked()
    except (PlannerError, TypeError) as err:
        log.warning("preferences: %s: %s; using the defaults", file, err)
        return Preferences()


def save(prefs: Preferences, file: Path | None = None) -> Path:
    """Write the preferences (checked first; a temporary file renamed when complete)."""
    prefs.checked()
    file = file or path()
    file.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"version": VERSION, **asdict(prefs)}, indent=2, ensure_ascii=False)
    return write_atomic(file, lambda tmp: tmp.write_text(text + "\n", encoding="utf-8"))
