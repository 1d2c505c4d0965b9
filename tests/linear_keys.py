# SPDX-License-Identifier: GPL-3.0-or-later
"""Linear keys, the baseline the Bezier keys of :mod:`facemotion.core.animation.keys` are measured against: the fewest
frames whose keys, joined by straight (``'LINEAR'``) segments, stay within ``tolerance`` of every dense sample, by
greedy top-down refinement (Ramer-Douglas-Peucker measured vertically: split every segment at its worst sample until
none deviates more than the tolerance; :func:`linear_keys_error` checks it). Test code only: the product bakes
Bezier keys.
"""

import numpy as np

from facemotion.core.animation.keys import DEFAULT_TOLERANCE
from facemotion.core.errors import InputError


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
