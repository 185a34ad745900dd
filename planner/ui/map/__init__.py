"""The embedded Leaflet map: page builder (folium), QWebChannel bridge and the web view.

Only ``page`` imports folium; ``bridge`` and ``view`` import Qt. Import the submodules you need::

    from planner.ui.map.view import MapView
    from planner.ui.map.bridge import MapBridge
"""

from pathlib import Path

from planner.model.resources import resources_dir

#: The folder every asset of the map page is loaded from (vendored Leaflet, our JS/CSS, basemap).
RESOURCES_DIR: Path = resources_dir() / "map"

__all__ = ["RESOURCES_DIR"]
