# SPDX-License-Identifier: GPL-3.0-or-later
"""Sparse keys for a dense per-frame curve (pure numpy): eased Bezier keys, and the older linear keys.

A baked timeline is sampled once per frame (:func:`facemotion.core.animation.timeline.bake_timeline`); those
per-frame weights are the ground truth. Keying every frame gives 52 curves full of keys nobody can edit.

Bezier keys (:func:`timeline_bezier_keys`, :func:`bezier_keys`; what Bake Timeline writes by default). Each of the
52 curves gets keys where the timeline's structure says something happens: every emotion key's transition start
and end (a channel the transition does not move gets none), with handles that reproduce the transition's easing,
and every blink as its own four keys on the eye curves (closing starts, closed, reopening starts, open). One cubic
Bezier segment reproduces ``linear``, ``ease_in``, ``ease_out``, ``ease_in_out`` (smoothstep) and ``back``
exactly: with the handles' x at one third of the segment, x(t) is linear in t and y is the easing's cubic, so only
the y offsets of the handles carry the easing (its slope at each end times a third of the change). ``sine`` is
matched within 2e-4 of the change by flat handles at :data:`HANDLE_FRACTION` ``["sine"]`` = 0.3643 of the
segment (found by minimising the max error), ``cubic`` (smootherstep) within 8e-3 by 0.4984. Blinks (smoothstep
closing and reopening) are exact while the pose under them holds. Where the Bezier curve still deviates more than
the tolerance from the dense samples - idle noise, a blink over a transition, ``back`` clipped at 0 or 1,
smootherstep, a cut (transition 0) - a key is added at the worst frame of the segment (value: that frame's sample),
and the two new segments' handles are fitted to the samples by least squares (x handles at one third, y offsets
solved, regularised toward the straight line); repeated until every frame is within the tolerance. That always
ends: each round keys at least one more whole frame, and a segment between two whole frames has no frame left to
miss. Handles are FREE (each side its own slope, e.g. where a hold meets a linear transition) or ALIGNED where both
sides have the same slope; an added key gets the mean of its two fitted slopes on both sides (ALIGNED, no kink)
wherever the two segments beside it then still meet the tolerance.

The error is measured on the curve Blender draws: :func:`evaluate_bezier` evaluates the segments as Blender's
F-Curve does (``fcurve_eval_keyframes_interpolate`` for BEZT_IPO_BEZ in ``blenkernel/intern/fcurve.cc``: the
handles are first shortened when their x extents overlap, ``BKE_fcurve_correct_bezpart``; then x(t) = frame is
solved for t in [0, 1] and y(t) returned; constant before the first and after the last key).

Bezier keys replaced linear keys (the fewest frames joined by straight segments within the tolerance); the tests
keep that linear baseline (``tests/linear_keys.py``) to show the Bezier keys are fewer.
"""

import math
from dataclasses import dataclass

import numpy as np

from ..arkit import ARKIT_INDEX, ARKIT_NAMES
from ..errors import InputError

#: Default maximum deviation of the sparse curve from the dense samples (shape-key weight units, 0..1).
DEFAULT_TOLERANCE = 1e-3


# --- Bezier keys --------------------------------------------------------------------------------------------------

#: Fraction of a segment's length that each handle spans in x, per easing. 1/3 makes x(t) linear, so the segment
#: is exactly the cubic of the easing; ``sine`` and ``cubic`` are not cubics, and these flat-handle lengths
#: minimise the segment's max deviation from them (0.00019 and 0.0081 of the change; see the module docstring).
HANDLE_FRACTION = {
    "linear": 1 / 3,
    "ease_in": 1 / 3,
    "ease_out": 1 / 3,
    "ease_in_out": 1 / 3,
    "back": 1 / 3,
    "sine": 0.36433834851474006,
    "cubic": 0.498399715189662,
}

_THIRD = 1.0 / 3.0
#: Blender returns a key's own value within this many frames of it (``BEZT_BINARYSEARCH_THRESH`` in fcurve.cc).
_ON_KEY = 0.01
#: Seed keys closer than this to a whole frame are moved onto it (that frame would show the key's own value).
_SNAP = 0.0101
#: Fitting aims a little inside the tolerance: Blender stores keys and handles as float32.
_MARGIN = 0.9
_RIDGE = 1e-4  # least-squares pull of the handle offsets toward the straight line (decides segments with < 2 frames)
_EYE_CHANNELS = ("eyeBlinkLeft", "eyeBlinkRight", "eyeWideLeft", "eyeWideRight")


@dataclass(frozen=True, eq=False)
class BezierKeys:
    """The Bezier keys of one curve: ``frames`` ``(k,) float64`` (the keys' x, in frames), ``values`` ``(k,)
    float64``, ``handle_left`` / ``handle_right`` ``(k, 2) float64`` absolute ``(frame, value)`` of each key's
    handles, and ``aligned`` ``(k,) bool`` (True: both handles on one line through the key, Blender's ALIGNED
    handle type; False: FREE). Interpolation is Bezier throughout; the curve is constant outside the keys."""

    frames: np.ndarray
    values: np.ndarray
    handle_left: np.ndarray
    handle_right: np.ndarray
    aligned: np.ndarray

    def __len__(self):
        return len(self.frames)

    def shifted(self, frames):
        """The same curve moved ``frames`` later (keys and handles)."""
        offset = np.array([float(frames), 0.0])
        return BezierKeys(
            self.frames + float(frames),
            self.values,
            self.handle_left + offset,
            self.handle_right + offset,
            self.aligned,
        )


def _bernstein(t, p0, p1, p2, p3):
    u = 1.0 - t
    return u * u * u * p0 + 3.0 * u * u * t * p1 + 3.0 * u * t * t * p2 + t * t * t * p3


def _solve_x(x, x0, x1, x2, x3):
    """t in [0, 1] with x(t) = x for monotone cubic Bezier x controls (arrays); linear x(t) is solved directly."""
    length = x3 - x0
    t = np.clip((x - x0) / np.where(length > 0, length, 1.0), 0.0, 1.0)
    curved = (np.abs(x1 - (x0 + length * _THIRD)) > 1e-12 * np.maximum(length, 1.0)) | (
        np.abs(x2 - (x3 - length * _THIRD)) > 1e-12 * np.maximum(length, 1.0)
    )
    if curved.any():
        # Bisection on the monotone x(t) (the handles are inside the segment after the correction): 52 halvings
        # reach double precision; Blender solves the same cubic in closed form (solve_cubic).
        lo, hi = np.zeros(int(curved.sum())), np.ones(int(curved.sum()))
        xs, c0, c1, c2, c3 = x[curved], x0[curved], x1[curved], x2[curved], x3[curved]
        for _ in range(52):
            mid = 0.5 * (lo + hi)
            below = _bernstein(mid, c0, c1, c2, c3) < xs
            lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
        t[curved] = 0.5 * (lo + hi)
    return t


def _eval_segments(x, x0, y0, x1, y1, x2, y2, x3, y3):
    """Blender's Bezier segment evaluation at ``x`` (arrays, one segment per point): handle correction, then
    solve x(t) = x, return y(t)."""
    # BKE_fcurve_correct_bezpart: when the two handles' x extents add up to more than the segment, both are scaled
    # down by the same factor so that x(t) stays monotone.
    length = x3 - x0
    len1, len2 = np.abs(x0 - x1), np.abs(x3 - x2)
    total = len1 + len2
    fac = np.where(total > length, length / np.where(total > 0, total, 1.0), 1.0)
    x1, y1 = x0 - fac * (x0 - x1), y0 - fac * (y0 - y1)
    x2, y2 = x3 - fac * (x3 - x2), y3 - fac * (y3 - y2)
    t = _solve_x(x, x0, x1, x2, x3)
    return _bernstein(t, y0, y1, y2, y3)


def evaluate_bezier(curve, frames):
    """Evaluate Bezier keys at ``frames`` as Blender's F-Curve does (see the module docstring).

    Args:
        curve: :class:`BezierKeys` (keys sorted by frame).
        frames: array-like of frames (any shape, float).
    Returns: ``np.ndarray float64`` of ``frames``' shape: the value of each key within 0.01 frames of it, the first
    / last key's value before / after the keys, else the Bezier segment's y at the t where its x(t) = frame.
    """
    x = np.asarray(frames, np.float64)
    shape, x = x.shape, x.ravel()
    kx, ky = np.asarray(curve.frames, np.float64), np.asarray(curve.values, np.float64)
    out = np.where(x <= kx[0], ky[0], ky[-1]).astype(np.float64)
    if len(kx) > 1:
        inside = (x > kx[0]) & (x < kx[-1])
        j = np.clip(np.searchsorted(kx, x[inside], side="right") - 1, 0, len(kx) - 2)
        left, right = curve.handle_left, curve.handle_right
        out[inside] = _eval_segments(
            x[inside], kx[j], ky[j], right[j, 0], right[j, 1], left[j + 1, 0], left[j + 1, 1], kx[j + 1], ky[j + 1]
        )
        nearest = np.clip(np.searchsorted(kx, x), 1, len(kx) - 1)
        nearest = np.where(np.abs(kx[nearest - 1] - x) <= np.abs(kx[nearest] - x), nearest - 1, nearest)
        on_key = np.abs(kx[nearest] - x) < _ON_KEY
        out[on_key] = ky[nearest[on_key]]
    return out.reshape(shape)


class _Segments:
    """A curve being fitted: keys ``x``/``y`` and per segment the handles' y offsets ``a`` (after the start key)
    and ``b`` (before the end key), their x fraction ``alpha`` and whether to fit them to the samples (``fit``)."""

    def __init__(self, x, y, a, b, alpha, fit):
        self.x, self.y = np.asarray(x, np.float64), np.asarray(y, np.float64)
        self.a, self.b = np.asarray(a, np.float64), np.asarray(b, np.float64)
        self.alpha, self.fit = np.asarray(alpha, np.float64), np.asarray(fit, bool)
        self.added = np.zeros(len(self.x), bool)  # keys added by the refinement (not from the seed)

    def evaluate(self, frames):
        return evaluate_bezier(self.keys(), frames)

    def keys(self):
        x, y = self.x, self.y
        if len(x) == 1:
            return BezierKeys(
                x.copy(), y.copy(), np.array([[x[0] - 1.0, y[0]]]), np.array([[x[0] + 1.0, y[0]]]), np.ones(1, bool)
            )
        reach = self.alpha * np.diff(x)
        right = np.empty((len(x), 2))
        left = np.empty((len(x), 2))
        right[:-1, 0], right[:-1, 1] = x[:-1] + reach, y[:-1] + self.a
        left[1:, 0], left[1:, 1] = x[1:] - reach, y[1:] - self.b
        # The outer handles only shape the curve outside the keys, where Blender holds it constant: mirror them.
        left[0] = 2.0 * np.array([x[0], y[0]]) - right[0]
        right[-1] = 2.0 * np.array([x[-1], y[-1]]) - left[-1]
        slope_in = (y - left[:, 1]) / (x - left[:, 0])
        slope_out = (right[:, 1] - y) / (right[:, 0] - x)
        aligned = np.abs(slope_in - slope_out) <= 1e-9 * np.maximum(1.0, np.abs(slope_out))
        return BezierKeys(x.copy(), y.copy(), left, right, aligned)

    def refit(self, values):
        """Least-squares handle offsets (x at a third) for the segments marked ``fit``, from the samples inside."""
        j_fit = np.flatnonzero(self.fit)
        if len(j_fit) == 0:
            return
        frames = np.arange(len(values), dtype=np.float64)
        seg = np.searchsorted(self.x, frames, side="right") - 1
        inside = (seg >= 0) & (seg < len(self.x) - 1)
        inside[inside] &= self.fit[seg[inside]]
        inside[inside] &= frames[inside] > self.x[seg[inside]]
        f, j = frames[inside], seg[inside]
        x0, x3 = self.x[j], self.x[j + 1]
        y0, y3 = self.y[j], self.y[j + 1]
        t = (f - x0) / (x3 - x0)
        u = 1.0 - t
        b0, b1, b2, b3 = u**3, 3 * u * u * t, 3 * u * t * t, t**3
        r = values[inside] - (b0 + b1) * y0 - (b2 + b3) * y3  # = b1 * a - b2 * b
        count = len(self.x) - 1
        s11 = np.bincount(j, b1 * b1, count)
        s22 = np.bincount(j, b2 * b2, count)
        s12 = np.bincount(j, b1 * b2, count)
        r1 = np.bincount(j, b1 * r, count)
        r2 = np.bincount(j, b2 * r, count)
        line = (self.y[1:] - self.y[:-1]) * _THIRD  # both offsets of the straight segment
        m11, m22, m12 = s11 + _RIDGE, s22 + _RIDGE, -s12
        rhs1, rhs2 = r1 + _RIDGE * line, -r2 + _RIDGE * line
        det = m11 * m22 - m12 * m12
        a = (rhs1 * m22 - m12 * rhs2) / det
        b = (m11 * rhs2 - m12 * rhs1) / det
        self.a[j_fit], self.b[j_fit] = a[j_fit], b[j_fit]
        self.alpha[j_fit] = _THIRD
        self.fit[:] = False

    def split(self, frames, values):
        """Add keys at whole ``frames`` (inside distinct segments) with their samples; both halves get fitted."""
        order = np.argsort(frames)
        frames = np.asarray(frames, np.float64)[order]
        j = np.searchsorted(self.x, frames, side="right") - 1
        self.x = np.insert(self.x, j + 1, frames)
        self.y = np.insert(self.y, j + 1, values[frames.astype(np.int64)])
        self.a = np.insert(self.a, j + 1, 0.0)
        self.b = np.insert(self.b, j + 1, 0.0)
        self.alpha = np.insert(self.alpha, j + 1, _THIRD)
        self.fit = np.insert(self.fit, j + 1, True)
        self.fit[j + np.arange(len(j))] = True  # the left halves (indices after the insertions)
        self.added = np.insert(self.added, j + 1, True)

    def smooth_added_keys(self, values, limit):
        """Give the keys the refinement added one slope on both sides (ALIGNED handles: no kink where the
        timeline has none) wherever the two segments beside such a key stay within ``limit`` of the samples."""
        keys = np.flatnonzero(self.added[1:-1]) + 1
        if len(keys) == 0:
            return
        reach = self.alpha * np.diff(self.x)
        a0, b0 = self.a.copy(), self.b.copy()
        slope = 0.5 * (self.b[keys - 1] / reach[keys - 1] + self.a[keys] / reach[keys])
        frames = np.arange(len(values), dtype=np.float64)
        trying = np.ones(len(keys), bool)
        while trying.any():
            self.a[:], self.b[:] = a0, b0
            self.b[keys[trying] - 1] = slope[trying] * reach[keys[trying] - 1]
            self.a[keys[trying]] = slope[trying] * reach[keys[trying]]
            error = np.abs(self.evaluate(frames) - values)
            seg = np.clip(np.searchsorted(self.x, frames, side="right") - 1, 0, len(self.x) - 2)
            failing = np.zeros(len(self.x) - 1, bool)
            failing[seg[error > limit]] = True
            # A failing segment keeps its original handles: its keys go back to their own (FREE) slopes.
            undo = trying & (failing[keys - 1] | failing[keys])
            if not undo.any():
                return
            trying &= ~undo
        self.a[:], self.b[:] = a0, b0


def _fit(values, segments, tolerance):
    """Refine ``segments`` until the curve is within ``tolerance`` of ``values`` at every frame; returns
    :class:`BezierKeys`."""
    n = len(values)
    frames = np.arange(n, dtype=np.float64)
    limit = tolerance * _MARGIN
    while True:
        segments.refit(values)
        if len(segments.x) == 1:
            return segments.keys()
        error = np.abs(segments.evaluate(frames) - values)
        seg = np.clip(np.searchsorted(segments.x, frames, side="right") - 1, 0, len(segments.x) - 2)
        # A frame on a key (integer keys carry their sample) cannot be split further; every other frame can.
        candidate = (frames - segments.x[seg] >= _ON_KEY) & (segments.x[seg + 1] - frames >= _ON_KEY)
        bad = candidate & (error > limit)
        if not bad.any():
            segments.smooth_added_keys(values, limit)
            return segments.keys()
        idx = np.flatnonzero(bad)
        order = np.lexsort((-error[idx], seg[idx]))  # per segment, worst frame first
        idx = idx[order]
        first = np.ones(len(idx), bool)
        first[1:] = seg[idx][1:] != seg[idx][:-1]
        segments.split(frames[idx[first]], values)


def _check_values(values, tolerance):
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or len(values) == 0 or not np.isfinite(values).all():
        raise InputError("Bezier keys need a non-empty 1-D array of finite samples")
    if not (tolerance > 0):
        raise InputError(f"Bezier key tolerance must be positive, got {tolerance!r}")
    return values


def _snap_seed(values, x, y, a, b, alpha, fit):
    """Keys within :data:`_SNAP` of a whole frame go onto it with its sample (Blender would show the key's value
    there); keys that then coincide are merged. Returns :class:`_Segments`."""
    x, y = np.array(x, np.float64), np.array(y, np.float64)
    near = np.abs(x - np.round(x)) < _SNAP
    x[near] = np.round(x[near])
    y[near] = values[x[near].astype(np.int64)]
    keep = np.ones(len(x), bool)
    keep[1:] = np.diff(x) > 1e-9
    # A merged key drops the (zero-length) segment before it.
    seg_keep = keep[1:]
    return _Segments(
        x[keep],
        y[keep],
        np.asarray(a)[seg_keep],
        np.asarray(b)[seg_keep],
        np.asarray(alpha)[seg_keep],
        np.asarray(fit)[seg_keep],
    )


def bezier_keys(values, tolerance=DEFAULT_TOLERANCE, *, seed=None):
    """Bezier keys that reproduce a dense curve within ``tolerance`` at every frame (see the module docstring).

    Args:
        values: ``(n,)`` float dense samples (n >= 1), one per frame 0 .. n-1.
        tolerance: max allowed absolute deviation at every frame (> 0, same units as ``values``).
        seed: optional starting segments from the curve's known structure, a list of ``(x0, x1, y0, y1, kind)``
            covering 0 .. n-1 end to end (frames, float): ``kind`` an easing name of
            :data:`facemotion.core.animation.timeline.EASINGS` (the segment is that easing from y0 to y1), ``"hold"``
            (constant) or ``"fit"`` (handles fitted to the samples). Without it, one fitted segment 0 .. n-1.
    Returns: :class:`BezierKeys` with frames in 0 .. n-1 (first key 0, last n - 1).
    Raises: InputError: ``values`` not 1-D / empty / non-finite, ``tolerance`` not positive, a seed that does not
    cover 0 .. n-1 end to end.
    """
    values = _check_values(values, tolerance)
    n = len(values)
    if n == 1:
        return _Segments([0.0], [values[0]], [], [], [], []).keys()
    if seed is None:
        seed = [(0.0, n - 1.0, values[0], values[-1], "fit")]
    x = [float(seed[0][0])]
    y = [float(seed[0][2])]
    a, b, alpha, fit = [], [], [], []
    for x0, x1, y0, y1, kind in seed:
        if abs(x0 - x[-1]) > 1e-9 or not x1 > x0:
            raise InputError("Bezier seed segments must follow each other end to end with increasing frames")
        delta = float(y1) - float(y0)
        if kind in HANDLE_FRACTION:
            s0, s1 = _easing_slopes(kind)
            fraction = HANDLE_FRACTION[kind]
            a.append(s0 * delta * fraction)
            b.append(s1 * delta * fraction)
            alpha.append(fraction)
            fit.append(False)
        elif kind in ("hold", "fit"):
            a.append(0.0)
            b.append(0.0)
            alpha.append(_THIRD)
            fit.append(kind == "fit")
        else:
            raise InputError(f"unknown Bezier seed kind {kind!r}")
        x.append(float(x1))
        y.append(float(y1))
    if abs(x[0]) > 1e-9 or abs(x[-1] - (n - 1)) > 1e-9:
        raise InputError(f"Bezier seed segments must cover frames 0 .. {n - 1}")
    x[0], x[-1] = 0.0, float(n - 1)
    return _fit(values, _snap_seed(values, x, y, a, b, alpha, fit), tolerance)


def _easing_slopes(name):
    """Slopes of easing ``name`` at s = 0 and s = 1 (in units of change / length), from the timeline's own easing
    functions by second-order one-sided differences (exact to ~1e-10 for the polynomial easings)."""
    from .timeline import ease

    if name not in _SLOPES:
        h = 1e-5
        f = ease(name, np.array([0.0, h, 2 * h, 1.0 - 2 * h, 1.0 - h, 1.0]))
        _SLOPES[name] = ((-3 * f[0] + 4 * f[1] - f[2]) / (2 * h), (3 * f[5] - 4 * f[4] + f[3]) / (2 * h))
    return _SLOPES[name]


_SLOPES = {}


def _timeline_pieces(timeline, n):
    """The pose track's pieces ``(x0, x1, y0 (52,), y1 (52,), kind)`` over frames 0 .. n-1 and the blinks'
    closed frames, from :func:`facemotion.core.animation.timeline.bake_timeline`'s keyword arguments."""
    from .timeline import EmotionKey, blink_times, validate_keys

    keys = list(timeline["keys"])
    fps = float(timeline["fps"])
    times, poses, transitions = validate_keys(keys)
    easings = [key.easing if isinstance(key, EmotionKey) else key.get("easing", "ease_in_out") for key in keys]
    last = n - 1.0
    pieces, cur = [], 0.0

    def add(x0, x1, y0, y1, kind):
        nonlocal cur
        x0, x1 = max(x0, cur), min(x1, last)
        if x1 - x0 <= 1e-9:
            return
        pieces.append((x0, x1, y0, y1, kind))
        cur = x1

    for k in range(1, len(times)):
        end = times[k] * fps
        if cur >= last:
            break
        if transitions[k] > 0:
            start = (times[k] - transitions[k]) * fps
            add(cur, start, poses[k - 1], poses[k - 1], "hold")
            kind = easings[k] if end <= last + 1e-9 else "fit"  # cut off by the duration: fit what is left
            add(start, end, poses[k - 1], poses[k], kind)
        else:
            # A cut: frames before the key's time hold the old pose, frames from it on the new one; the step is
            # one fitted segment between the last old frame and the first new one.
            first_new = math.ceil(end - 1e-6)
            add(cur, first_new - 1.0, poses[k - 1], poses[k - 1], "hold")
            add(first_new - 1.0, float(first_new), poses[k - 1], poses[k], "fit")
    add(cur, last, poses[-1], poses[-1], "hold")
    closed = np.zeros(0)
    if timeline.get("blinks", True):
        peaks = blink_times(last / fps, timeline.get("blink_rate_per_minute", 17.0), timeline.get("blink_seed", 0))
        closed = np.floor(peaks * fps + 0.5)
    return pieces, closed, fps


def _channel_seed(pieces, column, values):
    """Seed segments of one channel: the pieces' values in ``column``, holds where the channel does not move
    (merged with their neighbouring holds)."""
    seed = []
    for x0, x1, y0, y1, kind in pieces:
        v0, v1 = float(y0[column]), float(y1[column])
        if kind == "fit":
            v0 = seed[-1][3] if seed else v0
            v1 = values[int(round(x1))] if abs(x1 - round(x1)) < 1e-9 else v1
        if abs(v1 - v0) <= 1e-12 and (kind != "fit" or float(y0[column]) == float(y1[column])):
            kind = "hold"
        if kind == "hold" and seed and seed[-1][4] == "hold" and abs(seed[-1][3] - v0) <= 1e-12:
            seed[-1] = (seed[-1][0], x1, seed[-1][2], v1, "hold")
        else:
            seed.append((x0, x1, seed[-1][3] if seed else v0, v1, kind))
    return seed


def _add_blinks(seed, closed, fps, peak_value, last):
    """Put each blink into the hold it falls in (closing and reopening are smoothstep to / from ``peak_value``);
    blinks over a transition are left to the fitting."""
    from .timeline import BLINK_CLOSE_S, BLINK_CLOSED_S, BLINK_OPEN_S

    for fc in closed:
        cs = fc - BLINK_CLOSE_S * fps
        fo = fc + BLINK_CLOSED_S * fps
        oe = fo + BLINK_OPEN_S * fps
        if cs < 0 or oe > last:
            continue
        for i, (x0, x1, y0, _y1, kind) in enumerate(seed):
            if kind == "hold" and x0 <= cs and oe <= x1:
                if abs(y0 - peak_value(y0)) <= 1e-12:
                    break  # the pose already shows the blink's value (eyes closed): nothing to key
                top = peak_value(y0)
                parts = [
                    (x0, cs, y0, y0, "hold"),
                    (cs, fc, y0, top, "ease_in_out"),
                    (fc, fo, top, top, "hold"),
                    (fo, oe, top, y0, "ease_in_out"),
                    (oe, x1, y0, y0, "hold"),
                ]
                seed[i : i + 1] = [p for p in parts if p[1] - p[0] > 1e-9]
                break
    return seed


def timeline_bezier_keys(timeline, weights, tolerance=DEFAULT_TOLERANCE):
    """Bezier keys for every channel of a baked timeline: keys at its emotion keys and blinks (see the module
    docstring), refined until each curve is within ``tolerance`` of the per-frame bake at every frame.

    Args:
        timeline: :func:`facemotion.core.animation.timeline.bake_timeline`'s keyword arguments (``keys``, ``fps``,
            ``duration``, ``blinks``, ``blink_seed``, ``blink_rate_per_minute``, noise settings), as
            :func:`~facemotion.core.animation.timeline.timeline_from_json` returns them; ``fps`` the bake's rate.
        weights: ``(n_frames, 52)`` float array, the bake of that timeline (the ground truth the keys must meet).
        tolerance: max absolute deviation at every frame (weight units, default 1e-3).
    Returns: list of 52 :class:`BezierKeys` (ARKit order), frames 0 .. n_frames - 1 (frame 0 = time 0).
    Raises: InputError: weights not ``(n, 52)`` finite; TimelineError: an invalid timeline.
    """
    weights = np.asarray(weights, np.float64)
    if weights.ndim != 2 or weights.shape[1] != len(ARKIT_NAMES) or len(weights) == 0:
        raise InputError(f"weights must be an (n_frames, {len(ARKIT_NAMES)}) array, got shape {weights.shape}")
    if not np.isfinite(weights).all():
        raise InputError("weights contain NaN or infinite values; fix the timeline before baking")
    n = len(weights)
    if n == 1:
        return [bezier_keys(weights[:, c], tolerance) for c in range(weights.shape[1])]
    pieces, closed, fps = _timeline_pieces(timeline, n)
    eyes = {
        ARKIT_INDEX[name]: (lambda p: 1.0) if name.startswith("eyeBlink") else (lambda p: 0.0) for name in _EYE_CHANNELS
    }
    curves = []
    for column in range(weights.shape[1]):
        values = weights[:, column]
        seed = _channel_seed(pieces, column, values)
        if column in eyes and len(closed):
            seed = _add_blinks(seed, closed, fps, eyes[column], n - 1.0)
        curves.append(bezier_keys(values, tolerance, seed=seed))
    return curves
