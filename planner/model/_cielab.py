"""sRGB -> CIELAB and the CIEDE2000 colour difference, vectorised with numpy.

Why here and not a dependency: two formulas (~60 lines) are all the territory colouring needs to
tell whether two fills *look* different; colour-science packages are large for that.

Territory fills are drawn translucent over the basemap, so :func:`blend` gives the colour a
person actually sees before distances are measured.

Reference: G. Sharma, W. Wu, E. Dalal, "The CIEDE2000 Color-Difference Formula: Implementation
Notes, Supplementary Test Data, and Mathematical Observations" (2005); the test data of that
paper is checked in tests/model/test_colours.py.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

# D65 reference white (CIE 1931 2°), as used by sRGB.
_WHITE = np.array([0.95047, 1.0, 1.08883])
_SRGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)


def hex_to_rgb(colours: ArrayLike) -> NDArray[np.float64]:
    """``#rgb`` / ``#rrggbb`` strings -> (n, 3) floats in [0, 1]."""
    out = []
    for c in np.atleast_1d(np.asarray(colours, dtype=object)).tolist():
        h = str(c).strip().lstrip("#")
        if len(h) == 3:
            h = "".join(ch * 2 for ch in h)
        out.append([int(h[i : i + 2], 16) / 255.0 for i in (0, 2, 4)])
    return np.asarray(out, dtype=np.float64).reshape(-1, 3)


def rgb_to_hex(rgb: ArrayLike) -> list[str]:
    """(n, 3) floats in [0, 1] -> ``#rrggbb`` strings (rounded, clipped)."""
    values = np.clip(np.rint(np.asarray(rgb, dtype=np.float64).reshape(-1, 3) * 255), 0, 255)
    return ["#{:02x}{:02x}{:02x}".format(*(int(v) for v in row)) for row in values]


def blend(rgb: ArrayLike, under: ArrayLike, alpha: float) -> NDArray[np.float64]:
    """``rgb`` drawn with opacity ``alpha`` over ``under`` (what a translucent fill looks like)."""
    return alpha * np.asarray(rgb, dtype=np.float64) + (1.0 - alpha) * np.asarray(under)


def rgb_to_lab(rgb: ArrayLike) -> NDArray[np.float64]:
    """sRGB in [0, 1] (n, 3) -> CIELAB (n, 3), D65."""
    c = np.asarray(rgb, dtype=np.float64).reshape(-1, 3)
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = linear @ _SRGB_TO_XYZ.T / _WHITE
    eps, kappa = 216 / 24389, 24389 / 27
    f = np.where(xyz > eps, np.cbrt(xyz), (kappa * xyz + 16) / 116)
    return np.column_stack(
        [116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])]
    )


def delta_e2000(lab1: ArrayLike, lab2: ArrayLike) -> NDArray[np.float64]:
    """CIEDE2000 difference of Lab colours (broadcasting over leading axes; last axis = L,a,b).

    About 1 is a just noticeable difference; neighbouring fills want 20 or more to read apart
    at a glance.
    """
    x = np.asarray(lab1, dtype=np.float64)
    y = np.asarray(lab2, dtype=np.float64)
    l1, a1, b1 = x[..., 0], x[..., 1], x[..., 2]
    l2, a2, b2 = y[..., 0], y[..., 1], y[..., 2]
    c_bar = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_bar**7 / (c_bar**7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    dlp = l2 - l1
    dcp = c2p - c1p
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(c1p * c2p == 0, 0.0, dh)
    dhp = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh) / 2)
    lp_bar = (l1 + l2) / 2
    cp_bar = (c1p + c2p) / 2
    hsum = h1p + h2p
    hp_bar = np.where(
        c1p * c2p == 0,
        hsum,
        np.where(
            np.abs(h1p - h2p) <= 180,
            hsum / 2,
            np.where(hsum < 360, (hsum + 360) / 2, (hsum - 360) / 2),
        ),
    )
    t = (
        1
        - 0.17 * np.cos(np.radians(hp_bar - 30))
        + 0.24 * np.cos(np.radians(2 * hp_bar))
        + 0.32 * np.cos(np.radians(3 * hp_bar + 6))
        - 0.20 * np.cos(np.radians(4 * hp_bar - 63))
    )
    d_theta = 30 * np.exp(-(((hp_bar - 275) / 25) ** 2))
    r_c = 2 * np.sqrt(cp_bar**7 / (cp_bar**7 + 25.0**7))
    s_l = 1 + 0.015 * (lp_bar - 50) ** 2 / np.sqrt(20 + (lp_bar - 50) ** 2)
    s_c = 1 + 0.045 * cp_bar
    s_h = 1 + 0.015 * cp_bar * t
    r_t = -np.sin(np.radians(2 * d_theta)) * r_c
    return np.asarray(
        np.sqrt(
            (dlp / s_l) ** 2 + (dcp / s_c) ** 2 + (dhp / s_h) ** 2 + r_t * (dcp / s_c) * (dhp / s_h)
        ),
        dtype=np.float64,
    )
