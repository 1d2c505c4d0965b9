# SPDX-License-Identifier: GPL-3.0-or-later
"""Sparse keys for a dense per-frame curve (pure numpy).

A baked timeline is sampled once per frame (:func:`facemotion.core.animation.timeline.bake_timeline`). Keying every
frame gives 52 curves full of keys nobody can edit. :func:`sparse_key_indices` picks the few frames whose keys,
joined by straight (``'LINEAR'``) segments - exactly what Blender's F-Curve evaluates between linear keys - stay
within ``tolerance`` of every dense sample. Flat stretches (a held emotion, channels the timeline never moves) get a
key at each end only; eased transitions and blinks get as many keys as their curvature needs.

Method: greedy top-down refinement (Ramer-Douglas-Peucker measured vertically, i.e. the max absolute error at the
sample frames rather than the perpendicular distance): start from the first and last frame, then repeatedly split
every segment whose worst sample deviates more than ``tolerance`` at that worst sample, until none does. The result
therefore meets the tolerance at every integer frame by construction (:func:`linear_keys_error` checks it).
"""
import numpy as np

from ..errors import InputError

#: Default maximum deviation of the sparse curve from the dense samples (shape-key weight units, 0..1).
DEFAULT_TOLERANCE = 1e-3


def linear_keys_error(values, indices):
    """Max absolute difference between ``values`` and the piecewise-linear curve through ``values[indices]``.

    Args:
        values: ``(n,)`` float dense samples, one per frame.
        indices: sorted ``(k,)`` int frame indices of the keys, first 0 and last ``n - 1``.
    Returns: float, the largest deviation at any of the ``n`` samples (what ``FCurve.evaluate`` would show with
    linear keys).
    """
    values = np.asarray(values, dtype=np.float64)
    indices = np.asarray(indices, dtype=np.int64)
    approx = np.interp(np.arange(len(values)), indices, values[indices])
    return float(np.max(np.abs(approx - values))) if len(values) else 0.0


def sparse_key_indices(values, tolerance=DEFAULT_TOLERANCE):
    """Frame indices of the keys that reproduce a dense curve within ``tolerance`` with linear interpolation.

    Args:
        values: ``(n,)`` float dense samples (n >= 1), one per frame.
        tolerance: max allowed absolute deviation at every sample (> 0, same units as ``values``).
    Returns:
        ``np.ndarray (k,) int64``, sorted, always containing 0 and ``n - 1``; ``k == n`` only for curves that need
        a key on every frame.
    Raises:
        InputError: ``values`` not 1-D / empty / non-finite, or ``tolerance`` not positive.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or len(values) == 0 or not np.isfinite(values).all():
        raise InputError("sparse keys need a non-empty 1-D array of finite samples")
    if not (tolerance > 0):
        raise InputError(f"sparse key tolerance must be positive, got {tolerance!r}")
    n = len(values)
    if n <= 2:
        return np.arange(n, dtype=np.int64)
    keep = np.zeros(n, dtype=bool)
    keep[[0, n - 1]] = True
    frames = np.arange(n)
    while True:
        indices = np.flatnonzero(keep)
        error = np.abs(np.interp(frames, indices, values[indices]) - values)
        # The worst sample of every segment: segment s spans indices[s]..indices[s+1].
        segment = np.searchsorted(indices, frames, side="right") - 1
        segment = np.minimum(segment, len(indices) - 2)
        order = np.lexsort((-error, segment))  # by segment, worst first
        first = np.ones(n, dtype=bool)
        first[1:] = segment[order][1:] != segment[order][:-1]
        worst = order[first]
        split = worst[error[worst] > tolerance]
        if len(split) == 0:
            return indices.astype(np.int64)
        keep[split] = True


def sparse_keys(values, frame_start=0, tolerance=DEFAULT_TOLERANCE):
    """``(frames (k,) float64, values (k,) float64)`` of the sparse linear keys of a dense curve sampled at
    ``frame_start, frame_start + 1, ...`` (see :func:`sparse_key_indices`)."""
    values = np.asarray(values, dtype=np.float64)
    indices = sparse_key_indices(values, tolerance)
    return float(frame_start) + indices.astype(np.float64), values[indices]
