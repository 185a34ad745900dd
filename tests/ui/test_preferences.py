"""Preferences: online tiles are off by default and then the map reaches nothing outside the app;
switched on (``MapView.set_tiles``, what Edit > Preferences… does on OK), tiles come from the
configured host alone (a real local tile server here) without a restart; the choice is checked
and saved."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QStandardPaths
from PySide6.QtGui import QColor, QImage

from planner.model.errors import PlannerError
from planner.ui import preferences
from planner.ui.preferences import Preferences

JS = Callable[[str], Any]


@pytest.fixture
def tile_server(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 answering every path with a magenta 256 px PNG; yields its
    ``http://127.0.0.1:PORT`` and the paths it was asked for."""
    tile = QImage(256, 256, QImage.Format.Format_RGB32)
    tile.fill(QColor("#ff00ff"))
    png = tmp_path / "tile.png"
    tile.save(str(png))
    body = png.read_bytes()
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Access-Control-Allow-Origin", "*")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", asked
    server.shutdown()
    server.server_close()


@pytest.fixture
def prefs_file(qapp: Any) -> Iterator[Path]:
    QStandardPaths.setTestModeEnabled(True)
    file = preferences.path()
    file.unlink(missing_ok=True)
    yield file
    file.unlink(missing_ok=True)


def test_defaults_are_offline_and_saved_choices_come_back(prefs_file: Path) -> None:
    assert preferences.load() == Preferences()
    assert Preferences().map_options() == {"tiles_url": None, "tiles_attribution": ""}
    on = Preferences(online_tiles=True, tiles_url="https://t.example/{z}/{x}/{y}.png",
                     tiles_attribution="© Example <b>")  # fmt: skip
    preferences.save(on)
    assert preferences.load() == on
    with pytest.raises(PlannerError, match="lacks"):
        preferences.save(Preferences(online_tiles=True, tiles_url="https://t.example/tile.png"))
    with pytest.raises(PlannerError, match="https://"):
        preferences.save(Preferences(online_tiles=True, tiles_url="file:///etc/{z}{x}{y}"))
    assert preferences.load() == on  # a refused save left the file as it was
    prefs_file.write_text("{not json", encoding="utf-8")
    assert preferences.load() == Preferences()  # damaged: the defaults, never a crash


def test_offline_the_page_reaches_nothing_outside_the_app(qtbot: Any, map_view: Any,
                                                          js: JS) -> None:  # fmt: skip
    map_view.fit_bounds(35.2, 139.2, 36.0, 140.3)
    qtbot.waitUntil(lambda: js("TP.basemapState().level") == "10m", timeout=15_000)
    qtbot.wait(300)
    assert list(map_view.interceptor.remote) == []
    assert map_view.interceptor.blocked == []
    assert js("document.querySelectorAll('.leaflet-tile').length") == 0


def test_tiles_switched_on_come_from_that_host_alone(
    qtbot: Any, map_view: Any, js: JS, tile_server: tuple[str, list[str]]
) -> None:
    base, asked = tile_server
    map_view.set_tiles(base + "/{z}/{x}/{y}.png", "© Test tiles <script>")
    map_view.fit_bounds(35.2, 139.2, 36.0, 140.3)
    qtbot.waitUntil(lambda: len(asked) >= 4, timeout=15_000)
    remote = list(map_view.interceptor.remote)
    assert remote
    assert all(u.startswith(base + "/") for u in remote)
    # Another host stays blocked while tiles are on.
    js("(function(){var i=new Image(); i.src='http://localhost:9/x.png'; return 1;})()")
    qtbot.waitUntil(lambda: any("localhost:9" in u for u in map_view.interceptor.blocked),
                    timeout=10_000)  # fmt: skip
    # The attribution shows as text, never markup.
    text = js("document.querySelector('.leaflet-control-attribution').textContent")
    assert "© Test tiles <script>" in text
    qtbot.waitUntil(lambda: _magenta_share(map_view.grab().toImage()) > 0.05, timeout=10_000)
    # Off again: the host is refused from now on.
    map_view.set_tiles(None)
    qtbot.waitUntil(lambda: js("document.querySelectorAll('.leaflet-tile').length") == 0,
                    timeout=10_000)  # fmt: skip
    n = len(asked)
    js(
        f"(function(){{var i=new Image(); i.onload=function(){{window.__t='loaded';}}; "
        f"i.onerror=function(){{window.__t='refused';}}; i.src='{base}/9/9/9.png'; return 1;}})()"
    )
    qtbot.waitUntil(lambda: js("window.__t || ''") != "", timeout=10_000)
    assert js("window.__t") == "refused"
    assert len(asked) == n
    assert not any("/9/9/9.png" in u for u in map_view.interceptor.remote)


def _magenta_share(image: QImage) -> float:
    hits = total = 0
    for y in range(0, image.height(), 8):
        for x in range(0, image.width(), 8):
            c = image.pixelColor(x, y)
            total += 1
            hits += c.red() > 180 and c.blue() > 180 and c.green() < 120
    return hits / total


def test_the_dialog_checks_and_saves(qtbot: Any, prefs_file: Path) -> None:
    from planner.ui.preferences_dialog import PreferencesDialog

    dialog = PreferencesDialog(preferences.load())
    qtbot.addWidget(dialog)
    assert not dialog.tiles.isChecked()
    assert not dialog.url.isEnabled()
    dialog.tiles.setChecked(True)
    dialog.url.setText("not a url")
    dialog.accept()
    assert dialog.result() == 0  # still open, saying why
    assert "https://" in dialog.error.text()
    assert not prefs_file.exists()
    base = "http://127.0.0.1:1"
    dialog.url.setText(base + "/{z}/{x}/{y}.png")
    dialog.accept()
    assert dialog.result() == 1
    assert preferences.load().online_tiles
    assert preferences.load().tiles_url == base + "/{z}/{x}/{y}.png"
