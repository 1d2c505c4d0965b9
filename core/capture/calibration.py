# SPDX-License-Identifier: GPL-3.0-or-later
"""Neutral-pose calibration and per-channel gain, offset and clamp of captured ARKit weights.

A performer's rest face is not a tracker's zero (MediaPipe scores a neutral face's eyeSquint at ~0.2, a landmark
solve sees the performer's own shape as expression), and no two faces reach 1.0 on the same channel. Calibration:

1. a calm span (chosen, or found: the window where the face is least expressive and moves least) gives each
   channel's neutral value, subtracted from every frame (head rotation too when asked: the camera need not face the
   actor);
2. each channel is rescaled so that its high percentile (:data:`PEAK_PERCENTILE`, robust to a stray frame) reaches
   1.0 -- except channels that never rise :data:`MIN_RANGE` above neutral: scaling those would blow their noise up
   into full expressions (MediaPipe's cheekPuff, eyeWide and noseSneer scores barely leave 0 on most faces), so they
   keep scale 1 and are reported (raise them with a gain if the performer really did it).
"""

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from ..arkit import ARKIT_INDEX, ARKIT_NAMES
from ..errors import InputError

#: Length of the automatically found calm span, seconds.
CALM_SECONDS = 0.5
#: Percentile of a channel's calibrated values that is mapped to 1.0.
PEAK_PERCENTILE = 99.0
#: A channel whose peak stays below this above neutral is not rescaled (noise, not expression). Round trip
#: (``tools/capture_round_trip.py``, both performances): 0.1 let MediaPipe's eyeSquint and mouthUpperUp scores, which
#: rise 0.1-0.2 with a blink or a turn, be rescaled to full expressions (the channels the performance never drives read
#: 0.042 / 0.038 on average, one of them above 0.3 in 62 / 67 % of frames); 0.2 halves that (0.022 / 0.025, 37 / 44 %)
#: with the driven channels unchanged within 0.01; 0.3 lost browInnerUp (0.82 -> 0.79).
MIN_RANGE = 0.2


@dataclass
class Calibration:
    """Per-channel neutral and scale: ``calibrated = (weights - neutral) * scale``.

    ``neutral``, ``scale``: ``(52,) float64``; ``head_neutral``: ``(3,) float64`` yaw, pitch, roll (radians);
    ``span``: the calm ``(start, stop)`` rows used; ``unscaled``: names of channels left at scale 1 (see
    :data:`MIN_RANGE`).
    """

    neutral: np.ndarray
    scale: np.ndarray
    head_neutral: np.ndarray
    span: tuple
    unscaled: tuple

    def apply(self, weights, head_rotation=None):
        """``weights`` ``(N, 52)`` -> calibrated ``(N, 52) float64`` (not clamped); with ``head_rotation``
        ``(N, 3)`` returns ``(weights, head_rotation - head_neutral)``."""
        out = (np.asarray(weights, dtype=np.float64) - self.neutral) * self.scale
        if head_rotation is None:
            return out
        return out, np.asarray(head_rotation, dtype=np.float64) - self.head_neutral


def find_calm_span(weights, fps, *, seconds=CALM_SECONDS):
    """The ``(start, stop)`` rows of the calmest window of ``seconds``: least summed distance from the take's
    per-channel median plus frame-to-frame change over the 52 channels. ``weights`` ``(N, 52)``; a take shorter than
    the window gives ``(0, N)``.

    Why the median and not zero: a tracker's neutral is not zero (MediaPipe scores some rest faces' jawOpen or
    mouthClose at 0.1-0.3), and an expression can score lower in sum than the performer's rest (a pucker closes a
    mouth that rests open); a performance is mostly rest, so the median frame is near it. On the round trip's second
    performance the summed weight picked the window of a brow raise as the neutral."""
    weights = np.asarray(weights, dtype=np.float64)
    n = len(weights)
    length = max(1, min(n, round(seconds * fps)))
    activity = np.abs(weights - np.median(weights, axis=0)).sum(axis=1)
    activity[1:] += np.abs(np.diff(weights, axis=0)).sum(axis=1) * 0.5
    activity[:-1] += np.abs(np.diff(weights, axis=0)).sum(axis=1) * 0.5
    window = np.convolve(activity, np.ones(length), mode="valid")
    start = int(np.argmin(window))  # first of equal windows: deterministic
    return start, start + length


def calibrate(weights, fps, *, span=None, head_rotation=None, rescale=True):
    """Measure a :class:`Calibration` on a take.

    Args:
        weights: ``(N, 52)`` raw weights.
        fps: frames per second (for the calm window's length).
        span: ``(start, stop)`` rows of a neutral face; None finds one (:func:`find_calm_span`).
        head_rotation: optional ``(N, 3)`` radians; its mean over the span becomes the head's neutral.
        rescale: False keeps every scale at 1 (neutral subtracted only).

    Raises InputError for an empty take or a span outside it.
    """
    weights = np.asarray(weights, dtype=np.float64)
    if weights.ndim != 2 or weights.shape[1] != len(ARKIT_NAMES) or len(weights) == 0:
        raise InputError(f"calibration needs (frames, 52) weights, got shape {weights.shape}")
    if span is None:
        span = find_calm_span(weights, fps)
    start, stop = (int(s) for s in span)
    if not 0 <= start < stop <= len(weights):
        raise InputError(f"neutral span {start}..{stop} is outside the take's {len(weights)} frames")
    neutral = np.median(weights[start:stop], axis=0)
    scale = np.ones(len(ARKIT_NAMES))
    unscaled = ()
    if rescale:
        peak = np.percentile(weights - neutral, PEAK_PERCENTILE, axis=0)
        live = peak >= MIN_RANGE
        scale[live] = 1.0 / peak[live]
        unscaled = tuple(name for name, ok in zip(ARKIT_NAMES, live) if not ok)
    head = np.zeros(3) if head_rotation is None else np.asarray(head_rotation, np.float64)[start:stop].mean(axis=0)
    return Calibration(neutral=neutral, scale=scale, head_neutral=head, span=(start, stop), unscaled=unscaled)


def channel_array(values, default, what):
    """``values`` as a ``(52,) float64`` per-channel array: a number (every channel), a ``{ARKit name: value}``
    dict (others get ``default``), or a sequence of 52. Raises InputError naming ``what`` and the bad entry."""
    out = np.full(len(ARKIT_NAMES), float(default))
    if values is None:
        return out
    if isinstance(values, dict):
        for name, value in values.items():
            if name not in ARKIT_INDEX:
                raise InputError(f"{what}: {name!r} is not an ARKit blendshape name (e.g. jawOpen, browInnerUp)")
            out[ARKIT_INDEX[name]] = float(value)
        return out
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 0:
        return np.full(len(ARKIT_NAMES), float(array))
    if array.shape != (len(ARKIT_NAMES),):
        raise InputError(f"{what}: give one number, a dict by ARKit name, or 52 numbers; got shape {array.shape}")
    return array


def adjust(weights, *, gain=None, offset=None, clamp=(0.0, 1.0)):
    """Per-channel ``clamp(weights * gain + offset)``. ``gain``/``offset``: see :func:`channel_array` (defaults 1 and
    0); ``clamp``: ``(low, high)`` applied to every channel, or None. Returns ``(N, 52) float64``."""
    out = np.asarray(weights, dtype=np.float64) * channel_array(gain, 1.0, "gain") + channel_array(
        offset, 0.0, "offset"
    )
    if clamp is not None:
        low, high = (float(c) for c in clamp)
        if not low < high:
            raise InputError(f"clamp must be (low, high) with low < high, got {clamp!r}")
        out = np.clip(out, low, high)
    return out


#: Channels whose drift with the head's yaw is removed from a take (:func:`remove_yaw_drift`): the blinks. A turned
#: face's eyes read partly closed, by an amount that differs per face and per side (round trip, the near eye at 10-12
#: degrees of yaw read 0.3-0.5 with no blink, in MediaPipe's scores and in the landmark solve alike, eyeBlinkRight worse
#: than eyeBlinkLeft on these faces), which neither the observed head-turn bends (a mean over faces) nor the scores
#: remove. Round trip, eyeBlinkRight r before / after on performances 1-4 (chosen on them): 0.933 / 0.911 / 0.956 /
#: 0.898 -> 0.939 / 0.954 / 0.953 / 0.921, eyeBlinkLeft 0.966 / 0.963 / 0.966 / 0.959 -> 0.965 / 0.976 / 0.965 /
#: 0.975; held out, 5-7: eyeBlinkRight 0.849 / 0.967 / 0.845 -> 0.912 / 0.979 / 0.955, eyeBlinkLeft 0.924 / 0.954 /
#: 0.906 -> 0.945 / 0.967 / 0.929.
YAW_DRIFT_CHANNELS = ("eyeBlinkLeft", "eyeBlinkRight")


def remove_yaw_drift(weights, yaw, channels=YAW_DRIFT_CHANNELS):
    """Remove each of ``channels``' drift with the head's yaw over a take: the channel's median as a function of
    ``max(yaw, 0)`` and ``max(-yaw, 0)`` (a slope per side; least absolute deviations, i.e. median regression, Koenker
    and Bassett 1978, solved as a linear programme by ``scipy.optimize.linprog``'s HiGHS) is fitted and its slopes'
    part subtracted. The median follows the open eye, not the blinks (a blink is brief: most frames show the open
    eye), so a blink keeps its height over the drift. A whole take is needed (a live stream, which has no future
    frames, is not corrected).

    ``weights``: ``(N, 52)`` ARKit weights; ``yaw``: ``(N,)`` radians (:func:`.solve.head_rotation`). Returns ``(N,
    52) float64`` (the other channels unchanged; the result is not clamped). Raises InputError for mismatched lengths
    or an unknown channel name."""
    weights = np.array(weights, dtype=np.float64)
    yaw = np.asarray(yaw, dtype=np.float64).reshape(-1)
    if weights.ndim != 2 or len(yaw) != len(weights):
        raise InputError(f"yaw drift: {len(yaw)} yaw values for {len(weights)} frames of weights; give one per frame")
    unknown = [name for name in channels if name not in ARKIT_INDEX]
    if unknown:
        raise InputError(f"yaw drift: {unknown[0]!r} is not an ARKit blendshape name (e.g. eyeBlinkLeft)")
    n = len(yaw)
    turn = np.stack([np.maximum(yaw, 0.0), np.maximum(-yaw, 0.0)], axis=1)
    if n == 0 or not turn.any():
        return weights
    design = np.concatenate([np.ones((n, 1)), turn], axis=1)
    # min sum(u + v) s.t. design b + u - v = y, u, v >= 0, b free: the least-absolute-deviations fit.
    cost = np.concatenate([np.zeros(3), np.ones(2 * n)])
    equality = sparse.hstack([sparse.csr_matrix(design), sparse.identity(n), -sparse.identity(n)], format="csr")
    bounds = [(None, None)] * 3 + [(0.0, None)] * (2 * n)
    for name in channels:
        k = ARKIT_INDEX[name]
        fit = linprog(cost, A_eq=equality, b_eq=weights[:, k], bounds=bounds, method="highs")
        if fit.status == 0:
            weights[:, k] -= turn @ fit.x[1:3]
    return weights
