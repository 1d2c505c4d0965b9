# SPDX-License-Identifier: GPL-3.0-or-later
"""Capture timing: frames without a face bridged, and curves resampled from the source's frame rate to the target's."""

import numpy as np

from ..errors import InputError


def bridge_gaps(values, found):
    """Fill the rows of ``values`` where ``found`` is False by linear interpolation between the nearest rows with a
    face (rows before the first / after the last face hold that face's values).

    ``values``: ``(N, ...)`` float array; ``found``: ``(N,)`` bool. Returns ``(filled (N, ...) float64,
    gaps list of (first, last) row pairs, inclusive)``. Raises InputError when no row has a face.
    """
    values = np.asarray(values, dtype=np.float64)
    found = np.asarray(found, dtype=bool)
    if not found.any():
        raise InputError("no face was found in any frame; film a well-lit, roughly frontal face")
    rows = np.arange(len(found))
    flat = values.reshape(len(found), -1)
    filled = np.empty_like(flat)
    for c in range(flat.shape[1]):
        filled[:, c] = np.interp(rows, rows[found], flat[found, c])
    edges = np.diff(np.concatenate([[0], (~found).astype(np.int8), [0]]))
    gaps = list(zip(np.flatnonzero(edges == 1).tolist(), (np.flatnonzero(edges == -1) - 1).tolist()))
    return filled.reshape(values.shape), gaps


def resample(times, values, fps):
    """Sample curves given at ``times`` onto a regular grid at ``fps`` by linear interpolation.

    ``times``: ``(N,)`` seconds, non-decreasing, from 0 (repeated times keep their last row); ``values``:
    ``(N, ...)``; ``fps`` > 0. Returns ``(M, ...) float64`` with ``M = floor(times[-1] * fps + 1e-6) + 1`` rows at
    ``0, 1/fps, ...``. Raises InputError for times that go back or an fps that is not positive.
    """
    times = np.asarray(times, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    fps = float(fps)
    if not np.isfinite(fps) or fps <= 0:
        raise InputError(f"frame rate must be a positive number, got {fps!r}")
    if len(times) == 0 or len(times) != len(values):
        raise InputError(f"resample needs one time per row: {len(times)} times, {len(values)} rows")
    if np.any(np.diff(times) < 0):
        i = int(np.flatnonzero(np.diff(times) < 0)[0])
        raise InputError(f"times go back at row {i + 1} ({times[i + 1]:.4f} s after {times[i]:.4f} s)")
    keep = np.concatenate([times[1:] > times[:-1], [True]])  # of equal times, the last row
    times, values = times[keep], values[keep]
    grid = np.arange(int(np.floor(times[-1] * fps + 1e-6)) + 1) / fps
    flat = values.reshape(len(times), -1)
    out = np.empty((len(grid), flat.shape[1]))
    for c in range(flat.shape[1]):
        out[:, c] = np.interp(grid, times, flat[:, c])
    return out.reshape((len(grid),) + values.shape[1:])
