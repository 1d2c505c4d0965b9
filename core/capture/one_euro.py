# SPDX-License-Identifier: GPL-3.0-or-later
"""The One Euro filter (Casiez, Roussel, Vogel, "1 Euro Filter: A Simple Speed-based Low-pass Filter for Noisy Input
in Interactive Systems", CHI 2012), one per channel.

A first-order low-pass whose cutoff rises with the signal's speed: ``cutoff = min_cutoff + beta * |dx/dt|`` (the
derivative itself low-passed at ``d_cutoff``). A still face gets the low ``min_cutoff`` (jitter removed), a blink
raises the cutoff so the lid follows with little lag. Each step: ``alpha = 1 / (1 + fps / (2 pi cutoff))``,
``x_hat = x_hat + alpha * (x - x_hat)``.

Defaults (:data:`DEFAULT_MIN_CUTOFF`, :data:`DEFAULT_BETA`, :data:`DEFAULT_D_CUTOFF`) were chosen on MediaPipe
captures of an ICT head rendered with known curves and sensor noise, 30 fps (``tools/capture_round_trip.py
--filter-sweep``): jitter = mean absolute frame-to-frame change of the 52 weights on the still first second, lag =
frames between the true and the filtered peak of a 0.3 s blink, mean r = Pearson correlation with the truth over the
checked channels. Unfiltered: jitter 0.00332, lag 0, r 0.834. The published starting points lag or flatten blinks
(1.0 / 0.0: lag 2 frames, r 0.642; 0.5 / 1.0, near the webcam apps' 0.05 / 0.8: lag 2, r 0.754); a high beta
keeps every blink on time (lag 0 for beta >= 2) and 1.0 / 8.0 cuts jitter by a third (0.00227) for the smallest
loss of correlation (r 0.817); min_cutoff 0.1 removes more jitter but flattens slow expressions (r 0.79).

The speed estimate's cutoff was then re-measured (issue 20, the round trip's first performance, 256 px, mean r over
the checked channels / the lowest / jitter): Casiez et al.'s 1 Hz smooths the speed so much that it reads near 0 at a
blink's peak, the cutoff falls back to ``min_cutoff`` just as the lid reopens, and the filter holds the lid closed a
frame or two (eyeBlinkRight r 0.87, filtered, against 0.91 unfiltered): 1.0 / 8 gave 0.942 / 0.871 / 0.00077, 2 Hz
0.949 / 0.885, 3 Hz 0.952 / 0.894, and 3 Hz with beta 20 0.957 / 0.903 / 0.00075 (unfiltered 0.960 / 0.909 /
0.00105), the defaults; on a still synthetic signal (0.01 noise) they keep 36 % of the frame-to-frame change (1 Hz /
8: 21 %), with no lag on a 0.2 s blink.
"""

import math

import numpy as np

from ..errors import InputError

#: Hz: cutoff on a still signal. Measured (30 fps, ARKit weights 0..1): see the module docstring.
DEFAULT_MIN_CUTOFF = 1.0
#: Hz per (unit per second): how fast the cutoff rises with the speed (a blink closes at ~7 weight units/s: ~140 Hz).
DEFAULT_BETA = 20.0
#: Hz: cutoff of the speed estimate (Casiez et al. recommend 1.0; 3.0 lets a blink reopen on time, see above).
DEFAULT_D_CUTOFF = 3.0


def _alpha(cutoff, fps):
    return 1.0 / (1.0 + fps / (2.0 * math.pi * cutoff))


class OneEuroFilter:
    """Streaming One Euro filter over ``channels`` values at a fixed ``fps`` (webcam and video capture feed it one
    frame at a time).

    ``min_cutoff`` (Hz, > 0), ``beta`` (>= 0), ``d_cutoff`` (Hz, > 0): Casiez et al.'s three parameters.
    Raises InputError for values out of range.
    """

    def __init__(self, fps, *, min_cutoff=DEFAULT_MIN_CUTOFF, beta=DEFAULT_BETA, d_cutoff=DEFAULT_D_CUTOFF):
        for name, value, low in (("fps", fps, 0.0), ("min_cutoff", min_cutoff, 0.0), ("d_cutoff", d_cutoff, 0.0)):
            if not (math.isfinite(float(value)) and float(value) > low):
                raise InputError(f"One Euro filter: {name} must be a positive number, got {value!r}")
        if not (math.isfinite(float(beta)) and float(beta) >= 0.0):
            raise InputError(f"One Euro filter: beta must be 0 or more, got {beta!r}")
        self.fps, self.min_cutoff, self.beta, self.d_cutoff = (
            float(fps),
            float(min_cutoff),
            float(beta),
            float(d_cutoff),
        )
        self._value = None
        self._speed = None

    def __call__(self, x):
        """Filter one frame: ``x`` ``(C,)`` float -> the filtered ``(C,) float64``."""
        x = np.asarray(x, dtype=np.float64)
        if self._value is None:
            self._value, self._speed = x.copy(), np.zeros_like(x)
            return x.copy()
        speed = (x - self._value) * self.fps
        self._speed += _alpha(self.d_cutoff, self.fps) * (speed - self._speed)
        cutoff = self.min_cutoff + self.beta * np.abs(self._speed)
        alpha = 1.0 / (1.0 + self.fps / (2.0 * math.pi * cutoff))
        self._value += alpha * (x - self._value)
        return self._value.copy()


def one_euro(values, fps, **parameters):
    """Filter whole curves: ``values`` ``(N, ...)`` rows at ``fps`` -> ``(N, ...) float64``, each column filtered
    independently by :class:`OneEuroFilter` (``parameters``: its keyword arguments)."""
    values = np.asarray(values, dtype=np.float64)
    flat = values.reshape(len(values), -1)
    run = OneEuroFilter(fps, **parameters)
    return np.stack([run(row) for row in flat]).reshape(values.shape) if len(values) else values.copy()
