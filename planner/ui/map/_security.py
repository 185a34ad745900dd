"""What the map page may load and where it may navigate.

Why: the page shows user-supplied strings and runs vendored third-party JS. Even if something
slipped through escaping, it must not reach the network or navigate the view away. The request
interceptor sees every request the profile makes (scripts, images, fetch, navigation), so it is
also the proof, in tests, that the offline page makes no network request at all.
"""

from __future__ import annotations

import logging
import re
from collections import deque
from pathlib import Path

from PySide6.QtCore import QObject, QUrl
from PySide6.QtWebEngineCore import (
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
)

log = logging.getLogger(__name__)


def tile_host_pattern(tiles_url: str | None) -> re.Pattern[str] | None:
    """Regex for the host of a tile URL template; ``{s}`` (subdomain) matches any label."""
    if not tiles_url:
        return None
    host = QUrl(tiles_url.replace("{s}", "s")).host()
    if not host:
        return None
    wild = "{s}" in tiles_url
    parts = [r"[a-z0-9-]+" if p == "s" and wild else re.escape(p) for p in host.split(".")]
    return re.compile(r"\A" + r"\.".join(parts) + r"\Z", re.IGNORECASE)


class LocalOnlyInterceptor(QWebEngineUrlRequestInterceptor):
    """Blocks every request except local assets, qrc:, data: (and the tile host, if any).

    Attributes
    ----------
    blocked
        URLs refused so far, in order (tests read it; the app may log it).
    remote
        http(s) URLs let through (tile requests only), the latest 1,000: the proof of which
        hosts the page reached.
    """

    def __init__(
        self, allowed_dirs: list[Path], tiles_url: str | None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._dirs = [d.resolve() for d in allowed_dirs]
        self._tiles = tile_host_pattern(tiles_url)
        self.blocked: list[str] = []
        self.remote: deque[str] = deque(maxlen=1000)

    def set_tiles(self, tiles_url: str | None) -> None:
        """Let through the host of this tile URL from now on, and no other (None: none)."""
        self._tiles = tile_host_pattern(tiles_url)

    def allows(self, url: QUrl) -> bool:
        """The policy, separate from Qt's request object so it reads plainly."""
        scheme = url.scheme().lower()
        if scheme in ("qrc", "data", "blob"):
            return True
        if scheme == "file":
            path = Path(url.toLocalFile()).resolve()
            return any(path.is_relative_to(d) for d in self._dirs)
        if scheme in ("http", "https") and self._tiles is not None:
            return bool(self._tiles.match(url.host()))
        return False

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:
        url = info.requestUrl()
        if not self.allows(url):
            text = url.toString()
            log.warning("map: blocked request to %s", text)
            self.blocked.append(text)
            info.block(True)
        elif url.scheme().lower() in ("http", "https"):
            self.remote.append(url.toString())


class MapPage(QWebEnginePage):
    """A page that refuses to navigate away from the map page (links, window.open, redirects).

    Attributes
    ----------
    refused
        Navigation targets refused so far (tests read it).
    console
        ``(level, message, line, source)`` of console messages, for diagnosing a broken page.
    """

    def __init__(self, profile: QWebEngineProfile, page_url: QUrl, parent: QObject) -> None:
        super().__init__(profile, parent)
        self._page_url = page_url
        self.refused: list[str] = []
        self.console: list[tuple[int, str, int, str]] = []

    def acceptNavigationRequest(
        self, url: QUrl | str, navigation_type: QWebEnginePage.NavigationType, is_main_frame: bool
    ) -> bool:
        target = QUrl(url) if isinstance(url, str) else url
        if target.isLocalFile() and target.toLocalFile() == self._page_url.toLocalFile():
            return True
        log.warning("map: refused navigation to %s", target.toString())
        self.refused.append(target.toString())
        return False

    def createWindow(self, _type: QWebEnginePage.WebWindowType) -> QWebEnginePage | None:
        """window.open and target=_blank links: no new windows, ever."""
        self.refused.append("<new window>")
        return None

    def javaScriptConsoleMessage(
        self,
        level: QWebEnginePage.JavaScriptConsoleMessageLevel,
        message: str,
        line: int,
        source: str,
    ) -> None:
        self.console.append((int(level.value), message, line, source))
        if level == QWebEnginePage.JavaScriptConsoleMessageLevel.ErrorMessageLevel:
            log.warning("map console: %s (%s:%s)", message, source, line)
