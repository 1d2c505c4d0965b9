# SPDX-License-Identifier: GPL-3.0-or-later
"""A small picture of Plutchik's wheel with the current choice highlighted: pure numpy -> RGBA array.

Layout (Plutchik 2001's figure, flattened): eight sectors in wheel order (:data:`.wheel.PRIMARIES`) clockwise from
the top (joy at 12 o'clock), three rings per sector - the intense emotion inside, the basic one in the middle, the
mild one outside - coloured by Plutchik's hues (joy yellow, trust light green, fear green, surprise cyan, sadness
blue, disgust violet, anger red, anticipation orange), darker towards the centre.

Highlight (:func:`wheel_image`): a primary lights its ring cell and dims the rest; a dyad or pair lights both
constituents' basic cells, draws the chord between the two sector centres and a dot on it at the blend's weight
(nearer the dominant E1 as w1 grows). Drawn by evaluating every pixel's polar coordinates (no drawing library),
2x2 supersampled for smooth edges.
"""

import numpy as np

from ..errors import InputError
from .wheel import PRIMARIES, resolve_wheel_name

__all__ = ["HUES", "wheel_image", "wheel_selection"]

#: Plutchik's colours, sRGB in [0, 1], in :data:`PRIMARIES` order.
HUES = np.array(
    [
        (1.00, 0.86, 0.20),  # joy: yellow
        (0.55, 0.85, 0.35),  # trust: light green
        (0.10, 0.62, 0.35),  # fear: green
        (0.20, 0.70, 0.85),  # surprise: cyan
        (0.25, 0.45, 0.90),  # sadness: blue
        (0.60, 0.40, 0.80),  # disgust: violet
        (0.90, 0.20, 0.25),  # anger: red
        (1.00, 0.55, 0.15),  # anticipation: orange
    ]
)
_RING_EDGES = (0.12, 0.42, 0.70, 0.96)  # radii (of the half-size) of centre disc, intense, basic, mild rings


def wheel_selection(name, mix=None):
    """What to highlight for wheel name ``name`` (any name :func:`.wheel.resolve_wheel_name` takes): ``dict`` with
    ``cells`` (list of ``(primary index 0-7, level 1-3)``), ``pair`` (``(i1, i2, w1)`` or None: E1's and E2's
    sector indices and E1's weight). Presets that are not primaries (neutral, contempt...) highlight nothing but
    the centre (``cells`` empty). Raises InputError: unknown name."""
    emotion = resolve_wheel_name(name, mix)
    primary_of = {p: i for i, p in enumerate(PRIMARIES)}
    primary_of.update(happy=0, sad=4)
    if emotion.kind == "primary":
        return {"cells": [(primary_of[emotion.components[0][0]], emotion.level)], "pair": None}
    if len(emotion.components) == 2:
        (a, w1), (b, _) = emotion.components
        cells = [(primary_of[c], 2) for c in (a, b) if c in primary_of]
        pair = (primary_of[a], primary_of[b], float(w1)) if a in primary_of and b in primary_of else None
        return {"cells": cells, "pair": pair}
    return {"cells": [], "pair": None}


def _angle_of(index):
    """Centre angle (radians, counter-clockwise from +x, image y up) of sector ``index``: 0 at the top, clockwise."""
    return np.pi / 2 - index * (2 * np.pi / len(PRIMARIES))


def wheel_image(size=128, name=None, mix=None):
    """Render the wheel with ``name`` (optional; see :func:`wheel_selection`) highlighted.

    ``size``: image side in pixels (16..1024). Returns ``(size, size, 4) float32`` RGBA in [0, 1], sRGB colours,
    row 0 at the *bottom* (Blender's image and preview pixel order), transparent outside the wheel.
    Raises InputError: size out of range, unknown name.
    """
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not 16 <= size <= 1024:
        raise InputError(f"wheel image size must be a whole number of pixels in 16..1024, got {size!r}")
    selection = wheel_selection(name, mix) if name is not None else {"cells": [], "pair": None}
    ss = 2  # supersampling
    n = size * ss
    c = (np.arange(n) + 0.5) / n * 2.0 - 1.0  # pixel centres in [-1, 1]
    x, y = np.meshgrid(c, c)  # y up: row 0 is the bottom row
    r = np.hypot(x, y)
    theta = np.arctan2(y, x)
    # sector index: 0 at the top, clockwise
    sector = np.floor(((np.pi / 2 - theta) / (2 * np.pi) * 8 + 0.5) % 8).astype(np.int64)
    ring = np.digitize(r, _RING_EDGES)  # 0 centre, 1 intense (level 3), 2 basic, 3 mild, 4 outside
    level = np.where((ring >= 1) & (ring <= 3), 4 - ring, 0)
    shade = np.select([level == 3, level == 2, level == 1], [0.72, 0.9, 1.0], 1.0)
    rgb = HUES[sector] * shade[..., None]
    rgb = np.where((level == 1)[..., None], 0.55 * rgb + 0.45, rgb)  # the mild ring is paler
    alpha = (ring <= 3).astype(np.float64)
    rgb = np.where((ring == 0)[..., None], 0.92, rgb)  # centre disc: light grey
    # thin dark lines between sectors and rings
    frac = ((np.pi / 2 - theta) / (2 * np.pi) * 8 + 0.5) % 1.0  # 0 (or 1) on a sector boundary
    edge = np.minimum(frac, 1.0 - frac) * (2 * np.pi / 8) * r < 0.012
    for radius in _RING_EDGES:
        edge |= np.abs(r - radius) < 0.008
    rgb = np.where((edge & (ring <= 3))[..., None], 0.25, rgb)

    cells = selection["cells"]
    if cells or selection["pair"] is not None:
        lit = np.zeros(r.shape, bool)
        for index, lvl in cells:
            lit |= (sector == index) & (level == lvl)
        rgb = np.where(lit[..., None], rgb, 0.35 * rgb + 0.65 * 0.85)  # dim everything else towards grey
        outline = np.zeros(r.shape, bool)
        for index, lvl in cells:
            cell = (sector == index) & (level == lvl)
            grown = cell.copy()
            for dx, dy in ((3, 0), (-3, 0), (0, 3), (0, -3)):
                grown |= np.roll(np.roll(cell, dx, axis=1), dy, axis=0)
            outline |= grown & ~cell
        rgb = np.where(outline[..., None], 0.05, rgb)
    if selection["pair"] is not None:
        i1, i2, w1 = selection["pair"]
        mid = 0.5 * (_RING_EDGES[1] + _RING_EDGES[2])
        p1 = mid * np.array([np.cos(_angle_of(i1)), np.sin(_angle_of(i1))])
        p2 = mid * np.array([np.cos(_angle_of(i2)), np.sin(_angle_of(i2))])
        d = p2 - p1
        t = np.clip(((x - p1[0]) * d[0] + (y - p1[1]) * d[1]) / float(d @ d), 0.0, 1.0)
        dist = np.hypot(x - (p1[0] + t * d[0]), y - (p1[1] + t * d[1]))
        rgb = np.where((dist < 0.02)[..., None], 0.1, rgb)
        dot = p1 + (1.0 - w1) * d  # w1 = 1: on E1; 0.5: half-way
        ring_dot = np.hypot(x - dot[0], y - dot[1])
        rgb = np.where((ring_dot < 0.09)[..., None], 1.0, rgb)
        rgb = np.where(((ring_dot < 0.09) & (ring_dot > 0.06))[..., None], 0.05, rgb)
        alpha = np.maximum(alpha, (ring_dot < 0.09).astype(np.float64))
    image = np.concatenate([rgb, alpha[..., None]], axis=-1)
    image = image.reshape(size, ss, size, ss, 4).mean(axis=(1, 3))  # 2x2 box filter
    return np.clip(image, 0.0, 1.0).astype(np.float32)
