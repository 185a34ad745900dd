"""A PNG picture (a map) placed on a worksheet, without Pillow.

openpyxl reads an image's size and bytes through Pillow, which the app does not otherwise need;
the map pictures are PNGs whose size we know, so this image type hands openpyxl the bytes and
size directly (``Image._data`` is what openpyxl's writer calls for the media part).
"""

from __future__ import annotations

import struct
from typing import Any

from openpyxl.drawing.image import Image

#: Width in the sheet (pixels at 96 dpi): about a landscape page; height follows the picture.
SHOWN_WIDTH = 900


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk; ValueError if ``png`` is not a PNG."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ValueError("not a PNG picture")
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


class PngImage(Image):
    """An openpyxl image made from PNG bytes."""

    def __init__(self, png: bytes, width: int = SHOWN_WIDTH) -> None:
        w, h = png_size(png)
        self.ref = None
        self._png = png
        self.format = "png"
        self.width = width
        self.height = round(h * width / max(w, 1))

    def _data(self) -> bytes:
        return self._png


def add_picture(ws: Any, png: bytes, anchor: str) -> None:
    """Put ``png`` on worksheet ``ws`` with its top-left corner at cell ``anchor``."""
    ws.add_image(PngImage(png), anchor)
