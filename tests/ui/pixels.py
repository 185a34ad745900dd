"""Counting colours in rendered pictures (grabs, PNG files, PDF pages rendered by pdftoppm)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
from PySide6.QtGui import QColor, QImage

from planner.model.colours import BASEMAP, FILL_OPACITY

OCEAN = (0xDB, 0xE7, 0xEF)
LAND = (0xF4, 0xF1, 0xEA)
COAST = (0x7F, 0x95, 0xA8)
BORDER = (0xA3, 0xA9, 0xB4)


def pixels(image: QImage) -> np.ndarray:
    """The image as an ``(h, w, 3)`` RGB array."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    row = rgb.bytesPerLine()
    # A copy: the array must not outlive the converted image's buffer.
    data = np.frombuffer(rgb.constBits(), np.uint8, count=row * rgb.height()).copy()
    return data.reshape(rgb.height(), row)[:, : rgb.width() * 3].reshape(rgb.height(), -1, 3)


def count(image: QImage, rgb: tuple[int, int, int], tol: int = 14) -> int:
    """Pixels within ``tol`` of ``rgb`` on each channel."""
    diff = np.abs(pixels(image).astype(np.int16) - np.array(rgb, dtype=np.int16))
    return int((diff <= tol).all(axis=2).sum())


def rgb(colour: str) -> tuple[int, int, int]:
    c = QColor(colour)
    return c.red(), c.green(), c.blue()


def fill_on_land(colour: str) -> tuple[int, int, int]:
    """A territory fill as the map shows it over land: translucent over the basemap colour."""
    top, under = rgb(colour), rgb(BASEMAP)
    r, g, b = (round(FILL_OPACITY * t + (1 - FILL_OPACITY) * u)
               for t, u in zip(top, under, strict=True))  # fmt: skip
    return r, g, b


def pdf_pages(pdf: Path, dpi: int = 60) -> list[QImage]:
    """Every page of ``pdf`` rendered by poppler's pdftoppm (what a reader shows)."""
    prefix = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(prefix) + "-page"],
                   check=True, capture_output=True)  # fmt: skip
    pages = sorted(pdf.parent.glob(prefix.name + "-page*.png"))
    return [QImage(str(p)) for p in pages]
