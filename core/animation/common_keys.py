# SPDX-License-Identifier: GPL-3.0-or-later
"""Common key times for many curves (pure numpy): what a glTF morph-weight animation needs to stay keyed.

glTF animates a mesh's morph weights through ONE sampler (``animations[].samplers[]``, path ``weights``): one
``input`` accessor of key times shared by every target, and ``output`` holding all targets' values per key. Blender's
glTF exporter keeps an action's keys only when every shape-key curve has its keys at the same frames
(``needs_baking`` in io_scene_gltf2's ``blender/exp/animation/fcurves/channels.py``); otherwise it samples every
frame. A sparse facemotion bake puts each curve's keys where that curve changes, so the 52 curves rarely share them.

:func:`common_keys` finds one set of key times for all curves: it starts at the union of the curves' own key frames
and fits, per segment and per curve, the glTF ``CUBICSPLINE`` (cubic Hermite: value, in-tangent, out-tangent per
key; glTF 2.0 spec, Appendix C "Spline Interpolation") or ``LINEAR`` curve through the per-frame samples at the
keys; a segment whose curve misses any frame's sample by more than the tolerance gets a key at its worst frame
(top-down refinement as Ramer-Douglas-Peucker, measured vertically), until every frame is within the tolerance.
Cubic tangents: least squares on the segment's samples with the key values fixed (each segment has its own
out-tangent at its left key and in-tangent at its right key, so segments are independent), regularised toward the
chord slope. :func:`cheapest_common_keys` returns whichever of cubic, linear or one key per frame needs the fewest
bytes (float32 times and values: cubic stores three values per key and target, linear one).
"""

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .keys import DEFAULT_TOLERANCE

__all__ = ["CommonKeys", "common_keys", "cheapest_common_keys", "sampled_keys"]

#: Ridge weight of the tangent least squares (relative to the design matrix's scale): keeps a segment with one or
#: no sample between its keys at the chord slope instead of an arbitrary tangent.
_RIDGE = 1e-6


@dataclass(frozen=True)
class CommonKeys:
    """Keys shared by ``T`` curves.

    Attributes:
        frames: ``(k,) float64`` key frames, increasing, in the samples' frame units (``0`` = first sample).
        values: ``(k, T) float64`` values at the keys.
        in_slopes, out_slopes: ``(k, T) float64`` slopes (value per frame) arriving at / leaving each key for
            ``"CUBICSPLINE"``; None for ``"LINEAR"``.
        interpolation: ``"LINEAR"`` or ``"CUBICSPLINE"`` (glTF sampler interpolation names).
    """

    frames: np.ndarray
    values: np.ndarray
    in_slopes: np.ndarray = None
    out_slopes: np.ndarray = None
    interpolation: str = "LINEAR"

    def __len__(self):
        return len(self.frames)

    def evaluate(self, x):
        """``(len(x), T) float64`` curve values at frames ``x`` (constant outside the first/last key)."""
        x = np.clip(np.asarray(x, dtype=np.float64), self.frames[0], self.frames[-1])
        if len(self.frames) == 1:
            return np.repeat(self.values[:1], len(x), axis=0)
        seg = np.clip(np.searchsorted(self.frames, x, side="right") - 1, 0, len(self.frames) - 2)
        x0, x1 = self.frames[seg], self.frames[seg + 1]
        d = x1 - x0
        s = ((x - x0) / d)[:, None]
        y0, y1 = self.values[seg], self.values[seg + 1]
        if self.interpolation == "LINEAR":
            return y0 + s * (y1 - y0)
        h00, h10, h01, h11 = _hermite(s)
        d = d[:, None]
        return h00 * y0 + h10 * d * self.out_slopes[seg] + h01 * y1 + h11 * d * self.in_slopes[seg + 1]

    def byte_size(self):
        """Bytes of the glTF sampler's accessors (float32 times; float32 values, three per key for cubic)."""
        per_value = 3 if self.interpolation == "CUBICSPLINE" else 1
        return 4 * len(self.frames) * (1 + per_value * self.values.shape[1])


def _hermite(s):
    s2, s3 = s * s, s * s * s
    return 2 * s3 - 3 * s2 + 1, s3 - 2 * s2 + s, -2 * s3 + 3 * s2, s3 - s2


def _check(samples, tolerance):
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim != 2 or samples.shape[0] < 1 or samples.shape[1] < 1:
        raise InputError(f"common keys need (n_frames, n_curves) samples, got shape {samples.shape}")
    if not np.isfinite(samples).all():
        raise InputError("common keys: the curve samples contain NaN or infinite values")
    if not tolerance > 0:
        raise InputError(f"common keys: tolerance must be > 0, got {tolerance}")
    return samples


def sampled_keys(samples):
    """One LINEAR key per frame (what sampling writes): exact at every frame."""
    samples = _check(samples, 1.0)
    return CommonKeys(np.arange(len(samples), dtype=np.float64), samples.copy())


def _fit_cubic(samples, knots):
    """Values at ``knots`` (integer frames) and least-squares tangents per segment; returns CommonKeys."""
    n, t = samples.shape
    values = samples[knots]
    chord = np.diff(values, axis=0) / np.diff(knots)[:, None]  # (k-1, T) value per frame
    out_slopes = np.zeros((len(knots), t))
    in_slopes = np.zeros((len(knots), t))
    out_slopes[:-1] = chord
    in_slopes[1:] = chord
    for i in range(len(knots) - 1):
        x0, x1 = knots[i], knots[i + 1]
        if x1 - x0 < 2:
            continue  # no frame between the keys: the chord slopes (a straight segment)
        d = float(x1 - x0)
        s = ((np.arange(x0 + 1, x1) - x0) / d)[:, None]
        h00, h10, h01, h11 = _hermite(s)
        base = h00 * values[i] + h01 * values[i + 1] + (h10 + h11) * d * chord[i]  # straight line through the keys
        design = np.hstack([h10 * d, h11 * d])  # (m, 2): effect of the out / in slope offsets from the chord
        normal = design.T @ design + _RIDGE * np.eye(2) * max(1.0, np.trace(design.T @ design))
        delta = np.linalg.solve(normal, design.T @ (samples[x0 + 1 : x1] - base))  # (2, T)
        out_slopes[i] += delta[0]
        in_slopes[i + 1] += delta[1]
    return CommonKeys(knots.astype(np.float64), values, in_slopes, out_slopes, "CUBICSPLINE")


def common_keys(samples, seed_frames=(), *, tolerance=DEFAULT_TOLERANCE, interpolation="CUBICSPLINE"):
    """One set of key times for all curves, reproducing every frame's sample within ``tolerance``.

    Args:
        samples: ``(n_frames, T)`` float per-frame values of the ``T`` curves (frame 0 = first row), e.g. each
            F-Curve evaluated at every frame of its action.
        seed_frames: frames (indices into the rows; rounded to whole frames, clipped to the range) to key in any
            case, normally the union of the curves' own key frames. The first and last frame are always keys.
        tolerance: largest allowed difference at any frame, in the samples' units (shape-key weights: 1e-3).
        interpolation: ``"CUBICSPLINE"`` (values and least-squares tangents) or ``"LINEAR"``.

    Returns :class:`CommonKeys` (frames in row units). Refinement ends: each round keys at least one more whole
    frame, and with every frame keyed both forms are exact. Raises InputError for bad samples or options.
    """
    samples = _check(samples, tolerance)
    if interpolation not in ("CUBICSPLINE", "LINEAR"):
        raise InputError(f"common keys: interpolation must be CUBICSPLINE or LINEAR, got {interpolation!r}")
    n = len(samples)
    seeds = np.clip(np.rint(np.asarray(list(seed_frames), dtype=np.float64)), 0, n - 1).astype(np.int64)
    knots = np.unique(np.concatenate([seeds, [0, n - 1]]))
    frames = np.arange(n)
    while True:
        if interpolation == "LINEAR":
            keys = CommonKeys(knots.astype(np.float64), samples[knots])
        else:
            keys = _fit_cubic(samples, knots)
        error = np.abs(keys.evaluate(frames) - samples).max(axis=1)  # (n,) worst curve per frame
        seg = np.clip(np.searchsorted(knots, frames, side="right") - 1, 0, max(len(knots) - 2, 0))
        bad = error > tolerance
        if not bad.any():
            return keys
        # the worst frame of every segment that misses the tolerance becomes a key
        order = np.lexsort((-error, seg))
        first_of_segment = np.r_[True, seg[order][1:] != seg[order][:-1]]
        worst = order[first_of_segment]
        worst = worst[bad[worst]]
        knots = np.unique(np.concatenate([knots, worst]))


def cheapest_common_keys(samples, seed_frames=(), *, tolerance=DEFAULT_TOLERANCE):
    """The smallest (:meth:`CommonKeys.byte_size`) of :func:`common_keys` cubic, linear, and one key per frame.

    Same arguments as :func:`common_keys`; ties go to the simpler form (per frame, then linear)."""
    candidates = [
        sampled_keys(samples),
        common_keys(samples, seed_frames, tolerance=tolerance, interpolation="LINEAR"),
        common_keys(samples, seed_frames, tolerance=tolerance, interpolation="CUBICSPLINE"),
    ]
    return min(candidates, key=lambda keys: keys.byte_size())
