# SPDX-License-Identifier: GPL-3.0-or-later
"""A character's strength: how strongly its face shows every expression, as a global and a per-region gain.

A stylised or heavy-featured character often reads better with its brows pushed and its mouth held back (or the other
way round) than with the weights a preset, a timeline, a voice or a performer gives. Its strength is one gain for the
whole face and one per region of :data:`facemotion.core.arkit.ARKIT_REGIONS` (brows, eyes, cheeks, mouth, jaw); a
weight is multiplied by the global gain times its region's gain and then clamped to ``[0, 1]``: a gain never pushes a
shape past its sculpted extreme nor below rest. Every path that writes shape-key values on a character (poses, bakes,
text directions, speech, capture) applies it through :meth:`Strength.apply`, so the baked keys, and the files
exported from them, carry it.
"""

import math
from dataclasses import dataclass, field

import numpy as np

from ..arkit import ARKIT_REGION, ARKIT_REGIONS
from ..errors import InputError

__all__ = ["MAX_GAIN", "REGIONS", "Strength", "parse_region_strength"]

#: The region names, in the order the Rig panel draws them.
REGIONS = tuple(ARKIT_REGIONS)
#: The largest gain accepted (a gain of 5 already saturates any weight above 0.2).
MAX_GAIN = 5.0


def _checked_gain(value, what):
    try:
        gain = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be a number 0..{MAX_GAIN:g}, got {value!r}") from None
    if not (math.isfinite(gain) and 0.0 <= gain <= MAX_GAIN):
        raise InputError(f"{what} must be 0..{MAX_GAIN:g} (1 = as designed), got {value!r}")
    return gain


@dataclass(frozen=True)
class Strength:
    """A character's gains: ``overall`` for the whole face, ``regions`` ``{region: gain}`` for the regions of
    :data:`REGIONS` given (the others 1). Gains are floats in ``[0, MAX_GAIN]``; 1 changes nothing, 0 silences.

    Raises InputError (on construction) for an unknown region or a gain that is not a finite number in range.
    """

    overall: float = 1.0
    regions: dict = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "overall", _checked_gain(self.overall, "the strength"))
        unknown = sorted(set(self.regions) - set(REGIONS))
        if unknown:
            raise InputError(f"unknown face region {unknown[0]!r}; use {', '.join(REGIONS)}")
        checked = {r: _checked_gain(self.regions[r], f"the {r} strength") for r in REGIONS if r in self.regions}
        object.__setattr__(self, "regions", checked)

    @property
    def is_neutral(self):
        """True when every gain is 1 (applying it changes nothing)."""
        return self.overall == 1.0 and all(g == 1.0 for g in self.regions.values())

    def gains(self, names):
        """``(len(names),) float64``: the gain of each shape key name; names outside the ARKit 52 (``viseme_*``,
        a user's own keys) get the overall gain alone."""
        return np.array(
            [self.overall * self.regions.get(ARKIT_REGION.get(str(n)), 1.0) for n in names], dtype=np.float64
        )

    def apply(self, weights, names):
        """The weights this character shows: ``clip(weights * gains(names), 0, 1)``.

        Args:
            weights: ``(..., len(names))`` float array of shape-key weights (one column per name).
            names: the shape key name of each column (normally :data:`facemotion.core.arkit.ARKIT_NAMES`).

        Returns:
            ``float64`` array of the same shape; ``weights`` unchanged (as float64) when :attr:`is_neutral`, so a
            neutral strength never clips a user's out-of-range values. Raises InputError when the last axis does
            not match ``names``.
        """
        weights = np.asarray(weights, dtype=np.float64)
        if weights.shape[-1:] != (len(names),):
            raise InputError(f"weights must have {len(names)} columns, one per name; got shape {weights.shape}")
        if self.is_neutral:
            return weights
        return np.clip(weights * self.gains(names), 0.0, 1.0)

    def text(self):
        """``"1.2; brows=1.5, mouth=0.8"``: the gains that differ from 1, for reports and file metadata."""
        regions = ", ".join(f"{r}={g:g}" for r, g in self.regions.items() if g != 1.0)
        return f"{self.overall:g}" + (f"; {regions}" if regions else "")


def parse_region_strength(text):
    """``--region-strength``: ``"brows=1.2,mouth=0.8"`` -> ``{"brows": 1.2, "mouth": 0.8}``.

    Raises InputError naming the bad item (no ``=``, an unknown region, a repeated region, a gain out of range)."""
    gains = {}
    for item in str(text).split(","):
        if not item.strip():
            continue
        region, equals, value = item.partition("=")
        region = region.strip().lower()
        if not equals:
            raise InputError(f"--region-strength {item.strip()!r}: write REGION=GAIN, e.g. brows=1.2,mouth=0.8")
        if region in gains:
            raise InputError(f"--region-strength gives {region} twice")
        gains[region] = value.strip()
    return Strength(1.0, gains).regions
