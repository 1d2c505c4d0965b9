# SPDX-License-Identifier: GPL-3.0-or-later
"""Emotion timelines: keys (time, emotion, intensity, transition, easing) baked into per-frame ARKit weights.

Model
-----
A timeline is a list of :class:`EmotionKey`, strictly increasing in time (seconds). Each key's pose is an emotion
name of the vocabulary (:mod:`facemotion.core.emotion.vocabulary`: presets, Plutchik's intensity rings, named dyads,
explicit pairs ``"joy+trust"``; see *Emotion names* below) or explicit ``(52,)`` ARKit weights (e.g. a photo's
expression from :func:`facemotion.core.emotion.presets.weights_from_blendshape_scores`), scaled by the key's
intensity. The pose is *fully reached at the key's time*: key k blends from the previous key's pose over
``[time_k - transition_k, time_k]`` and then holds until the next key's transition starts. Before the first key its
pose is held from t = 0 (the first key's transition is unused, as a curve is held constant before its first keyframe
in Blender); after the last key its pose
is held. The blend is ECAvatar's cross-fade ``M = (1 - w) M1 + w M2`` [ECAvatar 2024] with ``w = ease(s)``,
``s = (t - start) / transition``: ``easing="linear"`` is ECAvatar's linear cross-fade exactly; the default
``"ease_in_out"`` (smoothstep) starts and ends at zero velocity, because plain linear interpolation between
expressions reads as less real [Vo 2026].

Frames: frame f is at time ``f / fps``; a bake has ``round(duration * fps) + 1`` frames (0 .. duration inclusive;
duration defaults to the last key's time). Keys are in seconds; :meth:`EmotionKey.at_frame` (or ``"frame"`` in JSON)
converts a frame number once with the given fps.

Easings (:data:`EASINGS`, ``s`` in [0, 1] -> [0, 1]): ``linear``; ``ease_in`` s^2 and ``ease_out`` 1-(1-s)^2
(quadratic, R. Penner's easing equations, 2002); ``ease_in_out`` smoothstep 3s^2-2s^3; ``cubic`` smootherstep
6s^5-15s^4+10s^3 (K. Perlin, "Improving noise", SIGGRAPH 2002; zero velocity and acceleration at both ends);
``sine`` (1-cos(pi s))/2; ``back`` Penner's ease-out-back, which overshoots the target by ~10 % before settling
(weights that would leave [0, 1] are clipped). All but ``back`` are monotone.

Blinks (:func:`blink_times`, :func:`blink_curve`): spontaneous blinks at a default 17 per minute, the mean resting
rate of 150 adults in Bentivoglio et al., "Analysis of blink rate patterns in normal subjects", Movement Disorders
12(6), 1997 (26/min in conversation, 4.5/min reading). Inter-blink intervals are ``min_gap + Gamma(shape 2)`` with
mean ``60 / rate`` s (right-skewed like measured intervals; ``min_gap`` 1 s, at most half the mean), drawn from a
seeded ``numpy.random.Generator``, so a seed always gives the same blinks. Each blink closes in 0.10 s (lid closure
takes ~100 ms: Stern, Walrath & Goldstein, "The endogenous eyeblink", Psychophysiology 21(1), 1984), stays closed
0.03 s and reopens in 0.17 s (opening is slower than closing: Kwon et al., "High-speed camera characterization of
voluntary eye blinking kinematics", J. R. Soc. Interface 10(85), 2013), 0.30 s in all, inside the usual 100-400 ms.
The closed instant is snapped to the nearest frame so every blink fully closes at any fps. A blink amount ``b``
closes what the pose leaves open, ``eyeBlink = pose + b (1 - pose)``, so it never exceeds 1 and fades away where the
emotion already closes the eyes; ``eyeWide`` is scaled by ``1 - b`` so a widened lid cannot hold the eye open.

Noise (:func:`smooth_noise`): optional idle motion on :data:`NOISE_CHANNELS` (brows and mouth corners): uniform random
values in [-1, 1] every 0.5 s, interpolated with scipy's PCHIP (a monotone cubic: smooth, and it never overshoots
its knots, so the noise stays within +-amplitude), each channel 75 % a signal shared with its other side (faces move
mostly symmetrically) and 25 % its own. Added to the pose and clipped to [0, 1]; exactly zero at amplitude 0.

Emotion names
-------------
A key's ``emotion`` is any name of the emotion vocabulary (:mod:`facemotion.core.emotion.vocabulary`, the one route
from a name to weights; ``facemotion emotions`` lists them): a preset or alias, one of Plutchik's rings (mild
``serenity``, basic ``joy``, intense ``ecstasy``...), a named dyad (``love``, ``awe``, ``plutchik_contempt``...) or an
explicit pair ``"a+b"``. The pose is :func:`~facemotion.core.emotion.vocabulary.emotion_pose` of the name at the
key's intensity, with the key's ``mix`` (the weight of a dyad's or pair's first emotion; an error on a single
emotion) and ``blend`` (``"correlation"`` [Ma 2025], the default, ``"linear"`` or ``"correlation_weighted"``; ignored
for a single emotion). A basic name means the same here as on the wheel and in the panel: ``"joy"`` at 1.0 is joy's
full prototype. An unknown name is a TimelineError that lists the nearest known names.

JSON timeline format (:func:`timeline_from_json`, :func:`keys_from_json`, :func:`keys_to_json`; the ``#`` comments
are for illustration only, JSON has none)::

    {
      "fps": 24,                      # frames per second (default 24)
      "duration": 6.0,                # seconds (default: the last key's time)
      "keys": [
        {"time": 0, "emotion": "neutral"},
        {"time": 1.5, "emotion": "happy", "intensity": 0.8, "transition": 0.6, "easing": "ease_in_out"},
        {"frame": 72, "emotion": "surprise"},                 # a frame number instead of "time" (uses "fps")
        {"time": 3.5, "emotion": "ecstasy", "intensity": 0.9},  # any wheel name (rings, dyads)
        {"time": 3.8, "emotion": "joy+trust", "mix": 0.7, "blend": "linear"},  # an explicit pair, E1 = joy
        {"time": 4.0, "weights": {"jawOpen": 0.4, "mouthSmileLeft": 0.7}, "label": "photo"}
      ],
      "blinks": {"enabled": true, "seed": 7, "rate_per_minute": 17},
      "noise": {"amplitude": 0.02, "seed": 3}
    }

Key fields: ``time`` (s) or ``frame``; ``emotion`` (a preset or wheel name, case-insensitive, or a pair ``"a+b"``)
or ``weights`` (a dict of ARKit name -> weight, unnamed channels 0, or a list of 52 numbers); optional ``mix``
(0..1, the weight of a dyad's or pair's first emotion), ``blend`` (``correlation``, ``linear`` or
``correlation_weighted``, default ``correlation``), ``intensity`` (0..1, default 1),
``transition`` (s, default 0.5), ``easing`` (default ``ease_in_out``), ``label``. Top-level ``name``,
``description`` and ``version`` are free metadata; any other unknown field is an error (it is usually a typo).

Errors: :class:`~facemotion.core.errors.TimelineError`, one line naming the offending key by index, time and emotion.
"""

import json
import math
from dataclasses import dataclass

import numpy as np
from scipy.interpolate import PchipInterpolator

from ..arkit import ARKIT_INDEX, ARKIT_NAMES
from ..emotion.vocabulary import BLEND_METHODS, DEFAULT_BLEND, emotion_pose
from ..errors import FacemotionError, TimelineError

__all__ = [
    "BLEND_METHODS",
    "BLINK_CLOSED_S",
    "BLINK_CLOSE_S",
    "BLINK_OPEN_S",
    "BYTES_PER_FRAME",
    "DEFAULT_BLEND",
    "EASINGS",
    "EmotionKey",
    "MAX_BAKE_BYTES",
    "MAX_DURATION_S",
    "MAX_FPS",
    "MAX_FRAMES",
    "NOISE_CHANNELS",
    "bake_timeline",
    "blink_curve",
    "blink_times",
    "ease",
    "frame_count",
    "keys_from_json",
    "keys_to_json",
    "pose_track",
    "smooth_noise",
    "timeline_from_json",
    "validate_keys",
]

N_CHANNELS = len(ARKIT_NAMES)

#: Blink phases in seconds: closing, fully closed, reopening (see the module docstring for the sources).
BLINK_CLOSE_S = 0.10
BLINK_CLOSED_S = 0.03
BLINK_OPEN_S = 0.17

#: Channels that receive idle noise, grouped by what moves together (left/right of one muscle share a signal).
NOISE_GROUPS = (
    ("browInnerUp",),
    ("browOuterUpLeft", "browOuterUpRight"),
    ("browDownLeft", "browDownRight"),
    ("mouthSmileLeft", "mouthSmileRight"),
    ("mouthFrownLeft", "mouthFrownRight"),
)
NOISE_CHANNELS = tuple(name for group in NOISE_GROUPS for name in group)

#: Limits that keep a bake bounded (a typo like ``--fps 1000000`` or ``"duration": 1e7`` must not exhaust memory):
#: frames per second, seconds of timeline, frames of one bake, and the memory one bake may take. A bake of ``n``
#: frames peaks at about :data:`BYTES_PER_FRAME` bytes per frame (a few (n, 52) float64 work arrays plus the float32
#: result), estimated before anything is allocated. At the limits: 1000 fps x 3600 s would be 3.6 M frames, so the
#: frame cap (1 M frames, e.g. one hour at 277 fps or 11.5 h at 24 fps) and the memory budget (2 GiB) both apply.
MAX_FPS = 1000.0
MAX_DURATION_S = 3600.0
MAX_FRAMES = 1_000_000
MAX_BAKE_BYTES = 2 << 30
BYTES_PER_FRAME = 52 * 8 * 4 + 52 * 4

_TIME_EPS = 1e-9  # seconds: frame times f/fps within this of a key time count as that key time
_BACK_C1 = 1.70158  # Penner's default overshoot constant (~10 % overshoot)


def _smoothstep(s):
    return s * s * (3.0 - 2.0 * s)


_EASING_FUNCS = {
    "linear": lambda s: s,
    "ease_in": lambda s: s * s,
    "ease_out": lambda s: 1.0 - (1.0 - s) ** 2,
    "ease_in_out": _smoothstep,
    "cubic": lambda s: s * s * s * (s * (6.0 * s - 15.0) + 10.0),
    "sine": lambda s: 0.5 - 0.5 * np.cos(np.pi * s),
    "back": lambda s: 1.0 + (_BACK_C1 + 1.0) * (s - 1.0) ** 3 + _BACK_C1 * (s - 1.0) ** 2,
}

#: Easing names accepted by :class:`EmotionKey` (see the module docstring for their formulas).
EASINGS = tuple(_EASING_FUNCS)


def ease(name, s):
    """Evaluate easing ``name`` at ``s`` (scalar or array, clipped to [0, 1]). Returns float64 ndarray (same shape);
    0 at s=0 and 1 at s=1 for every easing. Raises TimelineError: unknown easing (lists the valid ones)."""
    if name not in _EASING_FUNCS:
        raise TimelineError(f"unknown easing {name!r}; use one of: {', '.join(EASINGS)}")
    return np.asarray(_EASING_FUNCS[name](np.clip(np.asarray(s, np.float64), 0.0, 1.0)), np.float64)


@dataclass(eq=False)
class EmotionKey:
    """One key of an emotion timeline.

    ``time``: seconds (>= 0) at which the pose is fully reached. ``emotion``: a preset name (case-insensitive; see
    :data:`facemotion.core.emotion.presets.EMOTIONS`) *or* ``weights``: explicit ARKit weights, array-like ``(52,)``
    in [0, 1] (ARKit order), e.g. a photo's expression; exactly one of the two. ``intensity``: 0..1, scales the pose.
    ``transition``: seconds to blend from the previous pose, ending at ``time`` (unused on the first key).
    ``easing``: one of :data:`EASINGS`. ``label``: optional text kept in the JSON (:func:`keys_to_json`).
    ``emotion`` may be any wheel name or a pair ``"a+b"`` (module docstring, *Emotion names*); ``mix``: the weight
    of a dyad's or pair's first emotion in [0, 1] (None: the default, 0.6 for a dyad, 0.5 for a pair); ``blend``:
    :data:`BLEND_METHODS` (``"correlation"`` [Ma 2025], ``"linear"``, ``"correlation_weighted"``), used by dyads
    and pairs only.

    Validation happens in :func:`validate_keys` (called by every bake), so errors can name the key's index.
    """

    time: float
    emotion: str | None = None
    intensity: float = 1.0
    transition: float = 0.5
    easing: str = "ease_in_out"
    weights: np.ndarray | None = None
    label: str | None = None
    mix: float | None = None
    blend: str = DEFAULT_BLEND

    @classmethod
    def at_frame(cls, frame, fps, **fields):
        """A key at frame ``frame`` (int >= 0) of a ``fps`` timeline: ``time = frame / fps`` seconds (the same
        expression the bake uses for frame times, so the pose lands exactly on that frame). Other fields as in the
        class. Raises TimelineError: frame not a non-negative int, fps not > 0."""
        if isinstance(frame, bool) or not isinstance(frame, (int, np.integer)) or frame < 0:
            raise TimelineError(f"key frame must be a whole number >= 0, got {frame!r}")
        fps = _check_fps(fps)
        return cls(time=int(frame) / fps, **fields)

    def __eq__(self, other):
        if not isinstance(other, EmotionKey):
            return NotImplemented
        same_weights = (self.weights is None and other.weights is None) or (
            self.weights is not None
            and other.weights is not None
            and np.array_equal(np.asarray(self.weights), np.asarray(other.weights))
        )
        return same_weights and (
            self.time,
            self.emotion,
            self.intensity,
            self.transition,
            self.easing,
            self.label,
            self.mix,
            self.blend,
        ) == (
            other.time,
            other.emotion,
            other.intensity,
            other.transition,
            other.easing,
            other.label,
            other.mix,
            other.blend,
        )


def _describe(index, key):
    """``key 2 (time 1.5 s, emotion 'happy')``: how errors name a key."""
    time = getattr(key, "time", None)
    what = getattr(key, "emotion", None)
    if what is not None:
        kind = f"emotion {what!r}"
    elif getattr(key, "weights", None) is not None:
        kind = "explicit weights" + (f" {key.label!r}" if getattr(key, "label", None) else "")
    else:
        kind = "no emotion"
    time_text = f"{time:g}" if isinstance(time, (int, float)) and not isinstance(time, bool) else repr(time)
    return f"key {index} (time {time_text} s, {kind})"


def _check_fps(fps):
    """fps as a float in (0, :data:`MAX_FPS`]; bools and non-numbers are rejected (JSON ``true`` is not 1 fps)."""
    if isinstance(fps, bool) or fps is None:
        raise TimelineError(f"fps must be a number > 0 (frames per second), got {fps!r}")
    try:
        value = float(fps)
    except (TypeError, ValueError):
        raise TimelineError(f"fps must be a number > 0, got {fps!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise TimelineError(f"fps must be > 0 (frames per second), got {fps!r}")
    if value > MAX_FPS:
        raise TimelineError(
            f"fps {fps!r} is above the limit of {MAX_FPS:g} frames per second; use a real frame "
            f"rate such as 24, 30 or 60"
        )
    return value


def _setting(what, value, kind=float):
    """A finite float (or int) setting, else TimelineError naming it."""
    if isinstance(value, bool) or value is None:
        raise TimelineError(f"{what} must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TimelineError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(number) or (kind is int and number != int(number)):
        raise TimelineError(f"{what} must be a finite {'whole ' if kind is int else ''}number, got {value!r}")
    return kind(number)


def _number(index, key, field, value):
    if isinstance(value, bool):
        raise TimelineError(f"{_describe(index, key)}: {field} must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TimelineError(f"{_describe(index, key)}: {field} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise TimelineError(f"{_describe(index, key)}: {field} must be finite, got {value!r}")
    return number


def _key_pose(index, key):
    """The key's (52,) float64 pose after intensity; raises TimelineError naming the key."""
    intensity = _number(index, key, "intensity", key.intensity)
    if not 0.0 <= intensity <= 1.0:
        raise TimelineError(
            f"{_describe(index, key)}: intensity {key.intensity!r} is outside [0, 1]; use 0 (neutral) to 1 (full)"
        )
    if key.emotion is not None and key.weights is not None:
        raise TimelineError(f"{_describe(index, key)}: give either an emotion or explicit weights, not both")
    if key.blend not in BLEND_METHODS:
        raise TimelineError(
            f"{_describe(index, key)}: unknown blend {key.blend!r}; use one of: {', '.join(BLEND_METHODS)}"
        )
    if isinstance(key.mix, bool):
        raise TimelineError(f"{_describe(index, key)}: mix must be a number in [0, 1], got {key.mix!r}")
    if key.emotion is not None:
        try:
            return emotion_pose(key.emotion, intensity, mix=key.mix, blend=key.blend).astype(np.float64)
        except FacemotionError as exc:
            raise TimelineError(f"{_describe(index, key)}: {exc}") from None
    if key.mix is not None:
        raise TimelineError(f"{_describe(index, key)}: 'mix' is for a dyad or a pair of emotions, not for weights")
    if key.weights is None:
        raise TimelineError(f"{_describe(index, key)}: needs an emotion name (e.g. 'happy') or (52,) ARKit weights")
    try:
        weights = np.asarray(key.weights, np.float64)
    except (TypeError, ValueError):
        raise TimelineError(f"{_describe(index, key)}: weights must be 52 numbers in ARKit order") from None
    if weights.shape != (N_CHANNELS,):
        raise TimelineError(
            f"{_describe(index, key)}: weights have shape {weights.shape}, expected ({N_CHANNELS},) in ARKit order"
        )
    if not np.all(np.isfinite(weights)) or weights.min() < 0.0 or weights.max() > 1.0:
        raise TimelineError(
            f"{_describe(index, key)}: weights must be finite and in [0, 1] "
            f"(got min {np.nanmin(weights):g}, max {np.nanmax(weights):g})"
        )
    return weights * intensity


def _coerce_keys(keys):
    if isinstance(keys, (str, bytes)) or not hasattr(keys, "__len__"):
        raise TimelineError(f"timeline keys must be a list of EmotionKey, got {type(keys).__name__}")
    out = []
    for index, key in enumerate(keys):
        if isinstance(key, EmotionKey):
            out.append(key)
        elif isinstance(key, dict):
            out.append(_key_from_dict(index, key, None))
        else:
            raise TimelineError(f"key {index}: expected an EmotionKey or a dict, got {type(key).__name__}")
    if not out:
        raise TimelineError("the timeline has no keys; add at least one, e.g. EmotionKey(0.0, 'neutral')")
    return out


def validate_keys(keys):
    """Check a timeline's keys; return ``(times (K,) float64 s, poses (K, 52) float64, transitions (K,) float64)``.

    ``keys``: list of :class:`EmotionKey` (or dicts in the JSON key format).
    Raises TimelineError naming the key (index, time, emotion): empty list; unknown emotion; negative or
    non-finite time; times not strictly increasing; intensity outside [0, 1]; negative transition; a transition
    longer than the gap since the previous key (transitions would overlap); unknown easing; both or neither of
    emotion/weights; weights not (52,) or outside [0, 1].
    """
    keys = _coerce_keys(keys)
    count = len(keys)
    times = np.empty(count)
    transitions = np.empty(count)
    poses = np.empty((count, N_CHANNELS))
    for index, key in enumerate(keys):
        time = _number(index, key, "time", key.time)
        if time < 0:
            raise TimelineError(f"{_describe(index, key)}: time is negative; timelines start at 0 s")
        if index and time <= times[index - 1]:
            raise TimelineError(
                f"{_describe(index, key)}: time must be later than key {index - 1}'s "
                f"({times[index - 1]:g} s); keep keys in increasing time order"
            )
        transition = _number(index, key, "transition", key.transition)
        if transition < 0:
            raise TimelineError(f"{_describe(index, key)}: transition {transition:g} s is negative; use 0 for a cut")
        if index and transition > time - times[index - 1] + _TIME_EPS:
            gap = time - times[index - 1]
            raise TimelineError(
                f"{_describe(index, key)}: transition {transition:g} s is longer than the {gap:g} s since key "
                f"{index - 1} ({times[index - 1]:g} s), so the transitions would overlap; shorten it to at most "
                f"{gap:g} s or move the key later"
            )
        if key.easing not in _EASING_FUNCS:
            raise TimelineError(
                f"{_describe(index, key)}: unknown easing {key.easing!r}; use one of: {', '.join(EASINGS)}"
            )
        times[index], transitions[index] = time, transition
        poses[index] = _key_pose(index, key)
    return times, poses, transitions


def frame_count(fps, duration):
    """Number of frames of a bake: ``round(duration * fps) + 1`` (frames 0 .. duration inclusive; halves round up).

    Raises TimelineError: fps not in (0, :data:`MAX_FPS`] or not a number (bools included); duration negative, not
    finite, a bool or above :data:`MAX_DURATION_S`; more than :data:`MAX_FRAMES` frames, or an estimated bake memory
    (``frames * BYTES_PER_FRAME``) above :data:`MAX_BAKE_BYTES`. Each message names the limit and how to get under it.
    """
    fps = _check_fps(fps)
    if isinstance(duration, bool) or duration is None:
        raise TimelineError(f"duration must be a number of seconds >= 0, got {duration!r}")
    try:
        duration = float(duration)
    except (TypeError, ValueError):
        raise TimelineError(f"duration must be a number of seconds >= 0, got {duration!r}") from None
    if not math.isfinite(duration) or duration < 0:
        raise TimelineError(f"duration must be a number of seconds >= 0, got {duration!r}")
    if duration > MAX_DURATION_S:
        raise TimelineError(
            f"duration {duration:g} s is above the limit of {MAX_DURATION_S:g} s (one hour); "
            f"split the animation into shorter timelines"
        )
    frames = int(math.floor(duration * fps + 0.5)) + 1
    if frames > MAX_FRAMES:
        raise TimelineError(
            f"{duration:g} s at {fps:g} fps is {frames:,} frames, above the limit of "
            f"{MAX_FRAMES:,}; lower the fps or shorten the timeline"
        )
    estimate = frames * BYTES_PER_FRAME
    if estimate > MAX_BAKE_BYTES:
        raise TimelineError(
            f"baking {frames:,} frames would take about {estimate / 2**30:.1f} GiB, above the "
            f"{MAX_BAKE_BYTES / 2**30:g} GiB limit; lower the fps or shorten the timeline"
        )
    return frames


def _segments(keys, fps, duration):
    """The validated poses (K, 52), and per frame the base key index (n,) and blend weight toward the next key (n,)
    float64."""
    keys = _coerce_keys(keys)
    times, poses, transitions = validate_keys(keys)
    fps = _check_fps(fps)
    n_frames = frame_count(fps, times[-1] if duration is None else duration)
    t = np.arange(n_frames) / fps
    base = np.maximum(np.searchsorted(times, t + _TIME_EPS, side="right") - 1, 0)
    blend = np.zeros(n_frames)
    for k in range(1, len(keys)):
        if transitions[k] <= 0:
            continue
        start = times[k] - transitions[k]
        inside = (base == k - 1) & (t > start)
        if inside.any():
            blend[inside] = ease(keys[k].easing, (t[inside] - start) / transitions[k])
    return poses, base, blend


def pose_track(keys, fps, duration=None):
    """The emotion poses alone (no blinks, no noise), frame by frame.

    ``keys``: list of :class:`EmotionKey`; ``fps`` > 0; ``duration`` seconds (default the last key's time).
    Returns ``np.ndarray (n_frames, 52) float32`` in [0, 1], frame f at ``f / fps`` s. Raises TimelineError.
    """
    poses, base, blend = _segments(keys, fps, duration)
    nxt = np.minimum(base + 1, len(poses) - 1)
    out = poses[base] + blend[:, None] * (poses[nxt] - poses[base])
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def blink_times(duration, rate_per_minute=17.0, seed=0, *, min_gap=1.0):
    """Seeded spontaneous blink times: the instants (s) the eyes are fully closed, in (0, duration].

    Intervals are ``g + Gamma(shape=2, scale=(mean - g) / 2)`` with ``mean = 60 / rate_per_minute`` and
    ``g = min(min_gap, mean / 2)``, starting from t = 0 (a renewal process; see the module docstring for the rates).
    ``rate_per_minute``: 0 (no blinks) to 60. Same arguments -> same times (``numpy.random.default_rng(seed)``).
    Returns ``np.ndarray (m,) float64`` seconds, increasing. Raises TimelineError: bad duration, rate or min_gap.
    """
    frame_count(1.0, duration)  # validates duration
    duration = float(duration)
    rate = _setting("blink rate", rate_per_minute)
    if not 0.0 <= rate <= 60.0:
        raise TimelineError(
            f"blink rate must be 0 to 60 blinks per minute (people blink ~17/min at rest), got {rate_per_minute!r}"
        )
    min_gap = _setting("blink min_gap", min_gap)
    if min_gap < 0:
        raise TimelineError(f"blink min_gap must be >= 0 seconds, got {min_gap!r}")
    if rate == 0.0 or duration <= 0:
        return np.zeros(0)
    mean = 60.0 / rate
    gap = min(min_gap, 0.5 * mean)
    rng = np.random.default_rng(seed)
    times = []
    t = 0.0
    while True:
        # Draw in batches (not one by one) so a long timeline stays fast; the sequence only depends on the seed.
        for interval in gap + rng.gamma(2.0, (mean - gap) / 2.0, size=64):
            t += interval
            if t > duration:
                return np.asarray(times)
            times.append(t)


def blink_curve(n_frames, fps, times):
    """Blink amount per frame (0 open .. 1 closed) for blinks fully closed at ``times`` (s).

    Each blink: smoothstep closing over :data:`BLINK_CLOSE_S`, closed :data:`BLINK_CLOSED_S`, smoothstep reopening
    over :data:`BLINK_OPEN_S`; the closed instant is snapped to the nearest frame so it is always sampled.
    Returns ``np.ndarray (n_frames,) float32`` in [0, 1]. Raises TimelineError: fps not > 0.
    """
    fps = _check_fps(fps)
    t = np.arange(int(n_frames)) / fps
    out = np.zeros(int(n_frames))
    for peak in np.asarray(times, np.float64):
        closed = math.floor(peak * fps + 0.5) / fps
        # only the frames inside this blink's window (a long timeline has many blinks: keep each one O(window))
        lo = max(int(math.floor((closed - BLINK_CLOSE_S) * fps)), 0)
        hi = min(int(math.ceil((closed + BLINK_CLOSED_S + BLINK_OPEN_S) * fps)) + 1, len(t))
        if hi <= lo:
            continue
        tw = t[lo:hi]
        closing = np.clip((tw - (closed - BLINK_CLOSE_S)) / BLINK_CLOSE_S, 0.0, 1.0)
        opening = np.clip((tw - (closed + BLINK_CLOSED_S)) / BLINK_OPEN_S, 0.0, 1.0)
        amount = np.where(tw <= closed, _smoothstep(closing), 1.0 - _smoothstep(opening))
        out[lo:hi] = np.maximum(out[lo:hi], amount)
    return out.astype(np.float32)


def smooth_noise(n_frames, fps, amplitude, seed=0, *, knot_spacing=0.5):
    """Band-limited idle noise on :data:`NOISE_CHANNELS` (brows, mouth corners); other channels stay 0.

    Random values in [-1, 1] every ``knot_spacing`` s (seeded), PCHIP-interpolated (no overshoot), mixed 75 % shared
    per left/right group + 25 % per channel, times ``amplitude``. Returns ``np.ndarray (n_frames, 52) float32`` with
    ``|value| <= amplitude``; all zeros when amplitude is 0. Raises TimelineError: amplitude outside [0, 1], fps or
    knot_spacing not > 0.
    """
    fps = _check_fps(fps)
    amplitude = _setting("noise amplitude", amplitude)
    if not 0.0 <= amplitude <= 1.0:
        raise TimelineError(f"noise amplitude must be in [0, 1] (0.01-0.05 is subtle), got {amplitude!r}")
    if not knot_spacing > 0:
        raise TimelineError(f"noise knot_spacing must be > 0 seconds, got {knot_spacing!r}")
    n_frames = int(n_frames)
    out = np.zeros((n_frames, N_CHANNELS), np.float32)
    if amplitude == 0.0 or n_frames == 0:
        return out
    t = np.arange(n_frames) / fps
    n_knots = max(2, int(math.ceil(t[-1] / knot_spacing)) + 1)
    knot_t = np.arange(n_knots) * knot_spacing
    rng = np.random.default_rng(seed)
    values = rng.uniform(-1.0, 1.0, size=(n_knots, len(NOISE_GROUPS) + len(NOISE_CHANNELS)))
    curves = PchipInterpolator(knot_t, values, axis=0)(t)
    column = len(NOISE_GROUPS)
    for group_index, group in enumerate(NOISE_GROUPS):
        for name in group:
            signal = 0.75 * curves[:, group_index] + 0.25 * curves[:, column]
            out[:, ARKIT_INDEX[name]] = amplitude * np.clip(signal, -1.0, 1.0)
            column += 1
    return out


def bake_timeline(
    keys,
    fps,
    duration=None,
    *,
    blinks=True,
    blink_seed=0,
    blink_rate_per_minute=17.0,
    noise_amplitude=0.0,
    noise_seed=0,
):
    """Bake an emotion timeline into per-frame ARKit weights.

    ``keys``: list of :class:`EmotionKey` (or JSON-format dicts). ``fps``: frames per second (> 0). ``duration``:
    seconds (default the last key's time). ``blinks``: add seeded spontaneous blinks (:func:`blink_times` with
    ``blink_rate_per_minute`` and ``blink_seed``). ``noise_amplitude``/``noise_seed``: idle noise
    (:func:`smooth_noise`), off at 0.

    Pose (:func:`pose_track`) + noise, clipped to [0, 1], then blinks (``eyeBlink = pose + b (1 - pose)``,
    ``eyeWide *= 1 - b``). Returns ``np.ndarray (round(duration * fps) + 1, 52) float32`` in [0, 1], ARKit order,
    frame f at ``f / fps`` s. Raises TimelineError (naming the key for key errors).
    """
    out = pose_track(keys, fps, duration).astype(np.float64)
    n_frames = out.shape[0]
    if noise_amplitude:
        out = np.clip(out + smooth_noise(n_frames, fps, noise_amplitude, noise_seed), 0.0, 1.0)
    else:
        smooth_noise(0, fps, noise_amplitude)  # validates the amplitude even when it is 0
    if blinks:
        times = blink_times((n_frames - 1) / _check_fps(fps), blink_rate_per_minute, blink_seed)
        amount = blink_curve(n_frames, fps, times).astype(np.float64)
        for side in ("Left", "Right"):
            blink = ARKIT_INDEX["eyeBlink" + side]
            out[:, blink] += amount * (1.0 - out[:, blink])
            out[:, ARKIT_INDEX["eyeWide" + side]] *= 1.0 - amount
    return np.clip(out, 0.0, 1.0).astype(np.float32)


# --- JSON ---------------------------------------------------------------------------------------------------------

_KEY_FIELDS = {"time", "frame", "emotion", "intensity", "transition", "easing", "weights", "label", "mix", "blend"}
_TOP_FIELDS = {"fps", "duration", "keys", "blinks", "noise", "name", "description", "version"}


def _weights_from_json(index, raw):
    if isinstance(raw, dict):
        weights = np.zeros(N_CHANNELS, np.float32)
        for name, value in raw.items():
            if name not in ARKIT_INDEX:
                raise TimelineError(f"key {index}: unknown ARKit name {name!r} in weights (e.g. 'jawOpen')")
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TimelineError(f"key {index}: weight {name!r} must be a number, got {value!r}")
            weights[ARKIT_INDEX[name]] = value
        return weights
    if isinstance(raw, list):
        return (
            np.asarray(raw, np.float32)
            if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in raw)
            else raw
        )
    raise TimelineError(f"key {index}: weights must be a dict of ARKit name -> weight or a list of 52 numbers")


def _key_from_dict(index, raw, fps):
    unknown = sorted(set(raw) - _KEY_FIELDS)
    if unknown:
        raise TimelineError(
            f"key {index}: unknown field(s) {', '.join(map(repr, unknown))}; key fields are "
            f"{', '.join(sorted(_KEY_FIELDS))}"
        )
    if ("time" in raw) == ("frame" in raw):
        raise TimelineError(f"key {index}: give exactly one of 'time' (seconds) or 'frame'")
    fields = {k: raw[k] for k in ("emotion", "intensity", "transition", "easing", "label", "mix", "blend") if k in raw}
    if "weights" in raw:
        fields["weights"] = _weights_from_json(index, raw["weights"])
    if "frame" in raw:
        if fps is None:
            raise TimelineError(f"key {index}: uses 'frame' but the timeline has no 'fps'; add \"fps\" or use 'time'")
        try:
            return EmotionKey.at_frame(raw["frame"], fps, **fields)
        except TimelineError as exc:
            raise TimelineError(f"key {index}: {exc}") from None
    return EmotionKey(time=raw["time"], **fields)


def _load(obj):
    if isinstance(obj, (str, bytes)):
        try:
            obj = json.loads(obj)
        except json.JSONDecodeError as exc:
            raise TimelineError(f"timeline is not valid JSON: {exc}") from None
    return obj


def keys_from_json(obj):
    """Read timeline keys from the JSON format in the module docstring.

    ``obj``: the parsed document (dict with ``"keys"``), a bare list of key dicts, or a JSON string of either.
    Returns ``list[EmotionKey]`` (validated). Raises TimelineError: malformed document or key (named by index).
    """
    obj = _load(obj)
    fps = None
    if isinstance(obj, dict):
        if "keys" not in obj:
            raise TimelineError("timeline JSON has no 'keys' list")
        fps = _check_fps(obj["fps"]) if "fps" in obj else None
        obj = obj["keys"]
    if not isinstance(obj, list):
        raise TimelineError(f"timeline 'keys' must be a list of key objects, got {type(obj).__name__}")
    keys = []
    for index, raw in enumerate(obj):
        if not isinstance(raw, dict):
            raise TimelineError(f'key {index}: expected an object like {{"time": 0, "emotion": "neutral"}}')
        keys.append(_key_from_dict(index, raw, fps))
    validate_keys(keys)
    return keys


def keys_to_json(keys, *, fps=None, duration=None, blinks=None, noise=None):
    """Write keys (and optional settings) as a JSON-ready dict in the format of the module docstring.

    Each key gets ``time``, ``emotion`` or ``weights`` (dict of its non-zero ARKit channels), ``intensity``,
    ``transition``, ``easing``, and ``label``, ``mix`` and ``blend`` when set (``blend`` when not the default).
    ``fps``, ``duration``, ``blinks`` (dict) and ``noise`` (dict)
    are included when given. ``keys_from_json(keys_to_json(keys))`` gives back equal keys (weights as float32).
    Returns dict. Raises TimelineError: invalid keys.
    """
    keys = _coerce_keys(keys)
    validate_keys(keys)
    out = {}
    if fps is not None:
        out["fps"] = _check_fps(fps)
    if duration is not None:
        frame_count(1.0, duration)
        out["duration"] = float(duration)
    items = []
    for key in keys:
        item = {"time": float(key.time)}
        if key.emotion is not None:
            item["emotion"] = key.emotion
        else:
            weights = np.asarray(key.weights, np.float32)
            item["weights"] = {ARKIT_NAMES[i]: float(weights[i]) for i in np.flatnonzero(weights)}
        item.update(intensity=float(key.intensity), transition=float(key.transition), easing=key.easing)
        if key.label is not None:
            item["label"] = key.label
        if key.mix is not None:
            item["mix"] = float(key.mix)
        if key.blend != DEFAULT_BLEND:
            item["blend"] = key.blend
        items.append(item)
    out["keys"] = items
    if blinks is not None:
        out["blinks"] = dict(blinks)
    if noise is not None:
        out["noise"] = dict(noise)
    return out


def timeline_from_json(obj):
    """Read a whole timeline document into :func:`bake_timeline`'s arguments.

    ``obj``: dict (or JSON string) in the module docstring's format. Returns a dict with ``keys``, ``fps`` (default
    24), ``duration`` (None when absent), ``blinks``, ``blink_seed``, ``blink_rate_per_minute``,
    ``noise_amplitude``, ``noise_seed``; use ``bake_timeline(**timeline_from_json(doc))``.
    Raises TimelineError: unknown top-level or settings fields, bad values, invalid keys.
    """
    obj = _load(obj)
    if not isinstance(obj, dict):
        raise TimelineError("a timeline document must be a JSON object with 'keys' (and optionally 'fps', ...)")
    unknown = sorted(set(obj) - _TOP_FIELDS)
    if unknown:
        raise TimelineError(
            f"timeline JSON: unknown field(s) {', '.join(map(repr, unknown))}; known: {', '.join(sorted(_TOP_FIELDS))}"
        )
    doc = dict(obj)
    doc.setdefault("fps", 24.0)
    blinks = doc.get("blinks", {})
    if isinstance(blinks, bool):  # "blinks": false is a natural shorthand
        blinks = {"enabled": blinks}
    noise = doc.get("noise", {})
    for what, section, allowed in (
        ("blinks", blinks, {"enabled", "seed", "rate_per_minute"}),
        ("noise", noise, {"amplitude", "seed"}),
    ):
        if not isinstance(section, dict):
            raise TimelineError(f"timeline JSON: '{what}' must be an object")
        extra = sorted(set(section) - allowed)
        if extra:
            raise TimelineError(
                f"timeline JSON: unknown '{what}' field(s) {', '.join(map(repr, extra))}; "
                f"known: {', '.join(sorted(allowed))}"
            )
    if not isinstance(blinks.get("enabled", True), bool):
        raise TimelineError(f"timeline JSON: blinks 'enabled' must be true or false, got {blinks['enabled']!r}")
    duration = doc.get("duration")
    if duration is not None:
        frame_count(_check_fps(doc["fps"]), duration)  # fps, duration and the frame/memory limits, before parsing keys
    return {
        "keys": keys_from_json(doc),
        "fps": _check_fps(doc["fps"]),
        "duration": None if duration is None else float(duration),
        "blinks": bool(blinks.get("enabled", True)),
        "blink_seed": _setting("blinks seed", blinks.get("seed", 0), int),
        "blink_rate_per_minute": _setting("blinks rate_per_minute", blinks.get("rate_per_minute", 17.0)),
        "noise_amplitude": _setting("noise amplitude", noise.get("amplitude", 0.0)),
        "noise_seed": _setting("noise seed", noise.get("seed", 0), int),
    }
