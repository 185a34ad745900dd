"""Build the map page HTML with folium: the only module that imports folium.

Why a file and not ``setHtml``: Qt refuses pages over ~2 MB through ``setHtml`` and the page must
load local scripts by URL. Why no data in the page: data layers are pushed through the bridge
(``window.TP``) so that updates never reload the page.

Every script and stylesheet is local: folium's CDN defaults (Leaflet from jsDelivr, jQuery,
Bootstrap, Font Awesome) are replaced on the Map by the files vendored under ``resources/map``.
"""

from __future__ import annotations

import json
from pathlib import Path

import folium
from branca.element import MacroElement
from jinja2 import Template

from planner.ui.map import RESOURCES_DIR

PAGE_NAME = "map.html"
QWEBCHANNEL_JS = "qrc:///qtwebchannel/qwebchannel.js"

# Center of the contiguous US: the first frame shows the bundled basemap, never an empty ocean.
_START_CENTER = (39.5, -98.35)
_START_ZOOM = 4

#: Our page scripts, in load order (each builds on the ones before; see bridge.js). Keep in
#: step with pyproject's data-files for resources/map.
PAGE_SCRIPTS = (
    "bridge.js",
    "basemap.js",
    "territories.js",
    "units.js",
    "accountdata.js",
    "points.js",
    "accounts.js",
    "overlays.js",
    "gestures.js",
)


def _url(path: Path) -> str:
    """A ``file://`` URL for a local asset (absolute, so the page dir can live anywhere)."""
    return path.resolve().as_uri()


def _js_literal(value: object) -> str:
    """JSON for embedding in an inline ``<script>``: ``<`` escaped so no string can close it."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class _Init(MacroElement):
    """Calls ``TP.init(map, options)`` right after folium has created the Leaflet map."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        TP.init({{ this._parent.get_name() }}, {{ this.options_js }});
        {% endmacro %}
        """
    )

    def __init__(self, options: dict[str, object]) -> None:
        super().__init__()
        self._name = "TPInit"
        self.options_js = _js_literal(options)


def build_page(out_dir: Path, *, tiles_url: str | None = None, tiles_attribution: str = "") -> Path:
    """Write the map page into ``out_dir`` and return the HTML file's path.

    Parameters
    ----------
    out_dir
        Directory for ``map.html`` (created if missing).
    tiles_url
        Optional online tile URL template (``https://{s}.example/{z}/{x}/{y}.png``). Without it
        the page is fully offline and shows the bundled vector basemap only (Natural Earth
        countries, detail by zoom: ``resources/map/basemap.js``). With it the tiles
        are drawn above the vector basemap, which stays visible if tiles fail to load.
    tiles_attribution
        Attribution text shown for the online tiles (required by most tile providers).

    Examples
    --------
    >>> page = build_page(tmp_path)  # doctest: +SKIP
    >>> page.name
    'map.html'
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    vendor = RESOURCES_DIR / "vendor"
    fmap = folium.Map(
        location=_START_CENTER,
        zoom_start=_START_ZOOM,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
        world_copy_jump=False,
    )
    # Instance overrides: folium renders <script>/<link> tags from these lists, so nothing else
    # (no CDN, no jQuery/Bootstrap/Font Awesome) reaches the page.
    fmap.default_js = [
        ("leaflet", _url(vendor / "leaflet" / "leaflet.js")),
        ("leaflet_geoman", _url(vendor / "leaflet-geoman" / "leaflet-geoman.js")),
        ("qwebchannel", QWEBCHANNEL_JS),
        ("topojson", _url(vendor / "topojson-client" / "topojson-client.js")),
        # The coarsest world level and the US state lines load with the page; finer world
        # levels are added by basemap.js when the map is zoomed in (see its header).
        ("tp_world", _url(RESOURCES_DIR / "basemap" / "world-110m.js")),
        ("tp_us_states", _url(RESOURCES_DIR / "basemap" / "us_state_borders.js")),
        # Which admin-1 cells exist (a few hundred bytes); basemap.js loads the cells by view.
        ("tp_admin1", _url(RESOURCES_DIR / "basemap" / "admin1" / "admin1-index.js")),
        *((f"tp_{name.removesuffix('.js')}", _url(RESOURCES_DIR / name)) for name in PAGE_SCRIPTS),
    ]
    fmap.default_css = [
        ("leaflet_css", _url(vendor / "leaflet" / "leaflet.css")),
        ("leaflet_geoman_css", _url(vendor / "leaflet-geoman" / "leaflet-geoman.css")),
        ("tp_css", _url(RESOURCES_DIR / "map.css")),
    ]
    _Init({"tilesUrl": tiles_url, "attribution": tiles_attribution}).add_to(fmap)

    page = out_dir / PAGE_NAME
    fmap.save(str(page))
    return page
